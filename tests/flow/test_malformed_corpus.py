"""The corpus of malformed flows: each file must give exactly this message (and exit code).

The messages are the user interface of ``callscript check``, so they are pinned in full: file,
line and column, the chain of keys, what is wrong, and the hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callscript.cli import main

CORPUS = Path(__file__).parent / "malformed"

EXPECTED = {
    "bad_duration": (1, """bad_duration.yaml:12:16: error: step 'greet' -> on[0] -> after: expected a duration like '5s', found 'five seconds'
  hint: write a number with a unit: 5s, 1.5s, 500ms or 2m"""),
    "bad_end": (1, """bad_end.yaml:11:10: error: step 'greet' -> end: unknown end 'hangup'
  hint: did you mean 'hang_up'?"""),
    "bad_expect": (1, """bad_expect.yaml:14:17: error: step 'greet' -> expect[0] -> points: expected a whole number of points from 1 to 100, found 'lots'
  hint: write e.g. points: 10 (25 when left out)"""),
    "bare_number_duration": (1, """bare_number_duration.yaml:12:16: error: step 'greet' -> on[0] -> after: expected a duration like '5s', found 5
  hint: write a number with a unit: 5s, 1.5s, 500ms or 2m"""),
    "billion_laughs": (1, """billion_laughs.yaml:5:8: error: the YAML expands to more than 10,000 values (aliases count in full)
  hint: flows are small; remove repeated aliases (*name)"""),
    "binary": (1, """binary.yaml:1:1: error: this is a binary file, not a YAML flow
  hint: flows are UTF-8 text files written as YAML (see docs/flow-format.md)"""),
    "comments_only": (1, """comments_only.yaml:1:1: error: the file is empty
  hint: a flow needs at least id, title, language, gloss, source, start and steps (see docs/flow-format.md)"""),
    "cycle_no_exit": (1, """cycle_no_exit.yaml:9:5: warning: step 'greet': these steps loop with no way to end the call: greet -> again
  hint: add a transition from the loop to a step with 'end:'"""),
    "deep_nesting": (1, """deep_nesting.yaml:1:68: error: brackets are nested more than 64 deep
  hint: flows need only a few levels of nesting; check for unbalanced [ or {"""),
    "duplicate_key": (1, """duplicate_key.yaml:11:5: error: duplicate key 'say' (first written at line 9)
  hint: each key may appear once in a mapping; remove or rename one of them"""),
    "empty": (1, """empty.yaml:1:1: error: the file is empty
  hint: a flow needs at least id, title, language, gloss, source, start and steps (see docs/flow-format.md)"""),
    "event_without_label": (1, """event_without_label.yaml:12:9: error: step 'greet' -> on[0]: an agent event needs a label
  hint: add label: {zh: ..., en: ...} (shown on its key)"""),
    "id_mismatch": (1, """id_mismatch.yaml:1:1: error: id: flow id 'something_else' does not match the file name 'id_mismatch'
  hint: rename the file to something_else.yaml or change the id to id_mismatch"""),
    "lint_phrasing": (1, """lint_phrasing.yaml:9:10: warning: step 'greet' -> say: the line uses 你 to address the caller
  hint: say 您 (004 §7.4: address the customer as 您, never 你)
lint_phrasing.yaml:9:10: warning: step 'greet' -> say: the line promises with '保证'
  hint: leave room: say 正常情况下, 尽量, 努力 or 争取 instead (004 §3.5)
lint_phrasing.yaml:9:10: warning: step 'greet' -> say: the line opens with 喂
  hint: open with 您好 (004: '喂,说话呀!' is what never to say)
lint_phrasing.yaml:16:10: warning: step 'reply' -> say: the line is a blunt one-word reply
  hint: answer in a complete, polite sentence (004 §3.10)"""),
    "missing_gloss": (1, """missing_gloss.yaml:9:10: error: step 'greet' -> say: a line to say needs its English gloss
  hint: add 'gloss:' with the English meaning of the line, for trainers"""),
    "multiple_documents": (1, """multiple_documents.yaml:2:1: error: the file holds more than one YAML document
  hint: put each flow in its own file (remove the '---' separator)"""),
    "no_way_out": (1, """no_way_out.yaml:9:5: error: step 'greet': this step has no way out
  hint: add transitions under 'on:' or make it terminal with 'end: hang_up' (or resolved, return ...)"""),
    "not_utf8": (1, """not_utf8.yaml:2:13: error: the file is not UTF-8 (byte 0xb2 at byte 25)
  hint: save the file as UTF-8 (Chinese text saved as GBK or Big5 must be converted)"""),
    "python_tag": (1, """python_tag.yaml:9:10: error: YAML tags are not allowed in flows (found 'tag:yaml.org,2002:python/object/apply:os.system')
  hint: remove the tag; flows hold plain text, numbers, lists and mappings"""),
    "syntax_error": (1, """syntax_error.yaml:3:9: error: YAML syntax: while parsing a flow mapping did not find expected ',' or '}'
  hint: check indentation (spaces, not tabs) and quote text containing ': ' or '#'"""),
    "terminal_with_on": (1, """terminal_with_on.yaml:13:7: error: step 'greet' -> on: a step with 'end' cannot have transitions
  hint: remove 'end' to keep the transitions, or remove 'on'"""),
    "timer_no_target": (1, """timer_no_target.yaml:12:9: error: step 'greet' -> on[0]: a timer with no target
  hint: add 'to: STEP', 'flow: FLOW' or 'call: FLOW'"""),
    "too_big": (1, """too_big.yaml: error: file is too large (300,020 bytes; the limit is 262,144)
  hint: a flow is a few kilobytes; split it into several flows"""),
    "two_triggers": (1, """two_triggers.yaml:12:9: error: step 'greet' -> on[0]: a transition needs exactly one trigger (found: after, line)
  hint: use one of: event, after, silence, line, heard"""),
    "undefined_variable": (1, """undefined_variable.yaml:9:10: error: step 'greet' -> say: variable '{hotline}' is not defined
  hint: declare it under 'variables:' with a default, e.g. hotline: {default: ...}"""),
    "unknown_flow": (1, """unknown_flow.yaml:12:9: error: step 'greet' -> on[0] -> call: flow 'complaints' does not exist
  hint: did you mean 'complaint'?"""),
    "unknown_key": (1, """unknown_key.yaml:11:5: error: step 'greet' -> tips: unknown key 'tips'
  hint: did you mean 'tip'?"""),
    "unknown_line_condition": (1, """unknown_line_condition.yaml:12:15: error: step 'greet' -> on[0] -> line: unknown line condition 'silent'
  hint: did you mean 'silence'?"""),
    "unknown_target": (1, """unknown_target.yaml:12:9: error: step 'greet' -> on[0] -> to: step 'greet_agian' does not exist
  hint: did you mean 'greet_again'?"""),
    "unreachable": (1, """unreachable.yaml:13:5: warning: step 'orphan': this step can never be reached
  hint: add a transition to it (e.g. 'to: orphan') or remove it"""),
    "wrong_type": (1, """wrong_type.yaml:8:3: error: steps: expected a mapping of step ids to steps, found a list
  hint: write each step as 'step_id:' with its keys indented below"""),
}


def test_every_corpus_file_has_an_expected_message():
    assert sorted(p.stem for p in CORPUS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_flow_gives_its_exact_message(name, monkeypatch, capsys):
    monkeypatch.chdir(CORPUS)
    code = main(["check", f"{name}.yaml"])
    out = capsys.readouterr().out
    expected_code, expected_text = EXPECTED[name]
    assert out.rstrip("\n") == expected_text
    assert code == expected_code
