"""Quiz mode: one correct line, the documents' forbidden phrasings, and rule-breaking variants that
the scorer fails, each with the reason; questions on waits and on what comes next; options that
cannot be guessed by their form."""

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
    """Four options, one right; the scorer agrees with each; the documents' own forbidden
    phrasings are among the wrong options in some of the quizzes."""
    flow = flows()[flow_id]
    shown: set[str] = set()
    for seed in range(20):
        options = quiz_options(flow, step_id, rng=random.Random(seed))
        assert len(options) == 4
        assert [o.correct for o in options].count(True) == 1
        for option in options:
            assert score_flow_step(flow, step_id, option.text).passed is option.correct, option
            assert option.why and option.why_zh
        shown.update(o.text for o in options)
    documents = {n.text for n in flow.steps[step_id].never if n.kind == "say"}
    assert documents <= shown


def test_wrong_options_say_which_rule_they_break():
    options = quiz_options(flows()["silent_call"], "ask_call_again", count=12, rng=random.Random(0))
    by_origin: dict[str, list] = {}
    for option in options:
        by_origin.setdefault(option.origin, []).append(option)
    assert [o.text for o in by_origin["document"]] == ["喂,说话呀!再不说话我就挂了啊!"]
    # 你 for every 您, and 你 for one 您 of several (the line still says 您: 您 alone gives nothing away)
    assert sorted(o.text.count("你") for o in by_origin["rule:informal_you"]) == [1, 2]
    assert all("您" in o.why for o in by_origin["rule:informal_you"])


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


def strategy_scores(quizzes: int = 1000) -> dict[str, float]:
    """Play strategies that guess by form over ``quizzes`` generated quizzes (every question of
    each): pick the longest option, one of those that say 您, the one that says 您 most (the
    politest-looking), ties broken at random."""
    from callscript.training.drill import study_flows
    from callscript.training.quiz import questions

    def pick(measure):
        def choose(options, rng):
            best = max(measure(o.text) for o in options)
            return rng.choice([o for o in options if measure(o.text) == best])
        return choose

    strategies = {"longest": pick(len), "most 您": pick(lambda text: text.count("您")),
                  "any 您": pick(lambda text: "您" in text)}
    usable = study_flows(flows())
    rng, play = random.Random(11), random.Random(5)
    right = dict.fromkeys(strategies, 0)
    asked = 0
    for seed in range(quizzes):
        for question in questions(rng.choice(usable), rng=random.Random(seed)):
            asked += 1
            for name, strategy in strategies.items():
                right[name] += strategy(question.options, play).correct
    return {name: count / asked for name, count in right.items()}


def test_guessing_by_length_or_by_nin_scores_at_chance_over_1000_quizzes():
    """Four options: chance is 25%. Over 1,000 quizzes (about 2,200 questions) a strategy's share
    has a standard error near 1%; five points either side is chance."""
    for name, share in strategy_scores().items():
        assert 0.20 <= share <= 0.30, (name, share)


def test_quizzes_ask_how_long_to_wait_and_what_comes_next():
    from callscript.training.quiz import questions

    asked = questions(flows()["silent_call"], rng=random.Random(2))
    assert [(q.kind, q.step.id) for q in asked] == [
        ("line", "greet"), ("wait", "greet"), ("next", "greet"),
        ("line", "greet_again"), ("wait", "greet_again"), ("next", "greet_again"),
        ("line", "ask_call_again"), ("wait", "ask_call_again"),
    ]
    wait = asked[1]
    assert "要等多久" in wait.prompt_zh and [o.text for o in wait.options if o.correct] == ["5 秒"]
    assert len({o.text for o in wait.options}) == 4
    after_greet = asked[2]
    assert [o.text for o in after_greet.options if o.correct] == ["您好,请问有什么可以帮助您?"]
    assert "5 秒没有反应" in after_greet.prompt_zh


def test_the_wait_after_the_last_line_is_asked_as_a_wait_before_hanging_up():
    """After the call-back request the flow hangs up: its wait is not before a next line."""
    from callscript.training.quiz import questions

    for flow_id, last in (("silent_call", "ask_call_again"), ("caller_too_quiet", "ask_other_phone")):
        waits = {q.step.id: q for q in questions(flows()[flow_id], rng=random.Random(1)) if q.kind == "wait"}
        assert waits[last].prompt_zh.endswith("要等多久再挂机?"), waits[last].prompt_zh
        assert waits[last].prompt.endswith("how long do you wait before hanging up?"), waits[last].prompt
    greet = next(q for q in questions(flows()["silent_call"], rng=random.Random(1)) if q.kind == "wait")
    assert greet.prompt_zh.endswith("要等多久再说下一句?") and greet.prompt.endswith("before the next line?")


def test_options_come_in_random_order():
    flow = flows()["silent_call"]
    positions = {next(n for n, o in enumerate(quiz_options(flow, "greet", rng=random.Random(seed))) if o.correct)
                 for seed in range(30)}
    assert positions == {0, 1, 2, 3}
