"""The banner names what is missing by part, from typed device health, never from English text.

Headless: ``callscript.app.banner`` turns a ``HealthBoard`` into the lines the banner widget shows
and the entries of the help dialog, with the real catalogs. The doctor's checks say which parts
they stand for themselves (``Capability.health()``).
"""

from __future__ import annotations

import pytest

from callscript.app.banner import banner_view, help_entries, probing
from callscript.doctor import CHECKS, Capability, check_capabilities
from callscript.health import DeviceHealth, HealthBoard, Part, State, degraded, lost, missing
from callscript.i18n import Messages

ZH, EN = Messages("zh"), Messages("en")


def test_a_failed_speech_driver_reads_as_no_speech_synthesis():
    failed = Capability("pyttsx3 espeak driver", False, "libespeak not found", "sudo apt-get install libespeak-ng1", "",
                        (Part.SYNTHESIS,), "health.no_libespeak")
    [health] = failed.health()
    assert (health.part, health.state, health.reason) == (Part.SYNTHESIS, State.MISSING, "health.no_libespeak")
    assert health.detail == "pyttsx3 espeak driver: libespeak not found -- sudo apt-get install libespeak-ng1"
    board = HealthBoard()
    board.report(health, origin="doctor")
    assert banner_view(EN, board, help_key="F1").lines == ("Limited: no speech synthesis · F1 for fixes",)


def test_every_failed_doctor_check_names_its_parts_itself():
    """Each check that fails on this machine says which parts go missing, typed, with a reason
    the catalogs know; only the check that itself broke falls back to the "check" part."""
    for capability in check_capabilities():
        for health in capability.health():
            assert health.part in Part and health.reason.startswith("health.")
            assert ZH.has(health.reason) and EN.has(health.reason)
    assert {name for name, _ in CHECKS} >= {"PortAudio", "audio input", "Vosk model"}
    broken = Capability("numpy", False, "the check itself failed: ValueError: boom", "please report this")
    assert [h.part for h in broken.health()] == [Part.CHECK]


def test_the_banner_names_parts_in_order_and_a_lost_device_on_its_own_line():
    board = HealthBoard()
    board.report(missing(Part.SYNTHESIS, "health.no_espeak"), origin="doctor")
    board.report(missing(Part.RECOGNITION, "health.no_model"), origin="listener")
    board.report(lost(Part.LINE, "health.line_lost", "the device went away"), origin="listener")
    assert banner_view(ZH, board, help_key="F1").lines == (
        "线路音频中断:请重新插好耳机或线路 · F1 查看详情",
        "功能受限:无语音识别、无语音合成 · F1 查看修复方法",
    )
    board.report(missing(Part.LINE, "health.no_input_device"), origin="doctor")
    # A lost line is shown as lost (the more urgent), once, whoever else speaks of the line.
    assert banner_view(ZH, board, help_key="F1").lines[0].startswith("线路音频中断")


def test_while_an_input_is_probed_the_banner_stays_neutral():
    board = HealthBoard()
    board.report(missing(Part.LINE, "health.no_input_device"), origin="listener")
    view = banner_view(ZH, board, help_key="F1", checking=[Part.LINE])
    assert view.lines == ("正在检查音频设备…",) and view.checking
    board.report(degraded(Part.VOCABULARY, "health.unknown_words"), origin="listener")
    view = banner_view(ZH, board, help_key="F1", checking=[Part.LINE])
    assert view.lines == ("功能受限:识别词汇不全 · F1 查看修复方法",), "no 无音频输入 while it is still probed"


@pytest.mark.parametrize("first_seen, now, expected", [(10.0, 11.0, True), (10.0, 13.5, False), (None, 11.0, False)])
def test_an_input_counts_as_probed_only_for_the_probe_time(first_seen, now, expected):
    health = missing(Part.LINE, "health.no_input_device")
    assert probing(health, first_seen, now, 3.0) is expected
    assert not probing(lost(Part.LINE, "health.line_lost"), first_seen, now, 3.0), "lost is said at once"
    assert not probing(missing(Part.RECOGNITION, "health.no_model"), first_seen, now, 3.0)


def test_the_same_problem_again_keeps_when_it_began():
    board = HealthBoard()
    board.report(missing(Part.LINE, "health.no_input_device", "first").at(100.0), origin="listener")
    board.report(missing(Part.LINE, "health.no_input_device", "again").at(200.0), origin="listener")
    assert board.get(Part.LINE).since == 100.0 and board.get(Part.LINE).detail == "again"
    assert board.report(DeviceHealth(Part.LINE, State.OK), origin="listener") and Part.LINE not in board


def test_help_entries_are_translated_with_the_fix_and_the_detail_beneath():
    health = missing(Part.STORE, "health.store_waiting", "connection refused", waiting=2, folder="logs/.outbox")
    [(line, detail)] = help_entries(ZH, [health.at(0.0)])
    assert line.startswith("✗ 通话等待上传到团队库(自 ") and "有 2 个已结束的通话在 logs/.outbox 中等待上传到团队库" in line
    assert detail == "connection refused"


def test_an_audio_error_names_its_part_by_its_type_not_its_words():
    """The drill's caller and the speaker raise the speech adapter's own error classes; the part
    comes from the class (the message may say anything)."""
    from callscript.app.banner import failed_part, short_reason
    from callscript.errors import CallscriptError
    from callscript.speech.playback import OutputUnavailable
    from callscript.speech.speaker import UnreadableClip

    assert failed_part(OutputUnavailable("kaputt")) is Part.OUTPUT
    assert failed_part(UnreadableClip("the output device is gone")) is Part.RECORDING
    assert failed_part(CallscriptError("no output device, cannot read audio file")) is None
    assert [ZH(short_reason(p)) for p in (Part.OUTPUT, Part.RECORDING, None)] == [
        "音频输出设备不可用", "录音文件无法读取", "播放出错"]
