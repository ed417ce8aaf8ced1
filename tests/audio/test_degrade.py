"""Degrade, never break: whatever is missing, the listener reports a problem and raises nothing.

Each case uses the real failure: PortAudio absent (sounddevice's own lookup made to find nothing,
in a subprocess), a device name that does not exist, no model installed, a model folder that is
not whole, an unreadable file.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from tests.audio.test_capture import Sink

pytest.importorskip("numpy")
pytest.importorskip("webrtcvad")


def run_listener(sink: Sink, seconds: float, **kwargs) -> None:
    from callscript.audio.listener import LineListener

    listener = LineListener(**kwargs)
    listener.start(sink)
    try:
        sink.wait_for(lambda: False, seconds)
    finally:
        listener.stop()


def test_without_portaudio_the_listener_says_how_to_install_it():
    script = textwrap.dedent("""
        import ctypes.util, time
        real = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None if "portaudio" in name else real(name)
        from callscript.audio.listener import LineListener
        problems = []
        class Sink:
            def condition(self, *a): pass
            def transcript(self, *a): pass
            def level(self, *a): pass
            def problem(self, health): problems.append(health.detail)
        listener = LineListener(model=False, retry_seconds=0.2)
        listener.start(Sink())
        time.sleep(1.0)
        listener.stop()
        print(problems[0])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("audio input is not available: PortAudio is not installed")
    assert "apt-get install libportaudio2" in result.stdout
    assert "Traceback" not in result.stderr


def test_an_unknown_device_is_a_problem_that_lists_the_devices(on_virtual_line):
    sink = Sink()
    run_listener(sink, 1.0, device="no such headset", model=False, retry_seconds=0.2)
    assert len(sink.problems) == 1, "the same problem is reported once, however often it retries"
    assert sink.problems[0].startswith("no input device matches 'no such headset' (input devices here:")
    assert "pulse" in sink.problems[0]


def test_with_no_model_the_line_is_still_analysed(recordings, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("CALLSCRIPT_MODEL_DIR", raising=False)
    sink = Sink()
    from callscript.audio.listener import LineListener

    listener = LineListener(line_audio=recordings.build("normal"), language="zh-CN")
    listener.start(sink)
    try:
        assert sink.wait_for(lambda: "speech_stopped" in sink.names(), 15), sink.conditions
    finally:
        listener.stop()
    assert sink.problems[0].startswith("no speech recognition: the Mandarin Chinese, small (42 MB) speech model is "
                                       "not installed")
    assert "callscript models download zh" in sink.problems[0]
    assert (sink.health[0].part.value, sink.health[0].reason) == ("recognition", "health.no_model")


def test_an_incomplete_model_is_a_problem_not_an_exception(recordings, tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "conf").mkdir()
    sink = Sink()
    from callscript.audio.listener import LineListener

    listener = LineListener(line_audio=recordings.build("normal"), model=tmp_path)
    listener.start(sink)
    try:
        assert sink.wait_for(lambda: "speech_started" in sink.names(), 15), (sink.problems, sink.conditions)
    finally:
        listener.stop()
    assert "is not a usable Vosk model: am/final.mdl is missing" in sink.problems[0]


def test_an_unreadable_line_audio_file_is_a_problem(tmp_path):
    bad = tmp_path / "not.wav"
    bad.write_bytes(b"this is not audio")
    sink = Sink()
    run_listener(sink, 0.5, line_audio=bad, model=False)
    assert sink.problems and sink.problems[0].startswith(f"{bad} is not an audio file that can be read")
    assert sink.health[0].reason == "health.line_file_unreadable"  # typed where the listener knows why


def test_line_audio_plays_in_real_time(recordings):
    """--line-audio: a 4 s file takes about 4 s (not a timing assertion on the engine: a sanity bound)."""
    from callscript.audio.listener import LineListener

    sink = Sink()
    listener = LineListener(line_audio=recordings.build("normal"), model=False)
    start = time.monotonic()
    listener.start(sink)
    try:
        sink.wait_for(lambda: "speech_stopped" in sink.names(), 15)
        elapsed = time.monotonic() - start
    finally:
        listener.stop()
    stopped = next(d for n, d in sink.conditions if n == "speech_stopped")
    assert elapsed >= stopped["audio_t"] - 0.2, "the file is not played faster than real time"


def test_the_audio_modules_import_nothing_heavy_until_used():
    script = ("import sys, callscript.audio.listener, callscript.audio.pipeline, callscript.audio.models, "
              "callscript.audio.sources, callscript.audio.recognizer, callscript.audio.matching, "
              "callscript.commands.listen, callscript.commands.models; "
              "print(sorted(m for m in ('numpy', 'vosk', 'sounddevice', 'webrtcvad', 'soundfile', 'pypinyin') "
              "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_engine_never_imports_the_audio_layer():
    script = "import sys, callscript.engine; print([m for m in sys.modules if m.startswith('callscript.audio')])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_listen_without_recognition_prints_conditions_as_json_lines(recordings):
    import json

    result = subprocess.run([sys.executable, "-m", "callscript", "listen", str(recordings.build("silence")),
                             "--no-recognition", "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["event"] for line in lines] == ["speech_started", "speech_stopped", "silence"]
    assert lines[-1]["reason"] == "line silent for 5 s"
    assert all(isinstance(line["t"], float) for line in lines)


def test_listen_with_a_missing_model_given_explicitly_is_one_clear_error(recordings, tmp_path):
    result = subprocess.run([sys.executable, "-m", "callscript", "listen", str(recordings.build("normal")),
                             "--model", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {tmp_path} is not a usable Vosk model: am/final.mdl is missing")
    assert "Traceback" not in result.stderr
