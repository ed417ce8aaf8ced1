"""Typed signals: what the listener reports about the line, and how each device is doing.

The audio layer runs on its own threads and reports through plain callbacks; the app turns each
report into one of the small frozen dataclasses here and gives it to the ``LiveCall`` on the UI
thread. Nothing in this module imports Textual, audio or speech code, so the listener adapter, the
headless call and the screens all share one vocabulary:

- line signals (``LineCondition``, ``Transcript``, ``Level``): what the caller's line (or the
  agent's microphone, for ``agent_*`` conditions) did, at the clock time it was fed;
- device health (``DeviceHealth`` with its ``Part`` and ``State``): which part is missing, lost
  or degraded since when, why and how to fix it as a catalog id, and the library's own words. It
  is defined in the leaf module ``callscript.health`` (the audio and speech adapters, the doctor
  and the team outbox report it without importing the live call) and re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callscript.health import AUDIO_INPUTS, DeviceHealth, Part, State


@dataclass(frozen=True)
class LineCondition:
    """A line condition (``speech_started``, ``silence``, ``low_volume`` ...). ``agent_said`` and
    ``agent_forbidden`` come from the agent's own microphone."""

    name: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def from_agent(self) -> bool:
        return self.name.startswith("agent_")


@dataclass(frozen=True)
class Transcript:
    """Recognised speech: partial text while the caller speaks, then ``final``."""

    text: str
    final: bool


@dataclass(frozen=True)
class Level:
    """The line's level now in dBFS (finite; -90 and below is silence)."""

    dbfs: float


LineSignal = LineCondition | Transcript | Level


__all__ = ["AUDIO_INPUTS", "DeviceHealth", "Level", "LineCondition", "LineSignal", "Part", "State", "Transcript"]
