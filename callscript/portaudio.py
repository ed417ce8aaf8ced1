"""sounddevice, loaded the one way callscript loads it: with PortAudio's shutdown kept bounded.

sounddevice registers an exit handler that calls ``Pa_Terminate``. Under PulseAudio's ALSA plugin
that call sometimes never returns (seen when the app quits under load with a line device open:
the main thread sat in ``Pa_Terminate`` for good, after every stream was closed and every log
written). A phone agent pressing Ctrl+Q must get their terminal back, so the handler runs on a
daemon thread and the process waits for it at most ``EXIT_WAIT_SECONDS``.

Callers wrap ``load()`` to turn a missing PortAudio or sounddevice into their own message.
"""

from __future__ import annotations

import atexit
import threading
from types import ModuleType

EXIT_WAIT_SECONDS = 2.0

_guarded = False


def load() -> ModuleType:
    """``import sounddevice`` (OSError: no PortAudio; ImportError: no sounddevice)."""
    import sounddevice

    _guard_exit(sounddevice)
    return sounddevice


def _guard_exit(sd: ModuleType) -> None:
    global _guarded
    handler = getattr(sd, "_exit_handler", None)
    if _guarded or handler is None:
        return
    _guarded = True
    atexit.unregister(handler)

    def bounded() -> None:
        thread = threading.Thread(target=handler, name="portaudio-exit", daemon=True)
        thread.start()
        thread.join(EXIT_WAIT_SECONDS)

    atexit.register(bounded)
