"""``export --parquet``: calls and records as Parquet, partitioned by day, written by DuckDB.

The archive is a folder::

    callscript-archive.json          what it is (format, schema version, counts)
    calls/day=2026-01-05/*.parquet   one row per call (``CALL_COLUMNS``)
    records/day=2026-01-05/*.parquet one row per record (``RECORDS``: main fields and the line)
    waits/, situations/              each call's timed waits and situations met, by day
    strays/*.parquet                 log files with no call in them (the report counts them)

It holds the store's tables, with each call's log as one row per record (its place in the call,
its main fields read from its JSON line by DuckDB, and the line: ``RECORDS``), so
``callscript report DIR`` gives the same report, and any
engine that reads Parquet with Hive partitions (DuckDB, ClickHouse, Trino, Spark) queries it. A
call's compliance (the calls' compliance columns, the waits) is what
``callscript.training.compliance.derive`` found with the flows of the PC that exported the logs,
or that shipped the calls into the store exported.
From folders, logs are read in batches by ``callscript.team.logs.extract``; from the store, each
table streams out with ``COPY ... TO STDOUT`` into a temporary CSV file. No pyarrow is needed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError
from callscript.session.reader import being_written
from callscript.team.logs import (
    CALL_COLUMNS,
    DUCK_TYPES,
    LOG_COLUMNS,
    SITUATION_COLUMNS,
    STRAY_COLUMNS,
    WAIT_COLUMNS,
    extract,
    find_log_files,
)
from callscript.team.source import ARCHIVE_FORMAT, ARCHIVE_MARK, load_from_store, report_db

BATCH_FILES = 20_000

# Tables of an archive besides calls and strays, each partitioned by its call's day.
CHILDREN = (("waits", WAIT_COLUMNS), ("situations", SITUATION_COLUMNS))
# The archive's records from a table of calls' logs (``LOG_COLUMNS``, a cut's or the store's): a
# row per line, with the fields an analyst filters on read from it (``outcome`` is the record's
# ``end``; ``has_say``: its ``say`` is there and not null). A text field's NUL (a log may hold
# \u0000) shows as U+FFFD, as in the calls' and the store's texts, which cannot hold a NUL.
_TEXT = "replace(line->>'{}', chr(0), chr(65533))"
RECORDS = f"""
SELECT call_id, agent, seq, {_TEXT.format('type')} AS type, TRY_CAST(line->>'t' AS DOUBLE) AS t,
       TRY_CAST(line->>'mono' AS DOUBLE) AS mono, {_TEXT.format('wall')} AS wall, {_TEXT.format('flow')} AS flow,
       {_TEXT.format('step')} AS step, coalesce(json_type(line, '$.say') <> 'NULL', false) AS has_say,
       {_TEXT.format('end')} AS outcome, {_TEXT.format('source')} AS source,
       TRY_CAST(line->>'seconds' AS DOUBLE) AS seconds, TRY_CAST(line->>'matched' AS BOOLEAN) AS matched,
       TRY_CAST(line->>'duration' AS DOUBLE) AS duration, line
FROM (SELECT call_id, agent, unnest(generate_series(1, len(parts)))::INTEGER AS seq, unnest(parts) AS line
      FROM (SELECT call_id, agent, string_split(lines, chr(10)) AS parts FROM {{logs}}))
"""


def _prepare(out: Path) -> None:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise CallscriptError(f"{out} is not empty", hint="export into a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)


def _bounded_writes(db: Any) -> None:
    """Partitioned writes hold a row group per open day in memory: keep each one small so an
    export stays within the memory limit (it spills what else it needs)."""
    db.execute("SET partitioned_write_flush_threshold = 20000")
    db.execute("SET write_buffer_row_group_count = 1")
    db.execute("SET threads = 1")


def _write(db: Any, out: Path, prefix: str) -> None:
    """COPY the tables ``<prefix>calls`` ... into the archive (appending files with fresh names)."""
    _bounded_writes(db)
    cols = ", ".join
    calls, strays = f"{prefix}calls", f"{prefix}strays"
    options = "(FORMAT parquet, PARTITION_BY (day), APPEND, FILENAME_PATTERN 'part_{uuid}', ROW_GROUP_SIZE 20000)"
    db.execute(f"COPY (SELECT {cols(CALL_COLUMNS)} FROM {calls}) TO '{out / 'calls'}' {options}")
    children = [(table, f"SELECT {cols(names)} FROM {prefix}{table}") for table, names in CHILDREN]
    for table, select in [("records", RECORDS.format(logs=f"{prefix}call_logs")), *children]:
        db.execute(f"COPY (SELECT r.*, c.day FROM ({select}) r "
                   f"JOIN (SELECT call_id, day FROM {calls}) c USING (call_id)) TO '{out / table}' {options}")
    if db.execute(f"SELECT count(*) FROM {strays}").fetchone()[0]:
        (out / "strays").mkdir(exist_ok=True)
        from uuid import uuid4

        db.execute(f"COPY (SELECT {cols(STRAY_COLUMNS)} FROM {strays}) TO '{out / 'strays' / f'part_{uuid4()}.parquet'}' "
                   "(FORMAT parquet)")


def _mark(out: Path, source: str, db: Any) -> dict[str, Any]:
    from callscript import __version__
    from callscript.team.store import SCHEMA_VERSION

    calls = db.execute(f"SELECT count(*) FROM read_parquet('{out / 'calls'}/**/*.parquet')").fetchone()[0]
    mark = {"format": ARCHIVE_FORMAT, "schema_version": SCHEMA_VERSION, "calls": int(calls), "source": source,
            "written_by": f"callscript {__version__}"}
    (out / ARCHIVE_MARK).write_text(json.dumps(mark, indent=2) + "\n", encoding="utf-8")
    return mark


def export_logs(paths: Sequence[Path], out: Path) -> dict[str, Any]:
    """Write the closed calls of the logs under ``paths`` as an archive in ``out``."""
    files = list(find_log_files(paths))
    if not files:
        raise CallscriptError("no session logs (*.jsonl) to export", hint="name folders of callscript session logs")
    _prepare(out)
    from callscript.flow.library import load_flows

    flows = load_flows()  # each call's compliance is derived with this PC's flows
    with report_db() as (db, _):
        for start in range(0, len(files), BATCH_FILES):
            batch = files[start:start + BATCH_FILES]
            extract(db, batch, open_files=[f for f in batch if being_written(f)], flows=flows)
            _write(db, out, "x_")
        return _mark(out, "session logs", db)


def _longest_log(conn: Any) -> int:
    """The bytes a CSV row of ``call_logs`` may take at most: a call's lines are one text, which
    may be megabytes (lines of up to 1 MiB each), with each quote doubled. The export reads the
    store as of one moment, so this is the longest of the rows it copies; ``octet_length`` reads
    the size a stored text has without decompressing it."""
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(octet_length(lines) + octet_length(agent)), 0) FROM callscript.call_logs")
        return 2 * int(cur.fetchone()[0]) + 64


def export_store(url: str, out: Path) -> dict[str, Any]:
    """Write every call of the store (a trainer's login reads them) as an archive in ``out``."""
    import psycopg

    from callscript.team.store import open_store, read_refused

    conn, address = open_store(url, snapshot=True)
    try:
        try:  # an agent's login may not read: one line saying whose may, before a folder is made
            conn.execute("SELECT FROM callscript.calls LIMIT 0")
        except psycopg.errors.InsufficientPrivilege:
            raise read_refused(address) from None
        _prepare(out)
        with report_db() as (db, tmp):
            for table, names in (("calls", CALL_COLUMNS), ("call_logs", LOG_COLUMNS), *CHILDREN,
                                 ("strays", STRAY_COLUMNS)):
                load_from_store(conn, db, f"s_{table}", f"SELECT {', '.join(names)} FROM callscript.{table}", tmp,
                                {n: DUCK_TYPES[n] for n in names},
                                longest=_longest_log(conn) if table == "call_logs" else 0)
            conn.rollback()
            _write(db, out, "s_")
            return _mark(out, str(address), db)
    finally:
        conn.close()
