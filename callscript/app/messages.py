"""Messages that reach the app from other threads: the listener, the speaker, the doctor.

Listeners run in their own threads and report through plain callbacks (``ports.LineSink``);
``AppLineSink`` turns each callback into one of these messages with ``post_message``, which is
safe from any thread. Messages are named for what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from callscript.app.ports import Capability, Listener, Speaker
from callscript.health import DeviceHealth, Part


@dataclass(eq=False)
class LineConditionDetected(Message):
    """The listener noticed a line condition (``silence``, ``speech_started`` ...)."""

    name: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class SpeechTranscribed(Message):
    """Speech recognition produced text (``final`` once the phrase is over)."""

    text: str
    final: bool


@dataclass(eq=False)
class LevelMeasured(Message):
    """The line's level now. A newer level supersedes one not yet shown."""

    rms_dbfs: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LevelMeasured)


@dataclass(eq=False)
class ListeningFailed(Message):
    """Listening stopped or degraded (the part, why, since when); the call goes on by keyboard."""

    health: DeviceHealth


@dataclass(eq=False)
class CapabilitiesChecked(Message):
    """The doctor has checked what this machine can do."""

    items: Sequence[Capability]


@dataclass(eq=False)
class SpeakerReady(Message):
    """The speaker was built (or could not be: ``speaker`` None and ``problem`` says why)."""

    speaker: Speaker | None
    problem: DeviceHealth | None = None


@dataclass(eq=False)
class DemonstrationFinished(Message):
    """A demonstration has ended: played through (``completed``), stopped, or failed (``error``
    says what failed and how to fix it)."""

    text: str
    completed: bool
    error: str | None = None
    failed: Part | None = None  # the part that failed (the output, synthesis, a recording)


@dataclass(eq=False)
class ListenerStarted(Message):
    """The listener was built and started (or ``problem`` says why not)."""

    listener: Listener | None
    problem: DeviceHealth | None = None
    matcher: Any = None  # the listener's tolerant ``heard:`` matcher for the engine, if it has one


@dataclass(eq=False)
class LineAudioArrived(Message):
    """The line's first block of audio reached the listener's tap during ``call``: only now is
    its recording opened (an input that never delivers leaves no empty file and no record)."""

    call: Any


@dataclass(eq=False)
class RecordsNoticed(Message):
    """Something the user must know about where call records go: a log that cannot be written
    where it belongs (``callscript.session.log.LogTrouble``) or a folder made private
    (``callscript.privacy.Tightened``). Posted from whichever thread wrote."""

    event: Any


class AppLineSink:
    """A ``ports.LineSink`` that posts every report to the app as a message (any thread)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def condition(self, name: str, detail: dict[str, Any]) -> None:
        self._target.post_message(LineConditionDetected(name, dict(detail or {})))

    def transcript(self, text: str, final: bool) -> None:
        self._target.post_message(SpeechTranscribed(text, bool(final)))

    def level(self, rms_dbfs: float) -> None:
        self._target.post_message(LevelMeasured(float(rms_dbfs)))

    def problem(self, health: DeviceHealth) -> None:
        self._target.post_message(ListeningFailed(health))


def first_block(arrived: Callable[[], None]) -> Callable[[Any], None]:
    """A listener tap that records nothing: on the first block (any thread) it calls ``arrived``
    once, and ignores the rest until the app replaces it with the recording."""
    told = threading.Event()

    def tap(block: Any) -> None:
        if not told.is_set():
            told.set()
            arrived()

    return tap
