"""A silent call in real time on the running app: the real MonotonicClock, real 5-second waits.

The agent marks each line as said (space); nothing else is pressed, and the call hangs up by
itself 15 s after the first line was said. No assertion here depends on how busy the machine is:
the flow must not move before its wait is over (a lower bound that always holds when the app is
right), the session log must record each wait as exactly 5 s (the engine fires timers at their
deadlines), and the call must end within a generous bound (the timer really fires).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from callscript.app.app import make_app
from callscript.app.screens.summary import SummaryScreen
from callscript.session.log import read_log
from callscript.settings import Settings

pytestmark = pytest.mark.slow


async def wait_for(predicate, pilot, limit: float) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < limit, "the timed wait never fired"
        await pilot.pause(0.02)
    return time.monotonic() - start


def test_a_silent_call_hangs_up_by_itself_in_real_time(shipped_flows, tmp_path):
    log_dir = tmp_path / "logs"

    async def scenario():
        app = make_app(shipped_flows, log_dir=log_dir, initial_flow="silent_call", settings=Settings())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            engine = app.live_call.engine
            for step, following in (("greet", "greet_again"), ("greet_again", "ask_call_again")):
                assert engine.step.id == step
                said = time.monotonic()  # before the key: the engine marks "said" after this
                await pilot.press("space")
                await wait_for(lambda following=following: engine.step.id == following, pilot, 9.0)
                assert time.monotonic() - said >= 5.0
            said = time.monotonic()
            await pilot.press("space")
            await wait_for(lambda: isinstance(app.screen, SummaryScreen), pilot, 9.0)
            assert time.monotonic() - said >= 5.0
            assert app.screen.summary.outcome == "hang_up"

    asyncio.run(scenario())
    (path,) = log_dir.glob("*.jsonl")
    records = read_log(path).records
    said = [r["t"] for r in records if r["type"] == "said"]
    fired = [r["t"] for r in records if r["type"] == "event" and r["source"] == "timer"]
    assert [round(f - s, 6) for s, f in zip(said, fired)] == [5.0, 5.0, 5.0]
    assert records[-1]["type"] == "call_ended" and records[-1]["end"] == "hang_up"
