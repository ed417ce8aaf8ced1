"""What the call screen's banner says about missing parts, in the interface language.

The doctor (capabilities) and the listener/speaker (problems) report in technical English with
their fixes; the help dialog (F1) shows those in full. The banner only names the parts, translated,
on one line (``Keyboard only: no audio input, no speech recognition · F1 for fixes``), and adds a
line of its own only for something the agent must act on now: a device that was heard during the
call and went away. No Textual import here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Banner parts, in the order they are named. Each has a ``part.<name>`` message ("no audio input").
PARTS = ("input", "agent_mic", "recognition", "vocabulary", "output", "synthesis", "demonstration",
         "recording", "store", "softphone", "check")

# A doctor capability -> the parts it stands for (PortAudio missing means no audio either way).
CAPABILITY_PARTS = {
    "audio input": ("input",),
    "audio output": ("output",),
    "PortAudio": ("input", "output"),
    "numpy": ("input",),
    "webrtcvad": ("input",),
    "vosk": ("recognition",),
    "Vosk model": ("recognition",),
    "espeak-ng": ("synthesis",),
    "pyttsx3 espeak driver": ("synthesis",),
}

# A reported problem (``CallscriptApp.problems`` key) -> its part.
PROBLEM_PARTS = {
    "listener": "input",
    "agent microphone": "agent_mic",
    "speech model": "recognition",
    "vocabulary": "vocabulary",
    "speaker": "synthesis",
    "recording": "recording",
    "store": "store",  # finished calls wait in the outbox for the team store
    "softphone": "softphone",
    "doctor": "check",
}

# Problems of a device the call had already heard: the agent must reconnect it now.
LOST_PARTS = {"listener": "banner.line_lost", "agent microphone": "banner.mic_lost"}


def missing_parts(capabilities: Iterable[Any], problems: Mapping[str, str]) -> list[str]:
    """The banner parts that are missing, in banner order, each once. A capability the banner
    does not know is named as the doctor names it."""
    found: list[str] = []
    for capability in capabilities:
        if getattr(capability, "ok", True):
            continue
        found.extend(CAPABILITY_PARTS.get(capability.name, (f"={capability.name}",)))
    found.extend(PROBLEM_PARTS.get(name, f"={name}") for name in problems)
    known = [part for part in PARTS if part in found]
    unknown = list(dict.fromkeys(part for part in found if part not in PARTS))
    return known + unknown


def banner_lines(t: Callable[..., str], capabilities: Iterable[Any], problems: Mapping[str, str], *,
                 help_key: str, heard: Iterable[str] = ()) -> list[str]:
    """The banner: one line per device lost mid-call (parts in ``heard`` had delivered audio),
    then one line naming everything else that is missing. ``t`` is the app's ``Messages``."""
    heard = set(heard)
    lines = [t(message, key=help_key) for name, message in LOST_PARTS.items() if name in problems and name in heard]
    rest = {name: text for name, text in problems.items() if not (name in LOST_PARTS and name in heard)}
    parts = missing_parts(capabilities, rest)
    if parts:
        names = [t(f"part.{part}") if not part.startswith("=") else part[1:] for part in parts]
        heading = "banner.keyboard_only" if "input" in parts else "banner.limited"
        lines.append(t(heading, parts=t("banner.separator").join(names), key=help_key))
    return lines


def speech_reason(message: str) -> str:
    """A short reason id (``reason.<id>`` in the catalog) for a demonstration that failed: the
    agent reads it in their language, F1 has the speaker's own message."""
    lowered = message.lower()
    if any(word in lowered for word in ("not installed", "espeak", "callscript[speech]", "not on path")):
        return "reason.no_synthesis"
    if any(word in lowered for word in ("audio file", "ogg", "decode", "cannot read", "format")):
        return "reason.bad_recording"
    if any(word in lowered for word in ("device", "portaudio", "output", "sounddevice", "stream")):
        return "reason.no_output"
    return "reason.failed"


__all__ = ["banner_lines", "missing_parts", "speech_reason"]
