"""Speech synthesis with pyttsx3 (espeak-ng), in a persistent worker process, checked and retried.

``Synthesizer.render(text, language)`` returns the samples of the line spoken in the flow
language's voice at the configured rate and volume -- or raises. It never returns audio that has
not passed ``callscript.speech.checks.check_speech``: when a render fails (no file, a corrupt or
truncated file, a wrong duration, silence, a worker crash or hang) the worker is replaced by a
fresh process and the line rendered once more; a second failure is raised as ``SynthesisError``
with both reasons.

Why a persistent process rather than a thread or a process per line (measured on the development
machine, see ``benchmarks/speech.py``): a fresh process costs ~0.2 s of Python start-up and espeak-ng
initialisation before each line, which would eat most of the 300 ms budget for live synthesis; a
warm worker answers in 10-50 ms. A thread in the app's own process would share espeak-ng's global
state (initialised once per process) and its crashes with the call screen.

Methods are thread-safe (one request at a time); ``cancel()`` may be called from any thread and
stops a render in flight by ending the worker.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError
from callscript.speech.checks import SpeechCheckError, SpeechReport, check_speech, read_wav, speech_units
from callscript.speech.voices import check_rate, check_volume, voice_for

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

STARTUP_TIMEOUT = 20.0


# "先生/小姐" (Mr/Ms) is written with a slash, which espeak-ng reads out in English ("slash");
# an agent says one word or the other, so the synthesiser is given "先生或小姐" instead.
_CJK_SLASH = re.compile(r"(?<=[\u4e00-\u9fff])\s*/\s*(?=[\u4e00-\u9fff])")


def spoken_form(text: str, language: str) -> str:
    """``text`` as the speech engine should read it (the library still keys on ``text``)."""
    if language.startswith("zh"):
        text = _CJK_SLASH.sub("或", text)
    return text


class SpeechUnavailable(CallscriptError):
    """No speech engine can run here (pyttsx3 or espeak-ng missing, voice not installed)."""


class SynthesisError(CallscriptError):
    """The speech engine failed to produce the line, twice."""


class SynthesisCancelled(CallscriptError):
    """``cancel()`` stopped the render."""


class _WorkerFailed(Exception):
    """One attempt failed in the worker (crash, hang, error reply)."""


@dataclass(frozen=True)
class Rendered:
    """A checked render: mono float32 samples, their rate, what the check measured."""

    samples: np.ndarray
    samplerate: int
    text: str
    voice: str
    rate: int
    volume: float
    report: SpeechReport
    attempts: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.samplerate


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


class _Worker:
    """One running ``python -m callscript.speech.worker`` and its reply reader."""

    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [python, "-m", "callscript.speech.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._read_replies, name="speech-worker-replies", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="speech-worker-stderr", daemon=True).start()

    def _read_replies(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.replies.put(json.loads(line))
            except json.JSONDecodeError:
                self.stderr.append(line.rstrip())
        self.replies.put(None)  # end of stream: the worker exited

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip())

    def send(self, obj: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerFailed(f"the speech worker is gone ({exc})") from None

    def last_words(self) -> str:
        return "; ".join(line for line in self.stderr if line.strip())[-400:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - kill does not fail on Linux
            pass
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


class Synthesizer:
    """Renders lines with pyttsx3 in a warm worker process; every result is checked.

    ``rate`` is words per minute (default ``DEFAULT_RATE``), ``volume`` 0.05-1.0 (settings
    ``tts_rate`` and ``tts_volume``). ``env`` adds variables to the worker's environment.
    """

    def __init__(
        self,
        *,
        rate: int | None = None,
        volume: float | None = None,
        python: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.rate = check_rate(rate)
        self.volume = check_volume(volume)
        self._python = python or sys.executable
        self._extra_env = dict(env or {})
        self._lock = threading.RLock()
        self._worker: _Worker | None = None
        self._info: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._cancelled = threading.Event()
        self._tmp = Path(tempfile.mkdtemp(prefix="callscript-speech-"))
        # Removed on close(), or when the synthesizer is collected or the process exits without one.
        weakref.finalize(self, shutil.rmtree, str(self._tmp), True)
        self.worker_starts = 0  # how many worker processes were started (for tests and benchmarks)

    # -- worker management -------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self._extra_env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONIOENCODING", "utf-8")
        return env

    def start(self) -> dict[str, Any]:
        """Start the worker now (otherwise the first render does); returns its hello message."""
        with self._lock:
            if self._worker is not None and self._worker.process.poll() is None:
                return self._info
            self._discard_worker()
            try:
                worker = _Worker(self._python, self._env())
            except OSError as exc:
                raise SpeechUnavailable(
                    f"cannot start the speech worker ({exc})", hint="check the Python installation"
                ) from None
            self.worker_starts += 1
            try:
                hello = worker.replies.get(timeout=STARTUP_TIMEOUT)
            except queue.Empty:
                worker.stop()
                raise SpeechUnavailable(
                    f"the speech engine did not start within {STARTUP_TIMEOUT:.0f} s",
                    hint="run 'espeak-ng \"test\"' to check that espeak-ng works",
                ) from None
            if not hello or not hello.get("ready"):
                detail = (hello or {}).get("error") or worker.last_words() or "no reason given"
                worker.stop()
                raise SpeechUnavailable(
                    f"no speech engine: {detail}",
                    hint="install pyttsx3 (pip install 'callscript[speech]') and espeak-ng "
                    "(apt-get install espeak-ng libespeak1), or use recorded clips from audio/",
                )
            self._worker, self._info = worker, hello
            return hello

    def _discard_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def close(self) -> None:
        """End the worker and remove temporary files."""
        with self._lock:
            self._discard_worker()
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cancel(self) -> None:
        """Stop a render in flight (from any thread): it raises ``SynthesisCancelled``."""
        self._cancelled.set()
        worker = self._worker
        if worker is not None and worker.process.poll() is None:
            worker.process.kill()

    @property
    def driver(self) -> str | None:
        return self._info.get("driver")

    @property
    def pid(self) -> int | None:
        return self._info.get("pid")

    def voices(self) -> list[str]:
        return list(self.start().get("voices", []))

    # -- rendering -----------------------------------------------------------------------

    def render(self, text: str, language: str, *, rate: int | None = None, volume: float | None = None) -> Rendered:
        """The checked samples of ``text`` in ``language``'s voice; retried once in a fresh worker."""
        voice = voice_for(language)
        rate = self.rate if rate is None else check_rate(rate)
        volume = self.volume if volume is None else check_volume(volume)
        with self._lock:
            self._cancelled.clear()
            failures: list[str] = []
            for attempt in (1, 2):
                hello = self.start()
                if voice not in hello.get("voices", [voice]):
                    raise SpeechUnavailable(
                        f"the {language} voice {voice!r} is not installed",
                        hint="install espeak-ng's voice data (apt-get install espeak-ng-data)",
                    )
                try:
                    samples, samplerate, report = self._render_once(text, language, voice, rate, volume)
                except (_WorkerFailed, SpeechCheckError) as exc:
                    if self._cancelled.is_set():
                        self._discard_worker()
                        raise SynthesisCancelled("speech synthesis was stopped") from None
                    failures.append(exc.message if isinstance(exc, SpeechCheckError) else str(exc))
                    self._discard_worker()  # the next attempt gets a fresh process
                    continue
                return Rendered(samples, samplerate, text, voice, rate, volume, report, attempt)
        raise SynthesisError(
            f"speech synthesis failed for {text!r}: " + "; then, in a fresh worker: ".join(failures),
            hint="check that 'espeak-ng -v " + voice + " test' speaks; a recording in audio/ can stand in",
        )

    def _render_once(self, text: str, language: str, voice: str, rate: int, volume: float) -> tuple[np.ndarray, int, SpeechReport]:
        worker = self._worker
        assert worker is not None
        request_id = next(self._ids)
        out = self._tmp / f"render-{request_id}.wav"
        out.unlink(missing_ok=True)
        worker.send({"id": request_id, "text": spoken_form(text, language), "voice": voice, "rate": rate, "volume": volume, "out": str(out)})
        deadline = time.monotonic() + 10.0 + 0.2 * speech_units(text)
        while True:
            if self._cancelled.is_set():
                raise _WorkerFailed("cancelled")
            try:
                reply = worker.replies.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise _WorkerFailed("the speech worker did not answer in time (hung)") from None
                continue
            if reply is None:
                code = worker.process.wait()
                words = worker.last_words()
                raise _WorkerFailed(f"the speech worker exited with code {code}" + (f" ({words})" if words else ""))
            if reply.get("id") == request_id:
                break
        if not reply.get("ok"):
            raise _WorkerFailed(f"the speech engine reported: {reply.get('error')}")
        try:
            samples, samplerate = read_wav(out)
            report = check_speech(samples, samplerate, text, rate=rate, volume=volume, where=f"render of {text!r}")
        finally:
            out.unlink(missing_ok=True)
        return samples, samplerate, report
