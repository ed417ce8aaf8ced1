"""A session log that cannot be written never stops a call; the app says so once, with why and
where the records are kept instead."""

from __future__ import annotations

import asyncio

from callscript.app.screens.call import CallScreen
from callscript.session.log import FALLBACK_DIR_ENV
from callscript.settings import Settings
from tests.app.driver import build_app, compact, screen_text


def test_an_unwritable_log_folder_is_one_notice_and_the_calls_go_on(shipped_flows, tmp_path, monkeypatch):
    (tmp_path / "logs").write_text("x")  # the app's log folder (build_app) is a file
    fallback = tmp_path / "fallback"
    monkeypatch.setenv(FALLBACK_DIR_ENV, str(fallback))

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en"),
                        initial_flow="silent_call")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)
            text = compact(screen_text(app).replace("▌", ""))  # the toast wraps the long path
            assert compact("The session log is not being saved to") in text
            assert compact(f"kept in {fallback}") in text and "F1fordetails" in text
            assert app.notes["records.not_saved"][1] == "Not a directory"  # the system's words, in F1
            await pilot.press("space", "ctrl+e", "enter")  # the line is said, the call ends: the summary
            await pilot.pause()
            await pilot.press("enter")  # the next call, into the same unwritable folder
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)
            assert compact(screen_text(app).replace("▌", "")).count(compact("not being saved")) == 1
            app.exit()

    asyncio.run(scenario())
    logs = sorted(fallback.glob("*.jsonl"))
    assert len(logs) == 2 and all(log.stat().st_size > 0 for log in logs)


def test_logs_kept_in_the_fallback_folder_are_listed_for_replay(tmp_path, monkeypatch):
    from callscript.app.replay import recent_logs
    from callscript.session.log import SessionLog

    monkeypatch.setenv(FALLBACK_DIR_ENV, str(tmp_path / "fallback"))
    (tmp_path / "logs").write_text("x")  # the log folder cannot be made
    log = SessionLog.create(tmp_path / "logs", "silent_call", wall=lambda: 1.7e9)
    log.write({"type": "call_started", "t": 0})
    log.close()
    assert log.path.parent == tmp_path / "fallback"
    assert recent_logs(tmp_path / "logs") == [log.path]
