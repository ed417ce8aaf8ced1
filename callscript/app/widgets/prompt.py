"""The line to say now and, beside it, what must never be said or done."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from callscript.app.widgets.wrap import WrappedText


@dataclass(frozen=True)
class SayContent:
    """The say panel's text: the line (None for a guidance-only step), its gloss, the labels."""

    say: str | None
    gloss: str | None
    show_gloss: bool
    heading: str  # "Say now"
    empty: str  # shown when the step has nothing to say
    gloss_label: str  # "English"
    said: bool = False
    said_label: str = ""
    guidance: bool = False  # no line: ``empty`` holds the step's tip, shown as the instruction


class SayPanel(WrappedText):
    """The line to say, large and bold; the English gloss under it when the toggle is on.

    Terminals have one font size, so "large" is weight, colour and space around the line. In plain
    mode the heading is written out in front of the line instead of in the border.
    """

    COMPONENT_CLASSES = {"say--line", "say--gloss", "say--empty", "say--said"}
    DEFAULT_CSS = """
    SayPanel { height: auto; }
    SayPanel > .say--line { text-style: bold; }
    SayPanel > .say--gloss { color: $text-muted; text-style: italic; }
    SayPanel > .say--empty { color: $text-muted; text-style: italic; }
    SayPanel > .say--said { color: $success; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.content: SayContent | None = None
        self.plain = False

    def show(self, content: SayContent) -> None:
        if content != self.content:
            before = self._height()
            self.content = content
            self.border_title = content.heading
            self.border_subtitle = content.said_label if content.said else ""
            self.changed(layout=self._height() != before)

    def build(self) -> Text:
        content = self.content
        if content is None:
            return Text()
        style = self.get_component_rich_style
        text = Text()
        if self.plain:
            text.append(f"{content.heading}: ", style("say--line"))
        if content.say is None:
            text.append(content.empty, style("say--line") if content.guidance else style("say--empty"))
        else:
            text.append(content.say, style("say--line"))
        if content.show_gloss and content.gloss:
            text.append(f"\n{content.gloss_label}: {content.gloss}", style("say--gloss"))
        if self.plain and content.said:
            text.append(f"\n({content.said_label})", style("say--said"))
        return text


@dataclass(frozen=True)
class NeverItem:
    """One forbidden phrasing (``say``) or action (``do``), with its English gloss."""

    kind: str
    text: str
    gloss: str


class NeverPanel(WrappedText):
    """Forbidden phrasing and actions, marked so that nobody mistakes them for the line to say."""

    COMPONENT_CLASSES = {"never--mark", "never--text", "never--gloss"}
    DEFAULT_CSS = """
    NeverPanel { height: auto; }
    NeverPanel > .never--mark { color: $text-error; text-style: bold; }
    NeverPanel > .never--text { color: $text-error; text-style: bold; }
    NeverPanel > .never--gloss { color: $text-muted; text-style: italic; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.items: tuple[NeverItem, ...] = ()
        self.labels: dict[str, str] = {}
        self.show_gloss = False
        self.plain = False

    def show(self, items: tuple[NeverItem, ...], labels: dict[str, str], show_gloss: bool) -> None:
        """``labels`` maps ``say``/``do`` to the marks, e.g. ``✗ NEVER SAY``."""
        if (items, labels, show_gloss) != (self.items, self.labels, self.show_gloss):
            before = self._height()
            self.items, self.labels, self.show_gloss = items, dict(labels), show_gloss
            self.display = bool(items)
            self.border_title = labels.get("title", "")
            self.changed(layout=self._height() != before)

    def build(self) -> Text:
        style = self.get_component_rich_style
        text = Text()
        # The border title already says "never say" when every item is of one kind; plain mode has
        # no border, so there every item carries its mark.
        marked = self.plain or len({item.kind for item in self.items}) > 1
        for index, item in enumerate(self.items):
            if index:
                text.append("\n")
            if marked:
                text.append(f"{self.labels.get(item.kind, '✗')}: ", style("never--mark"))
            else:
                text.append("✗ ", style("never--mark"))
            text.append(item.text, style("never--text"))
            if self.show_gloss and item.gloss:
                text.append(f"\n  ({item.gloss})", style("never--gloss"))
        return text
