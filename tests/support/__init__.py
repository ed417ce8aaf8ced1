"""Helpers shared by the tests: the virtual phone line (``pulse``), level measurements
(``levels``), test recordings (``recordings``), the test PostgreSQL cluster (``postgres``) and
environment variables set for a while (``environment``). Import them as ``tests.support.<module>``.
Nothing here imports numpy at import time, so the engine tests run without it."""

from __future__ import annotations

import os
from pathlib import Path


def skip_or_fail(reason: str) -> None:
    """Skip a test whose system parts are missing; under CI (``CI=true``) fail instead.

    CI runs scripts/setup, which installs every system package, so a missing part there means
    the setup is broken, and a skip would hide it.
    """
    import pytest

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must have it)", pytrace=False)
    pytest.skip(reason)


SEEDS_ENV = "CALLSCRIPT_SEEDS"


def seeds_dir() -> Path:
    """The manuals the flows quote: ``$CALLSCRIPT_SEEDS``, else ``../shared/seeds`` beside the
    repository (where CI puts them). Tests that need them call ``require_seeds()`` first."""
    if os.environ.get(SEEDS_ENV):
        return Path(os.environ[SEEDS_ENV])
    return Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def require_seeds() -> Path:
    """``seeds_dir()``, or skip (fail under CI) saying where the documents are expected: they are
    not part of this repository, so a clone on its own does not have them."""
    seeds = seeds_dir()
    if not any(seeds.glob("[0-9][0-9][0-9]_*.txt")):
        skip_or_fail(f"the source documents the flows quote are not at {seeds}: put the shared/ folder beside "
                     f"this clone, or set {SEEDS_ENV}=DIR")
    return seeds
