"""The session log survives a killed process and reads back what was written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callscript.engine import CallEngine, ManualClock
from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.session.log import SessionLog, read_log

WRITER = """
import sys, time
from pathlib import Path
from callscript.engine import CallEngine, MonotonicClock
from callscript.flow.library import load_flows
from callscript.session.log import SessionLog
log = SessionLog(Path(sys.argv[1]))
engine = CallEngine(load_flows(), "silent_call", MonotonicClock(), listeners=[log])
engine.start()
engine.mark_said()
engine.add_note("first note")
print("ready", flush=True)
time.sleep(60)  # the test kills us here, mid-call
"""


def test_killed_process_leaves_a_readable_log_up_to_the_last_event(tmp_path: Path):
    path = tmp_path / "call.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    contents = read_log(path)
    kinds = [r["type"] for r in contents.records]
    assert kinds == ["call_started", "step_entered", "said", "note"]
    assert contents.records[-1]["text"] == "first note"
    assert not contents.truncated and not contents.ended
    for record in contents.records:
        assert {"t", "mono", "wall"} <= record.keys()


def test_reader_drops_a_torn_last_line_and_says_so(tmp_path: Path):
    path = tmp_path / "torn.jsonl"
    path.write_text('{"type": "call_started", "t": 0}\n{"type": "step_ent', encoding="utf-8")
    contents = read_log(path)
    assert [r["type"] for r in contents.records] == ["call_started"]
    assert contents.truncated


def test_reader_skips_corruption_in_the_middle_and_says_where(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "a", "t": 0}\nnot json\n{"type": "b", "t": 1}\n', encoding="utf-8")
    contents = read_log(path)
    assert [r["type"] for r in contents.records] == ["a", "b"]
    assert contents.skipped.summary() == f"1 record skipped: {path}:2"
    assert not contents.truncated


def test_log_records_whole_call_with_wall_and_monotonic_time(tmp_path: Path):
    clock = ManualClock(1000.0)
    with SessionLog.create(tmp_path, "silent_call", wall=lambda: 1_700_000_000.0) as log:
        engine = CallEngine(load_flows(), "silent_call", clock, listeners=[log], auto_said=True)
        engine.start()
        clock.advance(20)
        engine.poll()
        path = log.path
    contents = read_log(path)
    assert contents.ended
    steps = [(r["t"], r["step"]) for r in contents.records if r["type"] == "step_entered"]
    assert [t for t, _ in steps] == [0, 5, 10, 15]
    assert contents.records[0]["mono"] == 1000.0
    assert contents.records[0]["wall"].startswith("2023-11-14T22:13:20")
    assert path.name.endswith("-silent_call.jsonl")


def test_log_names_never_collide(tmp_path: Path):
    paths = {SessionLog.create(tmp_path, "x", wall=lambda: 0.0).path for _ in range(3)}
    assert len(paths) == 3
