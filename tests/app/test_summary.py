"""The call summary (after a call) on calls worked in the real app: the last step and line said,
and the compliance marks the replay of the same call shows, in both interface languages."""

from __future__ import annotations

import asyncio

import pytest

from callscript.live.summary import review
from callscript.app.replay import load_replay
from callscript.app.screens.summary import SummaryScreen
from callscript.engine import ManualClock
from callscript.settings import Settings
from tests.app.driver import build_app, compact, screen_text


def silent_call_hung_up_early(shipped_flows, tmp_path, language: str) -> tuple[str, object]:
    """A silent call: greeted, the 5 s wait ran out, greeted again, hung up 1 s into that wait.
    The summary's text and the app's log folder."""
    result: dict[str, object] = {}

    async def scenario() -> None:
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="silent_call",
                        settings=Settings(interface_language=language))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            clock.advance(1.0)
            await pilot.press("space")
            clock.advance(5.0)
            app.live_call.poll()  # 6.0: greet_again
            await pilot.pause()
            clock.advance(0.5)
            await pilot.press("space")  # said at 6.5
            clock.advance(1.0)
            await pilot.press("ctrl+e", "enter")  # 7.5: 1.0 s into the 5 s wait, no call-back asked
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            result["text"] = screen_text(app)

    asyncio.run(scenario())
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    return str(result["text"]), log


@pytest.mark.parametrize("language, expected", [
    # Each mark says where (flow · step) and when (time into the call), then what went wrong.
    ("zh", ["不合规 3 处", "⚠ greet_again 00:07: 5 秒的等待只等了 1.0 秒就挂机。",
            "⚠ greet_again 00:07: 未请客户换电话再打来就挂机。",
            "⚠ greet_again 00:07: 流程未走完就结束了通话。",  # what the report counts as a premature hang-up
            "最后一步: 无声电话 · greet_again", "最后说的话: “您好,请问有什么可以帮助您?”",
            "结果: 客服提前结束",  # the report's words for the same outcome
            "时长: 00:08"]),  # 7.5 s, rounded as the report and the replay list round it
    ("en", ["Compliance marks (3", "⚠ greet_again 00:07: Hung up 1.0 s into a 5 s wait.",
            "⚠ greet_again 00:07: Hung up without asking the caller to call again.",
            "⚠ greet_again 00:07: Ended the call before the flow reached its end.",
            "Last step: Silent call · greet_again", "Last line said: “您好,请问有什么可以帮助您?”",
            "Outcome: Ended early by the agent", "Duration: 00:08"]),
])
def test_the_summary_shows_the_marks_the_replay_shows_and_the_last_step(shipped_flows, tmp_path, language, expected):
    text, log = silent_call_hung_up_early(shipped_flows, tmp_path, language)
    for line in expected:
        assert compact(line) in compact(text), line
    assert "再稍停5秒" not in text and "稍停5秒还是无声" not in text  # a step's tip is not the step
    # The same marks as the replay of that log, in the same order.
    replayed = load_replay(log, shipped_flows).timeline.marks
    shown = [m.message_zh if language == "zh" else m.message for m in replayed]
    assert [m.code for m in replayed] == ["wait_cut_short", "hang_up_without_call_back", "ended_early"]
    positions = [compact(text).index(compact(message)) for message in shown]
    assert positions == sorted(positions)
    # Compact at 80x24: everything up to the log path fits above the next-call hint.
    lines = text.splitlines()
    # (A long temporary path wraps: join the lines before looking for it.)
    assert len(lines) == 24 and "logs/" in "".join(line.strip() for line in lines[:-2]), text


def test_a_call_without_marks_says_so_and_the_last_step_is_the_hang_up(shipped_flows, tmp_path):
    async def scenario() -> None:
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="silent_call",
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for _ in range(3):  # every line said, every wait run out: the flow hangs up
                await pilot.press("space")
                clock.advance(5.0)
                app.live_call.poll()
                await pilot.pause()
            text = screen_text(app)
            assert isinstance(app.screen, SummaryScreen)
            assert "Compliance: no marks" in text
            assert "Last step: Silent call · hang_up" in text
            assert compact("Last line said: “对不起,您的电话没有声音") in compact(text)
            assert "⚠" not in text

    asyncio.run(scenario())


def test_review_of_a_log_that_cannot_be_read_is_nothing(shipped_flows, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n", encoding="utf-8")
    assert review(broken, shipped_flows) == (None, None)
    assert review(tmp_path / "missing.jsonl", shipped_flows) == (None, None)
