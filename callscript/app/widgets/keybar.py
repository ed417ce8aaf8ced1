"""The bottom line of every screen: its keys and what they do, in the interface language.

A light stand-in for Textual's ``Footer``: one line of text built from the screen's bindings (the
ones with a description), redrawn only when the bindings change. It costs a fraction of the
Footer's widgets at startup, and reads the same in plain mode and to a screen reader.

When the keys do not fit the width, the bar first closes up the spacing, then leaves out keys from
the end, never the help key (F1), which lists them all: a bar cut off in the middle of a label
would hide exactly the key that explains the others.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from callscript.app.keys import display_key

# The help key's binding id: it stays on the bar whatever the width.
HELP_ID = "app.help"


class KeyBar(Widget):
    """``Space Said it  G Gloss  ...`` for the screen it is on."""

    COMPONENT_CLASSES = {"keybar--key", "keybar--label"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; }
    KeyBar > .keybar--key { color: $footer-key-foreground; text-style: bold; }
    KeyBar > .keybar--label { color: $footer-description-foreground; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.items: list[tuple[str, str, bool]] = []  # (key, label, is the help key)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        items: list[tuple[str, str, bool]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or not binding.description or not active.enabled:
                continue
            name = binding.id or binding.action
            if name in seen:
                continue
            seen.add(name)
            items.append((display_key(key, short=True), binding.description, name == HELP_ID))
        if items != self.items:
            self.items = items
            self.refresh()

    def render(self) -> RenderResult:
        width = self.content_size.width or self.size.width
        key_style = self.get_component_rich_style("keybar--key")
        label_style = self.get_component_rich_style("keybar--label")
        text = Text(no_wrap=True, overflow="ellipsis")
        if not width or _width(self.items, 2) <= width:
            for key, label, _ in self.items:
                text.append(f" {key} ", key_style)
                text.append(f"{label} ", label_style)
            return text
        for key, label, _ in fit(self.items, width):  # closed up: one space between keys
            text.append(f" {key} ", key_style)
            text.append(label, label_style)
        return text


def _width(items: list[tuple[str, str, bool]], gap: int) -> int:
    """Cells taken by ``items`` with ``gap`` spaces between them (and one before the first)."""
    cells = sum(Text(f"{key} {label}").cell_len for key, label, _ in items)
    return cells + 1 + gap * max(0, len(items) - 1)


def fit(items: list[tuple[str, str, bool]], width: int) -> list[tuple[str, str, bool]]:
    """The keys that fit in ``width`` cells: all of them if they can, else the first ones and
    the help key (leaving out keys from the end, the help key never)."""
    if not width or _width(items, 1) <= width:
        return items
    kept = list(items)
    while len(kept) > 1 and _width(kept, 1) > width:
        drop = max((i for i, item in enumerate(kept) if not item[2]), default=None)
        if drop is None:
            break
        del kept[drop]
    return kept
