"""Real capture: the recordings are fed into the PulseAudio virtual caller source and heard through
sounddevice (device ``pulse``), resampled, analysed and recognised by the app's ``LineListener``.

These run in real time (a few seconds each) because the virtual line does.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.support import pulse

np = pytest.importorskip("numpy")
pytest.importorskip("sounddevice")
pytest.importorskip("webrtcvad")

pytestmark = [pytest.mark.audio, pytest.mark.slow]


class Sink:
    """Collects what a listener reports (the app's LineSink protocol), thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conditions: list[tuple[str, dict]] = []
        self.transcripts: list[tuple[str, bool]] = []
        self.levels: list[float] = []
        self.problems: list[str] = []  # the library's own words (``DeviceHealth.detail``)
        self.health: list = []  # the typed reports themselves (``callscript.health.DeviceHealth``)

    def condition(self, name: str, detail: dict) -> None:
        with self.lock:
            self.conditions.append((name, detail))

    def transcript(self, text: str, final: bool) -> None:
        with self.lock:
            self.transcripts.append((text, final))

    def level(self, rms_dbfs: float) -> None:
        with self.lock:
            self.levels.append(rms_dbfs)

    def problem(self, health) -> None:
        with self.lock:
            self.health.append(health)
            self.problems.append(health.detail)

    def names(self) -> list[str]:
        with self.lock:
            return [n for n, _ in self.conditions]

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()


def listen_to(line: pulse.VirtualLine, recording: Path, *, tail: float = 1.0, **kwargs) -> Sink:
    """Start a LineListener on the virtual caller, feed ``recording``, wait for it and ``tail`` more."""
    from callscript.audio.listener import LineListener

    sink = Sink()
    listener = LineListener(device="pulse", **{"model": False, **kwargs})
    listener.start(sink)
    try:
        assert sink.wait_for(lambda: sink.levels, 10), f"no audio reached the listener: {sink.problems}"
        line.feed(recording).wait()
        time.sleep(tail)  # let the tail of the audio travel through PulseAudio; not an assertion
    finally:
        listener.stop()
    return sink


def test_the_device_source_opens_at_the_device_rate_and_delivers_16k_mono(on_virtual_line, recordings):
    from callscript.audio.sources import DeviceSource

    source = DeviceSource("pulse")
    source.open()
    got = []
    try:
        feed = on_virtual_line.feed(recordings.build("normal"))
        for block in source.blocks():
            got.append(block)
            if sum(len(b) for b in got) >= 16000 * (feed.duration + 0.5):
                break
    finally:
        source.close()
    audio = np.concatenate(got)
    assert audio.dtype == np.int16 and audio.ndim == 1
    assert source.rate in (16000, 44100, 48000)
    from tests.support import levels

    offset, similarity = levels.locate(audio, feed.samples)
    assert similarity > 0.9, f"the captured audio should contain the fed phrase (similarity {similarity:.3f})"


def test_a_normal_caller_is_heard_starting_and_stopping(on_virtual_line, recordings):
    sink = listen_to(on_virtual_line, recordings.build("normal"))
    assert sink.problems == []
    names = sink.names()
    assert "speech_started" in names and "speech_stopped" in names
    assert "low_volume" not in names and "noise" not in names
    assert max(sink.levels) > -30 and min(sink.levels) < -60, "the meter follows speech and silence"
    started = next(d for n, d in sink.conditions if n == "speech_started")
    assert started["reason"] == "the caller started speaking" and started["audio_t"] > 0


def test_silence_on_the_captured_line_is_reported_after_five_seconds(on_virtual_line, recordings):
    sink = listen_to(on_virtual_line, recordings.build("silence"), tail=0.5)
    conditions = dict(reversed(sink.conditions))
    assert "silence" in conditions, sink.conditions
    stopped = [d for n, d in sink.conditions if n == "speech_stopped"][-1]
    silence = [d for n, d in sink.conditions if n == "silence"][-1]
    assert 5.0 <= silence["audio_t"] - stopped["last_sound"] <= 5.3
    assert silence["reason"] == "line silent for 5 s"


def test_a_quiet_caller_on_the_captured_line_is_low_volume(on_virtual_line, recordings):
    sink = listen_to(on_virtual_line, recordings.build("quiet"))
    assert "low_volume" in sink.names(), sink.conditions


def test_a_noisy_captured_line_is_noise(on_virtual_line, recordings):
    sink = listen_to(on_virtual_line, recordings.build("noisy"))
    assert "noise" in sink.names(), sink.conditions


def test_speech_on_the_captured_line_is_recognised_with_the_steps_grammar(on_virtual_line, recordings, ko_model_path):
    from callscript.audio.listener import LineListener

    sink = Sink()
    listener = LineListener(device="pulse", model=ko_model_path)
    listener.expect(["네", "예", "감사합니다"])
    listener.start(sink)
    try:
        assert sink.wait_for(lambda: sink.levels, 60), f"no audio reached the listener: {sink.problems}"
        on_virtual_line.feed(recordings.build("ko_thanks")).wait()
        assert sink.wait_for(lambda: any(final for _, final in sink.transcripts), 10), sink.conditions
    finally:
        listener.stop()
    assert ("감사합니다", True) in sink.transcripts
    assert listener.grammar == ["네", "예", "감사합니다", "<UNK>"]


def test_an_unplugged_device_is_reported_as_a_problem_and_never_raised(tmp_path):
    """A private PulseAudio daemon plays the device; stopping it mid-capture is the unplug."""
    from callscript.audio.listener import LineListener

    missing = pulse.missing_requirements()
    if missing:
        pytest.skip(pulse.skip_reason(missing))
    line = pulse.VirtualLine.start()
    sink = Sink()
    listener = LineListener(device="pulse", model=False, retry_seconds=0.5)
    try:
        with line.apply():
            listener.start(sink)
            assert sink.wait_for(lambda: sink.levels, 10), sink.problems
            line.stop()  # the device goes away mid-call
            assert sink.wait_for(lambda: sink.problems, 15), "the listener must say the device went away"
    finally:
        listener.stop()
        line.stop()
    assert any("unplugged" in p or "cannot open" in p or "no input device" in p for p in sink.problems), sink.problems
