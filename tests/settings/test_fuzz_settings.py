"""Fuzzing the settings loader and saver: whatever the file holds, only ``CallscriptError`` escapes.

``read_settings`` must turn every input into settings plus problems, never an exception;
``load_settings`` raises nothing but ``CallscriptError``; a save into any valid TOML file keeps
the values it was asked to write and everything else that was there. Inputs range from random
bytes to TOML documents built from the model's own keys with values of every TOML type, and
mutated copies of a real settings file.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import replace

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscript.errors import CallscriptError
from callscript.settings import DEFAULT_KEYS, SETTING_NAMES, Settings, load_settings, read_settings
from callscript.settings_store import save_settings

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SEED = """\
# callscript settings
agent = "王芳 007"
hotline = "95588"
interface_language = "en"
plain = true
tts_rate = 170
tts_volume = 0.9

[keys]
"call.said" = "enter"
"situation.silent_call" = "x"
"""


def assert_only_settings_errors(path, data: bytes) -> None:
    path.write_bytes(data)
    loaded, problems = read_settings(path)
    assert isinstance(loaded, Settings)
    for problem in problems:
        assert isinstance(problem, CallscriptError) and problem.message and problem.where.startswith(str(path))
        # One line each, and nothing from the file that a terminal would act on (escape codes).
        assert problem.message.isprintable() and problem.hint.isprintable(), problem.render()
    try:
        load_settings(path)
    except CallscriptError:
        pass


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(tmp_path, data):
    assert_only_settings_errors(tmp_path / "settings.toml", data)


@FUZZ
@given(st.text(max_size=1500))
def test_random_text(tmp_path, text):
    assert_only_settings_errors(tmp_path / "settings.toml", text.encode("utf-8", "surrogatepass"))


SCALARS = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True), st.text(max_size=30),
    st.datetimes(max_value=dt.datetime(9999, 1, 1)), st.dates(), st.times(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)
BINDING_IDS = st.sampled_from([*DEFAULT_KEYS, "situation.silent_call", "situation.x", "call.nothing", "keys", ""])


@st.composite
def toml_documents(draw) -> str:
    doc = tomlkit.document()
    for key in draw(st.lists(st.sampled_from([*SETTING_NAMES, "colour", "ключ", "a.b"]), max_size=8, unique=True)):
        if key == "keys" and draw(st.booleans()):
            table = tomlkit.table()
            for bid in draw(st.lists(BINDING_IDS, max_size=6, unique=True)):
                table[bid] = draw(st.one_of(st.sampled_from(["space", "ctrl+e", "f2", "a,b", "two words", ""]), VALUES))
            doc[key] = table
        else:
            doc[key] = draw(VALUES)
    return tomlkit.dumps(doc)


@FUZZ
@given(toml_documents())
def test_random_toml_from_the_models_keys(tmp_path, text):
    assert_only_settings_errors(tmp_path / "settings.toml", text.encode("utf-8"))


@st.composite
def mutated_file(draw) -> bytes:
    lines = SEED.splitlines()
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "char", "swap"]))
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "char" and lines[index]:
            pos = draw(st.integers(0, len(lines[index]) - 1))
            char = draw(st.sampled_from(list("=\"'[]{}.#,\\ \t5e") + ["\ufeff", "\x00", "您"]))
            lines[index] = lines[index][:pos] + char + lines[index][pos + 1:]
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return prefix + "\n".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(mutated_file())
def test_mutated_settings_files(tmp_path, data):
    assert_only_settings_errors(tmp_path / "settings.toml", data)


KEY_NAMES = st.sampled_from(["space", "enter", "ctrl+e", "f2", "g", "x", "left,comma"])
VALID = st.builds(
    Settings,
    agent=st.text(max_size=20), hotline=st.text(max_size=20), interface_language=st.sampled_from(["zh", "en"]),
    default_flow=st.text(max_size=20), plain=st.booleans(), tts_rate=st.integers(40, 500),
    tts_volume=st.floats(0.0, 1.0), input_device=st.text(max_size=20), record_line_audio=st.booleans(),
    keys=st.dictionaries(st.sampled_from([*DEFAULT_KEYS, "situation.silent_call"]), KEY_NAMES).map(
        lambda keys: {**DEFAULT_KEYS, **keys}),
)


@FUZZ
@given(toml_documents(), VALID)
def test_a_save_into_any_toml_file_writes_the_values_and_keeps_the_rest(tmp_path, text, wanted):
    path = tmp_path / "settings.toml"
    path.write_text(text, "utf-8")
    base, _ = read_settings(path)
    try:
        save_settings(wanted, path, base=base)
    except CallscriptError:
        return  # e.g. keys changed while 'keys' in the file is not a table: refused, file untouched
    saved, _problems = read_settings(path)
    for name in SETTING_NAMES:
        if getattr(wanted, name) != getattr(base, name) and name != "keys":
            assert getattr(saved, name) == getattr(wanted, name), name
    for bid, key in wanted.keys.items():
        if base.keys.get(bid) != key:
            assert saved.keys.get(bid) == key
    before, after = tomllib.loads(text), tomllib.loads(path.read_text("utf-8"))
    for key, value in before.items():  # what the save was not asked to change is still there
        if key not in SETTING_NAMES or getattr(wanted, key) == getattr(base, key):
            if key != "keys":
                assert repr(after[key]) == repr(value)  # repr: NaN is never equal to itself


@FUZZ
@given(VALID)
def test_any_valid_settings_survive_a_save_and_a_load(tmp_path, wanted):
    path = tmp_path / "settings.toml"
    path.unlink(missing_ok=True)
    save_settings(wanted, path, base=Settings())
    assert load_settings(path) == replace(wanted, keys=dict(wanted.keys))
