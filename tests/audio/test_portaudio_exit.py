"""PortAudio's shutdown never holds the process (callscript.portaudio).

The real hang (Pa_Terminate never returning under PulseAudio's ALSA plugin, seen when the app
quit under load) cannot be produced on demand, so here sounddevice's PortAudio library object is
replaced, in a child process, by one whose Pa_Terminate blocks for a minute. Everything else is
real: sounddevice's own exit handler runs and calls it. The process must still exit promptly.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import time
    from callscript import portaudio

    sd = portaudio.load()

    class Hanging:
        def __init__(self, lib):
            self._lib = lib
        def Pa_Terminate(self):
            time.sleep(60)
            return 0
        def __getattr__(self, name):
            return getattr(self._lib, name)

    sd._lib = Hanging(sd._lib)
    print("loaded", flush=True)
""")


def test_a_hanging_portaudio_terminate_does_not_keep_the_process_alive():
    pytest.importorskip("sounddevice", exc_type=OSError)
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"


def test_without_the_guard_the_same_child_would_hang():
    """The control: proves the child above really blocks in sounddevice's exit handler."""
    pytest.importorskip("sounddevice", exc_type=OSError)
    unguarded = CHILD.replace("from callscript import portaudio", "import sounddevice") \
                     .replace("sd = portaudio.load()", "sd = sounddevice")
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([sys.executable, "-c", unguarded], capture_output=True, text=True, timeout=8)
