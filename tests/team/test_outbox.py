"""The app's outbox on a real server: a finished call waits while the store is down and goes,
once, when it is back; the call path only appends a line."""

from __future__ import annotations

import os
import queue

import pytest

from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.flow.library import load_flows
from callscript.session.log import SessionLog
from callscript.team.outbox import Outbox
from callscript.team.store import init_store

psycopg = pytest.importorskip("psycopg")


def finished_call(folder, agent="A001"):
    clock = ManualClock()
    log = SessionLog.create(folder, "main_call")
    engine = CallEngine(load_flows(), "main_call", clock, variables={"agent": agent}, listeners=[log])
    engine.start()
    clock.advance(4)
    engine.end_call("resolved")
    log.close()
    return log.path


def test_a_call_waits_in_the_outbox_while_the_store_is_down_and_ships_once_when_it_is_back(pg, tmp_path):
    url = pg.url(db=pg.db)
    init_store(url)
    changes: queue.Queue = queue.Queue()
    outbox = Outbox(url, tmp_path / "outbox", on_change=lambda n, problem: changes.put((n, problem)), retry=0.2)
    try:
        pg.stop()
        try:
            outbox.call_ended(finished_call(tmp_path / "logs"))
            waiting, problem = changes.get(timeout=60)
            assert waiting == 1
            assert problem == f"the store at 127.0.0.1:{pg.port} is not answering; is its PostgreSQL server running?"
            assert (tmp_path / "outbox" / "waiting.txt").stat().st_mode & 0o777 == 0o600
        finally:
            pg.resume()
        while (state := changes.get(timeout=60)) != (0, None):
            assert state[0] == 1  # retried while the server was still starting
        outbox.call_ended(finished_call(tmp_path / "logs"))
        assert changes.get(timeout=60) == (0, None)
    finally:
        outbox.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT call_id) FROM callscript.calls").fetchone() == (2, 2)
    assert not outbox.waiting()


def test_calls_left_in_the_outbox_go_at_the_next_start(pg, tmp_path):
    url = pg.url(db=pg.db)
    init_store(url)
    first = Outbox(url, tmp_path / "outbox", start=False)
    first.call_ended(finished_call(tmp_path / "logs"))  # the app closed before its thread could ship
    changes: queue.Queue = queue.Queue()
    second = Outbox(url, tmp_path / "outbox", on_change=lambda n, problem: changes.put((n, problem)))
    try:
        assert changes.get(timeout=60) == (0, None)
    finally:
        second.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM callscript.calls").fetchone()[0] == 1


def test_a_wrong_password_is_one_line_and_the_call_waits(pg, tmp_path):
    from callscript.team.store import add_member

    url = pg.url(db=pg.db)
    init_store(url)
    add_member(url, "zhou", agent="A001")
    pg.set_password("zhou", "right-pw", in_passfile=False)
    with open(pg.passfile, "a") as passfile:
        passfile.write(f"127.0.0.1:{pg.port}:*:zhou:wrong-pw\n")
    changes: queue.Queue = queue.Queue()
    outbox = Outbox(pg.url("zhou", pg.db), tmp_path / "outbox", on_change=lambda n, p: changes.put((n, p)))
    try:
        outbox.call_ended(finished_call(tmp_path / "logs"))
        waiting, problem = changes.get(timeout=60)
    finally:
        outbox.close()
    assert waiting == 1
    assert problem == (f"the store at 127.0.0.1:{pg.port} refused the password of user zhou; put the right one in "
                       "~/.pgpass (mode 0600), PGPASSFILE or PGPASSWORD")


def test_the_outbox_makes_a_missing_log_folder_private_too(tmp_path):
    """The outbox is made when the app starts, before the first log: the log folder it creates
    on the way (a ``--log-dir`` that does not exist yet) is 0700 as a log folder must be, not
    left at the umask's 0755 (and then kept so, as a folder the user named)."""
    logs = tmp_path / "new" / "logs"
    umask = os.umask(0o022)
    try:
        outbox = Outbox("postgresql://agent@127.0.0.1:1/none", logs / ".outbox", start=False)
    finally:
        os.umask(umask)
    outbox.close()
    modes = {path.name: path.stat().st_mode & 0o777 for path in (tmp_path / "new", logs, logs / ".outbox")}
    assert modes == {"new": 0o700, "logs": 0o700, ".outbox": 0o700}
