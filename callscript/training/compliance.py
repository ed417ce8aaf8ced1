"""A call's compliance from its session log: the one definition the summary, replay and report use.

``derive(records, flows)`` reads the records of one call (``call_started`` first, in the log's
order) and returns a ``CallCompliance``: what the call was (agent, flow, start, outcome, end flow,
duration, live, situations met), each visit of a step, each timed wait with its class, the steps
the agent left and of those the ones left before their line was said, whether the agent hung up
without the call-back request, and the ``Finding``s (code, time, flow, step, detail) the replay
and the summary show as marks. The replay timeline (``training.timeline``) turns findings into
marks with their messages; the team report (``training.report``) over folders, and the team
store and the Parquet archive (``callscript.team``) when a call is shipped or exported, keep
``derive``'s rows, and SQL only adds them up. So the three cannot disagree, and a definition
changed here changes all of them.

The definitions (times are seconds into the call, from the records' ``mono`` clock):

- a **visit** of a step starts at its ``step_entered`` and lasts until the next ``step_entered``
  or the ``call_ended``; records in between belong to it;
- a **timed wait** is a visit of a step with an ``after``/``silence`` transition in the flows
  given (its shortest one is the required wait), once the wait started: when the line was said,
  or at entry for a step with no line and in logs with no ``said`` records (``simulate``). It
  was *honoured* when a timer fired with at least the required seconds, *shorter* when a timer
  fired with fewer (a log of an older or edited flow), *cut short* when the agent ended the call
  during it, *interrupted* when anything else moved the call on first (allowed), *open* when the
  log stops in it. ``waited``: from the start of the wait to the end of the visit;
- a **step left by the agent** is a visit of a step with a line, in a live call (lines marked
  said), that the agent moved on from (an event with source ``agent`` moved the call) or ended
  the call in; a situation does not count (the step comes back after it), nor an event the flow
  declares the caller's doing (logged with source ``caller``). It was **skipped** when its line
  had not been said;
- a **call-back request** is a step with a line from which a timed wait leads to an ``end:
  hang_up`` step of its flow; a call ended by the agent (``agent_ended``) inside a flow that has
  one, before one of them was said, is a **hang-up without call-back**;
- **ended early**: the agent ended the call (``agent_ended``) before the flow reached an end: the
  report's premature hang-up;
- **forbidden heard**: recognised speech (a ``heard`` event) that matches a ``never: - say:`` of
  the step it was heard in (fuzzily, as ``scoring`` does) or opens with 喂, and every
  ``agent_forbidden`` event (the agent's microphone heard a forbidden phrasing).

Records are the structs of ``callscript.session.reader.typed_parser()`` (the reader's known
fields as attributes, None where a line lacks one); ``fields(record)`` gives a dict record (as
``iter_records`` yields them) the same face without copying it. Pure Python: no DuckDB, no
Textual, and no message formatting (``training.timeline`` formats the marks it shows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from callscript.session.reader import FIELD_TYPES

if TYPE_CHECKING:
    from callscript.flow.model import Flow

UNKNOWN_AGENT = "(unknown)"  # a call whose call_started names no agent
HONOURED_TOLERANCE = 1e-6  # a timer's seconds written as 4.9999999 still honour a 5 s wait


class Finding(NamedTuple):
    """A place where the call went against the manuals (``training.timeline.Mark`` adds words)."""

    code: str
    t: float
    flow: str | None
    step: str | None
    detail: dict[str, Any]


class Wait(NamedTuple):
    """One timed wait: its step, the seconds the flow requires, its class and the time given."""

    flow: str
    step: str
    required: float
    wait: str  # honoured, shorter, cut_short, interrupted, open
    waited: float | None


@dataclass(slots=True)
class Visit:
    """One stay in one step. Times are seconds into the call; ``left`` is None if the log stops."""

    flow: str
    step: str
    say: str | None
    entered: float
    depth: int = 0
    resumed: bool = False
    said: float | None = None
    left: float | None = None
    left_by: str | None = None  # timer, agent, caller, line, heard, situation, call_ended
    ended_call: str | None = None  # the call's outcome when the call ended in this visit
    timer_seconds: float | None = None
    required_wait: float | None = None
    wait: str | None = None  # honoured, shorter, cut_short, interrupted, open; None: no wait ran
    waited: float | None = None


@dataclass(slots=True)
class CallCompliance:
    """What ``derive`` found in one call (see the module doc)."""

    agent: str
    flow: str
    started_wall: str | None
    outcome: str  # call_ended's end, or "incomplete"
    end_flow: str | None  # the flow the call ended in (None: no call_ended)
    duration: float
    live: bool  # lines were marked said (False for simulate's logs)
    situations: list[str]  # situation flows met, in order
    callback_flow: bool  # the call ended inside a flow with a call-back request
    callback_violated: bool  # ... and the agent hung up before one was said
    steps_left: int  # visits of steps with a line the agent left
    steps_skipped: int  # of those, left before the line was said
    waits: list[Wait]
    findings: list[Finding]
    visits: list[Visit]
    mono0: float | None = field(default=None, repr=False)  # the call's start on the records' clock
    t0: float = field(default=0.0, repr=False)

    def at(self, mono: float | None, t: float | None) -> float:
        """Seconds into the call of a record with these ``mono`` and ``t`` fields."""
        if mono is not None and self.mono0 is not None:
            return round(mono - self.mono0, 4)
        return round((t or 0.0) - self.t0, 4)


class fields:  # used like a function: fields(record).flow
    """A dict record (``iter_records``) seen as the reader's structs are: ``fields(r).flow`` is
    ``r.get("flow")``. No copy: the timeline keeps its dicts for the replay screen."""

    __slots__ = ("_record",)

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._record = record


def _field(name: str) -> property:
    return property(lambda self: self._record.get(name), doc=f"the record's {name!r}, None when it has none")


# One property per field the reader knows (a property is read faster than __getattr__ is called).
for _name in FIELD_TYPES:
    setattr(fields, _name, _field(_name))
del _name


def callback_steps(flow: Flow | None) -> frozenset[str]:
    """The call-back requests of ``flow``: steps with a line from which a timed wait leads to an
    ``end: hang_up`` step of the same flow."""
    if flow is None:
        return frozenset()
    cached = _CALLBACKS.get(id(flow))
    if cached is not None and cached[0] is flow:
        return cached[1]
    from callscript.flow.model import End

    hang_ups = {s.id for s in flow.steps.values() if s.end is End.HANG_UP}
    steps = frozenset(
        s.id for s in flow.steps.values()
        if s.say is not None and any(t.is_timed and t.to in hang_ups and not t.flow and not t.call for t in s.on)
    )
    _CALLBACKS[id(flow)] = (flow, steps)
    return steps


_CALLBACKS: dict[int, tuple[Any, frozenset[str]]] = {}  # id(flow) -> (the flow, its call-back steps)


def required_waits(flow: Flow | None) -> dict[str, float | None]:
    """Each step of ``flow`` with the seconds its timed wait requires (``Step.required_wait``: its
    shortest timed transition), None for a step without one; worked out once per flow."""
    if flow is None:
        return {}
    cached = _WAITS.get(id(flow))
    if cached is not None and cached[0] is flow:
        return cached[1]
    waits = {step.id: step.required_wait for step in flow.steps.values()}
    _WAITS[id(flow)] = (flow, waits)
    return waits


_WAITS: dict[int, tuple[Any, dict[str, float | None]]] = {}  # id(flow) -> (the flow, its steps' waits)


def agent_of(call_started: Any) -> str:
    """The agent of a call: ``call_started``'s ``variables.agent`` as text (a number written by
    hand still groups as text), or ``UNKNOWN_AGENT``."""
    agent = (call_started.variables or {}).get("agent")
    return UNKNOWN_AGENT if agent is None else str(agent)


def classify_wait(timer_seconds: float | None, required: float, left: float | None, ended_call: str | None) -> str:
    """The class of a timed wait (see the module doc)."""
    if timer_seconds is not None:
        return "honoured" if timer_seconds >= required - HONOURED_TOLERANCE else "shorter"
    if left is None:
        return "open"
    if ended_call == "agent_ended":
        return "cut_short"
    return "interrupted"


def derive(records: Iterable[Any], flows: Mapping[str, Flow], *, forbidden: bool = True) -> CallCompliance:
    """The compliance of one call from its records (``call_started`` first; see the module doc).

    ``forbidden``: match heard speech against the steps' forbidden lines (the report, which does
    not count forbidden phrasing, passes False and saves the fuzzy matching).
    """
    it = iter(records)
    start = next(it)
    mono0 = start.mono
    t0 = start.t or 0.0

    def at(record: Any) -> float:
        mono = record.mono
        if mono is not None and mono0 is not None:
            return round(mono - mono0, 4)
        return round((record.t or 0.0) - t0, 4)

    visits: list[Visit] = []
    findings: list[Finding] = []
    heard: list[tuple[Visit, Any, float]] = []
    situations: list[str] = []
    visit: Visit | None = None
    ended = None
    # A live call says so in its call_started (``said_lines``): a live call whose agent never
    # marked a line said must not pass for a simulate log, where every line counts as said. Logs
    # from before that field: live when any line was marked said.
    declared = start.said_lines
    live = bool(declared)
    last = start
    steps_of: dict[str, dict[str, float | None]] = {}  # flow id -> its steps' required waits
    for record in it:
        last = record
        kind = record.type
        if kind == "step_entered":
            now = at(record)
            if visit is not None and visit.left is None:
                visit.left = now
            flow_id = record.flow or ""
            waits_of = steps_of.get(flow_id)
            if waits_of is None:
                waits_of = steps_of[flow_id] = required_waits(flows.get(flow_id))
            step_id = record.step or ""
            visit = Visit(flow_id, step_id, record.say, now, record.depth or 0, bool(record.resumed),
                          required_wait=waits_of.get(step_id))
            visits.append(visit)
        elif kind == "said":
            if declared is None:
                live = True
            if visit is not None and visit.said is None:
                visit.said = at(record)
                if record.say is not None:  # the line as said (a surname typed in since entry)
                    visit.say = record.say
        elif kind == "call_ended":  # the call's end and outcome, in a step or (a hand-made log) not
            ended = record
            if visit is not None:
                visit.ended_call = record.end
                visit.left = at(record)
                visit.left_by = "call_ended"
        elif kind == "situation_entered":
            situations.append(record.flow or "")
            if visit is not None:
                visit.left_by = "situation"
        elif visit is None:
            continue
        elif kind == "variable_set":
            if record.say is not None and visit.said is None:  # the line on screen changed with it
                visit.say = record.say
        elif kind == "event":
            source = record.source
            if source == "timer":
                visit.timer_seconds = record.seconds
            if record.matched:
                visit.left_by = source
            if source == "heard":
                if forbidden:
                    heard.append((visit, record, at(record)))
            elif record.name == "agent_forbidden":  # the agent's microphone (audio pipeline)
                detail = record.detail or {}
                phrase = str(detail.get("phrase") or detail.get("heard") or "")
                findings.append(Finding("forbidden_heard", at(record), visit.flow, visit.step,
                                        {"text": phrase, "heard": detail.get("heard"), "speaker": "agent"}))

    waits: list[Wait] = []
    steps_left = steps_skipped = 0
    for v in visits:
        required = v.required_wait
        if required is not None:
            begun = v.said if (v.say is not None and live) else v.entered
            if begun is not None:
                v.wait = cls = classify_wait(v.timer_seconds, required, v.left, v.ended_call)
                if v.left is not None:
                    v.waited = round(v.left - begun, 4)
                waits.append(Wait(v.flow, v.step, required, cls, v.waited))
                if cls == "cut_short":
                    findings.append(Finding("wait_cut_short", v.left if v.left is not None else begun, v.flow,
                                            v.step, {"waited": v.waited or 0.0, "required": required}))
                elif cls == "shorter":
                    findings.append(Finding("wait_shorter_than_flow", v.left if v.left is not None else begun,
                                            v.flow, v.step, {"seconds": v.timer_seconds, "required": required}))
        if live and v.say is not None and v.left is not None and v.left_by != "situation" and (
                v.ended_call == "agent_ended" or (v.ended_call is None and v.left_by == "agent")):
            steps_left += 1
            if v.said is None:
                steps_skipped += 1
                findings.append(Finding("step_skipped", v.left, v.flow, v.step, {"say": v.say}))

    outcome = (ended.end or "incomplete") if ended is not None else "incomplete"
    end_flow = ended.flow if ended is not None else None
    callbacks = callback_steps(flows.get(end_flow or "")) if ended is not None else frozenset()
    violated = False
    if callbacks and outcome == "agent_ended":
        asked = any(v.flow == end_flow and v.step in callbacks and (v.said is not None or not live) for v in visits)
        if not asked:
            violated = True
            findings.append(Finding("hang_up_without_call_back", at(ended), end_flow, ended.step, {}))
    if outcome == "agent_ended":  # the report's premature hang-up: the agent ended before the flow did
        findings.append(Finding("ended_early", at(ended), end_flow, ended.step, {}))
    for v, record, t in heard:
        text = _forbidden_heard(v, record.name or "", flows)
        if text:
            findings.append(Finding("forbidden_heard", t, v.flow, v.step, {"text": text, "heard": record.name}))
    findings.sort(key=lambda f: f.t)

    duration = ended.duration if ended is not None else None
    return CallCompliance(
        agent=agent_of(start),
        flow=start.flow or "",
        started_wall=start.wall,
        outcome=outcome,
        end_flow=end_flow,
        duration=float(duration) if duration is not None else at(last),
        live=live,
        situations=situations,
        callback_flow=bool(callbacks),
        callback_violated=violated,
        steps_left=steps_left,
        steps_skipped=steps_skipped,
        waits=waits,
        findings=findings,
        visits=visits,
        mono0=mono0,
        t0=t0,
    )


def _forbidden_heard(visit: Visit, text: str, flows: Mapping[str, Flow]) -> str | None:
    """The forbidden phrasing ``text`` matches at this visit's step, if any: fuzzily, as scoring
    does, or (without the training extra's rapidfuzz) when it is heard word for word."""
    from callscript.text import normalise

    try:
        from callscript.training import scoring
    except ImportError:  # a core install replaying a call heard by speech recognition
        scoring = None  # type: ignore[assignment]
    heard = normalise(text)
    if not heard:
        return None
    if heard.startswith("喂"):
        return text
    flow = flows.get(visit.flow)
    step = flow.steps.get(visit.step) if flow else None
    for item in step.never if step else ():
        if item.kind != "say":
            continue
        if scoring is None:
            if normalise(item.text) in heard:
                return item.text
        elif max(scoring._forbidden_match(part, heard)
                 for part in scoring._forbidden_parts(item.text)) >= scoring.FORBIDDEN_THRESHOLD:
            return item.text
    return None
