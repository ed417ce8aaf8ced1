"""Replay timelines: the visits and compliance marks of one call, agreeing with the team report."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from callscript.flow.library import load_flows
from callscript.training.report import build_report
from callscript.training.synthetic import generate_logs
from callscript.training.timeline import load_timelines
from tests.training.test_report import drive, polite_silent_call, rude_silent_call


@cache
def flows():
    return load_flows()


def test_marks_over_many_calls_add_up_to_the_team_report(tmp_path):
    generate_logs(tmp_path, 120, seed=5, agents=4, flows=flows())
    marks, waits, calls = Counter(), Counter(), 0
    for path in tmp_path.rglob("*.jsonl"):
        for timeline in load_timelines(path, flows()):
            calls += 1
            marks.update(m.code for m in timeline.marks)
            waits.update(v.wait for v in timeline.visits if v.wait)
    o = build_report([tmp_path], flows()).overall
    assert calls == o["calls"]
    assert marks["wait_cut_short"] == o["waits_cut_short"] == waits["cut_short"]
    assert marks["wait_shorter_than_flow"] == o["waits_shorter_than_flow"]
    assert waits["honoured"] == o["waits_honoured"] and waits["interrupted"] == o["waits_interrupted"]
    assert marks["step_skipped"] == o["steps_skipped"]
    assert marks["hang_up_without_call_back"] == o["hang_ups_without_call_back"]
    assert marks["ended_early"] == o["premature_hang_ups"] > 0


def test_a_polite_silent_call_replays_with_exact_waits_and_no_marks(tmp_path):
    (timeline,) = load_timelines(drive(tmp_path, polite_silent_call), flows())
    assert timeline.marks == [] and timeline.outcome == "hang_up"
    silent = [v for v in timeline.visits if v.flow == "silent_call"]
    assert [(v.step, v.said, v.wait, v.waited) for v in silent] == [
        ("greet", 2.0, "honoured", 5.0), ("greet_again", 9.0, "honoured", 5.0),
        ("ask_call_again", 16.0, "honoured", 5.0), ("hang_up", None, None, None),
    ]
    assert timeline.visit_at(10.0).step == "greet_again"
    assert timeline.duration == 21.0


def test_a_rude_hang_up_is_marked_for_the_wait_the_call_back_and_the_early_end(tmp_path):
    (timeline,) = load_timelines(drive(tmp_path, rude_silent_call), flows())
    assert [(m.code, m.t) for m in timeline.marks] == [("wait_cut_short", 4.0), ("hang_up_without_call_back", 4.0),
                                                        ("ended_early", 4.0)]
    assert timeline.marks[0].message == "Hung up 2.0 s into a 5 s wait."


@pytest.mark.parametrize(("heard", "marked"), [
    ("喂,说话呀!再不说话我就挂了啊!", True), ("再不说话我就挂了", True), ("喂", True), ("您好", False),
])
def test_forbidden_phrasing_heard_is_marked(tmp_path, heard, marked):
    def call(engine, clock):
        engine.enter_situation("silent_call")
        clock.advance(1.0)
        engine.hear(heard)
        engine.end_call("resolved")
    (timeline,) = load_timelines(drive(tmp_path, call), flows())
    codes = [m.code for m in timeline.marks if m.code == "forbidden_heard"]
    assert codes == (["forbidden_heard"] if marked else [])


def test_agent_forbidden_from_the_agents_microphone_is_marked(tmp_path):
    def call(engine, clock):
        engine.enter_situation("silent_call")
        clock.advance(1.5)
        engine.line("agent_forbidden", {"phrase": "喂,说话呀!再不说话我就挂了啊!", "heard": "喂说话呀"})
        engine.end_call("resolved")
    (timeline,) = load_timelines(drive(tmp_path, call), flows())
    (mark,) = [m for m in timeline.marks if m.code == "forbidden_heard"]
    assert (mark.t, mark.step, mark.detail["speaker"]) == (1.5, "greet", "agent")
    assert mark.message == "Forbidden phrasing heard: '喂,说话呀!再不说话我就挂了啊!'."


def never_said(engine, clock):
    """A live call whose agent never marks a line said: on through three steps, then hangs up."""
    for event in ("caller_spoke", "confirmed", "solved"):
        clock.advance(2.0)
        assert engine.fire(event), event
    clock.advance(2.0)
    engine.end_call("agent_ended")


def test_a_live_call_with_no_line_said_is_not_taken_for_a_simulate_log(tmp_path):
    # The log says the call was live (call_started's said_lines), so lines never marked said are
    # skipped lines, not lines taken as said as in simulate's logs.
    path = drive(tmp_path, never_said)
    (timeline,) = load_timelines(path, flows())
    assert timeline.live
    skipped = [(m.step, m.t) for m in timeline.marks if m.code == "step_skipped"]
    assert skipped == [("greet", 2.0), ("confirm", 4.0), ("closing", 8.0)]
    o = build_report([tmp_path], flows()).overall
    assert o["steps_skipped"] == 3 and o["premature_hang_ups"] == 1
