"""The shared test recordings have the format, levels and content their names promise."""

from __future__ import annotations

import pytest

from tests.support import levels, recordings

np = pytest.importorskip("numpy")

RATE = recordings.RATE
PAD = int(recordings.PAD_SECONDS * RATE)


@pytest.fixture(scope="module")
def audio(line_recordings: recordings.Recordings) -> dict[str, np.ndarray]:
    """Every recording as int16 samples (reading also checks 16 kHz, mono, 16-bit)."""
    return {name: recordings.read(path) for name, path in line_recordings.paths().items()}


def speech_part(x: np.ndarray) -> np.ndarray:
    return x[PAD:-PAD]


def test_silence_is_seven_seconds_of_digital_silence(audio):
    assert audio["silence"].size == 7 * RATE
    assert np.count_nonzero(audio["silence"]) == 0


@pytest.mark.parametrize("name", ["mandarin", "korean", "english"])
def test_a_normal_caller_speaks_at_a_normal_level_between_silent_pads(audio, name):
    x = audio[name]
    assert x.size / RATE > 2 * recordings.PAD_SECONDS + 2.0, "expected at least 2 s of speech"
    assert np.count_nonzero(x[:PAD]) == 0 and np.count_nonzero(x[-PAD:]) == 0
    assert -26.0 < levels.dbfs(speech_part(x)) < -14.0
    assert levels.active_fraction(speech_part(x)) > 0.5


def test_the_quiet_caller_is_the_mandarin_caller_30_db_lower(audio):
    quiet, normal = audio["quiet_caller"], audio["mandarin"]
    assert quiet.size == normal.size
    assert levels.dbfs(quiet) == pytest.approx(levels.dbfs(normal) + recordings.QUIET_GAIN_DB, abs=0.5)
    assert np.abs(quiet).max() < 32768 * 10 ** (-25 / 20), "peaks stay far below full scale"
    # Still speech, not silence: most frames are above a -70 dBFS line.
    assert levels.active_fraction(speech_part(quiet), threshold_dbfs=-70.0) > 0.5
    offset, similarity = levels.locate(quiet, normal)
    assert offset == 0 and similarity > 0.99


def test_the_noisy_line_is_the_mandarin_caller_over_loud_noise(audio):
    noisy, speech = audio["noisy_line"], audio["mandarin"]
    assert noisy.size == speech.size
    noise_alone = np.concatenate([noisy[:PAD], noisy[-PAD:]])
    assert -30.0 < levels.dbfs(noise_alone) < -18.0, "the noise is loud on its own"
    assert levels.active_fraction(noisy) == 1.0, "no frame of the line is quiet"
    assert levels.dbfs(speech_part(noisy)) > levels.dbfs(noise_alone) + 2.0, "speech stands out of the noise"
    assert np.abs(noisy.astype(np.int32)).max() < 32767, "the mix does not clip"
    offset, similarity = levels.locate(noisy, speech)
    assert offset == 0 and 0.5 < similarity < 0.95, "the speech is there, under the noise"


def test_recordings_are_deterministic(line_recordings, tmp_path):
    """Built again from scratch, every file has the same bytes as the cached one."""
    fresh = recordings.make_recordings(tmp_path)
    for name, path in line_recordings.paths().items():
        assert getattr(fresh, name).read_bytes() == path.read_bytes(), name


def test_every_recording_has_a_text_entry(line_recordings):
    assert set(line_recordings.paths()) == set(recordings.TEXTS)
    assert recordings.TEXTS["silence"] == ""
