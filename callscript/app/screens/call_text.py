"""Words the call screen composes from the call, as plain functions: the chain of flows a
situation is inside of, for the header, and a short preview of what comes when a wait is over.

Kept out of ``call.py`` so the screen module holds the screen's layout, events and keys, and so these
can be tested without a running app.
"""

from __future__ import annotations

from rich.text import Text

from callscript.engine.engine import CallEngine
from callscript.flow.model import Transition

PREVIEW_CELLS = 24


def next_preview(engine: CallEngine, transition: Transition, language: str) -> str:
    """What comes when the wait of ``transition`` is over, as the agent knows it: the next line (or
    what to do, or the situation's title), cut to ``PREVIEW_CELLS`` cells."""
    if transition.call:
        return engine.flows[transition.call].title.pick(language)
    if transition.flow:
        flow = engine.flows[transition.flow]
        step = flow.steps[transition.to or flow.start]
    else:
        step = engine.flow.steps[transition.to or engine.step.id]
    if step.say:
        preview = engine.say(step) or ""
    elif step.tip:
        preview = step.tip.pick(language)
    else:
        return step.id
    cut = Text(preview)
    if cut.cell_len > PREVIEW_CELLS:
        cut.truncate(PREVIEW_CELLS - 1)
        return cut.plain + "…"
    return preview


def header_chain(outer: list[str], room: int) -> str:
    """``  ‹ 无声电话 ‹ 投诉处理 ‹ 标准通话流程`` for the flows a situation is inside of (innermost
    first, the call's own flow last), in at most ``room`` cells: middle flows give way to one ``…``
    first, then the call's own flow is cut short; the innermost stays whole as long as it can."""
    from rich.cells import cell_len

    def joined(names: list[str]) -> str:
        return "  ‹ " + " ‹ ".join(names) if names else ""

    names = list(outer)
    shown = names
    if cell_len(joined(names)) > room and len(names) > 2:
        for keep in range(len(names) - 2, -1, -1):  # the middle flows give way, the outer ones first
            shown = names[:keep] + ["…"] + names[-1:]
            if cell_len(joined(shown)) <= room:
                break
    text = joined(shown)
    if cell_len(text) > room:
        text = Text(text, no_wrap=True, overflow="ellipsis")
        text.truncate(max(3, room), overflow="ellipsis")
        return text.plain
    return text
