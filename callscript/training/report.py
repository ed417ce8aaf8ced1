"""The team report: many session logs summarised per agent and overall, with DuckDB.

The logs are read by the one tolerant reader (``callscript.session.reader``, as replay reads them):
a line that is not a good record (not UTF-8, not JSON, a field of the wrong type, the torn last
line of a killed process) is skipped and counted with its file:line, never fatal, and a file is
never dropped whole. The fields the report uses go to DuckDB as columns (NumPy arrays, no copy per
value), where everything is computed in SQL; only the summary rows come back to Python. Each
record keeps its line number, which the engine's records need (several records share one clock
time).

What is counted (all per agent, from ``call_started``'s ``variables.agent``, and overall):

- **Calls**: a call runs from a ``call_started`` record to its ``call_ended`` (several calls may
  share one log file). Its outcome is ``call_ended.end`` (``resolved``, ``follow_up``, ``hang_up``,
  ``transfer``, ``agent_ended`` ...), or ``incomplete`` when the log stops before the end.
- **Situations met**: ``situation_entered`` records, by situation flow.
- **Visits**: each ``step_entered`` starts a visit of that step, which lasts until the next
  ``step_entered`` or the ``call_ended`` of the call. Records in between belong to the visit.
- **Timed waits** (compliance): a visit of a step that has an ``after``/``silence`` transition in
  the current flows, once its wait started (the ``said`` record; at entry for a step with no line,
  or in logs with no ``said`` records at all, which ``simulate`` writes). The wait was
  *honoured* when a timer record ended the visit with ``seconds`` at least the flow's required
  seconds; *shorter than the flow* when a timer fired with fewer seconds than the flow now requires
  (a log from an older or edited flow); *cut short* when the agent ended the call during it;
  *interrupted* when the caller (or an event, or a situation) moved the call on first, which is
  allowed and not counted. Wait compliance = honoured / (honoured + shorter + cut short).
  The wait actually given is the time from the start of the wait to the end of the visit.
- **Steps skipped**: a visit of a step with a line, in a call that marks lines said, that the
  agent moved on from (an agent event) or ended the call in before marking the line said.
  Rate = skipped / visits of steps with a line that the agent left so. A situation does not count:
  the step it interrupted is shown again when the situation returns. An event the flow declares
  the caller's doing (``by_caller: true``: the caller greeted first) is logged with source
  ``caller``, so leaving by it is not the agent's.
- **Hang-up without the call-back request**: a call the agent ended (``agent_ended``) inside a
  flow that has a call-back request (a step with a line from which a timed wait leads to an
  ``end: hang_up`` step: 对不起,您的电话没有声音,请您换一部电话再次打来... in the silent call, the
  noisy line and the caller-too-quiet flows) before any call-back request of that flow was said
  (004: 不可以先行挂机 / 不可以直接挂机). Rate = those calls / calls that ended inside such a flow.
- **Premature hang-ups**: calls the agent ended before the flow reached an end (``agent_ended``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError
from callscript.session.reader import SHOWN, Skipped

if TYPE_CHECKING:
    from callscript.flow.model import Flow

# The fields ``callscript.team.logs`` extracts with DuckDB's JSON functions when it ships logs to
# the team store, as (JSON path, SQL type), and their column names.
FIELDS = (
    ("type", "VARCHAR"), ("t", "DOUBLE"), ("mono", "DOUBLE"), ("wall", "VARCHAR"), ("flow", "VARCHAR"),
    ("step", "VARCHAR"), ("end", "VARCHAR"), ("source", "VARCHAR"), ("seconds", "DOUBLE"),
    ("matched", "BOOLEAN"), ("variables.agent", "VARCHAR"), ("duration", "DOUBLE"), ("say", "VARCHAR"),
)
FIELD_NAMES = ("type", "t", "mono", "wall", "flow", "step", "outcome", "source", "seconds",
               "matched", "agent", "duration", "say")
UNKNOWN_AGENT = "(unknown)"


@dataclass
class TeamReport:
    """The numbers of the team report. ``as_dict()`` is what ``callscript report --json`` prints."""

    files: int
    bad_lines: int
    unreadable_files: int
    overall: dict[str, Any]
    agents: list[dict[str, Any]]
    outcomes: list[tuple[str, int]]
    situations: list[dict[str, Any]]
    waits: list[dict[str, Any]]
    cut_short_waits: list[tuple[str, int]]
    weeks: list[tuple[str, int]]
    step_agents: list[dict[str, Any]] = field(default_factory=list)  # each timed wait's step, per agent
    # Where, for the text and HTML reports (the JSON keeps the counts, as a report over the team
    # store, which keeps no file names, has them): "3 records skipped: a.jsonl:17, ...".
    skipped: str = ""
    unreadable: list[str] = field(default_factory=list)  # "path: why" for files that could not be opened
    definitions: str = field(default=__doc__ or "", repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "bad_lines": self.bad_lines, "unreadable_files": self.unreadable_files,
            "overall": self.overall, "agents": self.agents,
            "outcomes": dict(self.outcomes), "situations": self.situations, "waits": self.waits,
            "step_agents": self.step_agents,
            "cut_short_waits": dict(self.cut_short_waits), "weeks": dict(self.weeks),
        }


def find_logs(paths: Iterable[Path | str]) -> list[Path]:
    """The session logs to read: every ``*.jsonl`` under each folder (sorted), and files as given."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.jsonl") if not p.is_dir())
            if not found:
                raise CallscriptError(f"no session logs (*.jsonl) in {path}", hint="name a folder of callscript session logs")
            files += found
        elif path.exists() or path.is_symlink():
            files.append(path)  # the reader refuses what is not a regular file, with the reason
        else:
            raise CallscriptError(f"no such file or folder: {path}", hint="check the path")
    if not files:
        raise CallscriptError("no session logs given", hint="callscript report LOGDIR...")
    return files


# Records the report uses; an event counts only when it moved the call or is a timer's.
_KEPT = frozenset(("call_started", "step_entered", "said", "event", "situation_entered", "call_ended"))
COLUMNS = ("file", "seq", "type", "t", "mono", "wall", "flow", "step", "has_say", "outcome", "source",
           "seconds", "matched", "agent", "duration")
_SQL_TYPES = ("INTEGER", "INTEGER", "VARCHAR", "DOUBLE", "DOUBLE", "VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN",
              "VARCHAR", "VARCHAR", "DOUBLE", "BOOLEAN", "VARCHAR", "DOUBLE")


@dataclass
class _Read:
    """What reading the logs gave: one NumPy object array per column, what was skipped, files that
    would not open."""

    columns: tuple[Any, ...]
    skipped: Skipped
    unreadable: list[str]


def read_records(files: Sequence[Path]) -> _Read:
    """The report's columns of every kept record of ``files``, through the one tolerant reader
    (``callscript.session.reader``: its type checks are what make the columns' types safe)."""
    import gc

    import numpy

    from callscript.session.reader import LogError, iter_lines, typed_parser

    rows: list[tuple[Any, ...]] = []
    add = rows.append
    skipped = Skipped()
    unreadable: list[str] = []
    kept = _KEPT
    parse = typed_parser()  # the reader's checks in C (msgspec), records as structs of the known fields
    # The rows are plain tuples of texts and numbers, which hold no cycles; with the collector on,
    # each of its runs would walk all the rows kept so far.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for number, path in enumerate(files, start=1):
            try:
                for seq, _, _, r in iter_lines(path, skipped, parse=parse):
                    kind = r.type
                    if kind not in kept:
                        continue
                    if kind == "event":
                        if not (r.matched or r.source == "timer"):
                            continue
                        add((number, seq, kind, r.t, r.mono, None, None, None, False, None, r.source,
                             r.seconds, r.matched, None, None))
                        continue
                    if kind == "call_started":
                        agent = (r.variables or {}).get("agent")
                        # An agent written as a number (a hand-edited log) still groups as text.
                        wall, agent = r.wall, None if agent is None else str(agent)
                    else:
                        wall = agent = None
                    add((number, seq, kind, r.t, r.mono, wall, r.flow, r.step, r.say is not None, r.end,
                         None, None, None, agent, r.duration))
            except LogError as exc:
                unreadable.append(f"{exc.where}: {exc.message}")
        # Straight into object arrays (what DuckDB scans), without a list per column between.
        columns = tuple(numpy.fromiter(column, dtype=object, count=len(rows))
                        for column in zip(*rows, strict=True)) if rows else tuple(
                            numpy.array([], dtype=object) for _ in COLUMNS)
        del rows
    finally:
        if collecting:
            gc.enable()
    return _Read(columns, skipped, unreadable)


def library_rows(flows: dict[str, Flow]) -> list[tuple[str, str, bool, float | None, bool]]:
    """(flow, step, has a line, required wait, is a call-back request) for every step of ``flows``."""
    from callscript.flow.model import End
    from callscript.training.scoring import required_wait

    rows = []
    for flow in flows.values():
        hang_ups = {s.id for s in flow.steps.values() if s.end is End.HANG_UP}
        for step in flow.steps.values():
            callback = step.say is not None and any(
                t.is_timed and t.to in hang_ups and not t.flow and not t.call for t in step.on
            )
            rows.append((flow.id, step.id, step.say is not None, required_wait(step), callback))
    return rows


def build_report(paths: Iterable[Path | str], flows: dict[str, Flow] | None = None, *, threads: int | None = None) -> TeamReport:
    """Read every session log under ``paths`` with DuckDB and compute the report (see the module doc)."""
    try:
        import duckdb
    except ModuleNotFoundError as exc:
        from callscript.training import missing_dependency

        raise missing_dependency(exc) from None

    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()
    files = find_logs(paths)
    read = read_records(files)
    db = duckdb.connect()
    if threads:
        db.execute(f"SET threads = {int(threads)}")
    try:
        db.execute("SET enable_progress_bar = false")
        db.execute("SET preserve_insertion_order = false")
        # The columns go over as NumPy arrays: DuckDB scans them without a copy per value.
        arrays = dict(zip(COLUMNS, read.columns, strict=True))
        db.register("records", arrays)
        db.execute("CREATE TEMP TABLE rec AS SELECT " + ", ".join(
            f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in zip(COLUMNS, _SQL_TYPES, strict=True)
        ) + " FROM records")
        db.unregister("records")
        del arrays, read.columns
    except duckdb.Error as exc:
        raise CallscriptError(f"cannot read the session logs: {exc}", hint="are these callscript session logs?") from None
    return report_from_rec(db, flows, files=len(files), bad_lines=read.skipped.count,
                           unreadable_files=len(read.unreadable), drop=("TABLE rec",),
                           skipped=read.skipped.summary(), unreadable=read.unreadable[:SHOWN])


def report_from_rec(db: Any, flows: dict[str, Flow], *, files: int, bad_lines: int, unreadable_files: int,
                    drop: Sequence[str] = (), skipped: str = "", unreadable: Sequence[str] = ()) -> TeamReport:
    """The report from a ``rec`` table or view of the records it reads (one row per record: ``file``
    and ``seq`` order them, then the fields of ``rec`` in ``build_report``), whatever the source:
    folders of logs here, the team store or a Parquet archive in ``callscript.team.source``."""
    for statement in filter(str.strip, PREPARE_CALLS.split(";")):
        db.execute(statement)
    for what in drop:
        db.execute(f"DROP {what}")
    return report_from_visits(db, flows, files=files, bad_lines=bad_lines, unreadable_files=unreadable_files,
                              skipped=skipped, unreadable=unreadable)


def report_from_visits(db: Any, flows: dict[str, Flow], *, files: int, bad_lines: int, unreadable_files: int,
                       skipped: str = "", unreadable: Sequence[str] = ()) -> TeamReport:
    """The report from the ``calls``, ``v`` and ``situ`` tables that ``PREPARE_CALLS`` makes: what
    depends on the records alone. The team store and the archive keep these three per call, so a
    report over them runs only the part that depends on the flows (``PREPARE_FLOWS``)."""
    db.execute("CREATE TEMP TABLE lib(flow VARCHAR, step VARCHAR, has_say BOOLEAN, required DOUBLE, callback BOOLEAN)")
    rows = library_rows(flows)
    if rows:
        db.executemany("INSERT INTO lib VALUES (?, ?, ?, ?, ?)", rows)
    for statement in filter(str.strip, PREPARE_FLOWS.split(";")):
        db.execute(statement)

    if not db.execute("SELECT count(*) FROM calls").fetchone()[0]:
        raise CallscriptError("the logs hold no calls (no call_started records)", hint="are these callscript session logs?")
    agents = _rows(db, _PER_AGENT.format(group="agent", where=""))
    overall = _rows(db, _PER_AGENT.format(group="'(all)'", where=""))[0]
    overall.pop("agent", None)
    outcomes = db.execute("SELECT outcome, count(*) FROM calls GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    situations = _rows(db, """
        SELECT s.flow AS situation, sum(s.n)::BIGINT AS entered, count(*) AS calls,
               count(DISTINCT c.agent) AS agents
        FROM situ s JOIN calls c USING (file, call_no)
        GROUP BY 1 ORDER BY 2 DESC, 1
    """)
    waits = _rows(db, """
        SELECT flow, step, any_value(required) AS required, count(*) AS started,
               count(*) FILTER (WHERE wait = 'honoured') AS honoured,
               count(*) FILTER (WHERE wait = 'shorter') AS shorter_than_flow,
               count(*) FILTER (WHERE wait = 'cut_short') AS cut_short,
               count(*) FILTER (WHERE wait = 'interrupted') AS interrupted,
               round(avg(waited) FILTER (WHERE wait = 'honoured'), 2) AS avg_honoured,
               round(avg(waited) FILTER (WHERE wait = 'cut_short'), 2) AS avg_cut_short,
               round(min(waited) FILTER (WHERE wait = 'cut_short'), 2) AS min_cut_short
        FROM waits WHERE wait <> 'open' GROUP BY flow, step ORDER BY cut_short DESC, started DESC, flow, step
    """)
    step_agents = _rows(db, """
        SELECT flow, step, agent, count(*) FILTER (WHERE wait = 'honoured') AS honoured,
               count(*) FILTER (WHERE wait = 'shorter') AS shorter_than_flow,
               count(*) FILTER (WHERE wait = 'cut_short') AS cut_short
        FROM waits WHERE wait <> 'open' GROUP BY flow, step, agent ORDER BY flow, step, cut_short DESC, agent
    """)
    cut_short = db.execute("""
        SELECT least(floor(waited), 9)::INTEGER AS bucket, count(*) FROM waits WHERE wait = 'cut_short'
        GROUP BY 1 ORDER BY 1
    """).fetchall()
    weeks = db.execute("""
        SELECT strftime(date_trunc('week', try_cast(started_wall AS TIMESTAMPTZ)), '%Y-%m-%d') AS week, count(*)
        FROM calls WHERE started_wall IS NOT NULL GROUP BY 1 ORDER BY 1
    """).fetchall()
    db.close()
    return TeamReport(
        files=int(files), bad_lines=int(bad_lines), unreadable_files=int(unreadable_files), overall=overall,
        agents=agents, skipped=skipped, unreadable=list(unreadable),
        outcomes=[(str(o), int(n)) for o, n in outcomes], situations=situations, waits=waits,
        step_agents=step_agents,
        cut_short_waits=_buckets(dict(cut_short)),
        weeks=[(str(w), int(n)) for w, n in weeks if w],
    )


def _buckets(counts: dict[int, int]) -> list[tuple[str, int]]:
    """Whole-second buckets from 0 to the last one used (empty ones too), the last open-ended."""
    if not counts:
        return []
    return [(f"{b}-{b + 1}s" if b < 9 else "9s+", int(counts.get(b, 0))) for b in range(max(counts) + 1)]


def _rows(db: Any, sql: str) -> list[dict[str, Any]]:
    cursor = db.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, (int, bool)) else v
                             for v in row), strict=True)) for row in cursor.fetchall()]


PREPARE_CALLS = """
-- Number the calls of each file (a call starts at call_started) and give each record the visit
-- it belongs to: the one begun by the last step_entered at or before it. One window, one sort.
CREATE TEMP TABLE e AS
SELECT *, sum(CASE WHEN type = 'call_started' THEN 1 ELSE 0 END) OVER w AS call_no,
          max(CASE WHEN type = 'step_entered' THEN seq END) OVER w AS visit
FROM rec WHERE type IS NOT NULL
WINDOW w AS (PARTITION BY file ORDER BY seq ROWS UNBOUNDED PRECEDING);

CREATE TEMP TABLE calls AS
SELECT file, call_no,
       coalesce(max(agent) FILTER (WHERE type = 'call_started'), '(unknown)') AS agent,
       max(flow) FILTER (WHERE type = 'call_started') AS start_flow,
       min(wall) FILTER (WHERE type = 'call_started') AS started_wall,
       coalesce(max(outcome) FILTER (WHERE type = 'call_ended'), 'incomplete') AS outcome,
       max(flow) FILTER (WHERE type = 'call_ended') AS end_flow,
       coalesce(max(duration) FILTER (WHERE type = 'call_ended'), max(t)) AS duration,
       count(*) FILTER (WHERE type = 'said') > 0 AS live,
       count(*) FILTER (WHERE type = 'situation_entered') AS situations
FROM e WHERE call_no > 0 GROUP BY file, call_no;

CREATE TEMP TABLE v AS
SELECT file, call_no, visit,
       any_value(flow) FILTER (WHERE seq = visit) AS flow,
       any_value(step) FILTER (WHERE seq = visit) AS step,
       bool_or(has_say) FILTER (WHERE seq = visit) AS has_say,
       min(mono) FILTER (WHERE seq = visit) AS entered,
       min(mono) FILTER (WHERE type = 'said') AS said_at,
       max(seconds) FILTER (WHERE type = 'event' AND source = 'timer') AS timer_seconds,
       bool_or(type = 'call_ended') AS ended_here,
       max(outcome) FILTER (WHERE type = 'call_ended') AS end_outcome,
       max(mono) FILTER (WHERE type = 'call_ended') AS ended_at,
       arg_max(source, seq) FILTER (WHERE type = 'event' AND matched) AS left_by,
       bool_or(type = 'situation_entered') AS situation
FROM e WHERE visit IS NOT NULL AND call_no > 0 GROUP BY file, call_no, visit;

CREATE TEMP TABLE situ AS
SELECT file, call_no, flow, count(*) AS n FROM e WHERE type = 'situation_entered' AND call_no > 0 GROUP BY ALL;

DROP TABLE e
"""

# From here on the flows count: what each step requires (lib) turns visits into waits, skips and
# call-back checks. Everything above depends on the records alone, so the team store and the
# archive keep calls, v and situ as they are computed here and run only this part.
PREPARE_FLOWS = """
CREATE TEMP TABLE visits AS
SELECT v.*, c.agent, c.live, l.required, coalesce(l.callback, false) AS callback,
       coalesce(lead(v.entered) OVER (PARTITION BY v.file, v.call_no ORDER BY v.visit), v.ended_at) AS left_at
FROM v JOIN calls c USING (file, call_no) LEFT JOIN lib l ON l.flow = v.flow AND l.step = v.step
WHERE v.step IS NOT NULL;

CREATE TEMP TABLE waits AS
WITH w AS (
    SELECT *, CASE WHEN has_say AND live THEN said_at ELSE entered END AS wait_start
    FROM visits WHERE required IS NOT NULL
)
SELECT *, left_at - wait_start AS waited,
       CASE WHEN timer_seconds IS NOT NULL AND timer_seconds >= required - 1e-6 THEN 'honoured'
            WHEN timer_seconds IS NOT NULL THEN 'shorter'
            WHEN left_at IS NULL THEN 'open'
            WHEN ended_here AND end_outcome = 'agent_ended' THEN 'cut_short'
            ELSE 'interrupted' END AS wait
FROM w WHERE wait_start IS NOT NULL;

CREATE TEMP TABLE skipped AS
SELECT file, call_no, agent, count(*) AS agent_left,
       count(*) FILTER (WHERE said_at IS NULL) AS skipped
FROM visits
WHERE live AND has_say AND left_at IS NOT NULL
  AND NOT situation
  AND ((ended_here AND end_outcome = 'agent_ended') OR (NOT ended_here AND left_by = 'agent'))
GROUP BY file, call_no, agent;

CREATE TEMP TABLE callback AS
SELECT c.file, c.call_no, c.agent,
       c.outcome = 'agent_ended' AND NOT EXISTS (
           SELECT 1 FROM visits v WHERE v.file = c.file AND v.call_no = c.call_no AND v.flow = c.end_flow
             AND v.callback AND (v.said_at IS NOT NULL OR NOT v.live)
       ) AS violated
FROM calls c WHERE c.end_flow IN (SELECT flow FROM lib WHERE callback);
"""

_PER_AGENT = """
WITH c AS (
    SELECT {group} AS agent, count(*) AS calls, round(avg(duration), 1) AS avg_duration,
           count(*) FILTER (WHERE outcome = 'agent_ended') AS premature_hang_ups,
           count(*) FILTER (WHERE outcome = 'incomplete') AS incomplete,
           sum(situations) AS situations_met, count(*) FILTER (WHERE situations > 0) AS calls_with_situations
    FROM calls {where} GROUP BY 1
), w AS (
    SELECT {group} AS agent, count(*) FILTER (WHERE wait = 'honoured') AS waits_honoured,
           count(*) FILTER (WHERE wait = 'shorter') AS waits_shorter_than_flow,
           count(*) FILTER (WHERE wait = 'cut_short') AS waits_cut_short,
           count(*) FILTER (WHERE wait = 'interrupted') AS waits_interrupted
    FROM waits GROUP BY 1
), s AS (
    SELECT {group} AS agent, sum(skipped) AS steps_skipped, sum(agent_left) AS steps_left
    FROM skipped GROUP BY 1
), b AS (
    SELECT {group} AS agent, count(*) FILTER (WHERE violated) AS hang_ups_without_call_back,
           count(*) AS calls_in_call_back_flows
    FROM callback GROUP BY 1
)
SELECT c.*,
       coalesce(w.waits_honoured, 0) AS waits_honoured,
       coalesce(w.waits_shorter_than_flow, 0) AS waits_shorter_than_flow,
       coalesce(w.waits_cut_short, 0) AS waits_cut_short,
       coalesce(w.waits_interrupted, 0) AS waits_interrupted,
       round(w.waits_honoured / nullif(w.waits_honoured + w.waits_shorter_than_flow + w.waits_cut_short, 0), 4)
           AS wait_compliance,
       coalesce(s.steps_skipped, 0) AS steps_skipped,
       coalesce(s.steps_left, 0) AS steps_left,
       round(s.steps_skipped / nullif(s.steps_left, 0), 4) AS skip_rate,
       coalesce(b.hang_ups_without_call_back, 0) AS hang_ups_without_call_back,
       coalesce(b.calls_in_call_back_flows, 0) AS calls_in_call_back_flows,
       round(b.hang_ups_without_call_back / nullif(b.calls_in_call_back_flows, 0), 4) AS hang_up_without_call_back_rate
FROM c LEFT JOIN w USING (agent) LEFT JOIN s USING (agent) LEFT JOIN b USING (agent)
ORDER BY wait_compliance ASC NULLS LAST, c.agent
"""


# -- rendering -------------------------------------------------------------------------------------


def _counted(report: TeamReport) -> str:
    """'150 calls by 6 agents in 40 log files', in the singular where a count is 1."""
    from callscript.training.report_view import _counted as counted
    from callscript.training.words import words

    return counted(report, words("en"), "en")


def render_text(report: TeamReport, *, top: int = 20, language: str = "en", flows: dict[str, Flow] | None = None) -> str:
    """Terminal tables in ``language`` (``training.report_view``)."""
    from callscript.training.report_view import render_text as render

    return render(report, top=top, language=language, flows=flows)


def render_html(report: TeamReport, title: str | None = None, *, language: str = "en",
                flows: dict[str, Flow] | None = None) -> str:
    """A self-contained HTML page in ``language`` (``training.report_view``)."""
    from callscript.training.report_view import render_html as render

    return render(report, title, language=language, flows=flows)
