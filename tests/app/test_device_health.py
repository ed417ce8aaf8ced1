"""Device health in the running app: typed reports, one banner widget, F1 in the interface language.

The listener here is the real ``LineListener`` with its real pipeline and retries, on real
timers; only the device is a stand-in (there is no hot-pluggable device on this machine): its
source factory fails the way a device that is not ready yet does, then gives a recording of the
line played in real time.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from callscript.app.screens.dialogs import HelpDialog
from callscript.app.widgets.health import HealthBanner, HealthList
from callscript.engine.clock import MonotonicClock
from callscript.health import Part, State, degraded, missing
from callscript.settings import Settings
from tests.app.driver import build_app, compact, screen_text

NO_INPUT = "无音频输入"
CHECKING = "正在检查音频设备…"


def flaky_line(line_recordings, failures: int):
    """A listener whose device cannot be opened ``failures`` times, then plays the line."""
    listener_module = pytest.importorskip("callscript.audio.listener")
    pytest.importorskip("numpy")
    pytest.importorskip("webrtcvad")
    from callscript.audio.sources import AudioUnavailable, WavSource

    attempts: list[float] = []

    def device():
        attempts.append(time.monotonic())
        if len(attempts) <= failures:
            raise AudioUnavailable("cannot open the input device 'headset' (Device unavailable [PaErrorCode -9985])",
                                   hint="plug the headset in")
        return WavSource(line_recordings.mandarin, realtime=True)

    return listener_module.LineListener(source_factory=device, model=False, retry_seconds=0.6), attempts


async def watch_banner(pilot, app, until, limit: float) -> list[str]:
    """Every banner text shown (sampled each 20 ms) until ``until()`` holds."""
    seen: list[str] = []
    start = time.monotonic()
    while not until():
        assert time.monotonic() - start < limit, f"gave up waiting; banner was: {seen[-3:]}"
        if app.screen.query(HealthBanner):
            text = "\n".join(app.screen.query_one(HealthBanner).lines)
            if not seen or seen[-1] != text:
                seen.append(text)
        await pilot.pause(0.02)
    return seen


@pytest.mark.slow
def test_the_banner_never_says_no_audio_input_while_the_line_is_being_probed(shipped_flows, tmp_path,
                                                                              line_recordings):
    """A device whose first open fails and whose retry works (a headset still waking up, PortAudio
    busy with the doctor's look at the devices) made the banner flash 无音频输入 for the retry
    period. While the line is probed the banner is neutral, and the line's problem is gone once
    audio arrives."""
    listener, attempts = flaky_line(line_recordings, failures=1)

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", listener=listener, clock=MonotonicClock())
        async with app.run_test(size=(100, 30)) as pilot:
            seen = await watch_banner(pilot, app, lambda: app.live_call.level is not None, 10.0)
            await pilot.pause(0.1)
            assert len(attempts) >= 2, "the device failed first and was retried"
            assert not any(NO_INPUT in text for text in seen), seen
            assert CHECKING in seen, "while the line was probed the banner said so"
            assert not app.screen.query_one(HealthBanner).has_class("-checking"), "neutral only while checking"
            assert Part.LINE not in app.health
            assert NO_INPUT not in screen_text(app) and CHECKING not in screen_text(app)

    asyncio.run(scenario())


@pytest.mark.slow
def test_a_line_still_missing_after_the_probe_is_named(shipped_flows, tmp_path, line_recordings):
    listener, attempts = flaky_line(line_recordings, failures=1000)

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", listener=listener, clock=MonotonicClock())
        app.probe_seconds = 1.0
        async with app.run_test(size=(100, 30)) as pilot:
            seen = await watch_banner(pilot, app, lambda: app.screen.query(HealthBanner) and app.screen.query_one(
                HealthBanner).has_class("-checking"), 5.0)
            seen += await watch_banner(pilot, app, lambda: NO_INPUT in compact(screen_text(app)), 5.0)
            assert CHECKING in seen, seen
            health = app.health.get(Part.LINE)
            assert (health.state, health.reason) == (State.MISSING, "health.no_input_device")
            assert health.since is not None and "PaErrorCode" in health.detail
            assert app.screen.query_one(HealthBanner).lines[-1].startswith("仅键盘模式:无音频输入")

    asyncio.run(scenario())


def test_a_device_heard_during_the_call_and_gone_is_lost_on_a_line_of_its_own(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting")
        async with app.run_test(size=(100, 30)) as pilot:
            app._audio_arrived(Part.AGENT_MIC)  # the agent's microphone delivered audio during this call
            app.report_health(missing(Part.AGENT_MIC, "health.no_agent_mic", "the device went away"), origin="listener")
            await pilot.pause()
            assert app.health.get(Part.AGENT_MIC).state is State.LOST
            assert "您的麦克风中断:请重新插好·F1查看详情" in compact(screen_text(app))

    asyncio.run(scenario())


def help_text(app) -> str:
    dialog = app.screen
    assert isinstance(dialog, HelpDialog)
    return "\n".join(str(w.render()) for w in dialog.query(HealthList))


def test_f1_lists_each_problem_translated_with_its_fix_and_the_details_beneath(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting")
        async with app.run_test(size=(110, 40)) as pilot:
            app.report_health(missing(Part.RECOGNITION, "health.no_model",
                                      "no speech recognition: the Mandarin Chinese, small (42 MB) speech model is "
                                      "not installed"), origin="listener")
            app.report_health(degraded(Part.STORE, "health.store_waiting", "connection refused", waiting=3,
                                       folder="logs/.outbox"), origin="store")
            await pilot.pause()
            assert "功能受限:无语音识别、通话等待上传到团队库·F1查看修复方法" in compact(screen_text(app))
            await pilot.press("f1")
            await pilot.pause()
            text = help_text(app)
            lines = text.splitlines()
            recognition = next(i for i, line in enumerate(lines) if line.startswith("✗ 无语音识别"))
            assert "未安装语音识别模型,无法识别客户说的话" in lines[recognition]
            assert lines[recognition + 1].strip().startswith("详情: no speech recognition: the Mandarin Chinese")
            assert any(line.startswith("△ 通话等待上传到团队库") and "有 3 个已结束的通话" in line for line in lines)
            assert "详情: connection refused" in text

    asyncio.run(scenario())


def test_the_phone_reports_through_the_apps_public_health_path(shipped_flows, tmp_path):
    """The softphone link files its problem as typed health and redraws through public methods
    (no private method of the app is part of its protocol)."""
    import inspect

    from callscript.app import phone

    source = inspect.getsource(phone)
    assert "._status_changed" not in source and "def _status_changed" not in source

    class Phone:
        """A stand-in for the adapter (the real baresip link runs in tests/softphone): this test
        is about what the app does with the adapter's report."""

        name = "baresip"

        def start(self, sink):
            self.sink = sink

        def stop(self):
            pass

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="greeting", phone=Phone())
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            link = app.phone_link
            link._problem("baresip is not reachable at 127.0.0.1:4444")
            await pilot.pause()
            health = app.health.get(Part.SOFTPHONE)
            assert (health.state, health.reason, health.fields["phone"]) == (State.MISSING, "health.softphone", "baresip")
            assert "软电话未连接" in screen_text(app)
            link._problem(None)
            await pilot.pause()
            assert Part.SOFTPHONE not in app.health and "软电话未连接" not in screen_text(app)

    asyncio.run(scenario())


def problems_app(shipped_flows, tmp_path, monkeypatch):
    """A call on a machine where several parts are missing or lost, for the snapshots (a
    ManualClock and a fixed wall clock: nothing on screen moves)."""
    from callscript.doctor import Capability
    from callscript.engine import ManualClock

    monkeypatch.chdir(tmp_path)
    checks = [Capability("espeak-ng", False, "espeak-ng is not on PATH", "sudo apt-get install espeak-ng", "speaking",
                         (Part.SYNTHESIS,), "health.no_espeak")]
    app = build_app(shipped_flows, tmp_path, clock=ManualClock(), initial_flow="main_call", doctor=checks,
                    settings=Settings(interface_language="zh"))
    app.probe_seconds = 0
    return app


async def with_problems(pilot) -> None:
    from callscript.app.messages import AppLineSink

    app = pilot.app
    await app.workers.wait_for_complete()
    sink = AppLineSink(app)
    sink.level(-42.0)  # the line was heard during the call ...
    await pilot.pause()
    sink.problem(missing(Part.LINE, "health.no_input_device",
                         "cannot open the input device 'USB headset' (Device unavailable [PaErrorCode -9985])"))
    sink.problem(missing(Part.RECOGNITION, "health.no_model", "no speech recognition: the Mandarin Chinese, small "
                         "(42 MB) speech model is not installed (run 'callscript models download zh')"))
    app.report_health(degraded(Part.STORE, "health.store_waiting", "connection refused", waiting=2,
                               folder="logs/.outbox"), origin="store")
    await pilot.pause()


def test_snapshot_banner_zh(snap_compare, shipped_flows, tmp_path, monkeypatch):
    assert snap_compare(problems_app(shipped_flows, tmp_path, monkeypatch), run_before=with_problems,
                        terminal_size=(100, 30))


def test_snapshot_f1_zh(snap_compare, shipped_flows, tmp_path, monkeypatch):
    async def help_open(pilot) -> None:
        await with_problems(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(problems_app(shipped_flows, tmp_path, monkeypatch), run_before=help_open,
                        terminal_size=(100, 40))


@pytest.mark.parametrize("plain", [False, True])
def test_plain_mode_shows_the_same_keyboard_only_banner(shipped_flows, tmp_path, plain):
    """--plain (high contrast, one column) names what is missing exactly as the normal screen does."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="main_call", settings=Settings(plain=plain))
        app.probe_seconds = 0
        async with app.run_test(size=(80, 24)) as pilot:
            # Reported at once, as a listener may before the call screen is up: never a crash.
            app.report_health(missing(Part.LINE, "health.no_input_device", "no such device 'nosuchdev'"),
                              origin="listener")
            await pilot.pause()
            await pilot.pause()
            assert app.screen.has_class("-plain") is plain
            shown = compact(screen_text(app))
            assert "仅键盘模式:无音频输入·F1查看修复方法" in shown, shown
            from callscript.app.screens.call import CallScreen

            CallScreen(app.live_call).refresh_status()  # a screen not up yet waits for its first frame

    asyncio.run(scenario())
