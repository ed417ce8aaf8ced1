"""The team report for trainers: terminal tables and a self-contained HTML page, in Chinese or English.

Flows, steps, outcomes and measures are named as a trainer knows them (``training.words``): the
situation's title, the step's opening words, "客服提前挂机" rather than ``agent_ended``. The HTML
page draws its charts offline (inline SVG, ``training.svg``): calls per week on a time axis, and
which step's wait is cut short most, by whom.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from html import escape
from typing import Any

from callscript.training.words import flow_label, label, step_label, words

TeamReport = Any  # training.report.TeamReport: not imported, the report module imports this one


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _skipped(report: TeamReport, t: Any, language: str) -> list[str]:
    """What could not be read, in the report's language (where: the files and lines). The log
    reader writes it in English already."""
    going_on = [t("report.in_progress", n=report.in_progress)] if report.in_progress else []
    if language.startswith("en"):
        files = "1 file" if report.unreadable_files == 1 else f"{report.unreadable_files} files"
        return going_on + ([report.skipped] if report.skipped else []) + (
            [f"{files} could not be read: {'; '.join(report.unreadable)}"] if report.unreadable_files else [])
    notes = going_on
    if report.bad_lines:
        where = report.skipped.split(": ", 1)[1] if ": " in report.skipped else ""
        notes.append(t("report.skipped", n=report.bad_lines) + (f": {where}" if where else ""))
    if report.unreadable_files:
        notes.append(t("report.unreadable", n=report.unreadable_files, files="; ".join(report.unreadable)))
    return notes


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _counted(report: TeamReport, t: Any, language: str) -> str:
    """'150 calls by 6 agents in 40 log files' (in the singular where a count is 1)."""
    if language.startswith("en"):
        return (f"{_plural(report.overall['calls'], 'call')} by {_plural(len(report.agents), 'agent')} "
                f"in {_plural(report.files, 'log file')}")
    return t("report.counted", calls=report.overall["calls"], agents=len(report.agents), files=report.files)


def _summary(report: TeamReport, t: Any) -> list[list[object]]:
    o = report.overall
    return [
        [t("report.wait_compliance"), _pct(o["wait_compliance"])],
        [t("report.waits"), f"{o['waits_honoured']} / {o['waits_cut_short']} / {o['waits_shorter_than_flow']}"
                            f" / {o['waits_interrupted']}"],
        # The denominator said in words: steps with a line that the agent left, not every step.
        [t("report.skips"), t("report.skips_of", n=o["steps_skipped"], total=o["steps_left"],
                              pct=_pct(o["skip_rate"]))],
        [t("report.no_callback"), t("report.of", n=o["hang_ups_without_call_back"], total=o["calls_in_call_back_flows"],
                                    pct=_pct(o["hang_up_without_call_back_rate"]))],
        [t("report.early"), o["premature_hang_ups"]],
        [t("report.avg_call"), t("report.seconds", n=f"{o['avg_duration']:.0f}")],
    ]


def _agent_headers(t: Any) -> list[str]:
    return [t("report.agent"), t("report.calls"), t("report.wait_compliance"), t("report.cut_short"),
            t("report.skips_column"), t("report.no_callback"), t("report.early")]


def _agent_row(a: dict[str, Any], name: str) -> list[object]:
    return [name, a["calls"], _pct(a["wait_compliance"]), a["waits_cut_short"],
            f"{a['steps_skipped']}/{a['steps_left']} ({_pct(a['skip_rate'])})",
            f"{a['hang_ups_without_call_back']}/{a['calls_in_call_back_flows']}", a["premature_hang_ups"]]


def per_step(report: TeamReport, flows: Mapping[str, Any] | None, language: str) -> list[dict[str, Any]]:
    """Each timed wait's step with how often it was kept and cut short, and the agents who cut it
    short most (``worst``: "name (n)" ...), the steps cut short most first."""
    by_step: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in report.step_agents:
        by_step.setdefault((row["flow"], row["step"]), []).append(row)
    out = []
    for wait in report.waits:
        rows = by_step.get((wait["flow"], wait["step"]), [])
        worst = sorted((r for r in rows if r["cut_short"]), key=lambda r: (-r["cut_short"], r["agent"]))[:3]
        counted = wait["honoured"] + wait["cut_short"] + wait["shorter_than_flow"]
        out.append({
            "label": step_label(flows, wait["flow"], wait["step"], language), "required": wait["required"],
            "started": wait["started"], "honoured": wait["honoured"], "cut_short": wait["cut_short"],
            "compliance": wait["honoured"] / counted if counted else None,
            "worst": ", ".join(f"{r['agent']} ({r['cut_short']})" for r in worst) or "-",
        })
    return sorted(out, key=lambda s: (-s["cut_short"], s["label"]))


def render_text(report: TeamReport, *, top: int = 20, language: str = "en",
                flows: Mapping[str, Any] | None = None) -> str:
    """Terminal tables: the summary, per agent, situations met, and each step's waits."""
    from callscript.training.tables import format_table

    t = words(language)
    head = _counted(report, t, language) + "".join(f" ({note})" for note in _skipped(report, t, language))
    steps = per_step(report, flows, language)
    lines = [
        head,
        format_table([t("report.measure"), t("report.value")], _summary(report, t)),
        "",
        t("report.outcomes") + ": " + ", ".join(f"{label('outcome', k, language)} {v}" for k, v in report.outcomes),
        "",
        t("report.per_agent"),
        format_table(_agent_headers(t), [_agent_row(a, a["agent"]) for a in report.agents[:top]]
                     + [_agent_row(report.overall, t("report.all"))]),
        "",
        t("report.situations"),
        format_table([t("progress.situation"), t("report.entered"), t("report.calls"), t("report.agents")],
                     [[flow_label(flows, s["situation"], language), s["entered"], s["calls"], s["agents"]]
                      for s in report.situations]),
        "",
        t("report.per_step"),
        format_table([t("report.step"), t("report.required"), t("report.kept"), t("report.cut_short"),
                      t("report.wait_compliance"), t("report.worst_agents")],
                     [[s["label"], t("report.seconds", n=f"{s['required']:g}"), s["honoured"], s["cut_short"],
                       _pct(s["compliance"]), s["worst"]] for s in steps]),
    ]
    return "\n".join(lines)


def _week(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()


def render_html(report: TeamReport, title: str | None = None, *, language: str = "en",
                flows: Mapping[str, Any] | None = None) -> str:
    """A self-contained HTML page: the same tables and inline SVG charts, nothing fetched."""
    from callscript.training.svg import bar_chart, histogram, page, table, time_chart

    t = words(language)
    title = title or t("report.title")
    steps = per_step(report, flows, language)
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(_counted(report, t, language))}</p>",
        *(f'<p class="muted">{escape(note)}</p>' for note in _skipped(report, t, language)),
        table([t("report.measure"), t("report.value")], _summary(report, t)),
        f"<h2>{escape(t('report.per_week'))}</h2>",
        time_chart(t("report.per_week"), [(t("report.calls"), [(_week(w), n) for w, n in report.weeks])],
                   y_max=None),
        f"<h2>{escape(t('report.outcomes'))}</h2>",
        bar_chart(t("report.outcomes"), [(label("outcome", k, language), v) for k, v in report.outcomes],
                  label_width=140),
        f"<h2>{escape(t('report.per_agent'))}</h2>",
        bar_chart(t("report.wait_compliance"),
                  [(a["agent"], 100 * (a["wait_compliance"] or 0)) for a in report.agents[:40]],
                  x_max=100, unit="%", label_width=120),
        table(_agent_headers(t), [_agent_row(a, a["agent"]) for a in report.agents]
              + [_agent_row(report.overall, t("report.all"))]),
        f"<h2>{escape(t('report.per_step'))}</h2>",
        bar_chart(t("report.cut_short"), [(s["label"], s["cut_short"]) for s in steps[:15]], color="#dc2626",
                  label_width=220),
        table([t("report.step"), t("report.required"), t("report.kept"), t("report.cut_short"),
               t("report.wait_compliance"), t("report.worst_agents")],
              [[s["label"], t("report.seconds", n=f"{s['required']:g}"), s["honoured"], s["cut_short"],
                _pct(s["compliance"]), s["worst"]] for s in steps]),
        f"<h3>{escape(t('report.cut_short_hist'))}</h3>",
        histogram(t("report.cut_short_hist"), report.cut_short_waits, color="#dc2626"),
        f"<h2>{escape(t('report.situations'))}</h2>",
        bar_chart(t("report.situations"), [(flow_label(flows, s["situation"], language), s["entered"])
                                            for s in report.situations], color="#7c3aed", label_width=140),
        f"<h2>{escape(t('report.definitions'))}</h2>",
        f"<p>{escape(t('report.define'))}</p>",
    ]
    return page(title, "\n".join(body), language)
