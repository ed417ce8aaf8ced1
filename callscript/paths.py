"""Where the user's files are, and how paths are shown to the user (messages, screens, reports)."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_DIR_ENV = "CALLSCRIPT_CONFIG_DIR"


def config_dir() -> Path:
    """``$CALLSCRIPT_CONFIG_DIR``, or the user's config directory for callscript (settings, flows)."""
    if os.environ.get(CONFIG_DIR_ENV):
        return Path(os.environ[CONFIG_DIR_ENV])
    from platformdirs import user_config_path  # lazy: only needed when a user file is read

    return user_config_path("callscript")



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
