"""Fixtures for the softphone tests: a real SIP line on 127.0.0.1 (``tests.support.sip``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import linemix, pulse, sip, skip_or_fail


@pytest.fixture(scope="session")
def sip_line(virtual_line: pulse.VirtualLine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sip.SipLine]:
    """The agent's auto-answering baresip on the session's PulseAudio daemon."""
    reason = sip.missing()
    if reason:
        skip_or_fail(reason)
    line = sip.SipLine(virtual_line, tmp_path_factory.mktemp("sip"))
    try:
        yield line
    finally:
        line.stop()


@pytest.fixture(scope="session")
def shipped_flows():  # noqa: ANN201
    """Every built-in flow, loaded as the app loads them."""
    from callscript.flow.library import load_flows

    return load_flows()


@pytest.fixture()
def pulse_env(virtual_line: pulse.VirtualLine, monkeypatch: pytest.MonkeyPatch) -> pulse.VirtualLine:
    """The session's PulseAudio daemon as this process's sound server (for parec)."""
    for key, value in virtual_line.env.items():
        monkeypatch.setenv(key, value)
    return virtual_line


@pytest.fixture(scope="session")
def phone_calls(tmp_path_factory: pytest.TempPathFactory, line_recordings) -> Path:  # noqa: ANN001 - checks the tools
    """Folder of the callers' recordings (8 kHz, what a SIP caller plays), made with espeak-ng + sox."""
    return tmp_path_factory.mktemp("phone-calls")


def caller_wav(folder: Path, kind: str) -> Path:
    """The caller recordings of the end-to-end tests, 8 kHz mono 16-bit for baresip's aufile.

    ``silent``: 40 s of a quiet line (hiss at -70 dBFS); ``faint``: the phrase peaking at -42 dBFS
    over that hiss (28 dB above it, about 40 dB below normal speech); ``normal``: at -3 dBFS peak;
    ``late``: silence, then the caller speaks at 7 s.
    """
    if kind == "silent":
        return linemix.caller(folder, None, "hiss", -70.0, lead=0.0, tail=40.0, rate=8000)
    if kind == "faint":
        return linemix.caller(folder, -42.0, "hiss", -70.0, lead=1.0, tail=30.0, rate=8000)
    if kind == "normal":
        return linemix.caller(folder, -3.0, "hiss", -70.0, lead=1.0, tail=30.0, rate=8000)
    if kind == "late":
        return linemix.caller(folder, -3.0, "hiss", -70.0, lead=7.0, tail=30.0, rate=8000)
    raise KeyError(kind)
