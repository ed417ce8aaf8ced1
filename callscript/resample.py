"""Sample-rate conversion, the one way callscript does it: with libsoxr (python-soxr).

Three places need another rate than the one a sound comes at:

- listening: devices open at their own rate (44.1 or 48 kHz for most sound cards and softphone
  loopbacks, 8 kHz for some telephone lines), and webrtcvad and Vosk work at 16 kHz. ``Resampler``
  converts such a stream block by block;
- playing: a headset that refuses a clip's rate gets the clip at its own rate (``resample``);
- the drill's caller: espeak-ng speaks at 22.05 kHz, a phone line carries 16 kHz (``resample``).

The conversion must low-pass first. Everything between 8 and 24 kHz in a 48 kHz capture (hiss,
clicks, a softphone's comfort noise) would otherwise fold back into the speech band and raise the
very noise floor the analysis calibrates on; a linear interpolation does no such filtering. libsoxr
does, in its default high quality. A stream keeps the filter's history between blocks, so block
boundaries are seamless; it holds back about 20 ms of output for its filter (a block may come out
empty), and :meth:`Resampler.flush` gives the rest at the end of a stream.

soxr comes with the ``audio`` and ``training`` extras; where it is missing, resampling is a
``CallscriptError`` that says which extra to install (no second, lesser resampler). numpy and soxr
are imported when something is resampled (soxr adds about 3 ms to numpy's import).
"""

from __future__ import annotations

from typing import Any

from callscript.errors import CallscriptError

TARGET_RATE = 16000  # what the listening side works at


def _soxr() -> Any:
    try:
        import soxr
    except ImportError:
        raise CallscriptError("converting the sample rate of a sound needs the soxr package, which is not installed",
                              hint="pip install 'callscript[audio]'") from None
    return soxr


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


def resample(samples: Any, rate_in: int, rate_out: int) -> Any:
    """A whole clip at ``rate_out``: mono float32 in [-1, 1], ``round(len * rate_out / rate_in)``
    samples, none held back. ``samples`` as for :func:`to_mono_float`."""
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError(f"bad sample rate {rate_in} -> {rate_out}")
    data = to_mono_float(samples)
    if rate_in == rate_out:
        return data
    return _soxr().resample(data, rate_in, rate_out)


def resample_clip(samples: Any, rate: int) -> Any:
    """A whole clip (not a stream) at 16 kHz mono int16, as the listening side hears it."""
    return float_to_int16(resample(samples, rate, TARGET_RATE))


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
            self._stream = _soxr().ResampleStream(self.rate, TARGET_RATE, 1, dtype="float32")

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
