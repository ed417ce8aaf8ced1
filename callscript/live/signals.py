"""Typed signals: what the listener reports about the line, and how each device is doing.

The audio layer runs on its own threads and reports through plain callbacks; the app turns each
report into one of the small frozen dataclasses here and gives it to the ``LiveCall`` on the UI
thread. Nothing in this module imports Textual, audio or speech code, so the listener adapter, the
headless call and the screens all share one vocabulary:

- line signals (``LineCondition``, ``Transcript``, ``Level``): what the caller's line (or the
  agent's microphone, for ``agent_*`` conditions) did, at the clock time it was fed;
- device health (``Part``, ``Trouble``, ``DeviceProblem``, ``Health``): which part is missing,
  since when, and how to fix it. The UI translates the part and the trouble at the edge; the
  problem's own ``message``/``fix`` (technical English) go to the help dialog in full.
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
    (``part.<value>``) and its name in the help dialog."""

    LINE = "input"  # the caller's line (a device, or --line-audio)
    AGENT_MIC = "agent_mic"  # the agent's own microphone
    RECOGNITION = "recognition"  # the speech model
    VOCABULARY = "vocabulary"  # heard: words the model does not know
    OUTPUT = "output"  # an audio output device for demonstrations
    SYNTHESIS = "synthesis"  # a speech engine for demonstrations
    DEMONSTRATION = "demonstration"  # the last demonstration failed
    RECORDING = "recording"  # the line audio could not be recorded
    CHECK = "check"  # the capability check itself failed


# Parts that deliver audio: once heard during a call, a later problem means the device was lost
# and the agent must plug it back in now.
AUDIO_INPUTS = (Part.LINE, Part.AGENT_MIC)


class Trouble(str, Enum):
    """What is wrong with a part."""

    MISSING = "missing"  # never worked in this session (not installed, no device)
    LOST = "lost"  # delivered audio during the call, then failed (unplugged)
    DEGRADED = "degraded"  # works, but less well (a vocabulary warning)


@dataclass(frozen=True)
class DeviceProblem:
    """One part's problem: ``message`` says what failed, ``fix`` how to fix it (both technical
    English from the adapter, shown in full by the help dialog)."""

    part: Part
    message: str
    fix: str = ""
    degraded: bool = False  # a warning: the part works, less well

    def full(self) -> str:
        return self.message + (f" ({self.fix})" if self.fix else "")


@dataclass(frozen=True)
class PartStatus:
    """A part that is not well: what, since when (clock time) and the problem to show."""

    part: Part
    trouble: Trouble
    since: float
    problem: DeviceProblem


class Health:
    """How every part is doing now, for the banner (one widget renders it).

    ``report`` records a problem; ``delivered`` records that an audio input delivered audio
    (its problem is over, and a later one means the device was lost). Times come from the
    caller's clock.
    """

    def __init__(self) -> None:
        self._problems: dict[Part, tuple[float, DeviceProblem]] = {}
        self._heard: set[Part] = set()

    def report(self, problem: DeviceProblem, at: float) -> bool:
        """Record ``problem``; True when what the banner shows changed."""
        previous = self._problems.get(problem.part)
        if previous is not None and previous[1] == problem:
            return False
        self._problems[problem.part] = (previous[0] if previous else at, problem)
        return True

    def delivered(self, part: Part) -> bool:
        """``part`` delivered audio: its problem is over. True when the banner changed."""
        self._heard.add(part)
        return self._problems.pop(part, None) is not None

    def clear(self, part: Part) -> bool:
        return self._problems.pop(part, None) is not None

    def new_call(self) -> None:
        """A new call: a device counts as lost only once this call has heard it."""
        self._heard.clear()

    def problem(self, part: Part) -> DeviceProblem | None:
        found = self._problems.get(part)
        return found[1] if found else None

    def statuses(self) -> list[PartStatus]:
        """Every part that is not well, in ``Part`` order."""
        out = []
        for part in Part:
            if part not in self._problems:
                continue
            since, problem = self._problems[part]
            if part in AUDIO_INPUTS and part in self._heard:
                trouble = Trouble.LOST
            elif problem.degraded:
                trouble = Trouble.DEGRADED
            else:
                trouble = Trouble.MISSING
            out.append(PartStatus(part, trouble, since, problem))
        return out


__all__ = [
    "AUDIO_INPUTS", "DeviceProblem", "Health", "Level", "LineCondition", "LineSignal", "Part", "PartStatus",
    "Transcript", "Trouble",
]
