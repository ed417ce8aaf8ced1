"""Whole calls in the installed app, in a real terminal (tmux), as an agent works them on a shift:
a main call from the greeting to the closing line by keyboard, and a silent call on a line whose
audio comes from a virtual PulseAudio source. For each, what the screen showed, the session log
and ``callscript report`` must tell the same story.

Real time throughout (the silent call waits its real five seconds); a private tmux server and a
private PulseAudio daemon (tests/support/pulse.py).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.app.test_tmux_smoke import CALLSCRIPT, terminal  # noqa: F401 - the fixture
from tests.support import pulse

pytestmark = pytest.mark.slow


def records_of(logs) -> list[dict]:
    (path,) = sorted(logs.glob("*.jsonl"))
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def report_of(logs) -> dict:
    result = subprocess.run([str(CALLSCRIPT), "report", str(logs), "--json"], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def flat(screen: str) -> str:
    return "".join(screen.split())


def test_a_whole_main_call_from_greeting_to_closing(terminal, tmp_path):  # noqa: F811
    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--no-audio", "--log-dir", str(logs), size=(100, 30))
    term.wait_for("欢迎致电")
    term.send("Space", "3")  # the greeting is said; the caller states the request
    term.wait_for("您的意思是")
    term.send("Space", "1")  # said; the caller confirms
    term.wait_for("解答要清晰")
    term.send("1")  # problem solved: the closing line, which must still be said
    screen = term.wait_for("感谢您的咨询")
    assert "通话结束" not in screen
    term.send("Space")
    screen = term.wait_for("通话结束")
    assert "结果:已解决" in flat(screen)
    assert "未发现不合规" in flat(screen)
    assert "最后说的话:“感谢您的咨询,祝您生活愉快!”" in flat(screen)
    term.send("C-q")  # no call on screen: quits at once
    term.wait_for("EXITED 0")

    records = records_of(logs)
    entered = [r["step"] for r in records if r["type"] == "step_entered"]
    assert entered == ["greet", "confirm", "resolve", "closing"]
    assert [r["step"] for r in records if r["type"] == "said"] == ["greet", "confirm", "closing"]
    assert records[-1]["type"] == "call_ended" and records[-1]["end"] == "resolved"

    report = report_of(logs)
    overall = report["overall"]
    assert report["outcomes"] == {"resolved": 1}
    assert (overall["calls"], overall["steps_skipped"], overall["premature_hang_ups"]) == (1, 0, 0)


def test_a_silent_line_suggests_the_silent_call_and_the_caller_speaking_ends_it(terminal, virtual_line,  # noqa: F811
                                                                               line_recordings, tmp_path):
    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--device", "pulse", "--model", "/no-model", "--log-dir", str(logs),
                    size=(100, 30), extra_env=virtual_line.env)
    term.wait_for("欢迎致电")
    term.wait_for("dBFS")  # the line is heard
    assert "建议" not in term.screen()  # the greeting is not said: no silence yet
    term.send("Space")
    screen = term.wait_for("建议:按 s/Enter 进入“无声电话”(线路静音 5 秒)", timeout=20)
    term.send("Enter")  # accept: the silent call
    term.wait_for("您好!请问有什么可以帮助您?")
    term.send("Space")
    term.wait_for("您好,请问有什么可以帮助您?", timeout=15)  # 5 s of silence: greet again
    term.send("Space")
    feed = virtual_line.feed(pulse.to_pcm(line_recordings.mandarin))
    # The caller speaks: the silent call is over, back to the greeting, which stays said.
    screen = term.wait_for("客户说明来意", timeout=20)
    assert "情景中" not in screen and "说完后按" not in screen
    feed.wait(timeout=30)
    term.send("C-e")
    term.wait_for("结束这通电话?")
    term.send("c")  # the caller hung up
    screen = term.wait_for("通话结束")
    shown_marks = "未发现不合规" not in flat(screen)
    term.send("C-q")
    term.wait_for("EXITED 0")

    records = records_of(logs)
    kinds = [(r["type"], r.get("flow"), r.get("step")) for r in records
             if r["type"] in ("situation_entered", "returned", "step_entered")]
    assert ("situation_entered", "silent_call", None) in [(k, f, None) for k, f, _ in kinds]
    assert ("step_entered", "silent_call", "greet_again") in kinds
    assert ("step_entered", "silent_call", "caller_spoke") in kinds
    assert kinds[-1] == ("step_entered", "main_call", "greet")
    resumed = [r for r in records if r["type"] == "said" and r.get("resumed")]
    assert resumed and resumed[0]["step"] == "greet"  # the greeting is not asked for again
    speech = [r for r in records if r["type"] == "event" and r.get("name") == "speech_started"]
    assert speech and speech[0]["matched"]
    assert records[-1]["end"] == "caller_hung_up"

    report = report_of(logs)
    overall = report["overall"]
    assert report["situations"][0]["situation"] == "silent_call"
    assert overall["steps_skipped"] == 0 and overall["premature_hang_ups"] == 0
    assert overall["waits_honoured"] == 1  # greet -> greet_again after its 5 s
    assert not shown_marks  # the summary found no marks either
