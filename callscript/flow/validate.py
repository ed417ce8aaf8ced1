"""Checks that need the whole flow (or every flow) rather than one key at a time.

The schema has made sure each value has the right type; here we check that the pieces fit:
targets exist, every ``{variable}`` is declared, every step can be reached and has a way out,
and no cycle traps the call. Cross-flow references (``flow:``, ``call:``) are checked against the
set of flows being loaded together (the built-in flows plus the files given).
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


def check_situation_keys(flows: Mapping[str, Flow]) -> list[Problem]:
    """Two situations asking for the same hotkey would make one of them unreachable by key."""
    problems: list[Problem] = []
    owners: dict[str, Flow] = {}
    for flow in flows.values():
        if flow.situation is None or flow.situation.key is None:
            continue
        key = flow.situation.key
        if key in owners:
            problems.append(_problem(
                "warning", "duplicate-hotkey", flow.mark, "situation -> key",
                f"hotkey '{key}' is also used by situation '{owners[key].id}'",
                "choose another key for one of them",
            ))
        else:
            owners[key] = flow
    return problems
