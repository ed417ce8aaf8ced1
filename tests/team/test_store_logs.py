"""A call's log kept as one row (schema 3) on a real PostgreSQL server (``tests/support/postgres.py``):
logs with CRLF endings, blank lines and NULs, a call of several megabytes, and a store of schema
2 with records migrated into the calls' logs; each shipped, replayed and exported as an archive
whose records match those exported from the logs themselves; and the logs' compression, whichever
way they were shipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callscript.cli import main

psycopg = pytest.importorskip("psycopg")
duckdb = pytest.importorskip("duckdb")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False)


def a_call(agent: str, *middle: str, start: float = 0) -> list[str]:
    """A call's lines: call_started, ``middle``, call_ended."""
    return [record(type="call_started", t=start, mono=start + 1, flow="main_call", wall="2026-12-01T10:00:00+00:00",
                   variables={"agent": agent}),
            *middle,
            record(type="call_ended", t=start + 9, mono=start + 10, end="resolved", flow="main_call", duration=9,
                   wall="2026-12-01T10:00:09+00:00")]


def archived_records(archive: Path) -> list[tuple]:
    with duckdb.connect() as db:
        return db.execute(f"SELECT * EXCLUDE (day) FROM '{archive}/records/*/*.parquet' "
                          "ORDER BY call_id, seq").fetchall()


def ship_and_export(capsys, url: str, logs: Path, out: Path) -> None:
    assert run_cli(capsys, "store", "init", url)[0] == 0
    code, _, err = run_cli(capsys, "ship", str(logs), "--to", url)
    assert code == 0, err
    for source, archive in ((url, "from-store"), (str(logs), "from-logs")):
        code, _, err = run_cli(capsys, "export", source, "--parquet", str(out / archive))
        assert code == 0, err


def test_a_crlf_log_with_blank_lines_ships_replays_and_archives_as_its_records_without_the_cr(pg, tmp_path, capsys):
    """Written on Windows (CRLF), with blank lines, a CR inside a record (JSON whitespace) and a
    newline inside a text (escaped in its JSON line as \\n): the store keeps the good records'
    lines without their line ending, the replay writes them back as LF lines, and the archive
    from the store holds the records the archive from the logs holds."""
    from callscript.team.fetch import fetch_call

    logs = tmp_path / "logs"
    logs.mkdir()
    good = a_call("A1", record(type="step_entered", t=1, mono=2, flow="main_call", step="greet", say="hi\nthere"),
                  '{"type": "note",\r "t": 2, "text": "a CR between fields"}', '{"type": "note", "t": 3, "say": null}')
    (logs / "crlf.jsonl").write_bytes(("\r\n".join([good[0], "", good[1], "   \r", good[2], "not json", *good[3:]])
                                       + "\r\n").encode("utf-8"))
    url = pg.url(db=pg.db)
    ship_and_export(capsys, url, logs, tmp_path)
    with psycopg.connect(url) as conn:
        (call_id, records, bad, lines), = conn.execute(
            "SELECT call_id, records, bad_lines, lines FROM callscript.calls JOIN callscript.call_logs USING (agent, call_id)")
    assert (records, bad, lines) == (len(good), 1, "\n".join(good))
    fetched = fetch_call(url, f"{call_id:016x}", tmp_path)
    assert fetched.read_bytes().decode("utf-8") == "".join(line + "\n" for line in good)
    rows = archived_records(tmp_path / "from-store")
    assert rows == archived_records(tmp_path / "from-logs")
    assert [(seq, kind, step, has_say, line) for _, _, seq, kind, _, _, _, _, step, has_say, *_, line in rows] == [
        (1, "call_started", None, False, good[0]), (2, "step_entered", "greet", True, good[1]),
        (3, "note", None, False, good[2]), (4, "note", None, False, good[3]), (5, "call_ended", None, False, good[4])]


def test_a_nul_in_a_record_s_text_is_u_fffd_in_the_archive_s_records_as_in_its_calls(pg, tmp_path, capsys):
    """A log may hold a NUL written as \\u0000 (the reader takes it). The store's and the archive's
    texts show U+FFFD for it, the records' fields as the call's (a NUL in a Parquet text would
    not match the call's own text); the record's line keeps what was written."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [
        '{"type": "call_started", "t": 0, "mono": 1, "flow": "main_call", "variables": {"agent": "A\\u0000B"}}',
        '{"type": "step_entered", "t": 1, "mono": 2, "flow": "main_call", "step": "gr\\u0000eet", "source": "a\\u0000"}',
        '{"type": "call_ended", "t": 2, "mono": 3, "end": "resolved", "flow": "main\\u0000call", "duration": 2}']
    (logs / "nul.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    ship_and_export(capsys, pg.url(db=pg.db), logs, tmp_path)
    for archive in ("from-store", "from-logs"):
        with duckdb.connect() as db:
            call = db.execute(f"SELECT agent, end_flow FROM '{tmp_path / archive}/calls/*/*.parquet'").fetchall()
        rows = archived_records(tmp_path / archive)
        assert call == [("A\ufffdB", "main\ufffdcall")], archive
        assert [(agent, flow, step, source, line) for _, agent, _, _, _, _, _, flow, step, _, _, source, *_, line
                in rows] == [("A\ufffdB", "main_call", None, None, lines[0]),
                             ("A\ufffdB", "main_call", "gr\ufffdeet", "a\ufffd", lines[1]),
                             ("A\ufffdB", "main\ufffdcall", None, None, lines[2])], archive


def test_a_call_of_megabytes_exports_from_the_store_as_from_its_logs(pg, tmp_path, capsys):
    """A call's lines are one text in the store, so one CSV row when the store is exported: a
    call of several megabytes (lines of up to 1 MiB each, many of them quotes, which CSV doubles)
    reads back whole."""
    logs = tmp_path / "logs"
    logs.mkdir()
    big = '"' * 300_000
    (logs / "big.jsonl").write_text("".join(line + "\n" for line in a_call(
        "A2", *(record(type="note", t=n, text=big) for n in range(1, 7)))), encoding="utf-8")
    ship_and_export(capsys, pg.url(db=pg.db), logs, tmp_path)
    rows = archived_records(tmp_path / "from-store")
    assert rows == archived_records(tmp_path / "from-logs")
    assert [kind for _, _, _, kind, *_ in rows] == ["call_started", *["note"] * 6, "call_ended"]
    assert all(json.loads(row[-1]).get("text", big) == big for row in rows)


def test_store_init_migrates_a_schema_2_store_gathering_each_call_s_records_in_their_order(pg, tmp_path, capsys):
    """Version 2 kept a row per record, numbered by its line in the log (gaps where lines were
    skipped, in any order on disk). ``store init`` gathers each call's lines in that order into
    one row with the call's agent (the replay and row-level security read it by agent), a call
    whose records are missing gets none, and the report, the replay and the archive read the
    migrated calls. An empty store of version 2 migrates too."""
    from callscript.team import store
    from callscript.team.fetch import fetch_call

    empty, url = pg.url(db=pg.create_database("empty2")), pg.url(db=pg.db)
    for address in (empty, url):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(store, "SCHEMA_VERSION", 2)
            assert store.init_store(address) == (0, 2)
    calls = {11: ("A1", a_call("A1", record(type="note", t=1, text="x\\ny"))),
             12: ("A2", a_call("A2", *(record(type="note", t=n, text=f"n{n}") for n in range(1, 12)), start=3)),
             13: ("A1", [])}  # its records were lost
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for call_id, (agent, lines) in calls.items():
            cur.execute("INSERT INTO callscript.calls (call_id, agent, log_id, log_name, started, day, outcome, records, "
                        "live, situations) VALUES (%s, %s, %s, %s, '2026-12-01T10:00:00Z', '2026-12-01', 'resolved', "
                        "%s, false, 0)", (call_id, agent, call_id, f"{call_id}.jsonl", len(lines)))
            numbered = [(3 * n + 2, line) for n, line in enumerate(lines)]  # line numbers, with gaps
            for seq, line in reversed(numbered):
                cur.execute("INSERT INTO callscript.records (call_id, agent, seq, type, line) VALUES (%s, %s, %s, %s, %s)",
                            (call_id, agent, seq, json.loads(line)["type"], line))
    assert store.init_store(empty) == (2, 3)
    assert store.init_store(url) == (2, 3)
    assert store.init_store(url) == (3, 3)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('callscript.records')").fetchone() == (None,)
        kept = {call_id: (agent, lines.split("\n")) for call_id, agent, lines in conn.execute(
            "SELECT call_id, agent, lines FROM callscript.call_logs")}
    assert kept == {call_id: its for call_id, its in calls.items() if its[1]}
    with psycopg.connect(empty) as conn:
        assert conn.execute("SELECT count(*) FROM callscript.call_logs").fetchone() == (0,)
    fetched = fetch_call(url, f"{12:016x}", tmp_path)
    assert fetched.read_text(encoding="utf-8") == "".join(line + "\n" for line in calls[12][1])
    code, out, _ = run_cli(capsys, "report", url, "--json")
    assert code == 0 and json.loads(out)["overall"]["calls"] == 3
    code, _, err = run_cli(capsys, "export", url, "--parquet", str(tmp_path / "archive"))
    assert code == 0, err
    rows = archived_records(tmp_path / "archive")
    assert [(call_id, seq, line) for call_id, _, seq, *_, line in rows] == [
        (call_id, n, line) for call_id, (_, lines) in calls.items() for n, line in enumerate(lines, start=1)]


def test_calls_logs_shipped_through_the_staging_table_are_compressed_with_lz4_too(pg, tmp_path, capsys):
    """An agent's login (the app's outbox) cannot COPY into a table under row-level security, and
    a batch of which some calls were in the store already goes the same way: through a temporary
    table. The logs that arrive that way are compressed as the column says (lz4 on a server built
    with it, as Debian's is), not with the session's default pglz, several times slower."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for n, agent in enumerate(("A1", "A1", "A2")):
        note = record(type="note", t=1, text=f"{agent} call {n} " + "words of the call " * 300)
        (logs / f"{n}.jsonl").write_text("".join(line + "\n" for line in a_call(agent, note, start=n)), encoding="utf-8")
    url = pg.url(db=pg.db)
    assert run_cli(capsys, "store", "init", url)[0] == 0
    assert run_cli(capsys, "store", "agent", url, "zhao", "A1")[0] == 0
    pg.set_password("zhao", "zhao-pw")
    assert run_cli(capsys, "ship", str(logs / "0.jsonl"), "--to", url)[0] == 0  # straight into the table
    assert run_cli(capsys, "ship", str(logs / "1.jsonl"), "--to", pg.url("zhao", pg.db))[0] == 0  # an agent's
    assert run_cli(capsys, "ship", str(logs), "--to", url)[0] == 0  # a batch with calls already there
    with psycopg.connect(url) as conn:
        try:
            conn.execute("SET default_toast_compression = lz4")
            method = "lz4"
        except psycopg.errors.Error:
            conn.rollback()
            method = "pglz"
        kept = conn.execute("SELECT log_name, pg_column_compression(lines) FROM callscript.calls "
                            "JOIN callscript.call_logs USING (agent, call_id) ORDER BY log_name").fetchall()
    assert kept == [("0.jsonl", method), ("1.jsonl", method), ("2.jsonl", method)]
