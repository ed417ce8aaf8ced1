"""A row of labelled keys (``[1] Caller spoke  [2] Still can't hear``), for events and situations."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from callscript.app.widgets.wrap import wrap


@dataclass(frozen=True)
class KeyItem:
    """One key and what it does; ``active`` marks, for example, the situation running now."""

    key: str
    label: str
    active: bool = False
    enabled: bool = True


class KeyList(Widget):
    """Labelled keys, flowing onto as many lines as the width needs (one per line when ``stacked``).

    The heading is written in the text (not only in a border) so the row reads the same in plain
    mode and to a screen reader.
    """

    COMPONENT_CLASSES = {"keylist--heading", "keylist--key", "keylist--active", "keylist--disabled"}
    DEFAULT_CSS = """
    KeyList { height: auto; }
    KeyList > .keylist--heading { color: $text-muted; }
    KeyList > .keylist--key { text-style: bold; color: $accent; }
    KeyList > .keylist--active { text-style: bold reverse; }
    KeyList > .keylist--disabled { color: $text-disabled; }
    """

    def __init__(self, heading: str = "", *, empty: str = "", id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.heading = heading
        self.empty = empty
        self.items: tuple[KeyItem, ...] = ()
        self.stacked = False

    def show(self, items: tuple[KeyItem, ...] | list[KeyItem], *, heading: str | None = None) -> None:
        items = tuple(items)
        if items != self.items or (heading is not None and heading != self.heading):
            self.items = items
            if heading is not None:
                self.heading = heading
            self.refresh(layout=True)

    def _pieces(self) -> list[Text]:
        style = self.get_component_rich_style
        pieces = []
        for item in self.items:
            key_style = style("keylist--disabled") if not item.enabled else style("keylist--key")
            label_style = style("keylist--active") if item.active else (style("keylist--disabled") if not item.enabled else "")
            pieces.append(Text.assemble((f"[{item.key}]", key_style), (" " + item.label, label_style)))
        if not pieces:
            pieces.append(Text(self.empty, style("keylist--disabled")))
        return pieces

    def _layout(self, width: int) -> Text:
        """Whole items per line (an item is never split unless it is wider than the line)."""
        width = max(1, width)
        style = self.get_component_rich_style
        lines: list[Text] = []
        line = Text()
        if self.heading:
            line.append(self.heading + ":", style("keylist--heading"))
            if self.stacked:
                lines.append(line)
                line = Text()
        for piece in self._pieces():
            if self.stacked:
                lines.append(wrap(piece, width))
                continue
            gap = 2 if line.cell_len else 0
            if line.cell_len and line.cell_len + gap + piece.cell_len > width:
                lines.append(line)
                line, gap = Text(), 0
            if gap or (self.heading and line.cell_len):
                line.append(" " * max(gap, 1))
            line.append_text(piece)
        if line.cell_len or not lines:
            lines.append(line)
        return wrap(Text("\n").join(lines), width)

    def render(self) -> RenderResult:
        return self._layout(self.content_size.width or 80)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._layout(width).plain.split("\n"))
