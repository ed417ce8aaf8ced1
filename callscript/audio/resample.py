"""Streaming conversion of any input to 16 kHz mono int16, the rate webrtcvad and Vosk work at.

Devices open at their own rate (44.1 or 48 kHz for most sound cards and softphone loopbacks, 8 kHz
for some telephone lines), so the audio must be brought to 16 kHz. The conversion must low-pass
first: everything between 8 and 24 kHz in a 48 kHz capture (hiss, clicks, a softphone's comfort
noise) would otherwise fold back into the speech band and raise the very noise floor the analysis
calibrates on. libsoxr (python-soxr) does that, block by block, in its default high quality: it
keeps its own history between blocks, so block boundaries are seamless. It holds back about 20 ms
of output for its filter (a block may come out empty); :meth:`Resampler.flush` gives the rest at
the end of a stream.
"""

from __future__ import annotations

from typing import Any

TARGET_RATE = 16000


def to_mono_float(block: Any) -> Any:
    """A block of samples (frames x channels, or 1-D; int16 or float) as mono float32 in [-1, 1]."""
    import numpy as np

    data = np.asarray(block)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    elif data.dtype.kind == "i":
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
    else:
        data = data.astype(np.float32, copy=False)
    if data.ndim == 2:
        data = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return data


def float_to_int16(data: Any) -> Any:
    import numpy as np

    return (np.clip(data, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)


class Resampler:
    """Converts a stream at ``rate`` Hz to 16 kHz, block by block (any block length).

    ``process(block)`` takes mono or multi-channel float32 or int16 samples and returns mono
    int16 at 16 kHz; ``flush()`` returns what the filter still holds once the stream has ended.
    """

    def __init__(self, rate: int) -> None:
        if rate <= 0:
            raise ValueError(f"bad sample rate {rate}")
        self.rate = int(rate)
        self._stream = None
        if self.rate != TARGET_RATE:
            import soxr

            self._stream = soxr.ResampleStream(self.rate, TARGET_RATE, 1, dtype="float32")

    def process(self, block: Any) -> Any:
        samples = to_mono_float(block)
        if self._stream is None:
            return float_to_int16(samples)
        return float_to_int16(self._stream.resample_chunk(samples))

    def flush(self) -> Any:
        """The output still held by the filter, for the end of a stream (after it, start anew)."""
        import numpy as np

        if self._stream is None:
            return np.zeros(0, dtype=np.int16)
        return float_to_int16(self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))


def resample_clip(samples: Any, rate: int) -> Any:
    """A whole clip (not a stream) at 16 kHz mono int16: every sample, none held back."""
    import numpy as np

    resampler = Resampler(rate)
    return np.concatenate([resampler.process(samples), resampler.flush()])
