"""A call's bookkeeping without the UI: the log is written, closed once, and ends ``aborted`` when
the call is abandoned; quick caller entry; the clock format."""

from __future__ import annotations

from pathlib import Path

import pytest

from callscript.app.call import parse_caller
from callscript.live import LiveCall, summarise
from callscript.live.summary import format_duration
from callscript.paths import display_path
from callscript.app.keys import conflicts, display_key, effective_keys, situation_id
from callscript.engine import ManualClock
from callscript.session.log import read_log
from callscript.settings import DEFAULT_KEYS


def test_an_abandoned_call_is_logged_as_aborted_and_the_log_is_closed(shipped_flows, tmp_path):
    clock = ManualClock()
    session = LiveCall.open(shipped_flows, "silent_call", clock=clock, log_dir=tmp_path)
    session.start()
    session.say_done()
    clock.advance(2.0)
    session.note("caller breathing, no words")
    session.close()
    session.close()  # twice is harmless
    log = read_log(session.log_path)
    kinds = [r["type"] for r in log.records]
    assert kinds == ["call_started", "step_entered", "said", "note", "call_ended"]
    assert log.records[-1]["end"] == "aborted" and log.records[-1]["t"] == 2.0
    assert not log.truncated
    summary = summarise(session)
    assert summary.outcome == "aborted" and summary.notes == ("caller breathing, no words",)


def test_a_call_that_ended_by_itself_keeps_its_ending(shipped_flows, tmp_path):
    clock = ManualClock()
    session = LiveCall.open(shipped_flows, "noisy_line", clock=clock, log_dir=tmp_path, variables={"hotline": "XX"})
    session.start()
    session.say_done()
    clock.advance(7.5)
    session.poll()
    session.close()
    summary = summarise(session)
    assert summary.outcome == "hang_up"
    assert summary.duration == 5.0  # the deadline that ended it, not when it was noticed
    assert [s[2] for s in summary.steps] == ["ask_call_again", "hang_up"]
    assert read_log(summary.log_path).records[-1]["end"] == "hang_up"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("王先生", ("王", "先生")), ("李 小姐", ("李", "小姐")), ("欧阳女士", ("欧阳", "女士")), ("张", ("张", None)),
     ("Mr Wang", ("Wang", "先生")), ("ms. li", ("li", "小姐")), ("", (None, None)), ("先生", (None, "先生"))],
)
def test_quick_caller_entry(shipped_flows, typed, expected):
    titles = shipped_flows["address_by_surname"].variables["title"].choices  # the flow declares them
    assert parse_caller(typed, titles) == expected


def test_durations_read_like_a_clock():
    assert format_duration(0) == "00:00"
    assert format_duration(65.9) == "01:05"
    assert format_duration(3725) == "1:02:05"


def test_paths_are_shown_short(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "logs" / "a.jsonl") == str(Path("logs") / "a.jsonl")


def test_situation_keys_come_from_the_flows_and_the_user_can_remap_them(shipped_flows):
    situations = [f for f in shipped_flows.values() if f.is_situation]
    keys = effective_keys({}, situations)
    assert keys[situation_id("silent_call")] == "s"
    assert keys["call.said"] == "space"
    remapped = effective_keys({"situation.silent_call": "x", "call.said": "enter"}, situations)
    assert remapped[situation_id("silent_call")] == "x" and remapped["call.said"] == "enter"
    # The shipped flows' hotkeys never collide with the app's own keys.
    assert conflicts(keys) == []


def test_a_key_bound_twice_on_one_screen_is_a_conflict():
    keys = dict(DEFAULT_KEYS)
    keys["situation.silent_call"] = "g"  # also "gloss"
    keys["summary.next"] = "space"  # another screen: no conflict
    assert conflicts(keys) == [("g", ["call.gloss", "situation.silent_call"])]


def test_replay_and_study_keys_conflict_only_within_their_own_screen():
    """Enter is "next" in a drill, "again" on its summary and "drill" in the study picker: three
    screens, no conflict. Two keys of one screen on one key are."""
    keys = dict(DEFAULT_KEYS)
    assert conflicts(keys) == []
    keys["study.demonstrate"] = "enter"  # the drill's "next" too
    keys["replay.gloss"] = "s"  # the replay's speed too
    assert conflicts(keys) == [("enter", ["study.demonstrate", "study.next"]), ("s", ["replay.gloss", "replay.speed"])]


def test_keys_are_shown_as_people_read_them():
    assert display_key("space") == "Space"
    assert display_key("ctrl+e") == "Ctrl+E"
    assert display_key("f2") == "F2"
    assert display_key("enter,space") == "Enter/Space"
