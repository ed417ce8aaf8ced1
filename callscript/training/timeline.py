"""One call's timeline from its session log, with compliance marks: what the replay screen shows.

``load_timelines(path)`` reads a log (``callscript.session.reader``: a line that is not a good
record, such as the torn last line of a killed process, is skipped and counted) and returns one
``CallTimeline`` per call in it; ``index_calls`` and ``load_call`` do the same for a log of any
size, one call in memory at a time. A timeline holds every record with its time into the call,
the visits of steps (entered, said, left, the wait and how it ended), and ``Mark``s where the call
went against the manuals. The marks use the definitions of the team report
(``callscript.training.report``), so a replayed call shows exactly what the report counted:

- ``wait_cut_short``: the agent ended the call during a timed wait (004: 稍停5秒 ... 不可以先行挂机);
- ``wait_shorter_than_flow``: a timer fired with fewer seconds than the flow now requires;
- ``step_skipped``: the agent moved on from a step with a line (or ended the call there) before
  marking the line said (a situation does not count: the step comes back after it; nor does an
  event the flow declares the caller's doing, logged with source ``caller``);
- ``hang_up_without_call_back``: the agent ended the call inside a flow with a call-back request
  before saying it;
- ``forbidden_heard``: recognised speech (a ``heard`` event) that matches a ``never: - say:`` of
  the step it was heard in (fuzzy, as in ``scoring``), or opens with 喂; and every
  ``agent_forbidden`` event (the agent's microphone heard a forbidden phrasing: the audio pipeline's
  condition, logged when the call screen passes it to the engine as a line event with ``phrase``).

Pure Python over one file: no DuckDB, no Textual.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.i18n import both
from callscript.session.reader import Skipped, iter_records

if TYPE_CHECKING:
    from callscript.flow.model import Flow


@dataclass(frozen=True)
class Mark:
    """A place on the timeline where the call went against the manuals."""

    t: float
    code: str
    flow: str | None
    step: str | None
    message: str
    message_zh: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
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
    left_by: str | None = None  # timer, agent, line, heard, situation, call_ended
    ended_call: str | None = None  # the call's outcome when the call ended in this visit
    timer_seconds: float | None = None
    required_wait: float | None = None
    wait: str | None = None  # honoured, shorter, cut_short, interrupted, open; None: no wait ran
    waited: float | None = None


@dataclass
class CallTimeline:
    """A whole call, ready to replay: records in order, visits, marks."""

    path: str
    agent: str
    flow: str
    started_wall: str | None
    outcome: str  # call_ended's end, or "incomplete"
    duration: float
    live: bool  # lines were marked said (False for simulate's logs)
    records: list[dict[str, Any]]
    visits: list[Visit]
    marks: list[Mark]
    situations: list[str]

    def visit_at(self, t: float) -> Visit | None:
        """The step the call was in at ``t`` seconds (for a replay cursor)."""
        starts = [v.entered for v in self.visits]
        i = bisect.bisect_right(starts, t) - 1
        # Several visits can start at the same instant (a return); the last of them is current.
        return self.visits[i] if i >= 0 else None

    def records_until(self, t: float) -> list[dict[str, Any]]:
        """The records that happened by ``t`` (play up to a point)."""
        return [r for r in self.records if r.get("t", 0.0) <= t]


def load_timelines(path: Path | str, flows: dict[str, Flow] | None = None,
                   skipped: Skipped | None = None) -> list[CallTimeline]:
    """Every call in one session log, as timelines (flows: for required waits and forbidden lines).

    Whole in memory: for a log of any size use ``index_calls`` and ``load_call``. Lines that are
    not good records are left out and counted in ``skipped``.
    """
    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()
    calls: list[list[dict[str, Any]]] = []
    for _, _, record in iter_records(path, skipped if skipped is not None else Skipped()):
        if record["type"] == "call_started":
            calls.append([])
        if calls:
            calls[-1].append(record)
    return [build_timeline(records, flows, path=str(path)) for records in calls]


MAX_CALL_RECORDS = 20_000  # a call is a few hundred records; a runaway one is shown this far


@dataclass(frozen=True)
class CallEntry:
    """Where one call of a log lies (bytes ``start`` to ``stop``) and what a list of calls shows."""

    start: int
    stop: int
    first_line: int
    flow: str
    agent: str
    started_wall: str | None
    outcome: str
    duration: float
    marks: int | None  # compliance marks; None: not counted (a large log, indexed without them)
    records: int  # good records in the call; more than MAX_CALL_RECORDS: only those are shown
    flows: frozenset[str] = frozenset()  # every flow the call went through

    @property
    def clipped(self) -> bool:
        return self.records > MAX_CALL_RECORDS


def index_calls(path: Path | str, flows: dict[str, Flow], skipped: Skipped, *, marks: bool = True,
                progress: Callable[[int, int], None] | None = None) -> list[CallEntry]:
    """The calls of a session log of any size, streamed: memory holds one call at a time at most.

    With ``marks`` each call is built into its timeline once, to count its compliance marks for
    the chooser, and then let go; without (a large log: building every call costs more than
    reading it), ``CallEntry.marks`` is None and only the summary is kept. ``load_call`` reads a
    call again when it is shown.
    """
    entries: list[CallEntry] = []
    records: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    ended: dict[str, Any] | None = None
    count = offset0 = first = 0
    mono0 = last_mono = 0.0
    seen: set[str] = set()

    def close(stop: int) -> None:
        if start is None:
            return
        if marks:
            tl = build_timeline(records, flows, path=str(path))
            entries.append(CallEntry(offset0, stop, first, tl.flow, tl.agent, tl.started_wall, tl.outcome,
                                     tl.duration, len(tl.marks), count, frozenset(seen)))
            return
        agent = str((start.get("variables") or {}).get("agent", "(unknown)"))
        duration = float(ended.get("duration", last_mono - mono0)) if ended else round(last_mono - mono0, 4)
        entries.append(CallEntry(offset0, stop, first, start.get("flow", ""), agent, start.get("wall"),
                                 ended.get("end", "incomplete") if ended else "incomplete", duration, None, count,
                                 frozenset(seen)))

    for number, offset, record in iter_records(path, skipped, progress=progress):
        kind = record["type"]
        if kind == "call_started":
            close(offset)
            records, count, offset0, first, seen, start, ended = [], 0, offset, number, set(), record, None
            mono0 = last_mono = record.get("mono", 0.0)
        elif start is None:
            continue
        count += 1
        if marks and count <= MAX_CALL_RECORDS:
            records.append(record)
        last_mono = record.get("mono", mono0)
        if kind == "call_ended":
            ended = record
        if "flow" in record and kind != "returned":
            seen.add(sys.intern(record["flow"]))  # one string per flow name, not one per call
    close(-1)  # the last call runs to the end of the file
    return entries


def load_call(path: Path | str, entry: CallEntry, flows: dict[str, Flow]) -> CallTimeline:
    """The timeline of the call ``entry`` of ``path`` (``index_calls``), read from its bytes only."""
    records: list[dict[str, Any]] = []
    stop = None if entry.stop < 0 else entry.stop
    for _, _, record in iter_records(path, Skipped(), start=entry.start, stop=stop, first_line=entry.first_line):
        if records and record["type"] == "call_started":
            break  # the file changed since it was indexed
        records.append(record)
        if len(records) >= MAX_CALL_RECORDS:
            break
    if not records or records[0]["type"] != "call_started":
        from callscript.session.reader import LogError

        raise LogError("the session log changed since it was opened", where=str(path),
                       hint="open it again to replay it")
    return build_timeline(records, flows, path=str(path))


def _callback_steps(flow: Flow | None) -> set[str]:
    if flow is None:
        return set()
    from callscript.flow.model import End

    hang_ups = {s.id for s in flow.steps.values() if s.end is End.HANG_UP}
    return {
        s.id for s in flow.steps.values()
        if s.say is not None and any(t.is_timed and t.to in hang_ups and not t.flow and not t.call for t in s.on)
    }


def build_timeline(records: list[dict[str, Any]], flows: dict[str, Flow], *, path: str = "") -> CallTimeline:
    """The timeline of one call from its records (``call_started`` first)."""
    start = records[0]
    mono0 = float(start.get("mono", 0.0))

    def at(record: dict[str, Any]) -> float:
        return round(float(record.get("mono", mono0)) - mono0, 4)

    live = any(r.get("type") == "said" for r in records)
    visits: list[Visit] = []
    marks: list[Mark] = []
    heard: list[tuple[Visit, dict[str, Any]]] = []
    ended: dict[str, Any] | None = None
    situations: list[str] = []
    for record in records:
        kind = record.get("type")
        visit = visits[-1] if visits else None
        if kind == "step_entered":
            if visit is not None and visit.left is None:
                visit.left = at(record)
            flow = flows.get(record.get("flow", ""))
            step = flow.steps.get(record.get("step", "")) if flow else None
            visits.append(Visit(
                record.get("flow", ""), record.get("step", ""), record.get("say"), at(record),
                depth=int(record.get("depth", 0)), resumed=bool(record.get("resumed")),
                required_wait=step.required_wait if step else None,
            ))
        elif visit is None:
            continue
        elif kind == "said" and visit.said is None:
            visit.said = at(record)
        elif kind == "event":
            if record.get("source") == "timer":
                visit.timer_seconds = record.get("seconds")
            if record.get("matched"):
                visit.left_by = record.get("source")
            if record.get("source") == "heard":
                heard.append((visit, record))
            elif record.get("name") == "agent_forbidden":  # the agent's microphone (audio pipeline)
                detail = record.get("detail") or {}
                phrase = str(detail.get("phrase") or detail.get("heard") or "")
                marks.append(_mark("forbidden_heard", at(record), visit.flow, visit.step, text=phrase,
                                   heard=detail.get("heard"), speaker="agent"))
        elif kind == "situation_entered":
            visit.left_by = "situation"
            situations.append(record.get("flow", ""))
        elif kind == "call_ended":
            ended = record
            visit.ended_call = record.get("end")
            visit.left = at(record)
            visit.left_by = "call_ended"

    for v in visits:
        _classify(v, live, marks)
    outcome = ended.get("end", "incomplete") if ended else "incomplete"
    if ended and outcome == "agent_ended":
        flow = flows.get(ended.get("flow", ""))
        callbacks = _callback_steps(flow)
        asked = any(
            v.flow == ended.get("flow") and v.step in callbacks and (v.said is not None or not live) for v in visits
        )
        if callbacks and not asked:
            marks.append(_mark("hang_up_without_call_back", at(ended), ended.get("flow"), ended.get("step")))
    for visit, record in heard:
        text = _forbidden_heard(visit, record.get("name", ""), flows)
        if text:
            marks.append(_mark("forbidden_heard", at(record), visit.flow, visit.step, text=text, heard=record.get("name")))
    marks.sort(key=lambda m: m.t)
    last = records[-1]
    return CallTimeline(
        path=path,
        agent=str((start.get("variables") or {}).get("agent", "(unknown)")),
        flow=start.get("flow", ""),
        started_wall=start.get("wall"),
        outcome=outcome,
        duration=float(ended.get("duration", at(last))) if ended else at(last),
        live=live,
        records=[{**r, "t": at(r)} for r in records],
        visits=visits,
        marks=marks,
        situations=situations,
    )


def _classify(v: Visit, live: bool, marks: list[Mark]) -> None:
    """The visit's wait and skip, by the team report's definitions; adds the marks."""
    start = v.said if (v.say is not None and live) else v.entered
    if v.required_wait is not None and start is not None:
        if v.timer_seconds is not None:
            v.wait = "honoured" if v.timer_seconds >= v.required_wait - 1e-6 else "shorter"
        elif v.left is None:
            v.wait = "open"
        elif v.ended_call == "agent_ended":
            v.wait = "cut_short"
        else:
            v.wait = "interrupted"
        if v.left is not None:
            v.waited = round(v.left - start, 4)
        if v.wait == "cut_short":
            marks.append(_mark("wait_cut_short", v.left or start, v.flow, v.step,
                               waited=v.waited or 0.0, required=v.required_wait))
        elif v.wait == "shorter":
            marks.append(_mark("wait_shorter_than_flow", v.left or start, v.flow, v.step,
                               seconds=v.timer_seconds, required=v.required_wait))
    agent_left = v.left_by != "situation" and (
        v.ended_call == "agent_ended" or (v.ended_call is None and v.left_by == "agent"))
    if live and v.say is not None and v.left is not None and agent_left and v.said is None:
        marks.append(_mark("step_skipped", v.left, v.flow, v.step, say=v.say))


def _mark(code: str, t: float, flow: str | None, step: str | None, **detail: Any) -> Mark:
    message, message_zh = both(f"mark.{code}", **detail)
    return Mark(t, code, flow, step, message, message_zh, detail)


def _forbidden_heard(visit: Visit, text: str, flows: dict[str, Flow]) -> str | None:
    """The forbidden phrasing ``text`` matches at this visit's step, if any: fuzzily, as scoring
    does, or (without the training extra's rapidfuzz) when it is heard word for word."""
    from callscript.text import normalise

    try:
        from callscript.training import scoring
    except ImportError:  # a core install replaying a call heard by speech recognition
        scoring = None
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
