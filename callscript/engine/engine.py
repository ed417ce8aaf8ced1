"""The call engine: runs a flow against an injected clock.

The engine is a plain state machine. It never sleeps and never starts a thread: a timed wait is a
deadline, and whoever drives the engine (the app, ``callscript simulate``, a test) asks for
``next_deadline()``, arranges to come back then, and calls ``poll()``. Every input method first
fires the timers that fell due before it, at their own deadlines, so the order of what happened is
the same however late the driver wakes up.

Everything that happens is reported to listeners as an ``EngineRecord`` (the session log is one
such listener). The engine imports no UI, audio or speech code; a test proves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from callscript.engine.clock import Clock
from callscript.flow.model import End, Flow, Resume, Step, Transition, Trigger, Variable
from callscript.text import fill, normalise, variables_in

# A cycle of timed steps must still let the driver breathe: never take more than this many
# transitions in one call.
_MAX_CHAIN = 1000
_MAX_DEPTH = 16  # flows open at once (situations and calls); deeper, a call is a runaway


def substring_matcher(text: str, phrases: Iterable[str]) -> bool:
    """Default ``heard:`` matcher: a phrase is heard when its normalised form is in the text."""
    heard = normalise(text)
    return any(normalise(p) and normalise(p) in heard for p in phrases)


@dataclass(frozen=True)
class EngineRecord:
    """One thing that happened in a call, as the session log stores it.

    ``kind`` is one of ``call_started``, ``step_entered``, ``said``, ``event``,
    ``situation_entered``, ``returned``, ``variable_set``, ``note`` and ``call_ended``;
    ``mono`` is the clock time and ``t`` the seconds since the call started.
    """

    kind: str
    t: float
    mono: float
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "t": round(self.t, 4), "mono": round(self.mono, 4), **self.data}


@dataclass(frozen=True)
class Wait:
    """The timed wait now running: which transition, when it started and when it ends."""

    transition: Transition
    started: float
    deadline: float

    @property
    def seconds(self) -> float:
        return self.transition.seconds


@dataclass(frozen=True)
class StepView:
    """What the agent should see now: the step, its line with variables filled, and the options."""

    flow: Flow
    step: Step
    say: str | None
    said: bool
    wait: Wait | None
    events: tuple[Transition, ...]
    depth: int


@dataclass
class _Frame:
    """A flow the call is inside of, and where to go when it returns."""

    flow: Flow
    resume_step: str | None  # step of the *parent* flow to re-enter on return
    interrupted: bool = False  # ``resume_step`` is the step it interrupted (not a ``then:``)
    resume_said: bool = False  # and that step's line had been said


Listener = Callable[[EngineRecord], None]
Matcher = Callable[[str, Iterable[str]], bool]


class CallEngine:
    """Runs one call through a flow and its situations.

    ``flows`` maps flow ids to every flow the call may reach (jumps, calls and situations);
    ``variables`` overrides the flows' defaults; ``auto_said`` takes each line as said the moment it
    appears (for simulation); ``matcher`` decides whether recognised text matches ``heard:``.
    ``then_flow`` is where a call goes on when its own flow is a situation that returns (the
    agent started the call on ``silent_call`` and the caller spoke): there is no call to go back
    to, so the call goes on into that flow at its start. Without it such a call ends (``return``).
    """

    def __init__(
        self,
        flows: Mapping[str, Flow],
        flow_id: str,
        clock: Clock,
        *,
        variables: Mapping[str, str] | None = None,
        listeners: Iterable[Listener] = (),
        auto_said: bool = False,
        matcher: Matcher = substring_matcher,
        then_flow: str | None = None,
    ) -> None:
        if flow_id not in flows:
            raise KeyError(flow_id)
        self.flows = flows
        self.clock = clock
        self.auto_said = auto_said
        self.matcher = matcher
        self.then_flow = then_flow
        self._listeners = list(listeners)
        self.variables: dict[str, str] = {}
        for flow in flows.values():
            for name, value in flow.defaults().items():
                self.variables.setdefault(name, value)
        self.variables.update(variables or {})
        self._stack: list[_Frame] = [_Frame(flows[flow_id], None)]
        self._step: Step = flows[flow_id].steps[flows[flow_id].start]
        self._entered_at = 0.0
        self._said_at: float | None = None
        self._again = False  # the step came back after a situation: its short form is shown
        self._caller_speaking = False
        self._silence_since: float | None = None
        self._last = 0.0
        self.started_at: float | None = None
        self.ended = False
        self.outcome: str | None = None
        self.history: list[tuple[float, str, str]] = []
        self.situations_met: list[str] = []
        self._said_in: set[str] = set()  # flows in which a line was said
        # The last line said in each flow, with its gloss: a call that goes on from the situation
        # it started on keeps that line as said at the next flow's start (see ``_go_on``).
        self._last_said: dict[str, tuple[str | None, str | None]] = {}
        self._carried: tuple[str | None, str | None] | None = None  # what the current step shows as said
        self._carried_from: str | None = None  # ... and the flow it was said in

    # -- listeners -----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, kind: str, at: float, **data: Any) -> None:
        self._last = max(self._last, at)
        if not self._listeners:
            return
        start = self.started_at if self.started_at is not None else self._last
        record = EngineRecord(kind, self._last - start, self._last, data)
        for listener in self._listeners:
            listener(record)

    # -- state ---------------------------------------------------------------------------------

    @property
    def flow(self) -> Flow:
        return self._stack[-1].flow

    @property
    def step(self) -> Step:
        return self._step

    @property
    def frames(self) -> tuple[tuple[str, str | None], ...]:
        """The flows the call is inside of, outermost first, each with the step of its parent
        flow that it returns to (``None`` for the call's own flow)."""
        return tuple((frame.flow.id, frame.resume_step) for frame in self._stack)

    @property
    def depth(self) -> int:
        return len(self._stack) - 1

    @property
    def said_at(self) -> float | None:
        """Clock time the current line was said (entry, for a step with no line); None before."""
        return self._said_at

    def elapsed(self) -> float:
        """Seconds since the call started (0 before it starts)."""
        return 0.0 if self.started_at is None else self.clock.now() - self.started_at

    def say(self, step: Step | None = None) -> str | None:
        """The step's line with the current variable values filled in: its ``if_unknown`` form
        while a variable the line uses has no real value, its short form coming back after a
        situation that asks for it."""
        if step is None or step is self._step:
            step = self._step
            if self._carried is not None:
                return self._carried[0]
            if self._again and step.again is not None:
                return fill(step.again.say, self.variables)
        if step.say is None:
            return None
        if step.if_unknown is not None and self.unknown_in(step.say):
            return fill(step.if_unknown.say, self.variables)
        return fill(step.say, self.variables)

    def gloss(self) -> str | None:
        """The English gloss of the line shown now (of its short or ``if_unknown`` form when that
        is what is shown), variables not filled (the UI fills them for an English reader)."""
        step = self._step
        if self._carried is not None:
            return self._carried[1]
        if self._again and step.again is not None:
            return step.again.gloss
        if step.say is not None and step.if_unknown is not None and self.unknown_in(step.say):
            return step.if_unknown.gloss
        return step.gloss

    def declaration(self, name: str) -> Variable | None:
        """How the flows declare variable ``name``: the current flow's declaration, unless another
        flow says which values are unknown (or how to ask for it) and this one does not."""
        found = self.flow.variables.get(name)
        if found is not None and (found.unknown or found.ask is not None):
            return found
        declared = [f.variables[name] for f in self.flows.values() if name in f.variables]
        return next((v for v in declared if v.unknown or v.ask is not None), found or (declared[0] if declared else None))

    def unknown_in(self, text: str) -> tuple[str, ...]:
        """The variables ``text`` uses whose value is not a real one (empty, or one the flows
        declare ``unknown``)."""
        out = []
        for name in dict.fromkeys(variables_in(text)):
            value = self.variables.get(name)
            declared = self.declaration(name)
            if not (declared.known(value) if declared is not None else bool(value and value.strip())):
                out.append(name)
        return tuple(out)

    def view(self) -> StepView:
        return StepView(
            flow=self.flow,
            step=self._step,
            say=self.say(),
            said=self._said_at is not None,
            wait=self.current_wait(),
            events=tuple(self._step.events.values()),
            depth=self.depth,
        )

    def situations(self) -> list[Flow]:
        """Every situation flow the call can be interrupted with."""
        return [f for f in self.flows.values() if f.is_situation]

    def current_wait(self) -> Wait | None:
        """The running timed wait that ends first, or None when nothing is counting down."""
        if self.ended or self._said_at is None:
            return None
        best: Wait | None = None
        for transition in self._step.timed:
            if transition.trigger is Trigger.AFTER:
                started = self._said_at
            else:  # silence: counted from the end of the caller's last speech
                if self._caller_speaking:
                    continue
                started = max(self._said_at, self._silence_since or self._said_at)
            wait = Wait(transition, started, started + transition.seconds)
            if best is None or wait.deadline < best.deadline:
                best = wait
        return best

    def next_deadline(self) -> float | None:
        """Clock time at which ``poll()`` will next have something to do."""
        wait = self.current_wait()
        return None if wait is None else wait.deadline

    # -- inputs --------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin the call: log it and enter the start step."""
        if self.started_at is not None:
            return
        now = self.clock.now()
        self.started_at = now
        self._last = now
        # ``said_lines``: lines are marked said by the agent (a live call), so a line with no
        # ``said`` record was not said; false when each line is taken as said (``simulate``).
        self._emit("call_started", now, flow=self.flow.id, variables=dict(self.variables),
                   said_lines=not self.auto_said)
        self._enter(self.flow, self.flow.start, now)

    def poll(self) -> int:
        """Fire every timed wait that is due; return how many transitions were taken."""
        return self._fire_due(self.clock.now())

    def mark_said(self) -> bool:
        """The agent has said the current line: its timed waits start now."""
        now = self._before_input()
        if now is None or self._said_at is not None:
            return False
        self._said_at = now
        self._said_in.add(self.flow.id)
        self._last_said[self.flow.id] = (self.say(), self.gloss())
        # The line as the agent was shown it when they said it (variables filled since the step
        # was entered): what the replay and the marks quote.
        self._emit("said", now, flow=self.flow.id, step=self._step.id, say=self.say())
        if self._step.end is not None:  # the closing line is said: now the call ends (or returns)
            self._end_step(self.flow, self._step, now)
        return True

    def fire(self, name: str) -> bool:
        """The agent declares event ``name``; True when the current step had a way out for it."""
        now = self._before_input()
        if now is None:
            return False
        match = self._step.events.get(name)
        # An event the flow declares the caller's doing is logged as the caller's (see Transition).
        source = "caller" if match is not None and match.by_caller else "agent"
        self._emit("event", now, source=source, name=name, matched=match is not None)
        if match:
            self._take(match, now)
        return match is not None

    def line(self, condition: str, detail: Mapping[str, Any] | None = None) -> bool:
        """The audio layer reports a line condition (see ``LINE_CONDITIONS``).

        ``detail`` (levels, reasons, the phrase heard ...) is logged with the event under its own
        ``detail`` key, so nothing the audio layer reports can clash with the record's own fields.
        """
        now = self._before_input()
        if now is None:
            return False
        if condition == "speech_started":
            self._caller_speaking = True
        elif condition == "speech_stopped":
            self._caller_speaking = False
            self._silence_since = now
        match = self._step.line_transitions.get(condition)
        extra = {"detail": dict(detail)} if detail else {}
        self._emit("event", now, source="line", name=condition, matched=match is not None, **extra)
        if match:
            self._take(match, now)
            return True
        automatic = next((f for f in self.suggested_situations(condition) if f.situation.automatic), None)
        if automatic is not None:
            self.enter_situation(automatic.id)
            return True
        return False

    def suggested_situations(self, condition: str) -> list[Flow]:
        """Situations that list ``condition`` in ``suggest_on`` and are not already running."""
        running = {frame.flow.id for frame in self._stack}
        return [
            f
            for f in self.situations()
            if condition in f.situation.suggest_on and f.id not in running  # type: ignore[union-attr]
        ]

    def hear(self, text: str) -> bool:
        """Speech recognition heard ``text``; take the first ``heard:`` transition it matches."""
        now = self._before_input()
        if now is None:
            return False
        match = next((t for t in self._step.heard if self.matcher(text, t.phrases)), None)
        self._emit("event", now, source="heard", name=text, matched=match is not None)
        if match:
            self._take(match, now)
        return match is not None

    def enter_situation(self, flow_id: str) -> bool:
        """Interrupt the call with a situation; it returns here when it reaches ``end: return``."""
        now = self._before_input()
        flow = self.flows.get(flow_id)
        if now is None or flow is None or not flow.is_situation:
            return False
        # A flow already open anywhere in the call is being handled: the call comes back to it
        # when the inner situation returns, so entering it again would only nest a copy.
        if any(frame.flow.id == flow.id for frame in self._stack) or len(self._stack) >= _MAX_DEPTH:
            return False
        self._emit("situation_entered", now, flow=flow.id, from_flow=self.flow.id, from_step=self._step.id)
        self.situations_met.append(flow.id)
        self._stack.append(_Frame(flow, self._step.id, True, self._line_said()))
        self._enter(flow, flow.start, now)
        return True

    def set_variable(self, name: str, value: str) -> None:
        """Set a variable (the caller's surname, say); lines shown from now on use it."""
        now = self._before_input()
        before = self.say()
        self.variables[name] = value
        shown = self.say()
        # The line on screen changed with it, before it was said: the log keeps the line as shown.
        extra = {"say": shown} if shown != before and shown is not None and self._said_at is None else {}
        self._emit("variable_set", self.clock.now() if now is None else now, name=name, value=value, **extra)

    def add_note(self, text: str) -> None:
        """Attach the agent's free note to the call."""
        self._emit("note", self.clock.now(), text=text)

    def end_call(self, outcome: str = "agent_ended") -> bool:
        """The agent ends the call before the flow did."""
        now = self._before_input()
        if now is None:
            return False
        self._finish(outcome, now)
        return True

    # -- internals -----------------------------------------------------------------------------

    def _before_input(self) -> float | None:
        """Bring timers up to date; the time of the input, or None when the call is over."""
        if self.started_at is None:
            self.start()
        now = self.clock.now()
        self._fire_due(now)
        return None if self.ended else now

    def _fire_due(self, now: float) -> int:
        taken = 0
        while not self.ended and taken < _MAX_CHAIN:
            wait = self.current_wait()
            if wait is None or wait.deadline > now:
                break
            self._emit(
                "event", wait.deadline, source="timer", name=f"{wait.transition.trigger.value}",
                seconds=wait.seconds, matched=True,
            )
            self._take(wait.transition, wait.deadline)
            taken += 1
        return taken

    def _take(self, transition: Transition, at: float) -> None:
        if transition.call:
            if len(self._stack) >= _MAX_DEPTH:
                # A flow that calls itself (or calls round through others) would nest without end;
                # ``check`` refuses such flows, and the engine stops one that slips through.
                self._emit("note", at, text=f"call: nested more than {_MAX_DEPTH} flows deep; the call was ended")
                self._finish("aborted", at)
                return
            callee = self.flows[transition.call]
            if callee.is_situation:
                # A step that calls a situation (the caller complains) meets it as its key would:
                # the summary, the replay and the report count it whichever way it came.
                self._emit("situation_entered", at, flow=callee.id, from_flow=self.flow.id, from_step=self._step.id)
                self.situations_met.append(callee.id)
            same = transition.then is None
            said = same and self._line_said()
            self._stack.append(_Frame(callee, transition.then or self._step.id, same, said))
            self._enter(callee, callee.start, at)
        elif transition.flow:
            target = self.flows[transition.flow]
            self._stack[-1] = _Frame(target, self._stack[-1].resume_step)
            self._enter(target, transition.to or target.start, at)
        else:
            self._enter(self.flow, transition.to or self._step.id, at)

    def _enter(self, flow: Flow, step_id: str, at: float, *, resumed: bool = False,
               resume: Resume | None = None, carried_line: tuple[str | None, str | None] | None = None) -> None:
        step = flow.steps[step_id]
        self._step = step
        self._carried = carried_line if resume is Resume.CONTINUE and step.say is not None else None
        self._entered_at = at
        self._said_at = at if (step.say is None or self.auto_said) else None
        if self.auto_said and step.say is not None:
            self._said_in.add(flow.id)
        # Back from a situation: a line already said stays said when the situation says so;
        # otherwise it is shown again, in its short form when the step has one.
        carried = resume is Resume.CONTINUE and step.say is not None and not self.auto_said
        self._again = resume is Resume.REPEAT and step.again is not None
        self.history.append((self._since_start(at), flow.id, step.id))
        data: dict[str, Any] = {"flow": flow.id, "step": step.id, "say": self.say(step), "depth": self.depth}
        if resumed:
            data["resumed"] = True
        if step.end is not None:
            data["end"] = step.end.value
        self._emit("step_entered", at, **data)
        if carried:
            self._said_at = at
            if self._carried is not None:  # said in the situation the call went on from: that line
                self._emit("said", at, flow=flow.id, step=step.id, say=self.say(), resumed=True,
                           from_flow=self._carried_from)
            else:
                self._emit("said", at, flow=flow.id, step=step.id, say=self.say(), resumed=True)
        # A closing line is said before the call ends: the step waits for ``mark_said``.
        if step.end is not None and self._said_at is not None:
            self._end_step(flow, step, at)

    def _line_said(self) -> bool:
        """Has the caller heard this step's line? Said in this visit, or said before a situation and
        now shown in its short form: a second situation then brings back the short form again, not
        the whole line (the caller heard the greeting once)."""
        return self._step.say is not None and (self._said_at is not None or self._again)

    def _end_step(self, flow: Flow, step: Step, at: float) -> None:
        """The terminal ``step`` is done: return to the flow that was interrupted, or end the call."""
        if step.end is End.RETURN and len(self._stack) > 1:
            frame = self._stack.pop()
            parent = self._stack[-1].flow
            self._emit("returned", at, flow=parent.id, step=frame.resume_step, from_flow=flow.id)
            # A line never said is simply shown again; one said before the situation is kept
            # or repeated (in its short form) as the situation declares.
            resume = None
            if frame.interrupted and frame.resume_said:
                continues = flow.situation is not None and flow.situation.resume is Resume.CONTINUE
                resume = Resume.CONTINUE if continues else Resume.REPEAT
            self._enter(parent, frame.resume_step or parent.start, at, resumed=True, resume=resume)
        elif step.end is End.RETURN and self._goes_on(flow):
            self._go_on(flow, at)
        elif step.end is not None:
            self._finish(step.end.value, at)

    def _goes_on(self, flow: Flow) -> bool:
        """A situation the call started on returns: is there a flow to go on into?"""
        target = self.flows.get(self.then_flow or "")
        return flow.is_situation and target is not None and target.id != flow.id and not target.is_situation

    def _go_on(self, flow: Flow, at: float) -> None:
        """The call started on situation ``flow``, which returned: the call goes on into
        ``then_flow`` at its start. The situation's ``resume`` applies as on any return when the
        agent said a line in it (the silent call's greeting was said: no second greeting)."""
        target = self.flows[self.then_flow]  # type: ignore[index]
        self._emit("went_on", at, flow=target.id, step=target.start, from_flow=flow.id)
        resume = None
        if flow.id in self._said_in:
            continues = flow.situation is not None and flow.situation.resume is Resume.CONTINUE
            resume = Resume.CONTINUE if continues else Resume.REPEAT
        self._stack[-1] = _Frame(target, None)
        # The line the agent said there stands for the start's line (the silent call's greeting
        # for the main greeting): shown and logged as that line, never as one nobody said.
        self._carried_from = flow.id
        self._enter(target, target.start, at, resume=resume, carried_line=self._last_said.get(flow.id))

    def _since_start(self, at: float) -> float:
        return 0.0 if self.started_at is None else at - self.started_at

    def _finish(self, outcome: str, at: float) -> None:
        self.ended = True
        self.outcome = outcome
        self._emit(
            "call_ended", at, end=outcome, flow=self.flow.id, step=self._step.id,
            duration=round(self._since_start(at), 4), situations=list(self.situations_met),
        )
