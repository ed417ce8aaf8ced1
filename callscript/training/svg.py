"""Small inline-SVG charts for the HTML reports: no scripts, no fonts, no network.

Each function returns one ``<svg>`` element as text, sized in pixels, with a ``<title>`` for screen
readers, so a report is one self-contained file that opens anywhere (even offline, even printed).
Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
FONT = 'font-family="sans-serif" font-size="11"'


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    width: int = 560,
    bar_height: int = 18,
    x_max: float | None = None,
    unit: str = "",
    color: str = PALETTE[0],
    label_width: int | None = None,
) -> str:
    """Horizontal bars, one per (label, value), with the value written at the end of each bar.

    Labels get as much room as the longest needs (wide characters count double), up to half the width.
    """
    if label_width is None:
        from callscript.training.tables import display_width

        longest = max((display_width(label) for label, _ in bars), default=4)
        label_width = min(width // 2, 12 + int(longest * 6.6))
    x_max = x_max or max((v for _, v in bars), default=1.0) or 1.0
    height = 8 + len(bars) * (bar_height + 6)
    plot_w = width - label_width - 60
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(bars):
        y = 4 + i * (bar_height + 6)
        w = plot_w * max(0.0, min(value, x_max)) / x_max
        parts.append(f'<text x="{label_width - 6}" y="{y + bar_height - 5}" text-anchor="end" {FONT}>{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{_num(w)}" height="{bar_height}" fill="{color}"/>')
        parts.append(f'<text x="{_num(label_width + w + 4)}" y="{y + bar_height - 5}" {FONT}>{_num(value)}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    title: str,
    counts: Sequence[tuple[str, int]],
    *,
    width: int = 560,
    height: int = 180,
    color: str = PALETTE[0],
) -> str:
    """Vertical bars for (bucket label, count) pairs, labels under the bars."""
    left, bottom, top = 40, 22, 10
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = max((c for _, c in counts), default=1) or 1
    slot = plot_w / max(1, len(counts))
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {FONT}>{peak}</text>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#999"/>',
    ]
    every = -(-len(counts) // 14)  # label at most 14 bars, so labels never overlap
    for i, (label, count) in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * slot
        parts.append(f'<rect x="{_num(x + 2)}" y="{_num(top + plot_h - h)}" width="{_num(max(1.0, slot - 4))}" '
                     f'height="{_num(h)}" fill="{color}"><title>{escape(label)}: {count}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{_num(x + slot / 2)}" y="{height - 6}" text-anchor="middle" {FONT}>{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _date(when: float, span: float) -> str:
    """A time-axis label: month-day, with the hour and minute when the span is under two days."""
    moment = datetime.fromtimestamp(when, tz=timezone.utc)
    return moment.strftime("%m-%d %H:%M" if span < 2 * 86400 else "%Y-%m-%d" if span > 300 * 86400 else "%m-%d")


def time_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    width: int = 560,
    height: int = 200,
    y_max: float | None = 100.0,
    threshold: float | None = None,
) -> str:
    """Points over time, one line per named series: x is the time (seconds since the epoch, UTC)
    with dated ticks, y from 0 to ``y_max`` (None: the largest value). A single point is drawn
    in the middle, with its date: one attempt or one call is a chart too.

    Every point is a ``<circle class="point">`` with its value in ``data-value``, so a test (or a
    screen reader's user) can count them."""
    points = [(x, y) for _, values in series for x, y in values]
    top_value = y_max if y_max is not None else max((y for _, y in points), default=1) or 1
    legend = 16 * len(series) if len(series) > 1 else 0
    left, right, top, bottom = 40, 16, 10, 24 + legend
    plot_w, plot_h = width - left - right, height - top - bottom
    start = min((x for x, _ in points), default=0.0)
    end = max((x for x, _ in points), default=0.0)
    span = end - start
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#ccc"/>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 4}" y="{_num(y + 4)}" text-anchor="end" {FONT}>{_num(top_value * tick)}</text>')
    if threshold is not None:
        y = top + plot_h * (1 - threshold / top_value)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" '
                     f'stroke="#999" stroke-dasharray="4 3"/>')

    def x_at(when: float) -> float:
        return left + (plot_w / 2 if span <= 0 else plot_w * (when - start) / span)

    ticks = [start] if span <= 0 else [start + span * i / 4 for i in range(5)]
    for when in ticks:
        x = x_at(when)
        parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{top + plot_h}" y2="{top + plot_h + 4}" stroke="#999"/>')
        parts.append(f'<text x="{_num(x)}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>{_date(when, span)}</text>')
    for n, (name, values) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        placed = [(x_at(x), top + plot_h * (1 - max(0.0, min(y, top_value)) / top_value), y) for x, y in sorted(values)]
        if len(placed) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _ in placed)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y, value in placed:
            parts.append(f'<circle class="point" data-value="{_num(value)}" cx="{_num(x)}" cy="{_num(y)}" r="3.5" '
                         f'fill="{color}"><title>{escape(name)}: {_num(value)}</title></circle>')
        if len(series) > 1:
            ly = top + plot_h + 24 + 16 * n
            parts.append(f'<rect x="{left}" y="{_num(ly - 9)}" width="10" height="10" fill="{color}"/>')
            parts.append(f'<text x="{left + 14}" y="{_num(ly)}" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


PAGE_CSS = """
body{font-family:sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#111}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #eee;
text-align:right}th:first-child,td:first-child{text-align:left}.bad{color:#b91c1c}.ok{color:#15803d}
.muted{color:#666;font-size:.9em}
.grid{display:flex;flex-wrap:wrap;gap:1em}.grid figure{margin:0}.grid figcaption{font-size:.9em}
"""


def page(title: str, body: str, language: str = "zh") -> str:
    """A whole HTML document in ``language`` (zh or en): UTF-8, inline CSS, nothing fetched."""
    lang = "en" if language.startswith("en") else "zh-CN"
    return (
        f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{PAGE_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table; cells are escaped (pass ``Markup`` for pre-built HTML)."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if isinstance(c, Markup) else escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Markup(str):
    """Text that is already HTML and must not be escaped again."""
