"""The records a live call writes (``said_lines``, ``say`` on ``said``, ``suggestion``, ``went_on``)
are documented and read by both readers: the dict reader and the typed (msgspec) one keep every
field, and a field of the wrong type is skipped like any other."""

from __future__ import annotations

import json
import re
from pathlib import Path

from callscript.engine import ManualClock
from callscript.live import LiveCall
from callscript.live.signals import LineCondition
from callscript.session import reader
from callscript.session.reader import Skipped, iter_lines, parse_record

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "session-log.md"


def live_log(flows, tmp_path) -> Path:
    """A live call started on the silent call: a suggestion shown and accepted, and the call going
    on into main_call (every record type the live call adds)."""
    clock = ManualClock()
    call = LiveCall.open(flows, "silent_call", clock=clock, log_dir=tmp_path, then_flow="main_call")
    call.start()
    call.say_done()
    clock.advance(1.0)
    call.hear(LineCondition("speech_started"))  # the silent call returns: the call goes on
    clock.advance(1.0)
    call.hear(LineCondition("speech_stopped"))
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    clock.advance(5.0)
    call.poll()
    assert call.accept()
    call.close()
    return call.log_path


def test_every_record_type_the_live_call_writes_is_documented():
    text = DOC.read_text(encoding="utf-8")
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "callscript" / "live").glob("*.py"))
    kinds = set(re.findall(r'"type": "(\w+)"', source))
    assert kinds >= {"suggestion", "line_audio"}
    for kind in kinds:
        assert f"| `{kind}` |" in text, kind
    assert "`said_lines`" in text


def test_the_typed_reader_keeps_the_new_fields(tmp_path):
    from callscript.flow.library import load_flows

    path = live_log(load_flows(), tmp_path)
    typed = [r for *_, r in iter_lines(path, Skipped(), parse=reader.typed_parser())]
    plain = [r for *_, r in iter_lines(path, Skipped())]
    assert len(typed) == len(plain)
    for struct, record in zip(typed, plain):
        for key in reader.FIELD_TYPES:
            assert getattr(struct, key) == record.get(key), (key, record)
    started = typed[0]
    assert started.type == "call_started" and started.said_lines is True
    states = [(r.state, r.flow, r.condition, r.why) for r in typed if r.type == "suggestion"]
    assert states == [("shown", "silent_call", "silence", None), ("accepted", "silent_call", "silence", None)]
    went = [(r.flow, r.step, r.from_flow) for r in typed if r.type == "went_on"]
    assert went == [("main_call", "greet", "silent_call")]
    assert all(r.say for r in typed if r.type == "said")


def test_the_new_fields_with_the_wrong_type_are_skipped_by_both_readers():
    parse = reader.typed_parser()
    for bad in ({"said_lines": "yes"}, {"state": 3}, {"since": "now"}, {"why": None}):
        line = json.dumps({"type": "suggestion", "t": 1.0, **bad}).encode()
        assert isinstance(parse_record(line), str), bad
        assert isinstance(parse(line), str), bad
