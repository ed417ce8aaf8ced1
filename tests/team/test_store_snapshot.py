"""A report over the store reads its tables as of one moment, on a real PostgreSQL server
(``tests/support/postgres.py``): agents ship all day, and a call shipped while a report is read
must be in every table the report reads or in none."""

from __future__ import annotations

import pytest

from callscript.training.synthetic import generate_logs

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("duckdb")


def test_a_call_shipped_while_the_store_is_read_for_a_report_is_left_out_of_all_of_it(pg, tmp_path, monkeypatch):
    from callscript.team import source
    from callscript.team.ship import ship_logs
    from callscript.team.store import init_store

    url = pg.url(db=pg.db)
    init_store(url)
    earlier, later = tmp_path / "earlier", tmp_path / "later"
    generate_logs(earlier, 20, seed=1, agents=3, days=1)
    generate_logs(later, 12, seed=2, agents=3, days=1)
    assert ship_logs(url, [earlier]).new == 20
    before = source.report_from_store(url).as_dict()

    read = source.read_pg_csv
    shipped: list[int] = []

    def ship_between_tables(*args, **kwargs):
        # After the calls are read and before their waits and situations: another PC ships (and commits).
        if not shipped:
            shipped.append(ship_logs(url, [later]).new)
        return read(*args, **kwargs)

    monkeypatch.setattr(source, "read_pg_csv", ship_between_tables)
    during = source.report_from_store(url).as_dict()
    assert shipped == [12]
    assert during == before
    monkeypatch.setattr(source, "read_pg_csv", read)
    after = source.report_from_store(url).as_dict()
    assert after["overall"]["calls"] == 32 and after != before
