"""The quiz half of the study screen: the options of each question, the choice, why each is wrong.

``QuizPart`` is mixed into ``StudyScreen``; the questions, the answers and their recording live in
the headless ``training.quiz.QuizRun``, and this part renders them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from callscript.app.screens.study.render import SummaryRow, Why
from callscript.errors import CallscriptError
from callscript.text import fill

if TYPE_CHECKING:
    from callscript.training.quiz import QuizOption, QuizRun


class QuizPart:
    """Quiz questions and choices (mixed into ``StudyScreen``)."""

    run: QuizRun | None

    @property
    def quiz_options(self) -> list[QuizOption]:
        """The options of the question asked now."""
        return self.run.options if self.run is not None else []

    @property
    def quiz_index(self) -> int:
        """The position of the question asked now."""
        return self.run.index if self.run is not None else 0

    def _show_question(self) -> None:
        """Put the options of the question asked now in the list (none after the last)."""
        widget = self.query_one("#quiz-options", OptionList)
        widget.clear_options()
        widget.add_options([Option(Text.assemble((f"{n}. ", "bold"), o.text), id=str(n))
                            for n, o in enumerate(self.quiz_options, start=1)])
        if self.quiz_options:
            widget.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.run is not None and not self.run.answered:
            self.action_choose(event.option_index + 1)
        else:
            self.action_next()

    def action_choose(self, number: int) -> None:
        """Quiz: choose option ``number``; the feedback says why each wrong option is wrong."""
        run = self.run
        if run is None or run.current is None or run.answered or not 1 <= number <= len(run.options):
            self.app.bell()
            return
        t = self.app_t
        lang = t.language
        try:
            run.choose(number)
        except CallscriptError as exc:  # the answer counts; only recording it failed
            self.notice_text = t("study.store_problem", message=exc.message)
        chosen = run.answers[-1].chosen
        text = Text(t("study.quiz_right") if chosen.correct else t("study.quiz_wrong"),
                    "bold" if self.app_plain else ("bold green" if chosen.correct else "bold red"))
        text.append("\n")
        for n, option in enumerate(run.options, start=1):
            mark = "✓" if option.correct else "✗"
            why = option.why if lang == "en" else option.why_zh
            pointer = "→ " if n == number else "  "
            text.append(f"{pointer}{n}. {mark} ", "bold")
            text.append(option.text)
            text.append(f"\n      {why}\n", self._dim)
        text.append(t("study.quiz_next", key=self._key("study.next")), "bold")
        self.feedback = text
        self._refresh()

    def action_next(self) -> None:
        """Quiz: the next question (or the summary after the last)."""
        run = self.run
        if run is None:
            return
        if run.current is not None and not run.answered:
            self.app.bell()
            return
        run.next()
        if run.current is None:
            self._show_summary()
            return
        self.feedback = Text()
        self._show_question()
        self._play_caller()
        self._refresh()

    def _quiz_rows(self) -> list[SummaryRow]:
        """The summary's rows: each question, right or wrong, and why the choice was wrong."""
        assert self.run is not None
        path = [s.id for s in self.drill.path]
        rows = []
        for n, answer in enumerate(self.run.answers):
            label = f"{n + 1} {self._short_line(path.index(answer.step))}"
            if answer.question.kind != "line":
                label += f" · {self.app_t(f'study.quiz_kind.{answer.question.kind}')}"
            rows.append(SummaryRow(answer.step, 100 if answer.correct else 0, answer.correct, None, None,
                                   [] if answer.correct else [Why(answer.chosen.why, answer.chosen.why_zh)], label,
                                   fill(answer.question.step.say or "", self._values())))
        return rows
