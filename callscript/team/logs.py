"""Session logs cut into calls ready to ship or archive, read the way the report reads them.

``cut_logs(files, flows)`` reads log files with the report's reader and gives the store's rows
(``Cut``), in the order of the store's columns:

- ``calls``: one row per call (``CALL_COLUMNS``): its stable id, agent, the log it came from,
  flow, start, day, outcome, duration, record count, the unreadable lines in its span, and its
  compliance by ``callscript.training.compliance.derive`` (end flow, live, situations met, steps
  the agent left and skipped, hang-up without the call-back request);
- ``call_logs``: the call's log (``LOG_COLUMNS``): its good records' JSON lines as written, in order,
  one text per call (the store keeps a row per call, not per record: a month of a 300-agent center
  is 360,000 rows instead of some 20 million, each with its index entry);
- ``waits`` and ``situations``: ``derive``'s timed waits and situations met, per call;
- ``strays``: log files with no call in them (empty, not UTF-8, no ``call_started``).

``ship`` copies them into PostgreSQL as they are; ``extract(db, files)`` puts them in DuckDB
tables ``x_calls`` ... for an archive.

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
drops it when the process dies); ``callscript.session.reader.being_written`` asks for a shared one without waiting.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.session.reader import Skipped

if TYPE_CHECKING:
    from callscript.flow.model import Flow

UNKNOWN_AGENT = "(unknown)"  # the report's name for a call whose call_started names no agent

CALL_COLUMNS = ("call_id", "agent", "log_id", "log_name", "flow", "started", "day", "outcome", "duration",
                "records", "bad_lines", "started_wall", "end_flow", "live", "situations", "steps_left",
                "steps_skipped", "callback_flow", "callback_violated")
LOG_COLUMNS = ("call_id", "agent", "lines")
STRAY_COLUMNS = ("log_id", "agent", "log_name", "bad_lines", "unreadable")
# ``derive``'s timed waits (``n``: the wait's place in its call) and situations met, per call.
WAIT_COLUMNS = ("call_id", "agent", "n", "flow", "step", "required", "wait", "waited")
SITUATION_COLUMNS = ("call_id", "agent", "flow", "n")


def find_log_files(paths: Sequence[Path | str]) -> Iterator[Path | str]:
    """``*.jsonl`` under each folder (sorted, as text: ``callscript.training.report.walk_logs``),
    and files as given."""
    from callscript.errors import CallscriptError
    from callscript.training.report import walk_logs

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from walk_logs(path)
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


def fingerprint(text: str) -> int:
    """63 bits of the MD5 of ``text`` (UTF-8): a call's id from its ``call_started`` line."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:16], 16) >> 1


def _started(wall: str | None) -> tuple[datetime | None, date | None]:
    """The call's start as a time and its day (UTC) from ``call_started``'s wall clock text; a
    time without a zone is taken as UTC, one that is not a time as none."""
    if not wall:
        return None, None
    try:
        when = datetime.fromisoformat(wall)
    except ValueError:
        return None, None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when, when.astimezone(timezone.utc).date()


@dataclass
class Cut:
    """Log files cut into the store's rows (``CALL_COLUMNS``, ``LOG_COLUMNS``, ... in order)."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    call_logs: list[tuple[Any, ...]] = field(default_factory=list)
    waits: list[tuple[Any, ...]] = field(default_factory=list)
    situations: list[tuple[Any, ...]] = field(default_factory=list)
    strays: list[tuple[Any, ...]] = field(default_factory=list)
    open_calls: int = 0  # calls still being written, left out
    bad_lines: int = 0  # unreadable lines in the calls and strays kept

    def only(self, agent: str) -> dict[str, int]:
        """Keep the calls of ``agent`` alone (strays become its own); returns the others' counts."""
        refused: dict[str, int] = {}
        for row in self.calls:
            if row[1] != agent:
                refused[row[1]] = refused.get(row[1], 0) + 1
        if refused:
            self.bad_lines -= sum(row[10] for row in self.calls if row[1] != agent)
            for table in ("calls", "call_logs", "waits", "situations"):
                setattr(self, table, [row for row in getattr(self, table) if row[1] == agent])
        self.strays = [(row[0], agent, *row[2:]) for row in self.strays]
        return refused


class _Lines(Skipped):
    """The reader's skipped lines, each counted against the call it falls in."""

    def __init__(self) -> None:
        super().__init__()
        self.call: list[int] | None = None  # [bad lines] of the call being read
        self.before = 0  # lines before the first call (they count against the first call)

    def add(self, where: str, line: int, reason: str) -> None:
        super().add(where, line, reason)
        if self.call is None:
            self.before += 1
        else:
            self.call[0] += 1


def cut_logs(files: Sequence[Path | str], flows: Mapping[str, Flow], *, open_files: Collection[Path | str] = (),
             cut: Cut | None = None) -> Cut:
    """The calls of ``files`` as the store's rows (see the module doc), each call's compliance by
    ``derive`` over ``flows``; the last call of a file in ``open_files`` is left out when it has not
    ended (a process is still writing it)."""
    from callscript.session.reader import LogError, iter_lines, typed_parser
    from callscript.training.compliance import derive
    from callscript.training.report import situation_rows

    cut = cut if cut is not None else Cut()
    parse = typed_parser()  # the report's reading: the reader's checks in C, records as structs
    still_written = {str(f) for f in open_files}
    calls, call_logs, waits, situations = cut.calls, cut.call_logs, cut.waits, cut.situations
    for path in files:
        skipped = _Lines()
        # Each call as it is read: (its records (structs), its lines as written, [bad lines], its id)
        read: list[tuple[list[Any], list[bytes], list[int], int]] = []
        structs: list[Any] = []
        lines: list[bytes] = []
        unreadable = False
        try:
            for _, _, raw, r in iter_lines(path, skipped, parse=parse):
                if r.type == "call_started":
                    structs, lines, bad = [], [], [0]
                    skipped.call = bad
                    read.append((structs, lines, bad, fingerprint(raw.rstrip(b"\r").decode("utf-8"))))
                elif not read:
                    continue  # before the first call: no call holds it
                structs.append(r)
                lines.append(raw)
        except LogError:
            unreadable = True
        name = os.path.basename(path)
        if not read:  # a stray: its id is a fingerprint of its content
            digest = None
            if not unreadable:
                try:
                    with open(path, "rb") as handle:
                        digest = hashlib.file_digest(handle, "md5").hexdigest()  # type: ignore[attr-defined]
                except OSError:
                    unreadable = True
            cut.strays.append((fingerprint(f"{name}:{digest or path}"), UNKNOWN_AGENT, name, skipped.count,
                               unreadable))
            cut.bad_lines += skipped.count
            continue
        read[0][2][0] += skipped.before
        log_id = read[0][3]  # the log's first call names it
        if str(path) in still_written and not any(s.type == "call_ended" for s in read[-1][0]):
            read.pop()  # a process is still writing it: the next ship takes it
            cut.open_calls += 1
        for structs, lines, (bad,), call_id in read:
            call = derive(structs, flows, forbidden=False)
            agent = call.agent
            started, day = _started(call.started_wall)
            row = (call_id, agent, log_id, name, call.flow or None, started, day, call.outcome, call.duration,
                   len(lines), bad, call.started_wall, call.end_flow, call.live, len(call.situations),
                   call.steps_left, call.steps_skipped, call.callback_flow, call.callback_violated)
            # The lines as written (a text field's NUL stays the \u0000 the log holds: text can hold that).
            text = b"\n".join(lines).decode("utf-8")
            if "\r" in text:  # a line written with a CRLF ending: the line without it, as the reader reads it
                text = "\n".join(line.rstrip("\r") for line in text.split("\n"))
            its_waits = [(call_id, agent, n, *wait) for n, wait in enumerate(call.waits, start=1)]
            its_situations = [(call_id, agent, flow, n) for flow, n in situation_rows(call)]
            if "\\u0000" in text:  # a record's text field holds a NUL, which PostgreSQL text cannot
                row, = _without_nul([row])
                its_waits, its_situations = map(_without_nul, (its_waits, its_situations))
                agent = row[1]
            calls.append(row)
            cut.bad_lines += bad
            call_logs.append((call_id, agent, text))
            waits += its_waits
            situations += its_situations
    return cut


def _without_nul(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows with each NUL in a text shown as U+FFFD: PostgreSQL text cannot hold a NUL, which a
    log may (written as \\u0000); the record's line keeps it as written."""
    return [tuple(v.replace("\x00", "\ufffd") if type(v) is str else v for v in row) for row in rows]


# DuckDB's types of the store's columns: an archive written from a cut, and the store's CSV read back.
DUCK_TYPES = {
    "call_id": "BIGINT", "agent": "VARCHAR", "log_id": "BIGINT", "log_name": "VARCHAR", "flow": "VARCHAR",
    "started": "TIMESTAMPTZ", "day": "DATE", "outcome": "VARCHAR", "duration": "DOUBLE", "records": "INTEGER",
    "bad_lines": "INTEGER", "lines": "VARCHAR", "unreadable": "BOOLEAN", "started_wall": "VARCHAR",
    "end_flow": "VARCHAR", "live": "BOOLEAN", "situations": "INTEGER", "steps_left": "INTEGER",
    "steps_skipped": "INTEGER", "callback_flow": "BOOLEAN", "callback_violated": "BOOLEAN", "required": "DOUBLE",
    "wait": "VARCHAR", "waited": "DOUBLE", "step": "VARCHAR", "n": "INTEGER",
}
TABLE_COLUMNS = {"calls": CALL_COLUMNS, "call_logs": LOG_COLUMNS, "waits": WAIT_COLUMNS,
                 "situations": SITUATION_COLUMNS, "strays": STRAY_COLUMNS}


def extract(db: Any, files: Sequence[Path | str], *, open_files: Collection[Path | str] = (),
            flows: Mapping[str, Flow] | None = None) -> int:
    """``cut_logs`` into DuckDB: temporary tables ``x_calls``, ``x_call_logs``, ``x_waits``,
    ``x_situations`` and ``x_strays`` (for an archive); returns the calls left out as still open."""
    import numpy

    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()
    cut = cut_logs(files, flows, open_files=open_files)
    for table, columns in TABLE_COLUMNS.items():
        rows = getattr(cut, table)
        data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        db.register("x_in", {c: numpy.array(list(v), dtype=object) for c, v in zip(columns, data, strict=True)})
        db.execute(f"CREATE OR REPLACE TEMP TABLE x_{table} AS SELECT "
                   + ", ".join(f'CAST("{c}" AS {DUCK_TYPES[c]}) AS "{c}"' for c in columns) + " FROM x_in")
        db.unregister("x_in")
        setattr(cut, table, [])
    return cut.open_calls
