"""Helpers shared by the tests: the virtual phone line (``pulse``), level measurements
(``levels``) and test recordings (``recordings``). Import them as ``tests.support.<module>``.
Nothing here imports numpy at import time, so the engine tests run without it."""

from __future__ import annotations

import os


def skip_or_fail(reason: str) -> None:
    """Skip a test whose system parts are missing; under CI (``CI=true``) fail instead.

    CI runs scripts/setup, which installs every system package, so a missing part there means
    the setup is broken, and a skip would hide it.
    """
    import pytest

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must have it)", pytrace=False)
    pytest.skip(reason)
