"""The team report over session logs written by the real engine.

The numbers DuckDB computes are checked against an independent count in plain Python over the
same logs (read with ``callscript.session.log.read_log``), and against hand-driven calls whose
numbers are known exactly.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest

from callscript.cli import main
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.flow.model import End
from callscript.session.log import SessionLog, read_log
from callscript.training.report import build_report, render_html, render_text
from callscript.training.synthetic import generate_logs


@cache
def flows():
    return load_flows()


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("logs")
    generate_logs(out, 150, seed=11, agents=6, flows=flows())
    return out


# -- an independent count in Python ----------------------------------------------------------------


def callback_steps(flow) -> set[str]:
    hang_ups = {s.id for s in flow.steps.values() if s.end is End.HANG_UP}
    return {s.id for s in flow.steps.values() if s.say and any(t.is_timed and t.to in hang_ups for t in s.on)}


def required(flow_id, step_id):
    flow = flows().get(flow_id)
    step = flow.steps.get(step_id) if flow else None
    timed = [t.seconds for t in step.on if t.is_timed] if step else []
    return min(timed) if timed else None


def count_in_python(root: Path) -> dict:
    per_agent: dict[str, Counter] = defaultdict(Counter)
    bad = 0
    for path in sorted(root.rglob("*.jsonl")):
        contents = read_log(path)
        bad += contents.truncated
        calls, current = [], None
        for record in contents.records:
            if record["type"] == "call_started":
                current = []
                calls.append(current)
            if current is not None:
                current.append(record)
        for records in calls:
            agent = records[0]["variables"].get("agent", "(unknown)")
            live = any(r["type"] == "said" for r in records)
            ended = next((r for r in records if r["type"] == "call_ended"), None)
            outcome = ended["end"] if ended else "incomplete"
            c = per_agent[agent]
            c["calls"] += 1
            c["premature_hang_ups"] += outcome == "agent_ended"
            c["incomplete"] += outcome == "incomplete"
            c["situations_met"] += sum(r["type"] == "situation_entered" for r in records)
            visits, visit = [], None
            for r in records:
                if r["type"] == "step_entered":
                    if visit:
                        visit["left_at"] = r["mono"]
                    visit = {"flow": r["flow"], "step": r["step"], "has_say": r.get("say") is not None,
                             "entered": r["mono"], "said_at": None, "timer": None, "left_by": None,
                             "situation": False, "ended_here": None, "left_at": None}
                    visits.append(visit)
                elif visit is None:
                    continue
                elif r["type"] == "said" and visit["said_at"] is None:
                    visit["said_at"] = r["mono"]
                elif r["type"] == "event":
                    if r.get("source") == "timer":
                        visit["timer"] = r["seconds"]
                    if r.get("matched"):
                        visit["left_by"] = r["source"]
                elif r["type"] == "situation_entered":
                    visit["situation"] = True
                elif r["type"] == "call_ended":
                    visit["ended_here"] = r["end"]
                    visit["left_at"] = r["mono"]
            for v in visits:
                need = required(v["flow"], v["step"])
                start = v["said_at"] if (v["has_say"] and live) else v["entered"]
                if need is not None and start is not None:
                    if v["timer"] is not None:
                        kind = "honoured" if v["timer"] >= need - 1e-6 else "shorter_than_flow"
                    elif v["left_at"] is None:
                        kind = "open"
                    elif v["ended_here"] == "agent_ended":
                        kind = "cut_short"
                    else:
                        kind = "interrupted"
                    c[f"waits_{kind}"] += 1
                agent_left = not v["situation"] and (v["ended_here"] == "agent_ended" or (
                    v["ended_here"] is None and v["left_by"] == "agent"))
                if live and v["has_say"] and v["left_at"] is not None and agent_left:
                    c["steps_left"] += 1
                    c["steps_skipped"] += v["said_at"] is None
            if ended and callback_steps(flows()[ended["flow"]]):
                c["calls_in_call_back_flows"] += 1
                asked = any(v["flow"] == ended["flow"] and v["step"] in callback_steps(flows()[ended["flow"]])
                            and (v["said_at"] is not None or not live) for v in visits)
                c["hang_ups_without_call_back"] += outcome == "agent_ended" and not asked
    return {"agents": per_agent, "bad": bad}


KEYS = ("calls", "premature_hang_ups", "incomplete", "situations_met", "waits_honoured", "waits_cut_short",
        "waits_interrupted", "waits_shorter_than_flow", "steps_skipped", "steps_left",
        "hang_ups_without_call_back", "calls_in_call_back_flows")


def test_report_matches_an_independent_count_per_agent_and_overall(logs):
    report = build_report([logs], flows())
    expected = count_in_python(logs)
    got = {a["agent"]: {k: a[k] for k in KEYS} for a in report.agents}
    want = {agent: {k: c[k] for k in KEYS} for agent, c in expected["agents"].items()}
    assert got == want
    total = sum(expected["agents"].values(), Counter())
    assert {k: report.overall[k] for k in KEYS} == {k: total[k] for k in KEYS}
    assert report.bad_lines == expected["bad"]
    assert report.files == len(list(logs.rglob("*.jsonl")))


def test_the_generated_logs_exercise_every_measure(logs):
    o = build_report([logs], flows()).overall
    assert o["calls"] == 150
    for key in ("waits_honoured", "waits_cut_short", "waits_interrupted", "steps_skipped",
                "hang_ups_without_call_back", "premature_hang_ups", "situations_met"):
        assert o[key] > 0, key
    assert 0 < o["wait_compliance"] < 1


def test_situations_and_outcomes_add_up(logs):
    report = build_report([logs], flows())
    assert sum(n for _, n in report.outcomes) == report.overall["calls"]
    assert sum(s["entered"] for s in report.situations) == report.overall["situations_met"]
    assert sum(n for _, n in report.weeks) == report.overall["calls"]
    assert sum(w["cut_short"] for w in report.waits) == report.overall["waits_cut_short"]
    assert sum(n for _, n in report.cut_short_waits) == report.overall["waits_cut_short"]


# -- hand-driven calls with known numbers -------------------------------------------------------------


def drive(log_dir: Path, script, *, flow="main_call", agent="A1", flow_set=None, name=None) -> Path:
    """Run one call with ``script(engine, clock)`` and write its log."""
    clock = ManualClock(100.0)
    log = SessionLog.create(log_dir, name or flow, wall=lambda: 1.7e9 + clock.now())
    engine = CallEngine(flow_set or flows(), flow, clock, variables={"agent": agent}, listeners=[log])
    engine.start()
    script(engine, clock)
    log.close()
    return log.path


def polite_silent_call(engine, clock):
    """The silent call done right: each line said, each 5 s wait run out, then the hang-up."""
    engine.enter_situation("silent_call")
    for _ in range(3):
        clock.advance(2.0)
        engine.mark_said()
        clock.advance(5.0)
        engine.poll()


def rude_silent_call(engine, clock):
    """The agent says the greeting, waits 2 s and hangs up: a wait cut short, no call-back request."""
    engine.enter_situation("silent_call")
    clock.advance(2.0)
    engine.mark_said()
    clock.advance(2.0)
    engine.end_call("agent_ended")


def test_known_calls_give_known_numbers(tmp_path):
    drive(tmp_path, polite_silent_call, agent="good", name="a")
    drive(tmp_path, rude_silent_call, agent="rude", name="b")
    report = build_report([tmp_path], flows())
    agents = {a["agent"]: a for a in report.agents}
    good, rude = agents["good"], agents["rude"]
    assert (good["waits_honoured"], good["waits_cut_short"], good["wait_compliance"]) == (3, 0, 1.0)
    assert (good["hang_ups_without_call_back"], good["calls_in_call_back_flows"]) == (0, 1)
    assert (rude["waits_honoured"], rude["waits_cut_short"], rude["wait_compliance"]) == (0, 1, 0.0)
    assert (rude["hang_ups_without_call_back"], rude["premature_hang_ups"]) == (1, 1)
    assert report.agents[0]["agent"] == "rude"  # lowest compliance first
    greet = next(w for w in report.waits if (w["flow"], w["step"]) == ("silent_call", "greet"))
    assert (greet["started"], greet["honoured"], greet["cut_short"], greet["min_cut_short"]) == (2, 1, 1, 2.0)
    assert dict(report.outcomes) == {"hang_up": 1, "agent_ended": 1}


def test_a_step_left_before_its_line_was_said_is_skipped(tmp_path):
    def skip(engine, clock):
        clock.advance(3.0)
        engine.fire("caller_spoke")  # greeting never marked said
        clock.advance(2.0)
        engine.mark_said()
        engine.fire("confirmed")
    drive(tmp_path, skip)
    o = build_report([tmp_path], flows()).overall
    assert (o["steps_skipped"], o["steps_left"]) == (1, 2)


def test_a_wait_shorter_than_the_flow_requires_is_not_honoured(tmp_path):
    """A log written with an edited silent call (3 s waits) is judged against today's 5 s."""
    silent = flows()["silent_call"]
    greet = silent.steps["greet"]
    quick = dataclasses.replace(greet, on=tuple(
        dataclasses.replace(t, seconds=3.0) if t.is_timed else t for t in greet.on))
    edited = {**flows(), "silent_call": dataclasses.replace(silent, steps={**silent.steps, "greet": quick})}

    def call(engine, clock):
        engine.enter_situation("silent_call")
        engine.mark_said()
        clock.advance(3.0)
        engine.poll()
        engine.end_call("agent_ended")
    drive(tmp_path, call, flow_set=edited)
    o = build_report([tmp_path], flows()).overall
    assert (o["waits_shorter_than_flow"], o["waits_honoured"], o["wait_compliance"]) == (1, 0, 0.0)


def test_torn_last_line_and_several_calls_in_one_file(tmp_path):
    path = drive(tmp_path, polite_silent_call, agent="x")
    first = path.read_text(encoding="utf-8")
    drive(tmp_path, rude_silent_call, agent="y", name="other")
    other = next(p for p in tmp_path.glob("*.jsonl") if p != path)
    path.write_text(first + other.read_text(encoding="utf-8") + '{"type": "event", "t": 3', encoding="utf-8")
    other.unlink()
    report = build_report([path], flows())
    assert (report.files, report.bad_lines, report.overall["calls"]) == (1, 1, 2)
    assert {a["agent"]: a["calls"] for a in report.agents} == {"x": 1, "y": 1}


def test_folders_without_logs_are_user_errors(tmp_path):
    with pytest.raises(CallscriptError, match="no session logs"):
        build_report([tmp_path], flows())
    with pytest.raises(CallscriptError, match="no such file"):
        build_report([tmp_path / "missing"], flows())
    (tmp_path / "x.jsonl").write_text('{"type": "note", "t": 0}\n', encoding="utf-8")
    with pytest.raises(CallscriptError, match="no calls"):
        build_report([tmp_path], flows())


# -- output --------------------------------------------------------------------------------------------


def test_text_and_html_output(logs, tmp_path):
    report = build_report([logs], flows())
    text = render_text(report, flows=flows())
    assert text.startswith("150 calls by 6 agents")
    assert "All" in text and "Silent call · 您好!请问有什么可以帮助您?" in text and "silent_call/greet" not in text
    html = render_html(report, flows=flows())
    assert "<svg" in html and "http:" not in html and "https:" not in html and "<script" not in html
    import xml.etree.ElementTree as ET

    start = 0
    while (start := html.find("<svg", start)) >= 0:
        end = html.index("</svg>", start) + 6
        ET.fromstring(html[start:end])
        start = end


def test_report_command_json_and_html(logs, tmp_path, capsys):
    assert main(["report", str(logs), "--json", "--html", str(tmp_path / "r.html")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["calls"] == 150 and len(data["agents"]) == 6
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "nothing-here")]) == 1


def test_odd_files_are_counted_and_skipped_not_fatal(tmp_path):
    good = drive(tmp_path, polite_silent_call, name="good")
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00\x01not text")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "array.jsonl").write_text("[1, 2]\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.jsonl")  # would block a reader that opened it
    report = build_report([tmp_path], flows())
    assert (report.files, report.unreadable_files, report.bad_lines, report.overall["calls"]) == (5, 1, 2, 1)
    text = render_text(report)
    assert f"2 records skipped: {tmp_path / 'array.jsonl'}:1, {tmp_path / 'binary.jsonl'}:1" in text
    assert f"1 file could not be read: {tmp_path / 'pipe.jsonl'}: this is a named pipe (FIFO)" in text
    assert good.exists()


def test_a_bad_line_in_the_middle_drops_only_that_line(tmp_path):
    """One non-UTF-8 line (or null fields) in a log skips that line; the rest of the file counts."""
    path = drive(tmp_path, polite_silent_call, name="good")
    clean = build_report([tmp_path], flows()).overall
    lines = path.read_bytes().splitlines(keepends=True)
    lines.insert(2, b'{"type": "event", "t": null, "source": null}\n')
    lines.insert(2, b"\xff\xfe not text\n")
    path.write_bytes(b"".join(lines))
    report = build_report([tmp_path], flows())
    assert report.overall["calls"] == 1 and report.bad_lines == 2
    assert report.skipped == f"2 records skipped: {path}:3, {path}:4"
    assert report.overall == clean


def test_counts_of_one_are_singular():
    from callscript.training.report import _counted

    class One:
        overall = {"calls": 1}
        agents = [{"agent": "001"}]
        files = 1

    assert _counted(One()) == "1 call by 1 agent in 1 log file"


def test_a_timeline_needs_no_training_extra(monkeypatch):
    """Ending a call reviews its log (the summary's compliance marks) in a core install, where
    rapidfuzz (the training extra) is missing: the timeline must not need it. Blocking the import
    is the double here: this machine has the extra installed."""
    import builtins
    import sys

    from callscript.flow.library import load_flows
    from callscript.training.timeline import build_timeline

    flows = load_flows()
    real = builtins.__import__

    def without_rapidfuzz(name, *args, **kwargs):
        if name.startswith("rapidfuzz"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    for module in [m for m in sys.modules if m.startswith(("rapidfuzz", "callscript.training.scoring"))]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", without_rapidfuzz)
    records = [
        {"type": "call_started", "mono": 0, "flow": "silent_call", "variables": {}},
        {"type": "step_entered", "mono": 0, "flow": "silent_call", "step": "greet"},
        {"type": "event", "mono": 1, "source": "heard", "name": "喂,说话呀!"},
        {"type": "call_ended", "mono": 2, "end": "agent_ended", "flow": "silent_call", "step": "greet", "duration": 2},
    ]
    timeline = build_timeline(records, flows)
    assert timeline.visits[0].required_wait == 5.0
    assert [m.code for m in timeline.marks] == ["forbidden_heard", "wait_cut_short", "hang_up_without_call_back", "ended_early"]


def test_logs_are_found_in_the_order_a_sorted_rglob_gives(tmp_path):
    """``find_logs`` walks folders itself (text, not a Path per log: a month of logs would cost
    130 MB more) in the order of ``sorted(rglob("*.jsonl"))``: name by name at each level, hidden
    files and broken links too, folders named ``*.jsonl`` entered but not taken, links to folders
    not entered."""
    from callscript.training.report import find_logs

    for folder in ("a/c", "a/c2", "a/x.jsonl", "A"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for name in ("a/b.jsonl", "a/c/d.jsonl", "a/c.jsonl", "a/c2/f.jsonl", "a/x.jsonl/e.jsonl", "a/z.jsonl",
                 "a/.h.jsonl", "A/q.jsonl", "a/notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "a" / "link").symlink_to(tmp_path / "A")
    (tmp_path / "a" / "broken.jsonl").symlink_to(tmp_path / "nowhere")
    expected = [str(p) for p in sorted(tmp_path.rglob("*.jsonl")) if not p.is_dir()]
    assert find_logs([tmp_path]) == expected
    assert [Path(p).relative_to(tmp_path).as_posix() for p in expected] == [
        "A/q.jsonl", "a/.h.jsonl", "a/b.jsonl", "a/broken.jsonl", "a/c/d.jsonl", "a/c.jsonl", "a/c2/f.jsonl",
        "a/x.jsonl/e.jsonl", "a/z.jsonl"]


def test_a_call_going_on_now_is_left_out_and_said_not_counted_as_incomplete(tmp_path):
    # The agent's own folder while a call is on screen: the log is open (its writer holds the
    # flock) and its call has no end yet. A trainer's report must not count it as incomplete.
    drive(tmp_path, polite_silent_call, agent="A1", name="done")
    clock = ManualClock(100.0)
    log = SessionLog.create(tmp_path, "now", wall=lambda: 1.7e9 + clock.now())
    engine = CallEngine(flows(), "main_call", clock, variables={"agent": "A1"}, listeners=[log])
    engine.start()
    clock.advance(2.0)
    engine.mark_said()
    try:
        report = build_report([tmp_path], flows())
        assert report.overall["calls"] == 1 and report.overall["incomplete"] == 0
        assert report.in_progress == 1 and report.as_dict()["in_progress"] == 1
        assert "1 通电话正在进行中" in render_text(report, language="zh")
    finally:
        log.close()
    # Closed by a crash (no call_ended, nobody writing): counted once, as incomplete.
    report = build_report([tmp_path], flows())
    assert report.overall["calls"] == 2 and report.overall["incomplete"] == 1 and report.in_progress == 0
