"""Training: scoring a trainee's answer, progress per trainee, and team reports over session logs.

Nothing here imports Textual: the replay and drill screens call into these modules, and so do the
headless commands ``callscript score``, ``callscript progress`` and ``callscript report``.

- ``scoring``: ``score_answer(step, answer, ...)`` -> ``ScoreResult`` (pure; rapidfuzz + pypinyin).
- ``progress``: ``ProgressStore`` (SQLite, WAL, migrations), CSV export; ``progress_view``: the
  progress report for trainers (terminal and HTML, zh or en).
- ``report``: ``build_report(paths, flows)`` over JSONL session logs with DuckDB; ``report_view``:
  the team report for trainers (terminal and HTML, zh or en).
- ``words``: the reports' words in Chinese and English; labels for flows, steps, outcomes, faults.
- ``elements``, ``template``, ``pinyin``: what ``scoring`` is made of.
- ``quiz``: ``QuizRun``: questions on each line, the waits and what comes next (no microphone).
- ``drill``: ``Drill(flow, clock=...)``: a headless drill (lines in order, waits between them).
- ``timeline``: ``load_timelines(log)``: one call for replay, with compliance marks.
- ``synthetic``: realistic session logs made by running the real engine over the real flows.
- ``svg``: tiny inline-SVG charts (time axes, bars) shared by the HTML reports.
"""

from __future__ import annotations

TRAINING_PACKAGES = {"rapidfuzz": "rapidfuzz", "pypinyin": "pypinyin", "duckdb": "duckdb"}


def missing_dependency(exc: ModuleNotFoundError):  # noqa: ANN201 - returns CallscriptError
    """A ``CallscriptError`` for a training library that is not installed (re-raise anything else)."""
    from callscript.errors import CallscriptError

    name = (exc.name or "").split(".")[0]
    if name not in TRAINING_PACKAGES:
        raise exc
    return CallscriptError(
        f"the training features need the '{TRAINING_PACKAGES[name]}' package, which is not installed",
        hint="pip install 'callscript[training]'",
    )
