"""Streaming conversion of any input to 16 kHz mono int16, the rate webrtcvad and Vosk work at.

Devices open at their own rate (44.1 or 48 kHz for most sound cards and softphone loopbacks), so
the audio must be brought down to 16 kHz. Linear interpolation would be the smallest code, but
it does not low-pass first: everything between 8 and 24 kHz in a 48 kHz capture (hiss, clicks,
a softphone's comfort noise) would fold back into the speech band and raise the very noise floor
the analysis calibrates on. So this is a small rational polyphase resampler instead: a
Kaiser-windowed sinc low-pass at 0.9 x 8 kHz, applied only at the output instants (the usual
polyphase trick, ``up`` phases of ``taps`` coefficients), vectorised with numpy. It keeps a short
history between blocks so block boundaries are seamless, and needs no scipy.
"""

from __future__ import annotations

from math import gcd
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

    ``process(block)`` takes mono float32 or int16 samples and returns mono int16 at 16 kHz.
    """

    def __init__(self, rate: int, *, zero_crossings: int = 8, beta: float = 8.0) -> None:
        import numpy as np

        if rate <= 0:
            raise ValueError(f"bad sample rate {rate}")
        self.rate = int(rate)
        g = gcd(self.rate, TARGET_RATE)
        self.up = TARGET_RATE // g
        self.down = self.rate // g
        self.passthrough = self.up == self.down
        if self.passthrough:
            return
        # The prototype filter runs at rate*up; its cut-off sits below the lower Nyquist of the two.
        span = max(self.up, self.down)
        self.taps = max(2, int(np.ceil(2 * zero_crossings * span / self.up)))
        length = self.taps * self.up
        n = np.arange(length) - (length - 1) / 2
        cutoff = 0.9 / (2 * span)  # cycles per sample at rate*up
        proto = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(length, beta)
        proto *= self.up / proto.sum() * 1.0  # unity gain at DC after zero-stuffing
        # phases[p, k] = proto[p + k*up]; reversed so a window of past samples is a plain dot.
        self._phases = proto.reshape(self.taps, self.up).T[:, ::-1].astype(np.float32).copy()
        self._history = np.zeros(self.taps - 1, dtype=np.float32)
        # Position of the next output sample in rate*up units, counted from the history's start: the
        # first output lines up with the first real input sample (the history starts as zeros).
        self._next = (self.taps - 1) * self.up

    def process(self, block: Any) -> Any:
        import numpy as np
        from numpy.lib.stride_tricks import sliding_window_view

        samples = to_mono_float(block)
        if self.passthrough:
            return float_to_int16(samples)
        buf = np.concatenate([self._history, samples])
        # Output n needs input index i = pos // up (the newest sample used), i >= taps-1, i < len(buf).
        last = len(buf) - 1
        first_pos = self._next
        count = 0 if last < self.taps - 1 else max(0, (last * self.up - first_pos) // self.down + 1)
        if count:
            pos = first_pos + np.arange(count, dtype=np.int64) * self.down
            idx = pos // self.up
            phase = pos % self.up
            windows = sliding_window_view(buf, self.taps)[idx - (self.taps - 1)]
            out = np.einsum("ij,ij->i", windows, self._phases[phase])
            self._next = first_pos + count * self.down
        else:
            out = np.zeros(0, dtype=np.float32)
        # Keep the last taps-1 samples; shift the output position to the new history start.
        keep = self.taps - 1
        drop = len(buf) - keep
        self._history = buf[drop:].copy()
        self._next -= drop * self.up
        return float_to_int16(out)

