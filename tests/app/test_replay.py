"""The replay screen on logs made by the real app and the real engine.

Every log here is produced the way a user's is: a call worked in the real app (Pilot, keys, a
ManualClock) or ``callscript simulate --log``. The replay then runs in the real app on a
ManualClock of its own, so playing, speeds and timers are checked by moving that clock, never by
sleeping. The CLI's error path runs as a process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.app.replay import Playhead, build_rows, load_replay, row_at
from callscript.i18n import Messages
from callscript.app.screens.replay import ReplayScreen, parse_time
from callscript.cli import main as cli_main
from callscript.engine import ManualClock
from callscript.errors import CallscriptError
from callscript.settings import Settings
from tests.app.driver import build_app, compact, say_panel_text, screen_text


def call_log(shipped_flows, tmp_path: Path, flow_id: str, work) -> Path:
    """The session log of one call worked in the real app: ``work(pilot, app, clock)`` presses the
    keys (in tmp_path/made, whose logs/ is the app's log folder)."""
    clock = ManualClock()

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "made", clock=clock, initial_flow=flow_id)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await work(pilot, app, clock)

    asyncio.run(scenario())
    (log,) = sorted((tmp_path / "made" / "logs").glob("*.jsonl"))
    return log


def worked_call(shipped_flows, tmp_path: Path) -> Path:
    """A silent call worked in the real app: the greeting said, its 5 s wait run out, the second
    greeting said, and the agent hangs up 2 s into that wait (cut short, and no call-back asked)."""

    async def work(pilot, app, clock) -> None:
        clock.advance(1.0)
        await pilot.press("space")  # greet said at 1.0
        clock.advance(5.0)
        app.live_call.poll()  # 6.0: the silence wait ran out -> greet_again
        await pilot.pause()
        clock.advance(1.5)
        await pilot.press("space")  # greet_again said at 7.5
        clock.advance(2.0)
        await pilot.press("ctrl+e", "enter")  # 9.5: hung up during the wait
        await pilot.pause()

    return call_log(shipped_flows, tmp_path, "silent_call", work)


def replay_app(shipped_flows, tmp_path: Path, log: Path, *, language: str = "en", call: int | None = None,
               clock: ManualClock | None = None):
    replay = load_replay(log, shipped_flows, call=call)
    return build_app(shipped_flows, tmp_path / "replay", clock=clock or ManualClock(), replay=replay,
                     settings=Settings(interface_language=language))


def test_the_timeline_of_a_worked_call_has_its_real_timings_and_marks(shipped_flows, tmp_path):
    log = worked_call(shipped_flows, tmp_path)
    replay = load_replay(log, shipped_flows)
    rows = build_rows(replay.timeline, Messages("en"), shipped_flows)
    listed = [(r.t, r.kind, r.text) for r in rows]
    assert (1.0, "said", "Line said · 5 s wait starts") in listed
    assert (6.0, "timer", "⏱ 5 s wait ran out") in listed
    assert (9.5, "end", "Call ended: Ended early by the agent") in listed
    marks = [r.mark.code for r in rows if r.mark is not None]
    assert marks == ["wait_cut_short", "hang_up_without_call_back", "ended_early"]
    assert [r.t for r in rows] == sorted(r.t for r in rows)


def test_play_pause_step_jump_and_speed_on_the_apps_clock(shipped_flows, tmp_path):
    log = worked_call(shipped_flows, tmp_path)

    async def scenario() -> None:
        clock = ManualClock()
        app = replay_app(shipped_flows, tmp_path, log, clock=clock)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReplayScreen)
            text = compact(screen_text(app))
            assert compact("⏸ Paused  00:00.0 / 00:09.5  1x") in text
            assert compact("⚠ Hung up 2.0 s into a 5 s wait.") in text
            assert compact("⚠ Hung up without asking the caller to call again.") in text
            assert compact("您好!请问有什么可以帮助您?") in text  # the step's line, as on the call screen

            await pilot.press("space")  # play at 1x
            clock.advance(3.0)
            screen.refresh_position()
            await pilot.pause()
            assert screen.playhead.position() == pytest.approx(3.0)
            assert screen.rows[screen.index].kind == "said"  # 1.0: the greeting was said
            assert compact("▶ Playing  00:03.0 / 00:09.5") in compact(screen_text(app))

            await pilot.press("space")  # pause: the clock moves, the replay does not
            clock.advance(10.0)
            screen.refresh_position()
            assert screen.playhead.position() == pytest.approx(3.0)

            await pilot.press("right")  # step forward to the next row: the timer at 6.0
            assert screen.rows[screen.index].kind == "timer"
            assert screen.playhead.position() == pytest.approx(6.0)
            await pilot.press("left")
            assert screen.rows[screen.index].kind == "said" and screen.playhead.position() == pytest.approx(1.0)

            await pilot.press("n")  # next mark
            row = screen.rows[screen.index]
            assert row.kind == "mark" and row.mark.code == "wait_cut_short"
            assert compact("⚠ Hung up 2.0 s into a 5 s wait.") in compact(screen_text(app))
            await pilot.press("p")  # no mark before the first one: stays, and says so
            assert screen.rows[screen.index].mark.code == "wait_cut_short"
            assert "No more marks that way" in screen_text(app)

            await pilot.press("home")
            assert screen.index == 0 and screen.playhead.position() == 0.0
            await pilot.press("end")
            assert screen.playhead.position() == pytest.approx(9.5) and screen.index == len(screen.rows) - 1

            # 2x: the 5 s silence wait after the greeting (1.0 -> 6.0) is over after 2.5 s of clock.
            await pilot.press("home", "right", "right")
            assert screen.rows[screen.index].kind == "said" and screen.playhead.position() == pytest.approx(1.0)
            await pilot.press("2", "space")
            clock.advance(2.4)
            screen.refresh_position()
            assert screen.rows[screen.index].kind == "said"
            clock.advance(0.1)
            screen.refresh_position()
            # Playing, the current row is the last of its instant: the step the timer led to.
            assert screen.playhead.position() == pytest.approx(6.0)
            assert screen.rows[screen.index - 1].kind == "timer" and screen.current_visit().step == "greet_again"
            assert compact("2x") in compact(screen_text(app))

            await pilot.press("s")  # 2x -> 4x: the rest (3.5 s) takes 0.875 s, and the replay stops at the end
            assert screen.playhead.speed == 4.0
            clock.advance(5.0)
            screen.refresh_position()
            assert not screen.playhead.playing and screen.playhead.position() == pytest.approx(9.5)
            assert screen.rows[screen.index].kind == "mark"  # the last row

            await pilot.press("j")  # jump to a time
            await pilot.press(*"0:07", "enter")
            assert screen.playhead.position() == pytest.approx(7.0)
            assert screen.rows[screen.index].t <= 7.0 < screen.rows[screen.index + 1].t

    asyncio.run(scenario())


def test_the_replay_plays_by_its_own_timer_without_anyone_polling(shipped_flows, tmp_path):
    """The next row's timer fires on the app's clock: a real clock moving forward is all it needs."""
    log = worked_call(shipped_flows, tmp_path)

    async def scenario() -> None:
        clock = ManualClock()
        app = replay_app(shipped_flows, tmp_path, log, clock=clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("space")
            clock.advance(1.0)
            screen = app.screen
            for _ in range(100):  # the refresh tick (0.1 s of real time) catches up with the clock
                if screen.rows[screen.index].kind == "said":
                    break
                await pilot.pause(0.05)
            assert screen.rows[screen.index].kind == "said"

    asyncio.run(scenario())


def simulated_log(tmp_path: Path) -> Path:
    """Two calls appended to one log by 'callscript simulate --log' (the real engine)."""
    log = tmp_path / "two-calls.jsonl"
    assert cli_main(["simulate", "silent_call", "--log", str(log)]) == 0
    assert cli_main(["simulate", "main_call", "--events", "2:caller_spoke,4:end", "--log", str(log)]) == 0
    return log


def test_a_log_with_several_calls_opens_on_the_last_and_c_switches(shipped_flows, tmp_path, capsys):
    log = simulated_log(tmp_path)
    capsys.readouterr()

    async def scenario() -> None:
        app = replay_app(shipped_flows, tmp_path, log)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "call 2/2 · Main call" in screen_text(app)
            await pilot.press("c")
            await pilot.pause()
            text = screen_text(app)
            assert "Choose the call to replay" in text and "1." in text and "2." in text
            await pilot.press("up", "enter")
            await pilot.pause()
            assert "call 1/2 · Silent call" in screen_text(app)
            assert app.screen.timeline.flow == "silent_call"

    asyncio.run(scenario())
    assert load_replay(log, shipped_flows, call=1).timeline.flow == "silent_call"


def test_demonstrate_plays_the_line_of_the_step_under_the_cursor(shipped_flows, tmp_path):
    log = worked_call(shipped_flows, tmp_path)

    class Recorded:
        """A speaker that keeps what it was asked to say: the real one is tested in tests/speech."""

        def __init__(self) -> None:
            self.said: list[tuple[str, str, bool]] = []

        def demonstrate(self, text: str, language: str, *, louder: bool = False) -> None:
            self.said.append((text, language, louder))

        def stop(self) -> None:
            pass

        def problem(self) -> str | None:
            return None

    speaker = Recorded()

    async def scenario() -> None:
        replay = load_replay(log, shipped_flows)
        app = build_app(shipped_flows, tmp_path / "replay", replay=replay, speaker=speaker,
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("end", "v")
            assert "Demonstrating" in screen_text(app)

    asyncio.run(scenario())
    assert speaker.said == [("您好,请问有什么可以帮助您?", "zh-CN", False)]


def test_without_a_speaker_demonstrate_says_why(shipped_flows, tmp_path):
    log = worked_call(shipped_flows, tmp_path)

    async def scenario() -> None:
        app = replay_app(shipped_flows, tmp_path, log)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("v")
            assert "Cannot demonstrate" in screen_text(app)

    asyncio.run(scenario())


def test_playhead_and_time_parsing():
    clock = ManualClock()
    head = Playhead(clock, 10.0)
    head.play()
    head.set_speed(2.0)
    clock.advance(2.5)
    assert head.position() == pytest.approx(5.0)
    assert head.seconds_until(9.0) == pytest.approx(2.0)
    clock.advance(100)
    assert head.position() == 10.0 and head.at_end
    assert parse_time("1:05") == 65.0 and parse_time("7.5") == 7.5 and parse_time("1：05") == 65.0
    assert parse_time("soon") is None


@pytest.mark.parametrize("content, expected", [
    (None, "no such session log"),
    ("", "the session log holds no call"),
    ("{\"type\": \"call_started\"}\nnot json\n{}\n", "the session log holds no call (3 records skipped: "),
])
def test_logs_that_cannot_be_replayed_are_one_message(shipped_flows, tmp_path, content, expected):
    log = tmp_path / "x.jsonl"
    if content is not None:
        log.write_text(content, encoding="utf-8")
    with pytest.raises(CallscriptError) as caught:
        load_replay(log, shipped_flows)
    assert expected in caught.value.render()
    assert caught.value.where.startswith(str(log)) and caught.value.hint


def test_a_log_whose_flows_are_gone_names_them(shipped_flows, tmp_path):
    log = worked_call(shipped_flows, tmp_path)
    renamed = tmp_path / "renamed.jsonl"
    renamed.write_text(log.read_text(encoding="utf-8").replace('"silent_call"', '"retired_flow"'), encoding="utf-8")
    with pytest.raises(CallscriptError) as caught:
        load_replay(renamed, shipped_flows)
    assert caught.value.render() == (
        f"{renamed}: error: this log was made with flows that callscript no longer has: retired_flow\n"
        "  hint: restore those flow files (e.g. from version control) to replay it; the log itself is kept as it is"
    )


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALLSCRIPT_NO_AUDIO": "1"}
    return subprocess.run([sys.executable, "-m", "callscript", "replay", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)


def test_cli_replay_of_a_missing_log_is_one_message_and_exit_1(tmp_path):
    result = run_cli("missing.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "missing.jsonl: error: no such session log"
    assert lines[1].startswith("  hint: give the path of a session log (*.jsonl); calls are logged in ")
    assert len(lines) == 2


def test_cli_replay_of_an_empty_log_folder_and_a_wrong_call_number(tmp_path):
    empty = run_cli("--log-dir", str(tmp_path / "none"), cwd=tmp_path)
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert "error: no call logs to replay yet" in empty.stderr
    log = tmp_path / "one.jsonl"
    assert cli_main(["simulate", "silent_call", "--log", str(log)]) == 0
    wrong = run_cli(str(log), "--call", "3", cwd=tmp_path)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "error: there is no call 3 in this log (it holds 1)" in wrong.stderr


def test_rows_of_one_instant_keep_the_mark_next_to_its_step(shipped_flows, tmp_path):
    log = worked_call(shipped_flows, tmp_path)
    rows = build_rows(load_replay(log, shipped_flows).timeline, Messages("zh"), shipped_flows)
    assert row_at(rows, 9.5) == len(rows) - 1
    assert rows[-1].text.startswith("⚠ ")
    assert any("通话结束" in r.text for r in rows)


def test_the_picker_lists_recent_logs_newest_first_and_opens_one_in_the_replay(shipped_flows, tmp_path):
    """F4 in the call picker lists the log folder's calls (newest first: local date and time, flow,
    length, outcome); Enter opens the chosen one in the replay screen, whose Esc comes back."""
    from callscript.app.screens.picker import FlowPickerScreen
    from callscript.app.screens.replay import ChooseDialog
    from tests.app.driver import FIXED_WALL

    wall = [FIXED_WALL]  # 2026-01-02 03:04:05 UTC (the tests run in UTC)

    async def scenario() -> None:
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, wall=lambda: wall[0],
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for flow, seconds in (("silent", 2.0), ("complaint", 7.5)):
                await pilot.press(*flow, "enter")  # filter the picker, start the call
                await pilot.pause()
                clock.advance(seconds)
                await pilot.press("ctrl+e", "enter")  # the agent ends it: the summary
                await pilot.press("escape")  # back to the picker
                await pilot.press("escape")  # clear the filter
                await pilot.pause()
                wall[0] += 3600.0  # the next call starts an hour later
            assert isinstance(app.screen, FlowPickerScreen)

            await pilot.press("f4")
            await pilot.pause()
            assert isinstance(app.screen, ChooseDialog)
            assert app.screen.lines == [
                "2026-01-02 04:04  Complaint handling  00:07.5  Ended early by the agent",
                "2026-01-02 03:04  Silent call  00:02.0  Ended early by the agent",
            ]
            text = screen_text(app)
            assert "Recent call logs" in text and "2026-01-02 03:04  Silent call  00:02.0" in text

            await pilot.press("escape")  # Esc: back to the picker, nothing opened
            assert isinstance(app.screen, FlowPickerScreen)

            await pilot.press("f4", "down", "enter")  # the older call
            await pilot.pause()
            assert isinstance(app.screen, ReplayScreen)
            assert app.screen.timeline.flow == "silent_call"
            assert "Replay · 20260102-030405-silent_call.jsonl" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)
            await pilot.press(*"greeting", "enter")  # the picker still starts calls
            assert app.live_call.engine.flow.id == "greeting"

    asyncio.run(scenario())


def test_the_recent_logs_list_says_when_there_is_none_or_one_cannot_be_read(shipped_flows, tmp_path):
    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            await pilot.pause()
            assert compact("No call logs in") in compact(screen_text(app))
            await pilot.press("escape")
            logs = tmp_path / "logs"
            logs.mkdir(exist_ok=True)
            (logs / "20260101-120000-broken.jsonl").write_text("not a log\n", encoding="utf-8")
            await pilot.press("f4")
            await pilot.pause()
            assert "20260101-120000-broken.jsonl (not readable)" in screen_text(app)
            await pilot.press("enter")
            await pilot.pause()
            (notice,) = [n.message for n in app._notifications]
            assert notice == "Cannot replay 20260101-120000-broken.jsonl · F1 for details"
            assert app.notes["replay.cannot_open"][1].startswith("the session log holds no call")
            assert not isinstance(app.screen, ReplayScreen)

    asyncio.run(scenario())


def test_replay_keys_remapped_in_the_settings_screen_work_at_once(shipped_flows, tmp_path):
    """The replay's keys are in the settings form (under their own heading): remapping the speed
    key and the picker's replay key there, then saving, changes what the keys do and what the key
    bars say, and the settings file keeps them."""
    from callscript.app.screens.picker import FlowPickerScreen
    from callscript.app.screens.settings import SettingsScreen
    from callscript.settings import load_settings, settings_path

    log = worked_call(shipped_flows, tmp_path)  # in tmp_path/made/logs: the app's log folder below

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "made", settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, SettingsScreen)
            form = app.screen
            form.query_one("#key-replay-speed").focus()  # the form scrolls to the replay's keys
            # That scroll is animated and a single pause can catch it mid-way under load; let it
            # finish, then bring the group's heading into view, as the key-groups snapshot does.
            await pilot.wait_for_scheduled_animations()
            form.query_one("#settings-form").scroll_to_widget(form.query_one("#keys-replay"), top=True, animate=False)
            await pilot.pause()
            assert "Call replay" in screen_text(app)
            form.query_one("#key-replay-speed").value = "x"
            form.query_one("#key-picker-replay").value = "f6"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)
            assert "F6 Replay a call" in screen_text(app)

            await pilot.press("f4")  # the old key does nothing now
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)
            await pilot.press("f6", "enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReplayScreen) and screen.replay.path == log
            assert " x Speed " in screen_text(app)
            await pilot.press("s")
            assert screen.playhead.speed == 1.0
            await pilot.press("x")
            assert screen.playhead.speed == 2.0

    asyncio.run(scenario())
    saved = load_settings(settings_path())
    assert saved.keys["replay.speed"] == "x" and saved.keys["picker.replay"] == "f6"
    assert saved.keymap() == {"replay.speed": "x", "picker.replay": "f6"}


def test_the_key_bar_shows_arrows_and_characters_not_textual_key_names(shipped_flows, tmp_path):
    """The replay's Next key is bound to ``right,full_stop``: the key bar says ``→ Next`` (a
    new user read ``right 下一条``). The formatting is in ``display_key``, used by every key bar."""
    from callscript.app.keys import display_key

    assert display_key("right,full_stop") == "→/."
    assert display_key("left,comma") == "←/,"
    assert display_key("n,right_square_bracket") == "n/]"
    assert display_key("up") == "↑" and display_key("down") == "↓"
    assert display_key("home") == "Home" and display_key("end") == "End" and display_key("pagedown") == "PgDn"
    assert display_key("question_mark") == "?" and display_key("plus") == "+" and display_key("minus") == "-"
    assert display_key("ctrl+e", short=True) == "^E" and display_key("f4") == "F4"
    log = worked_call(shipped_flows, tmp_path)

    for language, expected in (("en", " → Next "), ("zh", " → 下一条 ")):
        async def scenario() -> None:
            app = replay_app(shipped_flows, tmp_path, log, language=language)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                bar = screen_text(app).splitlines()[-1]
                assert expected in bar, bar
                assert "right" not in bar

        asyncio.run(scenario())


def test_intervals_are_the_difference_of_the_times_shown(shipped_flows, tmp_path):
    """A gap reads as the difference of the two times beside it: 00:06.4 -> 00:10.4 is +4.0, not
    the +3.9 of the unrounded 6.44 -> 10.36 (a new user saw both and trusted neither)."""
    from callscript.app.replay import format_interval, format_time

    assert format_time(6.44) == "00:06.4" and format_time(10.36) == "00:10.4"
    assert format_interval(6.44, 10.36) == "+4.0"
    assert format_interval(6.0, 6.04) == ""  # shown as the same instant: no gap
    assert format_time(59.97) == "01:00.0"  # not 00:60.0

    async def work(pilot, app, clock) -> None:
        clock.advance(1.44)
        await pilot.press("space")  # greet said at 1.44
        clock.advance(5.0)
        app.live_call.poll()  # 6.44: the wait ran out -> greet_again
        await pilot.pause()
        clock.advance(3.92)
        await pilot.press("space")  # greet_again said at 10.36
        clock.advance(1.0)
        await pilot.press("ctrl+e", "enter")
        await pilot.pause()

    log = call_log(shipped_flows, tmp_path, "silent_call", work)

    async def scenario() -> None:
        app = replay_app(shipped_flows, tmp_path, log)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#replay-rows")
            shown = [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]
            assert ("00:10.4", "+4.0") in shown
            previous = None
            for time, gap in shown:
                if previous is not None:
                    tenths = round((float(time[3:]) - float(previous[3:])) * 10)
                    assert gap == (f"+{tenths / 10:.1f}" if tenths else ""), (previous, time, gap)
                previous = time

    asyncio.run(scenario())


def test_jumping_to_or_past_the_end_puts_the_cursor_on_the_last_row(shipped_flows, tmp_path):
    """A call the flow hung up by its timer while the agent was typing a note: the note is logged
    at 18.4, then the timer's hang-up, its rows stamped 18.4 too but the call's length is the
    deadline, 18.0, so the last rows are after the end. ``j 99`` used to stop on the note (``00:18.0 / 00:18.0 … n-3/n``)."""

    async def work(pilot, app, clock) -> None:
        clock.advance(1.0)
        await pilot.press("space")  # greet said at 1.0
        clock.advance(5.0)
        app.live_call.poll()  # 6.0 -> greet_again
        await pilot.pause()
        clock.advance(1.5)
        await pilot.press("space")  # 7.5
        clock.advance(5.0)
        app.live_call.poll()  # 12.5 -> ask_call_again
        await pilot.pause()
        clock.advance(0.5)
        await pilot.press("space")  # 13.0: its 5 s wait ends at 18.0 with the hang-up
        clock.advance(4.0)
        await pilot.press("m", *"no answer")  # the agent starts a note during the wait ...
        clock.advance(1.4)
        await pilot.press("enter")  # ... and saves it at 18.4, after the wait ran out at 18.0
        await pilot.pause()
        await pilot.pause()

    log = call_log(shipped_flows, tmp_path, "silent_call", work)
    replay = load_replay(log, shipped_flows)
    assert replay.timeline.duration == pytest.approx(18.0) and replay.timeline.outcome != "incomplete"
    rows = build_rows(replay.timeline, Messages("en"), shipped_flows)
    assert rows[-1].t > replay.timeline.duration  # the situation this test is about

    for keys in (("j", "9", "9", "enter"), ("j", *"0:18", "enter"), ("end",)):
        async def scenario() -> None:
            app = replay_app(shipped_flows, tmp_path, log)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                screen = app.screen
                await pilot.press(*keys)
                await pilot.pause()
                assert screen.index == len(screen.rows) - 1, keys
                assert screen.playhead.position() == pytest.approx(18.0)
                count = len(screen.rows)
                assert compact(f"00:18.0 / 00:18.0  1x  {count}/{count}") in compact(screen_text(app))

        asyncio.run(scenario())


def test_esc_in_a_dialog_closes_only_the_dialog_even_after_its_error(shipped_flows, tmp_path):
    """A new user typed a wrong time in the jump dialog, saw the error and pressed Esc: the whole
    replay closed. The error now stays in the dialog, and Esc there closes only the dialog; Esc
    on the replay itself still closes it (back to the picker it was opened from)."""
    from callscript.app.screens.picker import FlowPickerScreen
    from callscript.app.screens.replay import ChooseDialog, JumpDialog

    worked_call(shipped_flows, tmp_path)  # tmp_path/made/logs: the app's log folder below
    simulated = simulated_log(tmp_path)
    (tmp_path / "made" / "logs" / "20250101-000000-two-calls.jsonl").write_bytes(simulated.read_bytes())

    async def scenario() -> None:
        app = build_app(shipped_flows, tmp_path / "made", settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f4")
            await pilot.pause()
            await pilot.press("enter")  # the newest log (copied last): two calls, so "c" has a list
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReplayScreen) and len(screen.replay.calls) == 2
            await pilot.press("right")
            index = screen.index

            await pilot.press("j", *"soon", "enter")
            await pilot.pause()
            assert isinstance(app.screen, JumpDialog)  # still open, saying what is wrong
            assert "Not a time: “soon”" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen and screen.index == index  # only the dialog closed
            assert "Not a time" not in screen_text(app)

            await pilot.press("j", *"oops", "enter", *["backspace"] * 4, *"0:01", "enter")  # corrected
            await pilot.pause()
            assert app.screen is screen and screen.playhead.position() == pytest.approx(1.0)

            await pilot.press("j", "escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, ChooseDialog)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen

            await pilot.press("escape")  # on the replay: closes it
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)

    asyncio.run(scenario())


def test_the_replays_english_gloss_is_filled_as_on_the_call_screen(shipped_flows, tmp_path):
    """The gloss under the replayed line reads "our company" for the default hotline, like the
    call screen, not the Chinese value inside an English sentence."""

    async def work(pilot, app, clock) -> None:
        await pilot.press("space", "ctrl+e", "enter")
        await pilot.pause()

    log = call_log(shipped_flows, tmp_path, "greeting", work)

    async def scenario() -> None:
        app = replay_app(shipped_flows, tmp_path, log)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            said = say_panel_text(app)
            assert "welcome to our company's customer service hotline" in said
            assert "本公司's" not in said

    asyncio.run(scenario())


def test_the_replay_shows_the_suggestions_and_the_line_said_as_the_screen_did(shipped_flows, tmp_path):
    """A call worked in the real app, the line signals fed to its live call as the listener would:
    the replay lists each suggestion shown and withdrawn (and why), and quotes the line said with
    the surname typed in since the step began."""
    from callscript.live.signals import LineCondition

    async def work(pilot, app, clock) -> None:
        call = app.live_call
        await pilot.press("space")  # greet said at 0
        clock.advance(5.0)
        call.hear(LineCondition("silence", {"seconds": 5.0}))  # 5.0: the silent call is suggested
        clock.advance(1.0)
        call.hear(LineCondition("speech_started"))  # 6.0: the caller speaks: withdrawn
        await pilot.press("2")  # surname known: the surname and the title are asked
        await pilot.pause()
        await pilot.press("王", "enter", "2")
        await pilot.pause()
        await pilot.press("space")
        await pilot.press("ctrl+e", "enter")
        await pilot.pause()

    log = call_log(shipped_flows, tmp_path, "main_call", work)
    rows = build_rows(load_replay(log, shipped_flows).timeline, Messages("zh"), shipped_flows)
    texts = [(r.t, r.text) for r in rows]
    assert (5.0, "建议:无声电话(线路静音 5 秒)") in texts
    assert (6.0, "撤回建议:无声电话(客户说话了)") in texts
    assert (6.0, "已说完  “王小姐,请问有什么可以帮助您?”") in texts, "\n".join(map(str, texts))
