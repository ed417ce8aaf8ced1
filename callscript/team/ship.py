"""Shipping closed calls into the team store: bulk COPY, each call whole in one transaction.

Logs go in batches of files. The tolerant log reader reads a batch, each call's compliance is
derived with this PC's flows (``callscript.training.compliance.derive``), and the batch is cut
into the store's rows (``callscript.team.logs.cut_logs``), which go into PostgreSQL's ``COPY`` in
its binary format (psycopg writes each row in C; no text to build or parse). In one transaction
the batch's calls go into ``callscript.calls`` with ``INSERT ... ON CONFLICT DO NOTHING``; their
logs (a row per call holding its lines), waits and situations follow straight into their tables when every call was new (for the
owner's bulk loads; PostgreSQL has no COPY into a table under row-level security, which agents'
logins are), are skipped when none was, and go through the same ``ON CONFLICT DO NOTHING``
otherwise. So shipping twice, or again after a crash or a server that died mid-batch, adds
nothing twice: the batch that was cut off rolled back whole, and the next ship sends it again.
``ON CONFLICT`` without a target needs only the INSERT privilege, so an agent's login ships
without being able to read anything.

An agent's login (``callscript.my_agent()`` names its agent id) ships only that agent's calls:
other agents' calls in the folders are left out and counted as refused (row-level security would
refuse them anyway; this way the rest still ships and the message says why).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError
from callscript.session.reader import being_written
from callscript.team.logs import (
    CALL_COLUMNS,
    LOG_COLUMNS,
    SITUATION_COLUMNS,
    STRAY_COLUMNS,
    WAIT_COLUMNS,
    Cut,
    cut_logs,
    find_log_files,
)

# A call's rows in other tables: they go in with it, in the same transaction.
CHILDREN = (("call_logs", LOG_COLUMNS), ("waits", WAIT_COLUMNS), ("situations", SITUATION_COLUMNS))

READ_AHEAD = 3  # batches whose files the kernel is asked to read while the current one is cut
BATCH_FILES = 1000  # log files per transaction: big enough for COPY to pay off, small enough to redo and hold


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
    outcome text, duration double precision, records integer, bad_lines integer, started_wall text,
    end_flow text, live boolean, situations integer, steps_left integer, steps_skipped integer,
    callback_flow boolean, callback_violated boolean) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_waits (
    call_id bigint, agent text, n integer, flow text, step text, required double precision, wait text,
    waited double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_situations (
    call_id bigint, agent text, flow text, n integer) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_call_logs (call_id bigint, agent text, lines text) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_strays (
    log_id bigint, agent text, log_name text, bad_lines integer, unreadable boolean) ON COMMIT DELETE ROWS
"""

# Logs that go through ship_call_logs (an agent's login, a batch partly in the store already) are
# compressed there and keep that compression in callscript.call_logs: lz4 as its column, where the
# server has it, not the session's default pglz (several times slower). PostgreSQL 13 has no such
# setting (undefined_object); a server built without lz4 refuses the value (invalid_parameter_value).
_LZ4 = """
DO $$ BEGIN
  PERFORM set_config('default_toast_compression', 'lz4', false);
EXCEPTION WHEN undefined_object OR invalid_parameter_value THEN NULL;
END $$
"""


def _cols(names: Sequence[str]) -> str:
    return ", ".join(names)


# PostgreSQL's types of each table's columns, for binary COPY (psycopg then dumps each value in C).
PG_TYPES = {
    "calls": ("int8", "text", "int8", "text", "text", "timestamptz", "date", "text", "float8", "int4", "int4",
              "text", "text", "bool", "int4", "int4", "int4", "bool", "bool"),
    "call_logs": ("int8", "text", "text"),
    "waits": ("int8", "text", "int4", "text", "text", "float8", "text", "float8"),
    "situations": ("int8", "text", "text", "int4"),
    "strays": ("int8", "text", "text", "int4", "bool"),
}
_COLUMNS = {"calls": CALL_COLUMNS, **dict(CHILDREN), "strays": STRAY_COLUMNS}


class Shipper:
    """One connection to the store, shipping batch after batch of log files.

    ``prepare`` (read and cut) and ``send`` (COPY, commit) are separate, so ``ship_logs`` can run
    them in two threads, the next batch being cut while the last one is copied (the server parses
    and indexes the rows meanwhile, on the other core).
    """

    def __init__(self, conn: Any, flows: Any = None) -> None:
        self.conn = conn
        with conn.cursor() as cur:
            for statement in _STAGE.split(";"):
                cur.execute(statement)
            cur.execute(_LZ4)
            cur.execute("SELECT callscript.my_agent()")
            self.agent: str | None = cur.fetchone()[0]
        conn.commit()
        if flows is None:
            from callscript.flow.library import load_flows

            flows = load_flows()
        self.flows = flows  # each call's compliance is derived with this PC's flows

    def ship_files(self, files: Sequence[Path], result: ShipResult) -> None:
        """Cut ``files`` into calls and ship them in one transaction."""
        self.send(self.prepare(files, result), result)

    def prepare(self, files: Sequence[Path], result: ShipResult) -> Cut:
        """Cut ``files`` into the store's rows (leaving out calls still being written)."""
        cut = cut_logs(files, self.flows, open_files=[f for f in files if being_written(f)])
        result.open_calls += cut.open_calls
        result.files += len(files)
        if self.agent is not None:
            for agent, n in cut.only(self.agent).items():
                result.refused[agent] = result.refused.get(agent, 0) + n
        result.unreadable_lines += cut.bad_lines
        return cut

    def send(self, batch: Cut, result: ShipResult) -> None:
        """COPY one prepared batch into the store in one transaction."""
        with self.conn.transaction(), self.conn.cursor() as cur:
            new = 0
            if batch.calls:
                self._copy(cur, "ship_calls", "calls", batch.calls)
                cur.execute(f"INSERT INTO callscript.calls ({_cols(CALL_COLUMNS)}) "
                            f"SELECT {_cols(CALL_COLUMNS)} FROM ship_calls ON CONFLICT DO NOTHING")
                new = cur.rowcount
                for table, names in CHILDREN:
                    rows = getattr(batch, table)
                    if not rows:
                        continue
                    if new == len(batch.calls) and self.agent is None:
                        # All new, so their rows cannot be there either: straight in. (Not for an agent's
                        # login: PostgreSQL has no COPY into a table under row-level security.)
                        self._copy(cur, f"callscript.{table}", table, rows)
                    elif new:
                        self._copy(cur, f"ship_{table}", table, rows)
                        cur.execute(f"INSERT INTO callscript.{table} ({_cols(names)}) "
                                    f"SELECT {_cols(names)} FROM ship_{table} ON CONFLICT DO NOTHING")
            if batch.strays:
                self._copy(cur, "ship_strays", "strays", batch.strays)
                cur.execute(f"INSERT INTO callscript.strays ({_cols(STRAY_COLUMNS)}) "
                            f"SELECT {_cols(STRAY_COLUMNS)} FROM ship_strays ON CONFLICT DO NOTHING")
        result.calls += len(batch.calls)
        result.new += int(new)

    @staticmethod
    def _copy(cur: Any, target: str, table: str, rows: list[tuple[Any, ...]]) -> None:
        with cur.copy(f"COPY {target} ({_cols(_COLUMNS[table])}) FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(PG_TYPES[table])
            write = copy.write_row
            for row in rows:
                write(row)


def read_ahead(files: Sequence[Path]) -> None:
    """Ask the kernel to start reading ``files`` into its cache now, without waiting: logs not read
    lately come off the disk while the batch before them is cut, not after (a month's logs read
    cold shipped at half the pace of the same logs cached)."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:  # not on this system: the files are read when they are read
        return
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue  # the cut says what is wrong with it
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


def ship_logs(url: str, paths: Iterable[Path], *, progress: Callable[[ShipResult], None] | None = None,
              batch_files: int | None = None) -> ShipResult:
    """Ship every closed call in the logs under ``paths`` (folders searched for ``*.jsonl``)."""
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        from callscript.team import missing_dependency

        raise missing_dependency(exc) from None
    from callscript.team.store import connection_error, open_store, parse_address

    parse_address(url)  # a malformed address (or one with a password) is the first thing said
    files = list(find_log_files(list(paths)))
    batch_files = batch_files or BATCH_FILES
    conn, address = open_store(url)
    result = ShipResult()
    shipper = None
    try:
        shipper = Shipper(conn)
        batches = [files[start:start + batch_files] for start in range(0, len(files), batch_files)]
        # The next batch is read and cut (a helper thread) while the last one is copied.
        ready: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()

        def cut() -> None:
            try:
                for files_of_batch in batches[1:READ_AHEAD]:
                    read_ahead(files_of_batch)
                for number, files_of_batch in enumerate(batches):
                    if stop.is_set():
                        return
                    if number + READ_AHEAD < len(batches):
                        read_ahead(batches[number + READ_AHEAD])
                    ready.put(shipper.prepare(files_of_batch, result))
            except BaseException as exc:  # noqa: BLE001 - handed to the shipping thread to raise
                ready.put(exc)
                return
            ready.put(None)

        cutter = threading.Thread(target=cut, name="callscript-ship-cut", daemon=True)
        cutter.start()
        try:
            while (batch := ready.get()) is not None:
                if isinstance(batch, BaseException):
                    raise batch
                shipper.send(batch, result)
                if progress:
                    progress(result)
        finally:
            stop.set()
            while cutter.is_alive():  # let it finish the batch it is cutting, then stop
                with contextlib.suppress(queue.Empty):
                    ready.get(timeout=0.1)
            cutter.join()
    except psycopg.errors.InsufficientPrivilege as exc:
        if shipper is not None and shipper.agent is None:  # neither an agent nor the owner: a trainer, say
            raise CallscriptError(f"the login {address.user or '(default)'} may not add calls to the store at "
                                  f"{address}: ship with an agent's login (callscript store agent) or the "
                                  "owner's; a trainer's login only reads") from None
        raise CallscriptError(f"the store at {address} refused these calls: {str(exc).splitlines()[0]}; "
                              "an agent's login ships only its own agent's calls") from None
    except psycopg.OperationalError as exc:
        error = connection_error(address, exc)
        done = f"{result.new} new calls were shipped before that; " if result.new else ""
        raise CallscriptError(f"{error.message} ({done}ship again later: nothing is sent twice)") from None
    finally:
        conn.close()
    return result
