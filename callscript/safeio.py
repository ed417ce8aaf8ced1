"""Opening user-named files safely: regular files only, with the size limit kept while reading.

Flows and session logs are named by users, and a path can be anything: a FIFO that blocks the
reader forever, ``/dev/zero`` behind a symlink that never ends, a directory called ``x.yaml``, a
symlink loop. ``open_regular`` looks before it leaps: it ``stat``s the path (following symlinks;
a loop is named as one), refuses anything that is not a regular file, opens it without blocking
(a FIFO swapped in after the ``stat`` cannot hang the open), and checks the opened file again
with ``fstat``. ``read_limited`` then reads at most ``limit`` bytes, so a file that grows while
it is read is still refused instead of filling memory.

Every refusal is one ``CallscriptError`` naming the file; nothing else escapes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from callscript.errors import CallscriptError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _os_problem(exc: OSError, where: str, what: str) -> CallscriptError:
    if exc.errno == errno.ELOOP:
        return CallscriptError("symlink loop: the link points (through other links) back at itself", where=where,
                               hint="point the symlink at a real file (readlink shows where it goes)")
    if exc.errno == errno.ENOENT:
        if os.path.islink(where):
            return CallscriptError(f"the symlink leads to nothing: {os.readlink(where)} does not exist", where=where,
                                   hint="point the symlink at a real file, or remove it")
        return CallscriptError(f"no such {what}", where=where, hint="check the path")
    if exc.errno == errno.EISDIR:
        return CallscriptError(f"this is a folder, not a {what}", where=where, hint=f"name a {what} inside it")
    return CallscriptError(f"cannot read the {what}: {exc.strerror or exc}", where=where,
                           hint="check the path and the file's permissions")


def check_regular(path: Path | str, *, what: str = "file", limit: int | None = None,
                  hint: str = "") -> os.stat_result:
    """``stat`` of ``path`` when it is a regular file of at most ``limit`` bytes; else one error."""
    where = str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _os_problem(exc, where, what) from None
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        raise CallscriptError(f"this is {kind}, not a {what}", where=where,
                              hint=f"name a regular {what}; callscript reads only regular files")
    if limit is not None and info.st_size > limit:
        raise too_large(where, what, info.st_size, limit, hint)
    return info


def too_large(where: str, what: str, size: int | None, limit: int, hint: str = "") -> CallscriptError:
    shown = f"{size:,} bytes; the limit is {limit:,}" if size is not None else f"more than the limit of {limit:,} bytes"
    return CallscriptError(f"file is too large ({shown})", where=where,
                           hint=hint or f"a {what} this large is not something callscript wrote; check the path")


def open_regular(path: Path | str, *, what: str = "file", limit: int | None = None, hint: str = "") -> BinaryIO:
    """Open ``path`` for reading in binary when it is a regular file (see the module doc)."""
    where = str(path)
    check_regular(path, what=what, limit=limit, hint=hint)
    try:
        # O_NONBLOCK: should a FIFO replace the file between stat and open, open does not wait
        # for a writer; fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _os_problem(exc, where, what) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CallscriptError(f"this is {_kind(info.st_mode)}, not a {what}", where=where,
                                  hint=f"name a regular {what}; callscript reads only regular files")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: Path | str, limit: int, *, what: str = "file", hint: str = "") -> bytes:
    """The bytes of the regular file ``path``, refused when more than ``limit`` (before and while
    reading); ``hint`` says what to do about a file too large."""
    with open_regular(path, what=what, limit=limit, hint=hint) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _os_problem(exc, str(path), what) from None
    if len(data) > limit:
        raise too_large(str(path), what, None, limit, hint)
    return data
