"""``callscript simulate FLOW``: run a flow under a virtual clock, with no UI.

Every line is taken as said the moment it appears, so timed waits run from each step's entry and
the printed times are exact (the silent call shows its greeting at 0, 5, the call-back request at
10 and the hang-up at 15). Events are scheduled with ``--events "T:EVENT,..."``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from callscript.text import json_text, visible

EVENT_HELP = """\
events (T is seconds from the start of the call):
  T:NAME              the agent declares event NAME (e.g. 3:caller_spoke)
  T:line:CONDITION    a line condition: speech_started, speech_stopped, silence,
                      low_volume, noise, unintelligible
  T:heard:TEXT        speech recognition heard TEXT
  T:situation:FLOW    enter a situation (e.g. 2:situation:speakerphone)
  T:var:NAME=VALUE    set a variable (e.g. 1:var:surname=王)
  T:said              the agent finished the line (lines are taken as said at once anyway)
  T:end[:OUTCOME]     the agent ends the call
example: callscript simulate main_call --events "2:caller_spoke,4:situation:noisy_line"
"""


@dataclass(frozen=True)
class ScheduledEvent:
    at: float
    kind: str  # agent, line, heard, situation, var, said, end
    value: str


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a flow headless under a virtual clock",
        description="Run a flow with no UI under a virtual clock and print one line per step entered.",
        epilog=EVENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("flow", metavar="FLOW", help="a built-in flow id or a path to a flow file")
    parser.add_argument("--events", default="", metavar="T:EVENT,...", help="events to inject (see below)")
    parser.add_argument("--vars", default="", metavar="k=v,...", help="variable values, e.g. surname=王,title=先生")
    parser.add_argument("--json", action="store_true", help="one JSON object per step entered")
    parser.add_argument("--until", type=float, default=3600.0, metavar="SECONDS",
                        help="stop the virtual clock here if the call has not ended (default 3600)")
    parser.add_argument("--log", type=Path, metavar="FILE", help="also write the session log (JSONL) here")
    parser.set_defaults(run=run)


class UsageError(Exception):
    pass


def parse_vars(text: str) -> dict[str, str]:
    values = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--vars item '{item}' is not NAME=VALUE")
        values[name.strip()] = value.strip()
    return values


def parse_events(text: str) -> list[ScheduledEvent]:
    events = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        when, sep, what = item.partition(":")
        try:
            at = float(when.strip().removesuffix("s"))
        except ValueError:
            raise UsageError(f"event '{item}' does not start with a time in seconds (T:EVENT)") from None
        if not sep or not what or at < 0:
            raise UsageError(f"event '{item}' is not T:EVENT with T >= 0")
        kind, _, value = what.partition(":")
        if kind in ("line", "heard", "situation", "var"):
            if not value:
                raise UsageError(f"event '{item}' needs a value after '{kind}:'")
            events.append(ScheduledEvent(at, kind, value))
        elif kind in ("said", "end"):
            events.append(ScheduledEvent(at, kind, value))
        else:
            events.append(ScheduledEvent(at, "agent", what))
    return sorted(events, key=lambda e: e.at)


def _validate(events: list[ScheduledEvent], flows: dict) -> None:
    from callscript.flow.model import LINE_CONDITIONS, Trigger

    names = {t.name for f in flows.values() for s in f.steps.values() for t in s.on if t.trigger is Trigger.EVENT}
    for event in events:
        if event.kind == "line" and event.value not in LINE_CONDITIONS:
            raise UsageError(f"unknown line condition '{event.value}' (one of: {', '.join(LINE_CONDITIONS)})")
        if event.kind == "situation" and (event.value not in flows or not flows[event.value].is_situation):
            known = ", ".join(sorted(f.id for f in flows.values() if f.is_situation))
            raise UsageError(f"'{event.value}' is not a situation (situations: {known})")
        if event.kind == "agent" and event.value not in names:
            raise UsageError(f"no flow has an event named '{event.value}' (events: {', '.join(sorted(names))})")
        if event.kind == "var" and "=" not in event.value:
            raise UsageError(f"'var:{event.value}' is not var:NAME=VALUE")


def apply(engine, event: ScheduledEvent) -> bool:  # noqa: ANN001 - CallEngine, imported lazily
    """Give one scheduled event to the engine; True when it changed something."""
    if event.kind == "agent":
        return engine.fire(event.value)
    if event.kind == "line":
        return engine.line(event.value)
    if event.kind == "heard":
        return engine.hear(event.value)
    if event.kind == "situation":
        return engine.enter_situation(event.value)
    if event.kind == "var":
        name, _, value = event.value.partition("=")
        engine.set_variable(name, value)
        return True
    if event.kind == "said":
        return engine.mark_said()
    return engine.end_call(event.value or "agent_ended")


def step_line(record: dict, as_json: bool, *, said_at_once: bool = False) -> str:
    """How ``simulate`` (and ``listen --flow``) print one step entered. ``said_at_once``: lines are
    taken as said when they appear (simulate), so the JSON says when each line was said, closing
    lines too (a step with a line and ``end`` ends the call once its line is said)."""
    entry = {"t": record["t"], "flow": record["flow"], "step": record["step"], "say": record["say"]}
    if said_at_once and record["say"] is not None:
        entry["said"] = record["t"]
    if "end" in record:
        entry["end"] = record["end"]
    if as_json:
        return json_text(entry)
    indent = "  " * record.get("depth", 0)
    text = record["say"] if record["say"] is not None else "(no line)"
    end = f"   [end: {record['end']}]" if "end" in record else ""
    # The flow's text is shown, never acted on: a control character in it is printed escaped.
    return visible(f"{record['t']:7.1f}s  {indent}{record['flow']}/{record['step']}  {text}{end}")


def run(args: argparse.Namespace) -> int:
    from callscript.engine import CallEngine, ManualClock
    from callscript.flow.library import resolve

    try:
        variables = parse_vars(args.vars)
    except UsageError as exc:
        return _usage(str(exc), VARS_HINT)
    try:
        events = parse_events(args.events)
    except UsageError as exc:
        return _usage(str(exc))
    flow, flows = resolve(args.flow)
    try:
        _validate(events, flows)
    except UsageError as exc:
        return _usage(str(exc))

    clock = ManualClock()
    engine = CallEngine(flows, flow.id, clock, variables=variables, auto_said=True)
    log = None
    if args.log:
        from callscript.session.log import SessionLog

        log = SessionLog(args.log, strict=True)  # the log is this command's output: a failure stops it
        engine.subscribe(log)

    def show(record) -> None:  # noqa: ANN001
        if record.kind == "step_entered":
            print(step_line(record.as_dict(), args.json, said_at_once=True), flush=True)

    engine.subscribe(show)
    try:
        engine.start()
        for event in events:
            clock.set(event.at)
            engine.poll()
            if engine.ended:
                print(f"note: the call had ended before {event.at:g}s; later events were not used", file=sys.stderr)
                break
            if not apply(engine, event):
                print(visible(f"note: at {event.at:g}s '{event.kind}:{event.value}' had no effect in "
                              f"{engine.flow.id}/{engine.step.id}"), file=sys.stderr)
        while not engine.ended:
            deadline = engine.next_deadline()
            if deadline is None or deadline > args.until:
                break
            clock.set(deadline)
            engine.poll()
        if not engine.ended:
            print(visible(f"note: the call is waiting at {engine.flow.id}/{engine.step.id} for an event"), file=sys.stderr)
    finally:
        if log:
            log.close()
    return 0


EVENTS_HINT = "see 'callscript simulate --help' for the event syntax"
VARS_HINT = "write --vars name=value,... (e.g. --vars surname=王,title=先生)"


def _usage(message: str, hint: str = EVENTS_HINT) -> int:
    print(f"callscript simulate: error: {visible(message)}", file=sys.stderr)
    print(f"  hint: {hint}", file=sys.stderr)
    return 2
