"""The tolerant session-log reader: bad lines are skipped and named, never fatal; fuzzed with
hypothesis so that only the documented error type (``LogError``, for a file that cannot be
opened) ever leaves it.

The logs start from a real call written by the real engine and ``SessionLog``; the faults are
then put into them line by line, as a crash, an editor or a crafted file would.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscript.app.replay import build_rows, load_replay
from callscript.i18n import Messages
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.session import reader
from callscript.session.log import SessionLog, read_log
from callscript.session.reader import MAX_DEPTH, Skipped, iter_records, parse_record
from callscript.training.report import build_report, render_html, render_text
from callscript.training.timeline import load_timelines

FIXTURES = Path(__file__).parent / "logs"


@cache
def flows():
    return load_flows()


def real_call(log_dir: Path, name: str = "call") -> Path:
    """The silent call worked by the engine with the real session log: lines said, waits run."""
    clock = ManualClock(100.0)
    log = SessionLog.create(log_dir, name, wall=lambda: 1.7e9 + clock.now())
    engine = CallEngine(flows(), "main_call", clock, variables={"agent": "A1"}, listeners=[log])
    engine.start()
    engine.enter_situation("silent_call")
    for _ in range(3):
        clock.advance(2.0)
        engine.mark_said()
        clock.advance(5.0)
        engine.poll()
    log.close()
    return log.path


BAD_LINES = {
    "not UTF-8 text": b"\xff\xfe\x00 not text",
    "not JSON": b"{not json",
    "not a JSON object": b"[1, 2, 3]",
    "NaN is not a number a session log holds": b'{"type": "event", "t": NaN}',
    "Infinity is not a number a session log holds": b'{"type": "event", "t": Infinity}',
    "'t' should be a number": b'{"type": "event", "t": null}',
    "'flow' should be text": b'{"type": "step_entered", "t": 1, "flow": 7}',
    "'matched' should be true or false": b'{"type": "event", "t": 1, "matched": "yes"}',
    "'variables' should be an object of texts, numbers, true/false or null":
        b'{"type": "call_started", "t": 0, "variables": {"agent": {"x": 1}}}',
    "no 'type' field": b'{"t": 1}',
    f"nested deeper than {MAX_DEPTH} levels": b'{"type": "note", "t": 1, "detail": ' + b"[" * 50 + b"]" * 50 + b"}",
    "holds a lone UTF-16 surrogate": b'{"type": "note", "t": 1, "text": "\\ud800"}',
}


@pytest.mark.parametrize("reason", list(BAD_LINES))
def test_each_kind_of_bad_line_is_refused_with_its_reason(reason):
    assert parse_record(BAD_LINES[reason]) == reason


def test_a_huge_number_or_float_overflow_is_refused_not_a_crash():
    for line in (b'{"type": "event", "t": 1e400}', b'{"type": "event", "t": ' + b"9" * 400 + b"}"):
        assert isinstance(parse_record(line), str)


def test_bad_lines_in_the_middle_are_skipped_and_named_and_the_call_still_replays(tmp_path):
    path = real_call(tmp_path)
    good = read_log(path).records
    lines = path.read_bytes().splitlines(keepends=True)
    for offset, bad in enumerate(BAD_LINES.values()):
        lines.insert(3 + 2 * offset, bad + b"\n")
    path.write_bytes(b"".join(lines))

    contents = read_log(path)
    assert contents.records == good
    assert contents.skipped.count == len(BAD_LINES)
    assert contents.skipped.summary().startswith(f"{len(BAD_LINES)} records skipped: {path}:4, {path}:6, {path}:8")
    replay = load_replay(path, flows())
    assert replay.skipped.count == len(BAD_LINES)
    assert replay.timeline.outcome == "hang_up"
    report = build_report([path], flows())
    assert report.bad_lines == len(BAD_LINES) and report.overall["calls"] == 1
    assert f"({len(BAD_LINES)} records skipped: {path}:4" in render_text(report)
    render_html(report)


def test_an_overlong_line_is_skipped_without_being_held_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(reader, "CHUNK", 256)
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"type": "a", "t": 0}\n{"type": "note", "t": 1, "text": "' + b"x" * 5000 + b'"}\n'
                     b'{"type": "b", "t": 2}\n')
    skipped = Skipped()
    assert [r["type"] for _, _, r in iter_records(path, skipped)] == ["a", "b"]
    assert skipped.reasons() == [f"{path}:2: line longer than 1,000 bytes"]


def test_records_are_found_at_their_offsets_whatever_the_chunk_size(tmp_path, monkeypatch):
    path = real_call(tmp_path)
    data = path.read_bytes()
    whole = list(iter_records(path, Skipped()))
    monkeypatch.setattr(reader, "CHUNK", 7)
    assert list(iter_records(path, Skipped())) == whole
    for number, offset, record in whole:
        assert json.loads(data[offset:data.index(b"\n", offset)]) == record
        assert data[:offset].count(b"\n") == number - 1


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.jsonl")))
def test_logs_written_by_earlier_versions_still_read(fixture):
    """Logs kept from earlier callscript versions replay and report with nothing skipped."""
    path = FIXTURES / fixture
    timelines = load_timelines(path, flows(), skipped := Skipped())
    assert timelines and skipped.count == 0
    assert build_rows(timelines[-1], Messages("en"), flows())
    assert build_report([path], flows()).overall["calls"] == len(timelines)


# -- fuzzing -------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
FIELD = st.sampled_from(sorted(reader.FIELD_TYPES) + ["x", "variables", "detail"])
RECORDISH = st.dictionaries(FIELD, JSON, max_size=8).map(lambda d: {"type": "event", "t": 1.0, **d})


def _line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


LINES = st.one_of(
    st.binary(max_size=200),
    JSON.map(_line),
    RECORDISH.map(_line),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
)
COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_fuzzing_counts():
    """How much the fuzzing tried, printed at the end of this module (``pytest -s`` shows it)."""
    yield
    if COUNTS:
        print(f"\nlog reader fuzzing: {COUNTS}")


def _fuzzed_log(folder: Path, lines: list[bytes]) -> Path:
    path = folder / "f.jsonl"
    start = b'{"type": "call_started", "t": 0, "mono": 0, "flow": "silent_call", "variables": {"agent": "z"}}\n'
    path.write_bytes(start + b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n")
    return path


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=12))
def test_fuzzed_logs_read_and_replay_with_nothing_but_counted_skips(tmp_path_factory, lines):
    COUNTS["logs read"] = COUNTS.get("logs read", 0) + 1
    COUNTS["lines"] = COUNTS.get("lines", 0) + len(lines)
    path = _fuzzed_log(tmp_path_factory.mktemp("fuzz"), lines)
    skipped = Skipped()
    records = [r for _, _, r in iter_records(path, skipped)]
    assert len(records) + skipped.count <= len(lines) + 1
    for record in records:  # every record that passed has fields of the documented types
        for key, (allowed, _) in reader.FIELD_TYPES.items():
            if key in record:
                assert type(record[key]) in allowed
    COUNTS["skipped"] = COUNTS.get("skipped", 0) + skipped.count
    for timeline in load_timelines(path, flows()):
        build_rows(timeline, Messages("en"), flows())
    try:
        replay = load_replay(path, flows())
    except CallscriptError as exc:  # the one documented error: e.g. a flow that is not installed
        COUNTS["replay refused"] = COUNTS.get("replay refused", 0) + 1
        assert "Traceback" not in exc.render()
        return
    build_rows(replay.timeline, Messages("zh"), flows())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=12))
def test_fuzzed_logs_make_a_report_in_text_and_html(tmp_path_factory, lines):
    COUNTS["logs reported"] = COUNTS.get("logs reported", 0) + 1
    report = build_report([_fuzzed_log(tmp_path_factory.mktemp("fuzz"), lines)], flows())
    render_text(report)
    render_html(report)


# -- the typed fast path (msgspec) takes exactly what parse_record takes -------------------------

EDGES = [
    b'{"type": "e\x01", "t": 1}', b'\x0c{"type": "e", "t": 1}', b'{"type": "e", "t": 1}\x0b', b' {"type": "e", "t": 1}\r',
    b'{"type": "e", "t": 1, "t": "x"}', b'{"type": "e", "t": "x", "t": 1}', b'{"type": "e", "t": 1, "x": ' + b"9" * 30 + b"}",
    b'{"type": "e", "t": 1, "detail": {"n": ' + b"9" * 30 + b"}}", b'{"type": "e", "t": 1, "value": ' + b"9" * 30 + b"}",
    b'{"type": "e", "t": 1, "x": "\xff"}', b'{"type": "e", "t": 1, "variables": {"\xff": 1}}',
    b'{"type": "e", "t": 1, "text": "\\ud800x"}', b'{"type": "e", "t": 1, "text": "\\udc00"}',
    b'{"type": "e", "t": 1e12, "mono": -1e12, "depth": 1000, "value": 1000000000000}',
    b'{"type": "e", "t": 1.0000001e12}', b'{"type": "e", "t": 1, "depth": -1}', b'{"type": "e", "t": 1, "depth": true}',
    b'{"type": "e", "t": true}', b'{"type": "e", "t": 1, "value": [1]}', b'{"type": "e", "t": 1, "situations": ["a", 1]}',
    b'{"type": "e", "t": 1, "variables": {"a": {"b": 1}}}', b'{"type": "e", "t": 1, "say": null, "flow": null}',
    b'{"type": "e", "t": -0.0, "seconds": 1E3, "rate": 1e-300}', b'{"type": "e", "t": 1,}', b"{}", b"[]", b"null",
]


def _same(line: bytes) -> None:
    record, typed = parse_record(line), reader.typed_parser()(line)
    if isinstance(record, str):
        assert typed == record, line
    else:
        assert not isinstance(typed, str), (line, typed)
        for key in reader.FIELD_TYPES:
            value = getattr(typed, key)
            assert value == record.get(key) and type(value) is type(record.get(key)), (line, key)


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson", "stdlib"])
def test_the_typed_parser_takes_the_lines_parse_record_takes_with_the_same_values(tmp_path, monkeypatch, orjson):
    if not orjson:
        monkeypatch.setattr(reader, "_fast_loads", None)
    real = real_call(tmp_path).read_bytes().splitlines()
    for line in [*BAD_LINES.values(), *EDGES, *real]:
        _same(line)


@settings(max_examples=2000, deadline=None)
@given(LINES)
def test_fuzzed_lines_read_alike_through_the_typed_parser(line):
    _same(line.replace(b"\n", b" "))
