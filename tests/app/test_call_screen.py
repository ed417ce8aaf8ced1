"""The call screen, driven by keys as an agent drives it, with a ManualClock.

Each test states one behaviour of the call screen: the countdown, the gloss toggle, forbidden phrasing,
situations that come back, caller name and notes, ending a call and the next one, what the
listener reports, demonstrations, the missing-parts banner, plain mode and remapped keys.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from callscript.app.messages import AppLineSink
from callscript.app.screens.call import CallScreen
from callscript.app.screens.dialogs import ChoiceDialog
from callscript.app.screens.picker import FlowPickerScreen
from callscript.app.screens.summary import SummaryScreen
from callscript.app.widgets.countdown import Countdown
from callscript.app.widgets.prompt import SayPanel
from callscript.engine import ManualClock
from callscript.app.widgets.health import HealthList
from callscript.doctor import Capability
from callscript.health import Part, State, lost, missing
from callscript.errors import CallscriptError
from callscript.session.log import read_log
from callscript.settings import Settings
from tests.app.driver import build_app, compact, say_panel_text, screen_text


def run(coro):
    return asyncio.run(coro)


def log_of(tmp_path) -> list[dict]:
    (path,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    return read_log(path).records


def test_the_wait_starts_when_the_line_is_said_and_advances_the_flow_by_itself(shipped_flows, tmp_path):
    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="silent_call")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "您好!请问有什么可以帮助您?" in text
            assert "说完后按 Space" in text  # nothing counts down before the line is said
            clock.advance(30)
            await pilot.pause(0.3)
            assert app.live_call.engine.step.id == "greet"
            await pilot.press("space")
            clock.advance(2.0)
            await pilot.pause(0.3)
            state = app.screen.query_one(Countdown).state
            assert state.kind == "running" and state.total == 5.0 and state.remaining == pytest.approx(3.0)
            text = screen_text(app)
            assert "还剩 3.0 秒 → 您好,请问有什么可以帮助…" in text and "█" in text
            clock.advance(3.0)
            await pilot.pause(0.3)  # no key: the refresh tick finds the deadline passed
            assert app.live_call.engine.step.id == "greet_again"
            assert "您好,请问有什么可以帮助您?" in screen_text(app)
        timer = [r for r in log_of(tmp_path) if r["type"] == "event" and r["source"] == "timer"]
        assert timer[0]["t"] == 35.0  # 30 s before "said" did not count; 5 s after it did

    run(scenario())


def test_forbidden_phrasing_is_beside_the_line_and_the_gloss_is_on_a_toggle(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "✗ 切勿说" in text and "喂,说话呀!" in compact(text)
            assert "Hello! How may I help you?" not in text
            await pilot.press("g")
            text = screen_text(app)
            assert "英文: Hello! How may I help you?" in text
            assert "Hey, talk!" in compact(text).replace("Hey,talk!", "Hey, talk!")
            await pilot.press("g")
            assert "Hello! How may I help you?" not in screen_text(app)

    run(scenario())


def test_a_situation_interrupts_any_step_and_returns_to_it(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("3")  # caller states the request -> confirm
            await pilot.press("space")
            assert app.live_call.engine.step.id == "confirm"
            await pilot.press("p")  # speakerphone
            text = screen_text(app)
            assert "Speakerphone" in text or "Caller on speakerphone" in text
            assert "对不起,您的声音太小,请您拿起话筒说话好吗?" in compact(text)
            assert "[Situation]" in text
            await pilot.press("1")  # caller picked up the handset -> back
            engine = app.live_call.engine
            assert (engine.flow.id, engine.step.id, engine.depth) == ("main_call", "confirm", 0)
            assert not engine.view().said  # the line is shown again, to be said again
            assert "您的意思是……对吗?" in screen_text(app)
        kinds = [(r["type"], r.get("flow")) for r in log_of(tmp_path)]
        assert ("situation_entered", "speakerphone") in kinds and ("returned", "main_call") in kinds

    run(scenario())


async def decline_questions(pilot, app) -> None:
    """Escape every question the line asks before it can be said (surname, then title)."""
    from callscript.app.screens.dialogs import VariableDialog

    for _ in range(4):
        await pilot.pause()
        if not isinstance(app.screen, VariableDialog):
            return
        await pilot.press("escape")
    raise AssertionError("the questions do not stop")


def test_the_callers_name_fills_the_line_as_soon_as_it_is_known(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="address_by_surname")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            # The line needs the surname: it is asked first; Esc (twice: surname, title) shows
            # the flow's line for an unknown caller (never the placeholder 某 in the agent's
            # mouth), and quick entry (t) still fills the line later.
            await decline_questions(pilot, app)
            assert "您好,请问有什么可以帮助您?" in screen_text(app)
            assert "某" not in screen_text(app)
            await pilot.press("t")
            await pilot.press(*"王先生")
            await pilot.press("enter")
            text = screen_text(app)
            assert "王先生,请问有什么可以帮助您?" in text
            assert "客户: 王先生" in text
        sets = [(r["name"], r["value"]) for r in log_of(tmp_path) if r["type"] == "variable_set"]
        assert sets == [("surname", "王"), ("title", "先生")]

    run(scenario())


def test_the_english_gloss_names_the_caller_the_english_way(shipped_flows, tmp_path):
    """The gloss reads "Mr. Wang, how may I help you?", not the Chinese "王 先生" in English."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="address_by_surname",
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await decline_questions(pilot, app)
            # The gloss of the line shown: the flow's line for a caller whose name is unknown.
            assert "English: Hello, how may I help you?" in screen_text(app)
            await pilot.press("t")
            await pilot.press(*"王先生")
            await pilot.press("enter")
            text = screen_text(app)
            assert "English: Mr. Wang, how may I help you?" in text
            assert "王 先生" not in text
            await pilot.press("t")
            await pilot.press(*"欧阳女士")
            await pilot.press("enter")
            assert "English: Ms. Ouyang, how may I help you?" in screen_text(app)

    run(scenario())


def test_notes_end_call_summary_and_the_next_call_with_one_key(shipped_flows, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="greeting",
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("m")
            await pilot.press(*"wrong number")
            await pilot.press("enter")
            assert "Notes: wrong number" in screen_text(app)
            await pilot.press("s")  # silent line
            clock.advance(12.0)
            await pilot.press("ctrl+e", "enter")
            assert isinstance(app.screen, SummaryScreen)
            text = screen_text(app)
            assert "Outcome: Ended early by the agent" in text
            assert "Duration: 00:12" in text
            assert "Steps (2): Standard greeting: greet › Silent call: greet" in text
            assert "Situations met: Silent line" in text
            assert "• wrong number" in text
            assert "Session log: logs/20260102-030405-greeting.jsonl" in text
            assert "Press Enter for the next call: “Standard greeting”" in text
            await pilot.press("enter")
            assert isinstance(app.screen, CallScreen) and app.live_call.engine.flow.id == "greeting"
            assert app.live_call.engine.elapsed() == 0.0
            assert "Notes: none" in screen_text(app)
            await pilot.press("ctrl+e", "enter")
            await pilot.press("escape")
            assert isinstance(app.screen, FlowPickerScreen)
        logs = sorted((tmp_path / "logs").glob("*.jsonl"))
        assert [p.name for p in logs] == ["20260102-030405-greeting-1.jsonl", "20260102-030405-greeting.jsonl"]
        assert all(read_log(p).records[-1]["end"] == "agent_ended" for p in logs)

    run(scenario())


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
def test_quitting_mid_call_leaves_a_complete_log_ending_aborted(shipped_flows, tmp_path, key):
    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="silent_call")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("space")
            clock.advance(6.0)
            await pilot.pause(0.3)
            await pilot.press(key)
            await pilot.pause()  # during a call both ask first; Enter quits
            await pilot.press("enter")
        return app

    app = run(scenario())
    assert app.return_code in (0, None)
    log = log_of(tmp_path)
    assert [r["type"] for r in log][-3:] == ["event", "step_entered", "call_ended"]
    assert log[-1]["end"] == "aborted" and log[-1]["step"] == "greet_again"


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
def test_quitting_mid_call_asks_first_and_escape_goes_back_to_the_call(shipped_flows, tmp_path, key):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ChoiceDialog)
            assert "退出" in screen_text(app) and not app.live_call.ended
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CallScreen) and not app.live_call.ended
            assert app.is_running
        return app

    run(scenario())
    assert [r["type"] for r in log_of(tmp_path)] == ["call_started", "step_entered", "call_ended"]


def test_a_crash_mid_call_still_leaves_a_readable_log(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("space")

            def broken(name: str) -> bool:
                raise RuntimeError("a bug in an event handler")

            app.live_call.engine.fire = broken
            await pilot.press("1")
            await pilot.pause()

    with pytest.raises(RuntimeError, match="a bug in an event handler"):
        run(scenario())
    log = log_of(tmp_path)
    assert [r["type"] for r in log] == ["call_started", "step_entered", "said", "call_ended"]
    assert log[-1]["end"] == "aborted"


def test_what_the_listener_hears_reaches_the_screen_and_the_flow(shipped_flows, tmp_path):
    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="main_call",
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            sink = AppLineSink(app)  # what a listener thread calls
            await pilot.pause()
            sink.level(-23.4)
            sink.transcript("小姐您", False)
            await pilot.pause()
            text = screen_text(app)
            assert "-23 dBFS" in text and "Heard: 小姐您" in text
            assert app.live_call.engine.step.id == "greet"  # partial text moves nothing
            sink.condition("silence", {"reason": "line silent for 5 s", "seconds": 5.0})
            await pilot.pause()
            # The agent is still reading the greeting: that is no silence.
            assert "Suggested" not in screen_text(app)
            await pilot.press("space")
            clock.advance(4.0)
            await pilot.pause(0.3)
            assert "Suggested" not in screen_text(app) and "Silent for 4s (since you finished the line)" in screen_text(app)
            clock.advance(1.0)
            await pilot.pause(0.3)
            assert "Suggested: press s/Enter for “Silent line” (line silent for 5s)" in screen_text(app)
            sink.transcript("小姐您好", True)
            await pilot.pause()
            engine = app.live_call.engine
            assert (engine.flow.id, engine.step.id) == ("caller_greets_first", "reply")
            assert "Suggested" not in screen_text(app)  # the caller spoke: the silence is over
            sink.condition("agent_said", {})
            await pilot.pause()
            assert engine.view().said  # the agent's microphone heard them finish
            sink.condition("agent_forbidden", {"phrase": "喂,说吧!"})
            await pilot.pause()
            assert "Careful: you just said the forbidden “喂,说吧!”" in screen_text(app)
            sink.condition("silence", {"reason": "line silent for 5 s"})
            clock.advance(5.0)
            await pilot.pause(0.3)
            await pilot.press("enter")  # take the suggestion
            assert engine.flow.id == "silent_call"
            sink.condition("speech_started", {})
            await pilot.pause()
            assert (engine.flow.id, engine.step.id) == ("caller_greets_first", "reply")

    run(scenario())


def test_a_listening_problem_leaves_the_banner_when_the_device_delivers_audio_again(shipped_flows, tmp_path):
    """The listener retries a lost device and resumes reporting without saying "recovered": the
    line's next level (or condition) ends the line's problem, the agent microphone's next
    ``agent_*`` condition ends its own; other problems stay."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(interface_language="en"))
        app.probe_seconds = 0  # named at once (tests/app/test_device_health: the probe time)
        async with app.run_test(size=(100, 30)) as pilot:
            sink = AppLineSink(app)  # what the listener's threads call
            await pilot.pause()
            sink.problem(missing(Part.LINE, "health.no_input_device", "the line input device went away (plug it back in)"))
            sink.problem(missing(Part.AGENT_MIC, "health.no_agent_mic", "agent microphone: the device went away"))
            sink.problem(missing(Part.RECOGNITION, "health.no_model", "no speech recognition: no model"))
            await pilot.pause()
            # Nothing heard yet: the parts are named on one line, their messages are in F1.
            text = compact(screen_text(app))
            assert compact("Keyboard only: no audio input, no agent microphone, no speech recognition · F1 for fixes") in text
            sink.level(-41.0)  # the line is back
            await pilot.pause()
            text = compact(screen_text(app))
            assert compact("Limited: no agent microphone, no speech recognition · F1 for fixes") in text
            assert compact("no audio input") not in text  # audio does not bring a model, nor the microphone
            sink.problem(lost(Part.LINE, "health.line_lost", "the line input device went away (plug it back in)"))
            await pilot.pause()
            # The line had been heard: it was lost mid-call, which gets a line of its own.
            text = compact(screen_text(app))
            assert compact("The line's audio was lost: plug the headset or line back in · F1 for details") in text
            assert compact("Limited: no agent microphone, no speech recognition") in text
            sink.condition("speech_started", {})  # a condition from the line: audio again
            sink.condition("agent_said", {})  # the agent's microphone heard the line
            await pilot.pause()
            text = compact(screen_text(app))
            assert compact("The line's audio was lost") not in text
            assert compact("no agent microphone") not in text
            assert compact("Limited: no speech recognition · F1 for fixes") in text
            assert [h.part for h in app.health.problems()] == [Part.RECOGNITION]

    run(scenario())


@dataclass
class RecordingSpeaker:
    """A double for the speaker that records what it was asked, so a test reads what the screen asked
    for without sound (the real speaker: tests/speech and test_demonstration_failures)."""

    said: list[tuple[str, str, bool]] = field(default_factory=list)
    trouble: str | None = None

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> None:
        self.said.append((text, language, louder))

    def stop(self) -> None:
        pass

    def problem(self) -> str | None:
        return self.trouble

    def health(self):
        """As the real speaker says it: typed, the output device (``SpeechSpeaker.health``)."""
        return missing(Part.OUTPUT, "health.no_output_device", self.trouble) if self.trouble else None


def test_one_key_demonstrates_the_line_louder_when_the_agent_is_too_quiet(shipped_flows, tmp_path):
    speaker = RecordingSpeaker()

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", speaker=speaker,
                        variables={"hotline": "XX 银行"}, settings=Settings(agent="007"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("v")
            assert "正在示范" in screen_text(app)
            await pilot.press("l")  # the caller says they cannot hear the agent
            await pilot.press("v")
            speaker.trouble = "no output device"
            await pilot.press("v")
            # A short reason in the interface language; the speaker's own words are in F1.
            assert "无法示范朗读:音频输出设备不可用 · F1 查看详情" in screen_text(app)
            await pilot.press("f1")
            await pilot.pause()
            [(line, detail)] = [e for w in app.screen.query(HealthList) for e in w.entries if "无法示范" in e[0]]
            assert line.startswith("△ 无法示范") and "没有可用的音频输出设备" in line
            assert detail == "no output device"

    run(scenario())
    assert speaker.said == [
        ("您好,欢迎致电XX 银行客户服务热线,客服代表007很高兴为您服务,请问有什么可以帮助您!", "zh-CN", False),
        ("对不起,请问有什么可以帮助您?", "zh-CN", True),
    ]


def test_without_a_speaker_the_key_says_what_is_missing(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("v")
            assert "Cannot demonstrate: speech synthesis is not installed · F1 for details" in screen_text(app)

    run(scenario())


def Check(name: str, ok: bool, detail: str, fix: str, parts=(), reason: str = "health.check_failed") -> Capability:
    """A doctor's check as the doctor makes it (the real dataclass), with the parts it stands for."""
    return Capability(name, ok, detail, fix, "", tuple(parts), reason)


def test_the_banner_says_what_is_missing_and_how_to_fix_it(shipped_flows, tmp_path):
    checks = [Check("espeak-ng", True, "espeak-ng 1.51", ""),
              Check("PortAudio", False, "PortAudio missing", "apt-get install libportaudio2", (Part.LINE, Part.OUTPUT),
                    "health.no_portaudio")]

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", doctor=lambda: checks,
                        settings=Settings(interface_language="en"))
        app.probe_seconds = 0
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = screen_text(app)
            # The parts the check says it stands for, named in the interface language.
            assert "Keyboard only: no audio input, no audio output · F1 for fixes" in text
            assert "espeak" not in text
            await pilot.press("f1")
            entries = [e for w in app.screen.query(HealthList) for e in w.entries]
            assert entries[0][0].startswith("✗ no audio input") and "The audio library is missing" in entries[0][0]
            assert entries[0][1] == "PortAudio: PortAudio missing -- apt-get install libportaudio2"

    run(scenario())


def test_a_machine_without_audio_gets_one_translated_banner_line_and_the_details_in_f1(shipped_flows, tmp_path):
    """No audio devices and no speech model: one short line in the interface language (not three
    cut-off lines of English); F1 still has every message with its fix."""
    checks = [Check("audio input", False, "no default input device (PortAudio sees 0 devices)", "plug in a headset",
                    (Part.LINE,), "health.no_input_device"),
              Check("audio output", False, "no default output device (PortAudio sees 0 devices)", "plug in speakers",
                    (Part.OUTPUT,), "health.no_output_device")]

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", doctor=lambda: checks)
        async with app.run_test(size=(80, 24)) as pilot:
            app.probe_seconds = 0
            sink = AppLineSink(app)
            sink.problem(missing(Part.LINE, "health.no_input_device",
                                 "no audio input device was found (plug in a headset or microphone (or start the softphone))"))
            sink.problem(missing(Part.RECOGNITION, "health.no_model",
                                 "no speech recognition: the Mandarin Chinese, small (42 MB) speech model is not installed"))
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            lines = [line.strip() for line in screen_text(app).splitlines()]
            assert "仅键盘模式:无音频输入、无语音识别、无音频输出 · F1 查看修复方法" in lines
            assert not [line for line in lines if "no audio input device" in line or "…" in line]
            await pilot.press("f1")
            await pilot.pause()
            text = compact(screen_text(app))
            for detail in ("详情: audio input: no default input device", "详情: audio output: no default output device",
                           "详情: no audio input device was found", "✗ 无语音识别", "✗ 无音频输入", "✗ 无音频输出",
                           "详情: no speech recognition: the Mandarin Chinese"):
                assert compact(detail) in text

    run(scenario())


def test_a_bad_settings_file_is_reported_and_the_app_starts_with_defaults(shipped_flows, tmp_path):
    problem = CallscriptError("'plain' must be true or false, not 'yes'", where="/x/settings.toml:3",
                              hint="for example: plain = false")

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings_problem=problem, settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await pilot.pause()
            (toast,) = [n.message for n in app._notifications]
            assert toast.startswith("The settings file /x/settings.toml:3 has values that cannot be used")
            assert toast.endswith("· F1 for details")
            assert "'plain' must be true or false" in app.notes["settings.bad_file"][1]  # the file's words, in F1
            assert isinstance(app.screen, FlowPickerScreen)

    run(scenario())


def test_plain_mode_is_linear_text_without_bars(shipped_flows, tmp_path):
    async def scenario():
        clock = ManualClock()
        app = build_app(shipped_flows, tmp_path, clock=clock, initial_flow="silent_call",
                        settings=Settings(plain=True, interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("space")
            clock.advance(1.2)
            await pilot.pause(1.2)
            text = screen_text(app)
            assert app.screen.has_class("-plain") and app.animation_level == "none"
            assert "Say now: 您好!请问有什么可以帮助您?" in text
            assert "✗ NEVER SAY:" in text
            assert "Silence 5s: 4s left → 您好,请问有什么可以帮助…" in text
            assert "█" not in text and "╭" not in text

    run(scenario())


def test_remapped_keys_work_and_are_shown(shipped_flows, tmp_path):
    settings = Settings()
    settings.keys["call.said"] = "enter"
    settings.keys["situation.silent_call"] = "x"

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", settings=settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "[x] 无声电话" in text and "[s] 无声电话" not in text
            await pilot.press("s")
            assert app.live_call.engine.flow.id == "greeting"
            await pilot.press("x")
            assert app.live_call.engine.flow.id == "silent_call"
            assert "说完后按 Enter" in screen_text(app)
            await pilot.press("space")
            assert not app.live_call.engine.view().said
            await pilot.press("enter")
            assert app.live_call.engine.view().said

    run(scenario())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_everything_an_agent_needs_is_on_screen_at_80x24_and_larger(shipped_flows, tmp_path, size):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(agent="007"))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            text = screen_text(app)
            line = "您好,欢迎致电本公司客户服务热线,客服代表007很高兴为您服务,请问有什么可以帮助您!"
            assert compact(line) in compact(app.screen.query_one(SayPanel).render().plain)
            assert line[:16] in text
            assert "✗ 切勿说" in text
            for label in ("[1] 客户先问候", "[2] 已知客户姓氏", "[3] 客户说明来意", "[s] 无声电话", "[q] 客户音小",
                          "[n] 杂音太大", "[d] 方言听不懂", "[u] 方言能沟通", "[p] 免提", "[l] 客服声音小", "[c] 投诉"):
                assert label in text, label
            assert "通话 00:00" in text and "路径" in text and "客户: 未知" in text
            assert "Space 已说完" in text.splitlines()[-1]
            assert app.screen.has_class("-wide" if size[0] >= 110 else "-narrow")

    run(scenario())


def test_the_header_names_every_flow_a_nested_situation_is_inside_of(shipped_flows, tmp_path):
    """Complaint, then silent line, then caller too quiet inside a main call: the header named only
    the main call. It now shows the chain innermost first; when it does not fit, the middle flows
    give way to one "…", never the current flow, the call's own flow or the clock."""
    from callscript.app.screens.call import header_chain

    chain = ["无声电话", "投诉处理", "标准通话流程"]
    assert header_chain(chain, 80) == "  ‹ 无声电话 ‹ 投诉处理 ‹ 标准通话流程"
    assert header_chain(chain, 31) == "  ‹ 无声电话 ‹ … ‹ 标准通话流程"
    assert header_chain(chain, 25) == "  ‹ … ‹ 标准通话流程"
    assert header_chain(["Main call"], 40) == "  ‹ Main call"

    for language, size, expected in (
        ("zh", (120, 30), "客户音小听不清楚 ‹ 无声电话 ‹ 投诉处理 ‹ 标准通话流程 [情景] · ask_louder"),
        ("en", (120, 30), "Caller too quiet ‹ Silent call ‹ Complaint handling ‹ Main call [Situation] · ask_louder"),
        ("zh", (80, 24), "客户音小听不清楚 ‹ … ‹ 标准通话流程 [情景] · ask_louder"),
        ("en", (80, 24), "Caller too quiet ‹ … ‹ Main call [Situation] · ask_louder"),
    ):
        async def scenario() -> None:
            app = build_app(shipped_flows, tmp_path / language, initial_flow="main_call",
                            settings=Settings(interface_language=language))
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                await pilot.press("c", "s", "q")  # complaint, then a silent line, then too quiet
                await pilot.pause()
                assert [f for f, _ in app.live_call.engine.frames] == [
                    "main_call", "complaint", "silent_call", "caller_too_quiet"]
                header = screen_text(app).splitlines()[0]
                assert " ".join(header.split()).startswith(expected), header
                assert header.rstrip().endswith("00:00")  # the clock is still there

        asyncio.run(scenario())


def test_the_english_gloss_of_the_greeting_names_the_hotline_in_english(shipped_flows, tmp_path):
    """With the default hotline (本公司) the gloss reads "our company", not the Chinese; the
    hotline's real name from the settings is shown as the agent set it."""

    async def scenario(settings, expected):
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", settings=settings)
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            said = say_panel_text(app)
            assert expected in said
            assert "本公司's" not in said

    run(scenario(Settings(interface_language="en"), "welcome to our company's customer service hotline"))
    run(scenario(Settings(interface_language="en", hotline="ACME"), "welcome to ACME's customer service hotline"))


class RecordingListener:
    """A listener that hears nothing: it only records what the app asked of it (the real one
    needs a device or a recording; what is checked here is which language it was built for)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.stopped = False

    def start(self, sink) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True


def test_the_listener_listens_in_the_language_of_the_flow_picked_not_the_first_flow(shipped_flows, tmp_path):
    from dataclasses import replace

    flows = dict(shipped_flows)
    first = next(iter(flows.values()))
    assert first.language == "zh-CN"
    flows["complaint"] = replace(flows["complaint"], language="en-US")
    built: list[RecordingListener] = []

    def factory(language: str) -> RecordingListener:
        built.append(RecordingListener(language))
        return built[-1]

    async def scenario():
        app = build_app(flows, tmp_path, listener=factory)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert built == []  # no call yet: nobody knows which language to listen for
            await pilot.press(*"complaint", "enter")
            for _ in range(100):
                if built and app.listener is not None:
                    break
                await pilot.pause(0.05)
            assert [b.language for b in built] == ["en-US"]
            await pilot.press("ctrl+e", "enter")
            await pilot.pause()
            await pilot.press("escape")  # back to the picker
            await pilot.pause()
            await pilot.press(*"silent", "enter")
            for _ in range(100):
                if len(built) == 2 and app.listener is built[1]:
                    break
                await pilot.pause(0.05)
            assert [b.language for b in built] == ["en-US", "zh-CN"] and built[0].stopped

    run(scenario())


def test_the_next_call_starts_with_an_empty_level_meter(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            AppLineSink(app).level(-23.4)
            await pilot.pause()
            assert "-23 dBFS" in screen_text(app)
            await pilot.press("ctrl+e", "enter")
            await pilot.pause()
            await pilot.press("enter")  # the next call
            await pilot.pause()
            assert isinstance(app.screen, CallScreen) and "dBFS" not in screen_text(app)

    run(scenario())


def test_a_listening_problem_is_filed_under_the_part_it_names_not_its_wording(shipped_flows, tmp_path):
    """The part travels typed: a problem of the agent's microphone whose text says nothing about
    microphones is still the microphone's; a plain text from an adapter that does not say is
    the line's."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 30)) as pilot:
            sink = AppLineSink(app)
            sink.problem(missing(Part.AGENT_MIC, "health.no_agent_mic", "the device went away"))
            sink.problem(missing(Part.LINE, "health.no_input_device", "agent microphone: only words"))
            await pilot.pause()
            assert app.health.get(Part.AGENT_MIC).detail == "the device went away"
            assert app.health.get(Part.LINE).detail == "agent microphone: only words"

    run(scenario())
