"""The session log: append-only JSONL, flushed line by line, readable after a crash.

Every record the engine emits becomes one line with ``type``, ``t`` (seconds into the call),
``mono`` (monotonic clock) and ``wall`` (ISO 8601 wall-clock time). Each line is written whole and
flushed at once, so a process that is killed leaves a log that is complete up to its last event.
Logs are read by ``callscript.session.reader``, which skips (and counts) the one torn line such a
kill can leave at the end, and any other line that is not a good record.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from callscript.engine.engine import EngineRecord
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


class SessionLog:
    """Writes one call's records to ``path`` (a listener for ``CallEngine``)."""

    def __init__(self, path: Path, *, wall: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered text: every write of a whole line reaches the OS immediately.
        self._file = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._wall = wall

    @classmethod
    def create(cls, log_dir: Path, flow_id: str, *, wall: Callable[[], float] = time.time) -> SessionLog:
        """A new log file named after the time and flow, never overwriting an existing one."""
        stamp = datetime.fromtimestamp(wall()).strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", flow_id)
        log_dir = Path(log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        for n in range(1000):
            path = log_dir / f"{stamp}-{safe}{'' if n == 0 else f'-{n}'}.jsonl"
            try:
                path.touch(exist_ok=False)
                return cls(path, wall=wall)
            except FileExistsError:
                continue
        raise FileExistsError(f"no free log name in {log_dir}")

    def __call__(self, record: EngineRecord) -> None:
        self.write(record.as_dict())

    def write(self, entry: dict[str, Any]) -> None:
        """Append one record; adds ``wall`` when it is missing."""
        entry = {**entry}
        entry.setdefault("wall", _iso(self._wall()))
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
