"""``SpeechSpeaker`` is the app's ``Speaker``, built from the settings the app keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from callscript.app.ports import Speaker
from callscript.settings import Settings
from callscript.speech.speaker import SpeechSpeaker, gain_transform


def test_the_speaker_follows_the_apps_protocol_and_settings(audio_dir: Path) -> None:
    settings = Settings(tts_rate=150, tts_volume=0.6, output_device="3")
    with SpeechSpeaker.from_settings(settings, audio_dir=audio_dir, synthesize=False, warm=False) as speaker:
        assert isinstance(speaker, Speaker)
        assert (speaker.rate, speaker.volume, speaker.device) == (150, 0.6, 3)


def test_settings_beyond_what_espeak_speaks_are_clamped(audio_dir: Path) -> None:
    for given, used in ((40, 80), (500, 450)):
        settings = Settings(tts_rate=given, output_device="")
        with SpeechSpeaker.from_settings(settings, audio_dir=audio_dir, synthesize=False, warm=False) as speaker:
            assert speaker.rate == used
            assert speaker.device is None


def test_make_speaker_is_what_the_run_command_finds() -> None:
    from callscript.app.ports import optional_factory

    factory = optional_factory("callscript.speech", "make_speaker")
    assert factory is not None and factory.__name__ == "make_speaker"


def test_demonstrate_returns_at_once_and_reports_a_line_it_cannot_say(audio_dir: Path) -> None:
    finished = []
    with SpeechSpeaker(audio_dir=audio_dir, synthesize=False, warm=False, on_finished=finished.append) as speaker:
        speaker.demonstrate("您好", "zh-CN")  # no library, no synthesis: nothing to play
        assert speaker.wait_idle(10)
        assert speaker.problem() is None  # one line failing does not block the others
    assert len(finished) == 1
    assert "cannot say '您好': it is not in the audio library and speech synthesis is turned off" in finished[0].error


@pytest.mark.parametrize(("volume", "louder", "factor"), [(1.0, False, None), (0.5, False, 0.5), (1.0, True, 1.4125)])
def test_the_gain_combines_volume_and_louder(volume: float, louder: bool, factor: float | None) -> None:
    import numpy as np

    transform = gain_transform(volume, louder)
    if factor is None:
        assert transform is None
    else:
        assert transform(np.array([0.1], dtype=np.float32))[0] == pytest.approx(0.1 * factor, rel=1e-3)


def test_a_demonstration_superseded_by_the_next_still_reports_its_end(audio_dir: Path) -> None:
    """The agent presses the key again while a line is being prepared: the first demonstration
    ends (not completed) and says so, so nobody is left waiting for it."""
    import threading

    finished = []
    preparing = threading.Event()
    release = threading.Event()
    with SpeechSpeaker(audio_dir=audio_dir, synthesize=False, warm=False, on_finished=finished.append) as speaker:
        real_clip_for = speaker._clip_for

        def slow_clip_for(request):  # noqa: ANN001, ANN202 - the first line takes a while to prepare
            if request.text == "first":
                preparing.set()
                release.wait(10)
                import numpy as np

                from callscript.speech.clip import Clip

                return Clip(np.zeros(1600, dtype=np.float32), 16000)  # never played: superseded first
            return real_clip_for(request)

        speaker._clip_for = slow_clip_for
        speaker.demonstrate("first", "zh-CN")
        assert preparing.wait(10)
        speaker.demonstrate("second", "zh-CN")
        release.set()
        assert speaker.wait_idle(10)
    assert [d.text for d in finished] == ["first", "second"]
    assert not finished[0].completed and finished[0].error is None
