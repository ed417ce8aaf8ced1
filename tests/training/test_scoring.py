"""Scoring answers: the documents' own phrases pass, their forbidden phrasing fails, and each rule
of ``callscript.training.scoring`` holds on its own.

The cases come from the flows (every ``say`` and every ``never: - say:``) and, independently, from
the phone scripts of seed document 004 itself (its quotations, converted to Simplified Chinese),
so a flow that drifted from the document would not hide a scoring mistake.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import pytest

from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.flow.model import Forbidden, Step, Transition, Trigger
from callscript.text import fill
from callscript.training.scoring import (
    join_reasons,
    key_phrases,
    required_wait,
    score_answer,
    score_flow_step,
    spoken_steps,
)
from tests.support import require_seeds

DOCUMENT_PLACEHOLDERS = {"hotline": "XX", "agent": "YYY", "surname": "某", "title": "先生/小姐"}
PINYIN_ANNOTATION = re.compile(
    r"(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f])"
    r"\([a-z\u00e0-\u01dc\u0300-\u036f\u1e00-\u1eff]+ *\)"
)


@cache
def flows():
    return load_flows()


def spoken():
    return [(f.id, s.id) for f in flows().values() for s in spoken_steps(f)]


def forbidden():
    return [(f.id, s.id, n.text) for f in flows().values() for s in f.steps.values() for n in s.never if n.kind == "say"]


@cache
def phone_scripts() -> tuple[list[str], list[str]]:
    """004's phone scripts (the second 微信客服的素质要求 section): (correct quotes, 不可以说 quotes)."""
    from opencc import OpenCC

    raw = next(require_seeds().glob("004_*.txt")).read_text(encoding="utf-8")
    text = OpenCC("t2s").convert(PINYIN_ANNOTATION.sub("", raw))
    start = text.rfind("微信客服的素质要求")
    section = text[start:text.find("银行客服经理的基本素质", start)]
    correct, never = [], []
    for match in re.finditer(r"(.{0,6})“([^”]*)”", section):
        quote = match.group(2).split("“")[-1]  # the copy lost one closing quote after the caller's greeting
        quote = quote.replace("(稍微提高音量),", "")  # a stage direction, not words to say
        if match.group(1).endswith("不可以说:"):
            never.append(quote)
        elif quote != "先生/小姐":  # the title on its own, quoted in the instructions
            correct.append(quote)
    return correct, never


# -- the documents' phrases -----------------------------------------------------------------------


@pytest.mark.parametrize(("flow_id", "step_id"), spoken())
def test_every_say_line_scores_100_and_passes(flow_id, step_id):
    flow = flows()[flow_id]
    line = fill(flow.steps[step_id].say, flow.defaults())
    result = score_flow_step(flow, step_id, line)
    assert (result.score, result.passed, result.reasons) == (100, True, ())


@pytest.mark.parametrize(("flow_id", "step_id"), spoken())
def test_every_say_line_with_the_documents_placeholders_passes(flow_id, step_id):
    """The line exactly as the document writes it (XX, YYY, 某先生/小姐) passes too."""
    flow = flows()[flow_id]
    line = fill(flow.steps[step_id].say, DOCUMENT_PLACEHOLDERS)
    result = score_flow_step(flow, step_id, line)
    assert result.passed, result.reasons
    assert result.score == 100


@pytest.mark.parametrize(("flow_id", "step_id", "phrase"), forbidden())
def test_every_forbidden_phrase_fails_on_its_step(flow_id, step_id, phrase):
    result = score_flow_step(flows()[flow_id], step_id, phrase)
    assert not result.passed
    assert phrase in result.forbidden_found
    assert result.score <= 20


@pytest.mark.parametrize(("flow_id", "step_id"), spoken())
def test_every_forbidden_phrase_fails_on_every_step(flow_id, step_id):
    for _, _, phrase in forbidden():
        assert not score_flow_step(flows()[flow_id], step_id, phrase).passed, phrase


def test_no_correct_line_is_mistaken_for_any_forbidden_phrase():
    """Cross-check: every line of every flow against every forbidden phrase of every flow."""
    catch_all = Step("all", say="x", never=tuple(Forbidden("say", p, "") for _, _, p in forbidden()))
    for flow in flows().values():
        for step in spoken_steps(flow):
            line = fill(step.say, flow.defaults())
            assert score_answer(catch_all, line).forbidden_found == (), (flow.id, step.id)


def test_the_document_has_the_phone_scripts_expected():
    correct, never = phone_scripts()
    assert len(correct) >= 12 and len(never) == 4
    assert "喂,说话呀!再不说话我就挂了啊!" in never


def test_every_phone_script_quote_in_004_passes_on_its_step():
    """Each correct quotation of 004 passes on the step that says it (the best-scoring one)."""
    correct, _ = phone_scripts()
    for quote in correct:
        results = [
            score_flow_step(flows()[f], s, quote) for f, s in spoken()
        ]
        best = max(results, key=lambda r: r.score)
        assert best.passed and best.score == 100, (quote, best.flow, best.step, best.reasons)


def test_every_not_to_say_quote_in_004_fails_everywhere():
    _, never = phone_scripts()
    for quote in never:
        for f, s in spoken():
            result = score_flow_step(flows()[f], s, quote)
            assert not result.passed, (quote, f, s)
            assert any(r.code == "wei_opening" for r in result.reasons)


# -- each rule -------------------------------------------------------------------------------------


def silent(step_id="greet"):
    return flows()["silent_call"], step_id


def test_punctuation_width_and_spacing_do_not_matter():
    flow, step = silent()
    for answer in ("您好!请问有什么可以帮助您?", "您好 请问有什么可以帮助您", "您好,请问 有什么 可以帮助您。"):
        assert score_flow_step(flow, step, answer).score == 100


def test_a_homophone_from_the_recogniser_costs_nothing_and_shows_in_the_diff():
    flow, step = silent()
    result = score_flow_step(flow, step, "您好请问有什么可以帮主您")
    assert result.passed and result.score == 100
    assert ("homophone", "助", "主") in [(d.op, d.expected, d.answer) for d in result.diff]


def test_ni_instead_of_nin_fails_once_however_often_it_is_said():
    """你 for 您 is one fault: one deduction, not also a missing greeting (你好) or polite form."""
    flow, step = silent()
    result = score_flow_step(flow, step, "你好,请问有什么可以帮助你?")
    assert not result.passed
    assert [(r.code, r.penalty, r.detail["count"]) for r in result.reasons] == [("informal_you", 25, 2)]
    assert result.missing_phrases == () and result.score == 75


def test_nimen_is_not_informal_you():
    step = Step("s", say="我们会尽快给您答复")
    assert "informal_you" not in [r.code for r in score_answer(step, "我们会尽快给你们答复").reasons]


@pytest.mark.parametrize("word", ["肯定", "保证", "绝对"])
def test_absolute_promises_fail(word):
    step = Step("s", say="正常情况下我们会尽量在今天给您答复")
    result = score_answer(step, f"正常情况下我们{word}在今天给您答复")
    assert not result.passed
    assert [r.detail["word"] for r in result.reasons if r.code == "absolute_word"] == [word]


@pytest.mark.parametrize("answer", ["是", "是的", "好", "好的", "不行", "不议价", "好的呀", "嗯"])
def test_blunt_one_word_replies_fail(answer):
    flow, step = silent()
    result = score_flow_step(flow, step, answer)
    assert not result.passed
    assert "blunt_reply" in [r.code for r in result.reasons]


def test_a_missing_key_phrase_fails_even_when_the_rest_is_close():
    flow, step = silent("ask_call_again")
    result = score_flow_step(flow, step, "您的电话没有声音,请您换一部电话再次打来,好吗?再见!")
    assert result.similarity >= 90
    assert not result.passed
    assert result.missing_phrases == ("对不起",)


def test_key_phrases_are_the_polite_markers_of_the_line_longest_first():
    assert key_phrases("对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!") == (
        "对不起", "您", "请您", "好吗", "再见",
    )
    assert key_phrases("您好!请问有什么可以帮助您?") == ("您好", "请问", "您")
    assert key_phrases("我也是这么想的") == ()


def test_a_small_slip_still_passes_with_a_lower_score():
    flow, step = silent("ask_call_again")
    result = score_flow_step(flow, step, "对不起,您的电话没有声音,请您换一部电话再打来,好吗?再见!")
    assert result.passed and 90 <= result.score < 100
    assert [d.op for d in result.diff if d.op != "equal"] == ["delete"]


def test_an_unrelated_answer_fails_as_not_similar():
    flow, step = silent()
    result = score_flow_step(flow, step, "今天天气很好,我们的商品在打折")
    assert not result.passed
    assert [r.code for r in result.reasons] == ["not_similar"]


def test_a_greeting_before_an_unrelated_sentence_still_misses_the_offer_of_help():
    flow, step = silent()
    result = score_flow_step(flow, step, "您好,今天天气很好,我们的商品在打折")
    assert not result.passed
    assert [(r.code, r.detail.get("element")) for r in result.reasons] == [("missing_element", "offer of help")]


def test_an_empty_answer_scores_zero():
    flow, step = silent()
    result = score_flow_step(flow, step, "  ")
    assert (result.score, result.passed, result.reasons[0].code) == (0, False, "empty")


def test_forbidden_phrasing_with_another_particle_is_still_forbidden():
    flow, step = silent()
    result = score_flow_step(flow, step, "喂,说话啊!再不说话我就挂了呀!")
    assert result.forbidden_found == ("喂,说话呀!再不说话我就挂了啊!",)


def test_forbidden_phrasing_inside_a_polite_answer_is_found():
    flow, step = silent()
    result = score_flow_step(flow, step, "您好,请问有什么可以帮助您?再不说话我就挂了啊")
    assert not result.passed
    assert result.forbidden_found


def test_a_polite_request_near_a_forbidden_one_is_not_forbidden():
    """请您大声一点儿好吗 shares 大声一点儿 with the forbidden 喂,大声一点儿! but is polite."""
    step = Step("s", say="对不起!请您大声一点,好吗?", never=(Forbidden("say", "喂,大声一点儿!", ""),))
    result = score_answer(step, "对不起!请您大声一点儿,好吗?")
    assert result.passed and result.forbidden_found == ()


# -- variables ---------------------------------------------------------------------------------------


def test_the_callers_real_surname_is_taken_from_the_answer():
    flow = flows()["address_by_surname"]
    result = score_flow_step(flow, "address", "王先生,请问有什么可以帮助您?")
    assert result.passed and result.score == 100
    assert result.variables == {"surname": "王", "title": "先生"}
    assert result.expected == "王先生,请问有什么可以帮助您?"


def test_leaving_out_the_callers_name_fails():
    flow = flows()["address_by_surname"]
    result = score_flow_step(flow, "address", "请问有什么可以帮助您?")
    assert not result.passed
    assert [r.detail.get("element") for r in result.reasons] == ["caller's surname and title"]


def test_a_given_surname_must_be_said():
    flow = flows()["address_by_surname"]
    ok = score_flow_step(flow, "address", "王小姐,请问有什么可以帮助您?", variables={"surname": "王", "title": "小姐"})
    wrong = score_flow_step(flow, "address", "李小姐,请问有什么可以帮助您?", variables={"surname": "王", "title": "小姐"})
    assert ok.passed and ok.score == 100
    assert not wrong.passed
    assert [r.detail.get("value") for r in wrong.reasons if r.code == "variable_missing"] == ["王"]


def test_the_agents_own_hotline_and_number_are_accepted_in_the_greeting():
    flow = flows()["greeting"]
    answer = "您好,欢迎致电顺风客户服务热线,客服代表027很高兴为您服务,请问有什么可以帮助您!"
    result = score_flow_step(flow, "greet", answer)
    assert result.passed and result.score == 100
    assert result.variables == {"hotline": "顺风", "agent": "027"}


# -- timing --------------------------------------------------------------------------------------------


def test_required_wait_is_the_steps_shortest_timed_transition():
    flow, step = silent()
    assert required_wait(flow.steps[step]) == 5.0
    assert required_wait(Step("s", say="x")) is None
    two = Step("s", say="x", on=(
        Transition(Trigger.AFTER, seconds=8, to="a"), Transition(Trigger.SILENCE, seconds=3, to="b"),
    ))
    assert required_wait(two) == 3.0


@pytest.mark.parametrize(("waited", "passed", "code"), [
    (5.0, True, None), (4.8, True, None), (4.0, False, "wait_too_short"), (0.0, False, "wait_too_short"),
    (12.0, True, "wait_too_long"),
])
def test_waiting_less_than_the_required_seconds_fails(waited, passed, code):
    flow, step = silent()
    result = score_flow_step(flow, step, "您好!请问有什么可以帮助您?", waited=waited)
    assert result.passed is passed
    assert result.timing is not None and result.timing.required == 5.0
    assert [r.code for r in result.reasons] == ([code] if code else [])


def test_waited_is_ignored_on_a_step_without_a_timed_wait():
    flow = flows()["caller_too_quiet"]
    result = score_flow_step(flow, "ask_louder", "对不起!请您大声一点,好吗?", waited=0.5)
    assert result.timing is None and result.passed


# -- errors and output --------------------------------------------------------------------------------


def test_a_step_without_a_line_cannot_be_scored():
    flow, _ = silent()
    with pytest.raises(CallscriptError, match="no line to say"):
        score_flow_step(flow, "hang_up", "再见")
    with pytest.raises(CallscriptError, match="has no step"):
        score_flow_step(flow, "nope", "再见")


def test_as_dict_has_the_fields_the_json_promises():
    flow, step = silent()
    data = score_flow_step(flow, step, "喂,说话呀!").as_dict()
    assert {"score", "passed", "reasons", "diff", "expected", "answer", "timing"} <= set(data)
    assert all({"code", "message", "detail"} <= set(r) for r in data["reasons"])


def test_english_lines_are_scored_without_pinyin():
    step = Step("s", say="Sorry, could you please speak a little louder?")
    assert score_answer(step, "sorry could you please speak a little louder", language="en-US").score == 100
    result = score_answer(step, "Speak louder, I guarantee it", language="en-US")
    assert not result.passed
    assert {"absolute_word", "key_phrase_missing"} <= {r.code for r in result.reasons}
    assert "blunt_reply" in {r.code for r in score_answer(step, "OK", language="en-US").reasons}


def test_scoring_does_not_mutate_the_step():
    flow, step = silent()
    before = replace(flow.steps[step])
    score_flow_step(flow, step, "你好")
    assert flow.steps[step] == before


def test_reasons_join_as_sentences_in_chinese_and_with_semicolons_in_english():
    """A trial found "缺少关键用语“您好”。; 缺少关键用语“您”。": no ASCII separator after 。."""
    result = score_flow_step(flows()["silent_call"], "greet", "喂,你说吧")
    failing = [r for r in result.reasons if r.fails]
    assert len(failing) >= 2
    zh = join_reasons([r.message_zh for r in failing], "zh")
    assert "。;" not in zh and ";" not in zh and "; " not in zh
    assert zh == "".join(r.message_zh for r in failing)  # each already ends with 。
    assert join_reasons(["缺少关键用语“您好”", "称呼客户要用“您”。"], "zh") == "缺少关键用语“您好”。称呼客户要用“您”。"
    en = join_reasons([r.message for r in failing], "en")
    assert en.count("; ") == len(failing) - 1 and ".;" not in en and en.endswith(".")
    assert join_reasons(["Says 你.", "Opens with 喂."], "en") == "Says 你; Opens with 喂."
    assert join_reasons([], "zh") == join_reasons([], "en") == ""
