"""A trainer's broken flow file never stops a shift: it is left out (with every flow that goes to
it), the built-in flows and the user's good ones work, and the user is told once, in the interface
language, which file is left out, where and what to do. A command told to run the broken flow
gives its one error; ``callscript check`` still reports it. Real files in the user flows folder,
real ``callscript`` processes, the real app under a Pilot."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.data import builtin_flows_dir
from callscript.flow.library import load_flows, load_library, resolve
from callscript.flow.problems import FlowError
from callscript.paths import display_path

REPO = Path(__file__).resolve().parents[2]

BROKEN = """\
id: broken
title: {zh: 坏流程, en: Broken}
language: zh-CN
gloss: A flow whose event goes to a step that is not there.
source: {document: x.txt, section: s}
start: greet
steps:
  greet:
    say: 您好!
    gloss: Hello!
    on:
      - event: next
        label: {zh: 下一步, en: Next}
        to: nowhere
"""

# A user's flow that hands the call over to the broken one.
USES_BROKEN = """\
id: uses_broken
title: {zh: 转到坏流程, en: Goes to the broken flow}
language: zh-CN
gloss: Hands the call to the broken flow.
source: {document: x.txt, section: s}
start: greet
steps:
  greet:
    say: 您好!
    gloss: Hello!
    on:
      - event: next
        label: {zh: 下一步, en: Next}
        flow: broken
"""


@pytest.fixture()
def user_dir() -> Path:
    """The user flows folder of the config folder every test gets (tests/conftest.py)."""
    folder = Path(os.environ["CALLSCRIPT_CONFIG_DIR"]) / "flows"
    folder.mkdir(parents=True)
    return folder


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def good_flow(folder: Path, flow_id: str, *, like: str = "greeting", extra: str = "") -> Path:
    """A copy of a built-in flow under another id (plus ``extra`` top-level keys)."""
    text = (builtin_flows_dir() / f"{like}.yaml").read_text(encoding="utf-8")
    return write(folder, f"{flow_id}.yaml", text.replace(f"id: {like}\n", f"id: {flow_id}\n{extra}", 1))


def callscript(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "callscript", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def shown(path: Path) -> str:
    """A path as flows and problems name it in this process."""
    return display_path(path, tilde=False)


def named(path: Path, cwd: Path) -> str:
    """A path as a ``callscript`` process started in ``cwd`` names it."""
    return os.path.relpath(path, cwd)


def test_a_broken_user_flow_is_left_out_and_every_other_flow_loads(user_dir: Path, capsys):
    broken = write(user_dir, "broken.yaml", BROKEN)
    good_flow(user_dir, "my_greeting")
    flows = load_flows()
    load_flows()
    assert "broken" not in flows
    assert {"main_call", "silent_call", "my_greeting"} <= set(flows)
    said = capsys.readouterr().err
    where = f"{shown(broken)}:12:9"
    assert said == (f"callscript: {where}: error: step 'greet' -> on[0] -> to: step 'nowhere' does not exist\n"
                    "  hint: name one of the steps\n"
                    f"  note: {shown(broken)} is left out, the other flows work; "
                    f"'callscript check {shown(broken)}' shows its problems\n"), "said once per process"


def test_the_commands_run_the_other_flows_and_say_once_in_the_interface_language(user_dir: Path, tmp_path: Path):
    broken = write(user_dir, "broken.yaml", BROKEN)
    result = callscript("simulate", "main_call", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"flow":"main_call"' in result.stdout.splitlines()[0].replace(" ", "")
    notice = [line for line in result.stderr.splitlines() if not line.startswith("note: the call is waiting")]
    assert notice == [
        f"callscript: 有一个流程文件未载入,其他流程照常可用:{named(broken, tmp_path)}",
        f"{named(broken, tmp_path)}:12:9: error: step 'greet' -> on[0] -> to: step 'nowhere' does not exist",
        "  hint: name one of the steps",
        f"  查看其中所有问题:callscript check {named(broken, tmp_path)}",
    ]
    (user_dir.parent / "settings.toml").write_text('interface_language = "en"\n', encoding="utf-8")
    english = callscript("simulate", "silent_call", cwd=tmp_path)
    assert english.returncode == 0, english.stderr
    assert english.stderr.splitlines()[0] == f"callscript: A flow file is left out; the other flows work: {named(broken, tmp_path)}"
    assert english.stderr.splitlines()[3] == f"  To see every problem in it: callscript check {named(broken, tmp_path)}"


def test_a_command_told_to_run_the_broken_flow_gives_its_one_error(user_dir: Path, tmp_path: Path):
    broken = write(user_dir, "broken.yaml", BROKEN)
    for name in ("broken", str(broken)):
        result = callscript("simulate", name, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (f"{named(broken, tmp_path)}:12:9: error: step 'greet' -> on[0] -> to: step 'nowhere' "
                                 "does not exist\n  hint: name one of the steps\n")
    with pytest.raises(FlowError):
        resolve("broken")


def test_check_still_reports_the_broken_flow(user_dir: Path, tmp_path: Path):
    broken = write(user_dir, "broken.yaml", BROKEN)
    result = callscript("check", cwd=tmp_path)
    assert result.returncode == 1
    assert f"{named(broken, tmp_path)}:12:9: error: step 'greet' -> on[0] -> to: step 'nowhere' does not exist" in result.stdout


def test_a_flow_that_goes_to_the_broken_one_is_left_out_too_with_its_reason(user_dir: Path, tmp_path: Path):
    broken = write(user_dir, "broken.yaml", BROKEN)
    uses = write(user_dir, "uses_broken.yaml", USES_BROKEN)
    library = load_library()
    assert "uses_broken" not in library.flows and "broken" not in library.flows
    (needing,) = [o for o in library.left_out if o.flow_id == "uses_broken"]
    assert (needing.needs, needing.needs_path) == ("broken", shown(broken))
    result = callscript("simulate", "uses_broken", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"{named(uses, tmp_path)}:12:9: error: flow 'uses_broken' goes to flow 'broken', which cannot "
                             f"be used\n  hint: fix {named(broken, tmp_path)} first: 'callscript check {named(broken, tmp_path)}' "
                             "shows its problems\n")
    said = callscript("simulate", "silent_call", cwd=tmp_path).stderr
    assert (f"callscript: 有一个流程文件未载入:{named(uses, tmp_path)}:12:9:流程 'uses_broken' 会转到流程 'broken',"
            "而该流程未载入。") in said.splitlines()


def test_a_broken_override_leaves_the_built_in_flow_in_use_with_the_warning(user_dir: Path, tmp_path: Path):
    text = (builtin_flows_dir() / "silent_call.yaml").read_text(encoding="utf-8")
    text = text.replace("id: silent_call\n", "id: silent_call\noverride: true\n", 1).replace(
        "to: greet_again", "to: greet_againn", 1)
    mine = write(user_dir, "silent_call.yaml", text)
    library = load_library()
    assert library.flows["silent_call"].path == shown(builtin_flows_dir() / "silent_call.yaml")
    assert library.origins["silent_call"] == "built-in" and library.overrides == []
    (left,) = library.left_out
    assert left.builtin_kept and left.path == shown(mine)
    result = callscript("simulate", "silent_call", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[1] == "silent_call/greet_again", "the built-in flow ran"
    assert result.stderr.splitlines()[0] == f"callscript: 有一个流程文件未载入,改用内置流程 'silent_call':{named(mine, tmp_path)}"


def test_an_unreadable_override_leaves_the_built_in_flow_in_use(user_dir: Path):
    mine = write(user_dir, "silent_call.yaml", "id: silent_call\noverride: true\nsteps: [\n")
    library = load_library()
    assert library.origins["silent_call"] == "built-in"
    (left,) = library.left_out
    assert (left.path, left.flow_id, left.builtin_kept) == (shown(mine), "silent_call", True)


def test_an_override_that_breaks_a_built_in_flow_is_left_out(user_dir: Path):
    """main_call calls complaint; a user's complaint that calls main_call back would nest without
    end. The built-in flows work together, so the user's flow is what is left out."""
    write(user_dir, "complaint.yaml", USES_BROKEN.replace("id: uses_broken", "id: complaint\noverride: true")
          .replace("flow: broken", "call: main_call\n      - event: done\n        label: {zh: 好, en: Done}\n"
                   "        to: bye\n  bye:\n    end: return"))
    library = load_library()
    assert library.origins["complaint"] == "built-in"
    assert [o.flow_id for o in library.left_out] == ["complaint"]
    assert library.left_out[0].problem.code in ("call-cycle", "breaks-built-in")


def test_a_user_flow_reusing_a_built_in_id_is_left_out_and_the_built_in_one_runs(user_dir: Path):
    good_flow(user_dir, "silent_call", like="silent_call")
    library = load_library()
    assert library.origins["silent_call"] == "built-in"
    assert [(o.flow_id, o.problem.code, o.builtin_kept) for o in library.left_out] == [
        ("silent_call", "duplicate-flow", True)]


def test_the_app_shows_what_was_left_out_in_the_interface_language(user_dir: Path, tmp_path: Path):
    from callscript.app.app import make_app
    from callscript.settings import Settings

    broken = write(user_dir, "broken.yaml", BROKEN)
    library = load_library()
    app = make_app(library.flows, log_dir=tmp_path / "logs", settings=Settings(interface_language="en"),
                   flow_notices=library.notices)

    async def scenario() -> None:
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.pause()
            (notice,) = [n.message for n in app._notifications]
            assert notice.splitlines()[0] == f"A flow file is left out; the other flows work: {shown(broken)}"
            assert notice.splitlines()[-1] == f"  To see every problem in it: callscript check {shown(broken)}"

    asyncio.run(scenario())


def test_flows_lists_what_a_call_can_use_and_names_each_file_left_out(user_dir: Path, tmp_path: Path):
    broken = write(user_dir, "broken.yaml", BROKEN)
    good_flow(user_dir, "my_greeting")
    result = callscript("flows", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("broken ")], "a left-out flow is not listed as usable"
    assert lines[-3:] == [
        "13 flows (1 of them yours)",
        f"left out: {named(broken, tmp_path)}:12:9: error: step 'greet' -> on[0] -> to: step 'nowhere' does not exist",
        f"  ('callscript check {named(broken, tmp_path)}' shows every problem)",
    ]
    assert result.stderr == ("callscript flows: 1 flow file(s) left out for errors; 'callscript check' shows them\n")
    as_json = [json.loads(line) for line in callscript("flows", "--json", cwd=tmp_path).stdout.splitlines()]
    assert as_json[-1] == {"id": "broken", "path": named(broken, tmp_path), "left_out": (
        f"{named(broken, tmp_path)}:12:9: error: step 'greet' -> on[0] -> to: step 'nowhere' does not exist")}


def test_the_study_app_shows_what_was_left_out_too(user_dir: Path, tmp_path: Path):
    from callscript.app.study import make_study_app
    from callscript.engine import ManualClock
    from callscript.settings import Settings
    from callscript.training.progress import ProgressStore

    broken = write(user_dir, "broken.yaml", BROKEN)
    library = load_library()
    app = make_study_app(library.flows, clock=ManualClock(), log_dir=tmp_path / "logs", trainee="amy",
                         settings=Settings(interface_language="zh"), store=ProgressStore(tmp_path / "p.sqlite"),
                         flow_notices=library.notices)

    async def scenario() -> None:
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.pause()
            notices = [n.message for n in app._notifications]
            assert [n.splitlines()[0] for n in notices if "流程文件" in n] == [
                f"有一个流程文件未载入,其他流程照常可用:{shown(broken)}"], notices

    asyncio.run(scenario())


def test_a_chain_of_flows_going_to_the_broken_one_is_left_out_link_by_link(user_dir: Path):
    write(user_dir, "broken.yaml", BROKEN)
    write(user_dir, "uses_broken.yaml", USES_BROKEN)
    write(user_dir, "uses_uses.yaml", USES_BROKEN.replace("id: uses_broken", "id: uses_uses")
          .replace("flow: broken", "call: uses_broken\n      - event: done\n        label: {zh: 好, en: Done}\n"
                   "        to: bye\n  bye:\n    end: hang_up"))
    good_flow(user_dir, "my_greeting")
    library = load_library()
    assert "my_greeting" in library.flows
    assert {o.flow_id: o.needs for o in library.left_out} == {
        "broken": None, "uses_broken": "broken", "uses_uses": "uses_broken"}
    with pytest.raises(Exception, match="flow 'uses_uses' goes to flow 'uses_broken', which cannot be used"):
        resolve("uses_uses")
