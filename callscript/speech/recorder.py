"""Recording a trainer's voice through sounddevice, with a live level for a meter.

``Recorder`` captures mono float32 from an input device in PortAudio's callback thread, keeps the
level of the latest block for a meter, and stops when told or after ``max_seconds``. The command
``callscript audio record`` adds the meter, the retake loop and the trimming
(``callscript.speech.clip.trim_silence``).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from callscript.errors import CallscriptError
from callscript.speech.clip import Clip
from callscript.speech.playback import Device, import_sounddevice


class InputUnavailable(CallscriptError):
    """The input device cannot be opened."""


def meter(dbfs: float, width: int = 30, floor: float = -60.0) -> str:
    """A text level meter: ``[#########.........]  -23 dBFS``."""
    filled = 0 if math.isinf(dbfs) else int(round(width * max(0.0, min(1.0, (dbfs - floor) / -floor))))
    shown = "  -inf" if math.isinf(dbfs) else f"{dbfs:6.1f}"
    return f"[{'#' * filled}{'.' * (width - filled)}] {shown} dBFS"


class Recorder:
    """Captures one take from ``device`` (``None``: the default input) at ``samplerate``.

    ``samplerate=None`` uses the device's own default rate (resampling by the host is avoided).
    """

    def __init__(self, device: Device = None, samplerate: int | None = None, max_seconds: float = 60.0) -> None:
        self.device = device
        self.samplerate = samplerate
        self.max_seconds = max_seconds
        self.level_dbfs = -math.inf
        self.peak = 0.0
        self._blocks: list[Any] = []
        self._frames = 0
        self._done = threading.Event()
        self._stream: Any = None
        self.started_at: float | None = None

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        import numpy as np

        block = indata[:, 0].copy()
        self._blocks.append(block)
        self._frames += frames
        power = float(np.mean(np.square(block, dtype=np.float64))) if frames else 0.0
        self.level_dbfs = 10 * math.log10(power) if power > 0 else -math.inf
        self.peak = max(self.peak, float(np.max(np.abs(block))) if frames else 0.0)
        if self._frames >= self.max_seconds * self._rate:
            self._done.set()
            raise self._sd.CallbackStop

    def start(self) -> Recorder:
        self._sd = sd = import_sounddevice()
        try:
            rate = self.samplerate or int(sd.query_devices(self.device, "input")["default_samplerate"])
            self._rate = rate
            self._stream = sd.InputStream(
                device=self.device, samplerate=rate, channels=1, dtype="float32",
                callback=self._callback, finished_callback=self._done.set,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            which = "the default input device" if self.device is None else f"input device {self.device!r}"
            raise InputUnavailable(
                f"cannot record from {which} ({exc})",
                hint="list the devices with 'python -m sounddevice' and pass --device",
            ) from None
        self.started_at = time.monotonic()
        return self

    @property
    def seconds(self) -> float:
        return self._frames / self._rate if self._stream is not None else 0.0

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def stop(self) -> Clip:
        """Stop capturing and return the take (untrimmed)."""
        import numpy as np

        if self._stream is not None:
            try:
                self._stream.stop(ignore_errors=True)
            finally:
                self._stream.close(ignore_errors=True)
        samples = np.concatenate(self._blocks) if self._blocks else np.zeros(0, dtype=np.float32)
        samples = samples[: int(self.max_seconds * self._rate)]  # the last block may run over
        return Clip(samples.astype(np.float32), self._rate, "recording")

    def record_for(self, seconds: float) -> Clip:
        """Start, capture ``seconds`` of audio, and return it."""
        self.max_seconds = seconds
        self.start()
        self._done.wait(seconds + 10.0)
        return self.stop()
