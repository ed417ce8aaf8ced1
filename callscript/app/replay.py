"""A past call, ready for the replay screen: its rows, a playhead, and the log it came from.

No Textual here (like ``callscript.app.call``): the replay screen draws what this module computes,
so the rules that matter (which row is current at a time, how time runs at 2x, which calls of a
log can be replayed, the one message for a log that cannot) are plain Python.

- ``load_replay(path, flows)`` reads a session log into a ``Replay`` (every call in it, as
  ``callscript.training.timeline.CallTimeline``s), or raises one ``CallscriptError`` saying which
  file and what to do: missing, unreadable, not a session log, no call in it, or flows that are no
  longer there (neither built in nor among the user's flows).
- ``build_rows(timeline, t, flows)`` turns a call into the rows of the timeline table: steps,
  lines said, events, waits and situations at their real times, and a row for every compliance
  ``Mark``, in the interface language.
- ``Playhead`` is the position in the call. It reads an injected clock (``ManualClock`` in tests)
  and runs at 1x, 2x or 4x: at 2x a 5 s wait is over after 2.5 s of the clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from callscript.app.conditions import cause_text, condition_name, variable_label
from callscript.errors import CallscriptError
from callscript.session.reader import Skipped

if TYPE_CHECKING:
    from callscript.i18n import Messages
    from callscript.engine.clock import Clock
    from callscript.flow.model import Flow, Step
    from callscript.training.timeline import CallEntry, CallTimeline, Mark, Visit

SPEEDS = (1.0, 2.0, 4.0)


@dataclass
class Replay:
    """A session log opened for replay: where its calls are (oldest first) and the one shown.

    Only the call on display is in memory (``timeline``, read from its bytes when first asked
    for), so a log of any size replays in bounded memory. ``skipped`` counts the lines of the
    log that were not good records (they are left out, never fatal).
    """

    path: Path
    calls: list[CallEntry]
    flows: dict[str, Flow] = field(default_factory=dict, repr=False)
    index: int = -1  # the last call, unless asked otherwise
    audio: bool = True  # play the recorded line audio (False: --no-audio)
    skipped: Skipped = field(default_factory=Skipped)
    _shown: tuple[int, CallTimeline] | None = field(default=None, repr=False)
    _lines: tuple[int, tuple[list[Shown], list[list[Shown]]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.index < 0:
            self.index += len(self.calls)

    @property
    def entry(self) -> CallEntry:
        return self.calls[self.index]

    def line_at(self, visit: int | None, at: float) -> Shown:
        """The line on the agent's screen at ``at`` seconds into the call on display, in visit
        ``visit`` (None: the step the call was in then), and the variables' values then."""
        if self._lines is None or self._lines[0] != self.index:
            self._lines = (self.index, shown_lines(self.timeline))
        return line_at(self._lines[1], self.timeline, visit, at)

    @property
    def timeline(self) -> CallTimeline:
        """The call on display (``LogError`` when the file changed under it since it was opened)."""
        from callscript.training.timeline import load_call

        if self._shown is None or self._shown[0] != self.index:
            self._shown = (self.index, load_call(self.path, self.entry, self.flows))
            if self.entry.marks is None:  # counted now that the call has been read
                self.calls[self.index] = replace(self.entry, marks=len(self._shown[1].marks))
        return self._shown[1]


@dataclass(frozen=True)
class Shown:
    """The line as the agent was shown it from ``t`` on (a surname typed in changes it before it
    is said: ``variable_set.say``, ``said.say``), and the variables' values then."""

    t: float
    say: str | None
    variables: dict[str, str]


def shown_lines(timeline: CallTimeline) -> tuple[list[Shown], list[list[Shown]]]:
    """The values before the first step, and for each visit of the call (in order), each form its
    line took on screen: entered, a variable given, said."""
    first = timeline.records[0].get("variables") if timeline.records else None
    values = {str(k): str(v) for k, v in (first if isinstance(first, dict) else {}).items()}
    before: list[Shown] = [Shown(0.0, None, values)]
    visits: list[list[Shown]] = []
    for record in timeline.records:
        kind = record.get("type")
        at = float(record.get("t", 0.0))
        if kind == "step_entered":
            say = record.get("say")
            visits.append([Shown(at, say if isinstance(say, str) else None, values)])
        elif kind == "variable_set":
            values = {**values, str(record.get("name", "")): str(record.get("value", ""))}
            states = visits[-1] if visits else before
            say = record.get("say")
            states.append(Shown(at, say if isinstance(say, str) and states is not before else states[-1].say, values))
        elif kind == "said" and visits and isinstance(record.get("say"), str):
            visits[-1].append(Shown(at, record["say"], visits[-1][-1].variables))
    return before, visits


def line_at(lines: tuple[list[Shown], list[list[Shown]]], timeline: CallTimeline, visit: int | None,
            at: float) -> Shown:
    """The last form of the line of ``visit`` shown by ``at`` (see ``shown_lines``)."""
    before, visits = lines
    if visit is None:
        visit = bisect.bisect_right([v.entered for v in timeline.visits], at + 1e-9) - 1
    states = visits[visit] if 0 <= visit < len(visits) else before
    return next((s for s in reversed(states) if s.t <= at + 1e-9), states[0])


def gloss_of(step: Step, say: str | None, values: dict[str, str]) -> str | None:
    """The gloss of the form of ``step``'s line that reads ``say`` (its short or if-unknown form)."""
    from callscript.text import fill

    for form in (step.again, step.if_unknown):
        if form is not None and say == fill(form.say, values):
            return form.gloss
    return step.gloss


@dataclass(frozen=True)
class PendingReplay:
    """A log to open in the replay screen, read there behind a progress bar (a large log)."""

    path: Path
    call: int | None = None
    audio: bool = True


LOAD_IN_SCREEN_BYTES = 8 << 20  # a log larger than this loads behind a progress bar


def read_notice(replay: Replay, t: Messages) -> str:
    """What the reader left out, for the screen: skipped lines of the log, records of a runaway call."""
    from callscript.training.timeline import MAX_CALL_RECORDS

    parts = []
    if replay.skipped.count:
        parts.append(t("replay.skipped", count=replay.skipped.count, places=replay.skipped.where()))
    if replay.entry.clipped:
        parts.append(t("replay.clipped", shown=f"{MAX_CALL_RECORDS:,}", count=f"{replay.entry.records:,}"))
    return " · ".join(parts)


def _hint_logs() -> str:
    from callscript.session.log import default_log_dir

    return f"give the path of a session log (*.jsonl); calls are logged in {default_log_dir()}"


def check_log(path: Path | str) -> int:
    """The size of the session log ``path``, or one ``CallscriptError`` when it is no regular file."""
    from callscript.safeio import check_regular

    path = Path(path)
    if path.is_dir():
        raise CallscriptError("this is a folder, not a session log", where=str(path),
                              hint="give one of its *.jsonl files, e.g. the newest: ls -t " + str(path) + " | head -1")
    try:
        return check_regular(path, what="session log").st_size
    except CallscriptError as exc:
        missing = exc.message.startswith("no such")
        raise CallscriptError(exc.message, where=exc.where, hint=_hint_logs() if missing else exc.hint) from None


def load_replay(path: Path | str, flows: dict[str, Flow], *, call: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> Replay:
    """Every call in the session log ``path``; ``call`` (1-based) chooses the one shown first.

    The log is streamed (``progress(bytes read, size)`` as it goes) and lines that are not good
    records are skipped and counted in ``Replay.skipped``. ``CallscriptError`` (one message: the
    file, what is wrong, what to do) for anything a user can get wrong.
    """
    from callscript.training.timeline import index_calls

    path = Path(path)
    size = check_log(path)
    skipped = Skipped()
    try:
        # A large log is indexed without counting every call's marks (that costs more than the
        # reading); a call's marks are counted when it is shown.
        calls = index_calls(path, flows, skipped, progress=progress, marks=size <= LOAD_IN_SCREEN_BYTES)
    except CallscriptError as exc:
        raise CallscriptError(exc.message, where=exc.where or str(path),
                              hint=exc.hint or "this file is not a readable session log; " + _hint_logs()) from None
    if not calls:
        problem = f" ({skipped.summary()})" if skipped.count else ""
        raise CallscriptError(f"the session log holds no call{problem}", where=str(path),
                              hint="a call is logged from its first line on; " + _hint_logs())
    missing = sorted({flow for entry in calls for flow in entry.flows if flow not in flows})
    if missing:
        raise CallscriptError(
            "this log was made with flows that callscript no longer has: " + ", ".join(missing), where=str(path),
            hint="restore those flow files (e.g. from version control) to replay it; the log itself is kept as it is",
        )
    if call is not None and not 1 <= call <= len(calls):
        raise CallscriptError(f"there is no call {call} in this log (it holds {len(calls)})", where=str(path),
                              hint=f"use --call 1 to --call {len(calls)}, or leave it out for the last call")
    return Replay(path, calls, flows, (call - 1) if call is not None else -1, skipped=skipped)


def recent_logs(log_dir: Path, limit: int = 50) -> list[Path]:
    """The newest session logs in ``log_dir`` first (last written first; names start with the time),
    with those that went to a fallback folder because ``log_dir`` could not be written."""
    from callscript.session.log import fallback_dirs

    logs: list[tuple[float, str, Path]] = []
    for folder in dict.fromkeys([Path(log_dir), *fallback_dirs()]):
        try:
            logs += [(p.stat().st_mtime, p.name, p) for p in folder.glob("*.jsonl") if p.is_file()]
        except OSError:
            continue
    return [path for _, _, path in sorted(logs, reverse=True)[:limit]]


@dataclass(frozen=True)
class LogSummary:
    """What the list of recent logs shows of one log, read from its first and last lines only."""

    path: Path
    flow: str = ""
    started_wall: str | None = None  # ISO 8601, as the log writes it
    duration: float | None = None  # None: the log is not a call log we can read
    outcome: str = "incomplete"  # call_ended's ``end``; "incomplete" when the call never ended


_TAIL_BYTES = 8192  # enough for any last record; a log's middle is never read for the list


def summarize_log(path: Path) -> LogSummary:
    """The flow, start time, length and outcome of the call in ``path``, cheaply: the first line
    (``call_started``) and the last whole line (``call_ended`` when the call ended). A file that is
    not a session log gives a summary with no duration; opening it then says what is wrong."""
    from callscript.safeio import open_regular
    from callscript.session.reader import MAX_LINE_BYTES, parse_record

    path = Path(path)
    try:
        with open_regular(path, what="session log") as handle:
            first = handle.readline(MAX_LINE_BYTES + 1)
            size = handle.seek(0, 2)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except (OSError, CallscriptError):
        return LogSummary(path)

    def parse(line: bytes) -> dict:
        record = parse_record(line)  # the one reader's rules: a bad line is no record
        return record if isinstance(record, dict) else {}

    start = parse(first)
    if start.get("type") != "call_started":
        return LogSummary(path)
    # The last whole line (a kill mid-write can leave a torn one after it).
    last: dict = {}
    for line in reversed(tail.split(b"\n")):
        if line.strip() and (last := parse(line)):
            break
    ended = last.get("type") == "call_ended"
    duration = last.get("duration") if ended else None
    if not isinstance(duration, (int, float)):
        duration = last.get("t", 0.0) if isinstance(last.get("t"), (int, float)) else 0.0
    return LogSummary(path, str(start.get("flow", "")), start.get("wall"), float(duration),
                      str(last.get("end", "incomplete")) if ended else "incomplete")


def _local_time(wall: str | None) -> str:
    """``2026-01-02 03:04`` in the local time zone (logs write UTC)."""
    from datetime import datetime

    if not wall:
        return "—"
    try:
        return datetime.fromisoformat(wall).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return wall[:16].replace("T", " ")


def describe_log(summary: LogSummary, t: Messages, flows: dict[str, Flow]) -> str:
    """One line of the recent-logs list: when, which flow, how long, how it ended."""
    from callscript.text import visible  # names and ids from the log: shown, never acted on

    if summary.duration is None:
        return visible(t("replay.recent.unreadable", file=summary.path.name))
    outcome = t(f"outcome.{summary.outcome}") if t.has(f"outcome.{summary.outcome}") else summary.outcome
    return visible(t("replay.recent.line", when=_local_time(summary.started_wall),
                     title=_flow_title(flows, summary.flow, t.language), duration=format_time(summary.duration),
                     outcome=outcome))


def tenths(seconds: float) -> int:
    """``seconds`` rounded to the tenth the timeline shows, in tenths (never negative)."""
    return int(round(max(0.0, seconds) * 10 + 1e-6))


def format_time(seconds: float) -> str:
    """``mm:ss.d`` for the timeline (tenths: waits are a few seconds); 59.97 s is ``01:00.0``."""
    minutes, rest = divmod(tenths(seconds), 600)
    return f"{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def format_interval(previous: float, seconds: float) -> str:
    """The gap between two rows as the table shows them (``+4.0``), from their displayed times,
    so ``00:06.4`` -> ``00:10.4`` reads ``+4.0`` however the unrounded times fall; "" for none."""
    gap = tenths(seconds) - tenths(previous)
    return f"+{gap // 10}.{gap % 10}" if gap > 0 else ""


# -- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the timeline table."""

    t: float
    kind: str  # start, step, said, event, timer, wait, situation, returned, note, end, mark
    text: str
    visit: int | None = None  # index into timeline.visits: the step the call was in
    mark: Mark | None = None


def _flow_title(flows: dict[str, Flow], flow_id: str, lang: str) -> str:
    flow = flows.get(flow_id)
    return flow.title.pick(lang) if flow else flow_id


def _event_label(flows: dict[str, Flow], visit: Visit | None, name: str, lang: str) -> str:
    flow = flows.get(visit.flow) if visit else None
    step = flow.steps.get(visit.step) if flow and visit else None
    for transition in step.on if step else ():
        if getattr(transition, "name", None) == name and getattr(transition, "label", None):
            return transition.label.pick(lang)
    return name


def _suggestion_text(record: dict, t: Messages, flows: dict[str, Flow]) -> str:
    """A ``suggestion`` record as the screen showed it: the situation and its cause, or why it went."""
    flow = flows.get(str(record.get("flow", "")))
    label = flow.situation.label.pick(t.language) if flow and flow.situation else str(record.get("flow", ""))
    state = str(record.get("state", ""))
    if state == "shown":
        why = cause_text(t, str(record.get("condition", "")), record.get("seconds"))
        return t("replay.row.suggested", label=label, why=why)
    if state == "withdrawn":
        key = f"suggestion_why.{record.get('why', '')}"
        return t("replay.row.suggestion_withdrawn", label=label, why=t(key) if t.has(key) else str(record.get("why", "")))
    key = f"replay.row.suggestion_{state}"
    return t(key, label=label) if t.has(key) else f"{state}: {label}"


def build_rows(timeline: CallTimeline, t: Messages, flows: dict[str, Flow]) -> list[Row]:
    """The call as rows in time order; a mark comes right after what it is about."""
    lang = t.language
    rows: list[Row] = []
    visit_index = -1
    starts = [v.entered for v in timeline.visits]
    entered_say = None  # the line the current step's row quotes
    for record in timeline.records:
        kind = record.get("type")
        at = float(record.get("t", 0.0))
        if kind == "step_entered":
            visit_index += 1
        current = visit_index if visit_index >= 0 else None
        visit = timeline.visits[current] if current is not None and current < len(timeline.visits) else None
        if kind == "call_started":
            rows.append(Row(at, "start", t("replay.row.start", title=_flow_title(flows, record.get("flow", ""), lang))))
        elif kind == "step_entered":
            where = f"{_flow_title(flows, record.get('flow', ''), lang)} · {record.get('step', '')}"
            say = entered_say = record.get("say")
            text = t("replay.row.resumed" if record.get("resumed") else "replay.row.step", where=where)
            if say:
                text += f"  “{say}”"
            rows.append(Row(at, "step", text, current))
        elif kind == "said":
            # Quoted when it is not the line the step row quotes (a surname typed in since).
            say = record.get("say")
            quote = isinstance(say, str) and say and say != entered_say
            text = t("replay.row.said_line", say=say) if quote else t("replay.row.said")
            if visit is not None and visit.required_wait:
                text += " · " + t("replay.row.wait_starts", seconds=f"{visit.required_wait:g}")
            rows.append(Row(at, "said", text, current))
        elif kind == "event":
            source = record.get("source")
            name = str(record.get("name", ""))
            if source == "timer":
                seconds = record.get("seconds")
                text = t("replay.row.timer", seconds=f"{seconds:g}" if isinstance(seconds, (int, float)) else "?")
                if visit is not None and visit.wait == "shorter":
                    text += " · " + t("replay.row.required", seconds=f"{visit.required_wait:g}")
                rows.append(Row(at, "timer", text, current))
                continue
            label = {"agent": "replay.row.agent", "line": "replay.row.line", "heard": "replay.row.heard"}.get(
                str(source), "replay.row.agent")
            shown = (_event_label(flows, visit, name, lang) if source in ("agent", "caller")
                     else condition_name(t, name) if source == "line" else name)
            text = t(label, name=shown)
            if not record.get("matched"):
                text += " " + t("replay.row.unmatched")
            rows.append(Row(at, "event", text, current))
        elif kind == "situation_entered":
            flow = flows.get(record.get("flow", ""))
            label = flow.situation.label.pick(lang) if flow and flow.situation else record.get("flow", "")
            rows.append(Row(at, "situation", t("replay.row.situation", label=label), current))
        elif kind == "suggestion":
            rows.append(Row(at, "event", _suggestion_text(record, t, flows), current))
        elif kind == "went_on":
            rows.append(Row(at, "situation", t("replay.row.went_on",
                                               title=_flow_title(flows, str(record.get("flow", "")), lang)), current))
        elif kind == "note":
            rows.append(Row(at, "note", t("replay.row.note", text=record.get("text", "")), current))
        elif kind == "variable_set":
            name = variable_label(t, str(record.get("name", "")), flows, visit.flow if visit else timeline.flow)
            rows.append(Row(at, "note", t("replay.row.variable", name=name, value=record.get("value", "")), current))
        elif kind == "call_ended":
            outcome = str(record.get("end", ""))
            shown = t(f"outcome.{outcome}") if t.has(f"outcome.{outcome}") else outcome
            rows.append(Row(at, "end", t("replay.row.end", outcome=shown), current))
    # Waits that did not end with their timer: how long the agent (or caller) let them run.
    for index, visit in enumerate(timeline.visits):
        if visit.wait == "interrupted" and visit.left is not None and visit.waited is not None:
            rows.append(Row(visit.left, "wait", t("replay.row.wait_interrupted", waited=f"{visit.waited:.1f}",
                                                  required=f"{visit.required_wait:g}"), index))
    for mark in timeline.marks:
        text = mark.message_zh if lang == "zh" else mark.message
        # The visit the mark is about: the last one of its step that had begun by then.
        mine = [i for i, v in enumerate(timeline.visits) if v.entered <= mark.t + 1e-9
                and (v.flow, v.step) == (mark.flow, mark.step)]
        latest = bisect.bisect_right(starts, mark.t + 1e-9) - 1
        index = mine[-1] if mine else (latest if latest >= 0 else None)
        rows.append(Row(mark.t, "mark", "⚠ " + text, index, mark))
    latest_at = {}
    for row in rows:
        if row.kind == "step":
            latest_at[row.t] = max(latest_at.get(row.t, -1), row.visit or 0)

    def rank(row: Row) -> int:
        # Rows of one instant keep the log's order (the sort is stable); a mark or a wait about a
        # step that was left at that instant comes before the next step's rows, any other after.
        if row.kind in ("mark", "wait"):
            about_earlier = row.visit is not None and row.visit < latest_at.get(row.t, -1)
            return -1 if about_earlier else 1
        return 0

    return sorted(rows, key=lambda r: (r.t, rank(r)))


def row_at(rows: list[Row], position: float) -> int:
    """The index of the last row at or before ``position`` (0 when before every row)."""
    times = [r.t for r in rows]
    return max(0, bisect.bisect_right(times, position + 1e-9) - 1)


def line_audio(timeline: CallTimeline) -> tuple[Path, float] | None:
    """The call's recorded line audio and where its first sample falls in the call (seconds)."""
    for record in timeline.records:
        if record.get("type") == "line_audio" and record.get("file"):
            path = Path(timeline.path).parent / str(record["file"])
            try:
                if path.stat().st_size == 0:  # an older version's empty file: nothing was recorded
                    return None
            except OSError:
                pass  # gone: opening it says it cannot be played
            return path, float(record.get("t", 0.0))
    return None


# -- the playhead --------------------------------------------------------------------------------


@dataclass
class Playhead:
    """The position in a call of ``duration`` seconds, running on ``clock`` at ``speed`` when playing."""

    clock: Clock
    duration: float
    speed: float = 1.0
    playing: bool = False
    _base: float = 0.0  # position when the clock was last read into it
    _since: float = field(default=0.0)  # the clock then

    def position(self) -> float:
        if not self.playing:
            return self._base
        moved = self._base + (self.clock.now() - self._since) * self.speed
        return min(self.duration, moved)

    def _settle(self) -> None:
        self._base = self.position()
        self._since = self.clock.now()

    @property
    def at_end(self) -> bool:
        return self.position() >= self.duration - 1e-9

    def play(self) -> None:
        """Run from here (from the start again when at the end)."""
        if self.at_end:
            self._base = 0.0
        self._since = self.clock.now()
        self.playing = True

    def pause(self) -> None:
        self._settle()
        self.playing = False

    def seek(self, position: float) -> None:
        self._base = min(max(0.0, position), self.duration)
        self._since = self.clock.now()

    def set_speed(self, speed: float) -> None:
        self._settle()
        self.speed = speed

    def seconds_until(self, position: float) -> float | None:
        """Clock seconds until the playhead reaches ``position`` (None when paused or behind it)."""
        if not self.playing:
            return None
        ahead = position - self.position()
        return ahead / self.speed if ahead >= 0 else None


def describe_call(timeline: CallEntry | CallTimeline, t: Messages, flows: dict[str, Flow], number: int) -> str:
    """One line for the call chooser: number, time, flow, outcome, length and marks."""
    outcome = t(f"outcome.{timeline.outcome}") if t.has(f"outcome.{timeline.outcome}") else timeline.outcome
    when = (timeline.started_wall or "")[:19].replace("T", " ")
    return t("replay.call_line", number=number, when=when, title=_flow_title(flows, timeline.flow, t.language),
             outcome=outcome, duration=format_time(timeline.duration),
             marks="?" if timeline.marks is None else
             timeline.marks if isinstance(timeline.marks, int) else len(timeline.marks))


__all__ = ["LogSummary", "PendingReplay", "Shown", "gloss_of", "line_at", "shown_lines", "Replay", "check_log", "read_notice", "Row", "Playhead", "SPEEDS", "build_rows", "describe_call", "describe_log",
           "format_interval", "format_time", "line_audio", "load_replay", "recent_logs", "row_at", "summarize_log", "tenths"]

