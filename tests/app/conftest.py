"""Fixtures for the app tests: the shipped flows, and an environment that never touches the
user's own settings or session logs."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from callscript.flow.library import load_flows
from callscript.flow.model import Flow


@pytest.fixture(autouse=True)
def private_environment(tmp_path, monkeypatch) -> Iterator[None]:
    """Settings and logs under ``tmp_path``; UTC, so log names made from a fixed wall clock are fixed."""
    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CALLSCRIPT_LOG_DIR", str(tmp_path / "default-logs"))
    monkeypatch.setenv("CALLSCRIPT_LOG_FALLBACK_DIR", str(tmp_path / "fallback-logs"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def shipped_flows() -> dict[str, Flow]:
    """Every built-in flow, loaded as the app loads them."""
    return load_flows()
