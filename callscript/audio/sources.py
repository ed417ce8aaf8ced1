"""Where the audio comes from: a sounddevice input, or a WAV file standing in for the line.

Every source yields 16 kHz mono int16 numpy blocks, whatever the device or file gives.
``open_device_source`` and ``WavSource`` raise ``AudioUnavailable`` (a ``CallscriptError``) with a
message that says what is missing and how to fix it: no PortAudio, no such device, a file that
cannot be read. A device that stops delivering audio mid-call (unplugged) makes ``blocks()`` raise
``AudioUnavailable`` too, after ``stall_seconds`` without data.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callscript.audio import SAMPLE_RATE
from callscript.errors import CallscriptError


class AudioUnavailable(CallscriptError):
    """Audio input cannot be used; the message says why and the hint how to fix it."""


PORTAUDIO_HINT = ("install PortAudio (Debian/Ubuntu: sudo apt-get install libportaudio2; macOS: brew install "
                  "portaudio); the call goes on by keyboard meanwhile")


def import_sounddevice():  # noqa: ANN201 - the sounddevice module
    """``import sounddevice``, or ``AudioUnavailable`` naming what is missing."""
    from callscript import portaudio

    try:
        sounddevice = portaudio.load()
    except OSError as exc:  # the wheel has no PortAudio on Linux: "PortAudio library not found"
        raise AudioUnavailable(f"audio input is not available: PortAudio is not installed ({exc})",
                               hint=PORTAUDIO_HINT) from None
    except ImportError as exc:
        raise AudioUnavailable(f"audio input is not available: the sounddevice package is missing ({exc})",
                               hint="pip install 'callscript[audio]'") from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    """An input device as sounddevice lists it."""

    index: int
    name: str
    channels: int
    rate: float
    hostapi: str
    default: bool


def input_devices() -> list[InputDevice]:
    """Every device with at least one input channel."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        default_in = sd.default.device[0] if sd.default.device else -1
        hostapis = sd.query_hostapis()
    except Exception as exc:  # PortAudioError
        raise AudioUnavailable(f"cannot list audio devices ({exc})", hint=PORTAUDIO_HINT) from None
    found = []
    for index, info in enumerate(devices):
        if info.get("max_input_channels", 0) > 0:
            api = hostapis[info["hostapi"]]["name"] if info.get("hostapi") is not None else ""
            found.append(InputDevice(index, info["name"], int(info["max_input_channels"]),
                                     float(info["default_samplerate"]), api, index == default_in))
    return found


def choose_device(spec: str | int | None) -> InputDevice:
    """The input device named by ``spec``: an index, a (case-insensitive) part of its name, or
    None for the system default."""
    devices = input_devices()
    if not devices:
        raise AudioUnavailable("no audio input device was found",
                               hint="plug in a headset or microphone (or start the softphone), then try again; "
                                    "'callscript run --list-devices' lists what is there")
    if spec is None or spec == "":
        default = next((d for d in devices if d.default), None)
        return default or devices[0]
    text = str(spec).strip()
    if text.isdigit():
        match = next((d for d in devices if d.index == int(text)), None)
        if match:
            return match
    else:
        exact = [d for d in devices if d.name.lower() == text.lower()]
        matches = exact or [d for d in devices if text.lower() in d.name.lower()]
        if len(matches) >= 1:
            return matches[0]
    listing = "; ".join(f"{d.index}: {d.name}" for d in devices)
    raise AudioUnavailable(f"no input device matches '{spec}'", hint=f"input devices here: {listing}")


class DeviceSource:
    """Audio from a sounddevice input, at the device's own rate, resampled to 16 kHz mono.

    ``blocks()`` yields numpy int16 arrays; it raises ``AudioUnavailable`` when the device stops
    delivering for ``stall_seconds`` (unplugged) or its stream fails.
    """

    def __init__(self, device: str | int | None = None, *, block_seconds: float = 0.03,
                 stall_seconds: float = 2.0) -> None:
        from callscript.resample import Resampler

        self.device = choose_device(device)
        self.rate = int(self.device.rate) or SAMPLE_RATE
        self.channels = 1 if self.device.channels < 2 else 2  # a softphone loopback may be stereo
        self.block_seconds = block_seconds
        self.stall_seconds = stall_seconds
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=400)
        self._resampler = Resampler(self.rate)
        self._stream = None
        self._closed = threading.Event()
        self.overflows = 0

    @property
    def name(self) -> str:
        return self.device.name

    def open(self) -> None:
        sd = import_sounddevice()

        def callback(indata, frames, time_info, status) -> None:  # noqa: ANN001 - PortAudio's signature
            if status.input_overflow:
                self.overflows += 1
            try:
                self._queue.put_nowait(indata.copy())
            except queue.Full:
                self.overflows += 1

        def finished() -> None:
            self._queue.put(None)

        try:
            self._stream = sd.InputStream(device=self.device.index, samplerate=self.rate, channels=self.channels,
                                          dtype="int16", blocksize=max(1, int(self.rate * self.block_seconds)),
                                          callback=callback, finished_callback=finished)
            self._stream.start()
        except Exception as exc:  # PortAudioError and friends
            raise AudioUnavailable(f"cannot open the input device '{self.device.name}' ({exc})",
                                   hint="check that it is plugged in and not used exclusively by another program") from None

    def blocks(self) -> Iterator[Any]:
        if self._stream is None:
            self.open()
        while not self._closed.is_set():
            try:
                block = self._queue.get(timeout=self.stall_seconds)
            except queue.Empty:
                if self._closed.is_set():
                    return
                raise AudioUnavailable(
                    f"the input device '{self.device.name}' stopped delivering audio (unplugged?)",
                    hint="plug it back in; listening resumes by itself when the device is back") from None
            if block is None:
                if self._closed.is_set():
                    return
                raise AudioUnavailable(f"the input device '{self.device.name}' was closed by the system (unplugged?)",
                                       hint="plug it back in; listening resumes by itself when the device is back")
            out = self._resampler.process(block)
            if len(out):  # the resampler's filter may hold a whole short block back
                yield out

    def close(self) -> None:
        self._closed.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001 - a dead device may fail to close; nothing to do
                pass


class WavSource:
    """A sound file standing in for the line: played in real time (``realtime=True``, for
    ``--line-audio``) or as fast as possible (for ``callscript listen``)."""

    def __init__(self, path: str | os.PathLike[str], *, realtime: bool = True, block_seconds: float = 0.03,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.block_seconds = block_seconds
        self._clock = clock
        self._sleep = sleep
        self._closed = threading.Event()
        self._file = self._open()
        self.rate = int(self._file.samplerate)
        self.duration = self._file.frames / self.rate if self._file.frames else 0.0

    @property
    def name(self) -> str:
        return str(self.path)

    def _open(self):  # noqa: ANN202 - soundfile.SoundFile
        if not self.path.is_file():
            raise AudioUnavailable(f"no such audio file: {self.path}", hint="check the path")
        try:
            import soundfile
        except (ImportError, OSError) as exc:
            raise AudioUnavailable(f"cannot read audio files: soundfile/libsndfile is missing ({exc})",
                                   hint="pip install 'callscript[audio]'") from None
        try:
            return soundfile.SoundFile(str(self.path))
        except Exception as exc:  # soundfile.LibsndfileError (RuntimeError)
            raise AudioUnavailable(f"{self.path} is not an audio file that can be read ({exc})",
                                   hint="use a WAV (or FLAC/OGG) file; convert with: sox IN -r 16000 -c 1 OUT.wav") from None

    def open(self) -> None:
        """Nothing to open: the file was opened by the constructor (so errors show early)."""

    def blocks(self) -> Iterator[Any]:
        from callscript.resample import Resampler

        resampler = Resampler(self.rate)
        size = max(1, int(self.rate * self.block_seconds))
        start = self._clock()
        played = 0
        try:
            while not self._closed.is_set():
                data = self._file.read(size, dtype="int16", always_2d=True)
                if len(data) == 0:
                    break
                if self.realtime:
                    played += len(data)
                    delay = start + played / self.rate - self._clock()
                    if delay > 0:
                        self._sleep(delay)
                out = resampler.process(data)
                if len(out):  # the resampler's filter may hold a whole short block back
                    yield out
            if not self._closed.is_set():
                rest = resampler.flush()
                if len(rest):
                    yield rest
        finally:
            self._file.close()

    def close(self) -> None:
        self._closed.set()


PULSE_PREFIX = "pulse:"  # an input named "pulse:SOURCE" is that PulseAudio source, read with parec


class PulseSource:
    """Audio from a PulseAudio source by name (``softphone.monitor``: what the softphone plays),
    read with ``parec`` at 16 kHz mono, so any number of sources can be heard at once whatever
    PortAudio's one ``pulse`` device is set to.

    ``blocks()`` raises ``AudioUnavailable`` when parec cannot start, exits (the source went away,
    the sound server stopped) or delivers nothing for ``stall_seconds``.
    """

    def __init__(self, source: str, *, block_seconds: float = 0.03, stall_seconds: float = 2.0) -> None:
        import shutil

        self.source = source
        self.block_bytes = int(SAMPLE_RATE * block_seconds) * 2
        self.stall_seconds = stall_seconds
        self._closed = threading.Event()
        self._process: Any = None
        self._parec = shutil.which("parec")
        if self._parec is None:
            raise AudioUnavailable(f"cannot hear the PulseAudio source '{source}': parec is not installed",
                                   hint="install pulseaudio-utils (Debian/Ubuntu: sudo apt-get install pulseaudio-utils)")

    @property
    def name(self) -> str:
        return PULSE_PREFIX + self.source

    def open(self) -> None:
        import subprocess

        command = [self._parec, "-d", self.source, "--raw", "--format=s16le", f"--rate={SAMPLE_RATE}",
                   "--channels=1", "--latency-msec=20"]
        try:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise AudioUnavailable(f"cannot start parec for '{self.source}' ({exc})",
                                   hint="check the pulseaudio-utils installation") from None

    def _gone(self) -> AudioUnavailable:
        process = self._process
        error = ""
        if process is not None and process.poll() is not None and process.stderr is not None:
            lines = process.stderr.read().decode(errors="replace").strip().splitlines()
            error = f" ({lines[-1]})" if lines else ""
        return AudioUnavailable(f"the PulseAudio source '{self.source}' stopped delivering audio{error}",
                                hint="check that the sound server runs and the source exists (pactl list short sources); "
                                     "listening resumes by itself when it is back")

    def blocks(self) -> Iterator[Any]:
        import numpy as np

        if self._process is None:
            self.open()
        process = self._process
        chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=400)

        def pump() -> None:  # a blocking read cannot time out: a thread turns it into a queue
            stream = process.stdout
            while True:
                data = stream.read1(self.block_bytes) if hasattr(stream, "read1") else stream.read(self.block_bytes)
                if not data:
                    chunks.put(None)
                    return
                chunks.put(data)

        threading.Thread(target=pump, name="callscript-parec", daemon=True).start()
        pending = b""
        # An idle null sink's monitor starts delivering only after about 2 s: the first block may
        # take longer than a stall.
        timeout = max(self.stall_seconds, 5.0)
        while not self._closed.is_set():
            try:
                data = chunks.get(timeout=timeout)
                timeout = self.stall_seconds
            except queue.Empty:
                if self._closed.is_set():
                    return
                raise self._gone() from None
            if data is None:
                if self._closed.is_set():
                    return
                process.wait(timeout=2)
                raise self._gone()
            pending += data
            usable = len(pending) - len(pending) % 2
            if usable:
                yield np.frombuffer(pending[:usable], dtype="<i2").copy()
                pending = pending[usable:]

    def close(self) -> None:
        self._closed.set()
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2)
            except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired: make sure it goes
                process.kill()


def open_input(spec: str | int | None) -> DeviceSource | PulseSource:
    """The input ``spec`` names: ``pulse:SOURCE`` for a PulseAudio source, else a device."""
    if isinstance(spec, str) and spec.startswith(PULSE_PREFIX):
        return PulseSource(spec[len(PULSE_PREFIX):])
    return DeviceSource(spec)
