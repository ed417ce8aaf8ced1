"""The caller's side of a drill, declared in the flow file: ``caller:`` on the flow for every line,
on a step for the line that answers it, ``caller: none`` where the agent speaks first; and the one
readable message (file, line, key, hint) for a kind or a voice the drill does not have."""

from __future__ import annotations

from pathlib import Path

from callscript.flow.library import check_paths
from callscript.flow.model import NO_CALLER, Caller

FLOW = """\
id: {id}
title: {{zh: 测试, en: Test}}
language: zh-CN
gloss: test
source: {{document: doc.txt, section: one}}
caller: {{kind: quiet, say: "喂,你好?", voice: cmn}}
start: greet
steps:
  greet:
    caller: none
    say: 您好!
    gloss: Hello
    on:
      - event: spoke
        label: {{zh: 说话了, en: Spoke}}
        to: calm
  calm:
    caller: {{kind: upset, say: 太过分了!}}
    say: 别着急。
    gloss: Do not worry.
    on:
      - after: 5s
        to: ask
  ask:
    say: 请问有什么可以帮助您?
    gloss: How may I help you?
    end: resolved
"""


def check(tmp_path: Path, name: str, text: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.format(id=name), encoding="utf-8")
    return check_paths([path], lint=False), path


def test_a_step_caller_overrides_the_flows_and_none_means_the_agent_speaks_first(tmp_path):
    result, _path = check(tmp_path, "callers", FLOW)
    assert [p.render() for p in result.problems] == []
    flow = result.checked["callers"]
    steps = flow.steps
    assert steps["greet"].caller is NO_CALLER and flow.caller_for(steps["greet"]) is None
    assert flow.caller_for(steps["calm"]) == Caller("upset", "太过分了!", "", steps["calm"].caller.mark)
    assert flow.caller_for(steps["ask"]) is flow.caller  # no caller of its own: the flow's
    assert (flow.caller.kind, flow.caller.say, flow.caller.voice) == ("quiet", "喂,你好?", "cmn")


def test_an_unknown_kind_is_one_message_with_the_file_line_and_the_kinds(tmp_path):
    result, path = check(tmp_path, "bad_kind", FLOW.replace("kind: upset", "kind: angry"))
    assert [p.render() for p in result.problems] == [(
        f"{path}:18:20: error: step 'calm' -> caller -> kind: unknown caller kind 'angry'\n"
        "  hint: use one of: normal, upset, silence, quiet, noisy, dialect, speakerphone")]


def test_a_voice_espeak_ng_is_not_given_is_one_message_with_a_close_match(tmp_path):
    result, path = check(tmp_path, "bad_voice", FLOW.replace("voice: cmn", "voice: cmnn"))
    assert [p.render() for p in result.problems] == [
        f"{path}:6:44: error: caller -> voice: unknown espeak-ng voice 'cmnn'\n  hint: did you mean 'cmn'?"]


def test_a_speaking_caller_needs_words_and_a_silent_one_has_none(tmp_path):
    wordless = FLOW.replace('caller: {{kind: quiet, say: "喂,你好?", voice: cmn}}', "caller: {{kind: quiet}}")
    messages = [p.render() for p in check(tmp_path, "wordless", wordless)[0].problems]
    assert messages == [(f"{tmp_path / 'wordless.yaml'}:6:9: error: caller: a 'quiet' caller needs the words they say\n"
                         "  hint: add say: with the caller's words")]
    talking = FLOW.replace("kind: upset", "kind: silence")
    messages = [p.render() for p in check(tmp_path, "talking", talking)[0].problems]
    assert messages == [(f"{tmp_path / 'talking.yaml'}:18:34: error: step 'calm' -> caller -> say: a silent caller "
                         "says nothing\n  hint: remove 'say', or choose another kind")]


def test_none_is_for_a_step_only(tmp_path):
    result, path = check(tmp_path, "flow_none", FLOW.replace('caller: {{kind: quiet, say: "喂,你好?", voice: cmn}}',
                                                             "caller: none"))
    assert [p.render() for p in result.problems] == [(
        f"{path}:6:9: error: caller: expected a mapping of keys, found text\n"
        "  hint: indent the keys under this line, one 'key: value' per line")]
