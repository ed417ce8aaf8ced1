"""The real app with ``[team] store`` set ships each finished call from a thread: with the server
down the call goes on as usual, the banner names the waiting calls once, and when the server is
back the next finished call takes them all to the store."""

from __future__ import annotations

import asyncio

import pytest

from callscript.health import Part
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
                await pilot.press("ctrl+e", "enter")  # the agent ends the call: the summary shows at once
                await pilot.pause()
                assert type(app.screen).__name__ == "SummaryScreen"
                await wait_for(pilot, lambda: Part.STORE in app.health)
                assert app.health.get(Part.STORE).detail.endswith(
                    f"the store at 127.0.0.1:{pg.port} is not answering; is its PostgreSQL server running?")
                await pilot.press("enter")  # the next call starts as usual; its banner says calls wait
                await pilot.pause()
                assert "calls waiting for the team store" in screen_text(app)
            finally:
                pg.resume()
            clock.advance(3.0)
            await pilot.press("ctrl+e", "enter")  # this call's end takes both to the store
            await wait_for(pilot, lambda: Part.STORE not in app.health and not app.outbox.waiting())

    asyncio.run(scenario())
    logs = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert len(logs) == 2
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT agent, log_name FROM callscript.calls ORDER BY log_name").fetchall()
    assert rows == [("A001", log.name) for log in logs]


def test_f4_lists_the_team_stores_calls_by_agent_and_opens_one_made_on_another_pc(pg, tmp_path, monkeypatch):
    """A trainer's app: F4 reads the store, the filter narrows it to one agent, Enter replays."""
    from callscript.cli import main
    from callscript.training.synthetic import generate_logs

    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(tmp_path / "config"))
    flows = load_flows()
    url = pg.url(db=pg.db)
    init_store(url)
    generate_logs(tmp_path / "team", 12, seed=3, agents=3, flows=flows)
    assert main(["ship", str(tmp_path / "team"), "--to", url]) == 0
    settings = Settings(interface_language="en", team=TeamSettings(store=url))
    app = build_app(flows, tmp_path, settings=settings)

    async def scenario() -> None:
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "StoreCallsDialog" and app.screen.calls)
            assert len(app.screen.calls) == 12
            assert "Calls in the team store" in screen_text(app)
            box = app.screen.query_one(".dialog").region  # centred, as the other dialogs are
            assert box.x > 0 and abs(box.x - (110 - box.right)) <= 1, box
            await pilot.press(*"A002", "enter")
            await wait_for(pilot, lambda: app.screen.calls and {c.agent for c in app.screen.calls} == {"A002"})
            wanted = app.screen.calls[0]
            await pilot.press("down", "enter")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ReplayScreen")
            assert app.screen.replay.path.name.endswith(f"-{wanted.id_text}.jsonl")
            assert "A002" in app.screen.replay.path.read_text(encoding="utf-8")

    asyncio.run(scenario())


def test_f4_with_an_agents_login_says_why_and_lists_this_pcs_logs(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(tmp_path / "config"))
    from callscript.team.store import add_member

    flows = load_flows()
    url = pg.url(db=pg.db)
    init_store(url)
    add_member(url, "wang", agent="A001")
    pg.set_password("wang", "wang-pw")
    settings = Settings(interface_language="en", team=TeamSettings(store=pg.url("wang", pg.db)))
    app = build_app(flows, tmp_path, settings=settings)

    async def scenario() -> None:
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ChooseDialog")
            assert app.screen.heading == "replay.recent.heading"  # this PC's logs, as without a store
            (notice,) = [n.message for n in app._notifications]
            assert notice == "Cannot read the team store, showing this PC's logs · F1 for details"
            assert app.notes["replay.store.failed"][1].startswith("the login wang may not read the store")

    asyncio.run(scenario())
