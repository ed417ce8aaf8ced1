"""Synthesis with the real pyttsx3 + espeak-ng worker: real speech, the right rate, honest failures.

The failure tests use the real worker with ``CALLSCRIPT_SPEECH_FAULT`` (see
``callscript/speech/worker.py``): pyttsx3's own failures (no file, another line's audio) are races
that cannot be triggered on demand, so the worker damages its output the same ways instead.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from callscript.errors import CallscriptError
from callscript.speech.checks import level_dbfs, speech_units
from callscript.speech.synth import SpeechUnavailable, SynthesisCancelled, SynthesisError, Synthesizer
from tests.speech.conftest import espeak_missing

pytestmark = pytest.mark.speech

SHORT_ZH = "您好"
LONG_ZH = "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"


@pytest.fixture()
def fresh_synth_env() -> None:
    reason = espeak_missing()
    if reason:
        from tests.support import skip_or_fail

        skip_or_fail(reason)


def test_rendered_lines_are_real_speech_in_proportion_to_their_text(synth: Synthesizer) -> None:
    short = synth.render(SHORT_ZH, "zh-CN")
    long = synth.render(LONG_ZH, "zh-CN")
    for rendered in (short, long):
        assert level_dbfs(rendered.samples) > -30.0  # espeak-ng speaks at about -20 dBFS
        assert rendered.report.voiced_fraction > 0.5
        assert rendered.attempts == 1
    # Seconds per unit agree within a factor of two between a 2-unit and a 26-unit line
    # (the short one carries the end pause on fewer units).
    per_unit_short = short.seconds / speech_units(SHORT_ZH)
    per_unit_long = long.seconds / speech_units(LONG_ZH)
    assert 0.5 < per_unit_short / per_unit_long < 2.0
    assert long.seconds > 6 * short.seconds / 2  # 13x the units: far longer, not a copy


def test_english_lines_use_the_english_voice(synth: Synthesizer) -> None:
    rendered = synth.render("Hello! How may I help you?", "en-US")
    assert rendered.voice == "gmw/en-us"
    assert 1.0 < rendered.seconds < 4.0


def test_the_rate_really_changes_between_renders_in_one_worker(synth: Synthesizer) -> None:
    """pyttsx3's own loop has applied rate changes late or not at all; the worker must not."""
    text = "Hello! How may I help you?"
    slow = synth.render(text, "en-US", rate=100)
    fast = synth.render(text, "en-US", rate=300)
    again = synth.render(text, "en-US", rate=100)
    assert slow.seconds > 2.5 * fast.seconds
    assert again.seconds == pytest.approx(slow.seconds, rel=0.01)


def test_many_lines_in_a_row_each_get_their_own_audio(synth: Synthesizer) -> None:
    """The "first file missing, second written twice" bug: each render must be its own line."""
    lines = ["您好", LONG_ZH, "请您稍等,我帮您查询一下。", "谢谢您的来电,再见!", "Thank you", "您好"]
    renders = [synth.render(text, "en-US" if text.isascii() else "zh-CN") for text in lines]
    seconds = [r.seconds for r in renders]
    assert seconds[0] == pytest.approx(seconds[5], rel=0.01)  # same line, same audio
    assert seconds[1] > 2 * seconds[2] > 2 * seconds[0]
    assert len({round(s, 2) for s in seconds[:5]}) == 5
    starts = synth.worker_starts
    synth.render("您好", "zh-CN")
    assert synth.worker_starts == starts  # the worker stays warm


def test_an_unknown_language_is_a_user_error(synth: Synthesizer) -> None:
    with pytest.raises(CallscriptError, match="no voice for language 'fr-FR'"):
        synth.render("Bonjour", "fr-FR")


@pytest.mark.parametrize("fault", ["empty", "short", "crash"])
def test_a_bad_render_is_caught_and_retried_once_in_a_fresh_worker(
    fresh_synth_env: None, tmp_path: Path, fault: str
) -> None:
    env = {"CALLSCRIPT_SPEECH_FAULT": fault, "CALLSCRIPT_SPEECH_FAULT_ONCE": str(tmp_path / "fired")}
    with Synthesizer(env=env) as synthesizer:
        rendered = synthesizer.render(LONG_ZH, "zh-CN")
        assert rendered.attempts == 2
        assert synthesizer.worker_starts == 2
        assert rendered.seconds > 6.0
    assert (tmp_path / "fired").exists()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("empty", r"empty \(0 bytes\)"),
        ("silent", "silent or nearly so"),
        ("short", "implausible duration"),
        ("crash", "exited with code 70"),
    ],
)
def test_a_render_that_fails_twice_is_an_error_never_a_success(fresh_synth_env: None, fault: str, reason: str) -> None:
    with Synthesizer(env={"CALLSCRIPT_SPEECH_FAULT": fault}) as synthesizer:
        with pytest.raises(SynthesisError, match=reason) as caught:
            synthesizer.render(LONG_ZH, "zh-CN")
    assert "then, in a fresh worker" in caught.value.message


def test_a_render_can_be_cancelled_from_another_thread(fresh_synth_env: None) -> None:
    with Synthesizer(env={"CALLSCRIPT_SPEECH_FAULT": "hang"}) as synthesizer:
        synthesizer.start()
        threading.Timer(0.3, synthesizer.cancel).start()
        with pytest.raises(SynthesisCancelled):
            synthesizer.render(LONG_ZH, "zh-CN")
        # and the next render starts a fresh worker (which hangs again here: cancel it too)
        threading.Timer(0.3, synthesizer.cancel).start()
        with pytest.raises(SynthesisCancelled):
            synthesizer.render(SHORT_ZH, "zh-CN")
        assert synthesizer.worker_starts == 2


def test_a_missing_pyttsx3_is_reported_with_the_fix(tmp_path: Path) -> None:
    """A stand-in pyttsx3 that fails to import plays "pyttsx3 is not installed" (it is, here)."""
    (tmp_path / "pyttsx3.py").write_text("raise ImportError('No module named pyttsx3 (test stand-in)')\n")
    with Synthesizer(env={"PYTHONPATH": str(tmp_path)}) as synthesizer:
        with pytest.raises(SpeechUnavailable) as caught:
            synthesizer.render(SHORT_ZH, "zh-CN")
    assert "no speech engine: ImportError: No module named pyttsx3" in caught.value.message
    assert "pip install 'callscript[speech]'" in caught.value.hint
