"""The app's listener: hears the line (and optionally the agent) on its own threads.

``LineListener`` follows ``callscript.app.ports.Listener`` (``start(sink)``, ``stop()``) without
importing the app. ``start`` returns at once; a thread then loads the speech model, opens the
input (a device, or ``--line-audio FILE`` played in real time) and runs a ``LinePipeline``,
reporting through the sink's thread-safe callbacks:

- ``sink.condition(name, detail)``: a line condition (``speech_started``, ``speech_stopped``,
  ``silence``, ``low_volume``, ``noise``, ``unintelligible``); ``detail['reason']`` is the text for
  the agent ("line silent for 5 s") and ``detail['audio_t']`` the seconds of audio since listening
  started (not ``t``: the detail goes into the engine's records, whose ``t`` is call time). From
  the agent's microphone: ``agent_said`` (the agent finished the line: call ``engine.mark_said()``)
  and ``agent_forbidden`` (``detail['phrase']`` was heard: show a discreet alert).
- ``sink.transcript(text, final)``: partial text while the caller speaks, then the final text
  (give final text to ``engine.hear``; the engine's matcher should be ``matching.tolerant_match``).
- ``sink.level(dbfs)``: about 11 times a second.
- ``sink.problem(health)``: what is missing and how to fix it, a ``callscript.health.DeviceHealth``
  (the part: the line, the agent's microphone, the model; why, as a catalog id set here where the
  cause is known; the library's own message as its detail). Nothing is ever raised into the
  caller: no PortAudio, no device, a device unplugged mid-call (it retries every few seconds and
  resumes when the device is back), no model or a corrupt one (listening goes on without
  transcripts), an unreadable file.

Tell it about the call as it moves: ``expect(phrases)`` with the current step's ``heard:`` phrases
(grammar-restricted recognition; None for free recognition) and ``agent_line(say, never)`` with
the line the agent should say and its forbidden phrasings. ``follow(step, say)`` does both from
an engine step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from callscript.audio.analysis import AnalysisConfig
from callscript.errors import CallscriptError
from callscript.health import Part, degraded, lost, missing

_UNSET = object()


class LineListener:
    """Listens to the caller's line (``device`` or ``line_audio``) and, optionally, the agent.

    ``device``: input device index or name part (None: the system default), or ``pulse:SOURCE``
    for a PulseAudio source by name (``pulse:callscript_line.monitor``: what the softphone plays).
    ``line_audio``: a sound file played in real time instead of a device.
    ``model``: a model folder or catalog key (``zh``/``en``); None: the model for ``language``;
    ``False``: no recognition.
    ``agent_device``: the agent's microphone (index or name part), or None for no agent input.
    ``flows``: flows whose ``heard:`` words are checked against the model's vocabulary.
    ``source_factory``: a zero-argument callable returning a source (tests, other inputs).
    """

    def __init__(self, *, device: str | int | None = None, line_audio: str | Path | None = None,
                 model: str | Path | bool | None = None, language: str = "zh-CN",
                 agent_device: str | int | None = None, flows: Iterable[Any] = (),
                 config: AnalysisConfig | None = None, source_factory: Callable[[], Any] | None = None,
                 retry_seconds: float = 2.0, agent_source_factory: Callable[[], Any] | None = None) -> None:
        self.device = device
        self.line_audio = Path(line_audio) if line_audio else None
        self.model_spec = model
        self.language = language
        self.agent_device = agent_device
        self.flows = list(flows)
        self.config = config
        self.source_factory = source_factory
        self.agent_source_factory = agent_source_factory
        self.retry_seconds = retry_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sources: list[Any] = []
        self._lock = threading.Lock()
        self._phrases: Any = _UNSET
        self._agent_line: Any = _UNSET
        # The agent's line now: a microphone that reconnects starts a new pipeline, which must
        # be told the line at once (the update above was taken by the pipeline that was lost).
        self._agent_line_now: tuple[str | None, tuple[str, ...]] | None = None
        self._speech_model: Any = None
        self._model_ready = threading.Event()
        self.started_at: float | None = None
        self.grammar: list[str] | None = None
        self._tap: Callable[[Any], None] | None = None

    # -- the protocol -----------------------------------------------------------------------

    def start(self, sink: Any) -> None:
        """Start listening on a background thread; returns at once."""
        self._stop.clear()
        self.started_at = time.monotonic()
        self._spawn(self._run_line, sink, "callscript-line")
        if self.agent_device is not None or self.agent_source_factory is not None:
            self._spawn(self._run_agent, sink, "callscript-agent")

    def stop(self) -> None:
        """Stop listening and release the devices (waits briefly for the threads)."""
        self._stop.set()
        with self._lock:
            sources = list(self._sources)
        for source in sources:
            try:
                source.close()
            except Exception:  # noqa: BLE001 - closing a dead device must not raise into the UI
                pass
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=3.0)
        self._threads = []

    def tap(self, callback: Callable[[Any], None] | None) -> None:
        """Give every block of the line's audio (16 kHz mono int16) to ``callback`` as it is heard,
        on the listener's thread (None: stop). The app records a call's line audio this way."""
        self._tap = callback

    # -- following the call -----------------------------------------------------------------

    def expect(self, phrases: Sequence[str] | None) -> None:
        """The phrases the current step listens for (grammar-restricted); None: free recognition."""
        with self._lock:
            self._phrases = tuple(phrases) if phrases else None

    def agent_line(self, say: str | None, never: Iterable[str] = ()) -> None:
        """The line the agent should say now and the phrasings they must never use."""
        with self._lock:
            self._agent_line = (say, tuple(never))

    def follow(self, step: Any, say: str | None) -> None:
        """Both of the above from an engine step (``engine.step``) and its filled line (``engine.say()``)."""
        from callscript.flow.model import Trigger

        phrases = [p for t in step.on if t.trigger is Trigger.HEARD for p in t.phrases]
        self.expect(phrases or None)
        self.agent_line(say, [f.text for f in step.never if f.kind == "say"])

    # -- threads ----------------------------------------------------------------------------

    def _spawn(self, target: Callable[[Any], None], sink: Any, name: str) -> None:
        def guarded() -> None:
            try:
                target(sink)
            except Exception as exc:  # noqa: BLE001 - never let a listener thread die silently
                _safe(sink.problem, missing(Part.LINE, "health.listener_crashed", f"listening stopped after an unexpected error: {exc!r}"))

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _load_model(self, sink: Any) -> Any:
        """The shared ``SpeechModel`` (loaded once), or None with a problem reported."""
        try:
            if self.model_spec is False:
                return None
            from callscript.audio.models import find_model, vocabulary_warnings
            from callscript.audio.recognizer import SpeechModel

            spec = None if self.model_spec in (None, True) else self.model_spec
            where = find_model(spec, language=None if spec else self.language)  # type: ignore[arg-type]
            model = SpeechModel(where.path, where.name)
            for warning in vocabulary_warnings(self.flows, model.vocabulary, where.name):
                _safe(sink.problem, degraded(Part.VOCABULARY, "health.unknown_words", warning))
            return model
        except CallscriptError as exc:
            _safe(sink.problem, missing(Part.RECOGNITION, "health.no_model",
                                        f"no speech recognition: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")))
            return None
        finally:
            self._model_ready.set()

    def _open_source(self, sink: Any, *, agent: bool) -> Any:
        """Open the input, retrying every ``retry_seconds`` until it works or ``stop()``."""
        from callscript.audio.sources import WavSource, open_input

        reported = None
        while not self._stop.is_set():
            try:
                if agent and self.agent_source_factory is not None:
                    source = self.agent_source_factory()
                elif agent:
                    source = open_input(self.agent_device)
                elif self.source_factory is not None:
                    source = self.source_factory()
                elif self.line_audio is not None:
                    source = WavSource(self.line_audio, realtime=True)
                else:
                    source = open_input(self.device)
                source.open()
                with self._lock:
                    self._sources.append(source)
                return source
            except CallscriptError as exc:
                message = ("agent microphone: " if agent else "") + exc.message + (f" ({exc.hint})" if exc.hint else "")
                if message != reported:
                    if agent:
                        health = missing(Part.AGENT_MIC, "health.no_agent_mic", message)
                    elif self.line_audio is not None and self.source_factory is None:
                        health = missing(Part.LINE, "health.line_file_unreadable", message)
                    else:
                        health = missing(Part.LINE, "health.no_input_device", message)
                    _safe(sink.problem, health)
                    reported = message
                if self.line_audio is not None and not agent:
                    return None  # a file that cannot be read will not get better
            self._stop.wait(self.retry_seconds)
        return None

    def _run_line(self, sink: Any) -> None:
        from callscript.audio.pipeline import LinePipeline
        from callscript.audio.recognizer import Recognizer

        self._speech_model = self._load_model(sink)
        recognizer = None
        if self._speech_model is not None:
            try:
                recognizer = Recognizer(self._speech_model)
            except CallscriptError as exc:
                _safe(sink.problem, missing(Part.RECOGNITION, "health.recognizer_failed", f"no speech recognition: {exc.message}"))
        offset = 0.0

        while not self._stop.is_set():
            source = self._open_source(sink, agent=False)
            if source is None:
                return
            base = offset

            def report(output: Any, base: float = base) -> None:
                _deliver(sink, output, base)

            pipeline = LinePipeline(report, config=self.config, recognizer=recognizer)
            try:
                for block in source.blocks():
                    if self._stop.is_set():
                        break
                    self._apply_phrases(pipeline)
                    pipeline.feed(block)
                    tap = self._tap
                    if tap is not None:
                        _safe(tap, block)
                pipeline.finish()
                if self.line_audio is not None and self.source_factory is None:
                    return  # the file has been played
            except CallscriptError as exc:  # the device went away mid-call
                if self._stop.is_set():
                    return  # closed by stop(): not a device that went away
                _safe(sink.problem, lost(Part.LINE, "health.line_lost", exc.message + (f" ({exc.hint})" if exc.hint else "")))
                self._stop.wait(self.retry_seconds)
            finally:
                offset = base + pipeline.t
                with self._lock:
                    if source in self._sources:
                        self._sources.remove(source)
                source.close()

    def _apply_phrases(self, pipeline: Any) -> None:
        with self._lock:
            phrases, self._phrases = self._phrases, _UNSET
        if phrases is not _UNSET:
            self.grammar = pipeline.set_phrases(phrases)

    def _run_agent(self, sink: Any) -> None:
        from callscript.audio.pipeline import AgentPipeline
        from callscript.audio.recognizer import Recognizer

        self._model_ready.wait(timeout=120)
        recognizer = None
        if self._speech_model is not None:
            try:
                recognizer = Recognizer(self._speech_model)
            except CallscriptError:
                recognizer = None
        while not self._stop.is_set():
            source = self._open_source(sink, agent=True)
            if source is None:
                return
            pipeline = AgentPipeline(lambda output: _deliver(sink, output, 0.0), recognizer=recognizer)
            if self._agent_line_now is not None:
                pipeline.set_step(*self._agent_line_now)
            try:
                for block in source.blocks():
                    if self._stop.is_set():
                        break
                    with self._lock:
                        line, self._agent_line = self._agent_line, _UNSET
                    if line is not _UNSET:
                        self._agent_line_now = line
                        pipeline.set_step(*line)
                    pipeline.feed(block)
            except CallscriptError as exc:
                _safe(sink.problem, lost(Part.AGENT_MIC, "health.agent_mic_lost", "agent microphone: " + exc.message))
                self._stop.wait(self.retry_seconds)
            finally:
                with self._lock:
                    if source in self._sources:
                        self._sources.remove(source)
                source.close()


_AUDIO_TIMES = {"onset", "since", "last_sound"}  # detail times, shifted when a device reopens


def _deliver(sink: Any, output: Any, base: float) -> None:
    """One pipeline output to the app's sink; a failing sink never stops listening."""
    if output.kind == "condition":
        detail = {k: (round(base + v, 3) if k in _AUDIO_TIMES else v) for k, v in output.detail.items()}
        _safe(sink.condition, output.name, {**detail, "audio_t": round(base + output.t, 3)})
    elif output.kind == "transcript":
        _safe(sink.transcript, output.text, output.final)
    elif output.kind == "level":
        _safe(sink.level, float(output.detail["dbfs"]))
    elif output.kind == "problem":
        _safe(sink.problem, missing(Part.LINE, "health.line_problem", output.text))


def _safe(callback: Callable[..., Any], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:  # noqa: BLE001 - the UI's problem, not a reason to stop hearing the line
        pass
