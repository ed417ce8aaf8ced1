"""Fixtures for the speaking tests: the real speech engine, a scratch audio library, and clips.

Tests that synthesise need pyttsx3 with espeak-ng (marker ``speech``); tests that play or record
need the virtual phone line (marker ``audio``, ``tests/support/pulse.py``). Both are skipped with
the install command where the part is missing (and fail under CI, where they must be present).
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import skip_or_fail

INSTALL_ESPEAK = "install it with 'sudo apt-get install espeak-ng libespeak1' (or run scripts/setup)"


def espeak_missing() -> str | None:
    """Why speech synthesis cannot run here, or None."""
    if importlib.util.find_spec("pyttsx3") is None:
        return "pyttsx3 is not installed: pip install 'callscript[speech]'"
    if shutil.which("espeak-ng") is None or (
        ctypes.util.find_library("espeak-ng") is None and ctypes.util.find_library("espeak") is None
    ):
        return f"espeak-ng is missing; {INSTALL_ESPEAK}"
    return None


@pytest.fixture(scope="session")
def synth() -> Iterator[object]:
    """One warm ``Synthesizer`` (real pyttsx3 + espeak-ng worker) for the session, at the library rate."""
    reason = espeak_missing()
    if reason:
        skip_or_fail(reason)
    from callscript.speech.synth import Synthesizer

    with Synthesizer() as synthesizer:
        synthesizer.start()
        yield synthesizer


@pytest.fixture()
def audio_dir(tmp_path: Path) -> Path:
    """An empty scratch audio library."""
    path = tmp_path / "audio"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def flows() -> dict[str, object]:
    """The built-in flows."""
    from callscript.flow.library import load_flows

    return load_flows()
