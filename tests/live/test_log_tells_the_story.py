"""The headless live call tells the log the same story the screen shows (ManualClock, no UI).

Each test drives a real ``LiveCall`` over the shipped flows with commands and line signals as
the listener sends them, and reads back the real session log: the line the agent was shown is
the line logged as said, silence is logged as it was counted, every suggestion shown and
withdrawn is a record, and a call started on a situation goes on into the default flow.
"""

from __future__ import annotations

from callscript.engine import ManualClock
from callscript.live import LiveCall
from callscript.live.events import Noticed, StepChanged, SuggestionsChanged
from callscript.live.signals import Level, LineCondition
from callscript.session.log import read_log
from callscript.training.compliance import derive, fields


def open_call(flows, tmp_path, flow_id="main_call", **kwargs):
    clock = ManualClock()
    call = LiveCall.open(flows, flow_id, clock=clock, log_dir=tmp_path, **kwargs)
    events: list = []
    call.subscribe(events.append)
    call.start()
    return call, clock, events


def records(call, kind=None):
    found = read_log(call.log_path).records
    return [r for r in found if kind is None or r["type"] == kind]


def suggested(call) -> list[tuple[str, str]]:
    return [(s.flow_id, s.cause.condition) for s in call.suggestions]


def to_address(call, clock):
    """greet said, then the agent presses 已知客户姓氏: address_by_surname asks for the surname."""
    call.say_done()
    clock.advance(2.0)
    assert call.event("surname_known")
    assert (call.flow.id, call.step.id) == ("address_by_surname", "address")


# -- the line as shown is the line logged --------------------------------------------------------


def test_the_line_logged_as_said_is_the_line_shown_with_the_surname_typed_in(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    to_address(call, clock)
    assert [v.name for v in call.needed()] == ["surname", "title"]
    call.set_variable("surname", "王")
    call.set_variable("title", "小姐")
    assert call.engine.view().say == "王小姐,请问有什么可以帮助您?"
    clock.advance(1.0)
    call.say_done()
    call.close()
    said = [r for r in records(call, "said") if r["step"] == "address"]
    assert said[0]["say"] == "王小姐,请问有什么可以帮助您?"
    shown = [r.get("say") for r in records(call, "variable_set")]
    assert shown == [None, "王小姐,请问有什么可以帮助您?"]  # the surname alone left the line as it was
    assert not any("某" in (r.get("say") or "") for r in records(call))


def test_a_surname_the_agent_declines_to_give_shows_the_flows_if_unknown_line(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    to_address(call, clock)
    call.decline_variable("surname")
    call.decline_variable("title")
    assert call.needed() == ()
    expected = shipped_flows["address_by_surname"].steps["address"].if_unknown.say
    assert call.engine.view().say == expected and "某" not in expected
    call.say_done()
    call.close()
    entered = [r for r in records(call, "step_entered") if r["step"] == "address"]
    assert entered[0]["say"] == expected
    assert [r["say"] for r in records(call, "said") if r["step"] == "address"] == [expected]


def test_once_the_surname_is_declined_the_title_is_not_asked_the_if_unknown_line_is_shown(shipped_flows, tmp_path):
    # Asking 先生还是小姐? after no surname would show 某… as the line being filled in.
    call, clock, _ = open_call(shipped_flows, tmp_path)
    to_address(call, clock)
    call.decline_variable("surname")
    assert call.needed() == ()
    assert call.engine.view().say == shipped_flows["address_by_surname"].steps["address"].if_unknown.say


def test_a_skipped_line_is_quoted_as_the_agent_was_shown_it(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    to_address(call, clock)
    call.set_variable("surname", "李")
    call.set_variable("title", "先生")
    clock.advance(1.0)
    assert call.event("caller_spoke")  # left without saying it
    call.close()
    found = derive([fields(r) for r in records(call)], shipped_flows)
    skipped = [f for f in found.findings if f.code == "step_skipped"]
    assert [(f.step, f.detail["say"]) for f in skipped] == [("address", "李先生,请问有什么可以帮助您?")]


def test_a_live_call_says_in_its_log_that_lines_are_marked_said(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    clock.advance(3.0)
    call.end()  # no line was ever marked said: the log still says it is a live call
    call.close()
    assert records(call, "call_started")[0]["said_lines"] is True
    assert records(call, "said") == []


# -- silence, noise and suggestions --------------------------------------------------------------


def test_a_silence_the_listener_reports_during_the_line_is_logged_as_counted_from_its_end(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    clock.advance(5.66)
    call.hear(LineCondition("silence", {"seconds": 5.0, "since": 0.0}))  # the listener's own count
    clock.advance(0.78)
    call.say_done()  # 6.44
    clock.advance(5.0)
    call.poll()
    call.close()
    kinds = [(r["type"], r.get("name")) for r in records(call)]
    assert kinds.index(("said", None)) < kinds.index(("event", "silence"))
    silence = [r for r in records(call, "event") if r["name"] == "silence"]
    assert len(silence) == 1 and silence[0]["t"] == 11.44
    assert silence[0]["detail"] == {"seconds": 5.0, "since": 6.44, "after": "line_said"}


def test_every_suggestion_shown_withdrawn_and_accepted_is_a_record(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    clock.advance(5.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    clock.advance(1.0)
    call.hear(LineCondition("speech_started"))  # the caller speaks: withdrawn
    clock.advance(1.0)
    call.hear(LineCondition("speech_stopped"))
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    clock.advance(5.0)
    call.poll()
    assert call.accept()
    call.close()
    story = [(r["t"], r["state"], r["flow"], r["condition"], r["since"], r.get("why"))
             for r in records(call, "suggestion")]
    assert story == [
        (5.0, "shown", "silent_call", "silence", 0.0, None),
        (6.0, "withdrawn", "silent_call", "silence", 0.0, "caller_spoke"),
        (12.0, "shown", "silent_call", "silence", 7.0, None),
        (12.0, "accepted", "silent_call", "silence", 7.0, None),
    ]
    kinds = [r["type"] for r in records(call)]
    assert kinds.index("situation_entered") > max(i for i, k in enumerate(kinds) if k == "suggestion")


def test_noise_on_the_line_is_not_silence(shipped_flows, tmp_path):
    """Pink noise at -20 dBFS: the listener reports noise, and (hearing no voice) silence too."""
    call, clock, events = open_call(shipped_flows, tmp_path)
    call.say_done()
    clock.advance(1.0)
    call.hear(LineCondition("noise", {"floor_dbfs": -21.0, "threshold_dbfs": -45.0}))
    clock.advance(4.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    for _ in range(200):  # 20 s of noise
        clock.advance(0.1)
        call.hear(Level(-20.0))
        call.poll()
        assert call.silence() is None
        assert suggested(call) == [("noisy_line", "noise")]
    assert call.next_deadline() is None
    for _ in range(21):  # the noise stops: 2 s of a quiet line end it
        clock.advance(0.1)
        call.hear(Level(-70.0))
    assert call.suggestions == ()
    quiet_from = 25.1
    count = call.silence()
    assert count is not None and count.after == "noise_ended" and abs(count.since - quiet_from) < 1e-6
    clock.advance(quiet_from + 5.0 - clock.now())
    call.poll()
    assert suggested(call) == [("silent_call", "silence")]
    call.close()
    whys = [(r["flow"], r["state"], r.get("why")) for r in records(call, "suggestion")]
    assert whys == [("noisy_line", "shown", None), ("noisy_line", "withdrawn", "line_quiet"),
                    ("silent_call", "shown", None)]
    assert not any(isinstance(e, SuggestionsChanged) and {s.flow_id for s in e.suggestions} >= {"noisy_line", "silent_call"}
                   for e in events)


def test_noise_stops_the_silence_count_before_the_listener_has_called_it_noise(shipped_flows, tmp_path):
    """The listener names a background noise only once its floor has risen (seconds): sound at
    that level without speech stops the count at once, and no silence is suggested meanwhile."""
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.hear(LineCondition("silence", {"seconds": 5.0}))  # a silent line during the greeting
    call.say_done()
    for _ in range(30):  # 3 s of a quiet line: the count runs
        clock.advance(0.1)
        call.hear(Level(-80.0))
    assert call.silence() is not None and abs(call.silence().seconds - 3.0) < 1e-6
    for _ in range(6):  # noise: half a second after it is first heard the line is not silent
        clock.advance(0.1)
        call.hear(Level(-20.0))
    assert call.silence() is None
    for _ in range(40):  # 4 s more before the listener reports the noise
        clock.advance(0.1)
        call.hear(Level(-20.0))
        call.poll()
        assert call.suggestions == () and call.silence() is None
    call.hear(LineCondition("noise", {"floor_dbfs": -21.0, "threshold_dbfs": -45.0}))
    assert suggested(call) == [("noisy_line", "noise")]
    call.close()
    assert not [r for r in records(call, "event") if r["name"] == "silence"]


def test_a_short_sound_without_speech_restarts_the_count_when_the_line_is_quiet_again(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    call.say_done()
    for level in [-80.0] * 20 + [-30.0] * 8 + [-80.0] * 21:  # a knock of 0.8 s at 2 s
        clock.advance(0.1)
        call.hear(Level(level))
        call.poll()
    count = call.silence()
    assert count is not None and count.after == "noise_ended" and abs(count.since - 2.9) < 1e-6
    assert call.suggestions == ()
    clock.advance(2.9 + 5.0 - clock.now())
    call.poll()
    assert suggested(call) == [("silent_call", "silence")]


def test_noise_withdraws_a_silence_suggestion_it_contradicts(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    clock.advance(5.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    assert suggested(call) == [("silent_call", "silence")]
    clock.advance(1.0)
    call.hear(LineCondition("noise", {"floor_dbfs": -21.0, "threshold_dbfs": -45.0}))
    assert suggested(call) == [("noisy_line", "noise")]
    call.close()
    assert [(r["flow"], r["state"], r.get("why")) for r in records(call, "suggestion")][1] == (
        "silent_call", "withdrawn", "line_noisy")


def test_silence_after_a_faint_caller_replaces_too_quiet_and_the_two_are_never_shown_together(shipped_flows, tmp_path):
    call, clock, events = open_call(shipped_flows, tmp_path)
    call.say_done()
    call.hear(LineCondition("speech_started"))
    clock.advance(1.0)
    call.hear(LineCondition("low_volume", {"level_dbfs": -52.0, "threshold_dbfs": -36.0}))
    assert suggested(call) == [("caller_too_quiet", "low_volume")]
    clock.advance(1.0)
    call.hear(LineCondition("speech_stopped"))  # at 2 s
    for _ in range(49):
        clock.advance(0.1)
        call.hear(Level(-75.0))
        call.poll()
    call.hear(LineCondition("silence", {"seconds": 5.0}))
    assert suggested(call) == [("caller_too_quiet", "low_volume")]  # 4.9 s: not silent yet
    clock.advance(0.1)
    call.poll()
    assert suggested(call) == [("silent_call", "silence")]
    for event in events:
        if isinstance(event, SuggestionsChanged):
            assert len({s.cause.condition for s in event.suggestions}) <= 1, event
    call.close()
    assert [(r["flow"], r["state"], r.get("why")) for r in records(call, "suggestion")] == [
        ("caller_too_quiet", "shown", None), ("caller_too_quiet", "withdrawn", "line_silent"),
        ("silent_call", "shown", None)]


def test_a_step_with_no_line_counts_silence_from_entering_it_and_suggests_as_elsewhere(shipped_flows, tmp_path):
    call, clock, _ = open_call(shipped_flows, tmp_path)
    call.say_done()
    call.hear(LineCondition("speech_started"))
    clock.advance(2.0)
    call.hear(LineCondition("speech_stopped"))
    call.event("caller_spoke")
    call.say_done()  # confirm, at 2 s
    clock.advance(3.0)
    call.event("confirmed")  # resolve: guidance, no line; at 5 s
    assert call.step.id == "resolve" and call.step.say is None
    clock.advance(2.0)
    call.hear(LineCondition("silence", {"seconds": 5.0}))  # the listener: nothing since 2 s
    count = call.silence()
    assert count is not None and (count.after, count.since, count.seconds) == ("entered", 5.0, 2.0)
    assert call.suggestions == () and call.next_deadline() == 10.0
    clock.advance(3.0)
    call.poll()
    assert suggested(call) == [("silent_call", "silence")]
    call.close()
    silence = [r for r in records(call, "event") if r["name"] == "silence"]
    assert [r["detail"] for r in silence] == [{"seconds": 5.0, "since": 5.0, "after": "entered"}]


# -- a call started on a situation ---------------------------------------------------------------


def test_a_call_started_on_a_situation_goes_on_into_the_default_flow_when_the_caller_speaks(shipped_flows, tmp_path):
    call, clock, events = open_call(shipped_flows, tmp_path, "silent_call", then_flow="main_call")
    call.say_done()
    clock.advance(2.0)
    events.clear()
    call.hear(LineCondition("speech_started"))
    assert not call.ended
    assert (call.flow.id, call.step.id) == ("main_call", "greet")
    # The silent call's greeting was said and it resumes with ``continue``: no second greeting.
    assert call.engine.view().said
    moved = [i for i, e in enumerate(events) if isinstance(e, StepChanged)]
    told = [i for i, e in enumerate(events) if e == Noticed("went_on", {"flow": "silent_call", "to": "main_call"})]
    assert told and moved and told[0] > moved[0]  # after the step it is about is on screen
    call.end()
    call.close()
    went = records(call, "went_on")
    assert [(r["flow"], r["step"], r["from_flow"]) for r in went] == [("main_call", "greet", "silent_call")]
    ended = records(call, "call_ended")[0]
    assert ended["end"] == "agent_ended" and ended["flow"] == "main_call"
