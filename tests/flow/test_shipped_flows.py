"""Every branch of every shipped flow, walked on the real engine.

For each flow, a breadth-first search replays action sequences on fresh engines (ManualClock,
lines said at once) until every transition of every step has been taken and has landed where the
flow says: the target step, the called flow's start, or the jump's target. A timer that another
timer always beats, an event that cannot be reached, or a heard phrase an earlier transition
steals all fail here. A second test interrupts every step of the main call with every situation
and checks the call comes back to that step (or ends, for situations that hang up).
"""

from __future__ import annotations

from collections import deque

import pytest

from callscript.engine import CallEngine, ManualClock
from callscript.flow.library import load_flows
from callscript.flow.model import End, Flow, Transition, Trigger

FLOWS = load_flows()

Action = tuple[str, str, int, int]  # (flow id, step id, transition index, phrase index)


def apply(engine: CallEngine, clock: ManualClock, transition: Transition, phrase: int = 0) -> None:
    if transition.trigger is Trigger.EVENT:
        assert engine.fire(transition.name)
    elif transition.is_timed:
        clock.advance(transition.seconds)
        engine.poll()
    elif transition.trigger is Trigger.LINE:
        engine.line(transition.name)
    else:
        engine.hear(transition.phrases[phrase])


def expected_landing(flow: Flow, transition: Transition) -> tuple[str, str]:
    if transition.call:
        return transition.call, FLOWS[transition.call].start
    if transition.flow:
        return transition.flow, transition.to or FLOWS[transition.flow].start
    return flow.id, transition.to


def replay(start: str, actions: list[Action]):
    clock = ManualClock()
    records = []
    engine = CallEngine(FLOWS, start, clock, auto_said=True, listeners=[records.append])
    engine.start()
    landed = None
    for flow_id, step_id, index, phrase in actions:
        assert (engine.flow.id, engine.step.id) == (flow_id, step_id)
        before = len(records)
        apply(engine, clock, FLOWS[flow_id].steps[step_id].on[index], phrase)
        entered = [r for r in records[before:] if r.kind == "step_entered"]
        landed = (entered[0].data["flow"], entered[0].data["step"]) if entered else None
    return engine, landed


def walk(start: str) -> set[Action]:
    """Take every transition reachable from ``start``; return the actions that landed right."""
    taken: set[Action] = set()
    seen_states = set()
    queue: deque[list[Action]] = deque([[]])
    while queue:
        actions = queue.popleft()
        engine, _ = replay(start, actions)
        state = (tuple(flow_id for flow_id, _ in engine.frames), engine.step.id, engine.ended)
        if state in seen_states or engine.ended:
            continue
        seen_states.add(state)
        flow, step = engine.flow, engine.step
        for index, transition in enumerate(step.on):
            for phrase in range(max(1, len(transition.phrases))):
                action = (flow.id, step.id, index, phrase)
                _, landed = replay(start, actions + [action])
                if landed == expected_landing(flow, transition):
                    taken.add(action)
                    queue.append(actions + [action])
    return taken


def all_actions(flow: Flow) -> set[Action]:
    return {
        (flow.id, step.id, index, phrase)
        for step in flow.steps.values()
        for index, transition in enumerate(step.on)
        for phrase in range(max(1, len(transition.phrases)))
    }


def test_the_documents_flows_are_all_shipped():
    situations = {f.id for f in FLOWS.values() if f.is_situation}
    assert {"main_call", "greeting", "caller_greets_first", "address_by_surname", "complaint"} <= set(FLOWS)
    assert {"silent_call", "speakerphone", "caller_too_quiet", "noisy_line", "dialect_not_understood",
            "dialect_understood", "agent_too_quiet"} <= situations


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_every_branch_of_the_flow_is_taken_and_lands_where_it_says(flow_id):
    flow = FLOWS[flow_id]
    missed = all_actions(flow) - walk(flow_id)
    described = [f"{s}.on[{i}] ({flow.steps[s].on[i].describe()})" for _, s, i, _ in sorted(missed)]
    assert not missed, f"branches never taken correctly in {flow_id}: {described}"


def shortest_exit(flow_id: str) -> list[Action] | None:
    """Actions that take a situation, run on its own, to any end."""
    queue: deque[list[Action]] = deque([[]])
    seen = set()
    while queue:
        actions = queue.popleft()
        engine, _ = replay(flow_id, actions)
        if engine.ended:
            return actions
        key = (engine.flow.id, engine.step.id)
        if key in seen:
            continue
        seen.add(key)
        for index, transition in enumerate(engine.step.on):
            queue.append(actions + [(engine.flow.id, engine.step.id, index, 0)])
    return None


MAIN_STEPS = sorted(
    {(f, s) for f, s, _, _ in walk("main_call") if f == "main_call"}
    | {("main_call", FLOWS["main_call"].start)}
)
SITUATIONS = sorted(f.id for f in FLOWS.values() if f.is_situation)


def path_to(step_id: str) -> list[Action]:
    queue: deque[list[Action]] = deque([[]])
    while queue:
        actions = queue.popleft()
        engine, _ = replay("main_call", actions)
        if (engine.flow.id, engine.step.id) == ("main_call", step_id):
            return actions
        if len(actions) < 8 and not engine.ended:
            for index, _t in enumerate(engine.step.on):
                queue.append(actions + [(engine.flow.id, engine.step.id, index, 0)])
    raise AssertionError(f"no path to {step_id}")


@pytest.mark.parametrize("situation", SITUATIONS)
def test_each_situation_interrupts_every_main_call_step_and_returns_or_ends(situation):
    exit_actions = shortest_exit(situation)
    assert exit_actions is not None, f"{situation} has no way to end"
    for _, step_id in MAIN_STEPS:
        if FLOWS["main_call"].steps[step_id].is_terminal:
            continue
        engine, _ = replay("main_call", path_to(step_id))
        clock = engine.clock
        assert engine.enter_situation(situation)
        for flow_id, sid, index, phrase in exit_actions:
            assert (engine.flow.id, engine.step.id) == (flow_id, sid)
            apply(engine, clock, FLOWS[flow_id].steps[sid].on[index], phrase)
        end_step = engine.step if engine.ended else None
        if engine.ended:
            assert end_step.end is not End.RETURN, f"{situation} returned but the call ended"
        else:
            assert (engine.flow.id, engine.step.id) == ("main_call", step_id), (
                f"{situation} entered at {step_id} came back to {engine.flow.id}/{engine.step.id}"
            )
