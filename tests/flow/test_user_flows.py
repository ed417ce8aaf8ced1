"""A trainer's own flows beside the built-in ones: the user flows folder, $CALLSCRIPT_FLOWS and
--flows; they extend the built-ins, replace one only with ``override: true``, and are checked with
them (clashing ids and hotkeys). Real files in real folders, real ``callscript`` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.data import builtin_flows_dir
from callscript.flow.library import check_library, load_flows, load_library, resolve
from callscript.flow.sources import use_flow_dirs
from callscript.paths import display_path

REPO = Path(__file__).resolve().parents[2]


def shown(path: Path) -> str:
    """A path as flows and problems name it."""
    return display_path(path, tilde=False)


BUILTIN_SILENT = shown(builtin_flows_dir() / "silent_call.yaml")


def _flow(folder: Path, flow_id: str, *, like: str = "greeting", extra: str = "") -> Path:
    """A user's flow file: a copy of a built-in flow under another id (plus ``extra`` top-level keys)."""
    text = (builtin_flows_dir() / f"{like}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"id: {like}\n", f"id: {flow_id}\n{extra}", 1)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{flow_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def user_dir(tmp_path: Path) -> Path:
    """The user flows folder: ``flows`` in the config folder every test gets (tests/conftest.py)."""
    return Path(os.environ["CALLSCRIPT_CONFIG_DIR"]) / "flows"


@pytest.fixture(autouse=True)
def no_option_dirs():
    yield
    use_flow_dirs([])


def callscript(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "callscript", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_a_flow_in_the_user_folder_extends_the_built_in_ones(user_dir: Path):
    _flow(user_dir, "my_greeting")
    flows = load_flows()
    assert "my_greeting" in flows and "greeting" in flows
    result = check_library()
    assert result.origins["my_greeting"] == "user" and result.origins["greeting"] == "built-in"
    assert [p for p in result.problems if p.severity == "error"] == []


def test_reusing_a_built_in_id_without_override_is_an_error_naming_both_files(user_dir: Path):
    path = _flow(user_dir, "silent_call", like="silent_call")
    problems = [p for p in check_library().problems if p.code == "duplicate-flow"]
    assert [p.render() for p in problems] == [
        f"{path}:1:1: error: id: flow id 'silent_call' is the id of a built-in flow ({BUILTIN_SILENT})\n"
        "  hint: give the flow its own id, or add 'override: true' to replace the built-in flow"
    ]
    # Loading leaves the user's file out (tests/flow/test_broken_user_flows.py): the built-in flow runs.
    assert load_flows()["silent_call"].path == BUILTIN_SILENT
    (left,) = load_library().left_out
    assert left.problem == problems[0] and left.builtin_kept


def test_override_replaces_the_built_in_flow_with_a_warning(user_dir: Path, capsys):
    path = _flow(user_dir, "silent_call", like="silent_call", extra="override: true\n")
    result = check_library()
    assert result.flows["silent_call"].path == str(path)
    assert result.replaced["silent_call"].path == BUILTIN_SILENT
    assert [(p.severity, p.code) for p in result.problems] == [("warning", "override")]
    flows = load_flows()
    load_flows()
    assert flows["silent_call"].path == str(path)
    warned = capsys.readouterr().err.splitlines()
    assert warned == [f"callscript: {path}:1:1: warning: flow 'silent_call' replaces the built-in flow of that "
                      f"id ({BUILTIN_SILENT})"], "said once per process"


def test_override_with_no_built_in_flow_to_replace_is_a_warning(user_dir: Path):
    _flow(user_dir, "my_greeting", extra="override: true\n")
    problems = check_library().problems
    assert [(p.code, p.message) for p in problems] == [
        ("override-nothing", "'override: true', but there is no built-in flow 'my_greeting'"),
    ]


def test_two_user_folders_may_not_share_an_id(user_dir: Path, tmp_path: Path, monkeypatch):
    _flow(user_dir, "my_greeting")
    other = _flow(tmp_path / "team", "my_greeting")
    monkeypatch.setenv("CALLSCRIPT_FLOWS", str(tmp_path / "team"))
    problems = [p for p in check_library().problems if p.severity == "error"]
    assert [(p.path, p.code) for p in problems] == [(str(other), "duplicate-flow")]


def test_a_user_situation_on_a_built_in_hotkey_is_reported(user_dir: Path):
    # silent_call's hotkey is 's'; a user's situation asks for the same key.
    _flow(user_dir, "my_silence", like="silent_call")
    problems = [p for p in check_library().problems if p.code == "duplicate-hotkey"]
    assert len(problems) == 1 and "hotkey 's' is also used by situation" in problems[0].message
    assert "my_silence" in problems[0].path or "silent_call" in problems[0].path


def test_flows_lists_every_flow_and_its_origin_from_any_folder(user_dir: Path, tmp_path: Path, monkeypatch):
    _flow(user_dir, "my_greeting")
    _flow(tmp_path / "option", "option_greeting")
    _flow(tmp_path / "env", "env_greeting")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("CALLSCRIPT_FLOWS", str(tmp_path / "env"))
    result = callscript("flows", "--json", "--flows", str(tmp_path / "option"), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert {rows[i]["origin"] for i in ("greeting", "silent_call")} == {"built-in"}
    assert (rows["my_greeting"]["origin"], rows["env_greeting"]["origin"], rows["option_greeting"]["origin"]) == (
        "user", "$CALLSCRIPT_FLOWS", "--flows")
    assert rows["silent_call"]["kind"] == "situation" and rows["silent_call"]["key"] == "s"


def test_every_command_finds_a_user_flow_by_id(user_dir: Path, tmp_path: Path):
    _flow(user_dir, "my_greeting")
    simulate = callscript("simulate", "my_greeting", "--json", cwd=tmp_path)
    assert simulate.returncode == 0, simulate.stderr
    assert json.loads(simulate.stdout.splitlines()[0])["flow"] == "my_greeting"
    graph = callscript("graph", "my_greeting", cwd=tmp_path)
    assert graph.returncode == 0 and graph.stdout.startswith(("flowchart", "graph", "stateDiagram")), graph
    check = callscript("check", cwd=tmp_path)
    assert (check.returncode, check.stdout.strip()) == (0, f"checked {len(load_flows())} flows: no problems")


def test_a_flow_given_with_flows_opens_without_the_word_run(tmp_path: Path):
    """``callscript my_flow --flows DIR`` is ``callscript run my_flow --flows DIR`` (here with
    --help, so no terminal is needed)."""
    _flow(tmp_path / "mine", "my_greeting")
    result = callscript("my_greeting", "--flows", str(tmp_path / "mine"), "--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("usage: callscript run"), result


def test_a_missing_flows_folder_is_one_message(tmp_path: Path):
    result = callscript("simulate", "silent_call", "--flows", "no_such_folder", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == ("error: the flows folder no_such_folder does not exist (from --flows)\n"
                             "  hint: name a folder of flow files (*.yaml)\n")


def test_an_edited_copy_given_by_path_still_replaces_the_flow_of_its_id(tmp_path: Path):
    copy = _flow(tmp_path / "copy", "silent_call", like="silent_call")
    flow, flows = resolve(str(copy))
    assert flow.path == str(copy) and flows["silent_call"] is flow


def test_flows_says_where_each_flow_and_folder_is(user_dir: Path, tmp_path: Path, monkeypatch, capsys):
    from callscript.cli import main

    mine = _flow(user_dir, "silent_call", like="silent_call", extra="override: true\n")
    monkeypatch.chdir(tmp_path)
    assert main(["flows"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ["flow folders:", f"  built-in           {shown(builtin_flows_dir())}",
                       "  user               config/flows", ""]
    assert f"silent_call             situation [s]  user       {shown(mine)}  (replaces the built-in flow)" in out
    assert out[-1] == "12 flows (1 of them yours)"


def test_flows_shows_where_the_user_folder_would_be(tmp_path: Path, monkeypatch, capsys):
    from callscript.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["flows"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        "  user               config/flows (not there yet: create it for your own flows)")
