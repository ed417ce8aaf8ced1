"""Saving the settings without losing anything: only what changed, merged into the file on disk.

The file is the user's: they may have written comments, keys a later version knows, or a value
that is wrong. So a save never writes the whole model back. It takes what differs between the
settings the user started from (``base``) and the ones they save, and writes just those values
into the file as it is on disk at that moment, with tomlkit, which keeps everything else as it was
(comments, order, unknown keys, a wrong value the user did not touch).

Two callscript windows saving at once must not undo each other: the read-merge-write runs under an
exclusive ``flock`` of the settings folder, so each save merges into the other's result. The new
text goes to a temporary file in the same folder, is flushed to the disk, and replaces the file in
one rename; the previous version is kept beside it as ``settings.toml.bak``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import Table

from callscript.errors import CallscriptError
from callscript.settings import SETTING_NAMES, Settings, parse_settings_leniently, read_settings_text, settings_path

HEADER = "# callscript settings: edit here or in the app (F2 in the flow picker).\n"
BACKUP_SUFFIX = ".bak"
# New files are private: the settings name the agent. An existing file keeps its mode.
FILE_MODE = 0o600
FOLDER_MODE = 0o700

# One change: ("agent",) or ("keys", "call.said"), and the new value (None: remove the line).
Change = tuple[tuple[str, ...], object]


def changes(base: Settings, new: Settings) -> list[Change]:
    """What the user changed, going from ``base`` to ``new``."""
    found: list[Change] = []
    for name in SETTING_NAMES:
        if name in ("keys", "team"):
            continue  # tables: keys below; [team] is written by hand (docs/team.md), never by the app
        if getattr(base, name) != getattr(new, name):
            found.append(((name,), getattr(new, name)))
    for bid in sorted(set(base.keys) | set(new.keys)):
        if base.keys.get(bid) != new.keys.get(bid):
            found.append((("keys", bid), new.keys.get(bid)))
    return found


def merge(text: str, found: list[Change], path: Path) -> str:
    """``text`` (a settings file) with ``found`` written into it, everything else kept."""
    try:
        doc = tomlkit.parse(text)
    except ParseError as exc:
        raise CallscriptError(
            "cannot save: the settings file on disk is not valid TOML", where=f"{path}:{exc.line}:{exc.col}",
            hint="fix that line (or delete the file), then save again",
        ) from None
    for where, value in found:
        if len(where) == 1:
            doc[where[0]] = value
            continue
        table = doc.get("keys")
        if table is None:
            table = tomlkit.table()
            doc["keys"] = table
        elif not isinstance(table, (Table, tomlkit.items.InlineTable)):
            raise CallscriptError("cannot save the keys: 'keys' in the settings file is not a table",
                                  where=str(path), hint='fix it: write [keys] followed by lines like "call.said" = "space"')
        if value is None:
            table.pop(where[1], None)
        else:
            table[where[1]] = value
    return tomlkit.dumps(doc)


def save_settings(settings: Settings, path: Path | None = None, *, base: Settings | None = None) -> Path:
    """Write what differs between ``base`` (what the user started from) and ``settings`` into the
    file (default ``settings_path()``) as it is on disk now; see the module docstring.

    ``base`` None means "the file as it is now": every value that differs from it is written.
    Nothing is written when nothing changed. ``CallscriptError`` when the file on disk cannot be
    merged into (not UTF-8, not TOML); ``OSError`` when it cannot be written.
    """
    path = path or settings_path()
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    with _locked(folder):
        text = read_settings_text(path)
        if base is None:
            base, _problems = parse_settings_leniently(text or "", path)
        found = changes(base, settings)
        if not found:
            return path
        old = text.removeprefix("\ufeff") if text is not None else HEADER
        new = merge(old, found, path)
        mode = FILE_MODE
        if text is not None:
            mode = os.stat(path).st_mode & 0o777
            write_atomically(path.with_name(path.name + BACKUP_SUFFIX), text.encode("utf-8"), mode)
        write_atomically(path, new.encode("utf-8"), mode)
    return path


def write_atomically(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data`` in one rename, after the data is on the disk: a crash or a
    full disk leaves either the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder is flushed too; not every system allows it.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (shared by every callscript process on this machine)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: saves are still atomic, only not serialised
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
