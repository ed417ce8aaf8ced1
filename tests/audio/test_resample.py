"""Sample-rate conversion (``callscript.resample``), checked against signals whose answer is known.

A tone resampled must keep its frequency and its level and come out at the length the new rate
gives; a tone the new rate cannot carry must be filtered out, not folded back into the speech band
(what the hand-written linear interpolations this replaced did). The real paths that resample
(playback on a device that refuses a clip's rate, the drill's synthesised caller) are tested with
real audio in tests/speech/test_playback.py and tests/training/test_caller.py.
"""

from __future__ import annotations

import sys

import pytest

from callscript.errors import CallscriptError
from tests.support import levels

np = pytest.importorskip("numpy")
pytest.importorskip("soxr")

from callscript.resample import Resampler, resample, resample_clip  # noqa: E402

AMPLITUDE = 0.5
AMPLITUDE_DBFS = 20 * np.log10(AMPLITUDE / np.sqrt(2))  # a sine's RMS level: -9.03 dBFS


def tone(frequency: float, rate: int, seconds: float = 1.0, amplitude: float = AMPLITUDE) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * frequency * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def middle(samples: np.ndarray, rate: int) -> np.ndarray:
    """The samples without their first and last 50 ms, where the filter starts and stops."""
    edge = rate // 20
    return samples[edge:-edge]


@pytest.mark.parametrize(("rate_in", "rate_out"), [
    (22050, 16000),   # espeak-ng's speech onto the caller's line
    (48000, 16000),   # a sound card's capture to what the listener works at
    (8000, 16000),    # a narrowband telephone line up to the listener's rate
    (16000, 44100),   # a library clip onto a headset that only plays its own rate
    (400000, 44100),  # a rate no device here plays (tests/speech/test_playback.py plays it)
])
def test_a_resampled_tone_keeps_its_frequency_its_level_and_the_length_of_its_rate(rate_in, rate_out):
    clip = tone(1000, rate_in, seconds=1.3)
    out = resample(clip, rate_in, rate_out)
    assert out.dtype == np.float32
    assert len(out) == round(len(clip) * rate_out / rate_in)
    assert levels.dominant_frequency(middle(out, rate_out), rate_out) == pytest.approx(1000, abs=1.0)
    assert levels.dbfs(middle(out, rate_out)) == pytest.approx(AMPLITUDE_DBFS, abs=0.1)


@pytest.mark.parametrize(("frequency", "rate_in", "rate_out"), [
    (11000, 48000, 16000),   # would fold back to 5 kHz
    (7000, 22050, 8000),     # would fold back to 1 kHz
    (43000, 400000, 44100),  # would fold back to 1.1 kHz
])
def test_a_tone_the_new_rate_cannot_carry_is_filtered_out_not_folded_back(frequency, rate_in, rate_out):
    out = resample(tone(frequency, rate_in), rate_in, rate_out)
    assert levels.dbfs(middle(out, rate_out)) < -60.0, f"{frequency} Hz came through at {rate_out} Hz"


def test_a_stream_in_blocks_keeps_speech_band_tones_and_removes_what_would_alias():
    for rate in (48000, 44100, 22050, 8000):
        signal = tone(1000, rate)
        resampler = Resampler(rate)
        blocks = [resampler.process(signal[i:i + 1000]) for i in range(0, rate, 1000)]
        out = np.concatenate([*blocks, resampler.flush()])
        assert out.dtype == np.int16
        assert abs(len(out) - 16000) <= 1
        assert levels.dominant_frequency(out[2000:14000], 16000) == pytest.approx(1000, abs=2.0)
        assert levels.dbfs(out[2000:]) == pytest.approx(AMPLITUDE_DBFS, abs=0.3)
    resampler = Resampler(48000)
    leaked = np.concatenate([resampler.process(tone(11000, 48000)), resampler.flush()])[500:]
    assert levels.dbfs(leaked) < -60.0, "an 11 kHz tone must not fold back to 5 kHz"


def test_a_whole_clip_and_the_same_clip_streamed_in_blocks_agree():
    rate = 44100
    signal = tone(440, rate) + tone(3000, rate, amplitude=0.2)
    whole = resample_clip(signal, rate)
    resampler = Resampler(rate)
    streamed = np.concatenate([*(resampler.process(signal[i:i + 777]) for i in range(0, rate, 777)), resampler.flush()])
    assert abs(len(whole) - len(streamed)) <= 1
    count = min(len(whole), len(streamed))
    _, similarity = levels.locate(whole[:count], streamed[800:count - 800])
    assert similarity > 0.999


def test_input_of_any_shape_comes_out_mono_float_in_full_scale():
    stereo = np.zeros((480, 2), dtype=np.int16)
    stereo[:, 0] = 10000
    assert Resampler(16000).process(stereo).tolist() == [5000] * 480
    out = resample(stereo, 16000, 16000)
    assert out.dtype == np.float32 and out.shape == (480,)
    assert out[0] == pytest.approx(5000 / 32768)
    same = tone(1000, 16000)
    assert np.array_equal(resample(same, 16000, 16000), same)


def test_a_bad_rate_is_refused():
    with pytest.raises(ValueError, match="bad sample rate"):
        resample(tone(1000, 16000), 0, 16000)
    with pytest.raises(ValueError, match="bad sample rate"):
        Resampler(-8000)


def test_without_soxr_resampling_is_one_message_that_names_the_extra(monkeypatch):
    """soxr is installed here; hiding it (``sys.modules['soxr'] = None`` makes its import fail)
    stands in for an install without the audio extra."""
    monkeypatch.setitem(sys.modules, "soxr", None)
    with pytest.raises(CallscriptError) as caught:
        resample(tone(1000, 22050), 22050, 16000)
    assert caught.value.render() == (
        "error: converting the sample rate of a sound needs the soxr package, which is not installed\n"
        "  hint: pip install 'callscript[audio]'")
    assert len(resample(tone(1000, 16000), 16000, 16000)) == 16000  # nothing to convert: no soxr needed
