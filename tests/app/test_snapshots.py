"""SVG snapshots of every screen, in both interface languages, at 80x24 (and a few larger).

Deterministic by construction: a ManualClock (the countdown and the call clock never move on
their own), a fixed wall clock (log names), the working directory set to the test's folder (the
paths shown are relative), default settings, and no blinking cursor. Regenerate with
``pytest tests/app/test_snapshots.py --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import pytest

from callscript.engine import ManualClock
from callscript.settings import Settings
from tests.app.driver import build_app

LANGUAGES = ["zh", "en"]


@pytest.fixture()
def make(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def build(language: str, *, clock: ManualClock | None = None, **kwargs):
        settings = kwargs.pop("settings", None) or Settings(interface_language=language)
        return build_app(shipped_flows, tmp_path, clock=clock or ManualClock(), settings=settings, **kwargs)

    return build


async def still_cursor(pilot) -> None:
    """Stop input cursors from blinking, so the snapshot does not depend on when it was taken."""
    await pilot.pause()
    for box in pilot.app.screen.query("Input"):
        box.cursor_blink = False


@pytest.mark.parametrize("language", LANGUAGES)
def test_picker(snap_compare, make, language):
    assert snap_compare(make(language), run_before=still_cursor, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_picker_filtered(snap_compare, make, language):
    async def typed(pilot) -> None:
        await still_cursor(pilot)
        await pilot.press(*"sil")

    assert snap_compare(make(language), run_before=typed, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_call_during_a_countdown(snap_compare, make, language):
    clock = ManualClock()

    async def counting(pilot) -> None:
        await pilot.pause()
        await pilot.press("space")
        clock.advance(5.0)
        pilot.app.live_call.poll()  # greet -> greet_again
        await pilot.press("space")
        clock.advance(1.8)
        pilot.app.live_call.poll()

    assert snap_compare(make(language, clock=clock, initial_flow="silent_call"), run_before=counting,
                        terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_call_in_a_situation(snap_compare, make, language):
    async def interrupted(pilot) -> None:
        await pilot.pause()
        await pilot.press("3", "space", "q")  # main call -> confirm; the caller is too quiet

    assert snap_compare(make(language, initial_flow="main_call"), run_before=interrupted, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_summary(snap_compare, make, language):
    clock = ManualClock()

    async def finished(pilot) -> None:
        await pilot.pause()
        await pilot.press("m", *"no sound", "enter")
        for _ in range(3):
            await pilot.press("space")
            clock.advance(5.0)
            pilot.app.live_call.poll()
            await pilot.pause()

    assert snap_compare(make(language, clock=clock, initial_flow="silent_call"), run_before=finished,
                        terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_summary_with_marks(snap_compare, make, language):
    """A silent call hung up 1 s into a 5 s wait: each mark names its step and time."""
    clock = ManualClock()

    async def hung_up_early(pilot) -> None:
        await pilot.pause()
        await pilot.press("space")
        clock.advance(5.0)
        pilot.app.live_call.poll()  # greet -> greet_again
        await pilot.pause()
        await pilot.press("space")
        clock.advance(1.0)
        await pilot.press("ctrl+e", "enter")
        await pilot.pause()

    assert snap_compare(make(language, clock=clock, initial_flow="silent_call"), run_before=hung_up_early,
                        terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_variable_prompt(snap_compare, make, language):
    """The surname is known: the line asks for it first, filled in as the agent types."""

    async def asked(pilot) -> None:
        await pilot.pause()
        await pilot.press("2")  # 已知客户姓氏
        await still_cursor(pilot)
        await pilot.press("王")
        await pilot.pause()

    assert snap_compare(make(language, initial_flow="main_call"), run_before=asked, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings(snap_compare, make, language):
    async def opened(pilot) -> None:
        await pilot.pause()
        await pilot.press("f2")
        await still_cursor(pilot)

    assert snap_compare(make(language), run_before=opened, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_key_groups(snap_compare, make, language):
    """The keys part of the form at 80x24: one heading per screen (replay, self-study ...)."""

    async def scrolled(pilot) -> None:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        screen = pilot.app.screen
        # Focusing scrolls the form to the field (animated); let that finish before the scroll
        # this snapshot is about, or the two race and the scrollbar lands in either place.
        screen.query_one("#key-replay-play").focus()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        screen.query_one("#settings-form").scroll_to_widget(screen.query_one("#keys-replay"), top=True, animate=False)
        await pilot.wait_for_scheduled_animations()
        await still_cursor(pilot)

    assert snap_compare(make(language), run_before=scrolled, terminal_size=(80, 24))


def test_call_on_a_large_terminal(snap_compare, make):
    clock = ManualClock()

    async def counting(pilot) -> None:
        await pilot.pause()
        await pilot.press("t", *"王先生", "enter", "2", "g", "space")
        clock.advance(0.5)

    assert snap_compare(make("en", clock=clock, initial_flow="main_call"), run_before=counting,
                        terminal_size=(140, 40))


def test_call_in_plain_mode(snap_compare, make):
    clock = ManualClock()

    async def counting(pilot) -> None:
        await pilot.pause()
        await pilot.press("space")
        clock.advance(2.0)
        pilot.app.live_call.poll()

    settings = Settings(interface_language="en", plain=True)
    assert snap_compare(make("en", clock=clock, initial_flow="silent_call", settings=settings),
                        run_before=counting, terminal_size=(80, 24))
