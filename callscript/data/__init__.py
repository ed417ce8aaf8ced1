"""The data callscript ships inside the package: the built-in flows and the phrase library.

    callscript/data/flows/            the built-in call flows (one YAML file each)
    callscript/data/audio/            the phrase library: rendered clips, trainers' recordings,
                                      and the caller recordings of the drills (audio/callers/)

Both are read through ``importlib.resources``, so they are found the same way in a source
checkout, an editable install and an installed wheel. A folder is what the readers need (flows
are listed and parsed as files, clips are decoded by path): for a package installed as plain
files that is the package folder itself; for one imported from a zip archive the folder is
copied out once, on first use, and removed when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources.abc
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def data_dir(name: str) -> Path:
    """The folder of packaged data ``name`` (``flows`` or ``audio``), as a real folder."""
    return package_folder(__name__, name)


@cache
def package_folder(package: str, name: str) -> Path:
    """The data folder ``name`` of ``package`` (e.g. ``callscript``'s ``locale``), as a real folder."""
    resource = resources.files(package).joinpath(name)
    if isinstance(resource, Path):
        return resource
    # Not plain files (a zip import): copy the folder out for the life of the process.
    # (resources.as_file takes folders only from Python 3.12 on.)
    target = Path(_extracted.enter_context(tempfile.TemporaryDirectory(prefix="callscript-"))) / name
    _copy(resource, target)
    return target


def _copy(resource: resources.abc.Traversable, target: Path) -> None:
    target.mkdir()
    for child in resource.iterdir():
        if child.is_dir():
            _copy(child, target / child.name)
        else:
            (target / child.name).write_bytes(child.read_bytes())


def source_checkout() -> Path | None:
    """The clone callscript runs from (editable install or ``PYTHONPATH``), or ``None`` when it is
    an installed package: a clone has ``scripts/setup`` and ``pyproject.toml`` beside the package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "scripts" / "setup").is_file() and (root / "pyproject.toml").is_file() else None


def builtin_flows_dir() -> Path:
    """The built-in flows shipped with callscript."""
    return data_dir("flows")


def builtin_audio_dir() -> Path:
    """The phrase library shipped with callscript."""
    return data_dir("audio")
