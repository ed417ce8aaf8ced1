"""Behaviour a flow declares instead of the UI hard-coding it: variables asked when needed (with
choices and the values that mean "not known"), how a situation returns, a short form of a line,
ways out that may skip the line, louder demonstrations; and what ``check`` says about them."""

from __future__ import annotations

from pathlib import Path

from callscript.flow.library import check_library, check_paths
from callscript.flow.model import Resume

HEAD = """\
id: {id}
title: {{zh: 测试, en: Test}}
language: zh-CN
gloss: test
source: {{document: doc.txt, section: one}}
"""

GOOD = HEAD + """\
demonstrate_louder: true
situation:
  label: {{zh: 测试, en: Test}}
  suggest_on: [silence]
  resume: continue
variables:
  surname: {{default: 某, ask: {{zh: 客户贵姓?, en: Surname?}}, unknown: [某]}}
  title:
    default: 先生/小姐
    ask: {{zh: 先生还是小姐?, en: Mr or Ms?}}
    choices: {{先生: Mr., 小姐: Ms.}}
    unknown: [先生/小姐]
start: greet
steps:
  greet:
    say: "{{surname}}{{title}},您好!"
    gloss: Hello
    again: {{say: 您好!, gloss: Hello!}}
    on:
      - event: spoke
        label: {{zh: 说话了, en: Spoke}}
        to: back
        by_caller: true
      - line: speech_started
        to: back
      - silence: 5s
        to: back
  back:
    end: return
"""


def check(tmp_path: Path, name: str, text: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.format(id=name), encoding="utf-8")
    return check_paths([path], lint=False)


def test_the_behaviour_keys_are_read_into_the_flow(tmp_path):
    result = check(tmp_path, "declared", GOOD)
    assert [p.render() for p in result.problems] == []
    flow = result.checked["declared"]
    assert flow.demonstrate_louder and flow.situation.resume is Resume.CONTINUE
    surname, title = flow.variables["surname"], flow.variables["title"]
    assert surname.ask.zh == "客户贵姓?" and not surname.known("某") and surname.known("王")
    assert [(c.value, c.english) for c in title.choices] == [("先生", "Mr."), ("小姐", "Ms.")]
    assert not title.known("先生/小姐") and title.known("小姐")
    greet = flow.steps["greet"]
    assert greet.again.say == "您好!" and greet.on[0].by_caller and not greet.on[1].by_caller


def test_wrong_values_are_one_message_each_with_a_hint(tmp_path):
    bad = GOOD.replace("resume: continue", "resume: again").replace(
        "    ask: {{zh: 先生还是小姐?, en: Mr or Ms?}}\n", "")
    messages = [p.render() for p in check(tmp_path, "bad", bad).problems]
    assert any("situation -> resume: unknown resume 'again'" in m and "hint:" in m for m in messages), messages
    assert any("variables -> title -> choices: choices are asked: add 'ask'" in m for m in messages), messages


def test_a_flow_suggested_on_silence_whose_wait_ignores_speech_is_a_warning(tmp_path):
    deaf = GOOD.replace("      - line: speech_started\n        to: back\n", "")
    problems = check(tmp_path, "deaf", deaf).problems
    assert [(p.severity, p.code) for p in problems] == [("warning", "wait-ignores-speech")]
    assert "silence 5s wait ignores the caller speaking" in problems[0].render()
    assert "line: speech_started" in problems[0].render()


def test_the_shipped_silent_call_leaves_on_speech_at_every_wait():
    result = check_library(lint=False)
    assert "silent_call" in result.checked
    assert not [p for p in result.problems if p.code == "wait-ignores-speech"]


def test_a_line_for_an_unknown_caller_is_read_and_checked_like_the_line(tmp_path):
    good = GOOD.replace("    again: {{say: 您好!, gloss: Hello!}}\n",
                        "    again: {{say: 您好!, gloss: Hello!}}\n    if_unknown: {{say: 您好!, gloss: Hello!}}\n")
    result = check(tmp_path, "unknown_ok", good)
    assert [p.render() for p in result.problems] == []
    assert result.checked["unknown_ok"].steps["greet"].if_unknown.say == "您好!"
    undefined = good.replace("if_unknown: {{say: 您好!", "if_unknown: {{say: '{{who}}您好!'")
    messages = [p.render() for p in check(tmp_path, "unknown_var", undefined).problems]
    assert any("step 'greet' -> if_unknown -> say: variable '{who}' is not defined" in m for m in messages), messages
    no_line = good.replace("  back:\n    end: return\n", "  back:\n    tip: {{zh: 回, en: back}}\n"
                           "    if_unknown: {{say: 您好!, gloss: Hello!}}\n    end: return\n")
    messages = [p.render() for p in check(tmp_path, "unknown_no_line", no_line).problems]
    assert any("'if_unknown' is said instead of the line while a variable is unknown" in m for m in messages), messages
