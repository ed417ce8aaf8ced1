"""Whole calls through every shipped flow, on the running app, with a ManualClock.

For each flow, ``plan_walks`` finds input sequences that together take every event, timed wait,
line condition and heard phrase of every step reachable from the flow's start, and enter every
situation from every step of the call (walking each to its end). Each sequence is played on the
real app as an agent would play it (keys, the clock, the listener's sink), starting each call from
the summary of the last with one key, and after every input the screen must show what the bare
engine says: the same step and line, or the summary with the same outcome. The session log of
each call must hold the same steps, and end with the same ending.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from callscript.app.screens.call import CallScreen
from callscript.app.screens.summary import SummaryScreen
from callscript.app.widgets.prompt import SayPanel
from callscript.engine import ManualClock
from callscript.flow.library import load_flows
from tests.app.driver import CallDriver, Oracle, build_app, compact, plan_walks, screen_text

FLOW_IDS = sorted(load_flows())


def check_screen(app, oracle: Oracle, action) -> None:
    engine = oracle.engine
    where = f"after {action}"
    if engine.ended:
        assert isinstance(app.screen, SummaryScreen), where
        summary = app.screen.summary
        assert summary.outcome == engine.outcome, where
        assert [s[1:] for s in summary.steps] == [h[1:] for h in engine.history], where
        return
    screen = app.screen
    assert isinstance(screen, CallScreen), where
    assert (screen.engine.flow.id, screen.engine.step.id) == (engine.flow.id, engine.step.id), where
    text = compact(screen_text(app))
    assert engine.step.id in text, where
    say = engine.say()
    if say is not None:
        shown = compact(screen.query_one(SayPanel).render().plain)
        assert compact(say) in shown, f"{where}: line {say!r} not in the say panel"
        assert compact(say)[:8] in text, f"{where}: line {say!r} not on screen"


@pytest.mark.parametrize("flow_id", FLOW_IDS)
def test_every_branch_of_the_flow_on_the_running_app(flow_id, shipped_flows, tmp_path):
    asyncio.run(walk_flow(flow_id, shipped_flows, tmp_path))


async def walk_flow(flow_id, shipped_flows, tmp_path) -> None:
    walks = plan_walks(shipped_flows, flow_id)
    assert walks, "a flow must have something to walk"
    clock = ManualClock()
    app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow=flow_id)
    async with app.run_test(size=(100, 30)) as pilot:
        driver = CallDriver(pilot, clock)
        for number, walk in enumerate(walks):
            if number:  # the next call, from the summary, with one key
                assert isinstance(app.screen, SummaryScreen)
                await driver.press(app.keys["summary.next"])
                # The next call starts from a message handler; on a busy machine it can land a
                # few event-loop turns after the key press.
                for _ in range(200):
                    if app.live_call is not None:
                        break
                    await pilot.pause(0.01)
            call = app.live_call
            await driver.decline_questions()
            oracle = Oracle(shipped_flows, flow_id)
            for action in walk:
                assert oracle.apply(action), f"walk {walk} cannot take {action}"
                await driver.apply(action)
                check_screen(app, oracle, action)
            records = [json.loads(line) for line in call.log_path.read_text("utf-8").splitlines()]
            entered = [(r["flow"], r["step"]) for r in records if r["type"] == "step_entered"]
            assert entered == [h[1:] for h in oracle.engine.history]
            assert records[-1]["type"] == "call_ended"
            assert records[-1]["end"] == oracle.engine.outcome
