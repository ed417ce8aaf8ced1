"""Checks that need the whole flow (or every flow) rather than one key at a time.

The schema has made sure each value has the right type; here we check that the pieces fit:
targets exist, every ``{variable}`` is declared, every step can be reached and has a way out,
and no cycle traps the call or runs away with it (timed loops that go round faster than a second
or with no line to say, ``call:``s that come back round and nest without end). Cross-flow
references (``flow:``, ``call:``) and hotkeys are checked against the set of flows being loaded
together (the built-in flows plus the files given).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from callscript.flow.model import Flow, Mark, Step, Transition, Trigger
from callscript.flow.problems import Problem
from callscript.text import variables_in


def _problem(severity: str, code: str, mark: Mark, context: str, message: str, hint: str) -> Problem:
    return Problem(severity, code, mark.path, mark.line, mark.column, message, context, hint)


def _close(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def external_entries(flows: Mapping[str, Flow]) -> dict[str, set[str]]:
    """For each flow id, the steps other flows jump straight into (``flow: X, to: step``)."""
    entries: dict[str, set[str]] = {}
    for other in flows.values():
        for step in other.steps.values():
            for transition in step.on:
                if transition.flow and transition.to:
                    entries.setdefault(transition.flow, set()).add(transition.to)
    return entries


def check_flow(flow: Flow, flows: Mapping[str, Flow], entries: Mapping[str, set[str]] | None = None) -> list[Problem]:
    """Every structural problem of ``flow``, given the other flows it may refer to.

    ``entries`` is ``external_entries(flows)``; pass it when checking many flows at once.
    """
    problems: list[Problem] = []
    file_stem = flow.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if flow.path != "<built>" and file_stem != flow.id:
        problems.append(_problem(
            "error", "id-mismatch", flow.mark, "id", f"flow id '{flow.id}' does not match the file name '{file_stem}'",
            f"rename the file to {flow.id}.yaml or change the id to {file_stem}",
        ))
    if flow.start not in flow.steps:
        problems.append(_problem(
            "error", "unknown-step", flow.mark, "start", f"start step '{flow.start}' does not exist",
            _close(flow.start, flow.steps) or "start must name one of the steps",
        ))
    for step in flow.steps.values():
        problems += _check_step(flow, step, flows)
    # Reachability and exits are only meaningful once every target exists; before that they
    # would repeat the same mistake as confusing extra warnings.
    if not any(p.severity == "error" for p in problems):
        if entries is None:
            entries = external_entries(flows)
        problems += _check_reachability(flow, entries.get(flow.id, set()))
        problems += _check_exits(flow)
        problems += _check_speech_during_silence(flow)
        problems += check_timed_loops(flow)
    return problems


def _check_speech_during_silence(flow: Flow) -> list[Problem]:
    """A situation suggested because the line is silent must leave when the caller speaks: a
    timed wait in it with no ``line: speech_started`` (or ``heard:``) way out runs on while the
    caller talks."""
    if flow.situation is None or "silence" not in flow.situation.suggest_on:
        return []
    problems = []
    for step in flow.steps.values():
        timed = [t for t in step.on if t.is_timed]
        hears = any((t.trigger is Trigger.LINE and t.name == "speech_started") or t.trigger is Trigger.HEARD
                    for t in step.on)
        if timed and not hears:
            problems.append(_problem(
                "warning", "wait-ignores-speech", timed[0].mark, f"step '{step.id}' -> on",
                f"this flow is suggested on silence, but its {timed[0].describe()} wait ignores the caller speaking",
                "add '- line: speech_started' with a target (usually the step that returns to the call)",
            ))
    return problems


def _check_step(flow: Flow, step: Step, flows: Mapping[str, Flow]) -> list[Problem]:
    problems: list[Problem] = []
    context = f"step '{step.id}'"
    texts = [("say", step.say, step.say_mark)] + [("never", item.text, item.mark) for item in step.never]
    texts += [(f"{key} -> say", other.say, step.say_mark) for key, other in (("again", step.again),
                                                                          ("if_unknown", step.if_unknown)) if other]
    texts += [(f"expect[{i}] -> any", wording, item.mark) for i, item in enumerate(step.expect) for wording in item.any]
    for key, text, mark in texts:
        for name in variables_in(text or ""):
            if name not in flow.variables:
                problems.append(_problem(
                    "error", "undefined-variable", mark, f"{context} -> {key}",
                    f"variable '{{{name}}}' is not defined",
                    f"declare it under 'variables:' with a default, e.g. {name}: {{default: ...}}",
                ))
    if not step.is_terminal and not step.on:
        problems.append(_problem(
            "error", "no-way-out", step.mark, context, "this step has no way out",
            "add transitions under 'on:' or make it terminal with 'end: hang_up' (or resolved, return ...)",
        ))
    seen_events: set[str] = set()
    for index, transition in enumerate(step.on):
        tcontext = f"{context} -> on[{index}]"
        if transition.name and transition.trigger.value == "event":
            if transition.name in seen_events:
                problems.append(_problem(
                    "error", "duplicate-event", transition.mark, tcontext,
                    f"event '{transition.name}' is already handled by an earlier transition of this step",
                    "give each event of a step its own name",
                ))
            seen_events.add(transition.name)
        problems += _check_target(flow, transition, flows, tcontext)
    return problems


def _check_target(flow: Flow, transition: Transition, flows: Mapping[str, Flow], context: str) -> list[Problem]:
    problems: list[Problem] = []
    target_flow = flow
    for key in ("flow", "call"):
        other = getattr(transition, key)
        if other is None:
            continue
        if other not in flows:
            problems.append(_problem(
                "error", "unknown-flow", transition.mark, f"{context} -> {key}", f"flow '{other}' does not exist",
                _close(other, flows) or "name a built-in flow, a user flow or one of the files being checked",
            ))
            return problems
        target_flow = flows[other]
    if transition.to is not None and transition.to not in target_flow.steps:
        where = "" if target_flow is flow else f" in flow '{target_flow.id}'"
        problems.append(_problem(
            "error", "unknown-step", transition.mark, f"{context} -> to", f"step '{transition.to}'{where} does not exist",
            _close(transition.to, target_flow.steps) or "name one of the steps",
        ))
    if transition.then is not None and transition.then not in flow.steps:
        problems.append(_problem(
            "error", "unknown-step", transition.mark, f"{context} -> then", f"step '{transition.then}' does not exist",
            _close(transition.then, flow.steps) or "name one of this flow's steps",
        ))
    return problems


def _successors(step: Step) -> list[str]:
    """Steps of the same flow that ``step`` can lead to."""
    result = []
    for transition in step.on:
        if transition.flow is None and transition.call is None and transition.to:
            result.append(transition.to)
        if transition.call is not None:
            result.append(transition.then or step.id)
    return result


def _check_reachability(flow: Flow, jumped_into: set[str]) -> list[Problem]:
    entry = {flow.start} | jumped_into  # steps other flows jump straight into are reachable too
    seen: set[str] = set()
    todo = [s for s in entry if s in flow.steps]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += [s for s in _successors(flow.steps[current]) if s in flow.steps and s not in seen]
    return [
        _problem(
            "warning", "unreachable", step.mark, f"step '{step.id}'", "this step can never be reached",
            f"add a transition to it (e.g. 'to: {step.id}') or remove it",
        )
        for step in flow.steps.values()
        if step.id not in seen
    ]


def _check_exits(flow: Flow) -> list[Problem]:
    """Steps from which no end (or jump to another flow) can be reached: a trap for the call."""
    can_exit = {s.id for s in flow.steps.values() if s.is_terminal or any(t.flow for t in s.on)}
    changed = True
    while changed:
        changed = False
        for step in flow.steps.values():
            if step.id not in can_exit and any(s in can_exit for s in _successors(step)):
                can_exit.add(step.id)
                changed = True
    trapped = [s for s in flow.steps.values() if s.id not in can_exit and s.on]
    if not trapped:
        return []
    cycle = " -> ".join(s.id for s in trapped)
    return [_problem(
        "warning", "cycle-no-exit", trapped[0].mark, f"step '{trapped[0].id}'",
        f"these steps loop with no way to end the call: {cycle}",
        "add a transition from the loop to a step with 'end:'",
    )]


def check_situation_keys(flows: Mapping[str, Flow], others: Mapping[str, Flow] | None = None,
                         reserved: Mapping[str, str] | None = None) -> list[Problem]:
    """Hotkeys that would make a situation unreachable by key: two situations of ``flows`` on one
    key, one on the key of a situation in ``others`` (e.g. the built-in flows, when checking
    a user's), or one on a key the call screen itself binds (``reserved``: key -> what it does).

    Any set of flows can be checked so (a folder of user flows against the built-in ones)."""
    problems: list[Problem] = []
    owners: dict[str, Flow] = {}
    for flow in (others or {}).values():
        if flow.situation is not None and flow.situation.key is not None and flow.id not in flows:
            owners.setdefault(flow.situation.key, flow)
    for flow in flows.values():
        if flow.situation is None or flow.situation.key is None:
            continue
        key = flow.situation.key
        if reserved and key in reserved:
            problems.append(_problem(
                "warning", "reserved-hotkey", flow.mark, "situation -> key",
                f"hotkey '{key}' is the call screen's own key for {reserved[key]}",
                "choose a key the call screen does not use",
            ))
        elif key in owners:
            problems.append(_problem(
                "warning", "duplicate-hotkey", flow.mark, "situation -> key",
                f"hotkey '{key}' is also used by situation '{owners[key].id}'",
                "choose another key for one of them",
            ))
        else:
            owners[key] = flow
    return problems


MIN_LOOP_SECONDS = 1.0  # a cycle of timed transitions must take at least this long to go round


def _timed_edges(flow: Flow) -> dict[str, list[tuple[str, float, Transition]]]:
    """step -> (next step, seconds, transition) for the timed transitions that stay in the flow."""
    edges: dict[str, list[tuple[str, float, Transition]]] = {}
    for step in flow.steps.values():
        for transition in step.on:
            if transition.is_timed and transition.flow is None and transition.call is None:
                target = transition.to or step.id
                if target in flow.steps:
                    edges.setdefault(step.id, []).append((target, transition.seconds, transition))
    return edges


def _cyclic_groups(nodes: Iterable[str], edges: Mapping[str, list[tuple[str, float, Transition]]]) -> list[list[str]]:
    """The strongly connected groups of ``nodes`` that hold a cycle (Tarjan's algorithm, without
    recursion: a flow may have hundreds of steps)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    members = set(nodes)
    for root in sorted(members):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = [t for t, _, _ in edges.get(node, ()) if t in members]
            for j in range(i, len(targets)):
                target = targets[j]
                if target not in index:
                    work.append((node, j + 1))
                    work.append((target, 0))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or any(t == node for t, _, _ in edges.get(node, ())):
                        groups.append(sorted(group))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return groups


def _quick_cycle(start: str, group: set[str], edges: Mapping[str, list[tuple[str, float, Transition]]],
                 limit: float) -> tuple[float, list[str]]:
    """The quickest way from ``start`` round to it within ``group``, if it takes under ``limit``
    seconds (Dijkstra, given up at ``limit``); (inf, []) when there is none so quick."""
    import heapq

    best: dict[str, float] = {start: 0.0}
    came: dict[str, str] = {}
    queue: list[tuple[float, str]] = [(0.0, start)]
    while queue:
        spent, here = heapq.heappop(queue)
        if spent > best.get(here, float("inf")):
            continue
        for target, seconds, _ in edges.get(here, ()):
            total = spent + seconds
            if target not in group or total >= limit:
                continue
            if target == start:
                path = [here]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return total, path[::-1]
            if total < best.get(target, float("inf")):
                best[target], came[target] = total, here
                heapq.heappush(queue, (total, target))
    return float("inf"), []


def _any_cycle(start: str, group: set[str], edges: Mapping[str, list[tuple[str, float, Transition]]]) -> list[str]:
    """Some way from ``start`` round to it within ``group`` (breadth first: a short one)."""
    came: dict[str, str] = {}
    todo = [start]
    for here in todo:
        for target, _, _ in edges.get(here, ()):
            if target == start:
                path = [here]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return path[::-1]
            if target in group and target not in came:
                came[target] = here
                todo.append(target)
    return []


def _loop_text(loop: list[str], shown: int = 8) -> str:
    """``a -> b -> a``; a long loop by its first steps and how many there are."""
    if len(loop) <= shown:
        return " -> ".join([*loop, loop[0]])
    return " -> ".join(loop[:shown]) + f" -> ... ({len(loop)} steps) -> {loop[0]}"


def check_timed_loops(flow: Flow) -> list[Problem]:
    """Steps that hand the call to each other on timers alone, so the call runs (and its log
    grows) with nobody doing anything: refused when the loop goes round in less than
    ``MIN_LOOP_SECONDS`` or passes no step with a line to say."""
    edges = _timed_edges(flow)
    problems: list[Problem] = []
    for group in _cyclic_groups(edges, edges):
        members = set(group)
        for start in group:
            seconds, loop = _quick_cycle(start, members, edges, MIN_LOOP_SECONDS)
            if loop:
                named = _loop_text(loop)
                problems.append(_problem(
                    "error", "fast-timed-loop", flow.steps[loop[0]].mark, f"step '{loop[0]}'",
                    f"these steps hand over to each other on timers and go round in {seconds:g}s: {named}",
                    f"make the waits of the loop add up to at least {MIN_LOOP_SECONDS:g}s, or end it with an event",
                ))
                break
    fast = {p.context for p in problems}
    quiet = {sid for sid in edges if flow.steps[sid].say is None}
    for group in _cyclic_groups(quiet, edges):
        loop = _any_cycle(group[0], set(group), edges)
        if not loop or f"step '{loop[0]}'" in fast:
            continue
        named = _loop_text(loop)
        problems.append(_problem(
            "error", "silent-timed-loop", flow.steps[loop[0]].mark, f"step '{loop[0]}'",
            f"these steps loop on timers and none has a line to say: {named}",
            "give a step of the loop a line (say:), or leave the loop on an event",
        ))
    return problems


def check_call_cycles(flows: Mapping[str, Flow], checked: Iterable[str] | None = None) -> list[Problem]:
    """``call:`` cycles, direct (a flow calls itself) or through other flows: each call nests the
    call one level deeper and never comes back. Reported on the ``call:`` transitions of the
    flows in ``checked`` (default: all) that start such a cycle."""
    calls: dict[str, list[tuple[str, Transition, str]]] = {}
    for flow in flows.values():
        for step in flow.steps.values():
            for transition in step.on:
                if transition.call is not None and transition.call in flows:
                    calls.setdefault(flow.id, []).append((transition.call, transition, step.id))
    problems: list[Problem] = []
    for flow_id in sorted(checked if checked is not None else flows):
        for callee, transition, step_id in calls.get(flow_id, ()):
            path = _call_path(callee, flow_id, calls)
            if path is None:
                continue
            chain = " -> ".join([flow_id, *path])
            problems.append(_problem(
                "error", "call-cycle", transition.mark, f"step '{step_id}' -> call",
                f"this call comes back round to flow '{flow_id}' ({chain}): calls would nest without end",
                "use 'flow:' to hand the call over without nesting, or call a flow that does not call back",
            ))
    return problems


def _call_path(start: str, goal: str, calls: Mapping[str, list[tuple[str, Transition, str]]]) -> list[str] | None:
    """The flows from ``start`` to ``goal`` along ``call:``s (``[start, ..., goal]``), or None."""
    seen = {start}
    todo: list[tuple[str, list[str]]] = [(start, [start])]
    while todo:
        here, path = todo.pop()
        if here == goal:
            return path
        for callee, _, _ in calls.get(here, ()):
            if callee not in seen:
                seen.add(callee)
                todo.append((callee, [*path, callee]))
    return None


def check_timed_loops_across(flows: Mapping[str, Flow], checked: Iterable[str] | None = None) -> list[Problem]:
    """``check_timed_loops`` for loops that hand the call from flow to flow (``flow:`` on a timed
    transition): the same two rules, over every step of every flow. Loops inside one flow are left
    to ``check_timed_loops``; a loop is reported on its first step in a flow of ``checked``."""
    edges: dict[str, list[tuple[str, float, Transition]]] = {}
    steps: dict[str, tuple[Flow, Step]] = {}
    for flow in flows.values():
        for step in flow.steps.values():
            steps[f"{flow.id}/{step.id}"] = (flow, step)
            for transition in step.on:
                if not transition.is_timed or transition.call is not None:
                    continue
                target_flow = flows.get(transition.flow) if transition.flow else flow
                if target_flow is None:
                    continue
                target = transition.to or (target_flow.start if transition.flow else step.id)
                if target in target_flow.steps:
                    edges.setdefault(f"{flow.id}/{step.id}", []).append(
                        (f"{target_flow.id}/{target}", transition.seconds, transition))
    wanted = set(checked if checked is not None else flows)
    problems: list[Problem] = []

    def report(loop: list[str], code: str, message: str, hint: str) -> None:
        if len({node.split("/", 1)[0] for node in loop}) < 2:
            return  # inside one flow: check_timed_loops reports it
        first = next((node for node in loop if node.split("/", 1)[0] in wanted), None)
        if first is None:
            return
        at = loop.index(first)
        loop = loop[at:] + loop[:at]
        flow, step = steps[first]
        if any(p.code != code and p.context == f"step '{step.id}'" and p.path == step.mark.path for p in problems):
            return  # the same loop, already refused as too fast
        problems.append(_problem("error", code, step.mark, f"step '{step.id}'", message.format(_loop_text(loop)), hint))

    for group in _cyclic_groups(edges, edges):
        members = set(group)
        for start in group:
            seconds, loop = _quick_cycle(start, members, edges, MIN_LOOP_SECONDS)
            if loop and len({node.split("/", 1)[0] for node in loop}) > 1:
                report(loop, "fast-timed-loop",
                       f"these steps hand the call from flow to flow on timers and go round in {seconds:g}s: {{}}",
                       f"make the waits of the loop add up to at least {MIN_LOOP_SECONDS:g}s, or end it with an event")
                break
    quiet = {node for node in edges if steps[node][1].say is None}
    for group in _cyclic_groups(quiet, edges):
        loop = _any_cycle(group[0], set(group), edges)
        if loop:
            report(loop, "silent-timed-loop", "these steps hand the call from flow to flow on timers and none has "
                   "a line to say: {}", "give a step of the loop a line (say:), or leave the loop on an event")
    return problems
