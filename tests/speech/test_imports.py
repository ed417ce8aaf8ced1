"""The speech package is cheap to import: heavy libraries load only when audio is made or played."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "sounddevice", "soundfile", "pyttsx3", "textual")


def test_importing_the_speech_modules_and_commands_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import callscript.speech, callscript.speech.speaker, callscript.speech.library, callscript.speech.synth\n"
        "import callscript.speech.playback, callscript.speech.recorder, callscript.speech.clip, callscript.speech.checks\n"
        "import callscript.commands.say, callscript.commands.audio\n"
        "from callscript.speech import make_speaker, SpeechSpeaker\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_commands_are_listed_in_help() -> None:
    result = subprocess.run([sys.executable, "-m", "callscript", "--help"], capture_output=True, text=True, check=True)
    assert "say" in result.stdout and "audio" in result.stdout
    result = subprocess.run([sys.executable, "-m", "callscript", "audio", "--help"], capture_output=True, text=True, check=True)
    for action in ("render", "status", "record"):
        assert action in result.stdout
