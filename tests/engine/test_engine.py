"""The engine's behaviour, under a ManualClock: no test here ever sleeps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from callscript.engine import CallEngine, ManualClock
from callscript.flow.model import End

from .helpers import after, event, flow, heard, line, silence, situation, step


def silent_call():
    return flow(
        "silent",
        step("greet", "您好", silence(5, "again"), event("spoke", "back")),
        step("again", "您好again", silence(5, "ask"), event("spoke", "back")),
        step("ask", "请换一部电话", after(5, "hang")),
        step("hang", None, end=End.HANG_UP, tip="挂机"),
        step("back", None, end=End.RETURN),
        situation=situation("s", "silence"),
    )


def main_call():
    return flow(
        "main",
        step("hello", "您好,{hotline}", event("next", "confirm"), after(30, "close")),
        step("confirm", "您的意思是……对吗?", event("complaint", call="complaint", then="close"), event("done", "close")),
        step("close", "感谢您的咨询", end=End.RESOLVED),
        variables={"hotline": "热线"},
    )


def complaint():
    return flow("complaint", step("listen", "我同意您的看法", event("ok", "ret")), step("ret", None, end=End.RETURN))


def make(*flows, start=None, auto_said=False, **kwargs):
    table = {f.id: f for f in flows}
    clock = ManualClock()
    records = []
    engine = CallEngine(table, start or flows[0].id, clock, auto_said=auto_said, listeners=[records.append], **kwargs)
    return engine, clock, records


def entered(records):
    return [(round(r.t, 3), r.data["flow"], r.data["step"]) for r in records if r.kind == "step_entered"]


def test_timed_waits_start_only_when_the_line_is_said():
    engine, clock, records = make(silent_call())
    engine.start()
    clock.advance(60)
    assert engine.poll() == 0, "nothing may fire before the agent has said the line"
    assert engine.step.id == "greet"
    engine.mark_said()
    assert engine.next_deadline() == 65.0
    clock.advance(4.999)
    assert engine.poll() == 0
    clock.advance(0.001)
    assert engine.poll() == 1
    assert engine.step.id == "again"


def test_silent_call_with_lines_said_at_once_hangs_up_at_15_seconds():
    engine, clock, records = make(silent_call(), auto_said=True)
    engine.start()
    clock.advance(100)  # the driver woke up late: every timer still fires at its own deadline
    assert engine.poll() == 3
    assert entered(records) == [(0, "silent", "greet"), (5, "silent", "again"), (10, "silent", "ask"), (15, "silent", "hang")]
    assert engine.ended and engine.outcome == "hang_up"
    assert records[-1].kind == "call_ended" and records[-1].t == 15


def test_caller_speech_suspends_a_silence_wait_and_restarts_it_when_speech_stops():
    engine, clock, _ = make(silent_call(), auto_said=True)
    engine.start()
    clock.set(3)
    engine.line("speech_started")
    assert engine.next_deadline() is None, "no silence is counted while the caller speaks"
    clock.set(20)
    engine.line("speech_stopped")
    assert engine.next_deadline() == 25.0
    clock.set(25)
    engine.poll()
    assert engine.step.id == "again"


def test_after_wait_ignores_caller_speech():
    engine, clock, _ = make(silent_call(), auto_said=True)
    engine.start()
    clock.set(10)
    engine.poll()
    assert engine.step.id == "ask"
    engine.line("speech_started")
    assert engine.next_deadline() == 15.0


def test_agent_event_takes_its_transition_and_unknown_events_are_logged_unmatched():
    engine, clock, records = make(main_call(), complaint())
    engine.start()
    assert engine.fire("nonsense") is False
    assert records[-1].kind == "event" and records[-1].data["matched"] is False
    assert engine.fire("next") is True
    assert engine.step.id == "confirm"


def test_call_runs_the_other_flow_and_comes_back_to_then():
    engine, clock, records = make(main_call(), complaint())
    engine.start()
    engine.fire("next")
    engine.fire("complaint")
    assert (engine.flow.id, engine.step.id, engine.depth) == ("complaint", "listen", 1)
    engine.fire("ok")
    assert (engine.flow.id, engine.step.id, engine.depth) == ("main", "close", 0)
    assert not engine.ended  # the closing line is on screen until it is said
    engine.mark_said()
    assert engine.outcome == "resolved"
    kinds = [r.kind for r in records]
    assert "returned" in kinds


def test_a_call_into_a_situation_flow_is_that_situation_met_as_its_key_would_make_it():
    """A flow step that calls a situation flow (the caller complains: event 客户投诉, or words
    heard) meets that situation as much as its key does: the log says so and the call's
    situations list it, so the summary and the report count it whichever way it came."""
    with_key = replace(complaint(), situation=situation("c"))
    engine, clock, records = make(main_call(), with_key)
    engine.start()
    engine.fire("next")
    engine.fire("complaint")
    assert (engine.flow.id, engine.depth) == ("complaint", 1)
    entered_situations = [r.data for r in records if r.kind == "situation_entered"]
    assert entered_situations == [{"flow": "complaint", "from_flow": "main", "from_step": "confirm"}]
    engine.fire("ok")
    engine.mark_said()
    assert engine.situations_met == ["complaint"]
    assert records[-1].data["situations"] == ["complaint"]


def test_a_call_into_a_flow_that_is_no_situation_meets_none():
    engine, clock, records = make(main_call(), complaint())
    engine.start()
    engine.fire("next")
    engine.fire("complaint")
    assert engine.flow.id == "complaint"
    assert engine.situations_met == []
    assert not [r for r in records if r.kind == "situation_entered"]


def test_situation_interrupts_any_step_and_returns_to_it_with_its_line_unsaid():
    engine, clock, records = make(main_call(), complaint(), silent_call())
    engine.start()
    engine.mark_said()
    engine.fire("next")
    engine.mark_said()
    assert engine.enter_situation("silent") is True
    assert engine.flow.id == "silent" and engine.depth == 1
    assert engine.enter_situation("silent") is False, "the running situation cannot be entered again"
    engine.fire("spoke")
    assert (engine.flow.id, engine.step.id) == ("main", "confirm")
    assert engine.view().said is False, "the agent says the line again after a situation"
    assert engine.situations_met == ["silent"]


def test_frames_name_each_flow_the_call_is_inside_and_where_it_returns():
    engine, clock, _ = make(main_call(), complaint(), silent_call())
    engine.start()
    assert engine.frames == (("main", None),)
    engine.mark_said()
    engine.enter_situation("silent")
    assert engine.frames == (("main", None), ("silent", "hello"))
    engine.fire("spoke")
    assert engine.frames == (("main", None),)


def test_line_detail_is_logged_under_its_own_key_even_when_it_reuses_record_fields():
    engine, clock, records = make(main_call(), silent_call())
    engine.start()
    engine.line("silence", {"seconds": 5.0, "name": "from the listener", "source": "mic"})
    event = [r for r in records if r.kind == "event"][-1].as_dict()
    assert (event["source"], event["name"]) == ("line", "silence")
    assert event["detail"] == {"seconds": 5.0, "name": "from the listener", "source": "mic"}
    engine.line("noise")
    assert "detail" not in [r for r in records if r.kind == "event"][-1].as_dict()


def test_a_situation_open_further_out_cannot_be_entered_again_inside_another():
    quiet = flow("quiet", step("ask", "请您大声一点", event("ok", "r")), step("r", None, end=End.RETURN),
                 situation=situation("q", "low_volume"))
    engine, clock, _ = make(main_call(), silent_call(), quiet)
    engine.start()
    assert engine.enter_situation("silent") is True
    assert engine.enter_situation("quiet") is True
    assert engine.enter_situation("silent") is False, "silent is still open, one level out"
    assert [flow_id for flow_id, _ in engine.frames] == ["main", "silent", "quiet"]
    assert [f.id for f in engine.suggested_situations("silence")] == [], "nor is it suggested"


def test_situation_that_hangs_up_ends_the_whole_call():
    engine, clock, _ = make(main_call(), silent_call(), auto_said=True)
    engine.start()
    engine.enter_situation("silent")
    clock.advance(15)
    engine.poll()
    assert engine.ended and engine.outcome == "hang_up"
    assert engine.fire("next") is False, "nothing happens after the call ended"


def test_only_situations_can_be_entered_as_situations():
    engine, clock, _ = make(main_call(), complaint())
    engine.start()
    assert engine.enter_situation("complaint") is False
    assert engine.enter_situation("missing") is False


def test_line_condition_suggests_situations_and_enters_automatic_ones():
    quiet = flow("quiet", step("ask", "请您大声一点", event("ok", "r")), step("r", None, end=End.RETURN),
                 situation=situation("q", "low_volume", automatic=True))
    engine, clock, _ = make(main_call(), silent_call(), quiet)
    engine.start()
    assert [f.id for f in engine.suggested_situations("silence")] == ["silent"]
    assert engine.line("silence") is False, "a suggestion is only offered"
    assert engine.flow.id == "main"
    assert engine.line("low_volume") is True
    assert engine.flow.id == "quiet"


def test_heard_uses_the_matcher_on_normalised_text():
    f = flow("h", step("a", "您好", heard("听不清", "听不到", to="b")), step("b", None, end=End.RESOLVED))
    engine, _, _ = make(f)
    engine.start()
    assert engine.hear("我 说 的 是 别 的") is False
    assert engine.hear("喂,我听不到!") is True
    assert engine.outcome == "resolved"


def test_custom_matcher_is_used():
    f = flow("h", step("a", "您好", heard("ting bu qing", to="b")), step("b", None, end=End.RESOLVED))
    engine, _, _ = make(f, matcher=lambda text, phrases: text == "anything")
    engine.start()
    assert engine.hear("anything") is True


def test_variables_fill_the_line_and_changes_show_at_once():
    f = flow("v", step("a", "{surname}{title},请问有什么可以帮助您?", event("x", "a")),
             variables={"surname": "某", "title": "先生/小姐"})
    engine, _, records = make(f, variables={"title": "先生"})
    engine.start()
    assert engine.view().say == "某先生,请问有什么可以帮助您?"
    engine.set_variable("surname", "王")
    assert engine.view().say == "王先生,请问有什么可以帮助您?"
    # The line on screen changed before it was said: the log keeps it as the agent now sees it.
    assert records[-1].kind == "variable_set" and records[-1].data == {
        "name": "surname", "value": "王", "say": "王先生,请问有什么可以帮助您?"}
    engine.mark_said()
    engine.set_variable("title", "小姐")  # after the line was said: what was said stays in the log
    assert records[-1].data == {"name": "title", "value": "小姐"}
    assert [r.data["say"] for r in records if r.kind == "said"] == ["王先生,请问有什么可以帮助您?"]


def test_jump_to_another_flow_does_not_come_back():
    a = flow("a", step("one", "x", event("go", flow="b", to="two")))
    b = flow("b", step("first", "y", event("z", "two")), step("two", "z", event("done", "end")), step("end", None, end=End.RETURN))
    engine, _, _ = make(a, b)
    engine.start()
    engine.fire("go")
    assert (engine.flow.id, engine.step.id, engine.depth) == ("b", "two", 0)
    engine.fire("done")
    assert engine.ended and engine.outcome == "return"


def test_agent_can_end_the_call_and_records_are_in_time_order():
    engine, clock, records = make(main_call(), auto_said=True)
    engine.start()
    clock.advance(2)
    engine.add_note("caller will call back")
    clock.advance(1)
    assert engine.end_call() is True
    assert engine.outcome == "agent_ended"
    times = [r.mono for r in records]
    assert times == sorted(times)
    assert [r.kind for r in records] == ["call_started", "step_entered", "note", "call_ended"]
    assert records[-1].data["duration"] == 3


def test_timer_chain_in_a_cycle_is_bounded_per_poll():
    loop = flow("loop", step("a", None, after(1, "b"), tip="x"), step("b", None, after(1, "a"), tip="y"))
    engine, clock, _ = make(loop)
    engine.start()
    clock.advance(1_000_000)
    assert engine.poll() == 1000, "a runaway timer cycle must yield back to the driver"


def test_manual_clock_cannot_go_backward():
    clock = ManualClock(5)
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.set(1)
    assert clock.now() == 5
