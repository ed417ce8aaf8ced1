"""A session log never takes a call down: read-only, full and removed folders, and /dev/full.

Each test runs a real call through the real engine with the real logger on a real faulty disk (a
small tmpfs, mounted where the tests run as root; skipped elsewhere, saying why) and checks that
the call goes on, that every record is somewhere (a fallback folder, or memory until one works),
that the user is told once and that no empty log file is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.engine import CallEngine, ManualClock
from callscript.flow.library import load_flows
from callscript.session import log as session_log
from callscript.session.log import LogTrouble, SessionLog, read_log, watch_trouble
from tests.support.faults import fill, tmpfs

FLOWS = load_flows()


@pytest.fixture()
def fallback(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "fallback"
    monkeypatch.setenv(session_log.FALLBACK_DIR_ENV, str(folder))
    return folder


@pytest.fixture()
def told():
    heard: list[LogTrouble] = []
    stop = watch_trouble(heard.append)
    yield heard
    stop()


def work_call(log: SessionLog, *, midway=None) -> list[str]:
    """A whole silent call (the caller never speaks) into ``log``; ``midway(engine)`` runs after
    the first wait. Returns the kinds of the records the engine emitted, in order."""
    clock = ManualClock()
    kinds: list[str] = []
    engine = CallEngine(FLOWS, "silent_call", clock, listeners=[log, lambda r: kinds.append(r.kind)])
    engine.start()
    first = True
    while not engine.ended:
        engine.mark_said()
        wait = engine.current_wait()
        if wait is None:
            engine.end_call("agent_ended")
            break
        clock.set(wait.deadline)
        engine.poll()
        if first and midway is not None:
            midway(engine)
        first = False
    log.close()
    return kinds


def fill_then_note(folder: Path, engine: CallEngine) -> None:
    """Fill the disk, then log a note longer than the page tmpfs had left for the log."""
    fill(folder)
    engine.add_note("王先生说明天再打来。" * 800)


def kinds_in(path: Path) -> list[str]:
    contents = read_log(path)
    assert not contents.truncated
    return [r["type"] for r in contents.records]


def logs_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def test_a_log_folder_under_a_file_moves_the_call_to_the_fallback_folder(tmp_path, fallback, told):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    log = SessionLog.create(blocker / "sessions", "silent_call")
    emitted = work_call(log)
    assert emitted[0] == "call_started" and emitted[-1] == "call_ended"
    (saved,) = logs_in(fallback)
    assert kinds_in(saved) == emitted and log.path == saved
    assert [(t.reason, t.kept) for t in told] == [("Not a directory", saved)]
    assert "not saved to" in told[0].render() and str(saved) in told[0].render()


def test_a_read_only_log_folder_keeps_the_call_and_its_records(tmp_path, fallback, told):
    with tmpfs(tmp_path / "ro", read_only=True) as folder:
        log = SessionLog.create(folder, "silent_call")
        emitted = work_call(log)
        assert os.listdir(folder) == []
    (saved,) = logs_in(fallback)
    assert kinds_in(saved) == emitted
    assert told[0].reason == "Read-only file system" and told[0].kept == saved


def test_a_disk_that_fills_up_mid_call_loses_no_record_and_leaves_no_torn_file(tmp_path, fallback, told):
    with tmpfs(tmp_path / "small", size="16k") as folder:
        log = SessionLog.create(folder, "silent_call")
        emitted = work_call(log, midway=lambda engine: fill_then_note(folder, engine))
        assert logs_in(folder) == []  # the half on the full disk moved along with the rest
    (saved,) = logs_in(fallback)
    assert kinds_in(saved) == emitted
    assert [t.reason for t in told] == ["No space left on device"]


def test_a_full_disk_from_the_start_leaves_no_empty_file(tmp_path, fallback, told):
    with tmpfs(tmp_path / "small", size="16k") as folder:
        fill(folder)
        log = SessionLog.create(folder, "silent_call")
        emitted = work_call(log)
        assert logs_in(folder) == []
    assert kinds_in(logs_in(fallback)[0]) == emitted


def test_dev_full_as_the_log_is_left_alone_and_the_records_move(fallback, told):
    log = SessionLog(Path("/dev/full"))
    emitted = work_call(log)
    assert Path("/dev/full").exists()
    assert kinds_in(logs_in(fallback)[0]) == emitted
    assert told[0].reason == "No space left on device"


def test_a_log_folder_removed_mid_call_is_made_again_with_every_record(tmp_path, fallback, told):
    folder = tmp_path / "sessions"
    log = SessionLog.create(folder, "silent_call")
    emitted = work_call(log, midway=lambda engine: shutil.rmtree(folder))
    (saved,) = logs_in(folder)
    assert kinds_in(saved) == emitted
    assert told == [] and log.trouble is None  # back where it belongs: nothing to tell
    assert not fallback.exists()


def test_with_no_folder_to_write_records_wait_in_memory_then_move_when_one_works(tmp_path, monkeypatch, told):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(session_log.FALLBACK_DIR_ENV, str(blocker / "fallback"))
    monkeypatch.setattr(session_log, "RETRY_EVERY", 0.0)
    log = SessionLog.create(blocker / "sessions", "silent_call")
    log.write({"type": "call_started", "t": 0})
    log.write({"type": "note", "t": 1, "text": "王先生"})
    assert log.in_memory == 2 and log.trouble is not None and log.trouble.kept is None
    assert [t.kept for t in told] == [None]
    blocker.unlink()  # the folder can be made now
    log.write({"type": "call_ended", "t": 2})
    log.close()
    assert log.in_memory == 0
    assert kinds_in(log.path) == ["call_started", "note", "call_ended"]
    assert log.path.parent == blocker / "sessions"  # its own folder works again


@pytest.mark.parametrize("target", ["/dev/full", "{tmp}/file/x.jsonl"])
def test_simulate_to_an_unwritable_log_exits_1_with_one_line(tmp_path, target):
    (tmp_path / "file").write_text("x")
    result = subprocess.run([sys.executable, "-m", "callscript", "simulate", "silent_call", "--log",
                             target.format(tmp=tmp_path)], capture_output=True, text=True, check=False,
                            env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write the session log" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_the_log_lines_are_whole_json_records(tmp_path, fallback):
    """What moves to the fallback is byte for byte what would have been written."""
    with tmpfs(tmp_path / "small", size="16k") as folder:
        log = SessionLog.create(folder, "silent_call")
        work_call(log, midway=lambda engine: fill_then_note(folder, engine))
    for line in logs_in(fallback)[0].read_text("utf-8").splitlines():
        assert isinstance(json.loads(line), dict)


def test_a_link_planted_in_the_temporary_folder_does_not_receive_the_records(tmp_path, monkeypatch, told):
    """The default fallback is /tmp/callscript-UID: a link someone put there in advance (to a folder
    they can read) is refused, and nothing is made through it."""
    import tempfile

    shared_tmp = tmp_path / "tmp"
    victim = tmp_path / "elsewhere"
    shared_tmp.mkdir()
    victim.mkdir()
    (shared_tmp / f"callscript-{os.getuid()}").symlink_to(victim)
    monkeypatch.delenv(session_log.FALLBACK_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(shared_tmp))
    monkeypatch.setattr(session_log, "RETRY_EVERY", 3600.0)
    (tmp_path / "logs").write_text("x")
    log = SessionLog.create(tmp_path / "logs", "silent_call")
    log.write({"type": "call_started", "t": 0})
    assert log.in_memory == 1 and [t.kept for t in told] == [None]
    assert list(victim.iterdir()) == []
