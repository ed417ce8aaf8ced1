"""What the call screen needs from the parts outside the app: speaking, listening, the doctor.

These are ``typing.Protocol`` classes only, so this module imports nothing heavy and the adapters
(``callscript.speech``, ``callscript.audio``, ``callscript.doctor``) can be
written, tested and replaced without touching the app. ``make_app`` accepts either an object that
follows the protocol or a zero-argument factory that builds one; a factory is called in a thread
worker the first time the part is needed, so a slow import (pyttsx3, vosk, sounddevice) never
delays the first prompt.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from callscript.health import DeviceHealth


@runtime_checkable
class Speaker(Protocol):
    """Plays the correct phrasing of a line to the agent (never to the caller)."""

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> None:
        """Start saying ``text`` in ``language`` (``zh-CN``/``en-US``); returns at once."""

    def stop(self) -> None:
        """Stop what is being said now, if anything."""

    def problem(self) -> str | None:
        """Why the speaker cannot speak (no engine, no device), or None when it can."""


class LineSink(Protocol):
    """Where a listener reports what it hears. Every method may be called from any thread."""

    def condition(self, name: str, detail: dict[str, Any]) -> None:
        """A line condition (``speech_started``, ``silence``, ``low_volume``, ``noise`` ...)."""

    def transcript(self, text: str, final: bool) -> None:
        """Recognised speech: partial results while the caller speaks, then the final text."""

    def level(self, rms_dbfs: float) -> None:
        """The line's level now, in dBFS (0 is full scale; -90 is silence)."""

    def problem(self, health: DeviceHealth) -> None:
        """Listening has stopped or degraded (device unplugged, model missing ...): a
        ``callscript.health.DeviceHealth`` says which part, why and how to fix it."""


@runtime_checkable
class Listener(Protocol):
    """Listens to the line (and optionally the agent) and reports to a ``LineSink``."""

    def start(self, sink: LineSink) -> None:
        """Open the devices and start reporting; may block briefly (called in a thread worker)."""

    def stop(self) -> None:
        """Stop listening and release the devices."""


@runtime_checkable
class FollowingListener(Protocol):
    """A listener that can be told what the call expects now (``callscript.audio.listener``)."""

    def follow(self, step: Any, say: str | None) -> None:
        """The current step (its ``heard:`` phrases, its forbidden phrasings) and its filled line."""


@runtime_checkable
class Tappable(Protocol):
    """A listener whose line audio can be recorded: ``tap(callback)`` gets every block."""

    def tap(self, callback: Callable[[Any], None] | None) -> None:
        """Give every block of the line's audio to ``callback`` (None: stop)."""


class Capability(Protocol):
    """One line of ``callscript doctor``: a part callscript can use, and how to fix it if absent."""

    name: str
    ok: bool
    detail: str
    fix: str


# A part given to ``make_app``: the object itself, or a factory that builds it (or returns None).
SpeakerSource = Speaker | Callable[[], Speaker | None] | None
# A listener factory takes the language of the call it listens to (``zh-CN``/``en-US``).
ListenerSource = Listener | Callable[[str], Listener | None] | None
DoctorSource = Sequence[Capability] | Callable[[], Sequence[Capability]] | None


def optional_factory(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` when that module exists in this build, else None (never raises ImportError
    for the module itself; an adapter that is present but broken still fails loudly)."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise
    return getattr(loaded, name, None)


def default_doctor() -> Sequence[Capability]:
    """``callscript.doctor.check_capabilities()``, or nothing when the doctor is not built yet."""
    check = optional_factory("callscript.doctor", "check_capabilities")
    return list(check()) if check else []
