"""Session logs cut into calls ready to ship or archive, by DuckDB, the way the report reads them.

``extract(db, files)`` fills three temporary tables of a DuckDB connection from a list of log files:

- ``x_calls``: one row per call (``CALL_COLUMNS``): its stable id, agent, the log it came from,
  flow, start, day, outcome, duration, record count and the unreadable lines in its span;
- ``x_records``: the call's records (``RECORD_COLUMNS``): the report's columns and the JSON line;
- ``x_strays``: log files with no call in them (empty, not UTF-8, no ``call_started``).

The reading is the team report's own (``callscript.training.report``: ``read_blob``, one UTF-8
file or an unreadable one, lines split on newlines, fields taken with ``json_extract_string`` and
``TRY_CAST`` from the same field list), so a report over the store or an archive sees exactly the
values and the unreadable-line counts that a report over the folders sees. A line that is not a
JSON object with a ``type`` is skipped and counted against the call it falls in (lines before a
log's first call count against its first call).

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
                "records", "bad_lines")
RECORD_COLUMNS = ("call_id", "agent", "seq", "type", "t", "mono", "wall", "flow", "step", "has_say", "outcome",
                  "source", "seconds", "matched", "duration", "line")
STRAY_COLUMNS = ("log_id", "agent", "log_name", "bad_lines", "unreadable")


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


def extract(db: Any, files: Sequence[Path | str], *, open_files: Sequence[Path | str] = (), threads: int = 0) -> int:
    """Fill ``x_calls``, ``x_records`` and ``x_strays`` from ``files`` (see the module doc).

    The last call of a file in ``open_files`` is left out when it has not ended (a process is still
    writing it); returns how many calls were left out so.
    """
    import os

    from callscript.training.report import FIELD_NAMES, FIELDS

    paths = [str(f) for f in files]
    db.execute("SET enable_progress_bar = false")
    db.execute("SET preserve_insertion_order = false")
    db.execute("SET threads = 1")  # many small files open fastest on one thread (see the report)
    db.execute("CREATE OR REPLACE TEMP TABLE x_open(filename VARCHAR)")
    if open_files:
        db.executemany("INSERT INTO x_open VALUES (?)", [(str(f),) for f in open_files])
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_txt AS
        SELECT row_number() OVER () AS file, filename, parse_filename(filename) AS log_name,
               try(decode(content)) AS content, {_id("parse_filename(filename) || ':' || md5(content)")} AS stray_id
        FROM read_blob({_sql_list(paths)})
    """)
    db.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    fields = ", ".join(f"'$.{path}'" for path, _ in FIELDS)
    picks = ", ".join(
        (f"r[{i}]" if kind == "VARCHAR" else f"TRY_CAST(r[{i}] AS {kind})") + f' AS "{name}"'
        for i, ((_, kind), name) in enumerate(zip(FIELDS, FIELD_NAMES, strict=True), start=1)
    )
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_lines AS
        SELECT file, unnest(l) AS line, generate_subscripts(l, 1) AS seq
        FROM (SELECT file, string_split(content, chr(10)) AS l FROM x_txt WHERE content IS NOT NULL)
    """)
    # Every non-empty line: its fields when it is valid JSON; type NULL marks an unreadable line.
    # Lines are numbered into calls by the call_started records before them.
    nulls = ", ".join(f'NULL AS "{name}"' for name in FIELD_NAMES)
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_num AS
        WITH parsed AS MATERIALIZED (
            SELECT file, seq, line, json_extract_string(line, [{fields}]) AS r FROM x_lines WHERE json_valid(line)
        ), rows AS (
            SELECT file, seq, line, {picks} FROM parsed
            UNION ALL
            SELECT file, seq, NULL AS line, {nulls} FROM x_lines WHERE line <> '' AND NOT json_valid(line)
        )
        SELECT *, sum(CASE WHEN type = 'call_started' THEN 1 ELSE 0 END)
                  OVER (PARTITION BY file ORDER BY seq ROWS UNBOUNDED PRECEDING) AS call_no
        FROM rows
    """)
    db.execute("DROP TABLE x_lines")
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
        FROM x_num n JOIN x_calls c USING (file, call_no) WHERE n.type IS NOT NULL
    """)
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_strays AS
        SELECT t.stray_id AS log_id, '{UNKNOWN_AGENT}' AS agent, t.log_name,
               (SELECT count(*) FROM x_num n WHERE n.file = t.file AND n.type IS NULL) AS bad_lines,
               t.content IS NULL AS unreadable
        FROM x_txt t WHERE NOT EXISTS (SELECT 1 FROM x_num n WHERE n.file = t.file AND n.call_no > 0)
    """)
    db.execute("DROP TABLE x_num")
    db.execute("DROP TABLE x_txt")
    return int(left_out)
