"""Inputs that are not regular files: FIFOs, devices, folders named like files, symlink loops.

Each was a hang, a MemoryError, a wrong message or a silent pass before; now each is one line
naming the file and what it is, and a non-zero exit. The commands run in a subprocess with a
timeout, so a reader that blocks on a FIFO fails the test instead of stalling it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.app.replay import load_replay
from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.safeio import read_limited
from callscript.training.report import build_report

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CALLSCRIPT_NO_AUDIO": "1"}
    return subprocess.run([sys.executable, "-m", "callscript", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture()
def odd(tmp_path: Path) -> Path:
    """A folder of things that are named like flows and logs but are not regular files."""
    for name in ("fifo.yaml", "fifo.jsonl"):
        os.mkfifo(tmp_path / name)
    for name in ("dir.yaml", "dir.jsonl"):
        (tmp_path / name).mkdir()
    for name in ("loop.yaml", "loop.jsonl"):
        (tmp_path / name).symlink_to(name)
    for name in ("zero.yaml", "zero.jsonl"):
        (tmp_path / name).symlink_to("/dev/zero")
    return tmp_path


@pytest.mark.parametrize("name, says", [
    ("fifo.yaml", "this is a named pipe (FIFO), not a flow file"),
    ("dir.yaml", "this is a folder, not a flow file"),
    ("loop.yaml", "symlink loop: the link points (through other links) back at itself"),
    ("zero.yaml", "this is a character device, not a flow file"),
])
def test_check_refuses_what_is_not_a_regular_flow_file_in_one_line(odd, name, says):
    result = cli("check", name, cwd=odd)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[0] == f"{name}: error: {says}"


def test_a_folder_of_flows_reports_the_odd_entries_instead_of_hanging(odd):
    result = cli("check", ".", "--no-lint", cwd=odd)
    assert result.returncode == 1
    for name in ("fifo.yaml", "dir.yaml", "loop.yaml", "zero.yaml"):
        assert f"{name}: error: " in result.stdout


@pytest.mark.parametrize("name, says", [
    ("fifo.jsonl", "this is a named pipe (FIFO), not a session log"),
    ("dir.jsonl", "this is a folder, not a session log"),
    ("loop.jsonl", "symlink loop"),
    ("zero.jsonl", "this is a character device, not a session log"),
])
def test_replay_refuses_what_is_not_a_regular_log_in_one_line(odd, name, says):
    result = cli("replay", name, cwd=odd)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{name}: error: {says}")
    with pytest.raises(CallscriptError, match=says.split(" (")[0]):
        load_replay(odd / name, load_flows())


def test_the_report_counts_odd_log_files_and_goes_on(odd, tmp_path):
    (odd / "note.jsonl").write_text('{"type": "call_started", "t": 0, "flow": "main_call"}\n', encoding="utf-8")
    report = build_report([odd], load_flows())
    assert report.overall["calls"] == 1
    assert report.unreadable_files == 3  # fifo, loop, zero (dir.jsonl is a folder of no logs)
    assert any("named pipe" in u for u in report.unreadable) and any("symlink loop" in u for u in report.unreadable)


def test_the_size_limit_holds_while_reading_not_only_before(tmp_path):
    """/dev/zero has size 0 to stat; a file that grows does too: the read itself stops at the limit."""
    grows = tmp_path / "grows.yaml"
    grows.write_bytes(b"a: 1\n")
    with pytest.raises(CallscriptError, match="file is too large"):
        read_limited(grows, 3)
    assert read_limited(grows, 5) == b"a: 1\n"


def test_a_dangling_symlink_is_named_as_one(tmp_path):
    (tmp_path / "gone.yaml").symlink_to("nowhere.yaml")
    result = cli("check", "gone.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("gone.yaml: error: the symlink leads to nothing: nowhere.yaml does not exist")
