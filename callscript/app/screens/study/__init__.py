"""Self-study screens: a drill or a quiz on one situation, the summary after it, and a picker.

The drills and quizzes themselves are headless (``training.drill.Drill``, ``training.quiz.QuizRun``:
questions, answers, timing, scoring, recording); these screens feed them and render their state.

- ``screen``: ``StudyScreen``, one drill or quiz on one flow (the caller's side, demonstrations);
  ``drill`` and ``quiz`` are its two halves.
- ``summary``: ``StudySummaryScreen``, the score per line after a drill or a quiz.
- ``picker``: ``StudyPickerScreen``, choosing what to practise.
- ``render``: the verdict of one answer and the diff, as Rich text.
- ``common``: ``StudyOptions``, ``StudyHost`` (what the screens need of the app), keys.

No module here imports the app module: the app satisfies ``StudyHost``.
"""

from __future__ import annotations

from callscript.app.screens.study.common import (
    SCREENS,
    STUDY_KEYS,
    StudyHost,
    StudyOptions,
    default_options,
    leave_study,
    login_name,
    study_flows,
    study_options,
)
from callscript.app.screens.study.picker import StudyPickerScreen
from callscript.app.screens.study.render import SummaryRow, Why, diff_text, result_text, short_line
from callscript.app.screens.study.screen import StudyScreen, open_study
from callscript.app.screens.study.summary import StudySummaryScreen

SCREENS.picker = StudyPickerScreen
SCREENS.study = StudyScreen

__all__ = [
    "STUDY_KEYS", "StudyHost", "StudyOptions", "StudyPickerScreen", "StudyScreen", "StudySummaryScreen",
    "SummaryRow", "Why", "default_options", "diff_text", "leave_study", "login_name", "open_study",
    "result_text", "short_line", "study_flows", "study_options",
]
