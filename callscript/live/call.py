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

Rules a reader will look for here (the line's own rules are in ``callscript.live.line``):

- A suggestion lives as long as its cause: caller speech withdraws a silence suggestion; speech
  at a normal level for ``RECOVER_SECONDS`` or more withdraws ``low_volume`` (judged when the
  caller stops, on the speech level the listener measured with the background taken out, as it
  judged ``low_volume``: the line's meter includes the hiss or hum, which on a noisy line is above
  a faint caller's threshold); a quiet background for as long withdraws ``noise``. Accepting re-checks the cause first.
- Suggestions whose causes contradict each other are never shown together: the newer cause
  withdraws the older one it contradicts (``CONTRADICTS``: a silent line is not a noisy one, nor
  one where a faint or unintelligible caller is heard).
- Silence counts from the end of the agent's line, the entry of a step with no line, the end of
  the caller's speech or the end of noise, whichever is latest; while the line is not said yet,
  the caller speaks or the line is noisy there is no silence. The listener's ``silence`` report
  is held, and silence is logged (an ``event`` from the line, its ``detail`` saying from when it
  counted) and suggested only when the call's own count has lasted as long.
- Every suggestion shown, withdrawn (and why), accepted or declined is a ``suggestion`` record in
  the log (docs/session-log.md), so the log tells the story the screen told.
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
from callscript.live.line import (
    LOW_VOLUME_DBFS,
    RECOVER_SECONDS,
    LineState,
    SilenceStart,
)
from callscript.live.signals import Level, LineCondition, LineSignal, Transcript
from callscript.session.log import SessionLog
from callscript.text import variables_in

# Causes that cannot both hold: a newer one withdraws a suggestion made for the older.
CONTRADICTS: dict[str, frozenset[str]] = {
    "silence": frozenset({"noise", "low_volume", "unintelligible"}),
    "noise": frozenset({"silence"}),
    "low_volume": frozenset({"silence"}),
    "unintelligible": frozenset({"silence"}),
}
# Why a newer cause withdrew a suggestion (the ``why`` of its ``suggestion`` record).
REPLACED_BECAUSE = {"silence": "line_silent", "noise": "line_noisy", "low_volume": "caller_heard",
                    "unintelligible": "caller_heard"}


class LineRecorder(Protocol):
    """Where the line audio of a call is written (``callscript.audio.lineaudio.LineAudioWriter``)."""

    path: Path
    samplerate: int

    def close(self) -> None: ...


class LiveCall:
    """One call: engine, log, listening state, suggestions, silence. See the module docstring."""

    def __init__(self, flows: Mapping[str, Flow], flow_id: str, *, clock: Clock, log: SessionLog,
                 variables: Mapping[str, str] | None = None, matcher: Matcher | None = None,
                 then_flow: str | None = None) -> None:
        extra = {"matcher": matcher} if matcher is not None else {}
        self.flows = flows
        self.clock = clock
        self.log = log
        # ``then_flow``: where a call started on a situation goes on when the situation returns
        # (the settings' ``default_flow``).
        self.engine = CallEngine(flows, flow_id, clock, variables=variables, listeners=(log, self._on_record),
                                 then_flow=then_flow, **extra)
        self.notes: list[str] = []
        self.closed = False
        self.end_record: EngineRecord | None = None
        self.suggestions: tuple[Suggestion, ...] = ()
        self.line = LineState()  # the line, as the listener reports it
        self._counted: float | None = None  # the start of the silence last counted (raised once)
        self._pending: list[Noticed] = []  # told once the screen shows the step they are about
        self._subscribers: list[Subscriber] = []
        self._declined: set[str] = set()  # variables the agent chose not to give at this step
        self._recorder: LineRecorder | None = None
        self._on_close: list[Callable[[], None]] = []

    @classmethod
    def open(cls, flows: Mapping[str, Flow], flow_id: str, *, clock: Clock, log_dir: Path,
             variables: Mapping[str, str] | None = None, wall: Callable[[], float] = time.time,
             matcher: Matcher | None = None, then_flow: str | None = None) -> LiveCall:
        """Create the call's log file in ``log_dir`` and the call (it starts with ``start``)."""
        if flow_id not in flows:
            raise KeyError(flow_id)
        return cls(flows, flow_id, clock=clock, log=SessionLog.create(log_dir, flow_id, wall=wall),
                   variables=variables, matcher=matcher, then_flow=then_flow)

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
        elif record.kind == "went_on":  # the situation the call started on is over
            self._pending.append(Noticed("went_on", {"flow": record.data["from_flow"], "to": record.data["flow"]}))

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

    @property
    def listening(self) -> bool:
        """A signal from the line has arrived during this call."""
        return self.line.listening

    @property
    def caller_speaking(self) -> bool:
        return self.line.caller_speaking

    @property
    def level(self) -> float | None:
        return self.line.level

    @property
    def transcript(self) -> str:
        return self.line.transcript

    def next_deadline(self) -> float | None:
        """Clock time at which ``poll()`` next has something to do (a wait, a held suggestion)."""
        if self.ended:
            return None
        times = [t for t in (self.engine.next_deadline(), self._silence_due()) if t is not None]
        return min(times) if times else None

    def silence(self) -> SilenceCount | None:
        """The silence counted now (None while the caller speaks, the line is noisy or not said
        yet, or nothing is listening to the line)."""
        start = self._silence_start()
        if start is None:
            return None
        return SilenceCount(start.since, max(0.0, self.clock.now() - start.since), start.after)

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
        names = tuple(dict.fromkeys(variables_in(step.say)))
        if step.if_unknown is not None and self._declined.intersection(names):
            # One value declined: the flow's if_unknown line is what will be said, whatever the
            # others are, so asking for them (a title after no surname: "某…") would mislead.
            return ()
        out = []
        for name in names:
            declared = self.declaration(name)
            if (declared is not None and declared.ask is not None and name not in self._declined
                    and not declared.known(self.engine.variables.get(name))):
                out.append(declared)
        return tuple(out)

    def _silence_start(self) -> SilenceStart | None:
        if self.ended:
            return None
        return self.line.silence_start(self.engine.said_at, self.engine.step.say is not None)

    def _silence_due(self) -> float | None:
        """When the silence the listener reported counts (from the line, see ``LineState``)."""
        seconds = self.line.silence_seconds
        start = self._silence_start()
        if seconds is None or start is None or start.since == self._counted:
            return None
        return start.since + seconds

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
        if self._position() != before:
            self._step_moved()
            before = self._position()
        due = self._silence_due()
        if due is not None and self.clock.now() >= due - 1e-9 and not self.ended:
            self._count_silence()
            if self._position() != before:
                self._step_moved()
        self._changed()

    def say_done(self) -> bool:
        """The agent has said the line (a key, or their microphone heard it): its waits start."""
        before = self._position()
        if self.closed or not self.engine.mark_said():
            return False
        if self._position() != before:  # a closing line that returns (or goes on)
            self._step_moved()
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
        already running or the call cannot take it now. A suggestion of it is accepted so."""
        if self.closed:
            return False
        flow = self.flows.get(flow_id)
        if flow is None or not flow.is_situation:
            self._publish(Noticed("situation_unavailable", {"flow": flow_id}))
            return False
        running = any(frame_flow == flow_id for frame_flow, _ in self.engine.frames)
        if running:
            self._publish(Noticed("situation_running", {"flow": flow_id}))
            return False
        # Logged before the situation is entered: the log reads "accepted, then entered".
        self._drop(lambda s: s.flow_id == flow_id, state="accepted")
        if not self.engine.enter_situation(flow_id):
            self._publish(Noticed("situation_unavailable", {"flow": flow_id}))
            return False
        self._step_moved()
        self._after_input()
        return True

    def accept(self) -> bool:
        """Take the first suggestion, if its cause still holds (else it is withdrawn)."""
        while self.suggestions:
            first = self.suggestions[0]
            if self._cause_holds(first.cause):
                return self.situation(first.flow_id)
            self._drop(lambda s, first=first: s is first, why="cause_ended")
            self._publish(Noticed("suggestion_expired", {"flow": first.flow_id}))
        return False

    def decline(self, flow_id: str | None = None) -> None:
        """Dismiss a suggestion (the first one when ``flow_id`` is None)."""
        if not self.suggestions:
            return
        target = flow_id or self.suggestions[0].flow_id
        self._drop(lambda s: s.flow_id == target, state="declined")

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
        now = self.clock.now()
        line = self.line
        if name == "silence":
            # Held, not logged: it counts from the line (``_count_silence``), as the screen does.
            seconds = detail.get("seconds")
            line.silence(float(seconds) if isinstance(seconds, (int, float)) else None)
            self.poll()
            self._publish(ListeningChanged())
            return
        if name == "speech_started":
            line.speech_started()
            self._drop(lambda s: s.cause.condition == "silence", why="caller_spoke")
        elif name == "speech_stopped":
            line.speech_stopped(now)
            self._judge_recovery(detail)
        elif name == "noise":
            threshold = detail.get("threshold_dbfs")
            line.noise(float(threshold) if isinstance(threshold, (int, float)) else None)
        else:
            line.listening = True
        before = self._position()
        moved = self.engine.line(name, detail)
        if self._position() != before or moved:
            self._step_moved()
        elif name in CONTRADICTS or name in self._suggesting_conditions():
            self._raise(name, detail, since=now)
        self._publish(ListeningChanged())
        self._after_input()

    def _count_silence(self) -> None:
        """The silence the listener reported has lasted as long counted from the line: log it
        (with where it counted from) and raise it."""
        start = self._silence_start()
        seconds = self.line.silence_seconds
        if start is None or seconds is None:
            return
        self._counted = start.since
        detail = {"seconds": seconds, "since": round(start.since - (self.engine.started_at or 0.0), 4),
                  "after": start.after}
        before = self._position()
        if self.engine.line("silence", detail) or self._position() != before:
            return  # the flow (or an automatic situation) took it
        self._raise("silence", detail, since=start.since)

    def _transcript(self, signal: Transcript) -> None:
        self.line.listening = True
        self.line.transcript = signal.text
        if signal.text.strip():
            # Words from the caller: the line is not silent, and not unintelligible any more.
            self.line.words()
            self._drop(lambda s: s.cause.condition == "silence", why="caller_spoke")
            if signal.final:
                self._drop(lambda s: s.cause.condition == "unintelligible", why="understood")
        if signal.final and signal.text.strip():
            before = self._position()
            self.engine.hear(signal.text)
            if self._position() != before:
                self._step_moved()
            self._after_input()
        self._publish(ListeningChanged())

    def _level(self, dbfs: float) -> None:
        now = self.clock.now()
        if self.line.heard_level(dbfs, now):
            self._drop(lambda s: s.cause.condition == "noise", why="line_quiet")
        self._publish(ListeningChanged())

    def _judge_recovery(self, detail: Mapping[str, Any]) -> None:
        """A stretch of the caller's speech has ended: when it lasted ``RECOVER_SECONDS`` or more at
        or above the level that made the caller too quiet, the caller is heard well again."""
        level, duration = detail.get("speech_level_dbfs"), detail.get("duration")
        if not isinstance(level, (int, float)) or not isinstance(duration, (int, float)):
            return
        for suggestion in self.suggestions:
            if suggestion.cause.condition == "low_volume":
                threshold = suggestion.cause.detail.get("threshold_dbfs", LOW_VOLUME_DBFS)
                if duration >= RECOVER_SECONDS - 1e-9 and level >= float(threshold):
                    self._drop(lambda s: s.cause.condition == "low_volume", why="level_recovered")
                return

    # -- suggestions -------------------------------------------------------------------------------

    def _raise(self, condition: str, detail: Mapping[str, Any], *, since: float) -> None:
        """A line condition holds from ``since``: it withdraws the suggestions it contradicts,
        then suggests the situations that list it."""
        contradicted = CONTRADICTS.get(condition, frozenset())
        self._drop(lambda s: s.cause.condition in contradicted, why=REPLACED_BECAUSE.get(condition, "replaced"))
        cause = Cause(condition, since, dict(detail))
        known = {s.flow_id for s in self.suggestions}
        new = tuple(Suggestion(f.id, cause) for f in self.engine.suggested_situations(condition) if f.id not in known)
        if new:
            self.suggestions = new + self.suggestions
            for suggestion in new:
                self._log_suggestion(suggestion, "shown")
            self._publish(SuggestionsChanged(self.suggestions))

    def _suggesting_conditions(self) -> set[str]:
        return {c for f in self.engine.situations() for c in f.situation.suggest_on}  # type: ignore[union-attr]

    def _cause_holds(self, cause: Cause) -> bool:
        if cause.condition == "silence":
            return not self.caller_speaking and not self.line.noisy and not self.line.loud
        if cause.condition == "noise":
            return self.line.noisy
        return True  # low_volume/unintelligible are withdrawn as soon as they end (``_level``, words)

    def _drop(self, which: Callable[[Suggestion], bool], *, why: str | None = None, state: str = "withdrawn") -> None:
        """Take the suggestions ``which`` picks off the screen, each logged with ``state`` (and
        ``why`` it was withdrawn)."""
        gone = tuple(s for s in self.suggestions if which(s))
        if gone:
            self.suggestions = tuple(s for s in self.suggestions if not which(s))
            for suggestion in gone:
                self._log_suggestion(suggestion, state, why)
            withdrawn = gone if state == "withdrawn" and why != "step_changed" else ()
            self._publish(SuggestionsChanged(self.suggestions, withdrawn))

    def _log_suggestion(self, suggestion: Suggestion, state: str, why: str | None = None) -> None:
        if self.closed or self.engine.started_at is None:
            return
        start = self.engine.started_at
        entry: dict[str, Any] = {
            "type": "suggestion", "t": round(self.engine.elapsed(), 4), "mono": round(self.clock.now(), 4),
            "state": state, "flow": suggestion.flow_id, "condition": suggestion.cause.condition,
            "since": round(suggestion.cause.since - start, 4),
        }
        if suggestion.cause.seconds is not None:  # how long the line had been silent
            entry["seconds"] = suggestion.cause.seconds
        if why is not None:
            entry["why"] = why
        self.log.write(entry)

    # -- bookkeeping -------------------------------------------------------------------------------

    def _position(self) -> tuple[int, str, str]:
        return (len(self.engine.history), self.engine.flow.id, self.engine.step.id)

    def _step_moved(self) -> None:
        """The call moved on: suggestions were about the step it left; silence counts afresh."""
        self._declined.clear()
        self._drop(lambda s: True, why="step_changed")

    def _after_input(self) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.ended:
            if not self.closed:
                self._publish(StepChanged(self.engine.flow.id, self.engine.step.id))
                self._publish(CallEnded(self.engine.outcome or "aborted"))
            return
        self._publish(StepChanged(self.engine.flow.id, self.engine.step.id))
        pending, self._pending = self._pending, []
        for notice in pending:
            self._publish(notice)
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
