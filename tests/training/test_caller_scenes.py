"""What the caller does before each line of a drill comes from the flow file: the built-in flows'
callers, main_call's per line, the descriptions by kind, and the voices espeak-ng really has."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from callscript.flow.library import load_flows
from callscript.flow.schema import CALLER_VOICES
from callscript.training.caller import first_scene, scene_for
from callscript.training.drill import drill_path
from tests.support import skip_or_fail


@pytest.fixture(scope="module")
def flows():
    return load_flows()


def test_main_call_has_no_caller_before_the_greeting_and_an_upset_one_before_empathy(flows):
    flow = flows["main_call"]
    scenes = {step.id: scene_for(flow, step) for step in drill_path(flow)}
    assert list(scenes) == ["greet", "confirm", "empathy", "closing"]
    assert scenes["greet"] is None  # the agent greets first: the caller has said nothing yet
    assert scenes["confirm"].kind == "normal" and "订单" in scenes["confirm"].text
    assert scenes["empathy"].kind == "upset"
    assert scenes["empathy"].description("zh") == f"客户很生气:“{scenes['empathy'].text}”"
    assert scenes["empathy"].description("en") == f"The caller is angry: “{scenes['empathy'].text}”"
    assert first_scene(flow) == scenes["confirm"]  # what the study picker describes


def test_every_situation_with_lines_declares_its_caller_in_the_flow_file(flows):
    """A situation's drill always has a caller, and it comes from the YAML (its mark says where)."""
    for flow in flows.values():
        if flow.is_situation and drill_path(flow) and flow.id != "greeting":
            assert flow.caller is not None, flow.id
            assert flow.caller.mark.path.endswith(f"{flow.id}.yaml")
            scene = scene_for(flow, drill_path(flow)[0])
            assert scene.kind == flow.caller.kind and scene.text == flow.caller.say


def test_a_silent_callers_description_says_nobody_speaks(flows):
    scene = scene_for(flows["silent_call"])
    assert (scene.kind, scene.text) == ("silence", "")
    assert scene.description("zh") == "线路接通了,但客户一直不说话:只听到很轻的线路声。"


@pytest.mark.speech
def test_every_caller_voice_the_schema_allows_is_an_espeak_ng_voice():
    if shutil.which("espeak-ng") is None:
        skip_or_fail("espeak-ng is missing; install it with 'sudo apt-get install espeak-ng' (or run scripts/setup)")
    listed = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True).stdout
    languages = {line.split()[1] for line in listed.splitlines()[1:] if line.split()}
    assert sorted(set(CALLER_VOICES) - languages) == []
