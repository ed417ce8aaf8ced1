"""Large logs in the replay screen: read behind a progress bar, one call in memory at a time.

The size at which a log is read behind the progress bar (8 MB) and the records kept of one call
(20,000) are lowered for these tests, so that a log of a few calls, written by the real engine and
session log, takes the same paths as a log of hundreds of megabytes (``benchmarks/replay_large.py``
measures those).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from callscript.app import replay as replay_module
from callscript.i18n import Messages
from callscript.app.replay import PendingReplay, describe_call, load_replay
from callscript.app.screens.replay import ReplayScreen
from callscript.app.screens.replay_loading import ReplayLoadingScreen
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.session.log import SessionLog
from callscript.settings import Settings
from callscript.training import timeline as timeline_module
from tests.app.driver import build_app, screen_text


def log_of_calls(flows, folder: Path, calls: int, notes: int = 0) -> Path:
    """``calls`` silent calls in one log (the last with ``notes`` notes of the agent), by the engine."""
    path = folder / "many.jsonl"
    clock = ManualClock(100.0)
    for number in range(calls):
        with SessionLog(path, wall=lambda: 1.7e9 + clock.now()) as log:
            engine = CallEngine(flows, "silent_call", clock, variables={"agent": f"A{number}"}, listeners=[log],
                                auto_said=True)
            engine.start()
            if number == calls - 1:
                for n in range(notes):
                    clock.advance(0.01)
                    engine.add_note(f"note {n}")
            clock.advance(20.0)
            engine.poll()
    return path


def test_a_large_log_is_read_behind_a_progress_bar_then_replayed(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.setattr(replay_module, "LOAD_IN_SCREEN_BYTES", 1000)
    log = log_of_calls(shipped_flows, tmp_path, 3)
    assert log.stat().st_size > 1000
    seen: list[type] = []

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "replay", replay=PendingReplay(log, audio=False),
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(200):
                seen.append(type(app.screen))
                if isinstance(app.screen, ReplayScreen):
                    break
                await pilot.pause(0.05)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReplayScreen) and len(screen.replay.calls) == 3
            assert "call 3/3" in screen_text(app) and "agent A2" in screen_text(app)
            # Marks are counted when a call is read, not while a large log is indexed.
            assert [c.marks for c in screen.replay.calls][:2] == [None, None]
            assert describe_call(screen.replay.calls[0], Messages("en"), shipped_flows, 1).endswith("⚠?")
            await pilot.press("escape")  # closing the replay started for this log ends the app
            await pilot.pause()
        assert app.return_code == 0

    asyncio.run(scenario())
    assert seen[0] is ReplayLoadingScreen


def test_a_log_that_cannot_be_read_behind_the_bar_ends_the_app_with_the_message(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.setattr(replay_module, "LOAD_IN_SCREEN_BYTES", 10)
    log = tmp_path / "notes.jsonl"
    log.write_text('{"type": "note", "t": 0, "text": "no call here"}\n' * 5, encoding="utf-8")

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "replay", replay=PendingReplay(log, audio=False))
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if app._exit_renderables or app.return_code is not None:
                    break
        assert app.return_code == 1

    asyncio.run(scenario())


def test_a_runaway_call_shows_its_first_records_and_says_so(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.setattr(timeline_module, "MAX_CALL_RECORDS", 50)
    log = log_of_calls(shipped_flows, tmp_path, 2, notes=200)
    replay = load_replay(log, shipped_flows)
    assert replay.entry.records > 200 and replay.entry.clipped
    assert len(replay.timeline.records) == 50
    assert replay.calls[0].records < 50 and not replay.calls[0].clipped
    text = replay_module.read_notice(replay, Messages("en"))
    assert text == f"This call has {replay.entry.records:,} records; the first 50 are shown"
