"""``LiveCall``: one call being worked, without any UI.

It holds the call's engine and session log, what the line is doing (the caller speaking, the
level, the last transcript), the situations the line suggests with the cause of each, and the
silence being counted. Time comes from the injected clock; nothing here sleeps, starts a thread
or imports Textual, audio or speech code.

Commands in (all return at once, on the caller's thread):
``start``, ``say_done``, ``event``, ``situation``, ``accept``, ``decline``, ``set_variable``,
``note``, ``end``, ``hear`` (a typed line signal from the listener adapter) and ``poll`` (fire
what is due; call it at ``next_deadline()``).

Events out: ``subscribe(callback)``; each change is one of ``callscript.live.events``.

Rules a reader will look for here:

- A suggestion lives as long as its cause: caller speech withdraws a silence suggestion; speech
  at a normal level for ``RECOVER_SECONDS`` withdraws ``low_volume``; a quiet background for as
  long withdraws ``noise``. Accepting re-checks the cause first.
- Silence counts from the end of the agent's line (or of the caller's speech, whichever is
  later); while the line is not said yet there is no silence. A ``silence`` report from the
  listener that started before that is held until the silence has lasted as long from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from callscript.engine.clock import Clock
from callscript.engine.engine import CallEngine, EngineRecord, Matcher
from callscript.flow.model import Flow, Step, Variable
from callscript.live.events import (
    CallEnded,
    Cause,
    ListeningChanged,
    LiveEvent,
    Noticed,
    SilenceCount,
    StepChanged,
    Subscriber,
    Suggestion,
    SuggestionsChanged,
    VariablesNeeded,
)
from callscript.live.signals import Level, LineCondition, LineSignal, Transcript
from callscript.session.log import SessionLog
from callscript.text import variables_in

# Seconds of the cause's opposite that withdraw a low_volume or noise suggestion.
RECOVER_SECONDS = 2.0
# Defaults for a listener that does not say its thresholds (callscript.audio.analysis's).
LOW_VOLUME_DBFS = -36.0
NOISE_FLOOR_DBFS = -45.0
SILENCE_SECONDS = 5.0


class LineRecorder(Protocol):
    """Where the line audio of a call is written (``callscript.audio.lineaudio.LineAudioWriter``)."""

    path: Path
    samplerate: int

    def close(self) -> None: ...


class LiveCall:
    """One call: engine, log, listening state, suggestions, silence. See the module docstring."""

    def __init__(self, flows: Mapping[str, Flow], flow_id: str, *, clock: Clock, log: SessionLog,
                 variables: Mapping[str, str] | None = None, matcher: Matcher | None = None) -> None:
        extra = {"matcher": matcher} if matcher is not None else {}
        self.flows = flows
        self.clock = clock
        self.log = log
        self.engine = CallEngine(flows, flow_id, clock, variables=variables, listeners=(log, self._on_record), **extra)
        self.notes: list[str] = []
        self.closed = False
        self.end_record: EngineRecord | None = None
        self.suggestions: tuple[Suggestion, ...] = ()
        # The line, as the listener reports it.
        self.listening = False  # a signal from the line has arrived during this call
        self.caller_speaking = False
        self.level: float | None = None
        self.transcript = ""
        self._speech_ended: float | None = None  # when the caller last stopped speaking
        self._silence_reported: float | None = None  # the listener's silence seconds, while it lasts
        self._recovering: dict[str, float] = {}  # cause -> since when its opposite has held
        self._subscribers: list[Subscriber] = []
        self._declined: set[str] = set()  # variables the agent chose not to give at this step
        self._recorder: LineRecorder | None = None
        self._on_close: list[Callable[[], None]] = []

    @classmethod
    def open(cls, flows: Mapping[str, Flow], flow_id: str, *, clock: Clock, log_dir: Path,
             variables: Mapping[str, str] | None = None, wall: Callable[[], float] = time.time,
             matcher: Matcher | None = None) -> LiveCall:
        """Create the call's log file in ``log_dir`` and the call (it starts with ``start``)."""
        if flow_id not in flows:
            raise KeyError(flow_id)
        return cls(flows, flow_id, clock=clock, log=SessionLog.create(log_dir, flow_id, wall=wall),
                   variables=variables, matcher=matcher)

    # -- events out ------------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on; returns a function that stops it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in self._subscribers else None

    def _publish(self, event: LiveEvent) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)

    def _on_record(self, record: EngineRecord) -> None:
        if record.kind == "call_ended":
            self.end_record = record

    # -- state -----------------------------------------------------------------------------------

    @property
    def flow(self) -> Flow:
        return self.engine.flow

    @property
    def step(self) -> Step:
        return self.engine.step

    @property
    def ended(self) -> bool:
        return self.engine.ended

    @property
    def log_path(self) -> Path:
        return self.log.path

    def next_deadline(self) -> float | None:
        """Clock time at which ``poll()`` next has something to do (a wait, a held suggestion)."""
        if self.ended:
            return None
        times = [t for t in (self.engine.next_deadline(), self._silence_due()) if t is not None]
        return min(times) if times else None

    def silence(self) -> SilenceCount | None:
        """The silence counted now (None while the caller speaks, the line is not said yet, or
        nothing is listening to the line)."""
        start = self._silence_start()
        if start is None:
            return None
        since, after = start
        return SilenceCount(since, max(0.0, self.clock.now() - since), after)

    def declaration(self, name: str) -> Variable | None:
        """How the flows declare variable ``name`` (the current flow's first, then the first that
        says how to ask for it, then any)."""
        found = self.engine.flow.variables.get(name)
        if found is not None and found.ask is not None:
            return found
        declared = [f.variables[name] for f in self.flows.values() if name in f.variables]
        return next((v for v in declared if v.ask is not None), found or (declared[0] if declared else None))

    def needed(self) -> tuple[Variable, ...]:
        """Variables the line on screen uses that must be asked for first: declared with ``ask``,
        their value still one the flow declares unknown, and not declined at this step."""
        step = self.engine.step
        if self.ended or step.say is None or self.engine.view().said:
            return ()
        out = []
        for name in dict.fromkeys(variables_in(step.say)):
            declared = self.declaration(name)
            if (declared is not None and declared.ask is not None and name not in self._declined
                    and not declared.known(self.engine.variables.get(name))):
                out.append(declared)
        return tuple(out)

    def _silence_start(self) -> tuple[float, str] | None:
        if not self.listening or self.caller_speaking or self.ended:
            return None
        said = self.engine.said_at
        if said is None:
            return None  # the agent is still on their line: no silence
        if self._speech_ended is not None and self._speech_ended > said:
            return self._speech_ended, "caller_stopped"
        return said, "line_said"

    def _silence_due(self) -> float | None:
        """When a silence the listener reported becomes a suggestion (counted from the line)."""
        if self._silence_reported is None:
            return None
        start = self._silence_start()
        return None if start is None else start[0] + self._silence_reported

    # -- commands in -----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin the call: log it and show the first step."""
        self.engine.start()
        self._changed()

    def poll(self) -> None:
        """Fire every wait that is due now, and a silence suggestion whose time has come."""
        if self.closed:
            return
        before = self._position()
        self.engine.poll()
        due = self._silence_due()
        if due is not None and self.clock.now() >= due - 1e-9 and not self.ended:
            self._suggest("silence", {"seconds": self._silence_reported}, since=due - (self._silence_reported or 0))
            self._silence_reported = None
        if self._position() != before:
            self._step_moved()
        self._changed()

    def say_done(self) -> bool:
        """The agent has said the line (a key, or their microphone heard it): its waits start."""
        if self.closed or not self.engine.mark_said():
            return False
        self._after_input()
        return True

    def event(self, name: str) -> bool:
        """The agent declares event ``name`` of the current step; False when it has none."""
        if self.closed:
            return False
        before = self._position()
        taken = self.engine.fire(name)
        if self._position() != before:
            self._step_moved()
        self._after_input()
        return taken

    def situation(self, flow_id: str) -> bool:
        """Interrupt the call with situation ``flow_id``; False (and a ``Noticed``) when it is
        already running or the call cannot take it now."""
        if self.closed:
            return False
        flow = self.flows.get(flow_id)
        if flow is None or not flow.is_situation:
            self._publish(Noticed("situation_unavailable", {"flow": flow_id}))
            return False
        running = any(frame_flow == flow_id for frame_flow, _ in self.engine.frames)
        if not self.engine.enter_situation(flow_id):
            self._publish(Noticed("situation_running" if running else "situation_unavailable", {"flow": flow_id}))
            return False
        self._drop(lambda s: s.flow_id == flow_id, withdrawn=False)
        self._step_moved()
        self._after_input()
        return True

    def accept(self) -> bool:
        """Take the first suggestion, if its cause still holds (else it is withdrawn)."""
        while self.suggestions:
            first = self.suggestions[0]
            if self._cause_holds(first.cause):
                return self.situation(first.flow_id)
            self._drop(lambda s, first=first: s is first)
            self._publish(Noticed("suggestion_expired", {"flow": first.flow_id}))
        return False

    def decline(self, flow_id: str | None = None) -> None:
        """Dismiss a suggestion (the first one when ``flow_id`` is None)."""
        if not self.suggestions:
            return
        target = flow_id or self.suggestions[0].flow_id
        self._drop(lambda s: s.flow_id == target, withdrawn=False)

    def set_variable(self, name: str, value: str) -> None:
        """Set a variable (the caller's surname ...): lines shown from now on use it."""
        if self.closed:
            return
        self.engine.set_variable(name, value)
        self._changed()

    def decline_variable(self, name: str) -> None:
        """The agent will not give ``name`` now: it is not asked again at this step."""
        self._declined.add(name)

    def note(self, text: str) -> None:
        """Attach the agent's note to the call."""
        text = text.strip()
        if text and not self.closed:
            self.notes.append(text)
            self.engine.add_note(text)
            self._changed()

    def end(self, outcome: str = "agent_ended") -> None:
        """The agent ends the call here, with ``outcome``."""
        if self.closed or self.ended:
            return
        self.engine.end_call(outcome)
        self._changed()

    def hear(self, signal: LineSignal) -> None:
        """A typed signal from the listener adapter (see ``callscript.live.signals``)."""
        if self.closed or self.ended:
            return
        if isinstance(signal, Level):
            self._level(signal.dbfs)
        elif isinstance(signal, Transcript):
            self._transcript(signal)
        elif isinstance(signal, LineCondition):
            self._condition(signal)

    # -- the line ----------------------------------------------------------------------------------

    def _condition(self, signal: LineCondition) -> None:
        name, detail = signal.name, dict(signal.detail)
        if name == "agent_said":  # the agent's microphone heard them finish the line
            self.say_done()
            return
        if name == "agent_forbidden":  # a discreet alert, logged for the trainer
            self.engine.line(name, detail)
            self._publish(Noticed("forbidden_heard", {"phrase": str(detail.get("phrase", ""))}))
            return
        self.listening = True
        now = self.clock.now()
        if name == "speech_started":
            self.caller_speaking = True
            self._silence_reported = None
            self._recovering.pop("noise", None)
            self._drop(lambda s: s.cause.condition == "silence")
        elif name == "speech_stopped":
            self.caller_speaking = False
            self._speech_ended = now
            self._recovering.pop("low_volume", None)
        elif name == "silence":
            seconds = detail.get("seconds")
            self._silence_reported = float(seconds) if isinstance(seconds, (int, float)) else SILENCE_SECONDS
        before = self._position()
        moved = self.engine.line(name, detail)
        if self._position() != before or moved:
            self._step_moved()
        elif name == "silence":
            self.poll()  # a suggestion now, if the silence has lasted long enough since the line
            self._publish(ListeningChanged())
            return
        elif name in self._suggesting_conditions():
            self._suggest(name, detail, since=now)
        self._publish(ListeningChanged())
        self._after_input()

    def _transcript(self, signal: Transcript) -> None:
        self.listening = True
        self.transcript = signal.text
        if signal.text.strip():
            # Words from the caller: the line is not silent, and not unintelligible any more.
            self._silence_reported = None
            self._drop(lambda s: s.cause.condition == "silence" or
                       (signal.final and s.cause.condition == "unintelligible"))
        if signal.final and signal.text.strip():
            before = self._position()
            self.engine.hear(signal.text)
            if self._position() != before:
                self._step_moved()
            self._after_input()
        self._publish(ListeningChanged())

    def _level(self, dbfs: float) -> None:
        self.listening = True
        self.level = dbfs
        now = self.clock.now()
        for suggestion in self.suggestions:
            condition = suggestion.cause.condition
            if condition == "low_volume":
                threshold = float(suggestion.cause.detail.get("threshold_dbfs", LOW_VOLUME_DBFS))
                ok = self.caller_speaking and dbfs >= threshold
            elif condition == "noise":
                threshold = float(suggestion.cause.detail.get("threshold_dbfs", NOISE_FLOOR_DBFS))
                ok = dbfs < threshold
            else:
                continue
            if not ok:
                if condition == "noise" or self.caller_speaking:  # pauses between words do not count against
                    self._recovering.pop(condition, None)
                continue
            since = self._recovering.setdefault(condition, now)
            if now - since >= RECOVER_SECONDS - 1e-9:
                self._drop(lambda s, c=condition: s.cause.condition == c)
        self._publish(ListeningChanged())

    def _suggesting_conditions(self) -> set[str]:
        return {c for f in self.engine.situations() for c in f.situation.suggest_on}  # type: ignore[union-attr]

    def _suggest(self, condition: str, detail: Mapping[str, Any], *, since: float) -> None:
        cause = Cause(condition, since, dict(detail))
        known = {s.flow_id for s in self.suggestions}
        new = tuple(Suggestion(f.id, cause) for f in self.engine.suggested_situations(condition) if f.id not in known)
        if new:
            self._recovering.pop(condition, None)
            self.suggestions = new + self.suggestions
            self._publish(SuggestionsChanged(self.suggestions))

    def _cause_holds(self, cause: Cause) -> bool:
        if cause.condition == "silence":
            return not self.caller_speaking
        return True  # low_volume/noise are withdrawn as soon as they recover (``_level``)

    def _drop(self, which: Callable[[Suggestion], bool], *, withdrawn: bool = True) -> None:
        gone = tuple(s for s in self.suggestions if which(s))
        if gone:
            self.suggestions = tuple(s for s in self.suggestions if not which(s))
            self._publish(SuggestionsChanged(self.suggestions, gone if withdrawn else ()))

    # -- bookkeeping -------------------------------------------------------------------------------

    def _position(self) -> tuple[int, str, str]:
        return (len(self.engine.history), self.engine.flow.id, self.engine.step.id)

    def _step_moved(self) -> None:
        """The call moved on: suggestions were about the step it left."""
        self._silence_reported = None
        self._declined.clear()
        if self.suggestions:
            self._drop(lambda s: True, withdrawn=False)

    def _after_input(self) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.ended:
            if not self.closed:
                self._publish(StepChanged(self.engine.flow.id, self.engine.step.id))
                self._publish(CallEnded(self.engine.outcome or "aborted"))
            return
        self._publish(StepChanged(self.engine.flow.id, self.engine.step.id))
        needed = self.needed()
        if needed:
            self._publish(VariablesNeeded(tuple(v.name for v in needed)))

    # -- line audio and closing --------------------------------------------------------------------

    def record_line(self, recorder: LineRecorder, *, on_close: Callable[[], None] | None = None) -> bool:
        """Log that the line audio from now on is in ``recorder``'s file (for ``callscript
        replay``), and close it with the call. Once per call; False when the call is not running."""
        if self.closed or self._recorder is not None or self.engine.started_at is None:
            return False
        self.log.write({"type": "line_audio", "t": round(self.engine.elapsed(), 4), "mono": self.clock.now(),
                        "file": recorder.path.name, "rate": recorder.samplerate})
        self._recorder = recorder
        if on_close is not None:
            self._on_close.append(on_close)
        return True

    @property
    def recording(self) -> LineRecorder | None:
        return self._recorder

    def close(self, outcome: str = "aborted") -> None:
        """End the call (as ``outcome`` when nobody had) and close its log. Safe to call any
        number of times and from exception paths: the log is always closed."""
        if self.closed:
            return
        try:
            if not self.engine.ended and self.engine.started_at is not None:
                self.engine.end_call(outcome)
        finally:
            self.closed = True
            try:
                for callback in self._on_close:
                    callback()
                if self._recorder is not None:
                    self._recorder.close()
            finally:
                self.log.close()


__all__ = ["LineRecorder", "LiveCall"]
