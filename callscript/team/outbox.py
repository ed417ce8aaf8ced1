"""The app's shipping: finished calls wait in a local outbox, and one thread sends them.

The app never ships on the call path. When a call ends and its log is closed, ``call_ended`` adds
the log's path to the outbox (a 0600 file of paths in a 0700 folder, so calls still waiting when
the app closes go with the next start) and wakes the thread; the thread ships whatever is waiting
(``callscript.team.ship``: stable ids, so a call sent twice is kept once) over a connection it
keeps open between calls, and takes the shipped paths out. When the store cannot be reached the
calls stay in the outbox and the thread tries again every ``retry`` seconds and at the next call.

``on_change(waiting, problem)`` is called from the thread after every attempt: how many logs are
waiting and, when the last attempt failed, one line saying why (it never holds a password). The
app turns that into one banner line; it must hop to its own thread to do so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError
from callscript.privacy import private_dir

QUEUE_FILE = "waiting.txt"


class Outbox:
    """Finished calls waiting for the team store, and the thread that ships them."""

    def __init__(self, url: str, folder: Path, *, on_change: Callable[[int, str | None], None] | None = None,
                 retry: float = 30.0, start: bool = True) -> None:
        self.url = url
        self.folder = Path(folder)
        # Made at the app's start, before the first log: the log folder it creates on the way
        # must be private too (mkdir's parents=True would leave it at the umask's 0755).
        private_dir(self.folder)
        self.queue = self.folder / QUEUE_FILE
        self.on_change = on_change
        self.retry = retry
        self.problem: str | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._shipper: Any = None
        self._thread = threading.Thread(target=self._run, name="callscript-outbox", daemon=True)
        if start:
            self._thread.start()
            if self.waiting():
                self._wake.set()  # calls left from the last run go now

    # -- the call path: only a line appended and an event set ----------------------------------

    def call_ended(self, log_path: Path) -> None:
        """Queue a finished call's log and wake the thread (returns at once)."""
        with self._lock:
            fd = os.open(self.queue, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as queue:
                queue.write(str(Path(log_path).resolve()) + "\n")
        self._wake.set()

    def waiting(self) -> list[Path]:
        with self._lock:
            try:
                lines = self.queue.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                return []
        return list(dict.fromkeys(Path(line) for line in lines if line.strip()))

    def close(self, timeout: float = 5.0) -> None:
        self._stop = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.retry if self.waiting() else None)
            self._wake.clear()
            if self._stop:
                break
            self.ship_now()
        self._drop_shipper()

    def ship_now(self) -> None:
        """Ship what is waiting (the thread does this; tests may call it directly)."""
        paths = self.waiting()
        if not paths:
            return
        present = [p for p in paths if p.is_file()]
        try:
            self._ship(present)
        except CallscriptError as exc:
            self._drop_shipper()
            self.problem = exc.message
        except Exception as exc:  # noqa: BLE001 - a store problem must never reach the call
            self._drop_shipper()
            from callscript.team.store import connection_error, parse_address

            try:
                self.problem = connection_error(parse_address(self.url), exc).message
            except CallscriptError as bad:
                self.problem = bad.message
        else:
            self.problem = None
            self._forget(paths)
        if self.on_change is not None:
            self.on_change(len(self.waiting()), self.problem)

    def _ship(self, paths: list[Path]) -> None:
        from callscript.team.ship import Shipper, ShipResult
        from callscript.team.store import open_store

        if self._shipper is None:
            conn, _ = open_store(self.url)
            self._shipper = Shipper(conn)
        result = ShipResult()
        if paths:
            self._shipper.ship_files(paths, result)
        if result.refused:
            agents = ", ".join(sorted(result.refused))
            self._forget(paths)  # they can never go with this login: do not retry them forever
            raise CallscriptError(f"the store's login ships another agent's calls, not those of {agents}: "
                                  "check the agent setting")

    def _forget(self, shipped: list[Path]) -> None:
        done = set(shipped)
        with self._lock:
            try:
                lines = self.queue.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                return
            rest = [line for line in lines if line.strip() and Path(line) not in done]
            tmp = self.queue.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in rest))
            os.replace(tmp, self.queue)

    def _drop_shipper(self) -> None:
        shipper, self._shipper = self._shipper, None
        if shipper is not None:
            shipper.conn.close()
