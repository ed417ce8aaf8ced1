"""The team store on a real PostgreSQL server (``tests/support/postgres.py``): schema and roles,
shipping, and the report from folders, the store and a Parquet archive, field for field."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from callscript.cli import main
from callscript.flow.library import load_flows
from callscript.training.report import build_report
from callscript.training.synthetic import generate_logs

psycopg = pytest.importorskip("psycopg")


@cache
def flows():
    return load_flows()


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    """120 calls by 4 agents, and the bad input a team's folders collect: a record line cut in the
    middle of a log, a JSON line without a type, a log torn by a kill, a file that is not UTF-8, an
    empty file and a file with no call in it (the report counts all of them)."""
    out = tmp_path_factory.mktemp("logs")
    paths = sorted(generate_logs(out, 120, seed=5, agents=4, flows=flows()))
    lines = paths[0].read_text(encoding="utf-8").splitlines(keepends=True)
    paths[0].write_text("".join(lines[:3] + ['{"type": "event", "t": 1\n', '["not", "a record"]\n', '{"t": 2}\n']
                                + lines[3:]), encoding="utf-8")
    with open(paths[1], "a", encoding="utf-8") as torn:
        torn.write('{"type": "said", "t"')
    (out / "A001" / "latin1.jsonl").write_bytes('{"type": "note", "text": "caf\xe9"}\n'.encode("latin-1"))
    (out / "A001" / "empty.jsonl").write_bytes(b"")
    (out / "A002" / "nocall.jsonl").write_text('{"type": "note", "text": "x"}\nnot json\n', encoding="utf-8")
    return out


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_store_init_twice_changes_nothing_the_second_time(pg, capsys):
    url = pg.url(db=pg.db)
    code, out, _ = run_cli(capsys, "store", "init", url)
    assert code == 0 and "created the callscript schema (version 1)" in out
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT version, installed_at FROM callscript.schema_version").fetchall()
    code, out, _ = run_cli(capsys, "store", "init", url)
    assert code == 0 and "schema version 1 already; nothing changed" in out
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version, installed_at FROM callscript.schema_version").fetchall() == before


def test_ship_report_parity_folders_store_archive(pg, logs, tmp_path, capsys):
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    code, out, err = run_cli(capsys, "ship", str(logs), "--to", url)
    assert code == 0, err
    assert out == "shipped 120 new calls from 123 log files; 5 unreadable lines skipped\n"
    code, out, _ = run_cli(capsys, "ship", str(logs), "--to", url)
    assert out == "shipped 0 new calls from 123 log files; 120 were in the store already; 5 unreadable lines skipped\n"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT call_id) FROM callscript.calls").fetchone() == (120, 120)
        records = conn.execute("SELECT count(*) FROM callscript.records").fetchone()[0]
    folders = build_report([logs], flows()).as_dict()
    assert folders["overall"]["calls"] == 120
    assert (folders["files"], folders["bad_lines"], folders["unreadable_files"]) == (123, 5, 1)
    code, out, _ = run_cli(capsys, "report", url, "--json")
    assert code == 0
    assert json.loads(out) == folders
    code, out, _ = run_cli(capsys, "export", url, "--parquet", str(tmp_path / "from-store"))
    assert code == 0 and out.startswith("wrote 120 calls")
    code, out, _ = run_cli(capsys, "export", str(logs), "--parquet", str(tmp_path / "from-logs"))
    assert code == 0 and out.startswith("wrote 120 calls")
    for archive in ("from-store", "from-logs"):
        code, out, _ = run_cli(capsys, "report", str(tmp_path / archive), "--json")
        assert code == 0
        assert json.loads(out) == folders, archive
    assert records > 120
