"""The speech checks reject every way a render has been seen to go wrong, and accept real speech.

These run without a speech engine: the bad files are made by hand, the way pyttsx3 has been seen
to leave them (no file, an empty file, a truncated file, silence, another line's audio).
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from callscript.speech.checks import (
    SpeechCheckError,
    check_speech,
    duration_bounds,
    level_dbfs,
    read_wav,
    speech_units,
)
from callscript.speech.clip import Clip, louder, soft_limit, trim_silence

RATE = 22050
LINE = "您好!请问有什么可以帮助您?"  # 12 units; espeak-ng says it in ~5 s at rate 170


def speechlike(seconds: float, level_dbfs: float = -20.0, seed: int = 1) -> np.ndarray:
    """Syllable-shaped bursts of a voiced tone (4 a second), at about ``level_dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    carrier = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t) + 0.05 * rng.standard_normal(t.size)
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0.15, None)
    x = carrier * envelope
    x *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(x**2))
    return x.astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SpeechCheckError, match="no audio file was written"):
        read_wav(tmp_path / "never-written.wav")


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(SpeechCheckError, match=r"empty \(0 bytes\)"):
        read_wav(path)


def test_a_file_that_is_not_a_wav_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "text.wav"
    path.write_text("Audio saved to text.wav\n")
    with pytest.raises(SpeechCheckError, match="not a valid WAV file"):
        read_wav(path)


def test_a_truncated_wav_is_reported(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cut.wav", speechlike(2.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header still says 2 s
    with pytest.raises(SpeechCheckError, match="truncated"):
        read_wav(path)


def test_a_wav_header_with_no_frames_is_reported(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "none.wav", np.zeros(0, dtype=np.float32))
    with pytest.raises(SpeechCheckError, match="0 frames"):
        read_wav(path)


def test_a_good_wav_reads_back_as_the_samples_written(tmp_path: Path) -> None:
    original = speechlike(1.0)
    samples, rate = read_wav(write_wav(tmp_path / "ok.wav", original))
    assert rate == RATE
    assert np.max(np.abs(samples - original)) < 1e-3


def test_silence_is_not_speech() -> None:
    with pytest.raises(SpeechCheckError, match="silent"):
        check_speech(np.zeros(5 * RATE, dtype=np.float32), RATE, LINE)


def test_a_click_in_silence_is_not_speech() -> None:
    samples = np.zeros(5 * RATE, dtype=np.float32)
    samples[RATE : RATE + 2205] = speechlike(0.1, -3.0)  # loud enough overall, but 2% of the time
    with pytest.raises(SpeechCheckError, match="mostly silence"):
        check_speech(samples, RATE, LINE)


def test_audio_far_too_short_for_the_text_is_rejected() -> None:
    with pytest.raises(SpeechCheckError, match="implausible duration"):
        check_speech(speechlike(0.6), RATE, LINE)


def test_another_lines_audio_is_rejected_by_its_length() -> None:
    # "您好" rendered into the long line's file (the pyttsx3 mix-up), and the reverse.
    long_line = "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"
    with pytest.raises(SpeechCheckError, match="implausible duration"):
        check_speech(speechlike(10.3), RATE, "您好")
    with pytest.raises(SpeechCheckError, match="implausible duration"):
        check_speech(speechlike(1.1), RATE, long_line)


def test_speech_of_a_plausible_length_and_level_is_accepted() -> None:
    report = check_speech(speechlike(5.0), RATE, LINE, rate=170)
    assert report.seconds == pytest.approx(5.0)
    assert report.level_dbfs == pytest.approx(-20.0, abs=0.5)
    assert report.voiced_fraction > 0.9


def test_the_level_floor_follows_the_requested_volume() -> None:
    quiet = speechlike(5.0, level_dbfs=-45.0)
    with pytest.raises(SpeechCheckError, match="silent"):
        check_speech(quiet, RATE, LINE, volume=1.0)
    check_speech(quiet, RATE, LINE, volume=0.1)  # -20 dB asked for: -45 dBFS is right


def test_a_human_recording_is_not_held_to_the_synthesisers_pace() -> None:
    check_speech(speechlike(11.0), RATE, "您好", rate=None)
    with pytest.raises(SpeechCheckError, match="implausible duration"):
        check_speech(speechlike(0.2), RATE, "您好", rate=None)


def test_units_count_characters_words_and_digits() -> None:
    assert speech_units("您好!请问有什么可以帮助您?") == 12
    assert speech_units("Hello! How may I help you?") == 6
    assert speech_units("工号007") == 5
    with pytest.raises(SpeechCheckError, match="nothing to say"):
        duration_bounds("!?")


def test_duration_bounds_scale_with_the_rate_and_the_text() -> None:
    slow, fast = duration_bounds(LINE, 100), duration_bounds(LINE, 300)
    assert slow[0] > fast[0] and slow[1] > fast[1]
    short, long = duration_bounds("您好"), duration_bounds(LINE)
    assert long[0] > short[0] and long[1] > short[1]


def test_louder_raises_the_level_by_about_3_db_without_clipping() -> None:
    clip = Clip(speechlike(3.0, level_dbfs=-12.0), RATE)  # peaks near full scale already
    raised = louder(clip)
    assert level_dbfs(raised.samples) - level_dbfs(clip.samples) == pytest.approx(3.0, abs=0.8)
    assert np.max(np.abs(raised.samples)) <= 0.95 + 1e-6
    quiet = Clip(speechlike(3.0, level_dbfs=-30.0), RATE)  # far from the limit: exactly +3 dB
    assert level_dbfs(louder(quiet).samples) - level_dbfs(quiet.samples) == pytest.approx(3.0, abs=0.01)


def test_the_soft_limiter_leaves_quiet_samples_alone_and_is_monotonic() -> None:
    x = np.linspace(-2, 2, 4001, dtype=np.float32)
    y = soft_limit(x)
    assert np.all(np.diff(y) >= 0)
    assert np.max(np.abs(y)) <= 0.95 + 1e-6
    small = np.abs(x) <= 0.75
    assert np.array_equal(y[small], x[small])


def test_trimming_cuts_dead_air_and_keeps_a_little_padding() -> None:
    speech = speechlike(2.0)
    noise = (np.random.default_rng(2).standard_normal(RATE) * 10 ** (-60 / 20)).astype(np.float32)
    clip = Clip(np.concatenate([noise, speech, noise, noise]), RATE)
    trimmed = trim_silence(clip, pad=0.15)
    assert trimmed.seconds == pytest.approx(2.0 + 0.3, abs=0.1)


def test_trimming_a_silent_take_says_nothing_was_heard() -> None:
    with pytest.raises(Exception, match="nothing was heard"):
        trim_silence(Clip(np.zeros(RATE, dtype=np.float32), RATE))


def test_level_of_silence_is_minus_infinity() -> None:
    assert level_dbfs(np.zeros(10, dtype=np.float32)) == -math.inf
