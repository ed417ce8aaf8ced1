"""The team report from the store or from a Parquet archive: the same report as from the folders.

Both feed ``callscript.training.report.report_from_rec``, the report's own SQL, with the rows it
reads from folders: one per record that the report counts (the six record types it reads, and
only the events that moved the call or were timers), ordered by call and line. The store's rows
stream out of PostgreSQL with ``COPY ... TO STDOUT`` into a private temporary CSV file that DuckDB
reads; the archive's are read straight from its Parquet files. Neither passes records through
Python one by one, and DuckDB runs with a memory limit and spills to a temporary folder, so the
memory a report needs follows the size of the report, not of the data.

The file, unreadable-line and unreadable-file counts come from the calls and strays tables, as the
folders' report counts them (``callscript.team.logs``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError

if TYPE_CHECKING:
    from callscript.flow.model import Flow
    from callscript.training.report import TeamReport

MEMORY_LIMIT = "256MB"  # DuckDB's own buffers; it spills beyond this (the process has more besides)
REC_TYPES = "('call_started', 'step_entered', 'said', 'event', 'situation_entered', 'call_ended')"
REC_WHERE = f"type IN {REC_TYPES} AND (type <> 'event' OR matched OR source = 'timer')"
REC_COLUMNS = {"file": "BIGINT", "seq": "INTEGER", "type": "VARCHAR", "t": "DOUBLE", "mono": "DOUBLE",
               "wall": "VARCHAR", "flow": "VARCHAR", "step": "VARCHAR", "has_say": "BOOLEAN", "outcome": "VARCHAR",
               "source": "VARCHAR", "seconds": "DOUBLE", "matched": "BOOLEAN", "agent": "VARCHAR", "duration": "DOUBLE",
               "skip_line": "BOOLEAN"}
# The rec columns from the records' columns (the call's id is the report's "file": one call each).
REC_SELECT = ("call_id AS file, seq, type, t, mono, wall, flow, step, has_say, outcome, source, seconds, matched, "
              "CASE WHEN type = 'call_started' THEN agent END AS agent, duration, "
              # Read from the record's own line (PostgreSQL and DuckDB both take this form): a way
              # out the flow allows before the line is said (see callscript.training.report).
              "CAST(CAST(line AS JSON)->>'skip_line' AS BOOLEAN) AS skip_line")
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


def _flows(flows: dict[str, Flow] | None) -> dict[str, Flow]:
    if flows is None:
        from callscript.flow.library import load_flows

        return load_flows()
    return flows


def report_from_store(url: str, flows: dict[str, Flow] | None = None) -> TeamReport:
    """The team report over every call in the store (a trainer's login reads them)."""
    from callscript.training.report import report_from_rec

    from callscript.team.store import open_store

    flows = _flows(flows)
    conn, address = open_store(url)
    try:
        with report_db() as (db, tmp):
            counts = _store_counts(conn, address)
            csv = tmp / "rec.csv"
            with conn.cursor() as cur, open(csv, "wb") as out:
                with cur.copy(f"COPY (SELECT {REC_SELECT} FROM callscript.records WHERE {REC_WHERE}) "
                              "TO STDOUT (FORMAT csv)") as copy:
                    for chunk in copy:
                        out.write(chunk)
            conn.rollback()
            columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in REC_COLUMNS.items()) + "}"
            db.execute(f"CREATE TEMP TABLE rec AS SELECT * FROM read_csv('{csv}', columns = {columns}, header = false, "
                       "allow_quoted_nulls = false, quote = '\"', escape = '\"', delim = ',')")
            csv.unlink()
            return report_from_rec(db, flows, **counts, drop=("TABLE rec",))
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
        raise CallscriptError(f"the login {address.user or '(default)'} may not read the store at {address}: "
                              "reports and replays need a trainer's login (callscript store trainer)") from None
    return {"files": int(files), "bad_lines": int(bad), "unreadable_files": int(unreadable)}


def is_archive(path: Path) -> bool:
    return (Path(path) / ARCHIVE_MARK).is_file()


def report_from_archive(path: Path, flows: dict[str, Flow] | None = None) -> TeamReport:
    """The team report over a Parquet archive written by ``callscript export --parquet``."""
    from callscript.training.report import report_from_rec

    flows = _flows(flows)
    root = Path(path)
    with report_db() as (db, _):
        def parquet(table: str) -> str:
            files = sorted(str(p) for p in (root / table).rglob("*.parquet"))
            if not files:
                return ""
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"

        calls, records, strays = parquet("calls"), parquet("records"), parquet("strays")
        if not calls or not records:
            raise CallscriptError(f"the archive {root} holds no calls", hint="write one with callscript export --parquet DIR")
        files, bad = db.execute(f"SELECT count(DISTINCT log_id), coalesce(sum(bad_lines), 0) FROM {calls}").fetchone()
        unreadable = 0
        if strays:
            n, stray_bad, unreadable = db.execute(
                f"SELECT count(*), coalesce(sum(bad_lines), 0), count(*) FILTER (WHERE unreadable) FROM {strays}").fetchone()
            files, bad = files + n, bad + stray_bad
        db.execute(f"CREATE TEMP VIEW rec AS SELECT {REC_SELECT} FROM {records} WHERE {REC_WHERE}")
        return report_from_rec(db, flows, files=int(files), bad_lines=int(bad), unreadable_files=int(unreadable),
                               drop=("VIEW rec",))
