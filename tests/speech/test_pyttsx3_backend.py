"""The worker's backend for platforms other than Linux goes through pyttsx3's public API only. It
runs on Linux too (pyttsx3's espeak driver), so it is checked here: it names the driver it
asked pyttsx3 for, and that driver lists espeak-ng's voices."""

from __future__ import annotations

from tests.speech.conftest import espeak_missing
from tests.support import skip_or_fail


def test_the_pyttsx3_backend_names_its_driver_and_lists_voices():
    reason = espeak_missing()
    if reason:
        skip_or_fail(reason)
    from callscript.speech.worker import Pyttsx3Backend

    backend = Pyttsx3Backend()
    assert backend.name == "espeak"
    assert backend.voices and any("cmn" in voice or "zh" in voice for voice in backend.voices), backend.voices[:10]
