"""What the app hears on the line: a level meter and the latest transcript; and what is missing."""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from callscript.text import visible

FLOOR_DBFS = -60.0


class LevelMeter(Widget):
    """The line's level in dBFS as a short bar (a number only, in plain mode)."""

    COMPONENT_CLASSES = {"level--bar", "level--rest", "level--label"}
    DEFAULT_CSS = """
    LevelMeter { height: 1; width: 32; }
    LevelMeter > .level--bar { color: $success; }
    LevelMeter > .level--rest { color: $foreground-muted; }
    LevelMeter > .level--label { color: $text-muted; }
    """

    def __init__(self, label: str = "", *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.label = label
        self.dbfs: float | None = None
        self.plain = False

    def show(self, dbfs: float | None) -> None:
        if dbfs != self.dbfs:
            self.dbfs = dbfs
            self.refresh()

    def render(self) -> RenderResult:
        style = self.get_component_rich_style
        text = Text(f"{self.label} ", style("level--label"))
        if self.dbfs is None:
            return text.append("—")
        if self.plain:
            return text.append(f"{self.dbfs:.0f} dBFS")
        width = 12
        filled = round(width * min(1.0, max(0.0, (self.dbfs - FLOOR_DBFS) / -FLOOR_DBFS)))
        text.append("▮" * filled, style("level--bar"))
        text.append("▯" * (width - filled), style("level--rest"))
        return text.append(f" {self.dbfs:4.0f} dBFS", style("level--label"))


class Banner(Widget):
    """One or two lines saying what is missing (no microphone, no speech engine) and how to fix it.

    Hidden when there is nothing to say.
    """

    DEFAULT_CSS = """
    Banner { height: auto; display: none; }
    Banner.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.lines: tuple[str, ...] = ()

    def show(self, lines: list[str] | tuple[str, ...]) -> None:
        # A notice can quote what was heard or a log's text: control characters are shown escaped.
        lines = tuple(visible(line) for line in lines if line)
        if lines != self.lines:
            self.lines = lines
            self.set_class(bool(lines), "-shown")
            self.refresh(layout=True)

    def render(self) -> RenderResult:
        # One line per problem, cut to the width: the banner must not push the call off screen
        # (the help dialog, F1, has the whole text).
        width = max(10, self.content_size.width)
        return Text("\n".join(line if Text(line).cell_len <= width else _cut(line, width) for line in self.lines))


def _cut(line: str, width: int) -> str:
    text = Text(line)
    text.truncate(width - 1)
    return text.plain + "…"
