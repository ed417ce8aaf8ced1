"""What the banner and the help dialog say about device health, in the interface language.

The adapters report ``callscript.health.DeviceHealth`` values (part, state, since, a reason id
and the library's own words); the app files them on a ``HealthBoard``. This module turns the board
into text at the edge, with the app's ``Messages``: the banner names the parts that are missing on
one line (``Keyboard only: no audio input, no speech recognition · F1 for fixes``), gives a line of
its own to a device that was heard during the call and went away (the agent must act now), and
stays neutral ("checking devices") while an audio input is still being probed. The help dialog
(F1) lists each problem: the part, since when, what happened and how to fix it, and the technical
detail beneath. No Textual import here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from callscript.health import AUDIO_INPUTS, DeviceHealth, HealthBoard, Part, State

# A device heard during the call and lost since: its own banner line.
LOST_LINES = {Part.LINE: "banner.line_lost", Part.AGENT_MIC: "banner.mic_lost"}

# A demonstration that failed, in a few words for the call screen's notice, by the part that failed.
SHORT_REASONS = {Part.OUTPUT: "reason.no_output", Part.SYNTHESIS: "reason.no_synthesis",
                 Part.RECORDING: "reason.bad_recording"}
# ... and its full reason (what happened, how to fix it) for the help dialog.
DEMONSTRATION_REASONS = {Part.OUTPUT: "health.no_output_device", Part.SYNTHESIS: "health.no_synthesis",
                         Part.RECORDING: "health.bad_recording"}


def short_reason(part: Part | None) -> str:
    """The ``reason.<id>`` for a demonstration that failed in ``part`` (None: not known)."""
    return SHORT_REASONS.get(part, "reason.failed") if part is not None else "reason.failed"


def failed_part(exc: BaseException) -> Part | None:
    """The part an audio error is about, by its type (the speech adapter's own error classes):
    the output device, or a recording that cannot be read; None when the type does not say."""
    from callscript.app.ports import optional_factory

    for module, name, part in (("callscript.speech.playback", "OutputUnavailable", Part.OUTPUT),
                               ("callscript.speech.speaker", "UnreadableClip", Part.RECORDING)):
        try:
            kind = optional_factory(module, name)
        except Exception:  # noqa: BLE001 - speech installed but broken: the type cannot say
            kind = None
        if isinstance(kind, type) and isinstance(exc, kind):
            return part
    return None


def demonstration_failure(part: Part | None, detail: str) -> DeviceHealth:
    """A demonstration that failed, for the help dialog: the part that failed says why."""
    reason = DEMONSTRATION_REASONS.get(part, "health.demonstration_failed") if part else "health.demonstration_failed"
    return DeviceHealth(Part.DEMONSTRATION, State.DEGRADED, reason, {}, detail)


def probing(health: DeviceHealth, first_seen: float | None, now: float, probe_seconds: float) -> bool:
    """An audio input reported missing within ``probe_seconds`` of the first report: the devices
    are still being probed (a first open that fails is retried), so the banner stays neutral."""
    return (health.part in AUDIO_INPUTS and health.state is State.MISSING and first_seen is not None
            and now - first_seen < probe_seconds)


@dataclass(frozen=True)
class HealthView:
    """What the widget shows: the banner lines, and whether devices are still being checked."""

    lines: tuple[str, ...]
    checking: bool


def banner_view(t: Callable[..., str], board: HealthBoard, *, help_key: str,
                checking: Iterable[Part] = ()) -> HealthView:
    """The banner for ``board``. Parts in ``checking`` are still being probed: named by neither
    line, the banner says "checking devices" while no other problem is shown."""
    checking = set(checking)
    lines: list[str] = []
    named: list[Part] = []
    for part in board.parts():
        health = board.get(part)
        if health is None or part in checking:
            continue
        if health.state is State.LOST and part in LOST_LINES:
            lines.append(t(LOST_LINES[part], key=help_key))
        else:
            named.append(part)
    if named:
        heading = "banner.keyboard_only" if Part.LINE in named else "banner.limited"
        names = t("banner.separator").join(t(f"part.{part.value}") for part in named)
        lines.append(t(heading, parts=names, key=help_key))
    if checking and not lines:
        lines.append(t("banner.checking"))
    return HealthView(tuple(lines), bool(checking))


def help_entries(t: Callable[..., str], reports: Iterable[DeviceHealth]) -> list[tuple[str, str]]:
    """For the help dialog: per problem, the translated line (part, since when, what happened and
    how to fix it) and the technical detail to show beneath it ("" when there is none)."""
    entries = []
    for health in reports:
        since = t("help.since", time=time.strftime("%H:%M:%S", time.localtime(health.since))) \
            if health.since is not None else ""
        reason = t(health.reason, **health.fields) if health.reason else ""
        head = t(f"health.state.{health.state.value}", part=t(f"part.{health.part.value}"), since=since)
        entries.append((f"{head}{reason}", health.detail))
    return entries


__all__ = ["HealthView", "banner_view", "demonstration_failure", "failed_part", "help_entries", "probing", "short_reason"]
