"""Small modal dialogs of the call screen: the caller's name, a note, the key help, a question
answered with one key (ending or quitting a call), and a variable the line needs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from callscript.i18n import Messages
from callscript.app.keys import display_key
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.health import HealthList
from callscript.app.widgets.wrap import WrappedText
from callscript.flow.model import Variable
from callscript.text import fill


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

    def __init__(self, rows: list[tuple[str, str]], missing: list[tuple[str, str]] | None = None) -> None:
        """``missing``: each problem in the interface language, and its technical detail."""
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
                yield HealthList(self.missing, details_label=t("help.details"))
            yield Static(t("help.heading"), classes="dialog-heading")
            yield Static(text)

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def action_close(self) -> None:
        self.dismiss(None)


class ChoiceDialog(TranslatedBindings, ModalScreen[str | None]):
    """A question answered with one key: each choice has its own key (shown beside it), Escape
    goes back. Returns the choice's value."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, heading: str, choices: list[tuple[str, str, str]], help_text: str = "") -> None:
        """``choices``: (key, label, value) in the order shown."""
        super().__init__()
        self.heading = heading
        self.choices = choices
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        text = Text()
        for key, label, _ in self.choices:
            text.append(f"{display_key(key):>6}  ", "bold")
            text.append(label + "\n")
        with Vertical(classes="dialog"):
            yield Static(self.heading, classes="dialog-heading")
            yield Static(text, id="dialog-choices")
            if self.help_text:
                yield WrappedText(self.help_text, classes="dialog-help")

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def on_key(self, event: Key) -> None:
        for key, _, value in self.choices:
            if event.key in key.split(","):
                event.stop()
                self.dismiss(value or None)
                return

    def action_cancel(self) -> None:
        self.dismiss(None)


def end_call_dialog(t: Messages) -> ChoiceDialog:
    """Ctrl+E during a call: end it here (the agent ended it early), or the caller hung up."""
    return ChoiceDialog(t("end.heading"), [
        ("enter", t("end.agent_ended"), "agent_ended"),
        ("c", t("end.caller_hung_up"), "caller_hung_up"),
        ("escape", t("end.back"), ""),
    ], t("end.help"))


def quit_dialog(t: Messages) -> ChoiceDialog:
    """Ctrl+Q during a call: quit (the call is logged as aborted), or go back to it."""
    return ChoiceDialog(t("quit.heading"), [
        ("enter,q", t("quit.confirm"), "quit"),
        ("escape", t("end.back"), ""),
    ], t("quit.help"))


class VariableDialog(TranslatedBindings, ModalScreen[str | None]):
    """The line needs a value nobody gave yet (the caller's surname): the flow's question, the
    line filled in as the agent types (or picks), one key per choice. Escape: not now."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, variable: Variable, line: str, values: dict[str, str]) -> None:
        super().__init__()
        self.variable = variable
        self.line = line
        self.values = dict(values)

    def compose(self) -> ComposeResult:
        t = self.app_t
        question = self.variable.ask.pick(t.language) if self.variable.ask else self.variable.name
        with Vertical(classes="dialog"):
            yield Static(question, classes="dialog-heading")
            yield WrappedText(self._preview(""), id="variable-line")
            if self.variable.choices:
                text = Text()
                for number, choice in enumerate(self.variable.choices, start=1):
                    text.append(f"{number:>3}  ", "bold")
                    text.append(choice.value)
                    if choice.english and t.language == "en":
                        text.append(f"  ({choice.english})")
                    text.append("\n")
                yield Static(text, id="variable-choices")
                yield WrappedText(t("ask.help_choice"), classes="dialog-help")
            else:
                yield Input(id="dialog-input")
                yield WrappedText(t("ask.help_text"), classes="dialog-help")

    def _preview(self, typed: str) -> Text:
        """The line as it will be said, the value being given in bold."""
        marker = "\x00"
        filled = fill(self.line, {**self.values, self.variable.name: marker})
        before, _, after = filled.partition(marker)
        return Text.assemble((f"{self.app_t('call.say')}: ", "dim" if not self.app_plain else ""),
                             before, (typed or "…", "bold reverse"), after)

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        if not self.variable.choices:
            self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#variable-line", WrappedText).update(self._preview(event.value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def on_key(self, event: Key) -> None:
        if not self.variable.choices or not event.character or not event.character.isdigit():
            return
        number = int(event.character)
        if 1 <= number <= len(self.variable.choices):
            event.stop()
            self.dismiss(self.variable.choices[number - 1].value)

    def action_cancel(self) -> None:
        self.dismiss(None)
