"""Level measurements on int16 (or float) sample arrays, for assertions about captured audio.

All functions take a 1-D numpy array of samples at :data:`tests.support.pulse.RATE` unless told.
Levels are in dBFS: 0 dB is a full-scale square wave, digital silence is ``-inf``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FRAME = 480  # 30 ms at 16 kHz
SILENCE_DBFS = -50.0  # frames quieter than this count as silent


def _as_float(x: np.ndarray) -> np.ndarray:
    import numpy as np

    x = np.asarray(x)
    return x.astype(np.float64) / 32768.0 if x.dtype.kind in "iu" else x.astype(np.float64)


def rms(x: np.ndarray) -> float:
    """Root mean square in int16 units (32768 = full scale), for int or float input alike."""
    import numpy as np

    f = _as_float(x)
    return float(np.sqrt(np.mean(f * f)) * 32768.0) if f.size else 0.0


def dbfs(x: np.ndarray) -> float:
    """RMS level in dBFS (``-inf`` for digital silence)."""
    value = rms(x) / 32768.0
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def frame_dbfs(x: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """Level of each whole ``frame``-sample frame, in dBFS."""
    import numpy as np

    f = _as_float(x)
    n = f.size // frame
    frames = f[: n * frame].reshape(n, frame)
    power = np.mean(frames * frames, axis=1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power)


def active_level(x: np.ndarray, rate: int = 16000) -> float:
    """Active speech level in dBFS, by ITU-T P.56 method B (the speech voltmeter): the level of
    the samples where a smoothed envelope (30 ms, with 200 ms of hangover) is above a threshold
    15.9 dB under that level. The reference the line analysis's own estimate is checked against:
    it follows the recommendation sample by sample, where the analysis works on 30 ms frames."""
    import numpy as np

    f = _as_float(x)
    if not f.size or not np.any(f):
        return -math.inf
    g = math.exp(-1.0 / (rate * 0.03))
    envelope = np.empty(f.size)
    p = q = 0.0
    for i, value in enumerate(np.abs(f).tolist()):  # two one-pole smoothers in a row, as P.56 has
        p = g * p + (1 - g) * value
        q = g * q + (1 - g) * p
        envelope[i] = q
    energy = float(np.sum(f * f))
    hangover = round(rate * 0.2)
    index = np.arange(f.size)
    previous_delta = previous_a = None
    for j in range(16):  # thresholds 2^-15 .. 1, a factor 2 (6 dB) apart
        c = 2.0 ** (j - 15)
        above = envelope >= c
        if not above.any():
            break
        last = np.maximum.accumulate(np.where(above, index, -hangover - 1))
        active = int(np.count_nonzero(index - last <= hangover))
        a = 10 * math.log10(energy / active)
        delta = a - 20 * math.log10(c)
        if delta <= 15.9:
            if previous_delta is None:
                return a
            share = (previous_delta - 15.9) / (previous_delta - delta)  # between the two thresholds
            return previous_a + share * (a - previous_a)
        previous_delta, previous_a = delta, a
    return previous_a if previous_a is not None else -math.inf


def active_fraction(x: np.ndarray, threshold_dbfs: float = SILENCE_DBFS, frame: int = FRAME) -> float:
    """Share of frames louder than ``threshold_dbfs``."""
    levels = frame_dbfs(x, frame)
    return float((levels > threshold_dbfs).mean()) if levels.size else 0.0


def active_span(x: np.ndarray, threshold_dbfs: float = SILENCE_DBFS, frame: int = FRAME) -> tuple[int, int] | None:
    """First and last sample (end exclusive) of the frames louder than ``threshold_dbfs``."""
    import numpy as np

    active = np.flatnonzero(frame_dbfs(x, frame) > threshold_dbfs)
    if active.size == 0:
        return None
    return int(active[0]) * frame, (int(active[-1]) + 1) * frame


UNDERRUN_SLACK = 0.5  # s: the silence underruns may add inside a line played in real time on a busy machine


def heard_whole(heard_seconds: float, played_seconds: float, *, edges: float = 0.12) -> bool:
    """What came off the line lasts as long as what was played: not shorter (beyond ``edges``
    seconds, where a fade-in or fade-out falls under the threshold), and longer only by the few
    ms of silence each underrun of real-time playback inserts (0.18 s over 6 s was seen at load)."""
    return played_seconds - edges <= heard_seconds <= played_seconds + UNDERRUN_SLACK


def locate(haystack: np.ndarray, needle: np.ndarray) -> tuple[int, float]:
    """Where ``needle`` best matches inside ``haystack``: (offset, normalised correlation 0..1).

    FFT cross-correlation; the score is the cosine similarity of the needle and the aligned
    piece of the haystack, so 1.0 means the same samples up to a gain.
    """
    import numpy as np

    h = _as_float(haystack)
    n = _as_float(needle)
    if n.size == 0 or h.size < n.size:
        return 0, 0.0
    size = 1 << (h.size + n.size - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(h, size) * np.conj(np.fft.rfft(n, size)), size)[: h.size - n.size + 1]
    offset = int(np.argmax(corr))
    piece = h[offset : offset + n.size]
    denom = float(np.linalg.norm(piece) * np.linalg.norm(n))
    return offset, (float(np.dot(piece, n)) / denom if denom else 0.0)


def found_in(haystack: np.ndarray, needle: np.ndarray, piece: int = 8000) -> float:
    """How well ``needle`` is found in ``haystack``, ``piece`` samples at a time: the median of each
    piece's :func:`locate` score. Real-time playback on a busy machine may underrun, inserting a few
    milliseconds of silence that would shift everything after it out of one whole-needle match."""
    import numpy as np

    starts = range(0, max(1, len(needle) - piece + 1), piece)
    return float(np.median([locate(haystack, needle[start:start + piece])[1] for start in starts]))


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    """The frequency (Hz) with the most energy."""
    import numpy as np

    f = _as_float(x)
    spectrum = np.abs(np.fft.rfft(f * np.hanning(f.size)))
    return float(np.fft.rfftfreq(f.size, 1.0 / rate)[int(np.argmax(spectrum))])
