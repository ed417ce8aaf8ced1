"""``callscript store calls`` names each call's outcome in the words the summary, the replay and
the report use, in the interface language (``--lang``), on a real PostgreSQL server."""

from __future__ import annotations

import pytest

from callscript.cli import main
from callscript.flow.library import load_flows
from callscript.training.synthetic import generate_logs

pytest.importorskip("psycopg")


@pytest.fixture
def logs(tmp_path):
    """40 calls of 3 agents, made by the engine (their outcomes vary)."""
    generate_logs(tmp_path / "logs", 40, seed=11, agents=3, flows=load_flows())
    return tmp_path / "logs"


def listed(capsys, *argv: str) -> list[str]:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()


def test_store_calls_names_outcomes_as_the_report_does(pg, logs, capsys):
    url = pg.url(db=pg.db)
    listed(capsys, "store", "init", url)
    listed(capsys, "ship", str(logs), "--to", url)
    zh = listed(capsys, "store", "calls", url, "--limit", "500", "--lang", "zh")
    en = listed(capsys, "store", "calls", url, "--limit", "500", "--lang", "en")
    assert zh and len(zh) == len(en)
    assert any(row.endswith("已解决") for row in zh) and any(row.endswith("Resolved") for row in en)
    ids = ("resolved", "agent_ended", "hang_up", "incomplete", "follow_up", "transfer")
    assert not any(row.split()[-1] in ids for row in zh + en)  # never the log's own id
