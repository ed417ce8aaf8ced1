"""The replay in the agent's words: line conditions and variables by name in the interface
language, and the line as the agent was shown it at each moment (a surname typed in after the
step began), with its gloss. The call is worked in the real app and replayed in the real app."""

from __future__ import annotations

import asyncio

import pytest

from callscript.app.conditions import cause_text, condition_name, variable_label
from callscript.app.replay import build_rows, load_replay
from callscript.flow.model import LINE_CONDITIONS
from callscript.i18n import Messages
from callscript.live.signals import LineCondition
from tests.app.driver import compact, say_panel_text, screen_text
from tests.app.test_replay import call_log, replay_app


def surname_call(shipped_flows, tmp_path):
    """main_call: the line is silent, then the caller speaks; the agent says the surname is known
    and gives 王 and 小姐 one second apart, says the line, and ends the call."""

    async def work(pilot, app, clock) -> None:
        call = app.live_call
        await pilot.press("space")  # greet said at 0
        clock.advance(5.0)
        call.hear(LineCondition("silence", {"seconds": 5.0}))
        clock.advance(1.0)
        call.hear(LineCondition("speech_started"))  # 6
        clock.advance(1.0)
        await pilot.press("2")  # 7: surname known -> address, which asks for the surname
        await pilot.pause()
        clock.advance(1.0)
        await pilot.press("王", "enter")  # 8
        await pilot.pause()
        clock.advance(1.0)
        await pilot.press("2")  # 9: 小姐
        await pilot.pause()
        clock.advance(1.0)
        await pilot.press("space", "ctrl+e", "enter")  # said at 10
        await pilot.pause()

    return call_log(shipped_flows, tmp_path, "main_call", work)


@pytest.mark.parametrize(("language", "expected"), [
    ("zh", ["线路:静音", "线路:客户开始说话", "客户贵姓 = 王", "先生还是小姐 = 小姐"]),
    ("en", ["Line: silence", "Line: the caller started speaking", "The caller's surname = 王", "Mr or Ms = 小姐"]),
])
def test_replay_rows_name_line_conditions_and_variables_in_the_interface_language(
        shipped_flows, tmp_path, language, expected):
    log = surname_call(shipped_flows, tmp_path)
    texts = [r.text for r in build_rows(load_replay(log, shipped_flows).timeline, Messages(language), shipped_flows)]
    for text in expected:
        assert any(row.startswith(text) for row in texts), "\n".join(texts)
    if language == "zh":  # no code of the log in the Chinese rows
        raw = ("silence", "speech_started", "surname", "title")
        assert not [text for text in texts if any(code in text for code in raw)]


def test_every_line_condition_has_a_name_in_both_languages_and_unknown_codes_show_as_they_are(shipped_flows):
    for language in ("zh", "en"):
        t = Messages(language)
        for code in (*LINE_CONDITIONS, "agent_said", "agent_forbidden"):
            assert t.has(f"condition.{code}") and condition_name(t, code) == t(f"condition.{code}")
        assert condition_name(t, "hum_60hz") == "hum_60hz"
        assert cause_text(t, "hum_60hz", 3.0) == "hum_60hz"
        assert variable_label(t, "account_number", shipped_flows) == "account_number"
    assert cause_text(Messages("zh"), "silence", 5.0) == "线路静音 5 秒"


def step_to(pilot, app, text: str):
    """Move the replay's cursor from the start to the first row that reads ``text``."""

    async def go() -> None:
        await pilot.press("home")
        for _ in range(len(app.screen.rows)):
            if text in app.screen.rows[app.screen.index].text:
                return
            await pilot.press("right")
        raise AssertionError(f"no row reads {text!r}")

    return go()


def test_the_replay_shows_the_line_as_the_agent_was_shown_it_at_each_moment(shipped_flows, tmp_path):
    """The address step began without a surname (its if-unknown line); once 王 and 小姐 were
    given, the screen showed 王小姐: the replay's "say now" panel and its gloss follow."""
    log = surname_call(shipped_flows, tmp_path)

    async def scenario(language: str) -> None:
        app = replay_app(shipped_flows, tmp_path / language, log, language=language)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await step_to(pilot, app, "address")
            await pilot.pause()
            entered = compact(say_panel_text(app))
            assert "您好,请问有什么可以帮助您?" in entered and "王小姐" not in entered
            await step_to(pilot, app, "= 小姐")
            await pilot.pause()
            shown = say_panel_text(app)
            assert "王小姐,请问有什么可以帮助您?" in compact(shown)
            if language == "en":
                assert "Ms. Wang, how may I help you?" in shown
            await pilot.press("end")
            await pilot.pause()
            assert "王小姐,请问有什么可以帮助您?" in compact(say_panel_text(app))

    asyncio.run(scenario("zh"))
    asyncio.run(scenario("en"))


def test_an_empty_recording_left_by_an_older_version_reads_as_none_recorded(shipped_flows, tmp_path):
    """A log from before recordings were opened lazily may name a 0-byte .line.flac: the replay
    says no line audio was recorded, not "line audio: <file>" for a file that cannot be played."""
    import json

    log = surname_call(shipped_flows, tmp_path)
    empty = log.with_name(log.stem + ".line.flac")
    empty.write_bytes(b"")
    lines = log.read_text("utf-8").splitlines()
    record = {"type": "line_audio", "t": 0.0, "mono": 0.0, "file": empty.name, "rate": 16000}
    log.write_text("\n".join([lines[0], json.dumps(record), *lines[1:]]) + "\n", "utf-8")

    async def scenario() -> None:
        app = replay_app(shipped_flows, tmp_path, log, language="zh")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            shown = compact(screen_text(app))
            assert "本通话未录制线路音频" in shown and "线路音频:" not in shown

    asyncio.run(scenario())
