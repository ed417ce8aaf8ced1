"""``callscript say`` and ``callscript audio status|render`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.speech.checks import check_speech
from callscript.speech.clip import load_clip


def callscript(*args: str, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CALLSCRIPT_CONFIG_DIR": str(tmp_path / "config"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "callscript", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, check=False)


@pytest.mark.speech
def test_say_out_writes_the_line_as_checked_speech(tmp_path: Path, synth) -> None:
    out = tmp_path / "greet.flac"
    result = callscript("say", "silent_call", "greet", "--source", "synth", "--out", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "silent_call/greet: 您好!请问有什么可以帮助您?" in result.stderr
    assert "synthesized" in result.stderr
    clip = load_clip(out)
    check_speech(clip.samples, clip.samplerate, "您好!请问有什么可以帮助您?", rate=170)


@pytest.mark.speech
def test_say_fills_the_variables_given(tmp_path: Path, synth) -> None:
    out = tmp_path / "address.wav"
    result = callscript("say", "address_by_surname", "address", "--vars", "surname=王,title=女士",
                        "--out", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "王女士" in result.stderr
    assert "synthesized" in result.stderr  # not the rendered default (某先生/小姐)


def test_say_names_a_missing_step_and_suggests_one(tmp_path: Path) -> None:
    result = callscript("say", "silent_call", "gret", "--out", str(tmp_path / "x.wav"), tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "callscript/data/flows/silent_call.yaml: error: flow 'silent_call' has no step 'gret'",
        "  hint: did you mean 'greet'?",
    ]


def test_say_insisting_on_a_recording_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    result = callscript("say", "silent_call", "greet", "--source", "human", "--audio-dir", str(tmp_path),
                        "--out", str(tmp_path / "x.wav"), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "error: there is no recording of '您好!请问有什么可以帮助您?'" in result.stderr
    assert "callscript audio record FLOW STEP" in result.stderr


def test_say_refuses_an_unknown_output_format(tmp_path: Path) -> None:
    result = callscript("say", "silent_call", "greet", "--out", str(tmp_path / "x.mp3"), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "error: cannot write .mp3" in result.stderr
    assert "hint: use .wav, .flac or .ogg" in result.stderr


@pytest.mark.speech
def test_audio_status_fails_until_render_has_made_every_line(tmp_path: Path, synth) -> None:
    audio = str(tmp_path / "audio")
    before = callscript("audio", "status", "silent_call", "--audio-dir", audio, tmp_path=tmp_path)
    assert before.returncode == 1
    assert "missing     zh-CN/silent_call/greet.ogg" in before.stdout
    assert "0 of 3 lines up to date" in before.stdout
    render = callscript("audio", "render", "silent_call", "--audio-dir", audio, tmp_path=tmp_path)
    assert render.returncode == 0, render.stderr
    assert "rendered 3 line(s)" in render.stdout
    after = callscript("audio", "status", "silent_call", "--audio-dir", audio, tmp_path=tmp_path)
    assert after.returncode == 0
    assert after.stdout.strip().splitlines() == [
        f"3 of 3 lines up to date in {audio}, 0 recorded by a trainer",
        f"caller recordings in {audio}/callers: none; synthesised: silent_call",
    ]
    again = callscript("audio", "render", "silent_call", "--audio-dir", audio, tmp_path=tmp_path)
    assert "rendered 0 line(s)" in again.stdout and "3 already up to date" in again.stdout


def test_audio_status_lists_the_situations_with_a_caller_recording(tmp_path: Path) -> None:
    """audio/callers/<flow>.{ogg,flac,wav}: the caller's side of a drill, recorded by a trainer.
    Status says which situations have one and which are synthesised, and names a file that is no
    flow's; none of that is "out of date" (here the exit is 1 only because no clip is rendered)."""
    import wave

    callers = tmp_path / "audio" / "callers"
    callers.mkdir(parents=True)
    for name in ("silent_call.wav", "retired.wav"):
        with wave.open(str(callers / name), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16000)
            out.writeframes(b"\0\0" * 1600)
    (callers / "notes.txt").write_text("who recorded what\n", encoding="utf-8")
    audio = str(tmp_path / "audio")
    result = callscript("audio", "status", "silent_call", "noisy_line", "greeting", "--audio-dir", audio,
                        tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-3].startswith("0 of ")
    assert lines[-2:] == [
        f"caller recordings in {audio}/callers: silent_call (silent_call.wav); synthesised: noisy_line",
        "unused      callers/retired.wav: no flow 'retired' (name it after a flow id)",
    ]


def test_audio_render_without_a_speech_engine_says_how_to_get_one(tmp_path: Path) -> None:
    """A stand-in pyttsx3 that fails to import plays "pyttsx3 is not installed"."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pyttsx3.py").write_text("raise ImportError('No module named pyttsx3')\n")
    result = callscript("audio", "render", "silent_call", "--audio-dir", str(tmp_path / "audio"),
                        tmp_path=tmp_path, env={"PYTHONPATH": str(fake)})
    assert result.returncode == 1
    assert "error: no speech engine: ImportError: No module named pyttsx3" in result.stderr
    assert "apt-get install espeak-ng" in result.stderr
    assert "Traceback" not in result.stderr
