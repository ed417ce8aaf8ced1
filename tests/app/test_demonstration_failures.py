"""A demonstration that fails is shown as a failure on the call screen, never as "demonstrating".

These use the real ``SpeechSpeaker`` (no double): one whose library holds a recording
that is not audio, and one pointed at an output device that does not exist. Both fail inside the
speaker's own thread, after the key was pressed and "demonstrating" was shown, which is exactly
the case the screen used to get wrong. ``warm=False`` keeps the speaker from probing the device
up front, so the failure is found when the line is played, as with a headset unplugged after
the start.
"""

from __future__ import annotations

import asyncio
import json

from callscript.health import Part
from callscript.settings import Settings
from callscript.speech.speaker import SpeechSpeaker
from tests.app.driver import build_app, compact, screen_text

GREET = "您好!请问有什么可以帮助您?"  # silent_call's first line


def run(coro):
    return asyncio.run(coro)


async def press_demonstrate_and_wait(app, pilot, speaker: SpeechSpeaker) -> str:
    """Press the demonstrate key, let the speaker finish, and return the screen as it is then."""
    await pilot.pause()
    await pilot.press("v")
    assert await asyncio.to_thread(speaker.wait_idle, 30)
    await pilot.pause()
    return screen_text(app)


def test_a_recording_that_is_not_audio_is_reported_with_its_fix(shipped_flows, tmp_path):
    audio_dir = tmp_path / "audio"
    clip = audio_dir / "zh-CN" / "silent_call" / "greet.human.ogg"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"this is not an Ogg file")
    manifest = {"format": 1, "clips": {"zh-CN/silent_call/greet.human.ogg": {
        "flow": "silent_call", "step": "greet", "kind": "human", "language": "zh-CN", "text": GREET}}}
    (audio_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    speaker = SpeechSpeaker(audio_dir=audio_dir, synthesize=False, warm=False)

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call", speaker=speaker)
        async with app.run_test(size=(120, 30)) as pilot:
            text = compact(await press_demonstrate_and_wait(app, pilot, speaker))
            assert "正在示范" not in text
            assert "无法示范朗读:录音文件无法读取" in text  # the reason in Chinese; F1 has the message
            failure = app.failures[Part.DEMONSTRATION]
            assert "cannot read audio file" in failure.detail and failure.reason == "health.bad_recording"
            assert speaker.last is not None and speaker.last.error

    try:
        run(scenario())
    finally:
        speaker.close()


def test_an_output_device_that_does_not_exist_is_reported_in_english(shipped_flows, tmp_path):
    speaker = SpeechSpeaker(output_device="no-such-headset", synthesize=False, warm=False)  # the shipped library

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call", speaker=speaker,
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(120, 30)) as pilot:
            text = await press_demonstrate_and_wait(app, pilot, speaker)
            assert "Demonstrating" not in text
            assert "Cannot demonstrate: the audio output device is not available" in text
            assert speaker.last is not None and speaker.last.error
            await pilot.press("f1")  # what failed, as the speaker said it
            await pilot.pause()
            assert compact(speaker.last.error.split(" -- ")[0][:40]) in compact(screen_text(app))

    try:
        run(scenario())
    finally:
        speaker.close()
