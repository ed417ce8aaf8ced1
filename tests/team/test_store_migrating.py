"""``store init`` migrating a store while others write to it, on a real PostgreSQL server: an
agent's PC still on the previous callscript shipping a batch, or a second owner running
``store init`` at the same time. Neither may lose a call's log or end in a traceback."""

from __future__ import annotations

import threading
import time

import pytest

from callscript.cli import main
from callscript.team import store

psycopg = pytest.importorskip("psycopg")


def _schema_2_store(url: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "SCHEMA_VERSION", 2)
        assert store.init_store(url) == (0, 2)


def _waits_for_a_lock(url: str, timeout: float = 20.0) -> bool:
    """True once another connection (``store init``) waits for a lock in the database."""
    with psycopg.connect(url, autocommit=True) as watch:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND application_name = 'callscript' AND wait_event_type = 'Lock'").fetchone()[0]
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_a_batch_an_older_callscript_ships_while_the_store_migrates_keeps_its_log(pg, capsys):
    """A PC on callscript 0.2.0 (schema 2) is in the middle of shipping a batch, in its transaction,
    when the owner runs ``store init``: the migration waits for the batch, then gathers its records
    too (it used to gather the records committed before it started, then drop the table under the
    batch: the batch's calls stayed in the store without their logs, and shipping again skipped
    them as already there)."""
    url = pg.url(db=pg.db)
    _schema_2_store(url)
    lines = ['{"type": "call_started", "t": 0.0, "variables": {"agent": "A001"}}',
             '{"type": "call_ended", "t": 5.0, "outcome": "resolved"}']
    shipper = psycopg.connect(url)  # what 0.2.0's ship does in one batch's transaction
    shipper.execute("INSERT INTO callscript.calls (call_id, agent, log_id, log_name, outcome, records, live, "
                    "situations) VALUES (7, 'A001', 7, 'a.jsonl', 'resolved', 2, false, 0)")
    for seq, line in enumerate(lines, start=1):
        shipper.execute("INSERT INTO callscript.records (call_id, agent, seq, line) VALUES (7, 'A001', %s, %s)",
                        (seq, line))
    done: list[int] = []
    init = threading.Thread(target=lambda: done.append(main(["store", "init", url])))
    init.start()
    try:
        assert _waits_for_a_lock(url)
    finally:
        shipper.commit()
        shipper.close()
        init.join(60)
    assert done == [0], capsys.readouterr().err
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT call_id, lines FROM callscript.call_logs").fetchall() == [(7, "\n".join(lines))]


def test_two_owners_running_store_init_at_once_migrate_once(pg, capsys):
    """The second ``store init`` waits for the first and then finds nothing to do (it used to run
    the migration again on top of the first's and end in a traceback)."""
    url = pg.url(db=pg.db)
    _schema_2_store(url)
    first = psycopg.connect(url)  # the first owner's migration, holding the store as it runs
    first.execute("LOCK TABLE callscript.schema_version IN EXCLUSIVE MODE")
    done: list[int] = []
    second = threading.Thread(target=lambda: done.append(main(["store", "init", url])))
    second.start()
    try:
        assert _waits_for_a_lock(url)
        with pytest.MonkeyPatch.context() as patch:  # the first finishes version 3 meanwhile
            patch.setattr(store, "SCHEMA_VERSION", 3)
            cur = first.cursor()
            cur.execute(store.MIGRATIONS[3])
            cur.execute("INSERT INTO callscript.schema_version (version, release) VALUES (3, '0.3.0')")
    finally:
        first.commit()
        first.close()
        second.join(60)
    out, err = capsys.readouterr()
    assert done == [0], err
    assert "is at schema version 3 already; nothing changed" in out


def test_two_owners_creating_a_new_store_at_once_create_it_once(pg, capsys):
    """On an empty database the second ``store init`` waits for the first, then finds the schema
    it created (it used to create it again and end in a traceback: relation already exists)."""
    url = pg.url(db=pg.db)
    first = psycopg.connect(url)  # the first owner's init, creating version 3 as it holds the lock
    first.execute("SELECT pg_advisory_xact_lock(%s)", (store.INIT_LOCK,))
    done: list[int] = []
    second = threading.Thread(target=lambda: done.append(main(["store", "init", url])))
    second.start()
    try:
        assert _waits_for_a_lock(url)
        cur = first.cursor()
        cur.execute(store._ROLES)
        for version in range(1, store.SCHEMA_VERSION + 1):
            cur.execute(store.MIGRATIONS[version])
            cur.execute("INSERT INTO callscript.schema_version (version, release) VALUES (%s, 'x')", (version,))
    finally:
        first.commit()
        first.close()
        second.join(60)
    out, err = capsys.readouterr()
    assert done == [0], err
    assert f"is at schema version {store.SCHEMA_VERSION} already; nothing changed" in out
