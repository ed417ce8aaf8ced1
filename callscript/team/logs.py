"""Session logs cut into calls ready to ship or archive, read the way the report reads them.

``extract(db, files)`` fills temporary tables of a DuckDB connection from a list of log files:

- ``x_calls``: one row per call (``CALL_COLUMNS``): its stable id, agent, the log it came from,
  flow, start, day, outcome, duration, record count, the unreadable lines in its span, and its
  compliance by ``callscript.training.compliance.derive`` (end flow, live, situations met, steps
  the agent left and skipped, hang-up without the call-back request);
- ``x_records``: the call's records (``RECORD_COLUMNS``): the record's main fields and the JSON line;
- ``x_waits`` and ``x_situations``: ``derive``'s timed waits and situations met, per call;
- ``x_strays``: log files with no call in them (empty, not UTF-8, no ``call_started``).

So a report over the store or an archive only adds up what ``derive`` found when the call was
shipped or exported, with the flows of the PC that did it. The reading is the team report's own
(``callscript.session.reader``, the one tolerant reader of session logs: a line that is not a
good record is skipped and counted, a file is never dropped for one), so a report over the store
or an archive sees exactly the calls and the skipped-line counts that a report over the folders
sees. A skipped line counts against the call it falls in (lines before a log's first call count
against its first call).

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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callscript.flow.model import Flow

UNKNOWN_AGENT = "(unknown)"  # the report's name for a call whose call_started names no agent

CALL_COLUMNS = ("call_id", "agent", "log_id", "log_name", "flow", "started", "day", "outcome", "duration",
                "records", "bad_lines", "started_wall", "end_flow", "live", "situations", "steps_left",
                "steps_skipped", "callback_flow", "callback_violated")
RECORD_COLUMNS = ("call_id", "agent", "seq", "type", "t", "mono", "wall", "flow", "step", "has_say", "outcome",
                  "source", "seconds", "matched", "duration", "line")
STRAY_COLUMNS = ("log_id", "agent", "log_name", "bad_lines", "unreadable")
# ``derive``'s timed waits (``n``: the wait's place in its call) and situations met, per call.
WAIT_COLUMNS = ("call_id", "agent", "n", "flow", "step", "required", "wait", "waited")
SITUATION_COLUMNS = ("call_id", "agent", "flow", "n")


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


def extract(db: Any, files: Sequence[Path | str], *, open_files: Sequence[Path | str] = (),
            flows: Mapping[str, Flow] | None = None) -> int:
    """Fill ``x_calls``, ``x_records``, ``x_waits``, ``x_situations`` and ``x_strays`` from ``files``
    (see the module doc), each call's compliance by ``derive`` over ``flows`` (the installed ones
    by default).

    The last call of a file in ``open_files`` is left out when it has not ended (a process is still
    writing it); returns how many calls were left out so.
    """
    import hashlib

    import numpy

    from callscript.session.reader import LogError, Skipped, iter_lines, typed_parser
    from callscript.training.compliance import derive
    from callscript.training.report import DerivedRows

    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()

    class EveryLine(Skipped):
        """Every skipped line's number and the call it falls in (a call's bad lines are counted)."""

        def __init__(self) -> None:
            super().__init__()
            self.call_no = 0
            self.lines: list[tuple[int, int]] = []

        def add(self, where: str, line: int, reason: str) -> None:
            super().add(where, line, reason)
            self.lines.append((line, self.call_no))

    db.execute("SET enable_progress_bar = false")
    db.execute("SET preserve_insertion_order = false")
    db.execute("CREATE OR REPLACE TEMP TABLE x_open(filename VARCHAR)")
    if open_files:
        db.executemany("INSERT INTO x_open VALUES (?)", [(str(f),) for f in open_files])
    derived = DerivedRows(db, prefix="d_")
    parse = typed_parser()  # the report's reading: the reader's checks in C, records as structs
    # The logs are read by the one tolerant reader (``callscript.session.reader``), as the report
    # and replay read them, so the three agree on every record and every skipped line.
    txt: list[tuple[Any, ...]] = []
    num: list[tuple[Any, ...]] = []
    add = num.append
    for file_no, path in enumerate(files, start=1):
        skipped, digest, unreadable = EveryLine(), None, False
        call: list[Any] = []
        call_no = 0
        try:
            for seq, _, raw, r in iter_lines(path, skipped, parse=parse):
                kind = r.type
                if kind == "call_started":
                    if call:
                        derived.add(file_no, call_no, derive(call, flows, forbidden=False))
                    call = [r]
                    call_no = skipped.call_no = call_no + 1
                    wall = r.wall
                elif call:
                    call.append(r)
                    wall = None
                else:
                    wall = None
                add((file_no, seq, call_no, raw.decode("utf-8").rstrip("\r"), kind, r.t, r.mono, wall, r.flow, r.step,
                     r.say is not None, r.end, r.source, r.seconds, r.matched, r.duration))
        except LogError:
            unreadable = True
        if call:
            derived.add(file_no, call_no, derive(call, flows, forbidden=False))
        num += [(file_no, seq, max(1, number) if call_no else 0, *(None,) * 13) for seq, number in skipped.lines]
        if not call_no and not unreadable:  # a stray: its id is a fingerprint of its content
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "md5").hexdigest()  # type: ignore[attr-defined]
            except OSError:
                unreadable = True
        txt.append((file_no, str(path), Path(path).name, unreadable, digest))
    derived.flush()
    names = ("file", "seq", "call_no", "line", "type", "t", "mono", "wall", "flow", "step", "has_say", "outcome",
             "source", "seconds", "matched", "duration")
    kinds = ("INTEGER", "INTEGER", "INTEGER", "VARCHAR", "VARCHAR", "DOUBLE", "DOUBLE", "VARCHAR", "VARCHAR",
             "VARCHAR", "BOOLEAN", "VARCHAR", "VARCHAR", "DOUBLE", "BOOLEAN", "DOUBLE")
    for table, columns, types, rows in (
        ("x_num", names, kinds, num),
        ("x_txt_rows", ("file", "filename", "log_name", "unreadable", "digest"),
         ("INTEGER", "VARCHAR", "VARCHAR", "BOOLEAN", "VARCHAR"), txt),
    ):
        data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        db.register(f"{table}_in", {c: numpy.array(list(v), dtype=object)
                                    for c, v in zip(columns, data, strict=True)})
        db.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT "
                   + ", ".join(f'CAST("{c}" AS {k}) AS "{c}"' for c, k in zip(columns, types, strict=True))
                   + f" FROM {table}_in")
        db.unregister(f"{table}_in")
    del num, txt
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_txt AS
        SELECT file, filename, log_name, unreadable, {_id("log_name || ':' || digest")} AS stray_id FROM x_txt_rows
    """)
    db.execute("DROP TABLE x_txt_rows")
    # type NULL marks a skipped line (counted against the call it falls in).
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_calls AS
        WITH c AS (
            SELECT file, call_no,
                   {_id("any_value(line) FILTER (WHERE type = 'call_started')")} AS call_id,
                   count(type) AS records,
                   count(*) FILTER (WHERE type = 'call_ended') > 0 AS ended
            FROM x_num WHERE call_no > 0 GROUP BY file, call_no
        ), bad AS (
            SELECT file, call_no, count(*) AS bad_lines FROM x_num WHERE type IS NULL AND call_no > 0 GROUP BY ALL
        )
        SELECT c.call_id, d.agent, first(c.call_id) OVER (PARTITION BY c.file ORDER BY c.call_no) AS log_id,
               t.log_name, nullif(d.start_flow, '') AS flow, try_cast(d.started_wall AS TIMESTAMPTZ) AS started,
               timezone('UTC', try_cast(d.started_wall AS TIMESTAMPTZ))::DATE AS day, d.outcome, d.duration,
               c.records, coalesce(bad.bad_lines, 0) AS bad_lines, d.started_wall, d.end_flow, d.live, d.situations,
               d.steps_left, d.steps_skipped, d.callback_flow, d.callback_violated, c.file, c.call_no,
               NOT c.ended AND c.call_no = max(c.call_no) OVER (PARTITION BY c.file)
                   AND t.filename IN (SELECT filename FROM x_open) AS still_open
        FROM c JOIN d_calls d USING (file, call_no) JOIN x_txt t USING (file) LEFT JOIN bad USING (file, call_no)
    """)
    left_out = db.execute("SELECT count(*) FROM x_calls WHERE still_open").fetchone()[0]
    db.execute("DELETE FROM x_calls WHERE still_open")
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_records AS
        SELECT c.call_id, c.agent, n.seq, n.type, n.t, n.mono, n.wall, n.flow, n.step, n.has_say, n.outcome, n.source,
               n.seconds, n.matched, n.duration, n.line
        FROM x_num n JOIN x_calls c USING (file, call_no) WHERE n.type IS NOT NULL
    """)
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_waits AS
        SELECT x.call_id, x.agent, w.n, w.flow, w.step, w.required, w.wait, w.waited
        FROM d_waits w JOIN x_calls x USING (file, call_no)
    """)
    db.execute("""
        CREATE OR REPLACE TEMP TABLE x_situations AS
        SELECT x.call_id, x.agent, s.flow, s.n FROM d_situ s JOIN x_calls x USING (file, call_no)
    """)
    db.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_strays AS
        SELECT t.stray_id AS log_id, '{UNKNOWN_AGENT}' AS agent, t.log_name,
               (SELECT count(*) FROM x_num n WHERE n.file = t.file AND n.type IS NULL) AS bad_lines,
               t.unreadable
        FROM x_txt t WHERE NOT EXISTS (SELECT 1 FROM x_num n WHERE n.file = t.file AND n.call_no > 0)
    """)
    for table in ("x_txt", "x_num", "d_calls", "d_waits", "d_situ"):
        db.execute(f"DROP TABLE {table}")
    return int(left_out)
