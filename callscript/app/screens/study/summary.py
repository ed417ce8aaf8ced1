"""The summary after a drill or a quiz: the score per line, why each failed, whether it was recorded."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from callscript.app.keys import display_key
from callscript.app.screens.base import TranslatedBindings
from callscript.app.screens.study.common import SCREENS, STUDY_KEYS, leave_study, study_binding
from callscript.app.screens.study.render import SummaryRow, deduction_lines
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.wrap import WrappedText
from callscript.training.scoring import PASS_MARK


class StudySummaryScreen(TranslatedBindings, Screen[None]):
    """The score per step of the drill (or quiz) that just ended, and whether it was recorded."""

    BINDINGS = [
        study_binding("study.again", "again", "Again"),
        study_binding("study.back", "back", "Back"),
    ]

    def __init__(self, flow_id: str, rows: list[SummaryRow], *, quiz: bool, trainee: str | None,
                 note: str = "") -> None:
        super().__init__()
        self.flow_id = flow_id
        self.rows = rows
        self.quiz = quiz
        self.trainee = trainee
        self.note = note

    @property
    def score(self) -> int:
        return round(sum(r.score for r in self.rows) / len(self.rows)) if self.rows else 0

    def compose(self) -> ComposeResult:
        t = self.app_t
        flow = self._callscript_app.flows[self.flow_id]
        yield Static(f"{t('study.summary_heading')} · {flow.title.pick(t.language)}", id="study-summary-heading")
        with VerticalScroll(id="study-summary-body"):
            yield Static(self._table(), id="study-summary-table")
            yield WrappedText(self._footer(), id="study-summary-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def _table(self) -> Table:
        from callscript.training.scoring import join_reasons

        t = self.app_t
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
        table.add_column(t("study.col_step"))
        table.add_column(t("study.col_score"), justify="right")
        table.add_column(t("study.col_result"))
        if not self.quiz:
            table.add_column(t("study.col_wait"))
        table.add_column(t("study.col_why"), overflow="fold")  # Chinese has no spaces to wrap at
        for row in self.rows:
            result = "✓ " + t("study.passed") if row.passed else "✗ " + t("study.failed")
            cells = [row.label or row.step, str(row.score), result]
            if not self.quiz:
                cells.append(f"{row.waited:.1f}/{row.required:g}s" if row.waited is not None else "—")
            why = join_reasons(deduction_lines(row.reasons, t, at=False), t.language)
            cells.append(why or "—")
            table.add_row(*cells)
        return table

    def _footer(self) -> Text:
        t = self.app_t
        text = Text()
        passed = sum(1 for r in self.rows if r.passed)
        text.append(t("study.total", score=self.score, passed=passed, total=len(self.rows), mark=PASS_MARK) + "\n",
                    "bold")
        if self.trainee:
            text.append(t("study.recorded", trainee=self.trainee) + "\n")
        else:
            text.append(t("study.not_recorded") + "\n")
        if self.note:
            text.append(self.note + "\n")
        text.append(t("study.summary_keys", again=display_key(self.app_keys.get("study.again") or STUDY_KEYS["study.again"]),
                      back=display_key(self.app_keys.get("study.back") or STUDY_KEYS["study.back"])))
        return text

    def action_again(self) -> None:
        self.app.switch_screen(SCREENS.study(self.flow_id, quiz=self.quiz))

    def action_back(self) -> None:
        leave_study(self.app)

