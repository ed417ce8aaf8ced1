"""The session log: append-only JSONL, flushed line by line, readable after a crash.

Every record the engine emits becomes one line with ``type``, ``t`` (seconds into the call),
``mono`` (monotonic clock) and ``wall`` (ISO 8601 wall-clock time). Each line is written whole and
flushed at once, so a process that is killed leaves a log that is complete up to its last event.
Logs are read by ``callscript.session.reader``, which skips (and counts) the one torn line such a
kill can leave at the end, and any other line that is not a good record.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from callscript.engine.engine import EngineRecord
from callscript.errors import CallscriptError
from callscript.privacy import create_private, private_dir
from callscript.session.reader import Skipped, iter_records

LOG_DIR_ENV = "CALLSCRIPT_LOG_DIR"


def default_log_dir() -> Path:
    """Where session logs go: ``$CALLSCRIPT_LOG_DIR`` or the user data directory."""
    if os.environ.get(LOG_DIR_ENV):
        return Path(os.environ[LOG_DIR_ENV])
    from platformdirs import user_data_path  # lazy: only callers that write logs need it

    return user_data_path("callscript") / "sessions"


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, tz=timezone.utc).isoformat(timespec="milliseconds")


FALLBACK_DIR_ENV = "CALLSCRIPT_LOG_FALLBACK_DIR"
# How often a log kept in memory tries again to reach a folder (real seconds).
RETRY_EVERY = 5.0


def fallback_dirs() -> list[Path]:
    """Where a log goes when its own folder cannot be written: ``$CALLSCRIPT_LOG_FALLBACK_DIR``,
    else the per-user runtime folder and a private folder in the temporary directory (both
    usually on another file system than the user's data, so a full or read-only disk there does
    not stop them)."""
    if os.environ.get(FALLBACK_DIR_ENV):
        return [Path(os.environ[FALLBACK_DIR_ENV])]
    import tempfile

    found = []
    if os.environ.get("XDG_RUNTIME_DIR"):
        found.append(Path(os.environ["XDG_RUNTIME_DIR"]) / "callscript" / "sessions")
    found.append(Path(tempfile.gettempdir()) / f"callscript-{os.getuid()}" / "sessions")
    return found


@dataclass(frozen=True)
class LogTrouble:
    """A call's log cannot be written where it belongs: why, and where its records are instead."""

    path: Path  # where the log belongs
    reason: str  # the system's words: "Read-only file system", "No space left on device"
    kept: Path | None  # the file that holds the records now; None: in memory only

    def render(self) -> str:
        where = f"kept in {self.kept}" if self.kept else "kept in memory until a folder can be written"
        return f"session log not saved to {self.path.parent}: {self.reason}; the records are {where}"


_trouble_listeners: list[Callable[[LogTrouble], None]] = []


def watch_trouble(callback: Callable[[LogTrouble], None]) -> Callable[[], None]:
    """Call ``callback`` (from the writing thread) whenever a log runs into trouble or moves;
    returns the function that stops it. The app turns it into one notification."""
    _trouble_listeners.append(callback)

    def stop() -> None:
        if callback in _trouble_listeners:
            _trouble_listeners.remove(callback)

    return stop


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class _Removed(OSError):
    """The log's file (or its folder) was deleted while it was being written."""

    def __init__(self) -> None:
        super().__init__(2, "the log's folder or file was removed")


class SessionLog:
    """Writes one call's records to ``path`` (a listener for ``CallEngine``).

    A log never takes a call down: when its file cannot be created or written (a read-only
    folder, a full disk, a removed folder), the whole lines written so far are read back and all
    the records move to a new file: in the log's own folder if it works again, else a fallback
    folder (``fallback_dirs``); when none can be written they stay in memory and are tried again
    every few seconds and at ``close``. ``trouble`` says why and where they are, and
    ``watch_trouble`` listeners hear it. No empty file is left behind.

    ``strict`` (for ``simulate --log``, where the log is the command's output) turns any failure
    into a ``CallscriptError`` instead.
    """

    def __init__(self, path: Path, *, wall: Callable[[], float] = time.time, strict: bool = False,
                 _opened: int | OSError | None = None) -> None:
        self.path = Path(path)  # where the records are (after a move, the new file)
        self.intended = self.path  # where they belong
        self.strict = strict
        self.trouble: LogTrouble | None = None
        self._wall = wall
        self._fd: int | None = None
        self._good = 0  # bytes of whole lines in the file
        self._pending: list[bytes] = []  # lines in memory only
        self._stale: Path | None = None  # a file whose lines were taken along, removed after a move
        self._created = True  # only a file this log created is ever removed
        self._retry_at = 0.0
        self._closed = False
        if _opened is None:
            try:
                private_dir(self.path.parent)
                _opened, self._created = _open_for_log(self.path)
            except OSError as exc:
                _opened = exc
        self._start = 0  # where this log's lines begin in its file (an existing file is appended to)
        self._folder_is_ours = self._created
        if isinstance(_opened, OSError):
            self._failed(_opened)
        else:
            self._fd = _opened
            _hold(_opened)
            if not self._created:
                with contextlib.suppress(OSError):
                    self._start = os.fstat(_opened).st_size

    @classmethod
    def create(cls, log_dir: Path, flow_id: str, *, wall: Callable[[], float] = time.time) -> SessionLog:
        """A new log file named after the time and flow, never overwriting an existing one."""
        stamp = datetime.fromtimestamp(wall()).strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", flow_id)
        path = Path(log_dir) / f"{stamp}-{safe}.jsonl"
        opened: int | OSError
        try:
            private_dir(Path(log_dir))
            path, opened = _new_file(Path(log_dir), path.stem)
        except OSError as exc:
            opened = exc
        return cls(path, wall=wall, _opened=opened)

    def __call__(self, record: EngineRecord) -> None:
        self.write(record.as_dict())

    def write(self, entry: dict[str, Any]) -> None:
        """Append one record; adds ``wall`` when it is missing."""
        entry = {**entry}
        entry.setdefault("wall", _iso(self._wall()))
        self._append((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))

    def append_raw(self, text: str) -> None:
        """Append ``text`` as it is (the synthetic logs use it to leave a torn last line)."""
        self._append(text.encode("utf-8"))

    def _append(self, line: bytes) -> None:
        if self._closed:
            return
        if self._fd is None:
            self._pending.append(line)
            if time.monotonic() >= self._retry_at:
                self._move()
            return
        try:
            _write_all(self._fd, line)
        except OSError as exc:
            self._pending.append(line)
            self._failed(exc)
            return
        self._good += len(line)
        # A removed file takes writes without complaint, and is gone at close: notice it now.
        if os.fstat(self._fd).st_nlink == 0:
            self._failed(_Removed())

    def _failed(self, exc: OSError) -> None:
        """The file cannot be written: keep its whole lines and move them, with the rest, elsewhere."""
        if self.strict:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd, self._closed = None, True
            raise CallscriptError(f"cannot write the session log: {_reason(exc)} (give --log a file in a folder "
                                  "you can write to)", where=str(self.path)) from None
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                head = os.pread(fd, self._good, self._start) if self._good else b""
                head = head if len(head) == self._good else None
            except OSError:
                head = None
            with contextlib.suppress(OSError):
                # What the failed write left of its line is not a record.
                os.ftruncate(fd, self._start + self._good)
            with contextlib.suppress(OSError):
                os.close(fd)
            if head:
                self._pending.insert(0, head)
            if self._created and head is not None and not isinstance(exc, _Removed):
                self._stale = self.path  # removed once its lines are safe elsewhere
            if self._created and self._good == 0:
                with contextlib.suppress(OSError):
                    self.path.unlink()  # never leave an empty log
        self._good = 0
        self.trouble = LogTrouble(self.intended, _reason(exc), None)
        if not self._move():
            self._tell()

    def _move(self) -> bool:
        """Write the records in memory to a new file (the log's own folder, then the fallbacks);
        True when one took them."""
        self._retry_at = time.monotonic() + RETRY_EVERY
        data = b"".join(self._pending)
        # A log appending to a file it did not create (``--log /dev/stdout``, an existing file)
        # does not make files beside it: that folder is not the log's.
        own = [self.intended.parent] if self._folder_is_ours else []
        folders = own + [d for d in fallback_dirs() if d != self.intended.parent]
        for folder in folders:
            try:
                if folder != self.intended.parent and not _private_to_us(folder):
                    continue
                private_dir(folder)
                if folder != self.intended.parent and not _private_to_us(folder):
                    continue
                path, fd = _new_file(folder, self.intended.stem)
            except OSError:
                continue
            try:
                _write_all(fd, data)
            except OSError:
                with contextlib.suppress(OSError):
                    os.close(fd)
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            self._fd, self.path, self._good, self._start, self._created = fd, path, len(data), 0, True
            _hold(fd)
            self._pending.clear()
            if self._stale is not None:
                with contextlib.suppress(OSError):
                    self._stale.unlink()
                self._stale = None
            if folder == self.intended.parent:
                self.trouble = None  # back where it belongs: nothing to tell
            elif self.trouble is not None:
                self.trouble = LogTrouble(self.intended, self.trouble.reason, path)
                self._tell()
            return True
        return False

    def _tell(self) -> None:
        if self.trouble is not None:
            for callback in list(_trouble_listeners):
                callback(self.trouble)

    @property
    def in_memory(self) -> int:
        """How many records (or blocks of them) are held in memory only; 0 when all are in a file."""
        return len(self._pending)

    def close(self) -> None:
        """Flush the file to the disk (or make a last try to write what is in memory) and close."""
        if self._closed:
            return
        if self._fd is None and self._pending:
            self._move()
        if self._fd is not None:
            try:
                if os.fstat(self._fd).st_nlink == 0:
                    raise _Removed()
                os.fsync(self._fd)
            except OSError as exc:
                # EINVAL: a device (``--log /dev/stdout``) that has nothing to flush.
                if exc.errno != errno.EINVAL:
                    self._failed(exc)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        self._closed = True

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hold(fd: int) -> None:
    """Lock the log's file while the call is written; the kernel drops the lock if the process
    dies: a shipper (callscript.team.logs) leaves a locked log alone and ships an unlocked,
    unfinished one as incomplete."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # another writer has it (never wait for it): the file is marked as being written all the same


def _private_to_us(folder: Path) -> bool:
    """Whether a fallback ``folder`` (and, in the shared temporary directory, its parent), where
    they exist, are real folders of ours that no one else can open: a folder someone else made in
    /tmp, or a link planted there, must not receive the call's records."""
    import tempfile

    checks = [folder]
    if folder.parent.parent == Path(tempfile.gettempdir()):
        checks.append(folder.parent)
    for path in checks:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue  # made below by private_dir, 0700
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return False
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _new_file(folder: Path, stem: str) -> tuple[Path, int]:
    """A new private file ``stem.jsonl`` in ``folder`` (``stem-1.jsonl`` ... when taken)."""
    for n in range(1000):
        path = folder / f"{stem}{'' if n == 0 else f'-{n}'}.jsonl"
        try:
            return path, create_private(path)
        except FileExistsError:
            continue
    raise FileExistsError(17, f"no free log name in {folder}")


def _open_for_log(path: Path) -> tuple[int, bool]:
    """``path`` open for appending, and whether it was created: a new file is private;
    ``simulate --log`` may name an existing file (or a device) and append to it."""
    try:
        return create_private(path), True
    except FileExistsError:
        # Read access lets a failing log take its lines along; a device may only be writable.
        try:
            return os.open(path, os.O_RDWR | os.O_APPEND), False
        except PermissionError:
            return os.open(path, os.O_WRONLY | os.O_APPEND), False


@dataclass
class LogContents:
    """What a log file held: its good records, and the lines skipped (``callscript.session.reader``)."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: Skipped = field(default_factory=Skipped)

    @property
    def truncated(self) -> bool:
        """The last line was torn, as a process killed mid-write leaves it."""
        return self.skipped.cut_off > 0

    @property
    def ended(self) -> bool:
        return any(r.get("type") == "call_ended" for r in self.records)


def read_log(path: Path) -> LogContents:
    """Read a whole session log into memory, keeping every good record and counting the rest.

    For logs of any size, stream them with ``callscript.session.reader.iter_records`` instead.
    Raises ``LogError`` only when the file cannot be opened at all.
    """
    contents = LogContents(Path(path))
    contents.records = [record for _, _, record in iter_records(path, contents.skipped)]
    return contents
