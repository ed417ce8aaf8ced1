"""SVG snapshots of the replay screen (same mechanism as ``test_snapshots.py``): a call worked in
the real app on a ManualClock with a fixed wall clock, replayed paused on its first compliance mark,
in both interface languages at 80x24."""

from __future__ import annotations

import pytest

from callscript.app.replay import load_replay
from callscript.engine import ManualClock
from callscript.settings import Settings
from tests.app.driver import build_app
from tests.app.test_replay import worked_call


@pytest.mark.parametrize("language", ["zh", "en"])
def test_replay_on_a_mark(snap_compare, shipped_flows, tmp_path, monkeypatch, language):
    monkeypatch.chdir(tmp_path)
    log = worked_call(shipped_flows, tmp_path)
    app = build_app(shipped_flows, tmp_path / "replay", clock=ManualClock(), replay=load_replay(log, shipped_flows),
                    settings=Settings(interface_language=language))

    async def on_mark(pilot) -> None:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()

    assert snap_compare(app, run_before=on_mark, terminal_size=(80, 24))
