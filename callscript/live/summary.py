"""What the summary screen shows once a call is over, read back from the call's own log.

The compliance marks come from ``callscript.training.timeline`` over the closed log, so the
summary shows exactly what the replay of the same call shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from callscript.flow.model import Flow

if TYPE_CHECKING:
    from callscript.live.call import LiveCall
    from callscript.training.timeline import Mark


@dataclass(frozen=True)
class CallSummary:
    """What the summary screen shows once a call is over."""

    flow_id: str
    outcome: str
    duration: float
    steps: tuple[tuple[float, str, str], ...]  # (seconds into the call, flow id, step id)
    situations: tuple[str, ...]
    notes: tuple[str, ...]
    log_path: Path
    final_flow: str
    final_step: str
    # What the replay of this call would show, read back from its log (``review``): the
    # compliance marks (None: the log could not be read) and the last line the agent said.
    marks: tuple[Mark, ...] | None = None
    last_said: str | None = None


def review(log_path: Path, flows: Mapping[str, Flow]) -> tuple[tuple[Mark, ...] | None, str | None]:
    """The compliance marks and the last line said of the (last) call in ``log_path``, computed
    as the replay does (``callscript.training.timeline``); (None, None) when the log cannot be read."""
    from callscript.errors import CallscriptError
    from callscript.training.timeline import load_timelines

    try:
        timelines = load_timelines(log_path, dict(flows))
    except (CallscriptError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None, None
    if not timelines:
        return None, None
    timeline = timelines[-1]
    said = [v.say for v in timeline.visits if v.say and (v.said is not None or not timeline.live)]
    return tuple(timeline.marks), (said[-1] if said else None)


def summarise(call: LiveCall) -> CallSummary:
    """The summary of ``call``; marks and the last line said once it is closed."""
    engine = call.engine
    marks, last_said = review(call.log_path, engine.flows) if call.closed else (None, None)
    return CallSummary(
        flow_id=engine.history[0][1] if engine.history else engine.flow.id,
        outcome=engine.outcome or "aborted",
        # A call ends at the deadline that ended it, not when the screen noticed.
        duration=call.end_record.t if call.end_record else engine.elapsed(),
        steps=tuple(engine.history),
        situations=tuple(engine.situations_met),
        notes=tuple(call.notes),
        log_path=call.log_path,
        final_flow=engine.flow.id,
        final_step=engine.step.id,
        marks=marks,
        last_said=last_said,
    )


def path_steps(history: Iterable[tuple[float, str, str]], flows: Mapping[str, Flow]) -> list[tuple[str, str]]:
    """(flow id, step id) of the steps a call went through, as the agent saw them: without the
    silent steps a situation ends on to go back (``end: return`` and no line), which are the
    flow's plumbing, not a place in the call."""
    from callscript.flow.model import End

    shown = []
    for _, flow_id, step_id in history:
        step = flows[flow_id].steps.get(step_id) if flow_id in flows else None
        if step is not None and step.end is End.RETURN and step.say is None:
            continue
        shown.append((flow_id, step_id))
    return shown


def format_duration(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour) for the call clock and the summary."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


__all__ = ["CallSummary", "format_duration", "path_steps", "review", "summarise"]
