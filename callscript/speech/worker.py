"""The speech-synthesis worker process: ``python -m callscript.speech.worker``.

Synthesis runs here, in a process of its own, and never in the app: pyttsx3's event loop is not
thread-friendly, espeak-ng can be initialised only once per process, and a crash or hang in the C
library must not take the call screen with it. ``callscript.speech.synth.Synthesizer`` starts one
worker, keeps it warm, and replaces it when it misbehaves.

Protocol, one JSON object per line: the worker first writes ``{"ready": true, "driver": ...,
"voices": [...]}`` (or ``{"ready": false, "error": ...}`` and exits); then for each request
``{"id", "text", "voice", "rate", "volume", "out"}`` read from stdin it writes a 16-bit mono WAV to
``out`` and answers ``{"id", "ok": true, "frames", "samplerate"}`` or ``{"id", "ok": false,
"error"}``. The caller checks every file (``callscript.speech.checks``) before trusting it.

Why the espeak driver is driven through its binding: pyttsx3 2.99's ``save_to_file`` +
``runAndWait`` returns *before* espeak-ng's asynchronous synthesis thread has finished (the espeak
driver queues ``endLoop`` ahead of the synthesis), so the file appears later or, if the next request
comes first, under the next request's name -- the "first phrase missing, second written twice" bug
in ``../shared/guide/AUDIO-TESTING.md`` -- and rate changes are applied out of order (measured: a
rate-350 request rendered at the driver's default 200; rate changes ignored for several requests).
Using the same pyttsx3 espeak binding (``pyttsx3.drivers._espeak``) with one callback of ours and
``espeak_Synchronize()`` around each request made every one of 112 renders in the measurements
exact and repeatable. Other pyttsx3 drivers (SAPI5, NSSS) go through the public API, followed by a
wait until the file is complete.

For tests only: ``CALLSCRIPT_SPEECH_FAULT`` = ``empty`` | ``silent`` | ``short`` | ``crash`` | ``hang``
makes the worker misbehave the way pyttsx3 has been seen to, so the checks and the retry can be proven; with
``CALLSCRIPT_SPEECH_FAULT_ONCE=PATH`` the fault fires only while PATH does not exist (and creates it).
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import time
import wave
from pathlib import Path
from typing import IO, Any

ESPEAK_SAMPLERATE = 22050  # espeak-ng's fixed output rate (pyttsx3 assumes it too)


class EspeakBackend:
    """espeak-ng through pyttsx3's espeak driver binding, one request at a time."""

    name = "espeak"

    def __init__(self) -> None:
        import pyttsx3

        # pyttsx3.init loads libespeak-ng and initialises it (once per process).
        self.engine = pyttsx3.init("espeak")
        from pyttsx3.drivers import _espeak

        self._espeak = _espeak
        self.voices = sorted({v.id for v in self.engine.getProperty("voices")})
        self._chunks: list[bytes] = []
        self._ended = False

    def _on_synth(self, wav: Any, numsamples: int, events: Any) -> int:
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        i = 0
        while events[i].type != self._espeak.EVENT_LIST_TERMINATED:
            if events[i].type == self._espeak.EVENT_MSG_TERMINATED:
                self._ended = True
            i += 1
        return 0

    def render(self, text: str, voice: str, rate: int, volume: float, out: str) -> tuple[int, int]:
        es = self._espeak
        if voice not in self.voices:
            raise ValueError(f"voice {voice!r} is not installed in espeak-ng")
        es.Synchronize()  # nothing of an earlier request may still be running
        # Replaces pyttsx3's own callback, which would also write or play the audio.
        es.SetSynthCallback(self._on_synth)
        result = es.SetVoiceByName(voice.encode("utf-8"))
        if result != 0:
            raise ValueError(f"espeak-ng refused voice {voice!r} (code {result})")
        es.SetParameter(es.RATE, int(rate), 0)
        es.SetParameter(es.VOLUME, int(round(volume * 100)), 0)
        self._chunks, self._ended = [], False
        es.Synth(text.encode("utf-8"), flags=es.ENDPAUSE | es.CHARS_UTF8)
        es.Synchronize()
        if not self._ended:
            raise RuntimeError("espeak-ng did not finish the line")
        data = b"".join(self._chunks)
        _write_wav(out, data, ESPEAK_SAMPLERATE)
        return len(data) // 2, ESPEAK_SAMPLERATE


class Pyttsx3Backend:
    """Any other pyttsx3 driver, through the public API (not exercised on Linux)."""

    def __init__(self) -> None:
        import pyttsx3
        from pyttsx3.engine import default_engine_by_sys_platform

        # The driver pyttsx3 would pick for this platform, named here so that it can be reported.
        self.name = default_engine_by_sys_platform()
        self.engine = pyttsx3.init(self.name)
        self.voices = sorted({v.id for v in self.engine.getProperty("voices")})

    def render(self, text: str, voice: str, rate: int, volume: float, out: str) -> tuple[int, int]:
        self.engine.setProperty("voice", voice)
        self.engine.setProperty("rate", rate)
        self.engine.setProperty("volume", volume)
        self.engine.save_to_file(text, out)
        self.engine.runAndWait()
        _wait_until_stable(Path(out), timeout=30.0)
        with wave.open(out, "rb") as w:
            return w.getnframes(), w.getframerate()


def _write_wav(path: str, data: bytes, samplerate: int) -> None:
    tmp = f"{path}.part"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(samplerate)
        w.writeframes(data)
    os.replace(tmp, path)


def _wait_until_stable(path: Path, timeout: float) -> None:
    """Wait until ``path`` exists and its size stops changing (a driver still writing it)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else -1
        if size > 0 and size == last:
            return
        last = size
        time.sleep(0.05)


def _open_backend() -> EspeakBackend | Pyttsx3Backend:
    if sys.platform.startswith("linux"):
        return EspeakBackend()
    return Pyttsx3Backend()


def _inject_fault(out: str, frames: int, samplerate: int) -> None:
    """Damage a finished render the way pyttsx3 has been seen to (tests only, see docstring)."""
    fault = os.environ.get("CALLSCRIPT_SPEECH_FAULT", "")
    if not fault:
        return
    once = os.environ.get("CALLSCRIPT_SPEECH_FAULT_ONCE")
    if once:
        if Path(once).exists():
            return
        Path(once).touch()
    if fault == "empty":
        Path(out).write_bytes(b"")
    elif fault == "silent":
        _write_wav(out, b"\0\0" * frames, samplerate)
    elif fault == "short":
        with wave.open(out, "rb") as w:
            data = w.readframes(frames // 10)
        _write_wav(out, data, samplerate)
    elif fault == "crash":
        os._exit(70)
    elif fault == "hang":
        time.sleep(3600)


def serve(requests: IO[str], replies: IO[str]) -> int:
    def send(obj: dict[str, Any]) -> None:
        replies.write(json.dumps(obj, ensure_ascii=False) + "\n")
        replies.flush()

    try:
        backend = _open_backend()
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported, not raised
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    send({"ready": True, "driver": backend.name, "voices": backend.voices, "pid": os.getpid()})
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            frames, samplerate = backend.render(
                request["text"], request["voice"], request["rate"], request["volume"], request["out"]
            )
            _inject_fault(request["out"], frames, samplerate)
            send({"id": request["id"], "ok": True, "frames": frames, "samplerate": samplerate})
        except Exception as exc:  # noqa: BLE001 - reported to the caller, who decides
            send({"id": request.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return 0


def main() -> int:
    # The protocol owns the real stdout; anything pyttsx3 or espeak-ng print goes to stderr.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)  # noqa: SIM115
    return serve(requests, replies)


if __name__ == "__main__":
    raise SystemExit(main())
