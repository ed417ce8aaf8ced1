"""After a call: how it ended, how long it took, the path, situations, notes and the log file.

One key starts the next call on the same flow, so an agent can work a whole shift in one session.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from callscript.live.summary import CallSummary, format_duration, path_steps
from callscript.app.keys import display_key
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.wrap import WrappedText
from callscript.paths import display_path
from callscript.settings import DEFAULT_KEYS


class SummaryScreen(TranslatedBindings, Screen[None]):
    """The summary of the call that just ended."""

    BINDINGS = [
        Binding(DEFAULT_KEYS["summary.next"], "next_call", "Next call", id="summary.next"),
        Binding(DEFAULT_KEYS["summary.picker"], "picker", "Choose flow", id="summary.picker"),
    ]

    def __init__(self, summary: CallSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        # The text is there from the first frame (not filled in after mounting).
        yield Static(self.app_t("summary.heading"), id="summary-heading")
        with VerticalScroll(id="summary-body"):
            yield WrappedText(self._body(), id="summary-text")
        yield WrappedText(self._next_hint(), id="summary-next")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def _next_hint(self) -> Text:
        flows = self._callscript_app.flows
        title = flows[self.summary.flow_id].title.pick(self.app_t.language) if self.summary.flow_id in flows else self.summary.flow_id
        key = display_key(self.app_keys.get("summary.next", "enter"))
        return Text(self.app_t("summary.next_hint", key=key, title=title), "bold")

    def _body(self) -> Text:
        t = self.app_t
        lang = t.language
        flows = self._callscript_app.flows
        s = self.summary
        text = Text()

        def row(label: str, value: str | Text, style: str = "") -> None:
            text.append(f"{label}: ", "bold")
            text.append(value, style) if isinstance(value, str) else text.append_text(value)
            text.append("\n")

        outcome = t(f"outcome.{s.outcome}") if t.has(f"outcome.{s.outcome}") else s.outcome
        row(t("summary.outcome"), outcome, "bold")
        # The compliance marks right after the outcome: what the agent should learn from this call
        # (the same ones its replay shows).
        if s.marks:
            text.append(f"{t('summary.marks', count=len(s.marks))}:\n", "bold")
            for mark in s.marks:
                # Where and when (the step, the time into the call), then what the manual asked.
                where = f"{mark.step} {format_duration(mark.t)}: "
                text.append("  ⚠ " + where + (mark.message_zh if lang == "zh" else mark.message) + "\n",
                            "bold reverse" if self.app_plain else "bold red")
        elif s.marks is not None:
            row(t("summary.no_marks_label"), t("summary.no_marks"))
        final = flows.get(s.final_flow)
        where = f"{final.title.pick(lang) if final else s.final_flow} · {s.final_step}"
        row(t("summary.final_step"), where)
        if s.last_said:
            row(t("summary.last_said"), f"“{s.last_said}”")
        row(t("summary.duration"), format_duration(round(s.duration)))  # rounded, as the report and replay list do
        path = Text()
        previous = None
        steps = path_steps(s.steps, flows)
        for index, (flow_id, step_id) in enumerate(steps):
            if index:
                path.append(" › ")
            if flow_id != previous:
                title = flows[flow_id].title.pick(lang) if flow_id in flows else flow_id
                path.append(f"{title}: ", "italic")
                previous = flow_id
            path.append(step_id)
        row(f"{t('summary.steps')} ({len(steps)})", path)
        situations = [flows[f].situation.label.pick(lang) if f in flows and flows[f].situation else f  # type: ignore[union-attr]
                      for f in s.situations]
        row(t("summary.situations"), "、".join(situations) if lang == "zh" and situations
            else ", ".join(situations) if situations else t("summary.none"))
        if s.notes:
            text.append(f"{t('summary.notes')}:\n", "bold")
            for note in s.notes:
                text.append(f"  • {note}\n")
        else:
            row(t("summary.notes"), t("summary.none"))
        row(t("summary.log"), display_path(s.log_path))
        return text

    def action_next_call(self) -> None:
        self._callscript_app.start_call(self.summary.flow_id, replace_screen=True)

    def action_picker(self) -> None:
        self._callscript_app.back_to_picker()
