"""Fixtures of the team-store tests: one real PostgreSQL cluster per test session (per xdist
worker), a fresh database per test, and small sets of session logs written by the real engine."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support import postgres, skip_or_fail


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """A private cluster on 127.0.0.1 and a free port, stopped and removed at the end."""
    pytest.importorskip("psycopg", reason="the team store tests need psycopg (pip install 'callscript[team]')")
    if postgres.server_bin() is None:
        skip_or_fail(f"no PostgreSQL server binaries; {postgres.INSTALL_HINT}")
    cluster = postgres.Cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


_numbers = itertools.count(1)


@pytest.fixture()
def pg(pg_cluster: postgres.Cluster, monkeypatch: pytest.MonkeyPatch) -> postgres.Cluster:
    """The cluster with PGPASSFILE set and a new empty database ``db<n>`` as ``pg.db``."""
    for key, value in pg_cluster.environ().items():
        monkeypatch.setenv(key, value)
    pg_cluster.db = pg_cluster.create_database(f"db{next(_numbers)}")
    return pg_cluster
