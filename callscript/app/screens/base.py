"""What every callscript screen shares: the interface language, the keys and plain mode.

Bindings are declared once per screen with English descriptions and an id; ``TranslatedBindings``
swaps in the description from the message catalog (``binding.<id>``) when the screen is built, so
the footer speaks the interface language and the user's keymap still finds every binding by id.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.message import Message

from callscript.app.host import Host
from callscript.health import Part
from callscript.i18n import Messages


def translate_bindings(bindings: Any, t: Messages) -> None:
    """Give every binding with an id its description from the catalog (``binding.<id>``)."""
    translated: dict[str, list[Binding]] = {}
    for key, group in bindings.key_to_bindings.items():
        translated[key] = [
            replace(b, description=t(f"binding.{b.id}")) if b.id and t.has(f"binding.{b.id}") else b for b in group
        ]
    bindings.key_to_bindings = translated


class TranslatedBindings:
    """Mixin for screens: ``app_t`` (messages), ``app_keys`` (binding id -> key), ``app_plain``."""

    _bindings: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self._bindings, self.app_t)

    @property
    def _callscript_app(self) -> Host:
        return cast(Host, self.app)  # type: ignore[attr-defined]

    @property
    def app_t(self) -> Messages:
        return self._callscript_app.t

    @property
    def app_keys(self) -> dict[str, str]:
        return self._callscript_app.keys

    @property
    def app_plain(self) -> bool:
        return self._callscript_app.plain

    def dismiss(self, result: Any = None) -> AwaitComplete:
        """Close this screen with ``result``, once. Textual pops whichever screen is on top: keys
        the terminal delivered together (a choice, then a bounce) are all queued to a dialog before
        it closes, and each would close the screen under it, then fail on an empty stack."""
        if self.app.screen is not self:  # type: ignore[attr-defined]
            return AwaitComplete.nothing()
        return super().dismiss(result)  # type: ignore[misc]

    def on_demonstration_ended(self, message: DemonstrationEnded) -> None:
        self.demonstration_finished(message)

    def demonstration_finished(self, message: DemonstrationEnded) -> None:
        """A demonstration this screen asked for has ended (screens that demonstrate override it)."""


class DemonstrationEnded(Message, bubble=False):
    """A demonstration the screen asked for ended: played through (``completed``), stopped, or
    failed (``error`` says what and how to fix it). The app forwards it to the screen that asked."""

    def __init__(self, text: str, completed: bool, error: str | None = None, failed: Part | None = None) -> None:
        super().__init__()
        self.text = text
        self.completed = completed
        self.error = error
        self.failed = failed  # the part that failed, typed (``error`` is the speaker's own words)
