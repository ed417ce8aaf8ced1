"""Flows that would run away with a call are refused by ``check`` (and stopped by the engine).

Each of these passed ``check`` before: two line-less steps handing over to each other every
millisecond (the log grew ~300 KB/s), a flow that ``call:``s itself (5 GB of ``simulate`` output),
a situation hotkey on a key that is already taken, ``say: 12345``, full-width and Arabic-Indic
digits in durations, and a 900,000-character ``score --answer``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callscript.cli import main
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.flow.library import check_paths, load_flows, parse_file

HEAD = """id: {id}
title: {{zh: 测试, en: Test}}
language: zh-CN
gloss: a test flow
source: {{document: 004_ec73fcbdd22154ce.txt, section: test}}
"""
WAIT = "    tip: {zh: 等, en: wait}\n"
LINE = "    say: 您好\n    gloss: hello\n"


def flow_file(folder: Path, flow_id: str, body: str) -> Path:
    path = folder / f"{flow_id}.yaml"
    path.write_text(HEAD.format(id=flow_id) + body, encoding="utf-8")
    return path


def loop(a: str, b: str, seconds: str) -> str:
    """Steps a and b hand over to each other on timers; an event leaves the loop."""
    return (f"start: a\nsteps:\n  a:\n{a}    on:\n      - after: {seconds}\n        to: b\n"
            "      - event: done\n        label: {zh: 完, en: done}\n        to: c\n"
            f"  b:\n{b}    on:\n      - after: {seconds}\n        to: a\n  c:\n    end: hang_up\n")


def problems(path: Path) -> list[tuple[str, str, str]]:
    return [(p.severity, p.code, p.render()) for p in check_paths([path], lint=False).problems]


def test_a_timed_loop_faster_than_a_second_is_refused(tmp_path):
    found = problems(flow_file(tmp_path, "fast", loop(LINE, WAIT, "1ms")))
    assert [(s, c) for s, c, _ in found] == [("error", "fast-timed-loop")]
    assert "go round in 0.002s: a -> b -> a" in found[0][2]


def test_a_timed_loop_with_no_line_is_refused_however_slow(tmp_path):
    found = problems(flow_file(tmp_path, "quiet", loop(WAIT, WAIT, "5s")))
    assert [(s, c) for s, c, _ in found] == [("error", "silent-timed-loop")]
    assert "none has a line to say: a -> b -> a" in found[0][2]


def test_a_slow_timed_loop_through_a_line_is_allowed(tmp_path):
    assert problems(flow_file(tmp_path, "repeat", loop(LINE, WAIT, "5s"))) == []


def handover(other: str, body: str, seconds: str) -> str:
    """Step a hands the call to flow ``other`` on a timer; an event leaves the loop."""
    return (f"start: a\nsteps:\n  a:\n{body}    on:\n      - after: {seconds}\n        flow: {other}\n"
            "        to: a\n      - event: done\n        label: {zh: 完, en: done}\n        to: c\n"
            "  c:\n    end: hang_up\n")


def test_a_timed_loop_from_flow_to_flow_is_refused_like_one_within_a_flow(tmp_path):
    """Loops that go through ``flow:`` hand-overs are checked across the flows, once per loop."""
    first = flow_file(tmp_path, "hand_a", handover("hand_b", WAIT, "200ms"))
    flow_file(tmp_path, "hand_b", handover("hand_a", WAIT, "200ms"))
    found = [(p.path, p.code, p.render()) for p in check_paths([tmp_path], lint=False).problems]
    assert [(path, code) for path, code, _ in found] == [(str(first), "fast-timed-loop")]
    assert "go round in 0.4s: hand_a/a -> hand_b/a -> hand_a/a" in found[0][2]


def test_a_slow_flow_to_flow_loop_needs_a_line_and_is_allowed_with_one(tmp_path):
    first = flow_file(tmp_path, "slow_a", handover("slow_b", WAIT, "5s"))
    flow_file(tmp_path, "slow_b", handover("slow_a", WAIT, "5s"))
    assert [p.code for p in check_paths([tmp_path], lint=False).problems] == ["silent-timed-loop"]
    flow_file(tmp_path, "slow_b", handover("slow_a", LINE, "5s"))
    assert check_paths([first, tmp_path / "slow_b.yaml"], lint=False).problems == []


SELF_CALL = ("start: a\nsteps:\n  a:\n" + LINE + "    on:\n      - after: 1s\n        call: {callee}\n"
             "        then: b\n  b:\n    end: hang_up\n")


def test_a_flow_that_calls_itself_is_refused(tmp_path):
    found = problems(flow_file(tmp_path, "again", SELF_CALL.format(callee="again")))
    assert [(s, c) for s, c, _ in found] == [("error", "call-cycle")]
    assert "comes back round to flow 'again' (again -> again)" in found[0][2]


def test_flows_that_call_each_other_round_are_refused_both(tmp_path):
    one = flow_file(tmp_path, "ping", SELF_CALL.format(callee="pong"))
    flow_file(tmp_path, "pong", SELF_CALL.format(callee="ping"))
    found = [(p.path, p.code) for p in check_paths([tmp_path], lint=False).problems]
    assert sorted(found) == [(str(one), "call-cycle"), (str(tmp_path / "pong.yaml"), "call-cycle")]


def test_the_engine_ends_a_runaway_call_nesting_instead_of_growing_without_end(tmp_path):
    """A flow that slipped past ``check`` (built without it) still stops: 16 flows deep at most."""
    runaway = parse_file(flow_file(tmp_path, "again", SELF_CALL.format(callee="again"))).flow
    clock = ManualClock()
    records = []
    engine = CallEngine({**load_flows(), "again": runaway}, "again", clock, listeners=[records.append],
                        auto_said=True)
    engine.start()
    for _ in range(100):
        clock.advance(1.0)
        engine.poll()
    assert engine.ended and engine.outcome == "aborted"
    assert max(r.data.get("depth", 0) for r in records) == 15
    assert records[-2].kind == "note" and "nested more than 16 flows deep" in records[-2].data["text"]


SITUATION = ("situation:\n  label: {{zh: 测试, en: Test}}\n  key: {key}\nstart: a\nsteps:\n  a:\n" + LINE
             + "    on:\n      - event: done\n        label: {{zh: 完, en: done}}\n        to: b\n  b:\n    end: return\n")


def test_a_situation_hotkey_taken_by_a_built_in_situation_is_warned(tmp_path, capsys):
    builtin_keys = {f.situation.key: f.id for f in load_flows().values() if f.situation and f.situation.key}
    key, owner = sorted(builtin_keys.items())[0]
    path = flow_file(tmp_path, "mine", SITUATION.format(key=key))
    assert main(["check", "--no-lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"warning: situation -> key: hotkey '{key}' is also used by situation '{owner}'" in out


def test_a_situation_hotkey_the_call_screen_uses_is_warned(tmp_path, capsys):
    path = flow_file(tmp_path, "mine", SITUATION.format(key="g"))  # g shows the English gloss
    assert main(["check", "--no-lint", str(path)]) == 1
    assert "hotkey 'g' is the call screen's own key for call.gloss" in capsys.readouterr().out


def test_say_must_be_text_and_a_number_says_quote_it(tmp_path):
    found = problems(flow_file(tmp_path, "number", "start: a\nsteps:\n  a:\n    say: 12345\n    gloss: x\n"
                                                  "    end: hang_up\n"))
    assert [(s, c) for s, c, _ in found] == [("error", "type")]
    assert "expected text, found the number 12345" in found[0][2]
    assert 'hint: quote it if it is the text to say: say: "12345"' in found[0][2]


@pytest.mark.parametrize("duration", ["５s", "٥s", "1٫5s", "５00ms"])
def test_durations_take_ascii_digits_only(tmp_path, duration):
    found = problems(flow_file(tmp_path, "digits", loop(LINE, LINE, duration)))
    assert {c for _, c, _ in found} == {"duration"}


def test_score_refuses_an_answer_longer_than_the_documented_limit(capsys):
    from callscript.commands.score import MAX_ANSWER_CHARS

    assert main(["score", "silent_call", "greet", "--answer", "您" * (MAX_ANSWER_CHARS + 1)]) == 1
    err = capsys.readouterr().err
    assert f"the answer is too long to score at once ({MAX_ANSWER_CHARS + 1:,} characters" in err
