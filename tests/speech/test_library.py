"""The audio/ library: rendered once, re-rendered only where a line changed, honest about the rest.

``test_the_shipped_library_matches_the_shipped_flows`` is the check that the committed ``callscript/data/audio/``
is complete and current: it needs no speech engine.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from callscript.errors import CallscriptError
from callscript.flow.model import Flow
from callscript.speech.checks import check_speech
from callscript.speech.clip import Clip, load_clip
from callscript.speech.library import (
    Library,
    Manifest,
    default_audio_dir,
    flow_lines,
    library_status,
    record_human,
    render_library,
    sha256,
    step_line,
)
from callscript.speech.voices import DEFAULT_RATE


def with_line(flow: Flow, step: str, say: str) -> Flow:
    steps = dict(flow.steps)
    steps[step] = dataclasses.replace(steps[step], say=say)
    return dataclasses.replace(flow, steps=steps)


def without_step(flow: Flow, step: str) -> Flow:
    return dataclasses.replace(flow, steps={k: v for k, v in flow.steps.items() if k != step})


def test_the_shipped_library_matches_the_shipped_flows(flows: dict[str, Flow]) -> None:
    """Every say line of every built-in flow has a current clip, and nothing else is there."""
    audio_dir = default_audio_dir()
    status = library_status(flows.values(), audio_dir, rate=DEFAULT_RATE)
    assert [str(f) for f in status.findings] == [], "run 'callscript audio render' and commit callscript/data/audio/"
    assert len(status.current) == len(flow_lines(flows.values())) > 0
    manifest = Manifest.load(audio_dir)
    for line in status.current:
        clip = load_clip(audio_dir / line.rendered)
        entry = manifest.clips[line.rendered]
        check_speech(clip.samples, clip.samplerate, line.text, rate=entry["rate"], where=line.rendered)
        assert clip.seconds == pytest.approx(entry["seconds"], abs=0.01)


def test_lines_are_filled_with_the_flow_defaults(flows: dict[str, Flow]) -> None:
    line = step_line(flows["greeting"], "greet")
    assert "{" not in line.text
    assert flows["greeting"].defaults()["hotline"] in line.text
    assert line.rendered == "zh-CN/greeting/greet.ogg"
    assert step_line(flows["greeting"], "greet", {"hotline": "XX银行"}).text != line.text


def test_a_step_without_a_line_or_an_unknown_step_is_a_user_error(flows: dict[str, Flow]) -> None:
    with pytest.raises(CallscriptError, match="has no line to say"):
        step_line(flows["silent_call"], "hang_up")
    with pytest.raises(CallscriptError, match="has no step 'gret'") as caught:
        step_line(flows["silent_call"], "gret")
    assert caught.value.hint == "did you mean 'greet'?"


@pytest.mark.speech
def test_render_makes_every_line_then_only_what_changed(synth, audio_dir: Path, flows: dict[str, Flow]) -> None:
    flow = flows["silent_call"]
    first = render_library([flow], audio_dir, synth)
    lines = flow_lines([flow])
    assert [line for line, _ in first.rendered] == lines
    assert library_status([flow], audio_dir).ok
    hashes = {line.rendered: sha256(audio_dir / line.rendered) for line in lines}

    assert render_library([flow], audio_dir, synth).rendered == []  # nothing to do

    changed = with_line(flow, "greet_again", "您好,请问您能听到我说话吗?")
    status = library_status([changed], audio_dir)
    assert [(f.state, f.path) for f in status.findings] == [("stale", "zh-CN/silent_call/greet_again.ogg")]
    again = render_library([changed], audio_dir, synth)
    assert [line.step for line, _ in again.rendered] == ["greet_again"]
    for line in lines:
        if line.step != "greet_again":
            assert sha256(audio_dir / line.rendered) == hashes[line.rendered]  # untouched
    entry = Manifest.load(audio_dir).clips["zh-CN/silent_call/greet_again.ogg"]
    assert entry["text"] == "您好,请问您能听到我说话吗?"
    assert library_status([changed], audio_dir).ok


@pytest.mark.speech
def test_a_new_rate_makes_every_clip_stale(synth, audio_dir: Path, flows: dict[str, Flow]) -> None:
    flow = flows["silent_call"]
    render_library([flow], audio_dir, synth)
    status = library_status([flow], audio_dir, rate=200)
    assert {f.state for f in status.findings} == {"stale"}
    assert len(status.to_render) == len(flow_lines([flow]))


@pytest.mark.speech
def test_clips_of_removed_steps_are_orphans_and_render_removes_them(synth, audio_dir: Path, flows: dict[str, Flow]) -> None:
    flow = flows["silent_call"]
    render_library([flow], audio_dir, synth)
    shorter = without_step(flow, "greet_again")
    status = library_status([shorter], audio_dir)
    assert [(f.state, f.path) for f in status.findings] == [("orphan", "zh-CN/silent_call/greet_again.ogg")]
    report = render_library([shorter], audio_dir, synth)
    assert report.removed == ["zh-CN/silent_call/greet_again.ogg"]
    assert not (audio_dir / "zh-CN/silent_call/greet_again.ogg").exists()
    assert "zh-CN/silent_call/greet_again.ogg" not in Manifest.load(audio_dir).clips


@pytest.mark.speech
def test_a_clip_changed_behind_the_manifests_back_is_reported_and_rerendered(
    synth, audio_dir: Path, flows: dict[str, Flow]
) -> None:
    flow = flows["silent_call"]
    render_library([flow], audio_dir, synth)
    (audio_dir / "zh-CN/silent_call/greet.ogg").write_bytes(b"not audio")
    status = library_status([flow], audio_dir)
    assert [(f.state, f.path) for f in status.findings] == [("modified", "zh-CN/silent_call/greet.ogg")]
    assert [line.step for line, _ in render_library([flow], audio_dir, synth).rendered] == ["greet"]


def test_a_recording_comes_first_and_is_never_deleted_when_its_line_changes(
    audio_dir: Path, flows: dict[str, Flow]
) -> None:
    flow = flows["silent_call"]
    line = step_line(flow, "greet")
    take = Clip(np.sin(np.linspace(0, 4000, 22050 * 3)).astype(np.float32) * 0.3, 22050)
    key = record_human(audio_dir, line, take)
    assert key == "zh-CN/silent_call/greet.human.ogg"
    found = Library(audio_dir).find(line.text, "zh-CN")
    assert [f.kind for f in found] == ["human"]
    status = library_status([flow], audio_dir)
    assert status.humans == [key]

    changed = with_line(flow, "greet", "您好,这里是客服中心。")
    status = library_status([changed], audio_dir)
    assert ("human-stale", key) in [(f.state, f.path) for f in status.findings]
    assert Library(audio_dir).find("您好,这里是客服中心。", "zh-CN") == []  # not played for the new line
    assert (audio_dir / key).exists()


def test_a_retake_in_another_format_replaces_the_first(audio_dir: Path, flows: dict[str, Flow]) -> None:
    line = step_line(flows["silent_call"], "greet")
    take = Clip(np.full(22050, 0.1, dtype=np.float32), 22050)
    record_human(audio_dir, line, take, ".wav")
    record_human(audio_dir, line, take, ".flac")
    assert not (audio_dir / line.human(".wav")).exists()
    assert [k for k in Manifest.load(audio_dir).clips] == [line.human(".flac")]


def test_an_unreadable_manifest_is_a_user_error_with_a_fix(audio_dir: Path) -> None:
    (audio_dir / "manifest.json").write_text("{not json")
    with pytest.raises(CallscriptError, match="cannot be read") as caught:
        Manifest.load(audio_dir)
    assert "restore it from git" in caught.value.hint
    (audio_dir / "manifest.json").write_text(json.dumps({"format": 99, "clips": {}}))
    with pytest.raises(CallscriptError, match="not format 1"):
        Manifest.load(audio_dir)


def test_the_manifest_is_written_sorted_and_readable(audio_dir: Path) -> None:
    manifest = Manifest({"zh-CN/b/x.ogg": {"text": "您好", "flow": "b"}, "zh-CN/a/y.ogg": {"text": "再见", "flow": "a"}})
    manifest.save(audio_dir)
    text = (audio_dir / "manifest.json").read_text(encoding="utf-8")
    assert "您好" in text  # not \u escapes
    assert text.index("zh-CN/a/y.ogg") < text.index("zh-CN/b/x.ogg")
    assert Manifest.load(audio_dir).clips == manifest.clips
