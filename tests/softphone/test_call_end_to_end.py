"""A real phone call, end to end: callscript beside the agent's baresip, following a SIP call.

Everything is real and on 127.0.0.1: a caller baresip plays an espeak-ng/sox recording over G.711
(8 kHz PCMU) to the agent's auto-answering baresip, which plays it into the PulseAudio sink
``softphone``; the real app (Pilot, real clock) follows that baresip through its ctrl_tcp port and
hears the sink's monitor with the real ``LineListener`` (no speech model: these flows move on line
conditions). Each test takes as long as its call (10-25 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from callscript.app.phone import CALLER_HUNG_UP, HangUpDialog
from callscript.app.screens.summary import SummaryScreen
from callscript.engine.clock import MonotonicClock
from callscript.settings import Settings
from callscript.softphone import CallAnswered, CallClosed
from callscript.softphone.baresip import BaresipPhone
from tests.app.driver import build_app, compact, screen_text
from tests.softphone.conftest import caller_wav

pytestmark = pytest.mark.slow
pytest.importorskip("numpy")
pytest.importorskip("webrtcvad")


def app_on_the_phone(shipped_flows, tmp_path, sip_line, agent_device=None, **settings):  # noqa: ANN001, ANN201
    from callscript.audio.listener import LineListener

    listener = LineListener(device=sip_line.monitor, model=False, agent_device=agent_device)
    return build_app(shipped_flows, tmp_path, clock=MonotonicClock(), listener=listener,
                     phone=BaresipPhone(sip_line.control, retry_seconds=0.05),
                     settings=Settings(softphone="baresip", softphone_control=sip_line.control, **settings))


async def wait_until(pilot, predicate, limit: float, what: str) -> None:  # noqa: ANN001
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < limit, f"{what}: not within {limit:g} s"
        await pilot.pause(0.05)


async def answered_call(app, pilot, sip_line, wav):  # noqa: ANN001, ANN201
    """Dial from a new caller once the app hears the line and follows the phone; the call screen
    opens when the agent's phone answers."""
    await wait_until(pilot, lambda: app.listening and app.phone_link is not None and app.phone_link.phone.wait_connected(0),
                     10, "the listener and the softphone")
    caller = sip_line.call(wav)
    await wait_until(pilot, lambda: app.live_call is not None, 10, "the call screen on answering")
    return caller


async def say_each_line(app, pilot, until, limit: float) -> None:  # noqa: ANN001
    """The agent reads every line as it appears (Space), until ``until()``."""
    start = time.monotonic()
    said = None
    while not until():
        assert time.monotonic() - start < limit, f"the call did not get there: {app.screen!r} {[(r['type'], r.get('step'), r.get('name'), r['t']) for r in log_records(app)]}"
        call = app.live_call
        if call is not None and not call.closed and (call.engine.step.id, call.engine.flow.id) != said:
            said = (call.engine.step.id, call.engine.flow.id)
            await pilot.press("space")
        await pilot.pause(0.05)


def log_records(app):  # noqa: ANN001, ANN201
    (path,) = sorted((app.log_dir).glob("*.jsonl"))[-1:]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_silent_call_runs_its_retries_through_the_codec_and_hangs_up_the_phone(
        shipped_flows, tmp_path, sip_line, pulse_env, phone_calls):
    app = app_on_the_phone(shipped_flows, tmp_path, sip_line, default_flow="silent_call", interface_language="en")

    async def scenario():  # noqa: ANN202
        async with app.run_test(size=(100, 30)) as pilot:
            caller = await answered_call(app, pilot, sip_line, caller_wav(phone_calls, "silent"))
            assert app.live_call.engine.flow.id == "silent_call"
            await pilot.pause(0.3)
            shown = compact(screen_text(app))  # the banner names the phone, the caller and the line heard
            assert compact("Softphone baresip on a call with sip:caller") in shown
            assert compact("line: softphone.monitor") in shown
            await say_each_line(app, pilot, lambda: isinstance(app.screen, HangUpDialog), 30)
            assert caller.events.wait_for(CallClosed, 0) is None, "the line stays open until the agent confirms"
            await pilot.press("enter")
            closed = caller.events.wait_for(CallClosed, 5)
            assert closed is not None, "the caller's phone saw the call closed"
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 5, "back to the summary")
            return caller

    asyncio.run(scenario())
    records = log_records(app)
    entered = {r["step"]: r["t"] for r in records if r["type"] == "step_entered"}
    said = {r["step"]: r["t"] for r in records if r["type"] == "said"}
    assert list(entered) == ["greet", "greet_again", "ask_call_again", "hang_up"]
    # 0 / 5 / 10 / 15 s: each wait of 5 s counts from when its line was said.
    for step, nxt in (("greet", "greet_again"), ("greet_again", "ask_call_again"), ("ask_call_again", "hang_up")):
        assert 4.999 <= entered[nxt] - said[step] < 6.0, (step, entered[nxt] - said[step])  # log times: 4 decimals
    assert not [r for r in records if r["type"] == "event" and r.get("name") == "speech_started"], \
        "the hiss through the codec is never speech"
    assert records[0]["type"] == "call_started"
    assert [r["event"] for r in records if r["type"] == "phone"] == ["answered"]
    assert records[-1]["type"] == "call_ended" and records[-1]["end"] == "hang_up"


def test_a_faint_caller_is_asked_to_speak_up_not_taken_for_a_silent_line(
        shipped_flows, tmp_path, sip_line, pulse_env, phone_calls):
    app = app_on_the_phone(shipped_flows, tmp_path, sip_line, default_flow="main_call")

    async def scenario():  # noqa: ANN202
        async with app.run_test(size=(100, 30)) as pilot:
            caller = await answered_call(app, pilot, sip_line, caller_wav(phone_calls, "faint"))
            await pilot.press("space")  # the greeting is said
            call = app.live_call
            await wait_until(pilot, lambda: call.suggestions, 10, "a suggestion for the faint caller")
            assert [s.flow_id for s in call.suggestions] == ["caller_too_quiet"]
            await pilot.pause(6.0)  # longer than the silent call's 5 s
            assert [s.flow_id for s in call.suggestions] == ["caller_too_quiet"], "never the silent call"
            await pilot.press("enter")
            assert call.engine.flow.id == "caller_too_quiet"
            await pilot.pause(0.2)
            assert "请您大声一点" in compact(screen_text(app))
            caller.phone.command("hangup")  # the caller gives up
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 5, "the call ends with the phone")

    asyncio.run(scenario())
    records = log_records(app)
    names = [r["name"] for r in records if r["type"] == "event" and r.get("source") == "line"]
    assert "speech_started" in names and "low_volume" in names and "silence" not in names
    assert [r["event"] for r in records if r["type"] == "phone"] == ["answered", "closed"]
    assert records[-1]["type"] == "call_ended" and records[-1]["end"] == CALLER_HUNG_UP


def test_a_caller_who_speaks_at_seven_seconds_ends_the_silent_call_retries(
        shipped_flows, tmp_path, sip_line, pulse_env, phone_calls):
    app = app_on_the_phone(shipped_flows, tmp_path, sip_line, default_flow="silent_call",
                           softphone_hang_up="at_once")

    async def scenario():  # noqa: ANN202
        async with app.run_test(size=(100, 30)) as pilot:
            caller = await answered_call(app, pilot, sip_line, caller_wav(phone_calls, "late"))
            await say_each_line(app, pilot, lambda: isinstance(app.screen, SummaryScreen), 15)
            assert app.screen.summary.outcome == "return"
            await pilot.pause(1.0)
            assert caller.events.wait_for(CallClosed, 0) is None, "the phone is not hung up on a caller who speaks"
            caller.phone.command("hangup")
            caller.events.wait_for(CallClosed, 5)

    asyncio.run(scenario())
    records = log_records(app)
    entered = [r["step"] for r in records if r["type"] == "step_entered"]
    assert entered == ["greet", "greet_again", "caller_spoke"]
    spoke = next(r for r in records if r["type"] == "event" and r.get("name") == "speech_started")
    assert 6.5 <= spoke["t"] <= 8.5, spoke
    assert records[-1]["type"] == "call_ended" and records[-1]["end"] == "return"


def test_a_normal_caller_hanging_up_ends_the_call_as_the_callers(shipped_flows, tmp_path, sip_line, pulse_env,
                                                                 phone_calls):
    app = app_on_the_phone(shipped_flows, tmp_path, sip_line, default_flow="main_call")

    async def scenario():  # noqa: ANN202
        async with app.run_test(size=(100, 30)) as pilot:
            caller = await answered_call(app, pilot, sip_line, caller_wav(phone_calls, "normal"))
            assert isinstance(caller.events.wait_for(CallAnswered, 5), CallAnswered)
            await pilot.press("space")
            call = app.live_call
            await wait_until(pilot, lambda: call.level is not None and call.level > -40, 5, "the caller heard")
            await wait_until(pilot, lambda: any(r.get("name") == "speech_started" for r in log_records(app)), 5,
                             "the caller's speech in the log")
            caller.phone.command("hangup")
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 5, "the call ends with the phone")
            assert app.screen.summary.outcome == CALLER_HUNG_UP
            first_log = app.screen.summary.log_path
            # The next call rings while the summary is on screen: answering opens it in its place.
            second = sip_line.call(caller_wav(phone_calls, "silent"))
            await wait_until(pilot, lambda: app.live_call is not None and app.live_call.log_path != first_log,
                             10, "the next call's screen")
            assert app.live_call.engine.flow.id == "main_call"
            second.phone.command("hangup")
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 5, "the second call ends")
            return first_log

    first_log = asyncio.run(scenario())
    records = [json.loads(line) for line in first_log.read_text(encoding="utf-8").splitlines()]
    names = [r["name"] for r in records if r["type"] == "event" and r.get("source") == "line"]
    assert "speech_started" in names and "low_volume" not in names
    assert len(list(app.log_dir.glob("*.jsonl"))) == 2, "one log per call"
    phone = [r for r in records if r["type"] == "phone"]
    assert [r["event"] for r in phone] == ["answered", "closed"] and phone[1]["by"] == "caller"
    assert phone[0]["peer"].startswith("sip:caller") and phone[0]["call_id"]
    assert records[-1]["end"] == CALLER_HUNG_UP


def test_the_agent_microphone_is_heard_on_its_way_to_the_caller(shipped_flows, tmp_path, sip_line, pulse_env,
                                                                 phone_calls):
    """The agent's side of the phone takes its microphone from a PulseAudio source; callscript
    hears that same source: the agent saying the greeting marks it said (no Space), and the caller
    hears it through the call."""
    import subprocess

    from tests.support import levels

    greeting = phone_calls / "agent_greeting.wav"
    if not greeting.exists():
        subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(greeting), "您好!请问有什么可以帮助您?"], check=True,
                       capture_output=True)
    app = app_on_the_phone(shipped_flows, tmp_path, sip_line, agent_device="pulse:agent_voice.monitor",
                           default_flow="silent_call")

    async def scenario():  # noqa: ANN202
        async with app.run_test(size=(100, 30)) as pilot:
            caller = await answered_call(app, pilot, sip_line, caller_wav(phone_calls, "silent"))
            ear = pulse_env.start_recording(6.0, source="caller_ear.monitor")
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: subprocess.run(  # the agent says the greeting
                ["paplay", "--device=agent_voice", str(greeting)], check=True, env=dict(os.environ), timeout=20))
            await wait_until(pilot, lambda: app.live_call.engine.step.id == "greet_again", 12,
                             "the greeting said by voice, then 5 s of silence")
            heard = await loop.run_in_executor(None, ear.result)
            caller.phone.command("hangup")
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 5, "the call ends with the phone")
            return heard

    heard = asyncio.run(scenario())
    records = log_records(app)
    said = [r for r in records if r["type"] == "said"]
    assert said and said[0]["step"] == "greet", "nobody pressed Space: the agent's microphone marked it said"
    assert said[0]["t"] >= 1.5, "when the agent stopped talking (the greeting takes about 2.5 s)"
    assert (levels.frame_dbfs(heard) > -40).sum() >= 20, "the caller heard the agent's greeting (0.6 s or more)"


def test_escape_in_the_hang_up_dialog_keeps_the_line_open(tmp_path, sip_line, pulse_env, phone_calls):
    """The agent may keep the line after the flow's hang-up step: Esc, and the phone stays up.
    (ko_confirm, a test flow, reaches its hang_up end 5 s after the greeting on a silent line.)"""
    from callscript.flow.library import resolve

    _, flows = resolve("tests/audio/data/ko_confirm.yaml")
    app = app_on_the_phone(flows, tmp_path, sip_line, default_flow="ko_confirm")

    async def scenario():  # noqa: ANN202
        async with app.run_test(size=(100, 30)) as pilot:
            caller = await answered_call(app, pilot, sip_line, caller_wav(phone_calls, "silent"))
            await pilot.press("space")
            await wait_until(pilot, lambda: isinstance(app.screen, HangUpDialog), 10, "the flow's hang-up step")
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), 2, "the summary, the line open")
            await pilot.pause(1.0)
            assert caller.events.wait_for(CallClosed, 0) is None, "the phone was not hung up"
            assert app.phone_link.call_id is not None
            caller.phone.command("hangup")  # the caller goes in the end
            await wait_until(pilot, lambda: app.phone_link.call_id is None, 5, "the phone call over")

    asyncio.run(scenario())
    records = log_records(app)
    assert records[-1]["type"] == "call_ended" and records[-1]["end"] == "hang_up"
