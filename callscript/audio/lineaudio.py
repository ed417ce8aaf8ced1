"""The call's line audio: recorded next to the session log during a live call, played back in replay.

Recording is opt-in (``record_line_audio`` in the settings). The listener hands every block it
hears (16 kHz mono int16) to a tap; ``LineAudioWriter`` is that tap for one call and writes
``<log>.line.flac`` (lossless, about half the size of WAV, and still readable when the process is
killed mid-call). The session log gets a ``line_audio`` record whose ``t`` is where the file's
first sample falls in the call, so the replay can play it in sync.

``LineAudioPlayer`` plays such a file from any position at 1x, 2x or 4x through sounddevice, as
the speech playback does (``callscript.speech.playback.Playback``). Above 1x the audio is sped up
by averaging each 2 (or 4) samples into one: it plays faster and higher, still recognisable as
the call, always in step with the timeline. Nothing here is needed by the app unless a call is
recorded or a recording replayed; numpy, soundfile and sounddevice are imported inside.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from callscript.audio import SAMPLE_RATE
from callscript.errors import CallscriptError
from callscript.privacy import FILE_MODE, private_dir


class LineAudioWriter:
    """Writes the blocks it is given (any thread) to one FLAC file, until ``close()``."""

    def __init__(self, path: str | Path, samplerate: int = SAMPLE_RATE) -> None:
        import soundfile as sf

        self.path = Path(path)
        self.samplerate = samplerate
        self.frames = 0
        self._lock = threading.Lock()
        fd = None
        try:
            # The caller's voice is personal data: the file is the user's alone from the start.
            private_dir(self.path.parent)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            os.fchmod(fd, FILE_MODE)
            self._file: Any = sf.SoundFile(fd, "w", samplerate=samplerate, channels=1,
                                           format="FLAC", subtype="PCM_16", closefd=True)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            if fd is not None:
                self.path.unlink(missing_ok=True)  # never leave an empty recording behind
            raise CallscriptError(f"cannot record the line audio: {exc}", where=str(self.path),
                                  hint="check that the log folder is writable, or turn off record_line_audio") from None

    def __call__(self, block: Any) -> None:
        with self._lock:
            if self._file is not None:
                self._file.write(block)
                self.frames += len(block)

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate

    def close(self) -> None:
        with self._lock:
            handle, self._file = self._file, None
        if handle is not None:
            handle.close()


def line_audio_path(log_path: str | Path) -> Path:
    """``20260102-030405-main_call.jsonl`` -> ``20260102-030405-main_call.line.flac``."""
    log_path = Path(log_path)
    return log_path.with_name(log_path.stem + ".line.flac")


def speed_up(samples: Any, factor: int) -> Any:
    """``samples`` to be played ``factor`` times faster at the same rate (mean of each group)."""
    if factor <= 1:
        return samples
    usable = len(samples) - len(samples) % factor
    return samples[:usable].reshape(-1, factor).mean(axis=1).astype(samples.dtype)


class LineAudioPlayer:
    """A recorded line, ready to play from any position; one playback at a time.

    ``load()`` reads the file (``CallscriptError`` if it cannot), ``play(position, speed)`` starts
    the sound at ``position`` seconds of the file (``OutputUnavailable`` when there is no output),
    ``stop()`` stops it. ``play`` blocks while the device opens: call it from a thread worker.
    """

    def __init__(self, path: str | Path, device: Any = None) -> None:
        self.path = Path(path)
        self.device = device
        self.samples: Any = None
        self.samplerate = SAMPLE_RATE
        self._playback: Any = None
        self._lock = threading.Lock()

    def load(self) -> LineAudioPlayer:
        from callscript.speech.clip import load_clip

        clip = load_clip(self.path, "line audio")
        self.samples, self.samplerate = clip.samples, clip.samplerate
        return self

    @property
    def seconds(self) -> float:
        return 0.0 if self.samples is None else len(self.samples) / self.samplerate

    def play(self, position: float, speed: float = 1.0) -> bool:
        """Play from ``position`` (seconds into the file); False when there is nothing left there."""
        from callscript.speech.clip import Clip
        from callscript.speech.playback import Playback

        self.stop()
        start = max(0, int(round(position * self.samplerate)))
        if self.samples is None or start >= len(self.samples):
            return False
        samples = speed_up(self.samples[start:], int(round(speed)))
        playback = Playback(Clip(samples, self.samplerate, "line audio"), self.device)
        with self._lock:
            self._playback = playback
        playback.start()
        return True

    def stop(self) -> None:
        """Stop the sound now (any thread); the device is released in the background."""
        with self._lock:
            playback, self._playback = self._playback, None
        if playback is not None:
            playback.stop()
            threading.Thread(target=playback.wait, args=(1.0,), daemon=True, name="line-audio-close").start()

    @property
    def playing(self) -> bool:
        with self._lock:
            playback = self._playback
        return playback is not None and not playback.stopped and not playback._finished.is_set()
