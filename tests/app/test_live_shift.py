"""A real shift's call on the real app (Pilot, ManualClock): a closing line is said before the call
ends; Ctrl+E and Ctrl+Q ask first; a line that needs the caller's name asks for it, filled as the
agent types; a situation key that does nothing here says so; the summary names where each mark
happened; a silent call worked on its own goes on into the default flow, and says so."""

from __future__ import annotations

import asyncio

from callscript.app.screens.call import CallScreen
from callscript.app.screens.dialogs import ChoiceDialog, VariableDialog
from callscript.app.screens.summary import SummaryScreen
from callscript.engine import ManualClock
from callscript.session.log import read_log
from callscript.settings import Settings
from tests.app.driver import build_app, compact, screen_text


def run(coro):
    return asyncio.run(coro)


def log_of(tmp_path) -> list[dict]:
    (path,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    return read_log(path).records


async def to_closing(pilot, app) -> None:
    """greet (said) -> the caller states the request -> confirmed -> solved: the closing line."""
    await pilot.press("space", "3")  # said; the caller states the request
    await pilot.press("space", "1")  # confirm said; confirmed
    await pilot.press("1")  # resolve: problem solved
    await pilot.pause()


def test_the_closing_line_is_shown_and_the_call_ends_only_when_it_is_said(shipped_flows, tmp_path):
    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="main_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await to_closing(pilot, app)
            assert isinstance(app.screen, CallScreen)
            assert "感谢您的咨询,祝您生活愉快!" in compact(screen_text(app))
            clock.advance(2.0)
            await pilot.press("space")
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            text = compact(screen_text(app))
            assert "已解决" in text and "未发现不合规" in compact(text) or "不合规" not in text
            assert "“感谢您的咨询,祝您生活愉快!”" in text

    run(scenario())
    log = log_of(tmp_path)
    assert [r["type"] for r in log][-3:] == ["step_entered", "said", "call_ended"]
    assert log[-1]["end"] == "resolved" and log[-1]["step"] == "closing"


def test_ending_before_the_closing_line_is_a_mark_naming_the_step_and_the_time(shipped_flows, tmp_path):
    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="main_call",
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await to_closing(pilot, app)
            clock.advance(3.0)
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, ChoiceDialog)
            assert "End this call?" in screen_text(app)
            await pilot.press("escape")  # back to the call: nothing ended
            await pilot.pause()
            assert isinstance(app.screen, CallScreen) and not app.live_call.ended
            await pilot.press("ctrl+e", "enter")
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            text = compact(screen_text(app))
            assert compact("closing 00:03: Left before the line was said: “感谢您的咨询,祝您生活愉快!”.") in text

    run(scenario())
    assert log_of(tmp_path)[-1]["end"] == "agent_ended"


def test_the_caller_hung_up_is_an_outcome_of_its_own(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+e", "c")
            await pilot.pause()
            assert "The caller hung up" in screen_text(app)

    run(scenario())
    assert log_of(tmp_path)[-1]["end"] == "caller_hung_up"


def test_ctrl_q_during_a_call_asks_and_escape_goes_back(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert "Quit callscript?" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CallScreen) and app.is_running and not app.live_call.closed

    run(scenario())


def test_a_line_that_needs_the_surname_asks_for_it_filled_as_the_agent_types(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("2")  # 已知客户姓氏: address_by_surname
            await pilot.pause()
            assert isinstance(app.screen, VariableDialog)
            text = compact(screen_text(app))
            assert "客户贵姓?" in text and "某" not in text
            await pilot.press(*"王")
            await pilot.pause()
            # The line as it will be said, filled as the agent types (the title is asked next).
            assert compact("现在说:王先生/小姐,请问有什么可以帮助您?") in compact(screen_text(app))
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, VariableDialog)  # then the title: one key
            assert "先生还是小姐?" in compact(screen_text(app))
            await pilot.press("2")
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)
            assert "王小姐,请问有什么可以帮助您?" in compact(screen_text(app))
            assert app.live_call.engine.variables["surname"] == "王"

    run(scenario())
    sets = [(r["name"], r["value"]) for r in log_of(tmp_path) if r["type"] == "variable_set"]
    assert sets == [("surname", "王"), ("title", "小姐")]


def test_esc_at_the_surname_asks_nothing_more_and_the_line_has_no_placeholder(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("2")  # 已知客户姓氏
            await pilot.pause()
            assert isinstance(app.screen, VariableDialog)
            await pilot.press("escape")  # the agent did not catch the surname
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)  # no 先生还是小姐? showing 某…
            text = compact(screen_text(app))
            assert "您好,请问有什么可以帮助您?" in text and "某" not in text

    run(scenario())


def test_a_situation_key_that_does_nothing_here_says_why(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call", settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("s")
            await pilot.pause()
            assert "Already in “Silent line”" in screen_text(app)

    run(scenario())


def test_a_silent_call_worked_on_its_own_goes_on_into_the_default_flow_and_says_so(shipped_flows, tmp_path):
    """Started on the silent call, the caller speaks: there is no call to go back to, so the call
    goes on in the settings' default flow (main_call) at its start, and the screen says so."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("space", "1")  # said; the caller spoke
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)
            assert (app.live_call.flow.id, app.live_call.step.id) == ("main_call", "greet")
            text = compact(screen_text(app))
            assert "无声电话处理完毕,客户在线:通话转入“标准通话流程”" in text
            assert "回到正常通话" not in text and "流程完成" not in text
        records = log_of(tmp_path)
        assert [r["flow"] for r in records if r["type"] == "went_on"] == ["main_call"]
        assert [r["end"] for r in records if r["type"] == "call_ended"] == ["aborted"]

    run(scenario())


def test_at_a_step_with_no_line_the_silence_counts_from_entering_it_and_the_suggestion_comes(shipped_flows, tmp_path):
    """resolve has no line: the count says it runs from entering the step, and the silent call is
    suggested when it reaches the listener's 5 s, as at any other step."""
    from callscript.live.signals import LineCondition

    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="main_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            call = app.live_call
            await pilot.press("space")  # greet said
            call.hear(LineCondition("speech_started"))
            clock.advance(2.0)
            call.hear(LineCondition("speech_stopped"))
            await pilot.press("3", "space", "1")  # the request; confirm said; confirmed: resolve
            await pilot.pause()
            assert call.step.id == "resolve"
            clock.advance(3.0)
            call.hear(LineCondition("silence", {"seconds": 5.0}))  # the listener: silent since 2 s
            await pilot.pause(0.3)  # a refresh tick redraws the count
            text = compact(screen_text(app))
            assert "静音3秒(从进入本步算起)" in text and "建议" not in text
            clock.advance(2.0)
            await pilot.pause(0.3)
            assert "建议:按s/Enter进入“无声电话”(线路静音5秒)" in compact(screen_text(app))

    run(scenario())


def test_a_noisy_line_shows_no_silence_count_and_only_the_noise_suggestion(shipped_flows, tmp_path):
    """Pink noise on the line: the listener reports noise and, hearing no voice, silence too; the
    screen counts no silence and suggests only the noisy line."""
    from callscript.live.signals import Level, LineCondition

    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="main_call")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            call = app.live_call
            await pilot.press("space")  # greet said
            clock.advance(1.0)
            call.hear(LineCondition("noise", {"floor_dbfs": -21.0, "threshold_dbfs": -45.0}))
            clock.advance(4.0)
            call.hear(LineCondition("silence", {"seconds": 5.0}))
            for _ in range(100):  # 10 s of noise
                clock.advance(0.1)
                call.hear(Level(-20.0))
            await pilot.pause(0.3)
            text = compact(screen_text(app))
            assert "杂音" in text and "静音" not in text and "无声电话”(" not in text

    run(scenario())
