"""Device health on screen: the banner line(s) and the help dialog's list of problems.

``HealthBanner`` is the one widget that shows device health (the call screen's banner; a screen
may put a notice of its own above it). ``HealthList`` lists each problem in the help dialog (F1):
what happened and how to fix it in the interface language, the library's own words beneath as
"details". Both render what ``callscript.app.banner`` made of the app's ``HealthBoard``.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from callscript.app.banner import HealthView
from callscript.app.widgets.line import Banner
from callscript.text import visible


class HealthBanner(Banner):
    """Notices of the screen, then what is missing or lost; neutral (class ``-checking``, styled
    in callscript.tcss) while devices are checked and nothing else is to be said."""

    def show_health(self, view: HealthView, notices: tuple[str, ...] = ()) -> None:
        self.set_class(view.checking and not any(notices) and len(view.lines) == 1, "-checking")
        self.show([*notices, *view.lines])


class HealthList(Widget):
    """The help dialog's problems: one translated entry each, its technical detail beneath."""

    DEFAULT_CSS = """
    HealthList { height: auto; }
    HealthList > .health--detail { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"health--detail"}

    def __init__(self, entries: list[tuple[str, str]], *, details_label: str, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.entries = entries
        self.details_label = details_label

    def render(self) -> RenderResult:
        text = Text()
        detail_style = self.get_component_rich_style("health--detail")
        for index, (line, detail) in enumerate(self.entries):
            if index:
                text.append("\n")
            text.append(visible(line))
            if detail:
                # The library's own words (English, often long): shown as they are, escaped.
                # Its own line breaks (a settings error's hint) stay breaks, indented, not "\x0a".
                lines = "\n      ".join(visible(detail, lines=True).splitlines())
                text.append(f"\n    {self.details_label} {lines}", detail_style)
        return text


__all__ = ["HealthBanner", "HealthList"]
