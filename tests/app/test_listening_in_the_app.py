"""The real listener (``LineListener``) feeding the running app, with recordings of a
phone line played in real time instead of a device: what it hears reaches the screen and the flow.

Real time, so these take as long as the recordings (7-8 s each).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from callscript.app.screens.summary import SummaryScreen
from callscript.engine.clock import MonotonicClock
from callscript.health import Part
from callscript.settings import Settings
from tests.app.driver import build_app, screen_text

pytestmark = pytest.mark.slow


def line_listener(recording):
    listener_module = pytest.importorskip("callscript.audio.listener")
    pytest.importorskip("numpy")
    pytest.importorskip("webrtcvad")
    return listener_module.LineListener(line_audio=recording, model=False)


async def wait_until(pilot, predicate, limit: float) -> None:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < limit, "the listener never reported it"
        await pilot.pause(0.05)


def test_a_silent_line_is_heard_and_the_silent_call_suggested(shipped_flows, tmp_path, line_recordings):
    listener = line_listener(line_recordings.silence)

    async def scenario():
        # Real time: the listener's silence and the call's count from the end of the line agree.
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", listener=listener,
                        clock=MonotonicClock(), settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.live_call
            await wait_until(pilot, lambda: screen.level is not None, 5.0)
            # Silence counts from the end of the agent's line: nothing is suggested before it is said.
            await pilot.press("space")
            await wait_until(pilot, lambda: screen.suggestions, 10.0)
            # The suggestion is drawn on the next refresh: wait for the screen, not the state.
            await wait_until(pilot, lambda: "Suggested: press s/Enter for “Silent line”" in screen_text(app), 5.0)
            assert "dBFS" in screen_text(app)
            await pilot.press("enter")
            assert app.live_call.engine.flow.id == "silent_call"

    asyncio.run(scenario())


def test_the_callers_first_words_move_the_flow(shipped_flows, tmp_path, line_recordings):
    listener = line_listener(line_recordings.mandarin)

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", listener=listener)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            # greeting: "line: speech_started -> caller_spoke", which ends this opening flow.
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 10.0)
            assert app.screen.summary.outcome == "return"
        return app

    app = asyncio.run(scenario())
    assert app.calls == []  # every call's log was closed


def test_a_line_device_that_comes_back_clears_the_listening_problem(shipped_flows, tmp_path, line_recordings):
    """The real listener and pipeline; only the device is a stand-in (no hot-pluggable device
    here): its source factory fails as an unplugged headset does until the test plugs it back in,
    then gives a recording of the line played in real time. The listener reports the loss once,
    retries, and resumes; the banner shows the loss and drops it once the line is heard again."""
    listener_module = pytest.importorskip("callscript.audio.listener")
    pytest.importorskip("numpy")
    pytest.importorskip("webrtcvad")
    import threading

    from callscript.audio.sources import AudioUnavailable, WavSource
    from tests.app.driver import compact

    plugged = threading.Event()
    attempts = []

    def headset():
        attempts.append(plugged.is_set())
        if not plugged.is_set():
            raise AudioUnavailable("the line input device went away", hint="plug the headset back in")
        return WavSource(line_recordings.mandarin, realtime=True)

    listener = listener_module.LineListener(source_factory=headset, model=False, retry_seconds=0.05)
    # Never heard before it failed: named in the banner's one line (F1 has the message).
    lost = compact("Keyboard only: no audio input · F1 for fixes")

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", listener=listener,
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: Part.LINE in app.health, 5.0)
            # Named once the probe time is over (until then the banner says devices are checked).
            await wait_until(pilot, lambda: lost in compact(screen_text(app)), app.probe_seconds + 2.0)
            await wait_until(pilot, lambda: len(attempts) >= 3, 5.0)  # it keeps retrying, quietly
            assert Part.LINE in app.health
            plugged.set()
            await wait_until(pilot, lambda: app.live_call.level is not None, 5.0)
            await wait_until(pilot, lambda: Part.LINE not in app.health, 5.0)
            await pilot.pause()
            assert lost not in compact(screen_text(app))

    asyncio.run(scenario())
