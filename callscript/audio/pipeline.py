"""Analysis and recognition over one stream of 16 kHz audio, reporting timestamped outputs.

A pipeline is synchronous and owns no thread and no clock: ``feed`` samples, and it calls
``on_output`` with ``Output`` records stamped in seconds of audio. ``callscript listen`` drives it
from a file as fast as the CPU allows; the app's listeners drive it from a device on their own
thread. The same audio therefore gives the same outputs at the same times in both.

Recognition is gated by voice activity: the recogniser is fed only while the caller speaks, plus
300 ms of audio before the detected onset, and each stretch of speech is finalised the moment the
analysis says it stopped. That keeps Vosk's CPU cost to the speech itself, makes "end of phrase to
transition" the 240 ms hangover plus one decode, and lines each transcript up with exactly one
``speech_started``/``speech_stopped`` pair for the unintelligible check.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from callscript.audio import FRAME_SECONDS
from callscript.audio.analysis import AnalysisConfig, Framer, LineAnalyzer, LineEvent, Word, judge_recognition


@dataclass(frozen=True)
class Output:
    """Something a pipeline noticed, at ``t`` seconds of audio.

    ``kind`` is ``condition`` (``name`` is a line condition or an agent event, ``detail`` has the
    reason), ``transcript`` (``text``, ``final``), ``level`` (``detail['dbfs']``) or ``problem``.
    """

    kind: str
    t: float
    name: str = ""
    text: str = ""
    final: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


OutputSink = Callable[[Output], None]

PREROLL_FRAMES = 10  # 300 ms of audio before the detected onset goes to the recogniser too
LEVEL_EVERY = 3  # frames per level report (90 ms: a smooth meter without flooding the UI)


class _Stream:
    """Shared frame loop: analysis, level reports, VAD-gated recognition."""

    def __init__(self, on_output: OutputSink, *, config: AnalysisConfig | None = None,
                 recognizer: Any = None) -> None:
        self.analyzer = LineAnalyzer(config)
        self.recognizer = recognizer
        self.on_output = on_output
        self._framer = Framer()
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._feeding = False
        self._results: list[Any] = []
        self._level_peak = -100.0

    @property
    def t(self) -> float:
        return self.analyzer.t

    def feed(self, samples: Any) -> None:
        """Analyse (and recognise) more audio: int16 samples or little-endian int16 bytes."""
        for frame in self._framer.frames(samples):
            self._frame(frame)

    def finish(self) -> None:
        """The audio ended: close any open stretch of speech."""
        for event in self.analyzer.finish():
            self._event(event)

    def _frame(self, frame: bytes) -> None:
        events = self.analyzer.feed_frame(frame)
        self._level_peak = max(self._level_peak, self.analyzer.level)
        if self.analyzer.frames % LEVEL_EVERY == 0:
            self.on_output(Output("level", self.t, detail={"dbfs": round(self._level_peak, 1)}))
            self._level_peak = -100.0
        if self.recognizer is not None:
            started = any(e.condition == "speech_started" for e in events)
            if started and not self._feeding:
                self._feeding = True
                self._results = []
                for old in self._preroll:
                    self._recognise(old)
                self._preroll.clear()
            if self._feeding:
                self._recognise(frame)
            else:
                self._preroll.append(frame)
        for event in events:
            self._event(event)

    def _recognise(self, frame: bytes) -> None:
        partial, result = self.recognizer.accept(frame)
        if partial:
            self.on_output(Output("transcript", self.t, text=partial, final=False))
        if result is not None:  # Vosk's own endpoint inside a long stretch: kept for the stretch's end
            self._results.append(result)

    def _event(self, event: LineEvent) -> None:
        self.on_output(Output("condition", event.t, name=event.condition, detail={"reason": event.reason, **event.detail}))
        if event.condition == "speech_stopped" and self.recognizer is not None and self._feeding:
            self._feeding = False
            grammar = self.recognizer.grammar is not None
            results = [*self._results, self.recognizer.flush()]
            self._results = []
            text = " ".join(r.text for r in results if r.text)
            words = [w for r in results for w in r.words]
            self.conclude(event, text, words, grammar)

    def conclude(self, event: LineEvent, text: str, words: list[Word], grammar: bool) -> None:
        """A stretch of speech ended and its recognition is final: subclasses report it."""


class LinePipeline(_Stream):
    """The caller's line: line conditions, the level meter, transcripts, ``unintelligible``.

    At the end of each stretch of speech the recognised words are judged first
    (``judge_recognition``): an unintelligible stretch is reported as ``unintelligible`` (with what
    the recogniser made of it in ``detail['heard']``) and never as a final transcript, so a
    grammar's forced fit to another language cannot take a ``heard:`` transition.
    """

    _deferred: Any = None

    def set_phrases(self, phrases: Sequence[str] | None) -> list[str] | None:
        """Restrict recognition to the phrases the current step listens for (None: free).

        While the caller is mid-utterance the change waits for the end of the utterance, so a
        step change never cuts a phrase in half. Returns the grammar in force now.
        """
        if self.recognizer is None:
            return None
        if self._feeding:
            self._deferred = (tuple(phrases) if phrases else None,)
            return self.recognizer.grammar
        self._deferred = None
        return self.recognizer.set_phrases(phrases)

    def conclude(self, event: LineEvent, text: str, words: list[Word], grammar: bool) -> None:
        voiced = float(event.detail.get("voiced", event.detail.get("duration", 0.0)))
        reason = judge_recognition(words, voiced, grammar=grammar)
        if reason:
            self.on_output(Output("condition", event.t, name="unintelligible", detail={
                "reason": reason, "heard": text, "voiced": round(voiced, 3), "grammar": grammar,
            }))
        elif text:
            self.on_output(Output("transcript", event.t, text=text, final=True, detail={
                "words": [w.word for w in words], "conf": [round(w.conf, 2) for w in words], "grammar": grammar,
            }))
        if self._deferred is not None:
            (phrases,), self._deferred = self._deferred, None
            self.recognizer.set_phrases(phrases)


class AgentPipeline(_Stream):
    """The agent's own microphone: notices the line was said, and forbidden phrasing.

    ``set_step(say, never)`` gives the current line and its forbidden phrasings. Outputs:
    ``agent_said`` once per line when the agent stops after saying it (recognised text covering
    at least half of the line; with no recogniser, any 0.5 s of speech followed by a pause), and
    ``agent_forbidden`` when recognised speech matches a forbidden phrasing.
    """

    SAID_COVERAGE = 0.5

    def __init__(self, on_output: OutputSink, *, config: AnalysisConfig | None = None, recognizer: Any = None) -> None:
        # Only the agent_* conditions leave this pipeline: the agent's own speech_started or
        # transcript must never reach the engine as if the caller had spoken.
        def agent_only(output: Output) -> None:
            if output.kind == "condition" and output.name.startswith("agent_"):
                on_output(output)

        # Agents pause at commas: 600 ms without voice ends their line, not 240 ms.
        super().__init__(agent_only, config=config or AnalysisConfig(hangover_frames=20, silence_seconds=3600.0),
                         recognizer=recognizer)
        self.say: str | None = None
        self.never: tuple[str, ...] = ()
        self._said = False
        self._heard_in_step: list[str] = []

    def set_step(self, say: str | None, never: Iterable[str] = ()) -> None:
        """The line the agent should say now, and its forbidden phrasings.

        With a recogniser, recognition is restricted to the line, the forbidden phrasings and each
        of their words: a closed set is recognised far more reliably than free speech, and
        "did they say the line, or that?" is exactly the question.
        """
        self.say = say
        self.never = tuple(never)
        self._said = say is None
        self._heard_in_step = []
        if self.recognizer is not None:
            phrases = [p for p in (say, *self.never) if p]
            self.recognizer.set_phrases(phrases or None, words=True)
            self._feeding = False
            self._results = []

    def conclude(self, event: LineEvent, text: str, words: list[Word], grammar: bool) -> None:
        from callscript.audio.matching import phrase_score, tolerant_match

        if text:
            self.on_output(Output("transcript", event.t, text=text, final=True, detail={"speaker": "agent"}))
            self._heard_in_step.append(text)
            for phrase in self.never:
                if tolerant_match(text, [phrase]):
                    self.on_output(Output("condition", event.t, name="agent_forbidden", detail={
                        "reason": f"forbidden phrasing heard: {phrase}", "phrase": phrase, "heard": text,
                    }))
        self._check_said(event, lambda: phrase_score(" ".join(self._heard_in_step), self.say or ""))

    def _event(self, event: LineEvent) -> None:
        super()._event(event)
        if event.condition == "speech_stopped" and self.recognizer is None:
            self._check_said(event, None)

    def _check_said(self, event: LineEvent, coverage_of: Callable[[], float] | None) -> None:
        if self._said or self.say is None:
            return
        if coverage_of is None:
            coverage = None
            ok = float(event.detail.get("duration", 0.0)) >= 0.5
        else:
            coverage = coverage_of()
            ok = coverage >= self.SAID_COVERAGE
        if ok:
            self._said = True
            detail: dict[str, Any] = {"reason": "the agent finished the line", "line": self.say}
            if coverage is not None:
                detail["coverage"] = round(coverage, 2)
            self.on_output(Output("condition", event.t, name="agent_said", detail=detail))


__all__ = ["AgentPipeline", "LinePipeline", "Output", "FRAME_SECONDS"]
