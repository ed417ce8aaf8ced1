"""Typed signals: what the listener reports about the line, and how each device is doing.

The audio layer runs on its own threads and reports through plain callbacks; the app turns each
report into one of the small frozen dataclasses here and gives it to the ``LiveCall`` on the UI
thread. Nothing in this module imports Textual, audio or speech code, so the listener adapter, the
headless call and the screens all share one vocabulary:

- line signals (``LineCondition``, ``Transcript``, ``Level``): what the caller's line (or the
  agent's microphone, for ``agent_*`` conditions) did, at the clock time it was fed;
- device problems (``Part``, ``DeviceProblem``): which part is missing and the text that says
  why and how to fix it. The UI names the part in the interface language at the edge (the
  banner); the text itself (technical English) goes to the help dialog in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


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


class Part(str, Enum):
    """A part of callscript that can be missing or fail. The value is its catalog key
    (``part.<value>``): the banner names it in the interface language."""

    LINE = "input"  # the caller's line (a device, or --line-audio)
    AGENT_MIC = "agent_mic"  # the agent's own microphone
    RECOGNITION = "recognition"  # the speech model
    VOCABULARY = "vocabulary"  # heard: words the model does not know
    CHECK = "check"  # the capability check itself failed


# Parts that deliver audio: once heard during a call, a later problem means the device was lost
# and the agent must plug it back in now.
AUDIO_INPUTS = (Part.LINE, Part.AGENT_MIC)


class DeviceProblem(str):
    """A listening problem: the text for the help dialog (technical English, with its fix), and
    which part it is about, typed, so that nothing downstream reads the text to find out.

    A ``str`` so that a sink that only shows or logs problems keeps working unchanged.
    """

    part: Part
    degraded: bool  # a warning: the part works, less well

    def __new__(cls, text: str, part: Part, *, degraded: bool = False) -> DeviceProblem:
        problem = super().__new__(cls, text)
        problem.part = part
        problem.degraded = degraded
        return problem


__all__ = ["AUDIO_INPUTS", "DeviceProblem", "Level", "LineCondition", "LineSignal", "Part", "Transcript"]
