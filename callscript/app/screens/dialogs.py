"""Small modal dialogs of the call screen: the caller's name, a note, and the key help."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from callscript.app.keys import display_key
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.wrap import WrappedText


class _TextDialog(TranslatedBindings, ModalScreen[str | None]):
    """One line of text: Enter returns it, Escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    HEADING = ""
    HELP = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.app_t(self.HEADING), classes="dialog-heading")
            yield Input(id="dialog-input")
            # Wrapped the Chinese way: Static breaks only at spaces, so "回车确认,Esc" split as "E" / "sc".
            yield WrappedText(self.app_t(self.HELP), classes="dialog-help")

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CallerDialog(_TextDialog):
    """Quick entry of the caller's surname and title (``王先生``, ``李小姐``, ``王``)."""

    HEADING = "caller.heading"
    HELP = "caller.help"


class NoteDialog(_TextDialog):
    """A free note attached to the call (it goes to the session log and the summary)."""

    HEADING = "note.heading"
    HELP = "note.help"


class HelpDialog(TranslatedBindings, ModalScreen[None]):
    """Every key of the screen below it, with what it does."""

    BINDINGS = [Binding("escape,f1", "close", "Close", show=False)]

    def __init__(self, rows: list[tuple[str, str]], missing: list[str] | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.missing = missing or []

    def compose(self) -> ComposeResult:
        t = self.app_t
        text = Text()
        width = max((len(display_key(k)) for k, _ in self.rows), default=4)
        for key, label in self.rows:
            text.append(f"{display_key(key):>{width}}  ", "bold")
            text.append(label + "\n")
        with VerticalScroll(classes="dialog"):
            yield Static(t("help.close"), classes="dialog-help")
            if self.missing:  # first: it is why the help was opened from the banner
                yield Static(t("help.missing"), classes="dialog-heading")
                yield WrappedText(Text("\n".join(self.missing)))
            yield Static(t("help.heading"), classes="dialog-heading")
            yield Static(text)

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def action_close(self) -> None:
        self.dismiss(None)
