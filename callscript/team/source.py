"""The team report from the store or from a Parquet archive: the same report as from the folders.

The store and the archive keep what ``callscript.training.compliance.derive`` found in each call
when it was shipped or exported (a row per call, per timed wait and per situation met), so a
report over them only adds those up: ``callscript.training.report.report_from_calls``, the same
SQL as over folders. The store's rows stream out of PostgreSQL with ``COPY ... TO STDOUT`` into a
private temporary CSV file that DuckDB reads; the archive's are read straight from its Parquet
files. Neither passes records through Python, and DuckDB runs with a memory limit and spills to a
temporary folder, so the memory a report needs follows the size of the report, not of the data.
The file, unreadable-line and unreadable-file counts come from the calls and strays tables, as
the folders' report counts them (``callscript.team.logs``).
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
ARCHIVE_FORMAT = 2  # 2: derive's waits and compliance columns (1 had the report's visits of steps)


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


CSV_LINE_BYTES = 2_000_000  # DuckDB's default longest CSV row: what read_pg_csv allows at least


def read_pg_csv(db: Any, table: str, csv: Path, columns: dict[str, str], *, longest: int = 0) -> None:
    """Load a CSV file written by PostgreSQL's ``COPY ... (FORMAT csv)`` into a new temporary table:
    the columns as given (no sniffing, so an empty file is an empty table), an unquoted empty
    field as NULL and a quoted one as the empty string, as PostgreSQL writes them. ``longest``: the
    bytes of its longest row, when that may be over ``CSV_LINE_BYTES`` (DuckDB refuses a longer
    row, and holds buffers of some multiples of it)."""
    types = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    db.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv('{csv}', columns = {types}, header = false, "
               "auto_detect = false, allow_quoted_nulls = false, quote = '\"', escape = '\"', delim = ',', "
               f"max_line_size = {max(CSV_LINE_BYTES, int(longest))})")


def load_from_store(conn: Any, db: Any, table: str, query: str, folder: Path, columns: dict[str, str], *,
                    longest: int = 0) -> None:
    """``query``'s rows streamed out of PostgreSQL (``COPY ... TO STDOUT``, CSV) into a private file
    in ``folder``, then into DuckDB's new temporary table ``table`` (``read_pg_csv``, ``longest``
    as there); no row passes through Python."""
    csv = Path(folder) / f"{table}.csv"
    with conn.cursor() as cur, open(csv, "wb") as out, cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
        for chunk in copy:
            out.write(chunk)
    read_pg_csv(db, table, csv, columns, longest=longest)
    csv.unlink()


def _flows(flows: dict[str, Flow] | None) -> dict[str, Flow]:
    if flows is None:
        from callscript.flow.library import load_flows

        return load_flows()
    return flows


# ``derive``'s rows as the store and archive keep them, in the report's tables (``TABLES``): each
# call is its own "file" (its id) with call number 1.
_SELECTS = {
    "calls": ("calls", "call_id AS file, 1 AS call_no, agent, flow AS start_flow, started_wall, outcome, end_flow, "
                       "duration, live, situations, steps_left, steps_skipped, callback_flow, callback_violated"),
    "waits": ("waits", "call_id AS file, 1 AS call_no, n, agent, flow, step, required, wait, waited"),
    "situ": ("situations", "call_id AS file, 1 AS call_no, flow, n"),
}


def report_from_store(url: str) -> TeamReport:
    """The team report over every call in the store (a trainer's login reads them)."""
    from callscript.team.store import open_store
    from callscript.training.report import TABLES, report_from_calls

    conn, address = open_store(url, snapshot=True)
    try:
        with report_db() as (db, tmp):
            counts = _store_counts(conn, address)
            for name, (table, select) in _SELECTS.items():
                load_from_store(conn, db, name, f"SELECT {select} FROM callscript.{table}", tmp, TABLES[name])
            conn.rollback()
            return report_from_calls(db, **counts)
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


def report_from_archive(path: Path) -> TeamReport:
    """The team report over a Parquet archive written by ``callscript export --parquet``."""
    import json

    from callscript.training.report import TABLES, report_from_calls

    root = Path(path)
    try:
        written = json.loads((root / ARCHIVE_MARK).read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        written = None
    if written != ARCHIVE_FORMAT:
        raise CallscriptError(f"the archive {root} is of format {written} and this callscript reads format "
                              f"{ARCHIVE_FORMAT}", hint="export the calls again with this callscript: "
                              "callscript export URL|LOGDIR --parquet NEWDIR")
    with report_db() as (db, _):
        def parquet(table: str) -> str:
            files = sorted(str(p) for p in (root / table).rglob("*.parquet"))
            if not files:
                return ""
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"

        sources = {table: parquet(table) for table in ("calls", "waits", "situations", "strays")}
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
        for name, (table, select) in _SELECTS.items():
            if sources[table]:
                db.execute(f"CREATE TEMP TABLE {name} AS SELECT {select} FROM {sources[table]}")
            else:  # no situation met (or no timed wait) in any call: an empty table of the right shape
                columns = ", ".join(f"{column} {kind}" for column, kind in TABLES[name].items())
                db.execute(f"CREATE TEMP TABLE {name} ({columns})")
        return report_from_calls(db, files=int(files), bad_lines=int(bad), unreadable_files=int(unreadable))


def report_from_folders(paths: Sequence[Path | str], flows: dict[str, Flow] | None = None) -> TeamReport:
    """The team report over folders of logs of any number: ``build_report`` adding up in a DuckDB
    with a memory limit that spills. Reading holds one call at a time and ``derive``'s rows of a
    few thousand calls (``DerivedRows``), so memory follows the report, not the folders."""
    from callscript.training.report import build_report

    with report_db() as (db, _):
        return build_report(paths, _flows(flows), db=db)
