"""Device health as typed values: which part, in what state since when, why, and how to fix it.

Every adapter that can find a part missing (the listener, the speaker, the doctor's checks, the
team store's outbox, the softphone) says so with a ``DeviceHealth``: the ``Part`` it is about,
its ``State``, the clock time it began, a ``reason`` that is a message id of the interface
catalogs (``health.<...>``: what happened and how to fix it, with its ``fields``), and the
library's own words (``detail``, technical English) for the help dialog. The adapter sets the
reason where it knows the cause; nothing downstream reads the English text to find out.

A leaf module (standard library only), so the audio, speech, team and softphone adapters and the
doctor can all import it without importing each other or the live call. ``HealthBoard`` keeps the
latest report of each part for the app; the app's banner widget renders it in the interface
language and the help dialog (F1) lists each problem with its fix and its details.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class Part(str, Enum):
    """A part of callscript that can be missing or fail, in the order the banner names them.
    The value is its catalog key: ``part.<value>`` names it ("no audio input")."""

    LINE = "input"  # the caller's line (a device, or --line-audio)
    AGENT_MIC = "agent_mic"  # the agent's own microphone
    RECOGNITION = "recognition"  # the speech model
    VOCABULARY = "vocabulary"  # heard: words the model does not know
    OUTPUT = "output"  # the headset that demonstrations play on
    SYNTHESIS = "synthesis"  # speech synthesis (espeak-ng, pyttsx3)
    DEMONSTRATION = "demonstration"  # the last demonstration failed
    RECORDING = "recording"  # the call's line audio is not being recorded, or a clip is unreadable
    STORE = "store"  # finished calls wait for the team store
    SOFTPHONE = "softphone"  # the agent's telephone
    CHECK = "check"  # the capability check itself failed


class State(str, Enum):
    """How a part is doing. Only ``MISSING``, ``LOST`` and ``DEGRADED`` are problems."""

    CHECKING = "checking"  # being probed: not known yet (the banner stays neutral)
    MISSING = "missing"  # not there, or never worked in this call
    LOST = "lost"  # delivered during the call, then went away: the agent must act now
    DEGRADED = "degraded"  # works, less well
    OK = "ok"  # works (again)


PROBLEM_STATES = frozenset({State.MISSING, State.LOST, State.DEGRADED})

# Parts that deliver audio: once heard during a call, a later problem means the device was lost.
AUDIO_INPUTS = (Part.LINE, Part.AGENT_MIC)


@dataclass(frozen=True)
class DeviceHealth:
    """One report about one part (see the module docstring).

    ``reason`` is a catalog id (``health.no_input_device``) whose text says what happened and how
    to fix it, filled with ``fields``; ``detail`` is the library's own message, shown under it in
    the help dialog; ``since`` is the clock time it began (the app stamps it when the adapter did
    not know the time).
    """

    part: Part
    state: State
    reason: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""
    since: float | None = None

    @property
    def is_problem(self) -> bool:
        return self.state in PROBLEM_STATES

    @property
    def degraded(self) -> bool:
        return self.state is State.DEGRADED

    def at(self, since: float) -> DeviceHealth:
        """This report stamped with ``since`` (kept when it already has a time)."""
        return self if self.since is not None else replace(self, since=since)


def missing(part: Part, reason: str, detail: str = "", **fields: Any) -> DeviceHealth:
    """A part that is not there (the common case, in one line at the adapter)."""
    return DeviceHealth(part, State.MISSING, reason, fields, detail)


def lost(part: Part, reason: str, detail: str = "", **fields: Any) -> DeviceHealth:
    """A part that worked and went away."""
    return DeviceHealth(part, State.LOST, reason, fields, detail)


def degraded(part: Part, reason: str, detail: str = "", **fields: Any) -> DeviceHealth:
    """A part that works, less well."""
    return DeviceHealth(part, State.DEGRADED, reason, fields, detail)


class HealthBoard:
    """What the app knows now: the latest report of each part from each origin (the listener
    and the doctor may both speak of the line). Pure bookkeeping, no UI."""

    def __init__(self) -> None:
        self._reports: dict[tuple[Part, str], DeviceHealth] = {}

    def report(self, health: DeviceHealth, *, origin: str) -> bool:
        """File ``health`` from ``origin``; an ``OK`` report clears that origin's. True when what
        is shown changes."""
        key = (health.part, origin)
        before = self._reports.get(key)
        if health.state is State.OK:
            return self._reports.pop(key, None) is not None
        if before is not None and before.state is health.state and before.reason == health.reason:
            health = replace(health, since=before.since)  # the same problem again: since when it began
        self._reports[key] = health
        return before != health

    def clear(self, part: Part, origin: str | None = None) -> bool:
        """The part works: forget its reports (only ``origin``'s, when given). True if any."""
        keys = [key for key in self._reports if key[0] is part and (origin is None or key[1] == origin)]
        for key in keys:
            del self._reports[key]
        return bool(keys)

    def get(self, part: Part) -> DeviceHealth | None:
        """The report shown for ``part`` (a problem before a check in progress), or None."""
        found = [h for (p, _), h in self._reports.items() if p is part]
        return min(found, key=_urgency) if found else None

    def __contains__(self, part: object) -> bool:
        return any(p is part for p, _ in self._reports)

    def __iter__(self) -> Iterator[DeviceHealth]:
        """Every report, in banner order (parts), the most urgent of a part first."""
        order = list(Part)
        return iter(sorted(self._reports.values(), key=lambda h: (order.index(h.part), _urgency(h))))

    def problems(self) -> list[DeviceHealth]:
        return [h for h in self if h.is_problem]

    def parts(self, states: Iterable[State] = PROBLEM_STATES) -> list[Part]:
        """The parts with a report in one of ``states``, in banner order, each once."""
        wanted = set(states)
        return list(dict.fromkeys(h.part for h in self if h.state in wanted))


def _urgency(health: DeviceHealth) -> int:
    return (State.LOST, State.MISSING, State.DEGRADED, State.CHECKING, State.OK).index(health.state)


__all__ = ["AUDIO_INPUTS", "DeviceHealth", "HealthBoard", "PROBLEM_STATES", "Part", "State", "degraded", "lost",
           "missing"]
