"""The installed app in a real terminal (tmux), in Chinese, on a machine whose sound server is
gone (``PULSE_SERVER=/nonexistent``): the banner says what is missing in Chinese (after the
devices were probed, never 无音频输入 and then nothing), F1 says why and how to fix it, a
demonstration says why it cannot play, a situation key that does nothing says so, and a whole
main call runs by keyboard from the greeting to the closing line.
"""

from __future__ import annotations

import json

import pytest

from tests.app.test_tmux_smoke import terminal  # noqa: F401 - the fixture
from tests.app.test_zh_interface import latin_words

pytestmark = pytest.mark.slow

# Ids the call screen shows as they are (the header and the path name the step).
IDS = {"main_call", "noisy_line", "greet", "confirm", "resolve", "closing", "ask_call_again", "hang_up"}


def test_a_whole_call_in_chinese_with_no_sound_server(terminal, tmp_path):  # noqa: F811 - the fixture
    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--log-dir", str(logs), size=(100, 32),
                    extra_env={"PULSE_SERVER": "/nonexistent"})
    term.wait_for("欢迎致电")
    screen = term.wait_for("仅键盘模式:无音频输入", timeout=30)
    assert "F1 查看修复方法" in screen and "Traceback" not in screen
    assert latin_words(screen, IDS) == [], screen

    term.send("F1")
    help_text = term.wait_for("缺少的部分及修复方法")
    assert "✗ 无音频输入" in help_text and "无法打开来电线路的音频输入" in help_text and "详情:" in help_text
    term.send("Escape")

    term.send("v")  # no sound server: nothing to play the demonstration on
    screen = term.wait_for("无法示范朗读:")
    assert latin_words(screen, IDS) == [], screen

    term.send("n")  # the noisy-line situation, then its own key again: it says it is running already
    term.wait_for("ask_call_again")
    term.send("n")
    screen = term.wait_for("已在“杂音太大”情景中")
    assert latin_words(screen, IDS) == [], screen
    term.send("Space")  # the line is said; after its five seconds the call is hung up
    screen = term.wait_for("通话结束", timeout=20)
    assert "结果: 按流程挂机" in screen  # the flow hung up

    term.send("Enter")  # the next main call, from the greeting to the closing line
    term.wait_for("欢迎致电")
    for key, shown in (("Space", None), ("3", "您的意思是"), ("Space", None), ("1", "· resolve"),
                       ("1", "感谢您的咨询"), ("Space", "通话结束")):
        term.send(key)
        if shown:
            screen = term.wait_for(shown)
            if shown != "通话结束":
                assert latin_words(screen, IDS) == [], screen
    assert "结果: 已解决" in screen and "最后说的话: “感谢您的咨询,祝您生活愉快!”" in screen
    term.send("C-q")
    term.wait_for("EXITED 0")

    ends = sorted(json.loads(p.read_text("utf-8").splitlines()[-1])["end"] for p in logs.glob("*.jsonl"))
    assert ends == ["hang_up", "resolved"], ends
