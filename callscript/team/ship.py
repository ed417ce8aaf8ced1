"""Shipping closed calls into the team store: bulk COPY, each call whole in one transaction.

Logs go in batches of files. DuckDB cuts a batch into calls and records (``callscript.team.logs``)
and writes them as CSV to a private temporary folder; the CSV streams into PostgreSQL's ``COPY``
without passing row by row through Python. In one transaction the batch's calls go into
``callscript.calls`` with ``INSERT ... ON CONFLICT DO NOTHING``; its records follow straight into
``callscript.records`` when every call was new (for the owner's bulk loads; PostgreSQL has no COPY
into a table under row-level security, which agents' logins are), are skipped when none was, and go
through the same ``ON CONFLICT DO NOTHING`` otherwise. So shipping twice, or again after a crash or a server
that died mid-batch, adds nothing twice: the batch that was cut off rolled back whole, and the next
ship sends it again. ``ON CONFLICT`` without a target needs only the INSERT privilege, so an
agent's login ships without being able to read anything.

An agent's login (``callscript.my_agent()`` names its agent id) ships only that agent's calls:
other agents' calls in the folders are left out and counted as refused (row-level security would
refuse them anyway; this way the rest still ships and the message says why).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError
from callscript.team.logs import CALL_COLUMNS, RECORD_COLUMNS, STRAY_COLUMNS, being_written, extract, find_log_files

BATCH_FILES = 2000  # log files per transaction: big enough for COPY to pay off, small enough to redo
_CHUNK = 1 << 20


@dataclass
class ShipResult:
    """What one ship did."""

    files: int = 0
    calls: int = 0  # calls sent
    new: int = 0  # of those, calls the store did not have
    open_calls: int = 0  # calls still being written, left for the next ship
    refused: dict[str, int] = field(default_factory=dict)  # other agents' calls, by agent id
    unreadable_lines: int = 0

    @property
    def already(self) -> int:
        return self.calls - self.new


_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ship_calls (
    call_id bigint, agent text, log_id bigint, log_name text, flow text, started timestamptz, day date,
    outcome text, duration double precision, records integer, bad_lines integer) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_records (
    call_id bigint, agent text, seq integer, type text, t double precision, mono double precision, wall text,
    flow text, step text, has_say boolean, outcome text, source text, seconds double precision,
    matched boolean, duration double precision, line text) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_strays (
    log_id bigint, agent text, log_name text, bad_lines integer, unreadable boolean) ON COMMIT DELETE ROWS
"""


def _cols(names: Sequence[str]) -> str:
    return ", ".join(names)


class Shipper:
    """One connection to the store and one DuckDB, shipping batch after batch of log files."""

    def __init__(self, conn: Any) -> None:
        import duckdb

        self.conn = conn
        with conn.cursor() as cur:
            for statement in _STAGE.split(";"):
                cur.execute(statement)
            cur.execute("SELECT callscript.my_agent()")
            self.agent: str | None = cur.fetchone()[0]
        conn.commit()
        self.db = duckdb.connect()
        self.tmp = tempfile.TemporaryDirectory(prefix="callscript-ship-")  # 0700: the CSV holds call records

    def close(self) -> None:
        self.db.close()
        self.tmp.cleanup()

    def ship_files(self, files: Sequence[Path], result: ShipResult) -> None:
        """Cut ``files`` into calls and ship them in one transaction."""
        open_files = [f for f in files if being_written(f)]
        result.open_calls += extract(self.db, files, open_files=open_files)
        result.files += len(files)
        if self.agent is not None:
            for agent, n in self.db.execute("SELECT agent, count(*) FROM x_calls WHERE agent <> ? GROUP BY agent",
                                            [self.agent]).fetchall():
                result.refused[agent] = result.refused.get(agent, 0) + int(n)
            self.db.execute("DELETE FROM x_calls WHERE agent <> ?", [self.agent])
            self.db.execute("DELETE FROM x_records WHERE agent <> ?", [self.agent])
            self.db.execute("UPDATE x_strays SET agent = ?", [self.agent])
        calls, bad = self.db.execute("SELECT count(*), coalesce(sum(bad_lines), 0) FROM x_calls").fetchone()
        bad += self.db.execute("SELECT coalesce(sum(bad_lines), 0) FROM x_strays").fetchone()[0]
        result.unreadable_lines += int(bad)
        paths = {}
        for table, names in (("x_calls", CALL_COLUMNS), ("x_records", RECORD_COLUMNS), ("x_strays", STRAY_COLUMNS)):
            paths[table] = Path(self.tmp.name) / f"{table}.csv"
            self.db.execute(f"COPY (SELECT {_cols(names)} FROM {table}) TO '{paths[table]}' (HEADER false)")
        with self.conn.transaction(), self.conn.cursor() as cur:
            new = 0
            if calls:
                self._copy(cur, "ship_calls", CALL_COLUMNS, paths["x_calls"])
                cur.execute(f"INSERT INTO callscript.calls ({_cols(CALL_COLUMNS)}) "
                            f"SELECT {_cols(CALL_COLUMNS)} FROM ship_calls ON CONFLICT DO NOTHING")
                new = cur.rowcount
                if new == calls and self.agent is None:
                    # All new, so the records cannot be there either: straight in. (Not for an agent's
                    # login: PostgreSQL has no COPY into a table under row-level security.)
                    self._copy(cur, "callscript.records", RECORD_COLUMNS, paths["x_records"])
                elif new:
                    self._copy(cur, "ship_records", RECORD_COLUMNS, paths["x_records"])
                    cur.execute(f"INSERT INTO callscript.records ({_cols(RECORD_COLUMNS)}) "
                                f"SELECT {_cols(RECORD_COLUMNS)} FROM ship_records ON CONFLICT DO NOTHING")
            if paths["x_strays"].stat().st_size:
                self._copy(cur, "ship_strays", STRAY_COLUMNS, paths["x_strays"])
                cur.execute(f"INSERT INTO callscript.strays ({_cols(STRAY_COLUMNS)}) "
                            f"SELECT {_cols(STRAY_COLUMNS)} FROM ship_strays ON CONFLICT DO NOTHING")
        result.calls += int(calls)
        result.new += int(new)

    @staticmethod
    def _copy(cur: Any, table: str, names: Sequence[str], path: Path) -> None:
        with cur.copy(f"COPY {table} ({_cols(names)}) FROM STDIN (FORMAT csv)") as copy, open(path, "rb") as source:
            while chunk := source.read(_CHUNK):
                copy.write(chunk)


def ship_logs(url: str, paths: Iterable[Path], *, progress: Callable[[ShipResult], None] | None = None,
              batch_files: int | None = None) -> ShipResult:
    """Ship every closed call in the logs under ``paths`` (folders searched for ``*.jsonl``)."""
    try:
        import duckdb  # noqa: F401 - checked before connecting: a missing extra is one message
        import psycopg
    except ModuleNotFoundError as exc:
        from callscript.team import missing_dependency

        raise missing_dependency(exc) from None
    from callscript.team.store import connection_error, open_store

    files = list(find_log_files(list(paths)))
    batch_files = batch_files or BATCH_FILES
    conn, address = open_store(url)
    result = ShipResult()
    shipper = None
    try:
        shipper = Shipper(conn)
        for start in range(0, len(files), batch_files):
            shipper.ship_files(files[start:start + batch_files], result)
            if progress:
                progress(result)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CallscriptError(f"the store at {address} refused these calls: {str(exc).splitlines()[0]}; "
                              "an agent's login ships only its own agent's calls") from None
    except psycopg.OperationalError as exc:
        error = connection_error(address, exc)
        done = f"{result.new} new calls were shipped before that; " if result.new else ""
        raise CallscriptError(f"{error.message} ({done}ship again later: nothing is sent twice)") from None
    finally:
        if shipper is not None:
            shipper.close()
        conn.close()
    return result
