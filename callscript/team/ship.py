"""Shipping closed calls into the team store: bulk COPY, each call whole in one transaction.

Logs go in batches of files. The tolerant log reader reads a batch, each call's compliance is
derived with this PC's flows (``callscript.training.compliance.derive``), and the batch is cut
into the store's rows (``callscript.team.logs.cut_logs``), which go into PostgreSQL's ``COPY`` in
its binary format (psycopg writes each row in C; no text to build or parse). In one transaction
the batch's calls go into ``callscript.calls`` with ``INSERT ... ON CONFLICT DO NOTHING``; its
records, waits and situations follow straight into their tables when every call was new (for the
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
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError
from callscript.team.logs import (
    CALL_COLUMNS,
    RECORD_COLUMNS,
    SITUATION_COLUMNS,
    STRAY_COLUMNS,
    WAIT_COLUMNS,
    Cut,
    being_written,
    cut_logs,
    find_log_files,
)

# A call's rows in other tables: they go in with it, in the same transaction.
CHILDREN = (("records", RECORD_COLUMNS), ("waits", WAIT_COLUMNS), ("situations", SITUATION_COLUMNS))

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
CREATE TEMP TABLE IF NOT EXISTS ship_records (
    call_id bigint, agent text, seq integer, type text, t double precision, mono double precision, wall text,
    flow text, step text, has_say boolean, outcome text, source text, seconds double precision,
    matched boolean, duration double precision, line text) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ship_strays (
    log_id bigint, agent text, log_name text, bad_lines integer, unreadable boolean) ON COMMIT DELETE ROWS
"""


def _cols(names: Sequence[str]) -> str:
    return ", ".join(names)


# PostgreSQL's types of each table's columns, for binary COPY (psycopg then dumps each value in C).
PG_TYPES = {
    "calls": ("int8", "text", "int8", "text", "text", "timestamptz", "date", "text", "float8", "int4", "int4",
              "text", "text", "bool", "int4", "int4", "int4", "bool", "bool"),
    "records": ("int8", "text", "int4", "text", "float8", "float8", "text", "text", "text", "bool", "text", "text",
                "float8", "bool", "float8", "text"),
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
            cur.execute("SELECT callscript.my_agent()")
            self.agent: str | None = cur.fetchone()[0]
        conn.commit()
        if flows is None:
            from callscript.flow.library import load_flows

            flows = load_flows()
        self.flows = flows  # each call's compliance is derived with this PC's flows

    def close(self) -> None:
        pass

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


def _merge(into: ShipResult, other: ShipResult) -> None:
    for name in ("files", "calls", "new", "open_calls", "unreadable_lines"):
        setattr(into, name, getattr(into, name) + getattr(other, name))
    for agent, n in other.refused.items():
        into.refused[agent] = into.refused.get(agent, 0) + n


def _ship_batches(shipper: Shipper, batches: Sequence[Sequence[Path]], take: Callable[[], int | None],
                  result: ShipResult, progress: Callable[[ShipResult], None] | None = None) -> None:
    """Ship the batches ``take()`` hands out (their indexes; None: no more), the next one being
    read and cut in a helper thread while the last one is copied."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def cut() -> None:
        try:
            while not stop.is_set() and (index := take()) is not None:
                ready.put(shipper.prepare(batches[index], result))
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


def _taker(counter: Any, total: int, stop: Any) -> Callable[[], int | None]:
    """Batch indexes from a counter shared by the shipping processes, until ``stop`` is set."""
    def take() -> int | None:
        if stop.is_set():
            return None
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        return index if index < total else None
    return take


def _second_shipper(url: str, batches: Sequence[Sequence[Path]], counter: Any, stop: Any, out: Any) -> None:
    """The second shipping process: its own connection, the batches it takes; what it shipped
    (and the one line of a failure) go back through ``out``."""
    result = ShipResult()
    try:
        import psycopg

        from callscript.team.store import connection_error, open_store

        try:
            conn, address = open_store(url)
            try:
                shipper = Shipper(conn)
                _ship_batches(shipper, batches, _taker(counter, len(batches), stop), result)
            finally:
                conn.close()
        except psycopg.errors.InsufficientPrivilege as exc:
            out.put((result, ("privilege", str(exc).splitlines()[0])))
        except psycopg.OperationalError as exc:
            out.put((result, ("operational", connection_error(address, exc).message)))
        else:
            out.put((result, None))
    except BaseException as exc:  # noqa: BLE001 - said by the first process, as one line
        stop.set()
        message = exc.message if isinstance(exc, CallscriptError) else f"{type(exc).__name__}: {exc}"
        out.put((result, ("error", message)))
    finally:
        stop.set()  # the first process takes no more batches once this one stopped for an error


def _outcome(worker: Any, out: Any) -> tuple[ShipResult, tuple[str, str] | None]:
    """What the second process shipped, once it has finished its batch (or died)."""
    while True:
        try:
            outcome = out.get(timeout=0.5)
        except queue.Empty:
            if worker.is_alive():
                continue
            try:  # it may have said it just before it ended
                outcome = out.get(timeout=0.5)
            except queue.Empty:
                return ShipResult(), ("error", f"the second shipping process ended with status {worker.exitcode}")
        worker.join()
        return outcome  # type: ignore[no-any-return]


PARALLEL_FILES = 4_000  # from this many log files a second process ships batches too (both cores)


def ship_logs(url: str, paths: Iterable[Path], *, progress: Callable[[ShipResult], None] | None = None,
              batch_files: int | None = None, processes: int | None = None) -> ShipResult:
    """Ship every closed call in the logs under ``paths`` (folders searched for ``*.jsonl``).

    Reading and deriving is Python, bound to one core per process, so from ``PARALLEL_FILES`` logs
    on (or with ``processes=2``) a second process takes batches from the same list with its own
    connection: each batch is still one transaction, so every guarantee holds as it is. (Over
    10,000 logs at load 5.5 on two cores: 687 calls/s from one process, 1,881 from two.)
    """
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        from callscript.team import missing_dependency

        raise missing_dependency(exc) from None
    from callscript.team.store import connection_error, open_store, parse_address

    parse_address(url)  # a malformed address (or one with a password) is the first thing said
    files = list(find_log_files(list(paths)))
    batch_files = batch_files or BATCH_FILES
    batches = [files[start:start + batch_files] for start in range(0, len(files), batch_files)]
    if processes is None:
        processes = 2 if len(files) >= PARALLEL_FILES and (os.cpu_count() or 1) >= 2 else 1
    worker = None
    if processes > 1 and len(batches) > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Forked before this process connects or starts a thread: the child inherits the list of
        # batches and opens its own connection (spawn would import the caller's main module again).
        context = multiprocessing.get_context("fork")
        counter, stop, out = context.Value("l", 0), context.Event(), context.Queue()
        worker = context.Process(target=_second_shipper, name="callscript-ship-2", daemon=True,
                                 args=(url, batches, counter, stop, out))
        worker.start()
        take = _taker(counter, len(batches), stop)
    else:
        indexes = iter(range(len(batches)))

        def take() -> int | None:
            return next(indexes, None)
    result = ShipResult()
    failure: tuple[str, str] | None = None
    conn = None
    try:
        conn, address = open_store(url)
        shipper = Shipper(conn)
        try:
            _ship_batches(shipper, batches, take, result, progress)
        finally:
            if worker is not None:
                stop.set()  # type: ignore[union-attr]
                theirs, failure = _outcome(worker, out)
                _merge(result, theirs)
    except psycopg.errors.InsufficientPrivilege as exc:
        failure = ("privilege", str(exc).splitlines()[0])
    except psycopg.OperationalError as exc:
        failure = ("operational", connection_error(address, exc).message)
    except BaseException:
        if worker is not None and conn is None:  # this process could not even connect: stop the other
            stop.set()  # type: ignore[union-attr]
            _outcome(worker, out)  # type: ignore[union-attr]
        raise
    finally:
        if conn is not None:
            conn.close()
    if failure is not None:
        kind, message = failure
        if kind == "privilege":
            raise CallscriptError(f"the store at {address} refused these calls: {message}; "
                                  "an agent's login ships only its own agent's calls")
        if kind == "operational":
            done = f"{result.new} new calls were shipped before that; " if result.new else ""
            raise CallscriptError(f"{message} ({done}ship again later: nothing is sent twice)")
        raise CallscriptError(f"shipping stopped: {message}")
    return result
