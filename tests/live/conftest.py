"""The shipped flows, loaded once for the live call tests."""

from __future__ import annotations

import pytest

from callscript.flow.library import load_flows
from callscript.flow.model import Flow


@pytest.fixture(scope="session")
def shipped_flows() -> dict[str, Flow]:
    return load_flows()
