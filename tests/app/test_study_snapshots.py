"""SVG snapshots of the study screens (same mechanism as test_snapshots.py): a drill after a
wrong answer with its feedback, a quiz answered, and the summary, at 80x24. A ManualClock, a
seeded quiz order and no caller audio keep them deterministic. Regenerate with
``pytest tests/app/test_study_snapshots.py --snapshot-update`` and look at the SVGs first."""

from __future__ import annotations

import pytest

from callscript.app.study import make_study_app
from callscript.engine import ManualClock
from callscript.settings import Settings
from callscript.training.progress import ProgressStore
from tests.app.test_snapshots import still_cursor


@pytest.fixture()
def make(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def build(language: str, clock: ManualClock, **kwargs):
        return make_study_app(shipped_flows, clock=clock, log_dir=tmp_path / "logs", trainee="amy",
                              store=ProgressStore(tmp_path / "progress.sqlite"), quiz_seed=3,
                              settings=Settings(interface_language=language), **kwargs)

    return build


@pytest.mark.parametrize("language", ["zh", "en"])
def test_drill_feedback_after_a_short_wait_and_informal_you(snap_compare, make, language):
    clock = ManualClock()

    async def answered(pilot) -> None:
        await still_cursor(pilot)
        await pilot.press(*"您好!请问有什么可以帮助您?", "enter")
        clock.advance(2.0)
        await pilot.press(*"你好,请问有什么可以帮你?", "enter")
        clock.advance(1.5)
        pilot.app.screen.tick()

    assert snap_compare(make(language, clock, flow="silent_call"), run_before=answered, terminal_size=(80, 24))


def test_quiz_answered_wrongly(snap_compare, make):
    async def answered(pilot) -> None:
        await pilot.pause()
        wrong = next(n for n, o in enumerate(pilot.app.screen.quiz_options, 1) if not o.correct)
        await pilot.press(str(wrong))

    assert snap_compare(make("en", ManualClock(), flow="silent_call", quiz=True), run_before=answered,
                        terminal_size=(80, 24))


def test_drill_summary(snap_compare, make):
    clock = ManualClock()

    async def finished(pilot) -> None:
        await still_cursor(pilot)
        for line, wait in (("您好!请问有什么可以帮助您?", 5.0), ("您好,请问有什么可以帮助您?", 2.0),
                           ("对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!", 5.0)):
            await pilot.press(*line, "enter")
            clock.advance(wait)
        await pilot.press("ctrl+e")

    assert snap_compare(make("zh", clock, flow="silent_call"), run_before=finished, terminal_size=(80, 24))
