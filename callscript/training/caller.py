"""The caller's side of a drill: what the caller does in each situation, as text and as audio.

A self-study drill plays the caller so the trainee practises against the line they will hear on a
real call. The flow file declares the caller (``caller:`` on the flow, or on a step for the line
that answers it; docs/flow-format.md); ``scene_for(flow, step)`` turns that into a ``CallerScene``
(a kind, the words, a description in Chinese and English for when no audio can play, from the
``scene.<kind>`` catalog id); ``build_clip(scene)`` makes the sound, from a trainer's recording when
there is one (``audio/callers/<flow>.{ogg,flac,wav}``, ``<flow>.<step>.*`` for a step's own
caller), else by speech synthesis shaped like the situation:

==============  ==================================================================================
``silence``     an open line: 3 s of faint hiss (-66 dBFS), nobody speaks
``normal``      the caller's words at a normal level (-20 dBFS RMS)
``upset``       the same as normal to the ear; the description says the caller is upset
``quiet``       the same words 30 dB down (about -50 dBFS): the caller is too quiet
``noisy``       the words under loud brown + white noise (-23 dBFS), noise alone for 1 s either side
``dialect``     the words in Cantonese (espeak-ng ``sit/yue``), a dialect a Mandarin agent may not follow
``speakerphone`` band-limited (300-3400 Hz), with room echo, 12 dB down, over faint room noise
==============  ==================================================================================

Synthesis uses the ``espeak-ng`` program when it is installed (it has the Cantonese voice; the same
engine pyttsx3 drives on Linux), else the app's pyttsx3 ``Synthesizer`` in the flow's voice. Every
synthesised line passes ``speech.checks.check_speech`` before it is shaped: a silent or truncated
render is an error, never passed off as the caller. It is brought to the line's 16 kHz by
``callscript.resample`` (low-passed, so nothing above the line's band folds back into the voice).
Noise is seeded, so a scene sounds the same every time. ``CallerAudio`` plays scenes on an output
device (``speech.playback``), stoppable.

No Textual here; numpy is imported inside the functions that need it.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError
from callscript.i18n import both

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from callscript.flow.model import Flow, Step
    from callscript.speech.clip import Clip

RATE = 16000  # the caller's line, as a phone line carries it
SPEECH_DBFS = -20.0
QUIET_DB = -30.0
NOISE_DBFS = -23.0
HISS_DBFS = -66.0
SPEAKERPHONE_DB = -12.0
PAD_SECONDS = 1.0
SILENCE_SECONDS = 3.0
CALLER_EXTS = (".ogg", ".flac", ".wav")


@dataclass(frozen=True)
class CallerScene:
    """What the caller does in a situation: ``kind`` (see the module docstring), ``text`` (what
    they say; empty for silence), the espeak-ng ``voice``, and a description for the screen."""

    flow: str
    kind: str
    text: str
    voice: str
    description_zh: str
    description_en: str

    def description(self, language: str) -> str:
        return self.description_en if language.startswith("en") else self.description_zh


def scene_for(flow: Flow, step: Step | None = None) -> CallerScene | None:
    """What the caller does before ``step``'s line in ``flow``'s drill (the flow's ``caller:``
    unless the step declares its own), or the flow's own caller when no step is given. None when
    the flow file gives no caller there (the agent speaks first)."""
    caller = flow.caller if step is None else flow.caller_for(step)
    if caller is None or caller.kind == "none":
        return None
    # A step's own caller has its own recording (``callers/<flow>.<step>.ogg``); the flow's is ``<flow>``.
    name = f"{flow.id}.{step.id}" if step is not None and step.caller is not None else flow.id
    voice = caller.voice or ("en-us" if flow.language.startswith("en") else "cmn")
    en, zh = both(f"scene.{caller.kind}", text=caller.say)
    return CallerScene(name, caller.kind, caller.say, voice, zh, en)


def first_scene(flow: Flow) -> CallerScene | None:
    """The caller a drill on ``flow`` opens with or first meets: what the study picker describes."""
    from callscript.training.drill import drill_path

    scene = scene_for(flow)
    for step in drill_path(flow) if scene is None else ():
        if (scene := scene_for(flow, step)) is not None:
            break
    return scene


# -- making the sound ----------------------------------------------------------------------------


def find_recording(scene: CallerScene, audio_dir: Path | None = None) -> Path | None:
    """A trainer's recording of this caller: ``audio/callers/<flow>.{ogg,flac,wav}``."""
    if audio_dir is None:
        from callscript.speech.library import default_audio_dir

        audio_dir = default_audio_dir()
    for ext in CALLER_EXTS:
        path = Path(audio_dir) / "callers" / f"{scene.flow}{ext}"
        if path.is_file():
            return path
    return None


def synthesize(text: str, voice: str) -> tuple[np.ndarray, int]:
    """The checked samples of ``text`` in espeak-ng ``voice`` (``cmn``, ``yue``, ``en-us``).

    The ``espeak-ng`` program when installed, else pyttsx3 through ``speech.synth`` (which has the
    Mandarin and English voices only). ``CallscriptError`` when neither can speak.
    """
    from callscript.speech.checks import check_speech, read_wav

    program = shutil.which("espeak-ng")
    if program is None:
        from callscript.speech.synth import Synthesizer

        language = "en-US" if voice.startswith("en") else "zh-CN"
        with Synthesizer() as synth:
            rendered = synth.render(text, language)
        return rendered.samples, rendered.samplerate
    with tempfile.TemporaryDirectory(prefix="callscript-caller-") as work:
        out = Path(work) / "caller.wav"
        result = subprocess.run([program, "-v", voice, "-s", "165", "-w", str(out), text],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CallscriptError(f"espeak-ng could not speak the caller's line: {result.stderr.strip()}",
                                  hint="check that 'espeak-ng -v " + voice + " test' speaks")
        samples, rate = read_wav(out)
    check_speech(samples, rate, text, rate=None, where=f"the caller's line ({voice})")
    return samples, rate


def _at_level(samples: np.ndarray, dbfs: float) -> np.ndarray:
    """``samples`` scaled so that their RMS level is ``dbfs``."""
    import numpy as np

    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    if rms <= 0:
        return samples.astype(np.float32)
    return (samples * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def _noise(count: int, rng: Any) -> np.ndarray:
    """Brown noise (a rumbling line) plus white noise (the hiss), at ``NOISE_DBFS``."""
    import numpy as np

    white = rng.standard_normal(count)
    brown = np.cumsum(rng.standard_normal(count))
    brown -= np.convolve(brown, np.ones(801) / 801, mode="same")  # keep the walk from drifting off
    mix = _at_level(brown, 0.0) * 0.8 + _at_level(white, 0.0) * 0.45
    return _at_level(mix, NOISE_DBFS)


def _band_pass(samples: np.ndarray, low: float = 300.0, high: float = 3400.0, taps: int = 255) -> np.ndarray:
    """A windowed-sinc band-pass: what a speakerphone's small loudspeaker and far microphone leave."""
    import numpy as np

    n = np.arange(taps) - (taps - 1) / 2
    def lowpass(cut: float) -> np.ndarray:
        return 2 * cut / RATE * np.sinc(2 * cut / RATE * n)
    kernel = (lowpass(high) - lowpass(low)) * np.hamming(taps)
    return np.convolve(samples, kernel, mode="same").astype(np.float32)


def shape(scene: CallerScene, speech: np.ndarray | None, *, seed: int = 0) -> np.ndarray:
    """The caller's line for ``scene`` from clean ``speech`` at ``RATE`` (None for silence)."""
    import numpy as np

    from callscript.speech.clip import soft_limit

    rng = np.random.default_rng(seed)
    if scene.kind == "silence" or speech is None:
        return _at_level(rng.standard_normal(int(SILENCE_SECONDS * RATE)), HISS_DBFS)
    pad = np.zeros(int(PAD_SECONDS * RATE), dtype=np.float32)
    speech = _at_level(speech, SPEECH_DBFS)
    if scene.kind == "quiet":
        speech = speech * 10 ** (QUIET_DB / 20)
    elif scene.kind == "speakerphone":
        dry = _band_pass(speech)
        wet = dry.copy()
        for delay, amount in ((0.045, 0.5), (0.11, 0.3), (0.19, 0.18)):  # the room answers back
            shift = int(delay * RATE)
            wet[shift:] += amount * dry[:-shift]
        speech = _at_level(wet, SPEECH_DBFS + SPEAKERPHONE_DB)
    line = np.concatenate([pad, speech, pad])
    if scene.kind == "noisy":
        line = line * 0.8 + _noise(len(line), rng)
    elif scene.kind == "speakerphone":
        line = line + _at_level(rng.standard_normal(len(line)), -55.0)
    return soft_limit(line.astype(np.float32))


def build_clip(scene: CallerScene, *, audio_dir: Path | None = None, seed: int = 0) -> Clip:
    """The caller's audio for ``scene``: a trainer's recording, else synthesis shaped as the scene."""
    from callscript.resample import resample
    from callscript.speech.clip import Clip, load_clip

    recording = find_recording(scene, audio_dir)
    if recording is not None:
        return load_clip(recording, source=f"recording {recording.name}")
    speech = None
    if scene.kind != "silence":
        samples, rate = synthesize(scene.text, scene.voice)
        speech = resample(samples, rate, RATE)  # espeak-ng speaks at 22.05 kHz
    return Clip(shape(scene, speech, seed=seed), RATE, f"synthesised caller ({scene.kind})")


def clip_level(clip: Clip) -> float:
    """RMS level of the clip in dBFS."""
    from callscript.speech.checks import level_dbfs

    level = level_dbfs(clip.samples)
    return level if math.isfinite(level) else -120.0


class CallerAudio:
    """Plays the caller's side of a drill on ``device`` (None: the system default output).

    ``play(scene)`` blocks until the caller has been heard (call it from a thread worker);
    ``stop()`` ends it from any thread. Clips are made once per scene and kept.
    """

    def __init__(self, device: Any = None, *, audio_dir: Path | None = None) -> None:
        self.device = device
        self.audio_dir = audio_dir
        self._clips: dict[CallerScene, Clip] = {}
        self._lock = threading.Lock()
        self._playback: Any = None

    def clip(self, scene: CallerScene) -> Clip:
        with self._lock:
            clip = self._clips.get(scene)
        if clip is None:
            clip = build_clip(scene, audio_dir=self.audio_dir)
            with self._lock:
                self._clips[scene] = clip
        return clip

    def play(self, scene: CallerScene) -> bool:
        """Play the scene; True when heard to its end. ``CallscriptError`` (e.g. ``OutputUnavailable``)
        when it cannot play here."""
        from callscript.speech.playback import Playback

        clip = self.clip(scene)
        playback = Playback(clip, self.device)
        with self._lock:
            previous, self._playback = self._playback, playback
        if previous is not None:
            previous.stop()
        playback.start()
        return playback.wait()

    def stop(self) -> None:
        with self._lock:
            playback = self._playback
        if playback is not None:
            playback.stop()
