"""Audio in memory: a mono clip, loaded from or saved to WAV/FLAC/Ogg, with gain and trimming.

``louder`` is the "agent too quiet" demonstration: the same line raised by +3 dB, with a soft
limiter so that the raise never clips (espeak-ng peaks near -1.5 dBFS, so +3 dB alone would).
``trim_silence`` cuts the dead air a trainer leaves before and after a recorded line.

numpy and soundfile are imported inside the functions.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

LOUDER_DB = 3.0
LIMIT = 0.95  # the limiter keeps peaks at or below this (about -0.4 dBFS)
KNEE = 0.75  # samples below this pass unchanged
OGG_COMPRESSION = 0.6  # libsndfile Vorbis 0 (best) .. 1 (smallest): ~60 kbit/s, ample for a voice
FORMATS = {".ogg": ("OGG", "VORBIS"), ".flac": ("FLAC", "PCM_16"), ".wav": ("WAV", "PCM_16")}


@dataclass(frozen=True)
class Clip:
    """Mono float32 samples in -1..1 at ``samplerate``; ``source`` says where they came from."""

    samples: np.ndarray
    samplerate: int
    source: str = ""

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.samplerate

    def with_samples(self, samples: np.ndarray) -> Clip:
        return replace(self, samples=samples)


def load_clip(path: str | Path, source: str = "") -> Clip:
    """Read a WAV, FLAC or Ogg file as a mono clip; a ``CallscriptError`` if it cannot be read."""
    import numpy as np
    import soundfile as sf

    path = Path(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise CallscriptError(f"cannot read audio file: {exc}", where=str(path),
                              hint="re-render it with 'callscript audio render' or record it again") from None
    if data.shape[0] == 0:
        raise CallscriptError("the audio file holds no audio", where=str(path),
                              hint="re-render it with 'callscript audio render' or record it again")
    samples = data.mean(axis=1).astype(np.float32) if data.shape[1] > 1 else data[:, 0].copy()
    return Clip(samples, int(rate), source or str(path))


class DecodingClip:
    """A clip file decoded in a background thread, so playback can start on its first block.

    Decoding the longest library clip (13.7 s of Ogg Vorbis) takes 10-60 ms, most of the 50 ms
    budget for the first sound; its first 0.2 s take about 1 ms. ``samples`` is allocated at the
    full length up front and filled in order; ``available`` frames are ready, ``done`` is set at
    the end (``error`` then says if decoding failed). ``transform`` (a gain, say) is applied to
    each block as it is decoded.
    """

    FIRST_SECONDS = 0.2
    BLOCK_SECONDS = 1.0

    def __init__(self, path: str | Path, transform: Any = None, source: str = "") -> None:
        import numpy as np
        import soundfile as sf

        self.path = Path(path)
        self.source = source or str(path)
        self._transform = transform
        self.error: str | None = None
        self.done = threading.Event()
        try:
            self._file = sf.SoundFile(str(self.path))
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise CallscriptError(f"cannot read audio file: {exc}", where=str(self.path),
                                  hint="re-render it with 'callscript audio render' or record it again") from None
        self.samplerate = int(self._file.samplerate)
        self.samples = np.zeros(max(0, self._file.frames), dtype=np.float32)
        self.available = 0
        self._read(int(self.FIRST_SECONDS * self.samplerate))
        if self.available == 0:
            self._file.close()
            raise CallscriptError("the audio file holds no audio", where=str(self.path),
                                  hint="re-render it with 'callscript audio render' or record it again")
        threading.Thread(target=self._rest, name="clip-decoder", daemon=True).start()

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.samplerate

    def _read(self, frames: int) -> int:
        block = self._file.read(frames, dtype="float32", always_2d=True)
        count = min(block.shape[0], len(self.samples) - self.available)
        if count <= 0:
            return 0
        data = block[:count].mean(axis=1) if block.shape[1] > 1 else block[:count, 0]
        if self._transform is not None:
            data = self._transform(data)
        self.samples[self.available : self.available + count] = data
        self.available += count
        return count

    def _rest(self) -> None:
        try:
            while self.available < len(self.samples):
                if self._read(int(self.BLOCK_SECONDS * self.samplerate)) == 0:
                    break  # the header promised more than the file holds: play what there is
            self.samples = self.samples[: self.available]
        except Exception as exc:  # noqa: BLE001 - reported through .error; playback ends early
            self.error = f"decoding {self.path} failed: {exc}"
            self.samples = self.samples[: self.available]
        finally:
            self._file.close()
            self.done.set()

    def wait(self, timeout: float | None = None) -> Clip:
        """The whole clip, once decoded."""
        self.done.wait(timeout)
        return Clip(self.samples[: self.available], self.samplerate, self.source)


def save_clip(clip: Clip, path: str | Path) -> None:
    """Write ``clip`` as Ogg Vorbis, FLAC or WAV by the file's extension (written atomically)."""
    import soundfile as sf

    path = Path(path)
    try:
        fmt, subtype = FORMATS[path.suffix.lower()]
    except KeyError:
        raise CallscriptError(
            f"cannot write {path.suffix or 'a file without extension'}", where=str(path),
            hint="use .ogg, .flac or .wav",
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    extra = {"compression_level": OGG_COMPRESSION} if fmt == "OGG" else {}
    try:
        sf.write(str(tmp), clip.samples, clip.samplerate, format=fmt, subtype=subtype, **extra)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def gain(clip: Clip, db: float) -> Clip:
    """``clip`` raised (or lowered) by ``db`` decibels, soft-limited so that it never clips."""
    factor = 10 ** (db / 20)
    return clip.with_samples(soft_limit(clip.samples * factor))


def scale(clip: Clip, factor: float) -> Clip:
    """``clip`` multiplied by ``factor`` (a volume setting of 0..1), soft-limited."""
    if math.isclose(factor, 1.0):
        return clip
    return clip.with_samples(soft_limit(clip.samples * factor))


def louder(clip: Clip, db: float = LOUDER_DB) -> Clip:
    """The "agent too quiet" demonstration: +``db`` dB with clipping protection."""
    return gain(clip, db)


def soft_limit(samples: np.ndarray) -> np.ndarray:
    """Pass samples below ``KNEE`` unchanged; bend larger ones smoothly towards ``LIMIT``.

    A tanh knee rather than a hard clip: no flat-topped waveform (which sounds like a crackle), and
    the loudness gain of a +3 dB raise survives because only the rare peaks are touched.
    """
    import numpy as np

    x = np.asarray(samples, dtype=np.float32)
    magnitude = np.abs(x)
    over = magnitude > KNEE
    if not over.any():
        return x
    room = LIMIT - KNEE
    bent = KNEE + room * np.tanh((magnitude[over] - KNEE) / room)
    out = x.copy()
    out[over] = np.sign(x[over]) * bent
    return out.astype(np.float32)


def trim_silence(clip: Clip, *, floor_dbfs: float = -45.0, above_noise_db: float = 12.0, pad: float = 0.15) -> Clip:
    """``clip`` without the silence before the first and after the last sound (keeping ``pad`` s).

    Sound is a 20 ms frame louder than both ``floor_dbfs`` and the recording's own noise floor
    (its quietest tenth) plus ``above_noise_db``: a hissy microphone's noise is not "sound".
    Raises ``CallscriptError`` when nothing in the clip is louder than that.
    """
    import numpy as np

    from callscript.speech.checks import frame_levels

    size = max(1, int(0.02 * clip.samplerate))
    levels = frame_levels(clip.samples, clip.samplerate)
    finite = levels[np.isfinite(levels)]
    noise = float(np.percentile(finite, 10)) if finite.size else -120.0
    threshold = max(floor_dbfs, noise + above_noise_db)
    loud = np.flatnonzero(levels > threshold)
    if loud.size == 0:
        raise CallscriptError(
            "nothing was heard in the recording",
            hint="check the microphone (callscript audio record shows a level meter) and speak closer to it",
        )
    padding = int(pad * clip.samplerate)
    start = max(0, int(loud[0]) * size - padding)
    end = min(len(clip.samples), (int(loud[-1]) + 1) * size + padding)
    return clip.with_samples(clip.samples[start:end].copy())
