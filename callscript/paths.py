"""How paths are shown to the user: in messages, on screens and in reports."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str, *, tilde: bool = True) -> str:
    """A path as a user reads it: relative to the working directory when inside it, else (with
    ``tilde``) under ``~`` when inside the home folder, else as given.

    Problems in flow files are shown with ``tilde=False``: editors, CI problem matchers and
    scripts reading ``check --json`` must be able to open the path, and ``~`` is only a shell's.

    Made absolute without resolving links: that costs no system call (``resolve`` makes one per
    path component, for every file of a large check), and a linked file keeps the name the user
    gave it.
    """
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        pass
    if not tilde:
        return str(path)
    try:
        home = absolute.relative_to(Path.home())
    except (ValueError, RuntimeError):  # RuntimeError: no home folder can be found
        return str(path)
    return "~" if home == Path(".") else f"~/{home}"
