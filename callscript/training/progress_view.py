"""A trainee's progress for trainers: terminal tables and a self-contained HTML page, zh or en.

Situations and lines are named by their titles and opening words (``training.words``), faults by
what they mean ("用“你”称呼客户", not ``informal_you``). Drills and quizzes are kept apart: a quiz
choice scores 0 or 100 and would blur a drill's trend. The charts put each attempt at its time
(inline SVG, nothing fetched), with the pass mark drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from callscript.training.progress import RECENT, Attempt, ProgressStore
from callscript.training.scoring import PASS_MARK
from callscript.training.words import flow_label, label, step_label, words


def _when(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def _modes(attempts: list[Attempt]) -> tuple[list[Attempt], list[Attempt]]:
    """(drills, quizzes): a drill is typed or spoken; a quiz is chosen."""
    return [a for a in attempts if a.mode != "quiz"], [a for a in attempts if a.mode == "quiz"]


def _average(attempts: list[Attempt]) -> str:
    return f"{sum(a.score for a in attempts) / len(attempts):.0f}" if attempts else "-"


def _rate(attempts: list[Attempt]) -> str:
    return f"{sum(a.passed for a in attempts) / len(attempts):.0%}" if attempts else "-"


def _situation_rows(store: ProgressStore, trainee: str, flows: Mapping[str, Any] | None,
                    language: str) -> list[list[object]]:
    """Per situation: drills (attempts, average, pass rate, recent scores) and quizzes apart."""
    by_flow: dict[str, list[Attempt]] = {}
    for attempt in store.attempts(trainee):
        by_flow.setdefault(attempt.flow, []).append(attempt)
    rows = []
    for flow, items in sorted(by_flow.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        drills, quizzes = _modes(items)
        rows.append([flow_label(flows, flow, language), len(drills), _average(drills), _rate(drills),
                     " ".join(str(a.score) for a in drills[-8:]) or "-", len(quizzes), _rate(quizzes)])
    return rows


def _headers(t: Any) -> list[str]:
    return [t("progress.situation"), t("progress.drills"), t("progress.average"), t("progress.pass_rate"),
            t("progress.recent"), t("progress.quizzes"), t("progress.pass_rate")]


def _weak_rows(store: ProgressStore, trainee: str, flows: Mapping[str, Any] | None,
               language: str) -> list[list[object]]:
    return [[step_label(flows, s.flow, s.step, language), s.attempts, f"{s.recent_average:.0f}",
             f"{s.recent_pass_rate:.0%}", s.best, s.last,
             label("reason", s.common_reason, language) if s.common_reason else "-"]
            for s in store.weakest_steps(trainee, drills_only=True)]


def _weak_headers(t: Any) -> list[str]:
    return [t("progress.line"), t("progress.attempts"), t("progress.recent_avg"), t("progress.recent_pass"),
            t("progress.best"), t("progress.last"), t("progress.common_reason")]


def render_text(store: ProgressStore, trainee: str | None, *, language: str = "en",
                flows: Mapping[str, Any] | None = None) -> str:
    """Every trainee on one line each, or one trainee's situations and weakest lines."""
    from callscript.training.tables import format_table

    t = words(language)
    names = [trainee] if trainee else store.trainees()
    if not names:
        return t("progress.none")
    if not trainee:
        rows = []
        for name in names:
            drills, quizzes = _modes(store.attempts(name))
            weak = store.weakest_steps(name, limit=1, drills_only=True)
            rows.append([name, len(drills), _average(drills), len(quizzes), _rate(quizzes),
                         step_label(flows, weak[0].flow, weak[0].step, language) if weak else "-"])
        return format_table([t("progress.trainee"), t("progress.drills"), t("progress.average"),
                             t("progress.quizzes"), t("progress.pass_rate"), t("progress.weakest")], rows)
    return "\n".join([
        t("progress.title_one", trainee=trainee),
        format_table(_headers(t), _situation_rows(store, trainee, flows, language)),
        "",
        t("progress.weak_heading", n=RECENT),
        format_table(_weak_headers(t), _weak_rows(store, trainee, flows, language)),
    ])


def render_html(store: ProgressStore, trainee: str | None, *, language: str = "en",
                flows: Mapping[str, Any] | None = None, generated: str = "") -> str:
    """One trainee (or every trainee) as a self-contained page with time charts per situation."""
    from html import escape

    from callscript.training.svg import bar_chart, page, table, time_chart

    t = words(language)
    names = [trainee] if trainee else store.trainees()
    title = t("progress.title_one", trainee=trainee) if trainee else t("progress.title")
    body = [f"<h1>{escape(title)}</h1>"]
    if generated:
        body.append(f'<p class="muted">{escape(t("progress.generated", when=generated))}</p>')
    if not names:
        body.append(f"<p>{escape(t('progress.none'))}</p>")
    for name in names:
        attempts = store.attempts(name)
        body.append(f"<h2>{escape(name)}</h2>")
        body.append(table(_headers(t), _situation_rows(store, name, flows, language)))
        body.append(f"<h3>{escape(t('progress.over_time', mark=PASS_MARK))}</h3>")
        by_flow: dict[str, list[Attempt]] = {}
        for attempt in attempts:
            by_flow.setdefault(attempt.flow, []).append(attempt)
        charts = []
        for flow, items in sorted(by_flow.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            drills, quizzes = _modes(items)
            series = [(t("progress.drills"), [(_when(a.at), a.score) for a in drills]),
                      (t("progress.quizzes"), [(_when(a.at), a.score) for a in quizzes])]
            series = [s for s in series if s[1]]
            heading = flow_label(flows, flow, language)
            charts.append(f"<figure><figcaption>{escape(heading)}</figcaption>"
                          + time_chart(f"{name}: {heading}", series, width=340, height=170, threshold=PASS_MARK)
                          + "</figure>")
        body.append('<div class="grid">' + "".join(charts) + "</div>")
        body.append(f"<h3>{escape(t('progress.weak_heading', n=RECENT))}</h3>")
        weak = store.weakest_steps(name, drills_only=True)
        body.append(bar_chart(t("progress.weak_heading", n=RECENT),
                              [(step_label(flows, s.flow, s.step, language), s.recent_average) for s in weak[:15]],
                              x_max=100, label_width=220))
        body.append(table(_weak_headers(t), _weak_rows(store, name, flows, language)))
    return page(title, "\n".join(body), language)


def export_html(store: ProgressStore, path: Path | str, trainee: str | None = None,
                flows: Mapping[str, Any] | None = None, *, language: str = "en") -> None:
    """Write ``render_html`` to ``path`` (the generation time in the page, to the minute), 0600:
    it holds trainees' scores, like the progress database it is made from."""
    from datetime import timezone

    from callscript.privacy import write_private

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    write_private(Path(path), render_html(store, trainee, language=language, flows=flows, generated=generated),
                  what="progress report")
