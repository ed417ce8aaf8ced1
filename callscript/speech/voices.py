"""Which synthetic voice speaks which flow language, and the speaking-rate bounds.

Voice ids are espeak-ng identifiers as pyttsx3 lists them (``engine.getProperty('voices')``).
pyttsx3 rejects plain ``cmn``: the Mandarin voice must be named ``sit/cmn``
(see ``../shared/guide/AUDIO-TESTING.md``).
"""

from __future__ import annotations

from callscript.errors import CallscriptError

# Flow language -> espeak-ng voice id.
VOICES: dict[str, str] = {
    "zh-CN": "sit/cmn",
    "en-US": "gmw/en-us",
}

# Words per minute, as pyttsx3/espeak-ng count them (espeak-ng's own default is 175). The rendered
# library is made at DEFAULT_RATE, the default of the ``tts_rate`` setting, so that the library is
# what plays whenever the user keeps the default.
DEFAULT_RATE = 170
MIN_RATE = 80
MAX_RATE = 450  # above this espeak-ng switches to its sonic speed-up and durations stop scaling


def voice_for(language: str) -> str:
    """The voice id for a flow language, or a ``CallscriptError`` naming the supported ones."""
    try:
        return VOICES[language]
    except KeyError:
        raise CallscriptError(
            f"no voice for language {language!r}",
            hint="flows are spoken in " + " or ".join(sorted(VOICES)),
        ) from None


def check_rate(rate: int | None) -> int:
    """``rate`` (or the default when ``None``) if it is a usable rate, else a ``CallscriptError``."""
    if rate is None:
        return DEFAULT_RATE
    if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_RATE <= rate <= MAX_RATE:
        raise CallscriptError(
            f"speech rate {rate!r} is out of range",
            where="settings: tts_rate",
            hint=f"use a whole number of words per minute from {MIN_RATE} to {MAX_RATE} "
            f"(default {DEFAULT_RATE})",
        )
    return rate


def check_volume(volume: float | None) -> float:
    """``volume`` (or 1.0 when ``None``) if it is within 0.05..1.0, else a ``CallscriptError``."""
    if volume is None:
        return 1.0
    if isinstance(volume, bool) or not isinstance(volume, (int, float)) or not 0.05 <= volume <= 1.0:
        raise CallscriptError(
            f"speech volume {volume!r} is out of range",
            where="settings: tts_volume",
            hint="use a number from 0.05 (quiet) to 1.0 (full volume)",
        )
    return float(volume)
