"""The self-study screens, driven by keys as a trainee drives them, with a
ManualClock: the drill's clock is the app's clock, so the 5-second waits are scored without
sleeping. No caller audio here (``caller=None``): the screen must say so and describe the caller.
Caller audio and spoken answers through the PulseAudio virtual line are in test_study_audio.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from callscript.health import Part
from callscript.app.screens.picker import FlowPickerScreen
from callscript.app.screens.study import StudyPickerScreen, StudyScreen, StudySummaryScreen
from callscript.app.study import make_study_app
from callscript.engine import ManualClock
from callscript.settings import Settings
from callscript.training.progress import ProgressStore
from tests.app.driver import build_app, compact, screen_text

GREET = "您好!请问有什么可以帮助您?"
GREET_AGAIN = "您好,请问有什么可以帮助您?"
ASK_CALL_AGAIN = "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"
PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*\}")  # a flow's {variable} as written in the file


def run(coro):
    return asyncio.run(coro)


def study_app(flows, tmp_path, *, clock=None, language="zh", **kwargs):
    kwargs.setdefault("store", ProgressStore(tmp_path / "progress.sqlite"))
    kwargs.setdefault("trainee", "amy")
    kwargs.setdefault("flow", "silent_call")
    return make_study_app(flows, clock=clock or ManualClock(), log_dir=tmp_path / "logs",
                          settings=Settings(interface_language=language), **kwargs)


async def type_line(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


def test_a_whole_silent_call_drill_scores_each_line_and_each_wait_and_records_them(shipped_flows, tmp_path):
    """greet, wait 5 s (waited), greet again, wait 2 s only (cut short), ask to call again, wait
    5 s, hang up: every line passes on its words, and greet_again fails on its wait."""
    clock = ManualClock()
    store = ProgressStore(tmp_path / "progress.sqlite")

    async def scenario():
        app = study_app(shipped_flows, tmp_path, clock=clock, store=store)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, StudyScreen)
            text = screen_text(app)
            assert "无声电话" in text and "第 1/3 句" in text
            # No caller audio here: the screen says so and describes what the caller does.
            assert "线路接通了,但客户一直不说话" in compact(text)
            assert "无法播放客户的声音" in compact(text)
            assert GREET not in text  # the drill does not give the line away

            await type_line(pilot, GREET)
            text = screen_text(app)
            # The words passed, but the wait after the line is still to be timed: not a final pass.
            assert "✓ 话术通过 · 暂得 100 分" in text and "✓ 通过 · 100 分" not in text and "第 2/3 句" in text
            assert "还没完:接下来稍停 5 秒再说下一句,等待时间也计分" in text
            assert "第 1 句说完后稍停 5 秒:已等 0.0 秒,还要等 5.0 秒…" in text

            clock.advance(5.0)
            screen.tick()  # what the screen's refresh timer does a few times a second
            assert "已等 5.0 秒" in screen_text(app) and "可以说下一句了" in screen_text(app)
            await type_line(pilot, GREET_AGAIN)
            assert "✓ 第 1 句“您好!请问有什么…”之后等了 5.0 秒(应 5 秒) → 第 1 句通过 · 100 分" in screen_text(app)
            assert "greet" not in screen_text(app)  # the trainee is told the line, not its step id

            clock.advance(2.0)
            await type_line(pilot, ASK_CALL_AGAIN)
            text = screen_text(app)
            assert "✗ 第 2 句“您好,请问有什么…”之后只等了 2.0 秒,应 5 秒 → 第 2 句未通过 · 70 分" in text
            assert "台词都说完了。稍停5秒,再按Ctrl+E挂机并查看总结。" in compact(text)
            # The last line's wait is before hanging up: there is no next line to wait for.
            assert "还没完:接下来稍停 5 秒再挂机,等待时间也计分" in text and "再说下一句" not in text

            clock.advance(5.0)
            await pilot.press("ctrl+e")
            await pilot.pause()
            summary = app.screen
            assert isinstance(summary, StudySummaryScreen)
            assert [(r.step, r.passed, r.waited) for r in summary.rows] == [
                ("greet", True, 5.0), ("greet_again", False, 2.0), ("ask_call_again", True, 5.0)]
            text = screen_text(app)
            assert "练习总结 · 无声电话" in text
            # Lines are named as the trainee knows them: position and opening words, not step ids.
            assert "1 您好!请问有什么…" in text and "3 对不起,您的电话…" in text and "greet" not in text
            assert "总分 90 · 通过 2/3 · 每句及格 80 分" in text
            assert "只等了2.0秒" in compact(text)
            assert "成绩已记入“amy”的学习进度" in text

    run(scenario())
    attempts = store.attempts("amy")
    assert [(a.flow, a.step, a.score, a.passed, a.waited, a.mode) for a in attempts] == [
        ("silent_call", "greet", 100, True, 5.0, "typed"),
        ("silent_call", "greet_again", 70, False, 2.0, "typed"),
        ("silent_call", "ask_call_again", 100, True, 5.0, "typed"),
    ]
    assert attempts[1].reasons == ("wait_too_short",)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_pass_that_a_short_wait_turns_into_a_fail_is_never_shown_as_final(shipped_flows, tmp_path, language):
    """A trial: the first line showed "✓ 通过 · 100 分", the summary "greet 70 ✗ 未通过 3.4/5s",
    because the wait after the line is judged when the next answer arrives. Now the first
    feedback says the score so far and that the wait is being timed, a countdown runs, starting the
    next line early is flagged at once, and the next feedback gives line 1's final verdict, the
    same as the summary's."""
    clock = ManualClock()
    zh = language == "zh"

    async def scenario():
        app = study_app(shipped_flows, tmp_path, clock=clock, language=language)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            await type_line(pilot, GREET)
            text = screen_text(app)
            if zh:
                assert "✓ 话术通过 · 暂得 100 分" in text and "✓ 通过" not in text
                assert "接下来稍停 5 秒再说下一句,等待时间也计分" in text
            else:
                assert "✓ Words passed · 100 points so far" in text and "✓ Passed" not in text
                assert "now wait 5s before the next line; the wait is scored too" in text
            clock.advance(3.4)
            screen.tick()
            assert ("已等 3.4 秒,还要等 1.6 秒…" if zh else "3.4s so far, 1.6s to go…") in screen_text(app)
            await pilot.press(GREET_AGAIN[0])  # the first keystroke: the next line has begun, too soon
            clock.advance(2.0)
            screen.tick()
            text = screen_text(app)
            assert ("✗ 第 1 句说完后只等了 3.4 秒就开始说下一句(应 5 秒):第 1 句将不通过" if zh else
                    "✗ You began the next line 3.4s after line 1 (wait 5s): line 1 will not pass") in text
            await pilot.press(*GREET_AGAIN[1:], "enter")
            await pilot.pause()
            text = screen_text(app)
            assert ("✗ 第 1 句“您好!请问有什么…”之后只等了 3.4 秒,应 5 秒 → 第 1 句未通过 · 70 分" if zh else
                    "✗ After line 1 (“您好!请问有什么…”) you waited only 3.4s, not 5s → line 1: Not passed · 70 points"
                    ) in text
            clock.advance(5.0)
            await pilot.press("ctrl+e")
            await pilot.pause()
            summary = app.screen
            assert isinstance(summary, StudySummaryScreen)
            first = summary.rows[0]
            assert (first.step, first.score, first.passed, first.waited, first.required) == ("greet", 70, False, 3.4, 5)
            assert "70  ✗ " + ("未通过  3.4/5s" if zh else "Not passed  3.4/5s") in screen_text(app)

    run(scenario())


def test_feedback_shows_forbidden_phrasing_missing_phrases_informal_you_and_a_diff(shipped_flows, tmp_path):
    async def scenario():
        app = study_app(shipped_flows, tmp_path, language="en")
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await type_line(pilot, "喂,说话呀!再不说话我就挂了啊!")
            text = compact(screen_text(app))
            # Each deduction once, with its points; the pass mark; the key to hear the line said.
            assert "✗Notpassed·0pointssofar(passmark80)" in text
            assert "−60Sayswhatmustneverbesaid:'喂,说话呀!再不说话我就挂了啊!'" in text
            assert "−30Openswith喂:openwith您好.←喂" in text
            assert "−40Thisisnottheline(noneofitspartsissaid)." in text
            assert "Correctline:您好!请问有什么可以帮助您?▶Ctrl+D:hearitsaidcorrectly" in text

            await type_line(pilot, "你好,请问有什么可以帮帮你?")
            text = compact(screen_text(app))
            assert "−25Says你tothecaller:say您(004§7.4).←你" in text
            assert "Leavesout" not in text  # 你 for 您 is one fault, not also a missing 您好 or 您
            # The diff marks what is missing and what is extra against the correct line.
            assert "你[-好-]" not in text
            assert "[-您-]{+你+}好请问有什么可以帮[-助您-]{+帮你+}" in text

    run(scenario())


def test_feedback_and_summary_show_the_practice_values_never_a_raw_placeholder(shipped_flows, tmp_path):
    """A trial saw 缺少欢迎致电并报出热线(如“欢迎致电{hotline}/…”) and 客服代表{agent}: the examples
    of a missing element read with the practice values (the settings' hotline, the flow's default
    agent number), in the feedback and in the summary."""
    async def scenario():
        app = make_study_app(shipped_flows, flow="greeting", clock=ManualClock(), log_dir=tmp_path / "logs",
                             settings=Settings(interface_language="zh", hotline="安心保险"), trainee="amy",
                             store=ProgressStore(tmp_path / "progress.sqlite"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await type_line(pilot, "您好,很高兴为您服务,请问有什么可以帮助您?")
            text = compact(screen_text(app))
            assert "缺少欢迎致电并报出热线(如“欢迎致电安心保险/欢迎致电/欢迎来电”)" in text
            assert "缺少报出工号或姓名(如“客服代表001/工号001/001号”)" in text
            assert not PLACEHOLDER.search(text)
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, StudySummaryScreen)
            summary = compact(screen_text(app))
            assert "欢迎致电安心保险" in summary and not PLACEHOLDER.search(summary)

    run(scenario())


def test_a_homophone_from_the_recogniser_costs_nothing_and_is_marked(shipped_flows, tmp_path):
    async def scenario():
        app = study_app(shipped_flows, tmp_path)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            await type_line(pilot, "您好!请问有什么可以帮主您?")
            text = compact(screen_text(app))
            assert "✓话术通过·暂得100分" in text and "帮~主~您" in text

    run(scenario())


def test_the_summary_joins_chinese_reasons_as_sentences_and_english_ones_with_semicolons(shipped_flows, tmp_path):
    """A trial found "缺少关键用语“您好”。; 缺少关键用语“您”。" in the summary's 原因 column."""
    async def summary_text(language):
        app = study_app(shipped_flows, tmp_path / language, language=language)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await type_line(pilot, "喂,有什么事?")  # no 您好, and a 喂 opening
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, StudySummaryScreen)
            return compact(screen_text(app))

    zh = run(summary_text("zh"))
    assert "−25缺少问候(如“您好/早上好/上午好”)。−30不可以用“喂”开头,应说“您好”。" in zh and "。;" not in zh
    en = run(summary_text("en"))
    assert "−25Leavesoutthegreeting(e.g.您好/早上好/上午好);−30O" in en and ".;" not in en


def test_a_quiz_round_scores_each_choice_and_says_why_each_wrong_option_is_wrong(shipped_flows, tmp_path):
    """Each line of the silent call, then how long to wait after it and what comes next: every
    choice is explained, scored and recorded."""
    store = ProgressStore(tmp_path / "progress.sqlite")
    kinds = [("line", "greet"), ("wait", "greet"), ("next", "greet"), ("line", "greet_again"),
             ("wait", "greet_again"), ("next", "greet_again"), ("line", "ask_call_again"), ("wait", "ask_call_again")]

    async def scenario():
        app = study_app(shipped_flows, tmp_path, quiz=True, quiz_seed=3, store=store, language="en")
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, StudyScreen) and screen.quiz
            assert "Which is the correct line? (press its number)" in screen_text(app)
            answers = []
            for n, (kind, step) in enumerate(kinds):
                question = screen.run.current
                assert (question.kind, question.step.id) == (kind, step)
                text = compact(screen_text(app))
                assert f"question{n + 1}of8" in text and step not in screen_text(app)
                if kind == "wait":
                    assert "howlongdoyouwait" in text
                options = screen.quiz_options
                assert sum(o.correct for o in options) == 1 and len(options) == 4
                pick_right = n != 3  # the second greeting's line: a wrong choice
                number = next(n for n, o in enumerate(options, 1) if o.correct == pick_right)
                answers.append(options[number - 1].text)
                await pilot.press(str(number))
                text = compact(screen_text(app))
                assert ("✓Correct" if pick_right else "✗Notthisone") in text
                for option in options:  # every option, with the reason it is right or wrong
                    assert compact(option.text) in text and compact(option.why) in text
                await pilot.press("enter")
                await pilot.pause()
            assert isinstance(app.screen, StudySummaryScreen)
            text = screen_text(app)
            assert "Score 88 · passed 7 of 8" in text
            assert "how long to wait" in text and "what comes next" in text
            assert "Recorded in amy's progress" in text
        return answers

    answers = run(scenario())
    attempts = store.attempts("amy")
    assert [(a.step, a.score, a.passed, a.mode) for a in attempts] == [
        (step, 0 if n == 3 else 100, n != 3, "quiz") for n, (_kind, step) in enumerate(kinds)]
    assert [a.answer for a in attempts] == answers


def test_the_quiz_summary_says_why_a_wrong_choice_was_wrong(shipped_flows, tmp_path):
    """A trial found "apologise_louder 0 ✗ 未通过 —" in the summary although the answer screen had
    explained 你/您: the chosen option's reason is carried into the summary's 原因 column."""
    async def scenario():
        app = study_app(shipped_flows, tmp_path, flow="agent_too_quiet", quiz=True, quiz_seed=3)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            chosen = []
            while screen.quiz_index < len(screen.drill.path):
                options = screen.quiz_options
                wrong = [n for n, o in enumerate(options, 1) if o.origin == "rule:informal_you"] or \
                    [n for n, o in enumerate(options, 1) if not o.correct]
                number = wrong[0] if not chosen else next(n for n, o in enumerate(options, 1) if o.correct)
                chosen.append(options[number - 1])
                await pilot.press(str(number))
                await pilot.press("enter")
                await pilot.pause()
            assert isinstance(app.screen, StudySummaryScreen)
            text = compact(screen_text(app))
            assert compact(chosen[0].why_zh) in text
            assert chosen[0].why_zh.startswith(("称呼客户要用“您”", "缺少", "不可以用“喂”", "不要用", "手册规定"))
            rows = app.screen.rows
            assert [r.message_zh for r in rows[0].reasons] == [chosen[0].why_zh] and not rows[0].passed
            assert all(r.passed and not r.reasons for r in rows[1:])

    run(scenario())


def test_the_picker_lists_situations_and_opens_a_drill_or_a_quiz(shipped_flows, tmp_path):
    async def scenario():
        app = study_app(shipped_flows, tmp_path, flow=None, language="en")
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StudyPickerScreen)
            text = screen_text(app)
            assert "Choose a situation to practise" in text and "Situations" in text
            assert "Silent call" in text
            # A flow with nothing to say is listed, greyed, with the reason, and cannot be chosen.
            assert "dialect_understood" in text and "(no lines to" in text
            options = app.screen.query_one("#study-flows")
            greyed = [options.get_option_at_index(i) for i in range(options.option_count)
                      if "dialect_understood" in str(options.get_option_at_index(i).prompt)]
            assert len(greyed) == 1 and greyed[0].disabled
            assert str(greyed[0].prompt).endswith("dialect_understood  (no lines to practise)")
            assert "Enter drill · F4 quiz" in text
            first = app.screen.selected()
            assert first is not None and first.is_situation
            await pilot.press("f4")
            assert isinstance(app.screen, StudyScreen) and app.screen.quiz
            assert app.screen.flow.id == first.id
            await pilot.press("ctrl+t")  # switch to the drill on the same flow
            await pilot.pause()
            assert isinstance(app.screen, StudyScreen) and not app.screen.quiz
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, StudyPickerScreen)

    run(scenario())


def test_the_demonstrate_key_plays_the_correct_line_through_the_apps_speaker(shipped_flows, tmp_path):
    """The demonstrate key works in every study view, as on the call screen. The
    speaker is a recording double (the real speaker is tested in tests/speech)."""
    said = []

    class RecordingSpeaker:
        def demonstrate(self, text, language, *, louder=False):
            said.append((text, language, louder))

        def stop(self):
            pass

        def problem(self):
            return None

    async def scenario():
        app = study_app(shipped_flows, tmp_path, speaker=RecordingSpeaker())
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+d")
            assert "正在示范" in screen_text(app)
            await pilot.press("ctrl+t")
            await pilot.pause()
            await pilot.press("ctrl+d")

    run(scenario())
    assert said[0] == (GREET, "zh-CN", False)
    assert len(said) == 2 and said[1][1] == "zh-CN"


def test_without_a_speaker_the_demonstrate_key_says_why(shipped_flows, tmp_path):
    async def scenario():
        app = study_app(shipped_flows, tmp_path, language="en")
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+d")
            assert "Cannot demonstrate" in screen_text(app)

    run(scenario())


def test_f3_in_the_call_picker_studies_the_highlighted_flow(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(tmp_path / "data"))

    async def scenario():
        app = build_app(shipped_flows, tmp_path)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, FlowPickerScreen)
            highlighted = picker.selected()
            await pilot.press("f3")
            await pilot.pause()
            assert isinstance(app.screen, StudyScreen) and app.screen.flow.id == highlighted.id
            app.study.caller = None  # no audio device in this test: the description stands in
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is picker

    run(scenario())


def test_callscript_study_with_a_bad_flow_is_one_readable_message(tmp_path):
    env = {**os.environ, "CALLSCRIPT_CONFIG_DIR": str(tmp_path / "config"), "CALLSCRIPT_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "callscript", "study", "nope"], capture_output=True, text=True,
                            env=env, cwd=Path(__file__).parents[2], timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: no flow named 'nope'")
    assert "hint: 'callscript flows' lists them:" in result.stderr and "silent_call" in result.stderr
    assert "Traceback" not in result.stderr

    result = subprocess.run([sys.executable, "-m", "callscript", "study", "dialect_understood"], capture_output=True,
                            text=True, env=env, cwd=Path(__file__).parents[2], timeout=60)
    assert result.returncode == 1 and "has no lines to practise" in result.stderr
    assert "Traceback" not in result.stderr


def test_f1_lists_the_study_keys(shipped_flows, tmp_path):
    async def scenario():
        app = study_app(shipped_flows, tmp_path, flow="noisy_line", language="en")
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
            text = screen_text(app)
            for row in ("Ctrl+D", "Demonstrate", "Ctrl+R", "Caller again", "Ctrl+E", "Hang up", "Drill/quiz"):
                assert row in text, row

    run(scenario())


def test_the_callers_side_module_imports_nothing_heavy():
    out = subprocess.run([sys.executable, "-c", "import callscript.training.caller, sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert not {m for m in out if m.split(".")[0] in ("textual", "numpy", "sounddevice", "pyttsx3", "vosk")}


def test_what_the_listener_reports_is_a_spoken_answer_timed_from_speech_onset(shipped_flows, tmp_path):
    """The listener's reports (through the app's real LineSink, as LineListener sends them): speech
    onset starts the answer on the drill's clock, the final transcript is the answer; a final
    transcript with no words takes no answer and says so (but speaking at all ended the wait)."""
    from callscript.app.messages import AppLineSink

    clock = ManualClock()
    store = ProgressStore(tmp_path / "progress.sqlite")

    async def scenario():
        app = study_app(shipped_flows, tmp_path, clock=clock, store=store, language="en")
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            sink = AppLineSink(screen)
            sink.condition("speech_started", {})
            sink.transcript("您好请问有什么", False)
            await pilot.pause()
            assert "Heard: 您好请问有什么" in screen_text(app)
            sink.transcript("您好请问有什么可以帮助您", True)
            await pilot.pause()
            assert screen.modes == ["spoken"] and len(screen.drill.turns) == 1
            clock.advance(3.0)
            sink.condition("speech_started", {})
            await pilot.pause()  # the screen takes the onset when it arrives
            clock.advance(2.0)  # the trainee speaks for 2 s; the wait ended when they began
            sink.transcript("", True)
            await pilot.pause()
            assert "Could not make out what you said" in screen_text(app)
            assert len(screen.drill.turns) == 1
            sink.condition("speech_started", {})
            sink.transcript("您好请问有什么可以帮助您", True)
            await pilot.pause()
            await pilot.press("ctrl+e")
            await pilot.pause()

    run(scenario())
    attempts = store.attempts("amy")
    assert [(a.step, a.mode, a.waited) for a in attempts] == [("greet", "spoken", 3.0), ("greet_again", "spoken", 0.0)]


def test_study_quiz_without_a_flow_opens_the_quiz_from_the_picker(shipped_flows, tmp_path):
    async def scenario():
        app = study_app(shipped_flows, tmp_path, flow=None, quiz=True)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StudyPickerScreen)
            # The hint follows the mode: Enter starts a quiz here (a trial saw "Enter 开始练习").
            text = screen_text(app)
            assert "↑↓ 选择 · Enter 开始测验" in text and "开始练习" not in text and "F4" not in text
            assert [b.description for b in app.screen._bindings.key_to_bindings["enter"]
                    if b.id == "study.start"] == ["测验"]
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StudyScreen) and app.screen.quiz

    run(scenario())


def test_study_keys_from_the_settings_file_are_remapped(shipped_flows, tmp_path):
    """Study keys are remappable by id like the call screen's: a [keys] table in the settings file
    is read, the remapped keys work, the old ones do nothing, and the screens show the new ones."""
    from callscript.settings import load_settings, settings_path

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('interface_language = "en"\n\n[keys]\n"study.start_quiz" = "f5"\n"study.quiz" = "ctrl+w"\n',
                    encoding="utf-8")
    settings = load_settings(path)

    async def scenario():
        app = make_study_app(shipped_flows, clock=ManualClock(), log_dir=tmp_path / "logs", settings=settings,
                             store=ProgressStore(tmp_path / "progress.sqlite"), trainee="amy")
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StudyPickerScreen)
            text = screen_text(app)
            assert "F5 quiz" in text and " F5 Quiz " in text and "F4" not in text
            await pilot.press("f4")
            assert isinstance(app.screen, StudyPickerScreen)
            await pilot.press("f5")
            await pilot.pause()
            assert isinstance(app.screen, StudyScreen) and app.screen.quiz
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.screen.quiz  # the old key: nothing
            await pilot.press("ctrl+w")
            await pilot.pause()
            assert isinstance(app.screen, StudyScreen) and not app.screen.quiz

    run(scenario())


def test_why_the_caller_cannot_play_is_short_and_in_the_interface_language(shipped_flows, tmp_path):
    """PortAudio's own message is long and English; the drill names the reason the way the call
    screen does for a failed demonstration."""
    problem = "the default output device is not available (Error querying device -1; PortAudio sees no audio devices at all)"

    async def scenario():
        app = study_app(shipped_flows, tmp_path, no_caller_reason=problem, no_caller_part=Part.OUTPUT)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            text = compact(screen_text(app))
            assert "无法播放客户的声音(音频输出设备不可用)" in text
            assert "PortAudio" not in text
            assert problem in app.notes["study.caller_failed"][1]  # F1 has the speaker's own words

    run(scenario())


def test_the_english_hint_is_the_gloss_filled_for_an_english_reader(shipped_flows, tmp_path):
    """A line with no tip gets its gloss as the hint in English: filled ("our company", the
    caller as Sir/Madam), never showing the raw {hotline} or {surname} placeholders."""

    async def scenario():
        app = study_app(shipped_flows, tmp_path, language="en", flow="greeting")
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            text = compact(screen_text(app))
            assert "welcometoourcompany'scustomerservicehotline" in text.lower()
            assert "{" not in text

    run(scenario())


def test_a_spoken_answer_ends_when_the_trainee_stops_speaking_not_when_the_transcript_arrives(shipped_flows, tmp_path):
    """The wait after a spoken line runs from the end of speech (``speech_stopped``'s last sound)
    to the next speech onset, both taken back to when they happened in the audio: the recogniser's
    final transcript comes later (here 1.6 s after the last sound) and must not eat into the wait.
    Before, the line ended when its transcript arrived, and a full 5-second wait read as 3.5 s."""
    from callscript.app.messages import AppLineSink

    clock = ManualClock(1.0)
    store = ProgressStore(tmp_path / "progress.sqlite")

    async def scenario():
        app = study_app(shipped_flows, tmp_path, clock=clock, store=store)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            sink = AppLineSink(app.screen)
            sink.condition("speech_started", {"onset": 0.9, "audio_t": 1.0})  # reported 0.1 s after the onset
            await pilot.pause()
            clock.set(3.4)
            sink.condition("speech_stopped", {"last_sound": 2.9, "audio_t": 3.4})
            await pilot.pause()
            clock.set(4.5)  # the recogniser finalises after the trailing silence
            sink.transcript(GREET, True)
            await pilot.pause()
            clock.set(8.0)  # the next line begins 5.0 s after the first one ended (at 7.9)
            sink.condition("speech_started", {"onset": 7.9, "audio_t": 8.0})
            await pilot.pause()
            clock.set(10.0)
            sink.condition("speech_stopped", {"last_sound": 9.8, "audio_t": 10.0})
            sink.transcript(GREET_AGAIN, True)
            await pilot.pause()
            text = screen_text(app)
            assert "之后等了 5.0 秒(应 5 秒) → 第 1 句通过 · 100 分" in text
            clock.set(15.0)
            await pilot.press("ctrl+e")
            await pilot.pause()

    run(scenario())
    attempts = store.attempts("amy")
    assert [(a.step, a.mode, a.waited, a.passed) for a in attempts] == [
        ("greet", "spoken", 5.0, True), ("greet_again", "spoken", 5.2, True)]


@pytest.mark.parametrize("flow_ids", [("dialect_understood",), ()])
def test_the_study_picker_with_no_flow_to_practise_says_so_instead_of_failing(shipped_flows, tmp_path, flow_ids):
    """No flow with a line to say (or no flows at all): the picker opens, says there is nothing to
    practise, and the keys do nothing but ring the bell (before, it raised StopIteration)."""
    flows = {fid: shipped_flows[fid] for fid in flow_ids}

    async def scenario():
        app = study_app(flows, tmp_path, flow=None)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StudyPickerScreen)
            await pilot.press("down", "up", "enter")
            await pilot.pause()
            assert isinstance(app.screen, StudyPickerScreen)
            assert "没有可以练习的流程" in compact(screen_text(app))

    run(scenario())


def test_the_summary_plays_each_failed_line_said_correctly(shipped_flows, tmp_path):
    """Next to a line that did not pass, the summary offers to hear it said correctly: the
    demonstrate key plays the failed lines in turn through the app's speaker (a recording double,
    as in the test above: the real speaker is tested in tests/speech)."""
    said = []

    class RecordingSpeaker:
        def demonstrate(self, text, language, *, louder=False):
            said.append(text)

        def stop(self):
            pass

        def problem(self):
            return None

    clock = ManualClock()

    async def scenario():
        app = study_app(shipped_flows, tmp_path, clock=clock, speaker=RecordingSpeaker())
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await type_line(pilot, "你好,请问有什么可以帮助你?")  # 你 for 您: fails
            clock.advance(5.0)
            await type_line(pilot, GREET_AGAIN)
            clock.advance(5.0)
            await type_line(pilot, "对不起,请您换一部电话")  # no 好吗, no 再见, no reason: 70, fails
            clock.advance(5.0)
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert isinstance(app.screen, StudySummaryScreen)
            text = compact(screen_text(app))
            assert "✗未通过▶" in text and "按Ctrl+D听未通过的句子的正确说法" in text
            await pilot.press("ctrl+d")
            await pilot.pause()
            assert "正在播放:1您好!请问有什么…" in compact(screen_text(app))
            await pilot.press("ctrl+d")
            await pilot.press("ctrl+d")
            await pilot.pause()

    run(scenario())
    assert said == [GREET, ASK_CALL_AGAIN, GREET]
