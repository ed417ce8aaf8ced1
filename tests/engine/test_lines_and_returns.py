"""Closing lines are said before the call ends; returning from a situation goes back where the
call was, keeping or repeating the interrupted line as the situation declares; ways out a flow
declares legitimate before the line are logged as such."""

from __future__ import annotations

from dataclasses import replace

from callscript.engine import CallEngine, ManualClock
from callscript.flow.model import Again, End, Resume, Transition

from .helpers import event, flow, situation, step


def make(*flows, auto_said=False):
    clock = ManualClock()
    records: list = []
    engine = CallEngine({f.id: f for f in flows}, flows[0].id, clock, auto_said=auto_said, listeners=[records.append])
    engine.start()
    return engine, clock, records


def closing_call():
    return flow("main", step("resolve", None, event("solved", "closing"), tip="answer"),
                step("closing", "感谢您的咨询,祝您生活愉快!", end=End.RESOLVED))


def test_a_closing_line_is_shown_and_the_call_ends_when_it_is_said():
    engine, clock, records = make(closing_call())
    engine.fire("solved")
    assert engine.step.id == "closing" and engine.view().say == "感谢您的咨询,祝您生活愉快!"
    assert not engine.ended and engine.outcome is None
    clock.advance(2.5)
    assert engine.mark_said()
    assert engine.ended and engine.outcome == "resolved"
    assert [r.kind for r in records][-2:] == ["said", "call_ended"]
    assert records[-1].t == 2.5


def test_ending_the_call_before_the_closing_line_is_the_agents_ending():
    engine, _, records = make(closing_call())
    engine.fire("solved")
    engine.end_call("agent_ended")
    assert records[-1].data["end"] == "agent_ended" and records[-1].data["step"] == "closing"


def test_simulation_takes_the_closing_line_as_said_at_once():
    engine, _, _ = make(closing_call(), auto_said=True)
    engine.fire("solved")
    assert engine.outcome == "resolved"


def interrupted_call(resume: Resume, *, again: bool = False):
    greet = step("greet", "您好,欢迎致电热线,请问有什么可以帮助您!", event("next", "confirm"))
    if again:
        greet = replace(greet, again=Again("请问有什么可以帮助您?", "How may I help you?"))
    main = flow("main", greet, step("confirm", "您的意思是……对吗?"))
    silent = flow("silent", step("hello", "您好!", event("spoke", "back")), step("back", None, end=End.RETURN),
                  situation=replace(situation("s", "silence"), resume=resume))
    return main, silent


def test_back_from_a_situation_that_continues_the_said_line_stays_said():
    engine, clock, records = make(*interrupted_call(Resume.CONTINUE))
    engine.mark_said()
    engine.enter_situation("silent")
    engine.mark_said()
    clock.advance(3.0)
    engine.fire("spoke")
    assert (engine.flow.id, engine.step.id) == ("main", "greet")
    assert engine.view().said and engine.said_at == 3.0
    said = [r for r in records if r.kind == "said"]
    assert said[-1].data == {"flow": "main", "step": "greet", "say": "您好,欢迎致电热线,请问有什么可以帮助您!",
                             "resumed": True}


def test_back_from_a_situation_that_continues_an_unsaid_line_is_still_unsaid():
    engine, _, _ = make(*interrupted_call(Resume.CONTINUE))
    engine.enter_situation("silent")
    engine.mark_said()
    engine.fire("spoke")
    assert engine.step.id == "greet" and not engine.view().said


def test_back_from_a_situation_that_repeats_shows_the_short_form():
    engine, _, records = make(*interrupted_call(Resume.REPEAT, again=True))
    engine.mark_said()
    engine.enter_situation("silent")
    engine.mark_said()
    engine.fire("spoke")
    assert engine.step.id == "greet" and not engine.view().said
    assert engine.view().say == "请问有什么可以帮助您?"
    assert records[-1].kind == "step_entered" and records[-1].data["say"] == "请问有什么可以帮助您?"
    engine.fire("next")
    engine.end_call()
    assert engine.say(engine.flow.steps["greet"]) == "您好,欢迎致电热线,请问有什么可以帮助您!"


def test_a_second_situation_before_the_short_form_is_said_brings_back_the_short_form_again():
    """The whole greeting was said once; after a situation its short form is shown; another
    situation comes before the agent says it: the caller has heard the greeting, so back from the
    second one the short form is shown again, not the whole greeting."""
    main, silent = interrupted_call(Resume.REPEAT, again=True)
    noisy = flow("noisy", step("sorry", "对不起,杂音太大", event("ok", "back")), step("back", None, end=End.RETURN),
                 situation=replace(situation("n", "noise"), resume=Resume.REPEAT))
    engine, _, records = make(main, silent, noisy)
    engine.mark_said()
    for name, done in (("silent", "spoke"), ("noisy", "ok")):
        assert engine.enter_situation(name)
        engine.mark_said()
        engine.fire(done)
        assert engine.step.id == "greet" and not engine.view().said
        assert engine.view().say == "请问有什么可以帮助您?", name
    assert [r.data["say"] for r in records if r.kind == "step_entered" and r.data["step"] == "greet"] == [
        "您好,欢迎致电热线,请问有什么可以帮助您!", "请问有什么可以帮助您?", "请问有什么可以帮助您?"]


def test_an_event_the_flow_declares_the_callers_doing_is_logged_as_the_callers():
    main = flow("main", step("greet", "您好!", replace(event("caller_first", "reply"), by_caller=True),
                             event("next", "reply")), step("reply", "您好,请讲。"))
    engine, _, records = make(main)
    engine.fire("caller_first")
    assert records[-2].kind == "event" and records[-2].data["source"] == "caller"
    engine, _, records = make(main)
    engine.fire("next")
    assert records[-2].data["source"] == "agent"
    assert isinstance(main.steps["greet"].on[0], Transition)


def started_on_the_situation(resume, *, then_flow="main", again=False):
    main, silent = interrupted_call(resume, again=again)
    clock = ManualClock()
    records: list = []
    engine = CallEngine({"main": main, "silent": silent}, "silent", clock, listeners=[records.append],
                        then_flow=then_flow)
    engine.start()
    return engine, clock, records


def test_a_call_started_on_a_situation_goes_on_into_the_default_flow_keeping_the_greeting_said():
    engine, clock, records = started_on_the_situation(Resume.CONTINUE)
    engine.mark_said()  # 您好!
    clock.advance(2.0)
    engine.fire("spoke")
    assert not engine.ended and (engine.flow.id, engine.step.id, engine.depth) == ("main", "greet", 0)
    assert engine.view().said  # no second greeting
    kinds = [(r.kind, r.data.get("flow")) for r in records][-3:]
    assert kinds == [("went_on", "main"), ("step_entered", "main"), ("said", "main")]
    assert records[-3].data == {"flow": "main", "step": "greet", "from_flow": "silent"}
    # The line said is the situation's greeting, never the main greeting nobody said.
    assert engine.view().say == "您好!" and records[-2].data["say"] == "您好!"
    assert records[-1].data == {"flow": "main", "step": "greet", "say": "您好!", "resumed": True, "from_flow": "silent"}
    engine.fire("next")  # the next step is shown as it is
    assert engine.view().say == "您的意思是……对吗?"


def test_a_situation_the_caller_ended_before_any_line_goes_on_into_the_default_flows_line_unsaid():
    engine, _, records = started_on_the_situation(Resume.REPEAT, again=True)
    engine.fire("spoke")  # the caller spoke before the agent greeted
    assert (engine.flow.id, engine.step.id) == ("main", "greet") and not engine.view().said
    assert engine.view().say == "您好,欢迎致电热线,请问有什么可以帮助您!"  # the whole greeting: none was said
    assert "call_ended" not in [r.kind for r in records]


def test_without_a_default_flow_a_situation_the_call_started_on_ends_it():
    engine, _, records = started_on_the_situation(Resume.CONTINUE, then_flow=None)
    engine.mark_said()
    engine.fire("spoke")
    assert engine.ended and engine.outcome == "return"


def test_while_a_variable_is_unknown_the_if_unknown_line_and_its_gloss_are_shown():
    greet = replace(step("address", "{surname}{title},请问有什么可以帮助您?", event("spoke", "address")),
                    gloss="{surname} {title}, how may I help you?",
                    if_unknown=Again("您好,请问有什么可以帮助您?", "Hello, how may I help you?"))
    f = flow("f", greet, variables={"surname": "某", "title": "先生/小姐"})
    f = replace(f, variables={name: replace(v, unknown=(v.default,)) for name, v in f.variables.items()})
    engine, _, records = make(f)
    assert engine.view().say == "您好,请问有什么可以帮助您?" and engine.gloss() == "Hello, how may I help you?"
    assert records[-1].data["say"] == "您好,请问有什么可以帮助您?"
    engine.set_variable("surname", "王")  # the title is still unknown: the same line
    assert engine.view().say == "您好,请问有什么可以帮助您?" and "say" not in records[-1].data
    engine.set_variable("title", "小姐")
    assert engine.view().say == "王小姐,请问有什么可以帮助您?" and engine.gloss() == "{surname} {title}, how may I help you?"
    assert records[-1].data["say"] == "王小姐,请问有什么可以帮助您?"
    engine.set_variable("surname", "")  # empty is never a real value
    assert engine.view().say == "您好,请问有什么可以帮助您?"
