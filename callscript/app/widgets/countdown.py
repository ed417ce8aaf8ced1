"""The timed wait of the current step, as a bar and seconds (or plain text in plain mode)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget


@dataclass(frozen=True)
class WaitState:
    """What the countdown shows.

    ``kind`` is ``none`` (no timed wait), ``unsaid`` (a wait will start when the line is marked as
    said), ``running`` or ``paused`` (a silence wait while the caller speaks).
    """

    kind: str
    heading: str = ""  # "Wait" / "Silence"
    total: float = 0.0
    remaining: float = 0.0
    detail: str = ""  # "{seconds}s left -> {target}", or the "press Space" hint
    target: str = ""  # what comes next (filled into the detail; never parsed as a template)


class Countdown(Widget):
    """Bar + seconds for the running wait; refreshed a few times a second by the call screen."""

    COMPONENT_CLASSES = {"countdown--bar", "countdown--rest"}
    DEFAULT_CSS = """
    Countdown { height: 1; }
    Countdown.-running { height: 2; }
    Countdown > .countdown--bar { color: $warning; }
    Countdown > .countdown--rest { color: $foreground-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self.state = WaitState("none")
        self.plain = False

    def show(self, state: WaitState) -> None:
        if state != self.state:
            # The bar needs a second line only while a wait is running.
            resize = (state.kind == "running") != (self.state.kind == "running")
            self.state = state
            self.set_class(state.kind == "running" and not self.plain, "-running")
            self.refresh(layout=resize)

    def render(self) -> RenderResult:
        state = self.state
        if state.kind in ("none", "unsaid", "paused"):
            style = {"none": "dim", "unsaid": "bold", "paused": "italic"}[state.kind]
            return Text(state.detail, style=style, no_wrap=True, overflow="ellipsis")
        if self.plain:
            # Whole seconds only: a screen reader should not be told every tenth of a second.
            left = math.ceil(max(0.0, state.remaining))
            return Text(f"{state.heading} {state.total:g}s: {state.detail.format(seconds=left, target=state.target)}")
        detail = state.detail.format(seconds=f"{max(0.0, state.remaining):.1f}", target=state.target)
        head = Text.assemble((f"{state.heading} {state.total:g}s  ", "bold"), (detail, ""))
        head.no_wrap = True
        head.overflow = "ellipsis"
        width = max(10, self.size.width)
        done = 0.0 if state.total <= 0 else min(1.0, max(0.0, 1 - state.remaining / state.total))
        filled = round(done * width)
        bar = Text.assemble(
            ("█" * filled, self.get_component_rich_style("countdown--bar")),
            ("░" * (width - filled), self.get_component_rich_style("countdown--rest")),
        )
        return Text("\n").join([head, bar])
