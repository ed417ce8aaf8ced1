"""F3 on main_call: the drill shows, before each line, what the flow file says the caller does
there. Nothing before the greeting (the agent speaks first), the caller's request before the
confirmation, an upset caller before the empathy line. With ``--no-audio`` the drill says audio is
off, never that a device is missing. The real app over a ManualClock; no caller audio plays here
(audio is off, which is the point of the second half)."""

from __future__ import annotations

import asyncio

from textual.widgets import OptionList

from callscript.app.screens.picker import FlowPickerScreen
from callscript.app.screens.study import StudyScreen
from callscript.app.widgets.wrap import WrappedText
from tests.app.driver import build_app, compact, screen_text


def caller_text(app) -> str:
    return compact(app.screen.query_one("#study-caller", WrappedText).text.plain)


async def type_line(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


def test_f3_on_main_call_shows_no_caller_before_the_greeting_and_an_upset_one_before_empathy(
        shipped_flows, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(tmp_path / "data"))

    async def scenario():
        app = build_app(shipped_flows, tmp_path, audio_off=True)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, FlowPickerScreen)
            options = picker.query_one("#flows", OptionList)
            for _ in range(options.option_count):
                if picker.selected() is not None and picker.selected().id == "main_call":
                    break
                await pilot.press("down")
            assert picker.selected().id == "main_call"
            await pilot.press("f3")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, StudyScreen) and screen.flow.id == "main_call"
            assert screen.drill.current.id == "greet"
            assert caller_text(app) == ""  # the caller has said nothing before the greeting
            assert "客户:" not in compact(screen_text(app))
            await type_line(pilot, "您好,欢迎致电本公司客户服务热线,客服代表001很高兴为您服务,请问有什么可以帮助您!")
            assert screen.drill.current.id == "confirm"
            shown = caller_text(app)
            assert shown.startswith("客户:客户说:“喂,你好,我想问一下我的订单怎么还没到?”"), shown
            # Audio is off on purpose (--no-audio): said so, not blamed on an output device.
            assert "声音已关闭(--no-audio),不播放客户的声音" in shown
            assert "音频输出设备不可用" not in shown
            await type_line(pilot, "您的意思是订单还没到,对吗?")
            assert screen.drill.current.id == "empathy"
            shown = caller_text(app)
            assert shown.startswith("客户:客户很生气:“"), shown
            assert "正常" not in shown

    asyncio.run(scenario())
