"""Progress per trainee: SQLite in WAL mode, safe with two processes at once, schema migrations,
weakest steps first, CSV and a self-contained HTML report."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from callscript.cli import main
from callscript.errors import CallscriptError
from callscript.flow.library import load_flows
from callscript.training.progress import DB_NAME, MIGRATIONS, SCHEMA_VERSION, ProgressStore, default_db_path
from callscript.training.scoring import score_flow_step


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_database_lives_in_the_data_dir_and_uses_wal(data_dir):
    assert default_db_path() == data_dir / DB_NAME
    with ProgressStore() as store:
        assert store.version == SCHEMA_VERSION
    db = sqlite3.connect(data_dir / DB_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_record_a_score_result_and_read_it_back(data_dir):
    flow = load_flows()["silent_call"]
    result = score_flow_step(flow, "greet", "你好,请问有什么可以帮助你?", waited=3)
    with ProgressStore() as store:
        store.record("小王", result, mode="spoken", at="2025-03-01T09:00:00+00:00")
        (attempt,) = store.attempts("小王")
    assert (attempt.flow, attempt.step, attempt.score, attempt.passed) == ("silent_call", "greet", result.score, False)
    assert attempt.mode == "spoken" and attempt.waited == 3.0
    assert "informal_you" in attempt.reasons and "wait_too_short" in attempt.reasons


def fill(store: ProgressStore) -> None:
    """小王: greet improving 40 -> 100, ask_call_again stuck at 60, speakerphone always 100."""
    day = iter(range(1, 100))
    for score in (40, 60, 80, 100, 100, 100):
        store.record_attempt("小王", "silent_call", "greet", score, score >= 75, at=f"2025-03-{next(day):02d}")
    for _ in range(4):
        store.record_attempt("小王", "silent_call", "ask_call_again", 60, False,
                             reasons=["key_phrase_missing"], at=f"2025-03-{next(day):02d}")
    store.record_attempt("小王", "speakerphone", "ask_pick_up", 100, True, at=f"2025-03-{next(day):02d}")
    store.record_attempt("Li", "silent_call", "greet", 10, False, at="2025-03-01")


def test_weakest_steps_first_by_recent_attempts(data_dir):
    with ProgressStore() as store:
        fill(store)
        weak = store.weakest_steps("小王")
    assert [(s.step, s.recent_average) for s in weak] == [
        ("ask_call_again", 60.0), ("greet", 88.0), ("ask_pick_up", 100.0),
    ]
    assert weak[0].common_reason == "key_phrase_missing"
    assert (weak[1].attempts, weak[1].best, weak[1].last, weak[1].recent_pass_rate) == (6, 100, 100, 0.8)


def test_scores_over_time_per_situation(data_dir):
    with ProgressStore() as store:
        fill(store)
        flows = {f.flow: f for f in store.flows("小王")}
        trainees = store.trainees()
    assert flows["silent_call"].scores == (40, 60, 80, 100, 100, 100, 60, 60, 60, 60)
    assert flows["speakerphone"].attempts == 1
    assert trainees == ["Li", "小王"]


def test_csv_export_has_every_attempt(data_dir, tmp_path):
    with ProgressStore() as store:
        fill(store)
        assert store.export_csv(tmp_path / "out.csv", "小王") == 11
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 11 and rows[0]["trainee"] == "小王" and rows[0]["score"] == "40"


def test_html_report_is_self_contained_with_svg_charts(data_dir, tmp_path):
    from callscript.training.progress_view import export_html

    with ProgressStore() as store:
        fill(store)
        export_html(store, tmp_path / "r.html", None, load_flows(), language="zh")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "http:" not in html and "https:" not in html and "<script" not in html and "<link" not in html
    svgs = [html[i:html.index("</svg>", i) + 6] for i in range(len(html)) if html.startswith("<svg", i)]
    assert len(svgs) == 5  # 小王: two situations + weakest steps; Li: one situation + weakest steps
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "无声电话" in html and "小王" in html and "silent_call" not in html  # titles, not ids
    assert '<html lang="zh-CN">' in html and "学习进度" in html


# -- migrations -------------------------------------------------------------------------------------


def make_v1(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0][2])
    db.execute("INSERT INTO trainees(name, created) VALUES ('老张', '2024-12-01')")
    db.execute("INSERT INTO attempts(trainee_id, at, flow, step, score, passed, answer, reasons)"
               " VALUES (1, '2024-12-02', 'silent_call', 'greet', 55, 0, '喂', '[\"wei_opening\"]')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_an_old_version_database_is_upgraded_and_keeps_its_data(data_dir):
    make_v1(data_dir / DB_NAME)
    with ProgressStore() as store:
        assert store.version == SCHEMA_VERSION
        (old,) = store.attempts("老张")
        assert (old.score, old.mode, old.waited, old.reasons) == (55, "typed", None, ("wei_opening",))
        store.record_attempt("老张", "silent_call", "greet", 90, True, mode="quiz", waited=5.0)
        assert [a.mode for a in store.attempts("老张")] == ["typed", "quiz"]
    db = sqlite3.connect(data_dir / DB_NAME)
    assert "attempts_by_step" in {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}


def test_migrations_are_ordered_and_reopening_applies_nothing(data_dir):
    assert [v for v, _, _ in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    with ProgressStore() as store:
        assert store.migrate() == []


def test_a_newer_database_is_refused_with_a_hint(data_dir):
    db = sqlite3.connect(data_dir / DB_NAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(CallscriptError, match="upgrade callscript"):
        ProgressStore()


def test_a_corrupt_database_is_a_user_error(data_dir):
    (data_dir / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CallscriptError, match="unreadable"):
        ProgressStore()


# -- two processes at once ----------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from callscript.training.progress import ProgressStore
    name, count = sys.argv[1], int(sys.argv[2])
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()  # start together
    store = ProgressStore()
    for i in range(count):
        store.record_attempt(name, "silent_call", "greet", i % 101, i % 2 == 0)
        if i % 10 == 0:
            store.weakest_steps(name)  # reads between writes, as a drill screen would
    store.close()
    print("done")
""")


def run_writers(data_dir: Path, names: list[str], count: int) -> None:
    env = {**__import__("os").environ, "CALLSCRIPT_DATA_DIR": str(data_dir)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, str(count)], env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name in names
    ]
    for proc in procs:
        assert proc.stdout.readline() == "ready\n"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"


def test_two_processes_creating_and_writing_at_once_lose_nothing(data_dir):
    """Both start on a missing database (both try to create and migrate it), then write 300 each."""
    run_writers(data_dir, ["甲", "乙"], 300)
    with ProgressStore() as store:
        assert store.version == SCHEMA_VERSION
        assert store.trainees() == ["乙", "甲"]
        assert len(store.attempts("甲")) == 300 and len(store.attempts("乙")) == 300
        assert sorted(a.score for a in store.attempts("甲")) == sorted(i % 101 for i in range(300))


def test_two_processes_upgrading_an_old_database_at_once_migrate_it_once(data_dir):
    make_v1(data_dir / DB_NAME)
    run_writers(data_dir, ["甲", "老张"], 50)
    with ProgressStore() as store:
        assert len(store.attempts("老张")) == 51 and len(store.attempts("甲")) == 50


# -- the command -----------------------------------------------------------------------------------------


def test_progress_command_lists_trainees_and_exports(data_dir, tmp_path, capsys):
    assert main(["progress", "--lang", "en"]) == 0
    assert "No drills" in capsys.readouterr().out
    assert not (data_dir / DB_NAME).exists()  # reading does not create a database
    with ProgressStore() as store:
        fill(store)
    assert main(["progress", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "小王" in out and "无声电话 · 对不起,您的电话没有声音…" in out and "silent_call" not in out
    assert main(["progress", "--trainee", "小王", "--csv", str(tmp_path / "a.csv"),
                 "--html", str(tmp_path / "a.html")]) == 0
    assert (tmp_path / "a.csv").exists() and (tmp_path / "a.html").exists()
    assert main(["progress", "--trainee", "小王", "--json"]) == 0
    data = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert data["trainees"]["小王"]["weakest_steps"][0]["step"] == "ask_call_again"
    assert main(["progress", "--trainee", "nobody"]) == 1
    assert "no progress recorded for 'nobody'" in capsys.readouterr().err


def test_exports_are_private_like_the_progress_database(data_dir, tmp_path):
    # Trainees' answers and scores: 0600 whatever the umask, and an existing 0644 file is tightened.
    from callscript.training.progress_view import export_html

    (tmp_path / "r.html").write_text("old")
    (tmp_path / "r.html").chmod(0o644)
    old = os.umask(0o022)
    try:
        with ProgressStore() as store:
            fill(store)
            store.export_csv(tmp_path / "out.csv")
            export_html(store, tmp_path / "r.html", None, load_flows(), language="zh")
    finally:
        os.umask(old)
    for name in ("out.csv", "r.html"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert (tmp_path / "out.csv").read_bytes().startswith("\ufefftrainee,at,".encode())
