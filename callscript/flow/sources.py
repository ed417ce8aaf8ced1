"""Where flows come from: the built-in ones, and the trainer's own beside them.

Flows are read from folders, in this order:

1. ``built-in``: the flows shipped inside the package (``callscript/data/flows``);
2. ``user``: the ``flows`` folder in the user's config directory
   (``platformdirs.user_config_path('callscript')/flows``, or ``$CALLSCRIPT_CONFIG_DIR/flows``),
   when it exists;
3. ``$CALLSCRIPT_FLOWS``: folders named in that variable (separated like ``PATH``);
4. ``--flows``: folders named on the command line.

The folders after the first *extend* the built-in flows. A flow whose id is already a built-in
one is an error, unless the flow says ``override: true``: then it replaces the built-in flow, with
a warning (see ``callscript.flow.library``). No Textual, audio or settings import here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from callscript.errors import CallscriptError
from callscript.paths import config_dir, display_path

FLOWS_ENV = "CALLSCRIPT_FLOWS"
BUILTIN = "built-in"
USER = "user"
ENV = "$" + FLOWS_ENV
OPTION = "--flows"


@dataclass(frozen=True)
class FlowFolder:
    """A folder of flows, and where callscript was told about it (one of the labels above)."""

    path: Path
    origin: str

    @property
    def builtin(self) -> bool:
        return self.origin == BUILTIN


_option_dirs: list[Path] = []


def use_flow_dirs(dirs: list[Path]) -> None:
    """The ``--flows DIR`` folders of this command (the CLI calls this before a command runs)."""
    _option_dirs[:] = [Path(d) for d in dirs]


def builtin_flows_dir() -> Path:
    """The flows shipped with callscript."""
    from callscript.data import builtin_flows_dir as shipped

    return shipped()


def user_flows_dir() -> Path:
    """The trainer's own flows folder in the user config directory (it may not exist yet)."""
    return config_dir() / "flows"


def flow_folders() -> list[FlowFolder]:
    """Every folder flows are read from, built-in first. A folder named in ``$CALLSCRIPT_FLOWS`` or
    with ``--flows`` must exist (a typo must not silently leave flows out); the user folder is
    read only when it exists."""
    folders = [FlowFolder(builtin_flows_dir(), BUILTIN)]
    user = user_flows_dir()
    if user.is_dir():
        folders.append(FlowFolder(user, USER))
    named = [(Path(p), ENV) for p in os.environ.get(FLOWS_ENV, "").split(os.pathsep) if p]
    named += [(p, OPTION) for p in _option_dirs]
    seen = {f.path.resolve() for f in folders}
    for path, origin in named:
        if not path.is_dir():
            what = "is not a folder" if path.exists() else "does not exist"
            hint = (f"fix or unset {FLOWS_ENV}" if origin == ENV else "name a folder of flow files (*.yaml)")
            raise CallscriptError(f"the flows folder {display_path(path)} {what} (from {origin})", hint=hint)
        if path.resolve() not in seen:  # the same folder named twice is read once
            seen.add(path.resolve())
            folders.append(FlowFolder(path, origin))
    return folders
