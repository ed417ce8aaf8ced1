"""Keys that do nothing in a call say so: a short hint in the interface language in the call
screen's banner (never a crash, never silence), while the dialogs' typing fields keep every key."""

from __future__ import annotations

import asyncio

from textual import events

from callscript.app.screens.call import CallScreen
from callscript.settings import Settings
from tests.app.driver import build_app, screen_text


def test_an_event_number_the_step_lacks_esc_and_an_unbound_key_each_get_a_hint(shipped_flows, tmp_path):
    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert len(app.live_call.engine.view().events) == 3
            await pilot.press("9")
            await pilot.pause()
            assert "本步没有第 9 项" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert "Esc:按 Ctrl+E 结束通话" in screen_text(app)
            await pilot.press("x")
            await pilot.pause()
            assert "x 键在通话中没有作用 · F1 查看按键" in screen_text(app)
            assert isinstance(app.screen, CallScreen) and not app.live_call.ended
            assert app.live_call.engine.step.id == "greet"
            await pilot.press("m")  # a note: its typing field takes digits, letters and all
            await pilot.pause()
            await pilot.press(*"9x", "enter")
            await pilot.pause()
            assert app.live_call.notes == ["9x"]

    asyncio.run(scenario())


def test_the_hints_read_in_english_in_the_english_interface(shipped_flows, tmp_path):
    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call",
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("7")
            await pilot.pause()
            assert "This step has no item 7" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert "Esc: press Ctrl+E to end the call" in screen_text(app)

    asyncio.run(scenario())


def test_keys_pressed_faster_than_a_choice_dialog_closes_never_close_the_call_under_it(shipped_flows, tmp_path):
    """A choice is one key (1 先生); the keys typed right after it (a bounce, a note typed too
    soon) reached the closing dialog and each closed the screen on top again: the call screen,
    then a crash (ScreenStackError) with the call logged as aborted."""
    from callscript.app.screens.dialogs import VariableDialog

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path, initial_flow="address_by_surname")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, VariableDialog)  # the surname
            await pilot.press("李", "enter")
            await pilot.pause()
            assert isinstance(app.screen, VariableDialog) and app.screen.variable.name == "title"
            # The terminal delivers the keys at once: all three are in the dialog's queue before
            # it has handled the first (Pilot.press would wait for each).
            dialog = app.screen
            for key in "123":
                dialog.post_message(events.Key(key, key))
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, CallScreen) and not app.live_call.ended
            assert "李先生,请问有什么可以帮助您?" in screen_text(app)

    asyncio.run(scenario())


def test_a_call_that_ends_while_a_note_is_typed_keeps_the_note_and_then_shows_its_summary(shipped_flows, tmp_path):
    """The silent call hangs up by its timer while the agent types a note: the note dialog stays
    until Enter saves the note, then the summary comes (it replaced the dialog, and the Enter meant
    for the note started the next call)."""
    from callscript.app.screens.summary import SummaryScreen
    from callscript.engine import ManualClock

    clock = ManualClock()

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="silent_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            call = app.live_call
            for _ in range(3):  # greet, greet again, ask to call again: each said, its 5 s begin
                await pilot.press("space")
                await pilot.pause()
                if call.engine.step.id == "ask_call_again":
                    break
                clock.advance(5.0)
                call.poll()
            assert call.engine.step.id == "ask_call_again"
            await pilot.press("m", *"no answer")
            await pilot.pause()
            clock.advance(5.0)
            call.poll()  # the last wait ran out: the flow hangs up
            assert call.ended
            await pilot.pause()
            assert not isinstance(app.screen, (CallScreen, SummaryScreen))  # the note is still open
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            assert call.notes == ["no answer"]

    asyncio.run(scenario())
    assert len(list((tmp_path / "logs").glob("*.jsonl"))) == 1
