"""The one-line banner names what is missing by part ("no speech output"), never by check name."""

from __future__ import annotations

from callscript.app.banner import CAPABILITY_PARTS, missing_parts
from callscript.doctor import CHECKS, Capability


def test_every_doctor_check_has_its_banner_part():
    """A check the banner does not know shows its raw name ("=pyttsx3 espeak driver"): the two
    tables must name the same checks."""
    assert {name for name, _ in CHECKS} == set(CAPABILITY_PARTS)


def test_a_failed_speech_driver_reads_as_no_speech_output():
    failed = Capability("pyttsx3 espeak driver", False, "libespeak not found", "sudo apt-get install libespeak-ng1", "")
    assert missing_parts([failed], {}) == ["synthesis"]
