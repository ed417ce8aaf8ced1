"""Quiz mode: one correct line, the documents' forbidden phrasings, and rule-breaking variants that
the scorer fails, each with the reason."""

from __future__ import annotations

import random
from functools import cache

import pytest

from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.training.quiz import quiz_options
from callscript.training.scoring import score_flow_step, spoken_steps


@cache
def flows():
    return load_flows()


@pytest.mark.parametrize(("flow_id", "step_id"),
                         [(f.id, s.id) for f in load_flows().values() for s in spoken_steps(f)])
def test_every_spoken_step_has_a_fair_quiz(flow_id, step_id):
    flow = flows()[flow_id]
    options = quiz_options(flow, step_id, rng=random.Random(1))
    assert len(options) == 4
    assert [o.correct for o in options].count(True) == 1
    for option in options:
        assert score_flow_step(flow, step_id, option.text).passed is option.correct, option
        assert option.why and option.why_zh
    documents = {n.text for n in flow.steps[step_id].never if n.kind == "say"}
    assert documents <= {o.text for o in options}


def test_wrong_options_say_which_rule_they_break():
    options = quiz_options(flows()["silent_call"], "ask_call_again", count=6, rng=random.Random(0))
    by_origin = {o.origin: o for o in options}
    assert by_origin["document"].text == "喂,说话呀!再不说话我就挂了啊!"
    assert by_origin["rule:informal_you"].text.count("你") == 2
    assert "您" in by_origin["rule:informal_you"].why


@pytest.mark.parametrize(("flow_id", "step_id"),
                         [(f.id, s.id) for f in load_flows().values() for s in spoken_steps(f)])
def test_the_wei_opening_reason_names_the_opening_the_correct_line_really_has(flow_id, step_id):
    """A trial found "不可以用“喂”开头,应说“您好”" next to a correct line opening with 对不起: the
    reason may only point to an opening the correct line has."""
    flow = flows()[flow_id]
    options = quiz_options(flow, step_id, count=8, rng=random.Random(0))
    line = next(o.text for o in options if o.correct)
    wei = [o for o in options if o.origin == "rule:wei_opening"]
    for option in wei:
        assert option.why_zh.startswith("不可以用“喂”开头")
        for opening in ("您好", "对不起"):
            if opening in option.why_zh or opening in option.why:
                assert line.startswith(opening), (option.why_zh, line)


def test_the_wei_reason_for_an_apology_line_points_to_the_apology():
    options = quiz_options(flows()["agent_too_quiet"], "apologise_louder", count=8, rng=random.Random(0))
    wei = next(o for o in options if o.origin == "rule:wei_opening")
    assert wei.why_zh == "不可以用“喂”开头,应说“对不起”。"
    assert wei.why == "Opens with 喂: open with 对不起."
    greet = next(o for o in quiz_options(flows()["silent_call"], "greet", count=8, rng=random.Random(0))
                 if o.origin == "rule:wei_opening")
    assert greet.why_zh == "不可以用“喂”开头,应说“您好”。"


def test_the_order_is_shuffled_by_the_given_random():
    flow = flows()["silent_call"]
    first = [o.text for o in quiz_options(flow, "greet", rng=random.Random(5))]
    again = [o.text for o in quiz_options(flow, "greet", rng=random.Random(5))]
    assert first == again


def test_a_guidance_step_has_no_quiz():
    with pytest.raises(CallscriptError):
        quiz_options(flows()["silent_call"], "hang_up")
