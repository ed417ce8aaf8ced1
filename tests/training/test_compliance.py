"""``callscript.training.compliance.derive`` on its own: the two shapes of records it reads give
the same compliance, and hand-made logs without steps still have their end counted."""

from __future__ import annotations

from functools import cache

from callscript.flow.library import load_flows
from callscript.session.reader import Skipped, iter_lines, iter_records, typed_parser
from callscript.training.compliance import derive, fields
from callscript.training.synthetic import generate_logs


@cache
def flows():
    return load_flows()


def calls_of(path, parse):
    calls = []
    for _, _, _, record in iter_lines(path, Skipped(), parse=parse):
        if (record["type"] if isinstance(record, dict) else record.type) == "call_started":
            calls.append([])
        if calls:
            calls[-1].append(record)
    return calls


def test_the_readers_structs_and_dict_records_give_the_same_compliance(tmp_path):
    """The report reads structs (``typed_parser``), the timeline dicts through ``fields``."""
    paths = generate_logs(tmp_path, 40, seed=3, agents=2, flows=flows())
    compared = 0
    for path in paths:
        structs = calls_of(path, typed_parser())
        dicts = [[r for _, _, r in iter_records(path, Skipped())]]
        assert len(structs) == len(dicts) == 1
        a = derive(structs[0], flows())
        b = derive(map(fields, dicts[0]), flows())
        assert a == b
        compared += bool(a.waits) + bool(a.steps_left)
    assert compared > 20  # the calls had waits and steps left to compare


def test_a_call_that_ends_before_any_step_still_has_its_outcome_and_situations():
    """A hand-made log: no step_entered, yet call_ended and situation_entered are the call's."""
    records = [
        {"type": "call_started", "t": 0, "mono": 5.0, "flow": "main_call", "variables": {"agent": 7}},
        {"type": "situation_entered", "t": 1, "mono": 6.0, "flow": "silent_call"},
        {"type": "call_ended", "t": 2, "mono": 7.5, "end": "resolved", "flow": "main_call", "duration": 2.5},
    ]
    call = derive(map(fields, records), flows())
    assert (call.agent, call.outcome, call.end_flow, call.duration) == ("7", "resolved", "main_call", 2.5)
    assert call.situations == ["silent_call"] and call.visits == [] and call.findings == []
    assert call.at(6.0, None) == 1.0 and call.at(None, 2) == 2.0


def _left_before_the_line(tmp_path, flow_id, path, event):
    """A live call on ``flow_id``: ``path`` moves it to the step (lines said, waits run out), then
    the agent presses ``event`` there before saying its line; the call's compliance."""
    from callscript.engine import CallEngine, ManualClock
    from callscript.session.log import SessionLog

    clock = ManualClock()
    log = SessionLog.create(tmp_path, flow_id)
    engine = CallEngine(flows(), flow_id, clock, listeners=[log])
    engine.start()
    for move in path:
        if move == "said":
            engine.mark_said()
        elif move == "wait":
            clock.advance(5.0)
            engine.poll()
        else:
            engine.fire(move)
    left = engine.step.id
    clock.advance(1.0)
    engine.fire(event)
    engine.end_call()
    log.close()
    records = [r for _, _, r in iter_records(log.path, Skipped())]
    return left, derive(map(fields, records), flows())


CALLERS_DOING = [
    # The caller, not the agent, ends the need for the line: it was never theirs to say.
    ("silent_call", ["said", "wait"], "caller_spoke", "greet_again"),
    ("silent_call", ["said", "wait", "said", "wait"], "caller_spoke", "ask_call_again"),
    ("caller_too_quiet", [], "heard_clearly", "ask_louder"),
    ("caller_too_quiet", ["said", "still_unclear"], "heard_clearly", "ask_other_phone"),
    ("speakerphone", [], "picked_up", "ask_pick_up"),
    ("dialect_not_understood", [], "mandarin", "ask_mandarin"),
]


def test_a_situation_the_caller_resolves_before_the_line_is_said_is_no_skipped_line(tmp_path):
    """The caller speaks, becomes audible, picks up the handset or speaks Mandarin before the
    agent said the line asking for it: leaving the step then is the right thing, not a skipped
    line (as silent_call's greeting already declared with by_caller)."""
    for n, (flow_id, path, event, step) in enumerate(CALLERS_DOING):
        left, call = _left_before_the_line(tmp_path / str(n), flow_id, path, event)
        assert left == step
        assert [f for f in call.findings if f.code == "step_skipped"] == [], (flow_id, step)
    # An event that is the agent's own still counts: the call-back request left unsaid.
    left, call = _left_before_the_line(tmp_path / "agent", "caller_too_quiet", [], "still_unclear")
    skipped = [f.step for f in call.findings if f.code == "step_skipped"]
    assert left == "ask_louder" and skipped == ["ask_louder", "ask_other_phone"]  # and hung up in the next
