"""Playback through sounddevice to the virtual line's null sink, heard back from its monitor.

Real PortAudio, real PulseAudio (``tests/support/pulse.py``), real speech from espeak-ng: what the
speaker plays must come out whole, at the level asked for, and stop when told.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from callscript.resample import resample_clip
from callscript.flow.model import Flow
from callscript.speech.clip import Clip
from callscript.speech.library import render_library, step_line
from callscript.speech.playback import OutputUnavailable, Playback
from callscript.speech.speaker import SpeechSpeaker
from tests.support import levels
from tests.support.pulse import RATE, VirtualLine

pytestmark = [pytest.mark.audio, pytest.mark.speech, pytest.mark.slow]

LINE = "您好!请问有什么可以帮助您?"


def at_16k(clip: Clip) -> np.ndarray:
    return resample_clip(clip.samples, clip.samplerate)


def active_seconds(samples: np.ndarray) -> float:
    span = levels.active_span(samples, threshold_dbfs=-45.0)
    assert span is not None, "nothing was heard on the line"
    return (span[1] - span[0]) / RATE


@pytest.fixture()
def spoken(synth) -> Clip:
    rendered = synth.render(LINE, "zh-CN")
    return Clip(rendered.samples, rendered.samplerate, "test")


@pytest.fixture()
def library(synth, audio_dir: Path, flows: dict[str, Flow]) -> Path:
    render_library([flows["silent_call"]], audio_dir, synth)
    return audio_dir


def test_a_clip_played_to_the_line_comes_out_whole_and_at_its_level(on_virtual_line: VirtualLine, spoken: Clip) -> None:
    recording = on_virtual_line.start_recording(spoken.seconds + 2.0)
    playback = Playback(spoken, "pulse").start()
    assert playback.wait() is True
    heard = recording.result()
    expected = at_16k(spoken)
    assert levels.dbfs(heard) > -35.0
    assert levels.heard_whole(active_seconds(heard), active_seconds(expected))
    start, end = levels.active_span(expected, threshold_dbfs=-45.0)
    assert levels.found_in(heard, expected[start:end]) > 0.8
    assert levels.dbfs(heard) == pytest.approx(levels.dbfs(expected) + 10 * np.log10(len(expected) / len(heard)), abs=1.5)


def band_dbfs(samples: np.ndarray, centre: float, width: float = 40.0) -> float:
    """The level of what lies within ``width`` Hz of ``centre`` Hz (16 kHz samples), in dBFS."""
    x = samples.astype(np.float64) / 32768.0
    spectrum = np.fft.rfft(x * np.hanning(x.size))
    frequencies = np.fft.rfftfreq(x.size, 1.0 / RATE)
    power = np.sum(np.abs(spectrum[np.abs(frequencies - centre) <= width / 2]) ** 2)
    return float(10 * np.log10(power + 1e-30))


def two_tones(rate: int, seconds: float, audible: float, inaudible: float, amplitude: float = 0.25) -> Clip:
    t = np.arange(int(rate * seconds)) / rate
    samples = amplitude * (np.sin(2 * np.pi * audible * t) + np.sin(2 * np.pi * inaudible * t))
    return Clip(samples.astype(np.float32), rate, "two tones")


def test_a_clip_at_a_rate_the_device_refuses_is_resampled_in_tune_and_without_folding_back(
        on_virtual_line: VirtualLine) -> None:
    """The ``pulse`` device plays up to 384 kHz: a clip at 400 kHz is refused, so Playback converts
    it to the device's own rate. A 1 kHz tone must come out at 1 kHz and at its level; a 43 kHz
    tone beside it (above what 44.1 kHz can carry) must be filtered out, not heard at 1.1 kHz."""
    clip = two_tones(400_000, 1.5, audible=1000, inaudible=43_000)
    recording = on_virtual_line.start_recording(clip.seconds + 1.5)
    playback = Playback(clip, "pulse").start()
    assert playback.samplerate != clip.samplerate  # the fallback ran (the device's own rate)
    assert playback.wait() is True
    heard = recording.result()
    span = levels.active_span(heard, threshold_dbfs=-40.0)
    assert span is not None, "nothing was heard on the line"
    assert levels.heard_whole((span[1] - span[0]) / RATE, clip.seconds, edges=0.1)
    tone = heard[span[0] + RATE // 10 : span[1] - RATE // 10]
    assert levels.dominant_frequency(tone, RATE) == pytest.approx(1000, abs=2.0)
    assert levels.dbfs(tone) == pytest.approx(20 * np.log10(0.25 / np.sqrt(2)), abs=1.0)
    # A folded tone would sound all along; an underrun of real-time playback on a busy machine is a
    # click that spreads over every band of its own 0.2 s only: the median window is the tone's.
    windows = [tone[i:i + RATE // 5] for i in range(0, tone.size - RATE // 5 + 1, RATE // 5)]
    margins = [band_dbfs(w, 1000) - band_dbfs(w, 1100) for w in windows]
    assert len(windows) >= 5 and float(np.median(margins)) > 50, f"the 43 kHz tone folded back to 1.1 kHz: {margins}"


def test_without_soxr_a_clip_the_device_refuses_is_an_output_problem(on_virtual_line: VirtualLine, monkeypatch) -> None:
    """soxr is installed here; ``sys.modules['soxr'] = None`` hides it, as in an install without it."""
    monkeypatch.setitem(sys.modules, "soxr", None)
    with pytest.raises(OutputUnavailable) as caught:
        Playback(two_tones(400_000, 0.2, 1000, 43_000), "pulse").start()
    assert caught.value.render() == (
        "error: output device 'pulse' refuses 400000 Hz and converting the sample rate of a sound needs the soxr "
        "package, which is not installed\n  hint: pip install 'callscript[audio]'")


def test_the_speaker_plays_the_library_clip_of_a_line(on_virtual_line: VirtualLine, library: Path, flows) -> None:
    line = step_line(flows["silent_call"], "greet")
    with SpeechSpeaker(audio_dir=library, output_device="pulse", synthesize=False, volume=1.0) as speaker:
        speaker.warm_up(10)
        assert speaker.problem() is None
        recording = on_virtual_line.start_recording(7.0)
        speaker.demonstrate(line.text, "zh-CN")
        assert speaker.wait_idle(15)
        heard = recording.result()
    last = speaker.last
    assert (last.source, last.completed, last.error) == ("library", True, None)
    assert last.path == str(library / line.rendered)
    assert active_seconds(heard) == pytest.approx(last.seconds, abs=0.6)  # the clip ends in ~0.35 s of pause
    assert levels.dbfs(heard) > -35.0


def test_a_line_not_in_the_library_is_synthesised_live(on_virtual_line: VirtualLine, library: Path) -> None:
    text = "王先生,请问有什么可以帮助您?"  # the caller's surname filled in: not the rendered default
    with SpeechSpeaker(audio_dir=library, output_device="pulse") as speaker:
        speaker.warm_up(20)
        recording = on_virtual_line.start_recording(6.0)
        speaker.demonstrate(text, "zh-CN")
        assert speaker.wait_idle(20)
        heard = recording.result()
    assert (speaker.last.source, speaker.last.completed) == ("synthesized", True)
    assert active_seconds(heard) > 2.5


def test_louder_is_about_3_db_louder_on_the_line(on_virtual_line: VirtualLine, library: Path, flows) -> None:
    line = step_line(flows["silent_call"], "greet")
    measured = []
    # Half volume keeps the peaks below the limiter's knee, so the raise is exactly +3 dB.
    with SpeechSpeaker(audio_dir=library, output_device="pulse", synthesize=False, volume=0.5) as speaker:
        speaker.warm_up(10)
        for louder in (False, True):
            recording = on_virtual_line.start_recording(7.0)
            speaker.demonstrate(line.text, "zh-CN", louder=louder)
            assert speaker.wait_idle(15)
            heard = recording.result()
            start, end = levels.active_span(heard, threshold_dbfs=-50.0)
            measured.append(levels.dbfs(heard[start:end]))
    assert measured[1] - measured[0] == pytest.approx(3.0, abs=0.5)


def test_stop_silences_a_demonstration_at_once(on_virtual_line: VirtualLine, library: Path, flows) -> None:
    line = step_line(flows["silent_call"], "ask_call_again")  # about 10 s long
    with SpeechSpeaker(audio_dir=library, output_device="pulse", synthesize=False) as speaker:
        speaker.warm_up(10)
        recording = on_virtual_line.start_recording(5.0)
        speaker.demonstrate(line.text, "zh-CN")
        time.sleep(1.5)
        speaker.stop()
        assert speaker.wait_idle(5)
        heard = recording.result()
    assert speaker.last.completed is False
    assert speaker.last.seconds > 8.0
    assert active_seconds(heard) < 2.5


def test_a_new_demonstration_replaces_the_one_playing(on_virtual_line: VirtualLine, library: Path, flows) -> None:
    long_line = step_line(flows["silent_call"], "ask_call_again")
    short_line = step_line(flows["silent_call"], "greet")
    finished = []
    with SpeechSpeaker(audio_dir=library, output_device="pulse", synthesize=False, on_finished=finished.append) as speaker:
        speaker.warm_up(10)
        speaker.demonstrate(long_line.text, "zh-CN")
        time.sleep(1.0)
        speaker.demonstrate(short_line.text, "zh-CN")
        assert speaker.wait_idle(15)
    assert [(d.text, d.completed) for d in finished] == [(long_line.text, False), (short_line.text, True)]


def test_an_output_device_that_does_not_exist_is_the_speakers_problem(on_virtual_line: VirtualLine) -> None:
    with SpeechSpeaker(output_device="no such headset", synthesize=False) as speaker:
        speaker.warm_up(10)
        problem = speaker.problem()
    assert problem is not None
    assert "output device 'no such headset' is not available" in problem
    assert "output_device" in problem
