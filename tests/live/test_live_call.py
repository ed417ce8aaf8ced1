"""The headless live call, driven by commands and line signals with a ManualClock: no UI at all.

Each test states one rule of ``callscript.live.call``: silence counts from the end of the line,
a suggestion lives as long as its cause, accepting re-checks it, events go out to subscribers,
the log is closed once and the line audio recording with it.
"""

from __future__ import annotations

from pathlib import Path

from callscript.engine import ManualClock
from callscript.live import LiveCall, summarise
from callscript.live.events import CallEnded, Noticed, StepChanged, SuggestionsChanged
from callscript.live.signals import Level, LineCondition, Transcript
from callscript.session.log import read_log


def open_call(flows, tmp_path, flow_id="main_call"):
    clock = ManualClock()
    call = LiveCall.open(flows, flow_id, clock=clock, log_dir=tmp_path)
    events: list = []
    call.subscribe(events.append)
    call.start()
    return call, clock, events


def suggested(call) -> list[tuple[str, str]]:
    return [(s.flow_id, s.cause.condition) for s in call.suggestions]


def test_silence_during_the_agents_line_is_no_silence(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    clock.advance(3.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))  # the listener counts from its own start
    assert call.suggestions == () and call.silence() is None  # the greeting is not said yet
    clock.advance(10.0)
    call.poll()
    assert call.suggestions == ()
    call.say_done()  # at 13 s
    clock.advance(4.0)
    call.poll()
    count = call.silence()
    assert count is not None and count.after == "line_said" and count.seconds == 4.0
    assert call.suggestions == ()
    assert call.next_deadline() == 18.0  # five seconds after the line was said
    clock.advance(1.0)
    call.poll()
    assert suggested(call) == [("silent_call", "silence")]
    assert call.suggestions[0].cause.since == 13.0


def test_caller_speech_withdraws_a_silence_suggestion_and_accepting_then_does_nothing(shipped_flows, tmp_path):
    call, clock, events = open_call(shipped_flows, tmp_path)
    call.say_done()
    clock.advance(5.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    assert suggested(call) == [("silent_call", "silence")]
    events.clear()
    call.hear(LineCondition("speech_started"))
    assert call.suggestions == ()
    withdrawn = [e for e in events if isinstance(e, SuggestionsChanged)]
    assert [s.flow_id for s in withdrawn[0].withdrawn] == ["silent_call"]
    assert not call.accept()
    assert call.engine.flow.id == "main_call"


def test_silence_after_the_caller_stops_counts_from_the_end_of_their_speech(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    call.hear(LineCondition("speech_started"))
    assert call.silence() is None  # the caller is speaking
    clock.advance(2.0)
    call.hear(LineCondition("speech_stopped"))
    clock.advance(3.0)
    count = call.silence()
    assert count is not None and (count.after, count.since, count.seconds) == ("caller_stopped", 2.0, 3.0)


def test_a_partial_transcript_is_speech_too(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    clock.advance(6.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    assert call.suggestions
    call.hear(Transcript("喂", False))
    assert call.suggestions == ()


def test_a_recovered_level_withdraws_too_quiet_after_a_few_seconds_of_normal_speech(shipped_flows, tmp_path):
    # Judged on the speech level the listener measured (background taken out), as low_volume was:
    # the meter includes the line's hum, which on a noisy line is above a faint caller's threshold.
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    call.hear(LineCondition("speech_started"))
    call.hear(LineCondition("low_volume", {"level_dbfs": -55.0, "threshold_dbfs": -48.0}))
    assert ("caller_too_quiet", "low_volume") in suggested(call)
    for level in [-30.0] * 30:  # the meter reads the hum: loud, yet the caller is still faint
        clock.advance(0.1)
        call.hear(Level(level))
    call.hear(LineCondition("speech_stopped", {"duration": 3.0, "speech_level_dbfs": -53.0}))
    assert ("caller_too_quiet", "low_volume") in suggested(call)
    call.hear(LineCondition("speech_started"))
    clock.advance(1.0)
    call.hear(LineCondition("speech_stopped", {"duration": 1.0, "speech_level_dbfs": -30.0}))  # too short to tell
    assert ("caller_too_quiet", "low_volume") in suggested(call)
    call.hear(LineCondition("speech_started"))
    clock.advance(2.5)
    call.hear(LineCondition("speech_stopped", {"duration": 2.5, "speech_level_dbfs": -30.0}))
    assert ("caller_too_quiet", "low_volume") not in suggested(call)


def test_a_quiet_background_withdraws_noise_but_a_noisy_moment_starts_the_count_again(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    call.hear(LineCondition("noise", {"floor_dbfs": -30.0, "threshold_dbfs": -45.0}))
    assert ("noisy_line", "noise") in suggested(call)
    for level in [-60.0] * 15 + [-30.0] + [-60.0] * 15:
        clock.advance(0.1)
        call.hear(Level(level))
    assert ("noisy_line", "noise") in suggested(call)  # 1.5 s quiet since the noisy moment
    for _ in range(6):
        clock.advance(0.1)
        call.hear(Level(-60.0))
    assert ("noisy_line", "noise") not in suggested(call)


def test_accepting_takes_the_situation_and_a_running_situation_is_noticed(shipped_flows, tmp_path):
    call, clock, events = open_call(shipped_flows, tmp_path)
    call.say_done()
    clock.advance(5.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    assert call.accept()
    assert call.engine.flow.id == "silent_call" and call.suggestions == ()
    events.clear()
    assert not call.situation("silent_call")
    assert events == [Noticed("situation_running", {"flow": "silent_call"})]


def test_events_go_out_and_the_call_ends_once(shipped_flows, tmp_path):
    call, clock, events = open_call(shipped_flows, tmp_path, "noisy_line")
    assert isinstance(events[0], StepChanged)
    call.say_done()
    clock.advance(5.0)
    call.poll()
    assert isinstance(events[-1], CallEnded) and events[-1].outcome == "hang_up"
    call.close()
    call.close()
    assert [e for e in events if isinstance(e, CallEnded)] == [CallEnded("hang_up")]
    summary = summarise(call)
    assert summary.outcome == "hang_up" and summary.marks == ()


class Recorder:
    """Stands in for the line audio writer (callscript.audio is not imported by the live call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.samplerate = 16000
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_the_line_audio_recording_is_logged_and_closed_with_the_call(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    clock.advance(1.5)
    recorder = Recorder(tmp_path / "x.line.flac")
    stopped = []
    assert call.record_line(recorder, on_close=lambda: stopped.append(True))
    assert not call.record_line(recorder)  # once per call
    call.close()
    assert recorder.closed and stopped == [True]
    line_audio = [r for r in read_log(call.log_path).records if r["type"] == "line_audio"]
    assert line_audio == [{"type": "line_audio", "t": 1.5, "mono": 1.5, "file": "x.line.flac", "rate": 16000,
                           "wall": line_audio[0]["wall"]}]


def test_the_path_leaves_out_the_silent_step_a_situation_ends_on_to_go_back(shipped_flows):
    from callscript.live.summary import path_steps

    history = [(0.0, "main_call", "greet"), (3.0, "speakerphone", "ask_pick_up"), (7.8, "speakerphone", "back"),
               (7.8, "main_call", "greet"), (9.0, "noisy_line", "ask_call_again"), (15.0, "noisy_line", "hang_up")]
    assert path_steps(history, shipped_flows) == [
        ("main_call", "greet"), ("speakerphone", "ask_pick_up"), ("main_call", "greet"),
        ("noisy_line", "ask_call_again"), ("noisy_line", "hang_up")]  # hanging up is a place in the call
