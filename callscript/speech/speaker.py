"""``SpeechSpeaker``: the app's ``Speaker`` -- plays the correct phrasing of a line to the agent.

``demonstrate(text, language, louder=...)`` returns at once; the speaker's own thread finds the
best audio for the exact text and plays it on the output device it was built with:

1. a trainer's recording of that text in ``audio/`` (``<step>.human.ogg``);
2. the rendered library clip of that text, when it was rendered at the speaker's rate;
3. live synthesis in the warm pyttsx3 worker (``callscript.speech.synth``);
4. a rendered clip at another rate, when synthesis is not available here.

The volume setting is applied as a gain to every source alike; ``louder`` adds +3 dB with a soft
limiter (the "agent too quiet" demonstration). A new demonstration replaces the one playing;
``stop()`` silences it. Nothing here ever blocks the caller's thread on audio or synthesis, and
nothing is played anywhere but ``output_device``: on a live call the app passes the agent's
headset and calls ``demonstrate`` only when the agent asks.

Construction is cheap; the worker process and the output device are warmed up in the speaker's
thread (PortAudio's first stream in a process starts up to a second late, see ``playback``).
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError
from callscript.health import DeviceHealth, Part, missing
from callscript.speech.library import Library
from callscript.speech.playback import Device, OutputUnavailable, Playback, describe_device, parse_device, warm_up
from callscript.speech.voices import DEFAULT_RATE, MAX_RATE, MIN_RATE, check_rate

RECHECK_SECONDS = 5.0  # how often an output problem is probed again while the app asks about it
CACHE_SIZE = 32  # live renders kept, so repeating a line does not synthesise it again


@dataclass
class Demonstration:
    """What one ``demonstrate`` call did (passed to ``on_finished`` and kept as ``last``)."""

    text: str
    language: str
    louder: bool
    requested_at: float  # time.perf_counter() when demonstrate() was called
    source: str = ""  # human | library | synthesized
    path: str | None = None
    seconds: float = 0.0
    first_audio_at: float | None = None
    latency: float = 0.0
    completed: bool = False
    error: str | None = None
    failed: Part | None = None  # with ``error``: the part that failed (output, synthesis, a recording)

    @property
    def time_to_first_sound(self) -> float | None:
        """Seconds from the request until the first sample reached the device's output."""
        if self.first_audio_at is None:
            return None
        return self.first_audio_at + self.latency - self.requested_at


class SpeechSpeaker:
    """Plays lines to the agent: human recording, library clip, or live synthesis.

    ``rate``/``volume``/``output_device`` are the settings ``tts_rate``, ``tts_volume`` and
    ``output_device`` ("" or None for the system default, a number for a PortAudio index, else a
    device name). ``synthesize=False`` plays only library audio. ``on_finished`` is called from the
    speaker's thread after every demonstration (played, stopped or failed) with its
    ``Demonstration``; a UI turns it into a message.
    """

    def __init__(
        self,
        *,
        rate: int | None = None,
        volume: float | None = None,
        output_device: int | str | None = None,
        audio_dir: Path | None = None,
        synthesize: bool = True,
        synthesizer: Any = None,
        warm: bool = True,
        on_finished: Callable[[Demonstration], None] | None = None,
    ) -> None:
        self.rate = check_rate(rate)
        self.volume = 1.0 if volume is None else max(0.0, min(1.0, float(volume)))
        self.device: Device = parse_device(output_device)
        self.library = Library(audio_dir)
        if synthesizer is None and synthesize:
            from callscript.speech.synth import Synthesizer

            synthesizer = Synthesizer(rate=self.rate)
        self._synth = synthesizer
        self.on_finished = on_finished
        self.last: Demonstration | None = None
        self._lock = threading.Lock()
        self._generation = 0
        self._current: Playback | None = None
        self._output_problem: str | None = None
        self._output_checked = 0.0
        self._engine_problem: str | None = None
        self.chooser = ClipChooser(self.library, self._synth, self.rate)
        self._queue: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._pending = 0  # items queued or being handled; idle when 0
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="speech-speaker", daemon=True)
        self._thread.start()
        if warm:
            self._put(("warm",))

    # -- the Speaker protocol ---------------------------------------------------------------------

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> None:
        """Start saying ``text`` in ``language`` on the output device; returns at once."""
        if self._closed:
            raise CallscriptError("the speaker is closed")
        request = Demonstration(text, language, louder, time.perf_counter())
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._stop_current_locked()
        self._put(("say", generation, request))

    def stop(self) -> None:
        """Stop what is being said now, if anything (and drop demonstrations not yet started)."""
        with self._lock:
            self._generation += 1
            self._stop_current_locked()

    def problem(self) -> str | None:
        """Why the speaker cannot speak at all (no output device, nothing to play), or None.

        A failure of one demonstration (for example a line that is neither in the library nor
        synthesisable here) is reported through ``on_finished``/``last``, not here, so that it
        never blocks the demonstrations that can still play.
        """
        if self._output_problem and time.monotonic() - self._output_checked > RECHECK_SECONDS:
            self._output_checked = time.monotonic()
            self._put(("probe",))  # the headset may be back: look again, off this thread
        return self._output_problem or self._engine_problem

    def health(self) -> DeviceHealth | None:
        """``problem()`` typed: the part that cannot speak and why, or None."""
        text = self.problem()
        if text is None:
            return None
        if text == self._output_problem:
            return missing(Part.OUTPUT, "health.no_output_device", text)
        return missing(Part.SYNTHESIS, "health.no_synthesis", text)

    # -- extras -------------------------------------------------------------------------------

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or playing (for the command line, tests and benchmarks)."""
        return self._idle.wait(timeout)

    def warm_up(self, timeout: float | None = None) -> None:
        """Start the synthesis worker and open the device now, and wait for both."""
        done = threading.Event()
        self._put(("warm", done))
        done.wait(timeout)

    def close(self) -> None:
        """Stop playing, end the thread and the synthesis worker."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        self._queue.put(None)
        self._thread.join(timeout=10)
        if self._synth is not None:
            self._synth.close()

    @classmethod
    def from_settings(cls, settings: Any = None, **kwargs: Any) -> SpeechSpeaker:
        """A speaker with ``settings``' rate, volume and output device (``make_speaker``)."""
        rate = getattr(settings, "tts_rate", DEFAULT_RATE)
        rate = max(MIN_RATE, min(MAX_RATE, int(rate)))  # the settings allow a wider range
        return cls(
            rate=rate,
            volume=getattr(settings, "tts_volume", 1.0),
            output_device=getattr(settings, "output_device", "") or None,
            **kwargs,
        )

    def __enter__(self) -> SpeechSpeaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the speaker's thread -------------------------------------------------------------------

    def _put(self, item: tuple[Any, ...]) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(item)

    def _stop_current_locked(self) -> None:
        if self._current is not None:
            self._current.stop()
            self._current = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._idle.set()
                return
            try:
                if item[0] == "warm":
                    self._warm()
                    if len(item) > 1:
                        item[1].set()
                elif item[0] == "probe":
                    self._probe_output()
                else:
                    self._say(item[1], item[2])
            except Exception as exc:  # noqa: BLE001 - the thread must survive anything
                self._engine_problem = self._engine_problem or f"speech failed: {exc}"
                if item[0] == "say" and self.last is not item[2]:
                    # Whoever asked hears that it failed, instead of waiting for a sound that never comes.
                    item[2].error = item[2].error or f"speech failed: {exc}"
                    item[2].failed = item[2].failed or Part.SYNTHESIS
                    self._finish(item[2])
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def _probe_output(self) -> None:
        try:
            describe_device(self.device)
            warm_up(self.device)
        except OutputUnavailable as exc:
            self._output_problem = one_line(exc)
        except Exception as exc:  # noqa: BLE001 - PortAudio errors of any kind mean "cannot play"
            self._output_problem = f"cannot play sound: {exc}"
        else:
            self._output_problem = None
        self._output_checked = time.monotonic()

    def _warm(self) -> None:
        self._probe_output()
        self._warm_decoder()
        if self._synth is not None:
            try:
                self._synth.start()
            except CallscriptError as exc:
                self._engine_problem = None if self._has_library() else (
                    exc.message + " -- and there are no recorded clips to play instead"
                )

    def _warm_decoder(self) -> None:
        """Decode one library clip: the first Ogg decode in a process costs ~40 ms more."""
        from callscript.speech.clip import DecodingClip
        from callscript.speech.library import Manifest

        try:
            clips = Manifest.load(self.library.audio_dir).clips
            if clips:
                shortest = min(clips, key=lambda key: clips[key].get("seconds", 0))
                DecodingClip(self.library.audio_dir / shortest).wait(5.0)
        except Exception:  # noqa: BLE001 - only a warm-up: a broken file is reported when played
            pass

    def _has_library(self) -> bool:
        return (self.library.audio_dir / "manifest.json").exists()

    def _say(self, generation: int, request: Demonstration) -> None:
        if generation != self._generation:
            # Superseded or stopped before it started: it still ends (not completed), so whoever
            # waits for each demonstration's end is never left waiting.
            self._finish(request)
            return
        try:
            clip = self._clip_for(request)
        except CallscriptError as exc:
            request.error = one_line(exc)
            request.failed = Part.RECORDING if isinstance(exc, UnreadableClip) else Part.SYNTHESIS
            self._finish(request)
            return
        playback = Playback(clip, self.device)
        with self._lock:
            superseded = generation != self._generation
            if not superseded:
                self._current = playback
        if superseded:
            self._finish(request)
            return
        try:
            playback.start()
        except OutputUnavailable as exc:
            self._output_problem = one_line(exc)
            self._output_checked = time.monotonic()
            request.error = one_line(exc)
            request.failed = Part.OUTPUT
            with self._lock:
                self._current = None
            self._finish(request)
            return
        self._output_problem = None
        request.completed = playback.wait()
        request.first_audio_at, request.latency = playback.first_audio_at, playback.latency
        with self._lock:
            if self._current is playback:
                self._current = None
        self._finish(request)

    def _finish(self, request: Demonstration) -> None:
        self.last = request
        if self.on_finished is not None:
            try:
                self.on_finished(request)
            except Exception:  # noqa: BLE001 - a UI callback must not kill the speaker
                pass

    def _clip_for(self, request: Demonstration) -> Any:
        transform = gain_transform(self.volume, request.louder)
        choice = self.chooser.choose(request.text, request.language, transform=transform)
        request.source, request.path, request.seconds = choice.source, choice.path, choice.clip.seconds
        return choice.clip


class UnreadableClip(CallscriptError):
    """A recording or library clip that cannot be read (not audio, truncated, empty)."""


@dataclass(frozen=True)
class Choice:
    """The audio chosen for a line: the clip, its source (human/library/synthesized), its file."""

    clip: Any
    source: str
    path: str | None = None


SOURCES = ("auto", "human", "library", "synth")


class ClipChooser:
    """Picks the audio for an exact text: recording, library clip at ``rate``, live render, any clip.

    ``source`` other than ``auto`` insists on one kind (for ``callscript say --source``).
    """

    def __init__(self, library: Library, synth: Any, rate: int) -> None:
        self.library = library
        self.synth = synth
        self.rate = rate
        self._cache: collections.OrderedDict[tuple[str, str, int], Any] = collections.OrderedDict()

    def choose(self, text: str, language: str, source: str = "auto", transform: Any = None) -> Choice:
        """The audio for ``text``; ``transform`` (``gain_transform``) is applied to its samples.

        Files are decoded while they play (``DecodingClip``); a live render is a whole ``Clip``.
        """
        from callscript.speech.clip import Clip, DecodingClip

        def load_clip(path: Path) -> Any:
            try:
                return DecodingClip(path, transform)
            except CallscriptError as exc:  # typed, so the app can say "a recording" without reading English
                raise UnreadableClip(exc.message, where=exc.where, hint=exc.hint) from None

        def synthesized() -> Clip:
            clip = self._synthesize(text, language)
            return Clip(transform(clip.samples), clip.samplerate, clip.source) if transform else clip

        found = self.library.find(text, language)
        human = next((f for f in found if f.kind == "human"), None)
        same_rate = next((f for f in found if f.kind == "rendered" and f.rate == self.rate), None)
        any_rate = next((f for f in found if f.kind == "rendered"), None)
        if source in ("auto", "human") and human:
            return Choice(load_clip(human.path), "human", str(human.path))
        if source == "human":
            raise CallscriptError(f"there is no recording of {text!r}",
                                  hint="record one with 'callscript audio record FLOW STEP'")
        if source in ("auto", "library") and same_rate:
            return Choice(load_clip(same_rate.path), "library", str(same_rate.path))
        if source == "library":
            if any_rate:
                return Choice(load_clip(any_rate.path), "library", str(any_rate.path))
            raise CallscriptError(f"{text!r} is not in the audio library",
                                  hint="render it with 'callscript audio render'")
        problem: CallscriptError | None = None
        if self.synth is not None:
            try:
                return Choice(synthesized(), "synthesized")
            except CallscriptError as exc:
                problem = exc
        if source == "auto" and any_rate is not None:
            return Choice(load_clip(any_rate.path), "library", str(any_rate.path))
        reason = problem.message if problem else "speech synthesis is turned off"
        if source == "synth":
            raise problem or CallscriptError("speech synthesis is turned off")
        raise CallscriptError(
            f"cannot say {text!r}: it is not in the audio library and {reason}",
            hint=(problem.hint if problem and problem.hint else
                  "render it with 'callscript audio render' or record it with 'callscript audio record'"),
        )

    def _synthesize(self, text: str, language: str) -> Any:
        from callscript.speech.clip import Clip

        key = (language, text, self.rate)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        rendered = self.synth.render(text, language, rate=self.rate, volume=1.0)
        clip = Clip(rendered.samples, rendered.samplerate, "synthesized")
        self._cache[key] = clip
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return clip


def one_line(exc: CallscriptError) -> str:
    """An error as one line for the call screen: what is wrong -- how to fix it."""
    return exc.message + (f" -- {exc.hint}" if exc.hint else "")


def gain_transform(volume: float, louder: bool) -> Callable[[Any], Any] | None:
    """The per-block gain for a volume setting and the "louder" demonstration, or None for unity."""
    import math

    from callscript.speech.clip import LOUDER_DB, soft_limit

    factor = volume * (10 ** (LOUDER_DB / 20) if louder else 1.0)
    if math.isclose(factor, 1.0):
        return None
    return lambda samples: soft_limit(samples * factor)


def make_speaker(settings: Any = None) -> SpeechSpeaker:
    """The speaker for the app, from ``callscript.settings.Settings`` (or the defaults)."""
    return SpeechSpeaker.from_settings(settings)
