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
