"""Session logs cut into calls ready to ship or archive, by DuckDB, the way the report reads them.

``extract(db, files)`` fills three temporary tables of a DuckDB connection from a list of log files:

- ``x_calls``: one row per call (``CALL_COLUMNS``): its stable id, agent, the log it came from,
  flow, start, day, outcome, duration, record count and the unreadable lines in its span;
- ``x_records``: the call's records (``RECORD_COLUMNS``): the report's columns and the JSON line;
- ``x_strays``: log files with no call in them (empty, not UTF-8, no ``call_started``);
- ``x_visits`` and ``x_situations``: the report's visits of steps and situations met, computed by
  the report's own SQL (``PREPARE_CALLS``), so a report over the store or an archive runs only
  the part that depends on the flows, over a few rows per call instead of every record.

The reading is the team report's own (``callscript.session.reader``, the one tolerant reader of
session logs: a line that is not a good record is skipped and counted, a file is never dropped
for one), so a report over the store or an archive sees exactly the values and the skipped-line
counts that a report over the folders sees. A skipped line counts against the call it falls in
(lines before a log's first call count against its first call).

A call's id is 63 bits of the MD5 of its ``call_started`` line: the same call read again, from
another folder or after a crash, has the same id, so the store keeps it once. (MD5 here is a
fingerprint, not a defence: nobody gains by making two calls collide.)

A call is *closed* when it has its ``call_ended``, when a later call follows it in the same log, or
when no process is writing the log any more: then a crash left it unfinished and it goes once, as
incomplete. ``SessionLog`` holds an exclusive ``flock`` on its file while it writes (the kernel
drops it when the process dies); ``being_written`` asks for a shared one without waiting.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

UNKNOWN_AGENT = "(unknown)"  # the report's name for a call whose call_started names no agent

CALL_COLUMNS = ("call_id", "agent", "log_id", "log_name", "flow", "started", "day", "outcome", "duration",
                "records", "bad_lines", "started_wall", "end_flow", "live", "situations")
RECORD_COLUMNS = ("call_id", "agent", "seq", "type", "t", "mono", "wall", "flow", "step", "has_say", "outcome",
                  "source", "seconds", "matched", "duration", "line")
STRAY_COLUMNS = ("log_id", "agent", "log_name", "bad_lines", "unreadable")
# The report's visits of a step (``v`` in ``callscript.training.report.PREPARE_CALLS``) and the
# situations met per call: what the report computes from the records alone, kept per call.
VISIT_COLUMNS = ("call_id", "agent", "visit", "flow", "step", "has_say", "entered", "said_at", "timer_seconds",
                 "ended_here", "end_outcome", "ended_at", "left_by", "situation")
SITUATION_COLUMNS = ("call_id", "agent", "flow", "n")
# The records the report reads (``rec`` in ``callscript.training.report.build_report``): six types,
# and only the events that moved the call or were timers.
REC_TYPES = "('call_started', 'step_entered', 'said', 'event', 'situation_entered', 'call_ended')"
REC_WHERE = f"type IN {REC_TYPES} AND (type <> 'event' OR matched OR source = 'timer')"


def being_written(path: Path | str) -> bool:
    """True while a ``SessionLog`` has the file open (it holds an exclusive flock on it). Readers
    ask with a shared lock, so two readers never take each other for a writer."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def find_log_files(paths: Sequence[Path | str]) -> Iterator[Path]:
    """``*.jsonl`` under each folder (sorted), and files as given."""
    from callscript.errors import CallscriptError

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(path.rglob("*.jsonl"))
        elif path.is_file():
            yield path
        else:
            raise CallscriptError(f"no such file or folder: {path}", hint="check the path")


def format_id(number: int) -> str:
    """A call id as users see it: 16 hex digits."""
    return f"{number:016x}"


def parse_id(text: str) -> int | None:
    try:
        number = int(text.strip(), 16)
    except ValueError:
        return None
    return number if 0 <= number < 2**63 else None


def _sql_list(items: Sequence[str]) -> str:
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def _id(expr: str) -> str:
    return f"(('0x' || substr(md5({expr}), 1, 16))::UBIGINT >> 1)::BIGINT"


def extract(db: Any, files: Sequence[Path | str], *, open_files: Sequence[Path | str] = (), threads: int = 0,
            records: bool = True) -> int:
    """Fill ``x_calls``, ``x_records`` (unless not ``records``), ``x_strays``, ``x_visits`` and
    ``x_situations`` from ``files`` (see the module doc).

    The last call of a file in ``open_files`` is left out when it has not ended (a process is still
    writing it); returns how many calls were left out so.
    """
    import hashlib

    import numpy

    from callscript.session.reader import LogError, Skipped, iter_lines

    class EveryLine(Skipped):
        """Every skipped line's number (a call's bad lines are counted in its span)."""

        def __init__(self) -> None:
            super().__init__()
            self.lines: list[int] = []

        def add(self, where: str, line: int, reason: str) -> None:
            super().add(where, line, reason)
            self.lines.append(line)

    db.execute("SET enable_progress_bar = false")
    db.execute("SET preserve_insertion_order = false")
    db.execute("CREATE OR REPLACE TEMP TABLE x_open(filename VARCHAR)")
    if open_files:
        db.executemany("INSERT INTO x_open VALUES (?)", [(str(f),) for f in open_files])
    # The logs are read by the one tolerant reader (``callscript.session.reader``), as the report
    # and replay read them, so the three agree on every record and every skipped line.
    txt: list[tuple[Any, ...]] = []
    num: list[tuple[Any, ...]] = []
    for file_no, path in enumerate(files, start=1):
        skipped, calls, digest, unreadable = EveryLine(), 0, None, False
        try:
            for seq, _, raw, r in iter_lines(path, skipped):
                get = r.get
                kind = r["type"]
                calls += kind == "call_started"
                agent = (get("variables") or {}).get("agent") if kind == "call_started" else None
                num.append((file_no, seq, raw.decode("utf-8").rstrip("\r"), kind, r["t"], get("mono"), get("wall"),
                            get("flow"), get("step"), get("end"), get("source"), get("seconds"), get("matched"),
                            None if agent is None else str(agent), get("duration"), get("say")))
        except LogError:
            unreadable = True
        num += [(file_no, seq, *(None,) * 14) for seq in skipped.lines]
        if not calls and not unreadable:  # a stray: its id is a fingerprint of its content
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "md5").hexdigest()  # type: ignore[attr-defined]
            except OSError:
                unreadable = True
        txt.append((file_no, str(path), Path(path).name, unreadable, digest))
    names = ("file", "seq", "line", "type", "t", "mono", "wall", "flow", "step", "outcome", "source", "seconds",
             "matched", "agent", "duration", "say")
    kinds = ("INTEGER", "INTEGER", "VARCHAR", "VARCHAR", "DOUBLE", "DOUBLE", "VARCHAR", "VARCHAR", "VARCHAR",
             "VARCHAR", "VARCHAR", "DOUBLE", "BOOLEAN", "VARCHAR", "DOUBLE", "VARCHAR")
    for table, columns, types, rows in (
        ("x_rows", names, kinds, num),
        ("x_txt_rows", ("file", "filename", "log_name", "unreadable", "digest"),
         ("INTEGER", "VARCHAR", "VARCHAR", "BOOLEAN", "VARCHAR"), txt),
    ):
        data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        db.register(table, {c: numpy.array(list(v), dtype=object) for c, v in zip(columns, data, strict=True)})
        db.execute(f"CREATE OR REPLACE TEMP TABLE {table}_t AS SELECT "
                   + ", ".join(f'CAST("{c}" AS {k}) AS "{c}"' for c, k in zip(columns, types, strict=True))
                   + f" FROM {table}")
        db.unregister(table)
    del num, txt
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_txt AS
        SELECT file, filename, log_name, unreadable, {_id("log_name || ':' || digest")} AS stray_id FROM x_txt_rows_t
    """)
    # Lines are numbered into calls by the call_started records before them; type NULL marks a
    # skipped line.
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_num AS
        SELECT *, sum(CASE WHEN type = 'call_started' THEN 1 ELSE 0 END)
                  OVER (PARTITION BY file ORDER BY seq ROWS UNBOUNDED PRECEDING) AS call_no
        FROM x_rows_t
    """)
    db.execute("DROP TABLE x_rows_t")
    db.execute("DROP TABLE x_txt_rows_t")
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_calls AS
        WITH c AS (
            SELECT file, call_no,
                   {_id("any_value(line) FILTER (WHERE type = 'call_started')")} AS call_id,
                   coalesce(any_value(agent) FILTER (WHERE type = 'call_started'), '{UNKNOWN_AGENT}') AS agent,
                   any_value(flow) FILTER (WHERE type = 'call_started') AS flow,
                   try_cast(any_value(wall) FILTER (WHERE type = 'call_started') AS TIMESTAMPTZ) AS started,
                   coalesce(max(outcome) FILTER (WHERE type = 'call_ended'), 'incomplete') AS outcome,
                   coalesce(max(duration) FILTER (WHERE type = 'call_ended'), max(t)) AS duration,
                   count(type) AS records,
                   count(*) FILTER (WHERE type = 'call_ended') > 0 AS ended
            FROM x_num WHERE call_no > 0 GROUP BY file, call_no
        ), bad AS (
            SELECT file, greatest(call_no, 1) AS call_no, count(*) AS bad_lines
            FROM x_num WHERE type IS NULL GROUP BY ALL
        )
        SELECT c.call_id, c.agent, first(c.call_id) OVER (PARTITION BY c.file ORDER BY c.call_no) AS log_id,
               t.log_name, c.flow, c.started, timezone('UTC', c.started)::DATE AS day, c.outcome, c.duration,
               c.records, coalesce(bad.bad_lines, 0) AS bad_lines, c.file, c.call_no,
               NOT c.ended AND c.call_no = max(c.call_no) OVER (PARTITION BY c.file)
                   AND t.filename IN (SELECT filename FROM x_open) AS still_open
        FROM c JOIN x_txt t USING (file) LEFT JOIN bad USING (file, call_no)
    """)
    left_out = db.execute("SELECT count(*) FROM x_calls WHERE still_open").fetchone()[0]
    db.execute("DELETE FROM x_calls WHERE still_open")
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_records AS
        SELECT c.call_id, c.agent, n.seq, n.type, n.t, n.mono, CASE WHEN n.type = 'call_started' THEN n.wall END AS wall,
               n.flow, n.step, n.say IS NOT NULL AS has_say, n.outcome, n.source, n.seconds, n.matched, n.duration, n.line
        FROM x_num n JOIN x_calls c USING (file, call_no) WHERE n.type IS NOT NULL{"" if records else " AND false"}
    """)
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_strays AS
        SELECT t.stray_id AS log_id, '{UNKNOWN_AGENT}' AS agent, t.log_name,
               (SELECT count(*) FROM x_num n WHERE n.file = t.file AND n.type IS NULL) AS bad_lines,
               t.unreadable
        FROM x_txt t WHERE NOT EXISTS (SELECT 1 FROM x_num n WHERE n.file = t.file AND n.call_no > 0)
    """)
    db.execute("DROP TABLE x_txt")
    _report_tables(db)
    db.execute("DROP TABLE x_num")
    return int(left_out)


def _report_tables(db: Any) -> None:
    """The report's per-call tables of the batch, by the report's own SQL over the same rows it
    reads from folders; the call's outcome and duration are the report's."""
    from callscript.training.report import PREPARE_CALLS

    for table in ("calls", "v", "situ"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(f"""
        CREATE OR REPLACE TEMP VIEW rec AS
        SELECT file, seq, type, t, mono, CASE WHEN type = 'call_started' THEN wall END AS wall, flow, step,
               say IS NOT NULL AS has_say, outcome, source, seconds, matched, agent, duration
        FROM x_num WHERE type IS NOT NULL AND {REC_WHERE}
    """)
    for statement in filter(str.strip, PREPARE_CALLS.split(";")):
        db.execute(statement)
    db.execute("DROP VIEW rec")
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_full AS
        SELECT x.* EXCLUDE (outcome, duration), c.outcome, c.duration, c.started_wall, c.end_flow, c.live, c.situations
        FROM x_calls x JOIN calls c USING (file, call_no)
    """)
    db.execute("DROP TABLE x_calls")
    db.execute("ALTER TABLE x_full RENAME TO x_calls")
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_visits AS
        SELECT x.call_id, x.agent, v.* FROM v JOIN x_calls x USING (file, call_no)
    """)
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_situations AS
        SELECT x.call_id, x.agent, s.* FROM situ s JOIN x_calls x USING (file, call_no)
    """)
    for table in ("calls", "v", "situ"):
        db.execute(f"DROP TABLE {table}")
