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

WAIT_CODES = frozenset({"wait_too_short", "wait_too_long"})


class StudySummaryScreen(TranslatedBindings, Screen[None]):
    """The score per step of the drill (or quiz) that just ended, and whether it was recorded."""

    BINDINGS = [
        study_binding("study.again", "again", "Again"),
        study_binding("study.back", "back", "Back"),
        study_binding("study.demonstrate", "demonstrate", "Demonstrate", priority=True),
    ]

    def __init__(self, flow_id: str, rows: list[SummaryRow], *, quiz: bool, trainee: str | None,
                 note: str = "") -> None:
        super().__init__()
        self.flow_id = flow_id
        self.rows = rows
        self.quiz = quiz
        self.trainee = trainee
        self.note = note
        self.heard = 0  # failed lines demonstrated so far: the key plays the next one
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
        failed = self._failed()
        for row in self.rows:
            result = "✓ " + t("study.passed") if row.passed else "✗ " + t("study.failed") + (" ▶" if row in failed else "")
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
        if self._failed():
            text.append(t("study.hear_failed", key=self._key("study.demonstrate")) + "\n", "bold")
        text.append(t("study.summary_keys", again=display_key(self.app_keys.get("study.again") or STUDY_KEYS["study.again"]),
                      back=display_key(self.app_keys.get("study.back") or STUDY_KEYS["study.back"])))
        return text

    def _key(self, bid: str) -> str:
        return display_key(self.app_keys.get(bid) or STUDY_KEYS[bid])

    def _failed(self) -> list[SummaryRow]:
        """Rows whose words did not pass (a line failed only on its wait was said right)."""
        return [r for r in self.rows if not r.passed and r.line
                and any(getattr(reason, "code", "") not in WAIT_CODES for reason in r.reasons)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demonstrate":
            return bool(self._failed())
        return True

    def action_demonstrate(self) -> None:
        """Hear a failed line said correctly (each press, the next one), by the app's speaker."""
        failed = self._failed()
        if not failed:
            return
        row = failed[self.heard % len(failed)]
        self.heard += 1
        flow = self._callscript_app.flows[self.flow_id]
        problem = self._callscript_app.demonstrate(row.line, flow.language)
        t = self.app_t
        note = (self._callscript_app.demonstration_failed(problem.part, problem.detail) if problem else
                t("study.hearing", line=row.label))
        self.query_one("#study-summary-text", WrappedText).update(self._footer().append(note))

    def action_again(self) -> None:
        self.app.switch_screen(SCREENS.study(self.flow_id, quiz=self.quiz))

    def action_back(self) -> None:
        leave_study(self.app)

