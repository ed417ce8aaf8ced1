"""Fuzzing the loader: whatever the bytes, only the loader's own error type ever escapes.

``check_paths`` must turn every input into problems, never an exception; ``load_flows`` must raise
nothing but ``FlowError``. Inputs range from random bytes to mutated copies of real flows and
random YAML built from the schema's own keys (the inputs most likely to reach deep code).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscript.flow.library import builtin_flow_dir, check_paths, load_flows
from callscript.flow.problems import FlowError
from callscript.flow.schema import FLOW_KEYS, SITUATION_KEYS, STEP_KEYS, TRANSITION_KEYS

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SEED_FLOW = (builtin_flow_dir() / "silent_call.yaml").read_text(encoding="utf-8")
KEYS = sorted({*FLOW_KEYS, *STEP_KEYS, *TRANSITION_KEYS, *SITUATION_KEYS, "zh", "en", "greet", "done"})


def assert_only_loader_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    result = check_paths([path])
    for problem in result.problems:
        assert problem.message and problem.severity in ("error", "warning")
    try:
        load_flows([path])
    except FlowError as exc:
        assert exc.render().startswith(exc.where or "error")


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(tmp_path, data):
    assert_only_loader_errors(tmp_path / "silent_call.yaml", data)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text(tmp_path, text):
    assert_only_loader_errors(tmp_path / "silent_call.yaml", text.encode("utf-8", "surrogatepass"))


@st.composite
def mutated_flow(draw):
    lines = SEED_FLOW.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "char", "indent", "swap"]))
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "char" and lines[index]:
            pos = draw(st.integers(0, len(lines[index]) - 1))
            char = draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@` \t5s") + ["\u00a0", "您", "\x00"]))
            lines[index] = lines[index][:pos] + char + lines[index][pos + 1 :]
        elif action == "indent":
            lines[index] = draw(st.sampled_from(["", "  ", "    ", "\t"])) + lines[index].lstrip()
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(mutated_flow())
def test_mutated_real_flow(tmp_path, data):
    assert_only_loader_errors(tmp_path / "silent_call.yaml", data)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["5s", "0s", "-1s", "999999m", "greet", "done", "hang_up", "return", "silence", "{x}", "zh-CN"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=40,
)


@FUZZ
@given(documents)
def test_random_yaml_with_schema_keys(tmp_path, document):
    data = yaml.safe_dump(document, allow_unicode=True).encode("utf-8", "surrogatepass")
    assert_only_loader_errors(tmp_path / "silent_call.yaml", data)
