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


def quit_mid_call(term) -> None:
    """Ctrl+Q with a call on screen asks first; Enter confirms, and the app exits cleanly."""
    term.send("C-q")
    term.wait_for("退出 callscript?")
    term.send("Enter")
    term.wait_for("EXITED 0")


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


def pink_noise(seconds: float, rms_dbfs: float = -20.0):
    """Pink noise (power falling 3 dB an octave) at ``rms_dbfs``, 16 kHz mono float samples."""
    import numpy as np

    rng = np.random.default_rng(7)
    count = int(seconds * 16000)
    spectrum = np.fft.rfft(rng.standard_normal(count))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    spectrum[0] = 0.0
    samples = np.fft.irfft(spectrum, count)
    samples *= 10 ** (rms_dbfs / 20) / np.sqrt(np.mean(samples ** 2))
    return np.clip(samples, -1.0, 1.0)


def test_a_noisy_line_is_not_a_silent_one(terminal, virtual_line, tmp_path):  # noqa: F811
    """12 s of pink noise at -20 dBFS on the line: the noisy line is suggested, no silence is
    counted and the silent call is never suggested while it lasts; once the line is quiet, the
    noise suggestion goes and silence counts from the end of the noise. The log tells the same."""
    import time

    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--device", "pulse", "--model", "/no-model", "--log-dir", str(logs),
                    size=(100, 30), extra_env=virtual_line.env)
    term.wait_for("欢迎致电")
    term.wait_for("dBFS")  # the line is heard
    feed = virtual_line.feed(pink_noise(12.0))
    term.wait_for("进入“杂音太大”", timeout=15)
    term.send("Space")  # the greeting is said, on a noisy line
    deadline = time.monotonic() + 6.0
    while time.monotonic() < deadline:
        screen = flat(term.screen())
        assert "静音" not in screen and "进入“无声电话”" not in screen, screen
        time.sleep(0.4)
    feed.wait(timeout=30)
    screen = term.wait_for("从线路杂音停止算起", timeout=10)
    assert "进入“杂音太大”" not in screen
    term.wait_for("建议:按 s/Enter 进入“无声电话”(线路静音 5 秒)", timeout=15)
    quit_mid_call(term)

    records = records_of(logs)
    story = [(r["flow"], r["state"], r.get("why")) for r in records if r["type"] == "suggestion"]
    assert story[:3] == [("noisy_line", "shown", None), ("noisy_line", "withdrawn", "line_quiet"),
                         ("silent_call", "shown", None)], story
    said = next(r["t"] for r in records if r["type"] == "said")
    silences = [r for r in records if r["type"] == "event" and r.get("name") == "silence"]
    assert silences and all(r["t"] > said for r in silences)
    assert silences[0]["detail"]["after"] == "noise_ended"


def test_after_a_faint_caller_stops_the_silent_call_replaces_too_quiet(terminal, virtual_line, line_recordings,  # noqa: F811
                                                                      tmp_path):
    """A caller 30 dB under normal speech: too quiet is suggested; once they stop and the line has
    been silent for 5 s, the silent call replaces it: the two are never on screen together."""
    import time

    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--device", "pulse", "--model", "/no-model", "--log-dir", str(logs),
                    size=(100, 30), extra_env=virtual_line.env)
    term.wait_for("欢迎致电")
    term.wait_for("dBFS")
    term.send("Space")
    feed = virtual_line.feed(pulse.to_pcm(line_recordings.quiet_caller))
    term.wait_for("进入“客户音小”", timeout=20)
    feed.wait(timeout=30)
    deadline = time.monotonic() + 12.0
    while time.monotonic() < deadline:
        screen = flat(term.screen())
        assert not ("进入“客户音小”" in screen and "进入“无声电话”" in screen), screen
        if "进入“无声电话”" in screen:
            break
        time.sleep(0.3)
    assert "进入“无声电话”" in screen and "进入“客户音小”" not in screen, screen
    quit_mid_call(term)
    story = [(r["flow"], r["state"], r.get("why")) for r in records_of(logs) if r["type"] == "suggestion"]
    assert ("caller_too_quiet", "withdrawn", "line_silent") in story, story


def test_noise_that_starts_after_the_line_stops_the_silence_count(terminal, virtual_line, tmp_path):  # noqa: F811
    """The line is said on a quiet line, then pink noise starts: the count stops within about a
    second (before the listener has named it noise), and the silent call is never suggested."""
    import time

    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--device", "pulse", "--model", "/no-model", "--log-dir", str(logs),
                    size=(100, 30), extra_env=virtual_line.env)
    term.wait_for("欢迎致电")
    term.wait_for("dBFS")
    term.send("Space")
    term.wait_for("(从您说完本句算起)", timeout=10)
    feed = virtual_line.feed(pink_noise(10.0))
    time.sleep(1.5)
    deadline = time.monotonic() + 7.0
    while time.monotonic() < deadline:
        screen = flat(term.screen())
        assert "静音" not in screen and "进入“无声电话”" not in screen, screen
        time.sleep(0.4)
    feed.wait(timeout=30)
    quit_mid_call(term)
    records = records_of(logs)
    assert [r["flow"] for r in records if r["type"] == "suggestion" and r["state"] == "shown"] == ["noisy_line"]


def test_at_a_step_with_no_line_a_silent_line_counts_from_entering_it(terminal, virtual_line, tmp_path):  # noqa: F811
    """resolve has no line: on a silent line the count says it runs from entering the step, and
    the silent call is suggested 5 s after it, as at any step with a line."""
    logs = tmp_path / "logs"
    term = terminal("run", "main_call", "--device", "pulse", "--model", "/no-model", "--log-dir", str(logs),
                    size=(100, 30), extra_env=virtual_line.env)
    term.wait_for("欢迎致电")
    term.wait_for("dBFS")
    term.send("Space", "3")  # said; the caller states the request
    term.wait_for("您的意思是")
    term.send("Space", "1")  # said; confirmed: resolve
    term.wait_for("解答要清晰")
    term.wait_for("(从进入本步算起)", timeout=10)
    term.wait_for("建议:按 s/Enter 进入“无声电话”(线路静音 5 秒)", timeout=10)
    quit_mid_call(term)
    records = records_of(logs)
    entered = next(r["t"] for r in records if r["type"] == "step_entered" and r["step"] == "resolve")
    silence = [r for r in records if r["type"] == "event" and r.get("name") == "silence" and r["t"] > entered]
    assert silence and silence[0]["detail"]["after"] == "entered"
    assert abs(silence[0]["detail"]["since"] - entered) < 0.01
