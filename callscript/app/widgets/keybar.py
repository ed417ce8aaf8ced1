"""The bottom line of every screen: its keys and what they do, in the interface language.

A light stand-in for Textual's ``Footer``: one line of text built from the screen's bindings (the
ones with a description), redrawn only when the bindings change. It costs a fraction of the
Footer's widgets at startup, and reads the same in plain mode and to a screen reader.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from callscript.app.keys import display_key


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
        self.items: list[tuple[str, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        items: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or not binding.description or not active.enabled:
                continue
            name = binding.id or binding.action
            if name in seen:
                continue
            seen.add(name)
            items.append((display_key(key, short=True), binding.description))
        if items != self.items:
            self.items = items
            self.refresh()

    def render(self) -> RenderResult:
        key_style = self.get_component_rich_style("keybar--key")
        label_style = self.get_component_rich_style("keybar--label")
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, label in self.items:
            text.append(f" {key} ", key_style)
            text.append(f"{label} ", label_style)
        return text
