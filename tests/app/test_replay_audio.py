"""Line audio: recorded next to the log during a live call (``record_line_audio``), played back in
sync by the replay through sounddevice to the PulseAudio virtual line (``tests/support/pulse.py``).

Real parts throughout: the real ``LineListener`` plays a recorded caller line in real time, the
app records it, and the replay's playback is captured from the null sink's monitor. Real time, so
these take as long as the recording (about 8 s) plus a few seconds of playback.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from callscript.app.replay import line_audio, load_replay
from callscript.engine.clock import MonotonicClock
from callscript.session.log import read_log
from callscript.settings import Settings
from tests.app.driver import build_app, screen_text
from tests.support import levels, pulse

pytestmark = pytest.mark.slow


async def wait_until(pilot, predicate, limit: float, what: str) -> None:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < limit, f"never happened: {what}"
        await pilot.pause(0.05)


def record_a_call(shipped_flows, tmp_path, recording) -> tuple:
    """A live call with listening on and record_line_audio set; the caller's line is ``recording``."""
    listener_module = pytest.importorskip("callscript.audio.listener")
    pytest.importorskip("soundfile")
    pytest.importorskip("webrtcvad")
    listener = listener_module.LineListener(line_audio=recording, model=False)
    expected = levels_read(recording)

    async def scenario() -> None:
        # A live call in real time: the log's times and the audio's must agree.
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", listener=listener,
                        clock=MonotonicClock(), settings=Settings(record_line_audio=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            call = app.live_call
            await wait_until(pilot, lambda: call.recording is not None, 10.0, "the recording started")
            writer = call.recording
            # The whole file is played in real time; the recording is what was heard of it.
            await wait_until(pilot, lambda: not any(t.is_alive() for t in listener._threads), 30.0,
                             "the line recording was played to its end")
            assert writer.seconds > len(expected) / pulse.RATE - 1.0
            await pilot.press("ctrl+e", "enter")
            await pilot.pause()
            assert call.closed and listener._tap is None  # the recording stopped with the call

    asyncio.run(scenario())
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    return log, expected


def levels_read(path):
    from tests.support import recordings

    return recordings.read(path)


def test_a_live_call_records_its_line_audio_next_to_the_log(shipped_flows, tmp_path, line_recordings):
    import soundfile as sf

    log, expected = record_a_call(shipped_flows, tmp_path, line_recordings.mandarin)
    records = read_log(log).records
    (entry,) = [r for r in records if r["type"] == "line_audio"]
    audio = log.with_name(log.stem + ".line.flac")
    assert entry["file"] == audio.name and entry["rate"] == 16000 and entry["t"] >= 0
    samples, rate = sf.read(str(audio), dtype="int16")
    assert rate == 16000
    # Lossless and in order: exactly the end of what the line carried (the first blocks may have
    # gone by before the listener was tapped).
    assert len(samples) > len(expected) - 16000
    assert (samples == expected[len(expected) - len(samples):]).all()
    found = line_audio(load_replay(log, shipped_flows).timeline)
    # The timeline derives every time from the monotonic clock, rounded to 0.1 ms like the log's
    # own fields, so the offset may differ from the record's 't' by that rounding; a sync error of
    # 1 ms would be inaudible.
    assert found[0] == audio and found[1] == pytest.approx(entry["t"], abs=1e-3)


def test_the_replay_plays_the_line_audio_in_sync_and_pause_stops_it(shipped_flows, tmp_path, line_recordings,
                                                                   on_virtual_line):
    import soundfile as sf

    log, _ = record_a_call(shipped_flows, tmp_path / "live", line_recordings.mandarin)
    recorded, _ = sf.read(str(log.with_name(log.stem + ".line.flac")), dtype="int16")
    replay = load_replay(log, shipped_flows)
    offset = line_audio(replay.timeline)[1]

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "replay", replay=replay,
                        settings=Settings(interface_language="en", output_device="pulse"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            await wait_until(pilot, lambda: screen._audio is not None, 10.0, "the line audio was loaded")
            assert "Line audio:" in screen_text(app)
            # From 3 s into the call: the caller is speaking there.
            start = 3.0
            await pilot.press("j", *"3", "enter")
            capture = on_virtual_line.start_recording(2.0)
            await pilot.press("space")
            heard = await asyncio.to_thread(capture.result)
            span = levels.active_span(heard)
            assert span is not None, "nothing came out of the line monitor:\n" + screen_text(app)
            # Up to 1 s of what played, in two halves: an underrun of real-time playback on a busy
            # machine (a few ms of silence) spoils the match of the half it falls in, not the other's.
            half = pulse.RATE // 2
            found = [(levels.locate(recorded, heard[begin:begin + half]), begin)
                     for begin in (span[0], span[0] + half) if begin + half <= span[1]]
            assert found, "less than half a second came out of the line monitor"
            (where, score), begin = max(found, key=lambda item: item[0][1])
            assert score > 0.9, "what played is not the recorded line"
            # It started where the playhead was (allowing for the device's start-up and buffering).
            played_from = (where - (begin - span[0])) / pulse.RATE - span[0] / pulse.RATE
            assert played_from == pytest.approx(start - offset, abs=0.35)

            await pilot.press("space")  # pause: the line audio stops with the timeline
            assert not screen.playhead.playing
            await asyncio.sleep(0.5)  # what was already in the device's buffer drains
            quiet = await asyncio.to_thread(on_virtual_line.start_recording(1.0).result)
            assert levels.active_span(quiet) is None, "the line audio went on after pause"

    asyncio.run(scenario())


def test_without_an_output_device_the_replay_still_works_and_says_so(shipped_flows, tmp_path, line_recordings):
    log, _ = record_a_call(shipped_flows, tmp_path / "live", line_recordings.silence)
    replay = load_replay(log, shipped_flows)

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "replay", replay=replay,
                        settings=Settings(interface_language="en", output_device="no such device here"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            await wait_until(pilot, lambda: screen._audio is not None, 10.0, "the line audio was loaded")
            await pilot.press("space")
            await wait_until(pilot, lambda: "The line audio cannot play" in screen_text(app), 10.0,
                             "the replay said the audio cannot play")
            assert screen.playhead.playing  # the timeline plays on, silent

    asyncio.run(scenario())


def test_an_input_that_never_delivers_leaves_no_recording_and_no_record(shipped_flows, tmp_path):
    """record_line_audio on, and the line's input is a file that is not audio: the real listener
    fails before any block. No .line.flac (not even an empty one) and no line_audio record, so
    the replay never points at a recording that cannot be opened."""
    listener_module = pytest.importorskip("callscript.audio.listener")
    pytest.importorskip("soundfile")
    notaudio = tmp_path / "notaudio.wav"
    notaudio.write_text("this is not audio\n", "utf-8")
    listener = listener_module.LineListener(line_audio=notaudio, model=False)

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", listener=listener,
                        settings=Settings(record_line_audio=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await wait_until(pilot, lambda: app.listener is not None, 10.0, "the listener started")
            await wait_until(pilot, lambda: not any(t.is_alive() for t in listener._threads), 10.0,
                             "the listener gave up on the file")
            await pilot.pause(0.2)
            assert app.live_call.recording is None
            await pilot.press("ctrl+e", "enter")
            await pilot.pause()

    asyncio.run(scenario())
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert [r for r in read_log(log).records if r["type"] == "line_audio"] == []
    assert sorted(p.name for p in (tmp_path / "logs").iterdir() if p.suffix != ".jsonl") == []
