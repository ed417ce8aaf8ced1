"""Playback through sounddevice to an explicit output device, stoppable from any thread.

The device is always the caller's choice (``None`` is the system default): on a live call the app
passes the agent's headset, so a demonstration is never played into the call.

Two PortAudio behaviours measured on the ALSA ``pulse``/``default`` devices shape this module:

- the first output stream a process opens starts 0.2-1.2 s late; every later one starts in about
  10 ms, whatever its sample rate. ``warm_up()`` plays 50 ms of silence once per process and device
  (in a background thread, when the speaker is built) so that the first demonstration is prompt;
- with large buffers the stream can report "finished" before the audio has left the device, and
  closing it then cuts the end of the line. ``Playback.wait()`` therefore also waits until the
  clip's own duration plus the stream's latency has passed since the first sample went out.

sounddevice (and numpy) are imported only when something is played.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError

if TYPE_CHECKING:  # pragma: no cover
    from callscript.speech.clip import Clip, DecodingClip

Device = int | str | None

PORTAUDIO_HINT = "install PortAudio (sudo apt-get install libportaudio2) and the audio extra (pip install 'callscript[audio]')"


class OutputUnavailable(CallscriptError):
    """No way to play sound here: no PortAudio, no sounddevice, or no such output device."""


def import_sounddevice() -> Any:
    """The sounddevice module, or ``OutputUnavailable`` saying what is missing."""
    from callscript import portaudio

    try:
        sounddevice = portaudio.load()
    except OSError as exc:  # the wheel does not bundle PortAudio on Linux
        raise OutputUnavailable(f"no audio output: PortAudio is missing ({exc})", hint=PORTAUDIO_HINT) from None
    except ImportError:
        raise OutputUnavailable("no audio output: the sounddevice package is not installed", hint=PORTAUDIO_HINT) from None
    return sounddevice


def parse_device(value: int | str | None) -> Device:
    """A device as settings and command lines give it: empty for the default, digits for an index."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isdigit() else value


def _which(device: Device) -> str:
    return "the default output device" if device is None else f"output device {device!r}"


def _output_info(sd: Any, device: Device) -> Any:
    """PortAudio's description of output ``device``; ``OutputUnavailable`` if there is no such device."""
    try:
        return sd.query_devices(device, "output")
    except (ValueError, sd.PortAudioError) as exc:
        none = "" if sd.query_devices() else "; PortAudio sees no audio devices at all"
        raise OutputUnavailable(
            f"{_which(device)} is not available ({exc}{none})",
            hint="plug in a headset, or list the devices with 'python -m sounddevice' and set "
            "output_device (or --device) to one of them",
        ) from None


def describe_device(device: Device) -> str:
    """The output device's name as PortAudio knows it; ``OutputUnavailable`` if there is no such device."""
    return str(_output_info(import_sounddevice(), device)["name"])


_warm: set[str] = set()
_warm_lock = threading.Lock()


def warm_up(device: Device = None) -> None:
    """Open, play 50 ms of silence on, and close ``device`` once per process (blocks ~0.1-1.2 s).

    Without it the first demonstration would start up to a second late (see module docstring).
    """
    key = repr(device)
    with _warm_lock:
        if key in _warm:
            return
        import numpy as np

        from callscript.speech.clip import Clip

        playback = Playback(Clip(np.zeros(1102, dtype=np.float32), 22050, "warm-up"), device)
        playback.start()
        playback.wait(timeout=5.0)
        _warm.add(key)


class Playback:
    """One clip playing on one output device.

    ``start()`` opens the stream and returns at once; ``wait()`` blocks until the sound has ended
    (or was stopped) and releases the device; ``stop()`` may be called from any thread.
    ``requested_at``/``first_audio_at`` (``time.perf_counter``) and ``latency`` (seconds of
    device buffering) give the time to first sound.
    """

    def __init__(self, clip: Clip | DecodingClip, device: Device = None) -> None:
        self.clip = clip
        self._decoding = hasattr(clip, "available")
        self.device = device
        self.requested_at = time.perf_counter()
        self.first_audio_at: float | None = None
        self.latency = 0.0
        self.samplerate = clip.samplerate
        self._samples = clip.samples
        self._channels = 1
        self._position = 0
        self._stopped = threading.Event()
        self._finished = threading.Event()
        self._stream: Any = None
        self._lock = threading.Lock()

    # -- the PortAudio side ---------------------------------------------------------------------

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        sd = self._sd
        if self._stopped.is_set():
            outdata.fill(0)
            raise sd.CallbackAbort
        clip = self.clip
        decoding = self._decoding
        available = clip.available if decoding else len(self._samples)
        samples = clip.samples if decoding else self._samples
        chunk = samples[self._position : min(self._position + frames, available)]
        count = len(chunk)
        outdata[:count] = chunk[:, None] if self._channels == 1 else chunk[:, None].repeat(self._channels, 1)
        outdata[count:] = 0
        if count and self.first_audio_at is None:
            self.first_audio_at = time.perf_counter()
        self._position += count
        if count < frames and (not decoding or (clip.done.is_set() and self._position >= clip.available)):
            raise sd.CallbackStop
        # else: the decoder is behind (it runs ~1000x real time, so only in theory): a gap of silence

    def _open(self, samplerate: int, channels: int) -> Any:
        sd = self._sd
        return sd.OutputStream(
            device=self.device,
            samplerate=samplerate,
            channels=channels,
            dtype="float32",
            latency="low",
            callback=self._callback,
            finished_callback=self._finished.set,
        )

    def start(self) -> Playback:
        """Open the device and start playing; ``OutputUnavailable`` if the device cannot play."""
        self._sd = sd = import_sounddevice()
        attempts: list[str] = []
        stream = None
        try:
            stream = self._open(self.samplerate, 1)
        except (sd.PortAudioError, ValueError) as exc:
            attempts.append(f"{self.samplerate} Hz mono: {exc}")
            # Some hardware devices accept only their own rate, or only stereo.
            default_rate = int(_output_info(sd, self.device)["default_samplerate"])
            if self._decoding:  # resampling needs the whole clip
                self.clip = self.clip.wait(10.0)
                self._decoding = False
            from callscript.resample import resample

            try:
                self._samples = resample(self.clip.samples, self.clip.samplerate, default_rate)
            except CallscriptError as missing:  # no soxr: this device cannot play the clip here
                raise OutputUnavailable(f"{_which(self.device)} refuses {self.samplerate} Hz and {missing.message}",
                                        hint=missing.hint) from None
            self.samplerate = default_rate
            for channels in (1, 2):
                try:
                    stream = self._open(default_rate, channels)
                    self._channels = channels
                    break
                except (sd.PortAudioError, ValueError) as exc3:
                    attempts.append(f"{default_rate} Hz, {channels} channel(s): {exc3}")
        if stream is None:
            raise OutputUnavailable(f"cannot play on {_which(self.device)}: " + "; ".join(attempts),
                                    hint="choose another output_device in the settings")
        with self._lock:
            self._stream = stream
            self.latency = float(stream.latency)
            if self._stopped.is_set():
                self._finished.set()
                return self
            stream.start()
        return self

    # -- the caller's side ----------------------------------------------------------------------

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """Stop now (any thread); the callback ends the stream within one buffer (~10 ms).

        The stream is not aborted from here: ``Pa_AbortStream`` from another thread racing the
        callback's own abort left ``Pa_CloseStream`` blocked for seconds (ALSA host API). The
        device is released by ``wait()``.
        """
        self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the clip has been heard to its end, or was stopped; then release the device.

        Returns True when it played to the end, False when stopped or timed out.
        """
        limit = self.clip.seconds + self.latency + 5.0 if timeout is None else timeout
        deadline = time.perf_counter() + limit
        while not self._finished.is_set() and not self._stopped.is_set():
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            self._finished.wait(min(0.05, remaining))
        if self._stopped.is_set():
            self._finished.wait(0.5)  # the callback aborts at its next buffer
        elif self.first_audio_at is not None:
            # The stream may say "finished" while its last buffers are still in the device.
            heard_by = self.first_audio_at + self.clip.seconds + self.latency + 0.02
            while not self._stopped.is_set() and time.perf_counter() < min(heard_by, deadline):
                self._stopped.wait(min(0.05, max(0.0, heard_by - time.perf_counter())))
        completed = not self._stopped.is_set() and self._finished.is_set() and time.perf_counter() <= deadline
        self.close()
        return completed

    def close(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close(ignore_errors=True)
            except Exception:  # noqa: BLE001
                pass


def play(clip: Clip, device: Device = None, *, wait: bool = True) -> Playback:
    """Play ``clip`` on ``device``; with ``wait`` block until it has been heard to its end."""
    playback = Playback(clip, device).start()
    if wait:
        playback.wait()
    return playback
