"""Clocks for the engine. Time is an input: the engine only ever asks a clock what time it is.

The app uses ``MonotonicClock``; ``callscript simulate`` and the tests use ``ManualClock`` and move
it forward themselves, so no test of timing ever sleeps.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Anything that tells monotonic time in seconds."""

    def now(self) -> float: ...


class MonotonicClock:
    """Real time: ``time.monotonic()``."""

    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to: for simulation and tests."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backward)."""
        if seconds < 0:
            raise ValueError("a clock cannot go backward")
        self._now += seconds

    def set(self, when: float) -> None:
        """Move time forward to ``when``."""
        self.advance(max(0.0, when - self._now))
