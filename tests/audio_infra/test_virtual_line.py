"""The virtual phone line carries real audio both ways.

Speech fed into the ``caller`` source reaches a sounddevice input stream (the path the app's
listening uses), and a tone played with sounddevice to the ``line`` sink comes out of its monitor
(the path the app's speaking uses). All of it runs through a real PulseAudio daemon.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import levels, pulse, skip_or_fail

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.audio

PHRASE = "您好，这里是客服热线，请问有什么可以帮您？"


@pytest.fixture(scope="module")
def spoken_phrase(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Mandarin phrase spoken by espeak-ng (22.05 kHz WAV, converted by the feed)."""
    if shutil.which("espeak-ng") is None:
        skip_or_fail("espeak-ng missing; install it with 'sudo apt-get install espeak-ng' (or run scripts/setup)")
    path = tmp_path_factory.mktemp("phrase") / "greeting.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(path), PHRASE], check=True, capture_output=True)
    return path


def test_speech_fed_to_the_caller_reaches_a_sounddevice_input_stream(on_virtual_line, spoken_phrase):
    """The app's microphone path: InputStream(device='pulse') with PULSE_SOURCE=caller hears the feed."""
    sd = pytest.importorskip("sounddevice")
    blocks: list[np.ndarray] = []
    with sd.InputStream(
        device="pulse", samplerate=pulse.RATE, channels=1, dtype="int16",
        callback=lambda indata, *_: blocks.append(indata[:, 0].copy()),
    ):
        feed = on_virtual_line.feed(spoken_phrase)
        feed.wait()
        time.sleep(1.0)  # let the tail travel through PulseAudio and ALSA; not an assertion
    captured = np.concatenate(blocks)
    fed = feed.samples
    assert feed.duration > 3.0, "espeak-ng should speak this phrase for several seconds"

    offset, similarity = levels.locate(captured, fed)
    heard = captured[offset : offset + fed.size]
    assert similarity > 0.95, f"the capture does not contain the fed phrase (similarity {similarity:.3f})"
    assert levels.rms(heard) > 1000, f"RMS {levels.rms(heard):.0f} is near silence"
    assert levels.active_fraction(heard) > 0.6
    assert levels.rms(heard) == pytest.approx(levels.rms(fed), rel=0.05)
    if offset:
        assert levels.dbfs(captured[:offset]) < -60, "the line should be silent before the caller speaks"


def test_the_caller_source_returns_fed_samples_unchanged(virtual_line):
    """Feed and capture share 16 kHz s16 mono, so the caller source is bit-transparent."""
    rng = np.random.default_rng(7)
    fed = (rng.standard_normal(pulse.RATE) * 4000).astype(np.int16)
    recording = virtual_line.start_recording(2.5, source=pulse.CALLER_SOURCE)
    virtual_line.feed(fed).wait()
    captured = recording.result()
    offset, similarity = levels.locate(captured, fed)
    assert similarity > 0.999
    np.testing.assert_array_equal(captured[offset : offset + fed.size], fed)


def test_the_caller_line_carries_silence_between_feeds(virtual_line):
    """A pipe source with no writer sends nothing at all; the pump keeps it sending silence."""
    captured = virtual_line.start_recording(1.0, source=pulse.CALLER_SOURCE).result()
    assert captured.size == pulse.RATE
    assert np.count_nonzero(captured) == 0


def test_a_tone_played_with_sounddevice_comes_out_of_the_line_monitor(on_virtual_line):
    """The app's speaker path: sd.play to device 'pulse' (PULSE_SINK=line), heard on line.monitor."""
    sd = pytest.importorskip("sounddevice")
    seconds, frequency = 1.0, 440.0
    t = np.arange(int(seconds * pulse.RATE)) / pulse.RATE
    tone = (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)

    recording = on_virtual_line.start_recording(seconds + 2.0)
    sd.play(tone, pulse.RATE, device="pulse")
    captured = recording.result()
    sd.stop()  # the tone is over; skip the null sink's slow drain of its 2 s buffer

    span = levels.active_span(captured)
    assert span is not None, "nothing came out of line.monitor"
    start, end = span
    assert (end - start) / pulse.RATE == pytest.approx(seconds, abs=0.1)
    assert levels.dominant_frequency(captured[start:end], pulse.RATE) == pytest.approx(frequency, abs=5)
    assert levels.dbfs(captured[start:end]) == pytest.approx(levels.dbfs(tone), abs=3)


def test_stop_ends_the_daemon_by_its_pid_file_and_removes_its_directory():
    missing = pulse.missing_requirements()
    if missing:
        skip_or_fail(pulse.skip_reason(missing))
    line = pulse.VirtualLine.start()
    pid = line.daemon_pid()
    assert pid is not None and pulse.is_running(pid)
    line.stop()
    assert not pulse.is_running(pid)
    assert not line.runtime_dir.exists()


def test_missing_programs_are_named_with_the_install_command(monkeypatch, tmp_path):
    """An empty PATH really hides the PulseAudio programs (no simulation needed)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = pulse.missing_requirements()
    assert missing[:3] == ["pulseaudio (pulseaudio)", "pactl (pulseaudio-utils)", "parec (pulseaudio-utils)"]
    reason = pulse.skip_reason(missing)
    assert reason.startswith("virtual phone line unavailable: missing pulseaudio (pulseaudio), pactl")
    assert "sudo apt-get install pulseaudio pulseaudio-utils libportaudio2" in reason


def test_apply_sets_and_restores_the_environment(virtual_line, monkeypatch):
    monkeypatch.delenv("PULSE_SOURCE", raising=False)
    with virtual_line.apply(PULSE_SOURCE=pulse.LINE_MONITOR):
        assert os.environ["PULSE_SOURCE"] == pulse.LINE_MONITOR
        assert os.environ["PULSE_SERVER"] == virtual_line.env["PULSE_SERVER"]
    assert "PULSE_SOURCE" not in os.environ


def test_a_killed_test_process_leaves_no_daemon_behind(tmp_path):
    """SIGKILL skips every teardown; the daemon must still go, by its idle exit."""
    missing = pulse.missing_requirements()
    if missing:
        skip_or_fail(pulse.skip_reason(missing))
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is missing, so the drain cannot die with its parent")
    repo = Path(__file__).resolve().parents[2]
    code = (
        f"import os, signal, sys; sys.path.insert(0, {str(repo)!r})\n"
        "from tests.support import pulse\n"
        "line = pulse.VirtualLine.start()\n"
        "print(line.daemon_pid(), line.runtime_dir, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == -9, result.stderr
    pid_text, runtime_dir = result.stdout.split()
    pid = int(pid_text)
    try:
        # A liveness wait, not a timing assertion: generous next to the 5 s idle exit.
        assert pulse._wait_gone(pid, pulse.EXIT_IDLE_SECONDS + 30.0), "the orphaned daemon is still running"
    finally:
        if pulse.is_running(pid) and pulse._is_pulseaudio(pid):
            os.kill(pid, 15)  # our own daemon, by its pid
        shutil.rmtree(runtime_dir, ignore_errors=True)
