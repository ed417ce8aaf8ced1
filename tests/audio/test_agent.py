"""The agent's own microphone: noticing the line was said, and forbidden phrasing.

Recognition uses the Korean test model, so the "lines" here are Korean; the logic is the same
for the Chinese lines of the shipped flows with the Chinese model.
"""

from __future__ import annotations

import time

import pytest

from tests.audio.test_capture import Sink

np = pytest.importorskip("numpy")
pytest.importorskip("webrtcvad")


def run_agent(samples, say, never=(), recognizer=None):
    from callscript.audio.pipeline import AgentPipeline

    outputs = []
    pipeline = AgentPipeline(outputs.append, recognizer=recognizer)
    pipeline.set_step(say, never)
    for start in range(0, len(samples), 4800):
        pipeline.feed(samples[start:start + 4800])
    pipeline.finish()
    return [o for o in outputs if o.kind == "condition" and o.name.startswith("agent_")]


def test_without_a_model_a_stretch_of_speech_then_a_pause_is_the_line_said(recordings, read_wav):
    events = run_agent(read_wav(recordings.build("normal")), "您好,请问有什么可以帮助您?")
    assert [e.name for e in events] == ["agent_said"]
    assert events[0].detail["reason"] == "the agent finished the line"
    assert "coverage" not in events[0].detail


def test_the_line_is_said_once_per_step(recordings, read_wav):
    samples = np.concatenate([read_wav(recordings.build("normal"))] * 2)
    events = run_agent(samples, "您好")
    assert [e.name for e in events] == ["agent_said"]


def test_a_step_without_a_line_is_never_reported_said(recordings, read_wav):
    assert run_agent(read_wav(recordings.build("normal")), None) == []


def test_with_a_model_the_line_is_said_when_the_words_were_heard(ko_model, recordings, read_wav):
    from callscript.audio.recognizer import Recognizer

    events = run_agent(read_wav(recordings.build("ko_thanks")), "감사합니다", recognizer=Recognizer(ko_model))
    assert [e.name for e in events] == ["agent_said"]
    assert events[0].detail["coverage"] >= 0.5


def test_with_a_model_other_words_do_not_count_as_the_line(ko_model, recordings, read_wav):
    from callscript.audio.recognizer import Recognizer

    events = run_agent(read_wav(recordings.build("ko_yes")), "감사합니다", recognizer=Recognizer(ko_model))
    assert events == []


def test_forbidden_phrasing_in_what_the_agent_said_is_noticed(ko_model, recordings, read_wav):
    from callscript.audio.recognizer import Recognizer

    events = run_agent(read_wav(recordings.build("ko_thanks")), "네", never=["감사합니다"],
                       recognizer=Recognizer(ko_model))
    forbidden = [e for e in events if e.name == "agent_forbidden"]
    assert len(forbidden) == 1
    assert forbidden[0].detail["phrase"] == "감사합니다"
    assert forbidden[0].detail["reason"] == "forbidden phrasing heard: 감사합니다"


@pytest.mark.audio
@pytest.mark.slow
def test_the_listener_hears_the_agent_on_a_second_device(on_virtual_line, recordings):
    """Both inputs are the virtual caller source here; the agent side reports agent_said."""
    from callscript.audio.listener import LineListener
    from callscript.flow.library import resolve

    flow, _ = resolve("silent_call")
    sink = Sink()
    listener = LineListener(device="pulse", agent_device="pulse", model=False)
    listener.follow(flow.steps["greet"], "您好!请问有什么可以帮助您?")
    listener.start(sink)
    try:
        assert sink.wait_for(lambda: sink.levels, 10), sink.problems
        time.sleep(0.5)  # both streams open; not an assertion
        on_virtual_line.feed(recordings.build("normal")).wait()
        assert sink.wait_for(lambda: "agent_said" in sink.names(), 5), (sink.problems, sink.conditions)
    finally:
        listener.stop()
    assert sink.problems == []


class UnpluggedAfter:
    """The agent's headset: a few blocks of silence, then it is unplugged (``blocks()`` raises,
    as ``DeviceSource`` does when the device goes away)."""

    def __init__(self, path, blocks: int) -> None:
        from callscript.audio.sources import WavSource

        self.inner = WavSource(path, realtime=False)
        self.left = blocks

    def open(self) -> None:
        self.inner.open()

    def blocks(self):  # noqa: ANN201
        from callscript.audio.sources import AudioUnavailable

        for block in self.inner.blocks():
            if self.left <= 0:
                raise AudioUnavailable("the agent's headset went away", hint="plug it back in")
            self.left -= 1
            yield block

    def close(self) -> None:
        self.inner.close()


def test_a_reconnected_agent_microphone_still_knows_the_line(recordings):
    """The line was given before the headset was lost: after it comes back, finishing the line is
    still noticed (the new pipeline is told the current line)."""
    from callscript.audio.listener import LineListener
    from callscript.audio.sources import WavSource

    plugged = [UnpluggedAfter(recordings.build("silence"), blocks=5), WavSource(recordings.build("normal"),
                                                                                    realtime=False)]
    sink = Sink()
    listener = LineListener(model=False, retry_seconds=0.1, agent_source_factory=lambda: plugged.pop(0),
                            source_factory=lambda: WavSource(recordings.build("silence"), realtime=True))
    listener.agent_line("您好,请问有什么可以帮助您?")
    listener.start(sink)
    try:
        assert sink.wait_for(lambda: "agent_said" in sink.names(), 15), (sink.problems, sink.conditions)
        from callscript.health import Part, State

        lost = [h for h in sink.health if "went away" in h.detail]
        assert lost and all(h.part is Part.AGENT_MIC and h.state is State.LOST for h in lost)  # typed
    finally:
        listener.stop()
