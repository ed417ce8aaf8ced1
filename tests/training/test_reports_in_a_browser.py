"""The HTML reports as a trainer opens them: rendered by a real browser (Debian's chromium,
headless, kept off the network), the page is not blank and every chart has its data points.

The progress page: one trainee's drills and quizzes over two weeks, each drawn at its time, drills
and quizzes as two series. The team report: 60 calls written by the real engine, calls per week
on a time axis. Both in Chinese (the default interface language)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from callscript.flow.library import load_flows
from callscript.training.progress import ProgressStore
from callscript.training.progress_view import export_html
from callscript.training.report import build_report, render_html
from callscript.training.synthetic import generate_logs
from tests.support.png import read_png

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup installs it)")
DRILL_BLUE = (0x25, 0x63, 0xEB)  # svg.PALETTE[0]: the first series
QUIZ_RED = (0xDC, 0x26, 0x26)  # svg.PALETTE[1]: the second series


def browse(page: Path, tmp_path: Path) -> tuple[str, list[tuple[int, int, int]]]:
    """The page's DOM after the browser loaded it, and the pixels of its screenshot."""
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--force-color-profile=srgb", "--hide-scrollbars", "--window-size=900,1400"]
    shot = tmp_path / f"{page.stem}.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=180)
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], check=True, capture_output=True, text=True,
                         timeout=180).stdout
    _width, _height, pixels = read_png(shot)
    return dom, pixels


def points(dom: str) -> list[int]:
    """The number of data points in each chart of the page, in order."""
    return [svg.count('class="point"') for svg in re.findall(r"<svg class=\"chart\".*?</svg>", dom, re.S)]


def test_the_progress_page_renders_with_drills_and_quizzes_on_a_time_axis(tmp_path):
    with ProgressStore(tmp_path / "progress.sqlite") as store:
        for day in range(1, 15):
            store.record_attempt("小王", "silent_call", "greet", 40 + 4 * day, 40 + 4 * day >= 80,
                                 reasons=[] if day > 9 else ["missing_element"], at=f"2025-03-{day:02d}T10:00:00")
            if day % 3 == 0:
                store.record_attempt("小王", "silent_call", "greet", 100 if day > 6 else 0, day > 6, mode="quiz",
                                     at=f"2025-03-{day:02d}T11:00:00")
        store.record_attempt("小王", "speakerphone", "ask_pick_up", 90, True, at="2025-03-05T09:00:00")
        page = tmp_path / "progress.html"
        export_html(store, page, "小王", load_flows(), language="zh")
    html = page.read_text(encoding="utf-8")
    assert "http" not in html and "<script" not in html
    dom, pixels = browse(page, tmp_path)
    assert "无声电话" in dom and "练习" in dom and "测验" in dom and "silent_call" not in dom
    assert points(dom) == [14 + 4, 1]  # the silent call: 14 drills and 4 quizzes; speakerphone: 1 drill
    assert "03-01" in dom and "03-14" in dom  # the time axis is dated
    colours = Counter(pixels)
    assert len(colours) > 50 and colours.most_common(1)[0][1] < 0.99 * len(pixels)  # not blank
    assert colours[DRILL_BLUE] > 0 and colours[QUIZ_RED] > 0  # both series are drawn


def test_the_team_report_renders_in_chinese_with_calls_per_week(tmp_path):
    logs = tmp_path / "logs"
    generate_logs(logs, 60, seed=3, agents=4)
    flows = load_flows()
    report = build_report([logs], flows)
    page = tmp_path / "team.html"
    page.write_text(render_html(report, language="zh", flows=flows), encoding="utf-8")
    dom, pixels = browse(page, tmp_path)
    assert "团队报告" in dom and "每周通话数" in dom and "agent_ended" not in dom and "as_dict" not in dom
    assert points(dom) == [len(report.weeks)] and sum(n for _, n in report.weeks) == 60
    colours = Counter(pixels)
    assert len(colours) > 50 and colours.most_common(1)[0][1] < 0.99 * len(pixels)
    assert colours[DRILL_BLUE] > 0
