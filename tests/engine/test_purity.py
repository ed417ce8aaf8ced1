"""The engine and the flow format are pure: importing them pulls in no UI, audio or speech code.

Checked in a fresh interpreter, because this test process has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("textual", "rich", "sounddevice", "vosk", "pyttsx3", "numpy", "webrtcvad", "soundfile", "duckdb", "rapidfuzz")

PROBE = """
import json, sys
import callscript.engine, callscript.flow.library, callscript.session.log, callscript.commands.simulate
from callscript.engine import CallEngine, ManualClock
from callscript.flow.library import load_flows
flows = load_flows()
engine = CallEngine(flows, "silent_call", ManualClock(), auto_said=True)
engine.start(); engine.clock.advance(20); engine.poll()
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def test_engine_and_loader_import_no_ui_audio_or_speech_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert "callscript" in loaded, "the probe must really have imported callscript"
    assert not loaded & set(HEAVY), f"pure modules imported {sorted(loaded & set(HEAVY))}"


def test_engine_source_has_no_sleep_or_threads():
    import inspect

    import callscript.engine.engine as engine_module

    source = inspect.getsource(engine_module)
    for forbidden in ("import threading", "time.sleep", "import asyncio", "import time"):
        assert forbidden not in source
