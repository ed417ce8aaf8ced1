"""The real app with ``[team] store`` set ships each finished call from a thread: with the server
down the call goes on as usual, the banner names the waiting calls once, and when the server is
back the next finished call takes them all to the store."""

from __future__ import annotations

import asyncio

import pytest

from callscript.engine.clock import ManualClock
from callscript.flow.library import load_flows
from callscript.settings import Settings, TeamSettings
from callscript.team.store import init_store
from tests.app.driver import build_app, screen_text

psycopg = pytest.importorskip("psycopg")


async def wait_for(pilot, condition, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the outbox did not report in time")


def test_the_app_ships_a_finished_call_in_the_background_with_the_server_down(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(tmp_path / "config"))
    shipped_flows = load_flows()
    url = pg.url(db=pg.db)
    init_store(url)
    settings = Settings(agent="A001", interface_language="en", team=TeamSettings(store=url))
    clock = ManualClock()
    app = build_app(shipped_flows, tmp_path, clock=clock, settings=settings, initial_flow="silent_call")

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            pg.stop()
            try:
                clock.advance(1.0)
                await pilot.press("space")
                clock.advance(2.0)
                await pilot.press("ctrl+e")  # the agent ends the call: the summary shows at once
                await pilot.pause()
                assert type(app.screen).__name__ == "SummaryScreen"
                await wait_for(pilot, lambda: "store" in app.problems)
                assert app.problems["store"].endswith(
                    f"the store at 127.0.0.1:{pg.port} is not answering; is its PostgreSQL server running?")
                await pilot.press("enter")  # the next call starts as usual; its banner says calls wait
                await pilot.pause()
                assert "calls waiting for the team store" in screen_text(app)
            finally:
                pg.resume()
            clock.advance(3.0)
            await pilot.press("ctrl+e")  # this call's end takes both to the store
            await wait_for(pilot, lambda: "store" not in app.problems and not app.outbox.waiting())

    asyncio.run(scenario())
    logs = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert len(logs) == 2
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT agent, log_name FROM callscript.calls ORDER BY log_name").fetchall()
    assert rows == [("A001", log.name) for log in logs]
