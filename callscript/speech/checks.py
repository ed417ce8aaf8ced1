"""Proof that audio really holds speech for a text: the check every synthesised file passes.

pyttsx3 has been seen writing no file, writing the wrong phrase's file, and ignoring a rate change
(``../shared/guide/AUDIO-TESTING.md``), so nothing it produces is trusted blindly. A render is
accepted only when:

- the file exists and is a complete, valid 16-bit PCM WAV (no truncated data chunk);
- its duration is plausible for the text at the rate it was asked for (bounds below);
- it is not silent: the overall level and the share of "voiced" 20 ms frames are above floors that
  follow the requested volume.

Duration bounds come from measuring espeak-ng (Mandarin ``sit/cmn`` and English ``gmw/en-us``) at
80-450 words per minute: both speak about 2.5-3 "units" a second at rate 175, where a unit is one
Chinese character, one Latin word or one digit, plus a short pause at each punctuation mark and
~0.35 s of end pause, all scaled by the rate. A render is accepted from 0.4x to 2x that nominal
duration (+0.5 s) -- the narrowest margin measured is 1.28x, English at rate 350 -- which catches
an empty, truncated or cut-off render and a file holding another line's audio, while leaving room
for voices and punctuation.

numpy is imported inside the functions that need it.
"""

from __future__ import annotations

import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from callscript.errors import CallscriptError
from callscript.speech.voices import DEFAULT_RATE

REFERENCE_RATE = 175  # the rate the constants below were measured at

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_DIGIT = re.compile(r"[0-9]")
_PAUSE = re.compile(r"[,.!?;:,。!?;:、…]")

UNITS_PER_SECOND = 2.7  # at REFERENCE_RATE, measured (see module docstring)
PAUSE_SECONDS = 0.1
END_PAUSE_SECONDS = 0.35
FRAME_SECONDS = 0.02
LEVEL_FLOOR_DBFS = -40.0  # overall RMS of a render at volume 1.0 is about -20 dBFS
VOICED_FLOOR_DBFS = -45.0  # a 20 ms frame above this counts as sound
VOICED_FRACTION_MIN = 0.3  # espeak renders measure 0.66-0.89; a recording with gaps still > 0.3


class SpeechCheckError(CallscriptError):
    """Audio that was supposed to be speech is missing, corrupt, the wrong length or silent."""


@dataclass(frozen=True)
class SpeechReport:
    """What the check measured: accepted audio carries this with it."""

    seconds: float
    level_dbfs: float
    voiced_fraction: float
    bounds: tuple[float, float]


def speech_units(text: str) -> int:
    """Rough count of spoken units: Chinese characters, Latin words and digits."""
    return len(_CJK.findall(text)) + len(_WORD.findall(text)) + len(_DIGIT.findall(text))


def duration_bounds(text: str, rate: int = DEFAULT_RATE) -> tuple[float, float]:
    """The shortest and longest plausible duration, in seconds, of ``text`` spoken at ``rate``."""
    units = speech_units(text)
    if units == 0:
        raise SpeechCheckError(f"nothing to say in {text!r}", hint="a spoken line needs words")
    speed = rate / REFERENCE_RATE
    pauses = len(_PAUSE.findall(text))
    nominal = (units / UNITS_PER_SECOND + pauses * PAUSE_SECONDS + END_PAUSE_SECONDS) / speed
    return 0.4 * nominal, 2.0 * nominal + 0.5


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate of a 16-bit PCM WAV, checked for completeness."""
    import numpy as np

    path = Path(path)
    if not path.exists():
        raise SpeechCheckError("no audio file was written", where=str(path))
    size = path.stat().st_size
    if size == 0:
        raise SpeechCheckError("the audio file is empty (0 bytes)", where=str(path))
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            data = w.readframes(frames)
    except (wave.Error, EOFError, OSError) as exc:
        raise SpeechCheckError(f"not a valid WAV file ({exc})", where=str(path)) from None
    if width != 2 or not 8000 <= rate <= 192000 or channels < 1:
        raise SpeechCheckError(
            f"unexpected WAV format: {channels} channel(s), {8 * width}-bit, {rate} Hz", where=str(path)
        )
    if frames == 0:
        raise SpeechCheckError("the WAV file holds no audio (0 frames)", where=str(path))
    if len(data) != frames * channels * width:
        got = len(data) // (channels * width)
        raise SpeechCheckError(
            f"the WAV file is truncated: header says {frames} frames, data holds {got}", where=str(path)
        )
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dB relative to full scale (-inf for digital silence)."""
    import numpy as np

    if len(samples) == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def frame_levels(samples: np.ndarray, samplerate: int, frame_seconds: float = FRAME_SECONDS) -> np.ndarray:
    """RMS level in dBFS of each whole frame of ``frame_seconds``."""
    import numpy as np

    size = max(1, int(frame_seconds * samplerate))
    count = len(samples) // size
    if count == 0:
        return np.array([level_dbfs(samples)])
    frames = samples[: count * size].reshape(count, size).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    with np.errstate(divide="ignore"):
        return 20 * np.log10(rms)


def check_speech(
    samples: np.ndarray,
    samplerate: int,
    text: str,
    *,
    rate: int | None = DEFAULT_RATE,
    volume: float = 1.0,
    where: str = "",
) -> SpeechReport:
    """Accept ``samples`` as speech of ``text``, or raise ``SpeechCheckError`` saying why not.

    ``rate=None`` skips the duration bounds against the text (a human recording is not held to a
    synthesiser's pace), but the audio must still last at least 0.3 s and not be silent.
    """
    seconds = len(samples) / samplerate
    if rate is None:
        bounds = (0.3, math.inf)
    else:
        bounds = duration_bounds(text, rate)
    if not bounds[0] <= seconds <= bounds[1]:
        raise SpeechCheckError(
            f"implausible duration {seconds:.2f} s for {text!r}"
            + (f" at rate {rate}" if rate else "")
            + f" (expected {bounds[0]:.2f}-{bounds[1]:.2f} s)",
            where=where,
            hint="the speech engine cut the line short or produced another line's audio",
        )
    volume_db = 20 * math.log10(max(volume, 1e-3))
    level = level_dbfs(samples)
    if level < LEVEL_FLOOR_DBFS + volume_db:
        raise SpeechCheckError(
            f"the audio is silent or nearly so ({level:.1f} dBFS, floor {LEVEL_FLOOR_DBFS + volume_db:.1f})",
            where=where,
            hint="the speech engine produced no sound: check that espeak-ng and its voice data are installed",
        )
    levels = frame_levels(samples, samplerate)
    voiced = float((levels > VOICED_FLOOR_DBFS + volume_db).mean())
    if voiced < VOICED_FRACTION_MIN:
        raise SpeechCheckError(
            f"the audio is mostly silence ({voiced:.0%} of it has sound, at least "
            f"{VOICED_FRACTION_MIN:.0%} expected)",
            where=where,
            hint="the speech engine produced a click or a fragment instead of the line",
        )
    return SpeechReport(seconds=seconds, level_dbfs=level, voiced_fraction=voiced, bounds=bounds)
