"""Recording from the virtual line's caller source gives back the audio fed in.

The "trainer" is espeak-ng speech fed into the PulseAudio pipe source (``tests/support/pulse.py``);
the recorder hears it through sounddevice exactly as it would hear a headset microphone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from callscript.resample import resample_clip
from callscript.speech.clip import load_clip
from callscript.speech.library import step_line
from callscript.speech.recorder import Recorder, meter
from tests.support import levels
from tests.support.pulse import RATE, VirtualLine

pytestmark = [pytest.mark.audio, pytest.mark.speech, pytest.mark.slow]

LINE = "您好!请问有什么可以帮助您?"


@pytest.fixture()
def trainer_voice(synth) -> np.ndarray:
    """The line spoken by espeak-ng, as int16 at 16 kHz (what the caller source carries)."""
    rendered = synth.render(LINE, "zh-CN")
    return resample_clip(rendered.samples, rendered.samplerate)


def test_a_recording_gives_back_the_audio_fed_in(on_virtual_line: VirtualLine, trainer_voice: np.ndarray) -> None:
    seconds = len(trainer_voice) / RATE + 1.5
    recorder = Recorder("pulse", samplerate=RATE, max_seconds=seconds).start()
    feed = on_virtual_line.feed(np.concatenate([np.zeros(RATE // 2, np.int16), trainer_voice]))
    feed.wait()
    recorder._done.wait(seconds + 10)
    take = recorder.stop()
    heard = (take.samples * 32768).astype(np.int16)
    assert take.samplerate == RATE
    assert take.seconds == pytest.approx(seconds, abs=0.05)
    offset, similarity = levels.locate(heard, trainer_voice)
    assert similarity > 0.95, f"recorded audio matches the fed audio only {similarity:.2f}"
    assert levels.dbfs(heard[offset : offset + len(trainer_voice)]) == pytest.approx(levels.dbfs(trainer_voice), abs=1.0)
    assert recorder.level_dbfs < -40  # the take ends in silence: the meter's last reading is low


def test_the_meter_shows_the_level() -> None:
    assert meter(-60.0) == "[..............................]  -60.0 dBFS"
    assert meter(0.0).startswith("[" + "#" * 30 + "]")
    assert meter(-30.0).count("#") == 15
    assert "-inf" in meter(float("-inf"))


def test_audio_record_saves_a_trimmed_take_as_the_lines_recording(
    on_virtual_line: VirtualLine, trainer_voice: np.ndarray, tmp_path: Path, flows
) -> None:
    audio_dir = tmp_path / "audio"
    speech_seconds = len(trainer_voice) / RATE
    command = [sys.executable, "-m", "callscript", "audio", "record", "silent_call", "greet",
               "--device", "pulse", "--samplerate", str(RATE), "--seconds", f"{speech_seconds + 4:.1f}",
               "--yes", "--audio-dir", str(audio_dir)]
    env = {**os.environ, **on_virtual_line.env, "CALLSCRIPT_CONFIG_DIR": str(tmp_path / "config")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Silence first (the trainer takes a breath), the line, then silence until the take ends.
    on_virtual_line.feed(np.concatenate([np.zeros(2 * RATE, np.int16), trainer_voice])).wait()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    line = step_line(flows["silent_call"], "greet")
    saved = audio_dir / line.human(".ogg")
    assert "saved " in err and saved.name in err
    take = load_clip(saved)
    # Trimmed to the speech plus 0.15 s either side (espeak-ng's own end pause stays in).
    assert take.seconds == pytest.approx(speech_seconds, abs=0.6)
    assert take.seconds < speech_seconds + 2.0
    entry = json.loads((audio_dir / "manifest.json").read_text(encoding="utf-8"))["clips"][line.human(".ogg")]
    assert (entry["kind"], entry["text"], entry["flow"], entry["step"]) == ("human", line.text, "silent_call", "greet")
    assert "dBFS" in err  # the level meter was drawn


def test_audio_record_lets_the_trainer_retake_and_keeps_the_take_chosen(
    on_virtual_line: VirtualLine, trainer_voice: np.ndarray, tmp_path: Path, flows
) -> None:
    """Enter starts and stops a take; 'r' retakes; 'k' keeps the second, louder take."""
    audio_dir = tmp_path / "audio"
    command = [sys.executable, "-m", "callscript", "audio", "record", "silent_call", "greet",
               "--device", "pulse", "--samplerate", str(RATE), "--audio-dir", str(audio_dir)]
    env = {**os.environ, **on_virtual_line.env, "CALLSCRIPT_CONFIG_DIR": str(tmp_path / "config")}
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdin is not None

    def take(voice: np.ndarray) -> None:
        process.stdin.write("\n")  # start
        process.stdin.flush()
        time.sleep(1.0)
        on_virtual_line.feed(voice).wait()
        time.sleep(0.5)
        process.stdin.write("\n")  # stop
        process.stdin.flush()
        time.sleep(0.5)

    take((trainer_voice * 0.25).astype(np.int16))  # a quiet first take
    process.stdin.write("r\n")
    process.stdin.flush()
    take(trainer_voice)
    out, err = process.communicate("k\n", timeout=60)
    assert process.returncode == 0, err
    assert err.count("take: ") == 2
    assert "Recording... press Enter to stop." in err
    saved = load_clip(audio_dir / step_line(flows["silent_call"], "greet").human(".ogg"))
    expected_dbfs = levels.dbfs(trainer_voice)
    kept_dbfs = levels.dbfs((saved.samples * 32768).astype(np.int16))
    assert kept_dbfs > expected_dbfs - 4.0  # the loud second take, not the quiet first one
