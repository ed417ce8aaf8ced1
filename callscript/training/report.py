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
  ``transfer``, ``agent_ended`` ...), or ``incomplete`` when the log stops before the end. A call
  going on now (the last call of a log its app is still writing) is not counted: the report says
  how many were left out (``in_progress``).
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
from callscript.training.compliance import CallCompliance, derive

if TYPE_CHECKING:
    from callscript.flow.model import Flow

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
    # Calls left out because they are going on now (the logs' folders: a store or an archive
    # holds closed calls only). Said beside the report, not counted in it.
    in_progress: int = 0
    definitions: str = field(default=__doc__ or "", repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "bad_lines": self.bad_lines, "unreadable_files": self.unreadable_files,
            "in_progress": self.in_progress, "overall": self.overall, "agents": self.agents,
            "outcomes": dict(self.outcomes), "situations": self.situations, "waits": self.waits,
            "step_agents": self.step_agents,
            "cut_short_waits": dict(self.cut_short_waits), "weeks": dict(self.weeks),
        }


def walk_logs(folder: Path | str) -> list[str]:
    """Every ``*.jsonl`` file under ``folder``, in the order of ``sorted(folder.rglob("*.jsonl"))``
    (name by name at each level; folders that are symbolic links are not entered; a folder named
    ``*.jsonl`` is not a log), as text: a ``Path`` per log would cost a month of logs 130 MB more."""
    found: list[str] = []

    def walk(directory: str) -> None:
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.is_symlink():
                    walk(entry.path)
            elif entry.name.endswith(".jsonl"):
                found.append(entry.path)

    walk(str(Path(folder)))
    return found


def find_logs(paths: Iterable[Path | str]) -> list[str]:
    """The session logs to read: every ``*.jsonl`` under each folder (sorted), and files as given."""
    files: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = walk_logs(path)
            if not found:
                raise CallscriptError(f"no session logs (*.jsonl) in {path}", hint="name a folder of callscript session logs")
            files += found
        elif path.exists() or path.is_symlink():
            files.append(str(path))  # the reader refuses what is not a regular file, with the reason
        else:
            raise CallscriptError(f"no such file or folder: {path}", hint="check the path")
    if not files:
        raise CallscriptError("no session logs given", hint="callscript report LOGDIR...")
    return files


# The rows the report adds up, as ``derive`` gives them: one per call, one per timed wait (``n``: its
# place in the call), one per situation flow met in a call. ``file`` and ``call_no`` name the call
# (the team store and the archive name it by its id in ``file``, with ``call_no`` 1).
CALL_ROWS = {"file": "BIGINT", "call_no": "INTEGER", "agent": "VARCHAR", "start_flow": "VARCHAR",
             "started_wall": "VARCHAR", "outcome": "VARCHAR", "end_flow": "VARCHAR", "duration": "DOUBLE",
             "live": "BOOLEAN", "situations": "INTEGER", "steps_left": "INTEGER", "steps_skipped": "INTEGER",
             "callback_flow": "BOOLEAN", "callback_violated": "BOOLEAN"}
WAIT_ROWS = {"file": "BIGINT", "call_no": "INTEGER", "n": "INTEGER", "agent": "VARCHAR", "flow": "VARCHAR",
             "step": "VARCHAR", "required": "DOUBLE", "wait": "VARCHAR", "waited": "DOUBLE"}
SITUATION_ROWS = {"file": "BIGINT", "call_no": "INTEGER", "flow": "VARCHAR", "n": "INTEGER"}
TABLES = {"calls": CALL_ROWS, "waits": WAIT_ROWS, "situ": SITUATION_ROWS}


def call_row(call: CallCompliance) -> tuple[Any, ...]:
    """``derive``'s call, as the report keeps it (``CALL_ROWS`` after ``file`` and ``call_no``)."""
    return (call.agent, call.flow, call.started_wall, call.outcome, call.end_flow, call.duration, call.live,
            len(call.situations), call.steps_left, call.steps_skipped, call.callback_flow, call.callback_violated)


def situation_rows(call: CallCompliance) -> list[tuple[str, int]]:
    """(situation flow, times met) of a call, in the order first met."""
    counts: dict[str, int] = {}
    for flow in call.situations:
        counts[flow] = counts.get(flow, 0) + 1
    return list(counts.items())


def _without_nul(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows with each NUL in a text as U+FFFD: a log may hold one (written \\u0000), which the
    team store's text cannot; the report over folders shows it as the store and an archive do."""
    return [tuple(v.replace("\x00", "\ufffd") if type(v) is str else v for v in row) for row in rows]


class DerivedRows:
    """``derive``'s rows of many calls, gathered and handed to DuckDB a few thousand calls at a
    time (``flush``), into the tables of ``TABLES`` (made empty by the constructor)."""

    FLUSH_CALLS = 20_000

    def __init__(self, db: Any, prefix: str = "") -> None:
        self.db = db
        self.prefix = prefix
        self.calls: list[tuple[Any, ...]] = []
        self.waits: list[tuple[Any, ...]] = []
        self.situ: list[tuple[Any, ...]] = []
        for table, columns in TABLES.items():
            db.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}{table} ("
                       + ", ".join(f'"{name}" {kind}' for name, kind in columns.items()) + ")")

    def add(self, file: int, call_no: int, call: CallCompliance) -> None:
        row = call_row(call)
        waits = [(file, call_no, n, call.agent, *wait) for n, wait in enumerate(call.waits, start=1)]
        situ = [(file, call_no, flow, n) for flow, n in situation_rows(call)] if call.situations else []
        texts = [v for v in row if type(v) is str] + [v for w in waits for v in w[4:] if type(v) is str]
        if "\x00" in "".join(texts) or any("\x00" in flow for _, _, flow, _ in situ):
            (row,), waits, situ = (_without_nul(rows) for rows in ([row], waits, situ))
        self.calls.append((file, call_no, *row))
        self.waits.extend(waits)
        self.situ.extend(situ)
        if len(self.calls) >= self.FLUSH_CALLS:
            self.flush()

    def flush(self) -> None:
        import numpy

        for table, rows in (("calls", self.calls), ("waits", self.waits), ("situ", self.situ)):
            if not rows:
                continue
            columns = TABLES[table]
            arrays = {name: numpy.fromiter(values, dtype=object, count=len(rows))
                      for name, values in zip(columns, zip(*rows, strict=True), strict=True)}
            self.db.register("derived_rows", arrays)
            self.db.execute(f"INSERT INTO {self.prefix}{table} SELECT "
                            + ", ".join(f'CAST("{name}" AS {kind})' for name, kind in columns.items())
                            + " FROM derived_rows")
            self.db.unregister("derived_rows")
            rows.clear()


def read_calls(files: Sequence[Path | str], flows: dict[str, Flow], rows: DerivedRows) -> tuple[Skipped, list[str], int]:
    """Every call of ``files`` through ``derive`` into ``rows`` (call numbers count per file, from 1),
    one call in memory at a time; returns what was skipped, "path: why" for files that would
    not open, and how many calls were left out because they are still going on (the last call of
    a log a ``SessionLog`` is writing now, not ended yet: a call on screen is not "incomplete")."""
    import gc

    from callscript.session.reader import LogError, being_written, iter_lines, typed_parser

    skipped = Skipped()
    in_progress = 0
    unreadable: list[str] = []
    parse = typed_parser()  # the reader's checks in C (msgspec), records as structs of the known fields
    # Nothing read here holds a cycle; with the collector on, each of its runs would walk every
    # record and visit of the call in hand, again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for number, path in enumerate(files, start=1):
            call: list[Any] = []
            call_no = 0
            try:
                for _, _, _, record in iter_lines(path, skipped, parse=parse):
                    if record.type == "call_started":
                        if call:
                            rows.add(number, call_no, derive(call, flows, forbidden=False))
                        call = [record]
                        call_no += 1
                    elif call:
                        call.append(record)
            except LogError as exc:
                unreadable.append(f"{exc.where}: {exc.message}")
            if call and not any(r.type == "call_ended" for r in call) and being_written(path):
                in_progress += 1
            elif call:  # the records read before a file stopped reading still count, as before
                rows.add(number, call_no, derive(call, flows, forbidden=False))
        rows.flush()
    finally:
        if collecting:
            gc.enable()
    return skipped, unreadable, in_progress


def build_report(paths: Iterable[Path | str], flows: dict[str, Flow] | None = None, *, threads: int | None = None,
                 db: Any = None) -> TeamReport:
    """Read every session log under ``paths`` and compute the report (see the module doc).

    ``db``: a DuckDB connection to add up in (``callscript.team.source.report_db`` gives one
    with a memory limit that spills); a fresh in-memory one by default.
    """
    try:
        import duckdb
    except ModuleNotFoundError as exc:
        from callscript.training import missing_dependency

        raise missing_dependency(exc) from None

    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()
    files = find_logs(paths)
    if db is None:
        db = duckdb.connect()
    if threads:
        db.execute(f"SET threads = {int(threads)}")
    db.execute("SET enable_progress_bar = false")
    db.execute("SET preserve_insertion_order = false")
    skipped, unreadable, in_progress = read_calls(files, flows, DerivedRows(db))
    report = report_from_calls(db, files=len(files), bad_lines=skipped.count, unreadable_files=len(unreadable),
                               skipped=skipped.summary(), unreadable=unreadable[:SHOWN])
    report.in_progress = in_progress
    return report


def report_from_calls(db: Any, *, files: int, bad_lines: int, unreadable_files: int,
                      skipped: str = "", unreadable: Sequence[str] = ()) -> TeamReport:
    """The report from the ``calls``, ``waits`` and ``situ`` tables of ``db`` (``TABLES``: what
    ``derive`` gave per call), whatever the source: folders of logs here, the team store or a
    Parquet archive in ``callscript.team.source``. Only sums and counts: no definition here."""
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
    SELECT {group} AS agent, sum(steps_skipped) AS steps_skipped, sum(steps_left) AS steps_left
    FROM calls WHERE steps_left > 0 GROUP BY 1
), b AS (
    SELECT {group} AS agent, count(*) FILTER (WHERE callback_violated) AS hang_ups_without_call_back,
           count(*) AS calls_in_call_back_flows
    FROM calls WHERE callback_flow GROUP BY 1
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
