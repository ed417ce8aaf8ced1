"""The drill's synthesised caller: real espeak-ng speech brought to the line's 16 kHz, and played.

espeak-ng speaks at 22.05 kHz. The caller's line must hold that speech at 16 kHz, the same samples
an independent resampler makes of it (sox, the program the guide uses for the virtual line), in
its place after the second of line noise before it; and played through sounddevice to the virtual
line (tests/support/pulse.py) it must be heard whole and at its level.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from callscript.training.caller import PAD_SECONDS, RATE, CallerAudio, CallerScene, build_clip, clip_level
from tests.support import levels, pulse, skip_or_fail

np = pytest.importorskip("numpy")
pytest.importorskip("soxr")

pytestmark = [pytest.mark.speech, pytest.mark.slow]

TEXT = "喂,你好,我想问一下我的订单怎么还没到?"
SCENE = CallerScene("test_caller", "normal", TEXT, "cmn", "一位普通的来电者", "An ordinary caller")


@pytest.fixture(scope="module")
def espeak_at_16k(tmp_path_factory) -> np.ndarray:
    """What espeak-ng says for the caller, brought to 16 kHz by sox (as int16 samples)."""
    for program, package in (("espeak-ng", "espeak-ng"), ("sox", "sox")):
        if shutil.which(program) is None:
            skip_or_fail(f"{program} is missing; install it with 'sudo apt-get install {package}' (or run scripts/setup)")
    wav = tmp_path_factory.mktemp("caller") / "espeak.wav"
    # The same command line as callscript.training.caller.synthesize.
    subprocess.run(["espeak-ng", "-v", SCENE.voice, "-s", "165", "-w", str(wav), TEXT], check=True, capture_output=True)
    assert _rate(wav) == 22050, "espeak-ng's own rate: the caller's line has to be resampled"
    return pulse.samples(pulse.to_pcm(wav))


def _rate(path: Path) -> int:
    import wave

    with wave.open(str(path), "rb") as w:
        return w.getframerate()


def test_the_callers_speech_is_espeak_ng_at_16_khz_after_a_second_of_line(espeak_at_16k):
    clip = build_clip(SCENE, audio_dir=Path("/nonexistent"))  # no trainer's recording: synthesised
    assert clip.samplerate == RATE
    speech = clip.samples[int(PAD_SECONDS * RATE) : len(clip.samples) - int(PAD_SECONDS * RATE)]
    assert len(speech) == pytest.approx(len(espeak_at_16k), abs=2)  # the same duration at the new rate
    offset, similarity = levels.locate(clip.samples, espeak_at_16k)
    assert offset == pytest.approx(PAD_SECONDS * RATE, abs=2)
    assert similarity > 0.999  # the same speech, up to the gain the scene sets (and its soft limiter)
    assert clip_level(clip) == pytest.approx(levels.dbfs(speech) + 10 * np.log10(len(speech) / len(clip.samples)),
                                             abs=0.5)


@pytest.mark.audio
def test_the_callers_line_played_to_the_virtual_line_is_heard_whole_and_at_its_level(on_virtual_line):
    caller = CallerAudio("pulse", audio_dir=Path("/nonexistent"))
    clip = caller.clip(SCENE)
    recording = on_virtual_line.start_recording(clip.seconds + 2.0)
    assert caller.play(SCENE) is True
    heard = recording.result()
    expected = (clip.samples * 32767).astype(np.int16)
    span = levels.active_span(heard, threshold_dbfs=-45.0)
    assert span is not None, "nothing of the caller reached the line"
    spoken = levels.active_span(expected, threshold_dbfs=-45.0)
    assert levels.found_in(heard, expected[spoken[0]:spoken[1]]) > 0.9
    length, wanted = (span[1] - span[0]) / RATE, (spoken[1] - spoken[0]) / RATE
    assert levels.heard_whole(length, wanted), (length, wanted)
    assert levels.dbfs(heard[span[0]:span[1]]) == pytest.approx(levels.dbfs(expected[spoken[0]:spoken[1]]), abs=1.5)
