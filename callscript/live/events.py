"""What a ``LiveCall`` tells whoever shows it: small frozen dataclasses, named for what happened.

Subscribers (the call screen, the app's listener wiring, a test) get them synchronously on the
thread that gave the call its input. Every one is a reason to redraw a part of the screen; none
carries text for the agent: the UI translates codes and causes at the edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cause:
    """Why a suggestion was made: the line condition, when the condition began (clock time) and
    the listener's detail (seconds of silence, levels, thresholds)."""

    condition: str
    since: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        value = self.detail.get("seconds")
        return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class Suggestion:
    """A situation the line suggests, and the cause that raised it. It stays only while its
    cause lasts (``LiveCall`` withdraws it when the cause ends)."""

    flow_id: str
    cause: Cause


@dataclass(frozen=True)
class SilenceCount:
    """Silence on the line that is being counted now: since ``since`` (clock time), for
    ``seconds`` so far; ``after`` says where it counts from (``line_said``: the end of the
    agent's line; ``entered``: the entry of a step with no line; ``caller_stopped``: the end of
    the caller's speech; ``noise_ended``: the line went quiet after noise)."""

    since: float
    seconds: float
    after: str


@dataclass(frozen=True)
class StepChanged:
    """The step on screen, its line, its said state or the call's variables changed."""

    flow: str
    step: str


@dataclass(frozen=True)
class SuggestionsChanged:
    """Suggestions were made or withdrawn; ``withdrawn`` lists those whose cause ended."""

    suggestions: tuple[Suggestion, ...]
    withdrawn: tuple[Suggestion, ...] = ()


@dataclass(frozen=True)
class ListeningChanged:
    """The caller started or stopped speaking, a transcript or a level arrived."""


@dataclass(frozen=True)
class Noticed:
    """Something the agent should read once: ``code`` is one of ``forbidden_heard`` (detail:
    ``phrase``), ``situation_running`` and ``situation_unavailable`` (detail: ``flow``),
    ``suggestion_expired`` (detail: ``flow``), ``no_such_event`` (detail: ``number``), ``went_on``
    (detail: ``flow``, the situation the call started on, and ``to``, the flow it goes on in)."""

    code: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VariablesNeeded:
    """The step's line needs values nobody gave yet; ``names`` in the order to ask them."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class CallEnded:
    """The call is over (the flow ended it, or the agent did with ``outcome``)."""

    outcome: str


LiveEvent = StepChanged | SuggestionsChanged | ListeningChanged | Noticed | VariablesNeeded | CallEnded
Subscriber = Callable[[LiveEvent], None]

__all__ = [
    "CallEnded", "Cause", "ListeningChanged", "LiveEvent", "Noticed", "SilenceCount", "StepChanged", "Subscriber",
    "Suggestion", "SuggestionsChanged", "VariablesNeeded",
]
