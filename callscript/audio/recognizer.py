"""Offline speech recognition with Vosk: partial and final transcripts, free or grammar-restricted.

``SpeechModel`` loads a model folder once (seconds, hundreds of MB: do it off the UI thread) and
knows its vocabulary. ``Recognizer`` streams 16 kHz int16 audio into a Kaldi recogniser and
returns partial text as it changes and a final ``Recognition`` when an utterance ends.

Grammar restriction: when a step only listens for known phrases, ``set_phrases`` rebuilds the
recogniser with a JSON grammar of those phrases (spelled in the model's own words, Chinese
segmented) plus the model's unknown-word token. Decoding is then far faster and far more
accurate for those phrases; anything else comes out as the unknown token or as an implausible
fit, which ``analysis.judge_recognition`` calls unintelligible.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callscript.audio.analysis import Word
from callscript.audio.models import ModelProblem, model_problems, read_vocabulary, to_model_words, unknown_token

_LOG_SILENCED = False


def _quiet_vosk() -> None:
    """Vosk logs every decode to stderr; callscript reports problems itself."""
    global _LOG_SILENCED
    if not _LOG_SILENCED:
        import vosk

        vosk.SetLogLevel(-1)
        _LOG_SILENCED = True


def import_vosk():  # noqa: ANN201 - the vosk module
    """``import vosk``, or ``ModelProblem`` saying how to install it."""
    try:
        import vosk
    except (ImportError, OSError) as exc:
        raise ModelProblem(f"speech recognition is not available: the vosk package cannot be loaded ({exc})",
                           hint="pip install 'callscript[audio]' (or pip install vosk)") from None
    return vosk


class SpeechModel:
    """A loaded Vosk model and its vocabulary."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        problems = model_problems(self.path)
        if problems:
            raise ModelProblem(f"the speech model in {self.path} is incomplete: {'; '.join(problems)}",
                               hint="download it again with 'callscript models download zh|en', or pass another --model")
        vosk = import_vosk()
        _quiet_vosk()
        try:
            self.model = vosk.Model(str(self.path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelProblem(f"the speech model in {self.path} could not be loaded: it is corrupt or not a Vosk "
                               f"model ({exc})",
                               hint="delete the folder and download it again ('callscript models download zh|en')") from None
        self._vocabulary: frozenset[str] | None = None
        self._vocabulary_read = False

    @property
    def vocabulary(self) -> frozenset[str] | None:
        if not self._vocabulary_read:
            self._vocabulary = read_vocabulary(self.path)
            self._vocabulary_read = True
        return self._vocabulary

    def grammar_for(self, phrases: Sequence[str], *, words: bool = False) -> list[str]:
        """A Vosk grammar for ``phrases``: each spelled in the model's words, plus the unknown token.

        Phrases with words the model lacks are left out: a grammar entry with a missing word would
        be silently dropped by Vosk anyway. ``words=True`` also admits each word of the phrases on
        its own, so that part of a long line is still recognised (for the agent's microphone).
        """
        vocabulary = self.vocabulary
        grammar: list[str] = []
        singles: list[str] = []
        for phrase in phrases:
            spelled, missing = to_model_words(phrase, vocabulary)
            if spelled and not missing and spelled not in grammar:
                grammar.append(spelled)
            if words:
                singles += [w for w in spelled.split() if w not in missing]
        grammar += [w for w in dict.fromkeys(singles) if w not in grammar]
        unk = unknown_token(vocabulary)
        if grammar and unk:
            grammar.append(unk)
        return grammar


@dataclass(frozen=True)
class Recognition:
    """The final result of one utterance."""

    text: str
    words: list[Word] = field(default_factory=list)
    grammar: bool = False


class Recognizer:
    """Streams audio into one Kaldi recogniser; not thread-safe (one pipeline thread owns it)."""

    CHUNK_BYTES = 3200  # decode in 100 ms chunks: per-call overhead makes 30 ms calls ~25% slower
    PARTIAL_EVERY = 2  # chunks (~200 ms) between partial-result polls: JSON is not free

    def __init__(self, model: SpeechModel, rate: int = 16000) -> None:
        self.model = model
        self.rate = rate
        self.grammar: list[str] | None = None
        self._rec = self._make(None)
        self._since_partial = 0
        self._last_partial = ""
        self._buffer = b""
        self.fed_seconds = 0.0

    def _make(self, grammar: list[str] | None):  # noqa: ANN202 - vosk.KaldiRecognizer
        vosk = import_vosk()
        try:
            if grammar:
                rec = vosk.KaldiRecognizer(self.model.model, self.rate, json.dumps(grammar, ensure_ascii=False))
            else:
                rec = vosk.KaldiRecognizer(self.model.model, self.rate)
        except Exception as exc:
            raise ModelProblem(f"the speech model in {self.model.path} is corrupt: its decoding graph cannot be "
                               f"read ({exc})", hint="delete the folder and download the model again") from None
        rec.SetWords(True)
        return rec

    def set_phrases(self, phrases: Sequence[str] | None, *, words: bool = False) -> list[str] | None:
        """Restrict recognition to ``phrases`` (None or empty: free recognition). Returns the grammar
        used. Any utterance in progress is dropped. ``words``: see ``SpeechModel.grammar_for``."""
        grammar = self.model.grammar_for(phrases, words=words) if phrases else None
        grammar = grammar or None
        if grammar != self.grammar:
            self.grammar = grammar
            self._rec = self._make(grammar)
            self._last_partial = ""
            self._buffer = b""
        return grammar

    def accept(self, pcm: bytes) -> tuple[str | None, Recognition | None]:
        """Feed int16 audio; returns (partial text if it changed, final result if Vosk ended an utterance)."""
        self.fed_seconds += len(pcm) / 2 / self.rate
        self._buffer += pcm
        if len(self._buffer) < self.CHUNK_BYTES:
            return None, None
        pcm, self._buffer = self._buffer, b""
        if self._rec.AcceptWaveform(pcm):
            self._last_partial = ""
            self._since_partial = 0
            return None, self._parse(self._rec.Result())
        self._since_partial += 1
        if self._since_partial < self.PARTIAL_EVERY:
            return None, None
        self._since_partial = 0
        partial = json.loads(self._rec.PartialResult()).get("partial", "")
        if partial and partial != self._last_partial:
            self._last_partial = partial
            return partial, None
        return None, None

    def flush(self) -> Recognition:
        """End the current utterance now and return its result (the recogniser starts afresh)."""
        self._last_partial = ""
        self._since_partial = 0
        if self._buffer:
            self._rec.AcceptWaveform(self._buffer)
            self._buffer = b""
        return self._parse(self._rec.FinalResult())

    def _parse(self, raw: str) -> Recognition:
        data = json.loads(raw)
        words = [Word(w.get("word", ""), float(w.get("conf", 0.0)), float(w.get("start", 0.0)), float(w.get("end", 0.0)))
                 for w in data.get("result", [])]
        return Recognition(data.get("text", "").strip(), words, grammar=self.grammar is not None)
