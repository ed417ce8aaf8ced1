"""The team report from the store or from a Parquet archive: the same report as from the folders.

Both feed ``callscript.training.report.report_from_visits``, the report's own SQL. The store's
rows stream out of PostgreSQL with ``COPY ... TO STDOUT`` into a private temporary CSV file that
DuckDB reads; the archive's are read straight from its Parquet files. Neither passes records through
Python one by one, and DuckDB runs with a memory limit and spills to a temporary folder, so the
memory a report needs follows the size of the report, not of the data.

The store and the archive keep, per call, what the report computes from the records alone (its
calls, visits of steps and situations met: ``PREPARE_CALLS``, run when the calls are shipped or
exported), so a report over them runs only the part that depends on the flows, over a few rows
per call. The file, unreadable-line and unreadable-file counts come from the calls and strays
tables, as the folders' report counts them (``callscript.team.logs``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError

if TYPE_CHECKING:
    from callscript.flow.model import Flow
    from callscript.training.report import TeamReport

MEMORY_LIMIT = "200MB"  # DuckDB's own buffers; it spills beyond this (the process has more besides)
ARCHIVE_MARK = "callscript-archive.json"


@contextmanager
def report_db() -> Iterator[tuple[Any, Path]]:
    """A DuckDB connection with a memory limit that spills into a private temporary folder."""
    try:
        import duckdb
    except ModuleNotFoundError as exc:
        from callscript.team import missing_dependency

        raise missing_dependency(exc) from None
    with tempfile.TemporaryDirectory(prefix="callscript-report-") as tmp:
        db = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(Path(tmp) / "spill"),
                                    "preserve_insertion_order": False})
        try:
            yield db, Path(tmp)
        finally:
            db.close()


def read_pg_csv(db: Any, table: str, csv: Path, columns: dict[str, str]) -> None:
    """Load a CSV file written by PostgreSQL's ``COPY ... (FORMAT csv)`` into a new temporary table:
    the columns as given (no sniffing, so an empty file is an empty table), an unquoted empty
    field as NULL and a quoted one as the empty string, as PostgreSQL writes them."""
    types = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    db.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv('{csv}', columns = {types}, header = false, "
               "auto_detect = false, allow_quoted_nulls = false, quote = '\"', escape = '\"', delim = ',')")


def _flows(flows: dict[str, Flow] | None) -> dict[str, Flow]:
    if flows is None:
        from callscript.flow.library import load_flows

        return load_flows()
    return flows


# The report's calls, visits and situations (``PREPARE_CALLS``) as the store and archive keep them:
# each call is its own "file" (its id) with call number 1.
CALLS_SELECT = ("call_id AS file, 1 AS call_no, agent, flow AS start_flow, started_wall, outcome, end_flow, duration, "
                "live, situations")
CALLS_TYPES = {"file": "BIGINT", "call_no": "INTEGER", "agent": "VARCHAR", "start_flow": "VARCHAR",
               "started_wall": "VARCHAR", "outcome": "VARCHAR", "end_flow": "VARCHAR", "duration": "DOUBLE",
               "live": "BOOLEAN", "situations": "BIGINT"}
V_SELECT = ("call_id AS file, 1 AS call_no, visit, flow, step, has_say, entered, said_at, timer_seconds, ended_here, "
            "end_outcome, ended_at, left_by, situation")
V_TYPES = {"file": "BIGINT", "call_no": "INTEGER", "visit": "BIGINT", "flow": "VARCHAR", "step": "VARCHAR",
           "has_say": "BOOLEAN", "entered": "DOUBLE", "said_at": "DOUBLE", "timer_seconds": "DOUBLE",
           "ended_here": "BOOLEAN", "end_outcome": "VARCHAR", "ended_at": "DOUBLE", "left_by": "VARCHAR",
           "situation": "BOOLEAN"}
SITU_SELECT = "call_id AS file, 1 AS call_no, flow, n"
SITU_TYPES = {"file": "BIGINT", "call_no": "INTEGER", "flow": "VARCHAR", "n": "BIGINT"}
_PARTS = (("calls", "calls", CALLS_SELECT, CALLS_TYPES), ("v", "visits", V_SELECT, V_TYPES),
          ("situ", "situations", SITU_SELECT, SITU_TYPES))


def report_from_store(url: str, flows: dict[str, Flow] | None = None) -> TeamReport:
    """The team report over every call in the store (a trainer's login reads them)."""
    from callscript.team.store import open_store
    from callscript.training.report import report_from_visits

    flows = _flows(flows)
    conn, address = open_store(url)
    try:
        with report_db() as (db, tmp):
            counts = _store_counts(conn, address)
            for name, table, select, types in _PARTS:
                csv = tmp / f"{name}.csv"
                with conn.cursor() as cur, open(csv, "wb") as out:
                    with cur.copy(f"COPY (SELECT {select} FROM callscript.{table}) TO STDOUT (FORMAT csv)") as copy:
                        for chunk in copy:
                            out.write(chunk)
                read_pg_csv(db, name, csv, types)
                csv.unlink()
            conn.rollback()
            return report_from_visits(db, flows, **counts)
    finally:
        conn.close()


def _store_counts(conn: Any, address: Any) -> dict[str, int]:
    import psycopg

    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT (SELECT count(DISTINCT log_id) FROM callscript.calls) + (SELECT count(*) FROM callscript.strays),
                       (SELECT coalesce(sum(bad_lines), 0) FROM callscript.calls)
                         + (SELECT coalesce(sum(bad_lines), 0) FROM callscript.strays),
                       (SELECT count(*) FROM callscript.strays WHERE unreadable)
            """)
            files, bad, unreadable = cur.fetchone()
    except psycopg.errors.InsufficientPrivilege:
        from callscript.team.store import read_refused

        raise read_refused(address) from None
    return {"files": int(files), "bad_lines": int(bad), "unreadable_files": int(unreadable)}


def is_archive(path: Path) -> bool:
    return (Path(path) / ARCHIVE_MARK).is_file()


def report_from_archive(path: Path, flows: dict[str, Flow] | None = None) -> TeamReport:
    """The team report over a Parquet archive written by ``callscript export --parquet``."""
    from callscript.training.report import report_from_visits

    flows = _flows(flows)
    root = Path(path)
    with report_db() as (db, _):
        def parquet(table: str) -> str:
            files = sorted(str(p) for p in (root / table).rglob("*.parquet"))
            if not files:
                return ""
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"

        sources = {table: parquet(table) for table in ("calls", "visits", "situations", "strays")}
        if not sources["calls"]:
            raise CallscriptError(f"the archive {root} holds no calls", hint="write one with callscript export --parquet DIR")
        calls = sources["calls"]
        files, bad = db.execute(f"SELECT count(DISTINCT log_id), coalesce(sum(bad_lines), 0) FROM {calls}").fetchone()
        unreadable = 0
        if sources["strays"]:
            n, stray_bad, unreadable = db.execute(
                "SELECT count(*), coalesce(sum(bad_lines), 0), count(*) FILTER (WHERE unreadable) "
                f"FROM {sources['strays']}").fetchone()
            files, bad = files + n, bad + stray_bad
        for name, table, select, types in _PARTS:
            if sources[table]:
                db.execute(f"CREATE TEMP TABLE {name} AS SELECT {select} FROM {sources[table]}")
            else:  # no situation met in any call: an empty table of the right shape
                columns = ", ".join(f"{column} {kind}" for column, kind in types.items())
                db.execute(f"CREATE TEMP TABLE {name} ({columns})")
        return report_from_visits(db, flows, files=int(files), bad_lines=int(bad), unreadable_files=int(unreadable))


# Log files read at a time by a report over more than this many: the reader holds a batch's records
# in memory (about 40 MB per 1,000 logs), DuckDB only what it has not spilled.
FOLDER_BATCH = 2_000


def report_from_folders(paths: Sequence[Path | str], flows: dict[str, Flow] | None = None, *,
                        batch_files: int = FOLDER_BATCH) -> TeamReport:
    """The team report over folders of logs, read ``batch_files`` at a time.

    Each batch goes through the report's record-only part (``PREPARE_CALLS``, by
    ``callscript.team.logs.extract``) and only its calls, visits and situations are kept, in a
    DuckDB that spills past its memory limit: memory follows the batch, not the folders. The
    same SQL as ``build_report`` over all logs at once, so the same report.
    """
    from callscript.team.logs import extract, find_log_files
    from callscript.training.report import find_logs, report_from_visits

    find_logs(paths)  # the same messages for a missing folder or one without logs
    flows = _flows(flows)
    files = list(find_log_files(list(paths)))
    counts = {"files": len(files), "bad_lines": 0, "unreadable_files": 0}
    with report_db() as (db, _):
        for number, start in enumerate(range(0, len(files), batch_files)):
            extract(db, files[start:start + batch_files], records=False)
            key = f"({number} * 4294967296 + file)"  # the batch's file numbers, unique across batches
            made = {"acc_calls": f"SELECT {key} AS file, call_no, agent, flow AS start_flow, started_wall, outcome, "
                                 "end_flow, duration, live, situations FROM x_calls",
                    "acc_v": f"SELECT {key} AS file, call_no, visit, flow, step, has_say, entered, said_at, "
                             "timer_seconds, ended_here, end_outcome, ended_at, left_by, situation FROM x_visits",
                    "acc_situ": f"SELECT {key} AS file, call_no, flow, n FROM x_situations"}
            for table, select in made.items():
                db.execute(f"{'INSERT INTO' if number else 'CREATE TEMP TABLE'} {table} {'' if number else 'AS '}{select}")
            bad, = db.execute("SELECT coalesce(sum(bad_lines), 0) FROM x_calls").fetchone()
            stray_bad, unreadable = db.execute(
                "SELECT coalesce(sum(bad_lines), 0), count(*) FILTER (WHERE unreadable) FROM x_strays").fetchone()
            counts["bad_lines"] += int(bad) + int(stray_bad)
            counts["unreadable_files"] += int(unreadable)
        for table in ("x_calls", "x_records", "x_strays", "x_visits", "x_situations"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute("ALTER TABLE acc_calls RENAME TO calls")
        db.execute("ALTER TABLE acc_v RENAME TO v")
        db.execute("ALTER TABLE acc_situ RENAME TO situ")
        return report_from_visits(db, flows, **counts)
