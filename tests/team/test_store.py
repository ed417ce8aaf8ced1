"""The team store on a real PostgreSQL server (``tests/support/postgres.py``): schema and roles,
shipping, and the report from folders, the store and a Parquet archive, field for field."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

import pytest

from callscript.cli import main
from callscript.flow.library import load_flows
from callscript.team.store import SCHEMA_VERSION
from callscript.training.report import build_report
from callscript.training.synthetic import generate_logs

psycopg = pytest.importorskip("psycopg")
duckdb = pytest.importorskip("duckdb")


@cache
def flows():
    return load_flows()


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    """120 calls by 4 agents, and the bad input a team's folders collect: a record line cut in the
    middle of a log, a JSON line without a type, a log torn by a kill, a file that is not UTF-8, an
    empty file and a file with no call in it (the report counts all of them: 7 lines skipped, the
    3 in the middle of the first log, the torn one, the latin-1 one, and the 2 of the file with no
    call, whose note has no time)."""
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
    assert code == 0 and f"created the callscript schema (version {SCHEMA_VERSION})" in out
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT version, installed_at FROM callscript.schema_version").fetchall()
    code, out, _ = run_cli(capsys, "store", "init", url)
    assert code == 0 and f"schema version {SCHEMA_VERSION} already; nothing changed" in out
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version, installed_at FROM callscript.schema_version").fetchall() == before


def test_ship_report_parity_folders_store_archive(pg, logs, tmp_path, capsys):
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    code, out, err = run_cli(capsys, "ship", str(logs), "--to", url)
    assert code == 0, err
    assert out == "shipped 120 new calls from 123 log files; 8 unreadable lines skipped\n"
    code, out, _ = run_cli(capsys, "ship", str(logs), "--to", url)
    assert out == "shipped 0 new calls from 123 log files; 120 were in the store already; 8 unreadable lines skipped\n"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT call_id) FROM callscript.calls").fetchone() == (120, 120)
        # One row per call holds its log, every good record's line in order.
        stored = conn.execute("SELECT count(*), sum(records), "
                              "sum(array_length(string_to_array(lines, E'\\n'), 1)) "
                              "FROM callscript.calls JOIN callscript.call_logs USING (agent, call_id)").fetchone()
    folders = build_report([logs], flows()).as_dict()
    assert folders["overall"]["calls"] == 120
    # The bad lines written above, and one call of the generated 120 that was killed mid-write.
    assert (folders["files"], folders["bad_lines"], folders["unreadable_files"]) == (123, 8, 0)
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
    assert stored[0] == 120 and stored[1] == stored[2] > 120
    with duckdb.connect() as db:  # the archives hold the same records, one row each, from logs or store
        counts = {archive: db.execute(f"SELECT count(*), count(DISTINCT call_id), count(*) FILTER (WHERE type IS NULL) "
                                      f"FROM '{tmp_path / archive}/records/*/*.parquet'").fetchone()
                  for archive in ("from-store", "from-logs")}
    assert counts == {"from-store": (stored[1], 120, 0), "from-logs": (stored[1], 120, 0)}
    with duckdb.connect() as db:  # ... field for field
        store, folders = (f"SELECT * FROM '{tmp_path / archive}/records/*/*.parquet'" for archive in ("from-store", "from-logs"))
        assert db.execute(f"SELECT count(*) FROM (({store}) EXCEPT ALL ({folders}))").fetchone() == (0,)
        assert db.execute(f"SELECT count(*) FROM (({folders}) EXCEPT ALL ({store}))").fetchone() == (0,)


def agent_login(pg, url: str, capsys, role: str, agent: str) -> str:
    """A login for ``agent`` with its password in the pgpass file, as an agent's PC has it."""
    assert run_cli(capsys, "store", "agent", url, role, agent)[0] == 0
    pg.set_password(role, f"{role}-pw")
    return pg.url(role, pg.db)


def test_agent_ships_only_its_own_calls_and_can_read_or_delete_nothing(pg, logs, tmp_path, capsys):
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    wang = agent_login(pg, url, capsys, "wang", "A001")
    code, out, err = run_cli(capsys, "ship", str(logs), "--to", wang)
    assert code == 1
    assert err.startswith("error: this login ships only its own agent's calls; left out the calls of A002 (")
    with psycopg.connect(url) as conn:
        agents = conn.execute("SELECT DISTINCT agent FROM callscript.calls").fetchall()
        strays = conn.execute("SELECT DISTINCT agent FROM callscript.strays").fetchall()
        # Each call shipped through row-level security has its log, every good record's line.
        shipped = conn.execute("SELECT count(*), count(l.call_id), sum(c.records), "
                               "sum(array_length(string_to_array(l.lines, E'\\n'), 1)) FROM callscript.calls c "
                               "LEFT JOIN callscript.call_logs l USING (agent, call_id)").fetchone()
    assert agents == [("A001",)] and strays == [("A001",)]
    assert shipped[0] == shipped[1] > 0 and shipped[2] == shipped[3] > shipped[0]
    with psycopg.connect(wang) as conn:
        for statement in ("SELECT count(*) FROM callscript.calls", "SELECT lines FROM callscript.call_logs LIMIT 1",
                          "DELETE FROM callscript.calls", "UPDATE callscript.calls SET outcome = 'resolved'",
                          "TRUNCATE callscript.call_logs"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
        # Inserting by hand under another agent id: row-level security refuses the row.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO callscript.calls (call_id, agent, log_id, log_name, outcome, records) "
                         "VALUES (1, 'A002', 1, 'x.jsonl', 'resolved', 1)")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO callscript.call_logs (call_id, agent, lines) VALUES (1, 'A002', '{}')")
    for argv in (("report", wang, "--json"), ("export", wang, "--parquet", str(tmp_path / "archive"))):
        code, _, err = run_cli(capsys, *argv)
        assert code == 1 and err.count("\n") == 1, err
        assert "may not read the store" in err and "trainer" in err


def test_trainer_reads_everything_and_changes_nothing(pg, logs, capsys):
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    run_cli(capsys, "ship", str(logs), "--to", url)
    assert run_cli(capsys, "store", "trainer", url, "li")[0] == 0
    pg.set_password("li", "li-pw")
    li = pg.url("li", pg.db)
    code, out, _ = run_cli(capsys, "report", li, "--json")
    assert code == 0 and json.loads(out)["overall"]["calls"] == 120
    with psycopg.connect(li) as conn:
        for statement in ("DELETE FROM callscript.calls", "UPDATE callscript.call_logs SET lines = ''",
                          "INSERT INTO callscript.strays (log_id, agent, log_name, bad_lines, unreadable) "
                          "VALUES (1, 'x', 'x', 0, false)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
    code, out, err = run_cli(capsys, "ship", str(logs), "--to", li)
    assert code == 1 and err == (f"error: the login li may not add calls to the store at li@127.0.0.1:{pg.port}/"
                                 f"{pg.db}: ship with an agent's login (callscript store agent) or the owner's; "
                                 "a trainer's login only reads\n")


def test_wrong_password_unknown_host_and_sslmode_are_one_line_each(pg, logs, capsys):
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    run_cli(capsys, "store", "agent", url, "zhao", "A003")
    pg.set_password("zhao", "right-pw", in_passfile=False)
    with open(pg.passfile, "a") as passfile:
        passfile.write(f"127.0.0.1:{pg.port}:*:zhao:wrong-pw\n")
    code, out, err = run_cli(capsys, "ship", str(logs), "--to", pg.url("zhao", pg.db))
    assert (code, out) == (1, "")
    assert err == (f"error: the store at 127.0.0.1:{pg.port} refused the password of user zhao; put the right one "
                   "in ~/.pgpass (mode 0600), PGPASSFILE or PGPASSWORD\n")
    assert "wrong-pw" not in err and "right-pw" not in err
    code, _, err = run_cli(capsys, "ship", str(logs), "--to", pg.url("sun", pg.db))  # no pgpass line for sun
    assert code == 1 and err == (f"error: no password found for user sun of the store at 127.0.0.1:{pg.port}/{pg.db}: "
                                 f"put a line 127.0.0.1:{pg.port}:{pg.db}:sun:PASSWORD in ~/.pgpass (mode 0600: "
                                 "libpq skips a file others may read), PGPASSFILE, or set PGPASSWORD\n")
    code, _, err = run_cli(capsys, "ship", str(logs), "--to", "postgresql://zhao@no-such-host.invalid/team")
    assert code == 1 and err == ("error: cannot find the store's host no-such-host.invalid; check the address in "
                                 "the settings or the command\n")
    code, _, err = run_cli(capsys, "ship", str(logs), "--to", url + "?sslmode=require")
    assert code == 1 and err.count("\n") == 1 and "secure connection" in err
    code, _, err = run_cli(capsys, "ship", str(logs), "--to", f"postgresql://zhao:s3cret@127.0.0.1:{pg.port}/x")
    assert code == 1 and "holds a password" in err and "s3cret" not in err


def test_a_store_of_another_schema_version_names_the_version_to_install(pg, logs, capsys):
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO callscript.schema_version (version, release) VALUES (%s, '9.9.0')",
                     (SCHEMA_VERSION + 1,))
    code, _, err = run_cli(capsys, "ship", str(logs), "--to", url)
    assert code == 1 and err.count("\n") == 1
    # The release that installed the newer version is named: this callscript cannot know it otherwise.
    assert (f"has schema version {SCHEMA_VERSION + 1} and this callscript knows version {SCHEMA_VERSION}: "
            "install callscript 9.9.0 or newer (pip install -U 'callscript[team]')") in err
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM callscript.schema_version")
    code, _, err = run_cli(capsys, "report", url)
    assert code == 1 and f"has schema version 0 and this callscript needs version {SCHEMA_VERSION}" in err


def test_server_stopped_before_and_killed_during_a_ship_loses_nothing_and_repeats_nothing(pg, logs, monkeypatch, capsys):
    from callscript.team import ship

    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    pg.stop()
    try:
        code, _, err = run_cli(capsys, "ship", str(logs), "--to", url)
    finally:
        pg.resume()
    assert code == 1 and err == f"error: the store at 127.0.0.1:{pg.port} is not answering; is its PostgreSQL server running?\n"

    # Batches of 40 files; the server dies (immediate stop, as a crash) inside the second batch's
    # transaction, after its calls' logs were copied and before the commit.
    monkeypatch.setattr(ship, "BATCH_FILES", 40)
    copies = []
    original = ship.Shipper._copy

    def copy_then_die(cur, table, names, path):
        original(cur, table, names, path)
        copies.append(table)
        if table == "callscript.call_logs" and copies.count(table) == 2:
            pg.stop("immediate")

    monkeypatch.setattr(ship.Shipper, "_copy", staticmethod(copy_then_die))
    try:
        code, _, err = run_cli(capsys, "ship", str(logs), "--to", url)
    finally:
        pg.resume()
    assert code == 1 and err.count("\n") == 1
    first = re.fullmatch(rf"error: the store at 127.0.0.1:{pg.port} went away \((\d+) new calls were shipped before "
                         r"that; ship again later: nothing is sent twice\)\n", err)
    assert first, err
    first = int(first[1])  # the first batch's calls (its 40 files include logs with no call)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM callscript.calls").fetchone()[0] == first
    monkeypatch.setattr(ship.Shipper, "_copy", staticmethod(original))
    code, out, _ = run_cli(capsys, "ship", str(logs), "--to", url)
    assert code == 0 and out.startswith(f"shipped {120 - first} new calls from 123 log files; {first} were in the store already")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT call_id) FROM callscript.calls").fetchone() == (120, 120)
        shipped = conn.execute("SELECT sum(records) FROM callscript.calls").fetchone()[0]
        assert conn.execute("SELECT sum(array_length(string_to_array(lines, E'\\n'), 1)) "
                            "FROM callscript.call_logs").fetchone()[0] == shipped
    code, out, _ = run_cli(capsys, "report", url, "--json")
    assert json.loads(out) == build_report([logs], flows()).as_dict()


def test_a_call_being_written_waits_and_one_a_crash_left_ships_once_as_incomplete(pg, tmp_path, capsys):
    """An agent's app is in a call (a real process writing a real log), then is killed mid-call."""
    import signal
    import subprocess
    import sys

    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    writer = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.flow.library import load_flows
from callscript.session.log import SessionLog
clock = ManualClock()
log = SessionLog.create({str(tmp_path)!r}, "main_call")
engine = CallEngine(load_flows(), "main_call", clock, variables={{"agent": "A009"}}, listeners=[log])
engine.start()
clock.advance(2)
print("in the call", flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert writer.stdout.readline() == "in the call\n"
        code, out, _ = run_cli(capsys, "ship", str(tmp_path), "--to", url)
        assert out == "shipped 0 new calls from 1 log files; 1 still being written (they go next time)\n"
    finally:
        writer.send_signal(signal.SIGKILL)  # the app dies: its lock goes, the call never ends
        writer.wait()
    code, out, _ = run_cli(capsys, "ship", str(tmp_path), "--to", url)
    assert out == "shipped 1 new calls from 1 log files\n"
    code, out, _ = run_cli(capsys, "ship", str(tmp_path), "--to", url)
    assert out == "shipped 0 new calls from 1 log files; 1 were in the store already\n"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT agent, outcome FROM callscript.calls").fetchall() == [("A009", "incomplete")]


def test_a_trainer_lists_calls_by_agent_and_day_and_replays_one_made_on_another_pc(pg, logs, tmp_path, capsys):
    from callscript.app.replay import load_replay
    from callscript.team.fetch import fetch_call

    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    run_cli(capsys, "ship", str(logs), "--to", url)
    code, out, _ = run_cli(capsys, "store", "calls", url, "--agent", "A003", "--limit", "500")
    rows = out.splitlines()
    assert code == 0 and rows and all(row.split()[3] == "A003" for row in rows)
    assert len(rows) == sum(1 for p in (logs / "A003").glob("*.jsonl"))
    newest = rows[0].split()
    day = newest[1]
    code, out, _ = run_cli(capsys, "store", "calls", url, "--day", day, "--limit", "500")
    assert out.splitlines() and all(row.split()[1] == day for row in out.splitlines())
    # The call's log comes back line for line (0600), and the replay screen's loader reads it.
    fetched = fetch_call(url, newest[0][:8], tmp_path)
    assert fetched.stat().st_mode & 0o777 == 0o600
    original = next(p for p in (logs / "A003").glob("*.jsonl") if p.stem == fetched.stem.rsplit("-", 1)[0])
    assert fetched.read_text(encoding="utf-8") == original.read_text(encoding="utf-8")
    replay = load_replay(fetched, flows())
    assert replay.calls and replay.timeline.flow == "main_call"
    code, _, err = run_cli(capsys, "replay", url, "0123456789abcdef")
    assert code == 1 and "has no call 0123456789abcdef" in err


def test_a_report_over_folders_in_bounded_memory_is_the_report_over_all_of_them(logs, monkeypatch):
    """``callscript report`` over folders adds up in a DuckDB that spills, handing it ``derive``'s
    rows a few calls at a time (here 7): the same report as all rows at once."""
    from callscript.team.source import report_from_folders
    from callscript.training.report import DerivedRows

    whole = build_report([logs], flows()).as_dict()
    monkeypatch.setattr(DerivedRows, "FLUSH_CALLS", 7)
    assert report_from_folders([logs], flows()).as_dict() == whole


STORE_V1 = Path(__file__).parent / "data" / "store-v1"


def logs_key(url: str) -> list[str]:
    """The columns of the calls' logs' primary key, in order."""
    with psycopg.connect(url) as conn:
        return [name for name, in conn.execute(
            "SELECT a.attname FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = 'callscript.call_logs'::regclass AND i.indisprimary ORDER BY k.n")]


def test_a_new_store_keeps_a_row_per_call_keyed_by_agent_first(pg, capsys):
    """A row per call holds its log (not one per record: some 60 index entries a call made shipping
    slow down as a month's store outgrew the server's cache, benchmarks/team.py). Call ids are
    hashes (random order): led by the agent, what one PC ships lands in one part of the index."""
    url = pg.url(db=pg.db)
    assert run_cli(capsys, "store", "init", url)[0] == 0
    assert logs_key(url) == ["agent", "call_id"]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('callscript.records')").fetchone() == (None,)
        try:  # a server built with lz4 (Debian's is) compresses the calls' logs with it
            conn.execute("SET default_toast_compression = lz4")
            lz4 = True
        except psycopg.errors.Error:
            conn.rollback()
            lz4 = False
        method = conn.execute("SELECT attcompression FROM pg_attribute WHERE attrelid = 'callscript.call_logs'::regclass "
                              "AND attname = 'lines'").fetchone()[0]
    assert method == ("l" if lz4 else "")


def test_store_init_migrates_a_schema_1_store_deriving_each_call_again_from_its_records(pg, tmp_path, capsys):
    """``tests/team/data/store-v1`` holds the tables of a store made by the schema-1 callscript
    (40 generated calls shipped by it, one with a torn line). ``store init`` migrates it: every call
    is derived again from its stored records' lines (a few calls at a time, here 7), the report's
    visits of version 1 go, and the store's report is the report over the same calls' logs."""
    import gzip

    from callscript.team import store

    url = pg.url(db=pg.db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "SCHEMA_VERSION", 1)
        assert store.init_store(url) == (0, 1)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table in ("calls", "records", "visits", "situations", "strays"):
            columns = (STORE_V1 / f"{table}.columns").read_text().strip()
            with cur.copy(f"COPY callscript.{table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(gzip.decompress((STORE_V1 / f"{table}.csv.gz").read_bytes()))
        lines = cur.execute("SELECT c.log_id, r.call_id, r.line FROM callscript.records r JOIN callscript.calls c "
                            "USING (call_id) ORDER BY c.log_id, r.seq").fetchall()
    logs = tmp_path / "logs"
    logs.mkdir()
    calls: dict[int, list[str]] = {}
    for log_id, call_id, line in lines:  # the calls' logs again, from their stored lines
        calls.setdefault(call_id, []).append(line)
        with open(logs / f"{log_id}.jsonl", "a", encoding="utf-8") as log:
            log.write(line + "\n")
    code, _, err = run_cli(capsys, "report", url)  # this callscript before the owner migrates
    assert code == 1 and err.count("\n") == 1
    assert (f"has schema version 1 and this callscript needs version {SCHEMA_VERSION}: its owner runs callscript "
            "store init URL to migrate it") in err
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "MIGRATE_BATCH", 7)
        code, out, err = run_cli(capsys, "store", "init", url)
    assert code == 0, err
    assert out.startswith("migrated the store at ") and out.endswith(f"from schema version 1 to {SCHEMA_VERSION}\n")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('callscript.visits')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) > 0 FROM callscript.waits").fetchone() == (True,)
    assert logs_key(url) == ["agent", "call_id"]  # a row per call, as a new store's
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('callscript.records')").fetchone() == (None,)
        # Each call's records, gathered from version 1's rows into one text in their order.
        again = dict(conn.execute("SELECT call_id, lines FROM callscript.call_logs").fetchall())
    assert again == {call_id: "\n".join(its) for call_id, its in calls.items()} and len(again) == 40
    code, out, _ = run_cli(capsys, "report", url, "--json")
    assert code == 0
    migrated, folders = json.loads(out), build_report([logs], flows()).as_dict()
    assert (migrated.pop("bad_lines"), folders.pop("bad_lines")) == (1, 0)  # the torn line stayed in its log
    assert migrated == folders
    assert folders["overall"]["calls"] == 40 and folders["overall"]["steps_left"] > 0
    code, out, _ = run_cli(capsys, "store", "init", url)
    assert code == 0 and "nothing changed" in out


def test_a_nul_written_in_a_log_ships_as_a_replacement_character_not_a_traceback(pg, tmp_path, capsys):
    """PostgreSQL text cannot hold a NUL, which a log may hold written as \\u0000 (the reader takes
    it): the stored texts show U+FFFD instead, the record's line keeps what was written."""
    (tmp_path / "nul.jsonl").write_text(
        '{"type": "call_started", "t": 0, "mono": 1, "flow": "main_call", "variables": {"agent": "A\\u0000B"}}\n'
        '{"type": "call_ended", "t": 1, "mono": 2, "end": "resolved", "flow": "main\\u0000call", "duration": 1}\n',
        encoding="utf-8")
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    code, out, err = run_cli(capsys, "ship", str(tmp_path), "--to", url)
    assert (code, out) == (0, "shipped 1 new calls from 1 log files\n"), err
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT agent, end_flow FROM callscript.calls").fetchone() == ("A\ufffdB", "main\ufffdcall")
        lines, = conn.execute("SELECT lines FROM callscript.call_logs").fetchone()
    assert lines + "\n" == (tmp_path / "nul.jsonl").read_text(encoding="utf-8")
    # The report over the folder shows the NUL as the store does: the same report, field for field.
    reports = []
    for source in (str(tmp_path), url):
        code, out, err = run_cli(capsys, "report", source, "--json")
        assert code == 0, err
        reports.append(json.loads(out))
    assert reports[0] == reports[1] and reports[0]["agents"][0]["agent"] == "A\ufffdB"


def test_an_archive_of_an_older_format_is_one_line_saying_to_export_again(logs, tmp_path, capsys):
    """An archive written before the calls kept derive's rows (format 1: the report's visits) is
    refused with one line, not read into a wrong report."""
    archive = tmp_path / "archive"
    code, out, _ = run_cli(capsys, "export", str(logs), "--parquet", str(archive))
    assert code == 0
    mark = archive / "callscript-archive.json"
    mark.write_text(mark.read_text(encoding="utf-8").replace('"format": 2', '"format": 1'), encoding="utf-8")
    code, out, err = run_cli(capsys, "report", str(archive), "--json")
    assert code == 1 and out == "" and err.startswith(f"error: the archive {archive} is of format 1 and this "
                                                      "callscript reads format 2")
    assert "export the calls again" in err
