"""One call's timeline from its session log, with compliance marks: what the replay screen shows.

``load_timelines(path)`` reads a log (``callscript.session.reader``: a line that is not a good
record, such as the torn last line of a killed process, is skipped and counted) and returns one
``CallTimeline`` per call in it; ``index_calls`` and ``load_call`` do the same for a log of any
size, one call in memory at a time. A timeline holds every record with its time into the call,
the visits of steps (entered, said, left, the wait and how it ended), and ``Mark``s where the call
went against the manuals. Visits, waits and marks come from ``callscript.training.compliance.derive``,
the one definition the summary and the team report use too, so a replayed call shows exactly
what the report counted:

- ``wait_cut_short``: the agent ended the call during a timed wait (004: 稍停5秒 ... 不可以先行挂机);
- ``wait_shorter_than_flow``: a timer fired with fewer seconds than the flow now requires;
- ``step_skipped``: the agent moved on from a step with a line (or ended the call there) before
  marking the line said (a situation does not count: the step comes back after it; nor does an
  event the flow declares the caller's doing, logged with source ``caller``);
- ``hang_up_without_call_back``: the agent ended the call inside a flow with a call-back request
  before saying it;
- ``ended_early``: the agent ended the call before the flow reached an end (the report's
  premature hang-ups);
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
from callscript.training.compliance import Visit, agent_of, derive, fields

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
        agent = agent_of(fields(start))
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


def build_timeline(records: list[dict[str, Any]], flows: dict[str, Flow], *, path: str = "") -> CallTimeline:
    """The timeline of one call from its records (``call_started`` first)."""
    call = derive(map(fields, records), flows)
    marks = []
    for finding in call.findings:
        message, message_zh = both(f"mark.{finding.code}", **finding.detail)
        marks.append(Mark(finding.t, finding.code, finding.flow, finding.step, message, message_zh, finding.detail))
    return CallTimeline(
        path=path,
        agent=call.agent,
        flow=call.flow,
        started_wall=call.started_wall,
        outcome=call.outcome,
        duration=call.duration,
        live=call.live,
        records=[{**r, "t": call.at(r.get("mono"), r.get("t"))} for r in records],
        visits=call.visits,
        marks=marks,
        situations=call.situations,
    )


__all__ = ["CallEntry", "CallTimeline", "Mark", "Visit", "build_timeline", "index_calls", "load_call",
           "load_timelines"]
