"""The headless drill: lines in the flow's order, answers scored, waits judged between lines,
final results recorded in the progress store. Time is a ManualClock; nothing sleeps."""

from __future__ import annotations

from functools import cache

from callscript.engine.clock import ManualClock
from callscript.flow.library import load_flows
from callscript.text import fill
from callscript.training.drill import Drill, drill_path
from callscript.training.progress import ProgressStore


@cache
def flows():
    return load_flows()


def test_drill_paths_follow_the_timed_waits_first():
    assert [s.id for s in drill_path(flows()["silent_call"])] == ["greet", "greet_again", "ask_call_again"]
    assert [s.id for s in drill_path(flows()["caller_too_quiet"])] == ["ask_louder", "ask_other_phone"]
    assert [s.id for s in drill_path(flows()["main_call"])][:2] == ["greet", "confirm"]


def test_a_whole_silent_call_drill_with_typed_answers(tmp_path):
    flow = flows()["silent_call"]
    clock = ManualClock()
    with ProgressStore(tmp_path / "p.sqlite") as store:
        drill = Drill(flow, clock=clock, trainee="小王", store=store)
        lines = [fill(s.say, flow.defaults()) for s in drill.path]
        first = drill.submit(lines[0])
        assert first.passed and first.timing is None and drill.results == []
        clock.advance(5.2)
        drill.submit(lines[1].replace("您", "你"))  # waited well, but says 你
        clock.advance(3.0)
        drill.submit(lines[2])  # waited only 3 s before the call-back request
        assert drill.current is None
        clock.advance(5.0)
        results = drill.finish()
        attempts = store.attempts("小王")
    assert [r.step for r in results] == ["greet", "greet_again", "ask_call_again"]
    assert [r.passed for r in results] == [True, False, True]
    assert [r.timing.waited for r in results] == [5.2, 3.0, 5.0]
    assert "wait_too_short" in [x.code for x in results[1].reasons]
    assert "informal_you" in [x.code for x in results[1].reasons]
    assert [(a.step, a.score, a.passed) for a in attempts] == [(r.step, r.score, r.passed) for r in results]
    assert drill.score == round(sum(r.score for r in results) / 3)


def test_typing_time_does_not_count_as_waiting():
    flow = flows()["silent_call"]
    clock = ManualClock(100.0)
    drill = Drill(flow, clock=clock)
    drill.submit("您好!请问有什么可以帮助您?", started=98.0, finished=100.0)
    clock.advance(9.0)  # 5 s of silence, then 4 s typing the next line
    drill.submit("您好,请问有什么可以帮助您?", started=105.0)
    assert drill.results[0].timing.waited == 5.0 and drill.results[0].passed


def test_a_wait_cut_short_by_hanging_up_says_hang_up_not_next_line():
    """The last line's wait ends when the trainee hangs up (``finish``): its advice is to wait
    before hanging up; a wait cut short by the next line keeps its own advice."""
    flow = flows()["caller_too_quiet"]
    clock = ManualClock()
    drill = Drill(flow, clock=clock)
    lines = [fill(s.say, flow.defaults()) for s in drill.path]
    for line in lines:
        drill.submit(line)
    clock.advance(2.0)
    last = drill.finish()[-1]
    reason = next(r for r in last.reasons if r.code == "wait_too_short")
    assert reason.message_zh == "只等了 2.0 秒就挂机,应稍停 5 秒再挂机。"
    assert reason.message == "Hung up after only 2.0 s: wait 5 s before hanging up."

    silent = flows()["silent_call"]
    drill = Drill(silent, clock=clock)
    drill.submit(fill(drill.path[0].say, silent.defaults()))
    clock.advance(3.0)
    drill.submit(fill(drill.path[1].say, silent.defaults()))
    reason = next(r for r in drill.results[0].reasons if r.code == "wait_too_short")
    assert reason.message_zh == "只等了 3.0 秒,应稍停 5 秒再说下一句。"
