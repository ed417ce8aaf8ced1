"""F4 in the picker with a team store set: recent calls of the whole team, by agent and day.

A trainer types an agent id and/or a day (``001 2026-01-05``) and presses Enter; the list of the
store's calls (newest first) is read in a thread (``callscript.team.fetch``), and the call chosen
is fetched as a private log and opens in the replay screen. A login that may not read the store
(an agent's) or a store that cannot be reached is one notification, and F4 lists this PC's own
logs instead.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from callscript.app.screens.base import TranslatedBindings
from callscript.errors import CallscriptError

LOCAL = "local"  # what the dialog returns when the store cannot be read: list this PC's logs


def parse_filter(text: str) -> tuple[str | None, date | None]:
    """``001 2026-01-05`` -> (agent, day); either may be missing."""
    agent, day = None, None
    for word in text.split():
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            try:
                day = date.fromisoformat(word)
                continue
            except ValueError:
                pass
        agent = word
    return agent, day


class StoreCallsDialog(TranslatedBindings, ModalScreen[Path | str | None]):
    """Choose a call of the team store; returns the fetched log's path, ``LOCAL`` or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False), Binding("down", "to_list", show=False)]

    def __init__(self, url: str, folder: Path) -> None:
        super().__init__()
        self.url = url
        self.folder = folder
        self.calls: list[Any] = []

    def compose(self) -> ComposeResult:
        t = self.app_t
        with Vertical(classes="dialog"):
            yield Static(t("replay.store.heading"), classes="dialog-heading")
            yield Input(placeholder=t("replay.store.filter"), id="store-filter")
            yield Static(t("replay.store.loading"), id="store-status")
            yield OptionList(id="choices")
            yield Static(t("replay.choose.help"), classes="dialog-help")

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        self.query_one(Input).focus()
        self._load("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#store-status", Static).update(self.app_t("replay.store.loading"))
        self._load(event.value)

    @work(thread=True, exclusive=True, group="store-calls")
    def _load(self, text: str) -> None:
        from callscript.team.fetch import recent_calls

        agent, day = parse_filter(text)
        try:
            calls = recent_calls(self.url, agent=agent, day=day)
        except CallscriptError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._show, calls)

    def _show(self, calls: list[Any]) -> None:
        from callscript.app.replay import _flow_title, _local_time, format_time

        t = self.app_t
        flows = self._callscript_app.flows
        self.calls = calls
        options = self.query_one(OptionList)
        options.clear_options()
        for i, call in enumerate(calls):
            outcome = t(f"outcome.{call.outcome}") if t.has(f"outcome.{call.outcome}") else call.outcome
            line = t("replay.store.line", when=_local_time(call.started.isoformat() if call.started else None),
                     agent=call.agent, title=_flow_title(flows, call.flow or "", t.language),
                     duration=format_time(call.duration or 0.0), outcome=outcome)
            options.add_option(Option(Text(line, no_wrap=True, overflow="ellipsis"), id=str(i)))
        self.query_one("#store-status", Static).update("" if calls else t("replay.store.none"))
        if calls:
            options.highlighted = 0

    def _failed(self, message: str) -> None:
        self._callscript_app.tell("replay.store.failed", detail=message, severity="warning", timeout=10)
        self.dismiss(LOCAL)

    def action_to_list(self) -> None:
        if self.calls:
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._fetch(self.calls[int(event.option.id or 0)].id_text)

    @work(thread=True, exclusive=True, group="store-fetch")
    def _fetch(self, call_id: str) -> None:
        from callscript.team.fetch import fetch_call

        try:
            path = fetch_call(self.url, call_id, self.folder)
        except CallscriptError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self.dismiss, path)

    def action_cancel(self) -> None:
        self.dismiss(None)
