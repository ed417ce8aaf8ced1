"""Private by default: what callscript writes about people is readable by the user alone.

Session logs, line recordings and the progress database hold caller surnames, notes, transcripts
and agent ids. Their files are created 0600 in folders made 0700; one of callscript's own folders
(``is_own``) that already exists with wider permissions is tightened, and the user is told so in
one line (``notice``).

A notice goes to whoever listens (``listen``): the app shows it on screen; with no listener it is
printed to stderr, as the commands want. Nothing here imports Textual.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700

@dataclass(frozen=True)
class Tightened:
    """A folder of ours was readable by others and is now the user's alone."""

    folder: Path
    old: int
    new: int

    def render(self) -> str:
        from callscript.paths import display_path

        return f"made {display_path(self.folder)} private (it was {self.old:04o}, now {self.new:04o}): it holds call records"


_listeners: list[Callable[[Tightened], None]] = []
_lock = threading.Lock()
# Folders already checked in this process: checking is one stat, but telling twice is noise.
_checked: set[Path] = set()


def listen(callback: Callable[[Tightened], None]) -> Callable[[], None]:
    """Send notices to ``callback`` (instead of stderr) until the returned function is called."""
    with _lock:
        _listeners.append(callback)

    def stop() -> None:
        with _lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return stop


def notice(event: Tightened) -> None:
    """Tell the user (one line): the listeners, or stderr when there are none."""
    with _lock:
        listeners = list(_listeners)
    if not listeners:
        print(f"callscript: {event.render()}", file=sys.stderr)
    for callback in listeners:
        callback(event)


def private_dir(folder: Path) -> Path:
    """Make ``folder`` (and missing parents) 0700; tighten it if it exists readable by others.

    ``OSError`` when it cannot be made. A folder owned by someone else is left alone (changing
    it is not ours to do, and it is not a place for private files: the caller decides).
    """
    folder = Path(folder)
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            pass
        # mkdir's mode is reduced by the umask; a stricter umask is fine, a looser one is not.
        os.chmod(path, FOLDER_MODE)
        _checked.add(path)
    if folder not in _checked:
        _checked.add(folder)
        if is_own(folder):
            tighten(folder)
    return folder


# Folders that are callscript's own by configuration (the environment names them).
OWN_FOLDER_ENVS = ("CALLSCRIPT_LOG_DIR", "CALLSCRIPT_DATA_DIR", "CALLSCRIPT_LOG_FALLBACK_DIR")


def is_own(folder: Path) -> bool:
    """Whether ``folder`` is one of callscript's own data folders (or inside one): the user data
    folder, or one the environment names. Only those are tightened: a folder the user gave on
    the command line may be shared on purpose, and a system folder is never ours to change."""
    from platformdirs import user_data_path

    roots = [user_data_path("callscript")]
    roots += [Path(os.environ[name]) for name in OWN_FOLDER_ENVS if os.environ.get(name)]
    absolute = Path(os.path.abspath(folder))
    return any(absolute == (root := Path(os.path.abspath(r))) or root in absolute.parents for r in roots)


def tighten(folder: Path) -> None:
    """Take group and other permissions off an existing folder of ours, saying so once."""
    info = os.stat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(20, "Not a directory", str(folder))
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077 and info.st_uid == os.getuid():
        try:
            os.chmod(folder, mode & 0o700)
        except OSError:
            return
        notice(Tightened(folder, mode, mode & 0o700))


def create_private(path: Path) -> int:
    """A new file ``path`` (it must not exist), 0600, open for reading and appending; its fd."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def write_private(path: Path, text: str, *, what: str = "file") -> None:
    """Write ``text`` (UTF-8) to ``path``, readable by the user alone (0600), like the logs it is
    made from: a file that was there is replaced, and made 0600 too whatever it was before.
    ``CallscriptError`` when it cannot be written (a folder, a missing folder, no permission)."""
    from callscript.errors import CallscriptError

    where = str(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode through O_CREAT
            file.write(text)
    except OSError as exc:
        hint = "name a file in a folder that exists" if isinstance(exc, FileNotFoundError) else (
            "check the path and the folder's permissions")
        raise CallscriptError(f"cannot write the {what}: {exc.strerror or exc}", where=where, hint=hint) from None
