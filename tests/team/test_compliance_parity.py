"""One definition of a call's compliance (``callscript.training.compliance.derive``): for the same
logs the summary, the replay and ``callscript report`` over folders, the team store (a real
PostgreSQL server) and Parquet archives agree, mark kind by mark kind; and a definition changed in
``derive`` changes every one of them (no second definition in SQL)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from callscript.app.replay import load_replay
from callscript.cli import main
from callscript.flow.library import load_flows
from callscript.live.summary import review
from callscript.training import compliance
from tests.training.test_report import drive, polite_silent_call, rude_silent_call

pytest.importorskip("psycopg")

# A mark's code and the report's field that counts it.
COUNTED = {"wait_cut_short": "waits_cut_short", "wait_shorter_than_flow": "waits_shorter_than_flow",
           "step_skipped": "steps_skipped", "hang_up_without_call_back": "hang_ups_without_call_back",
           "ended_early": "premature_hang_ups"}


@cache
def flows():
    return load_flows()


def skipped_greeting(engine, clock):
    """The caller speaks before the greeting was marked said: the agent moved on, line unsaid."""
    clock.advance(3.0)
    engine.fire("caller_spoke")
    clock.advance(2.0)
    engine.mark_said()
    engine.fire("confirmed")


def edited_silent_call():
    """The silent call as an older flow file had it: 3 s waits where today's has 5 s."""
    silent = flows()["silent_call"]
    greet = silent.steps["greet"]
    quick = dataclasses.replace(greet, on=tuple(dataclasses.replace(t, seconds=3.0) if t.is_timed else t
                                                for t in greet.on))
    return {**flows(), "silent_call": dataclasses.replace(silent, steps={**silent.steps, "greet": quick})}


def short_wait(engine, clock):
    engine.enter_situation("silent_call")
    engine.mark_said()
    clock.advance(3.0)
    engine.poll()
    engine.end_call("agent_ended")


def forbidden_heard(engine, clock):
    engine.enter_situation("silent_call")
    clock.advance(1.0)
    engine.hear("喂,说话呀!再不说话我就挂了啊!")
    engine.end_call("resolved")


# One agent per kind of mark, so each kind is compared on its own.
CALLS = {
    "cut_short": (rude_silent_call, None),  # wait_cut_short and hang_up_without_call_back
    "shorter": (short_wait, edited_silent_call),  # wait_shorter_than_flow
    "skipped": (skipped_greeting, None),  # step_skipped
    "forbidden": (forbidden_heard, None),  # forbidden_heard: shown, not counted by the report
    "polite": (polite_silent_call, None),  # no mark at all
}


def write_logs(root: Path) -> dict[str, Path]:
    paths = {}
    for agent, (script, flow_set) in CALLS.items():
        folder = root / agent
        folder.mkdir(parents=True)
        paths[agent] = drive(folder, script, agent=agent, flow_set=flow_set() if flow_set else None)
    return paths


def run_cli(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def reports_from_every_source(pg, root: Path, tmp: Path, capsys) -> dict[str, dict]:
    """The report's JSON from the folders, the store they were shipped to, and archives exported
    from the logs and from the store."""
    url = pg.url(db=pg.db)
    run_cli(capsys, "store", "init", url)
    run_cli(capsys, "ship", str(root), "--to", url)
    run_cli(capsys, "export", str(root), "--parquet", str(tmp / "from-logs"))
    run_cli(capsys, "export", url, "--parquet", str(tmp / "from-store"))
    return {source: json.loads(run_cli(capsys, "report", where, "--json")) for source, where in (
        ("folders", str(root)), ("store", url), ("archive of logs", str(tmp / "from-logs")),
        ("archive of the store", str(tmp / "from-store")))}


def marks_of(path: Path) -> tuple[list[tuple], list[tuple]]:
    """(code, t, flow, step) of each mark, as the summary shows them and as the replay does."""
    summary, _ = review(path, flows())
    replayed = load_replay(path, flows()).timeline.marks
    return ([(m.code, m.t, m.flow, m.step) for m in summary], [(m.code, m.t, m.flow, m.step) for m in replayed])


def test_summary_replay_and_report_from_folders_store_and_archive_agree_for_each_kind_of_mark(pg, tmp_path, capsys):
    paths = write_logs(tmp_path / "logs")
    reports = reports_from_every_source(pg, tmp_path / "logs", tmp_path, capsys)
    folders = reports["folders"]
    for source, report in reports.items():
        assert report == folders, source  # field for field
    agents = {a["agent"]: a for a in folders["agents"]}
    seen = set()
    for agent, path in paths.items():
        summary, replayed = marks_of(path)
        assert summary == replayed, agent
        codes = Counter(code for code, *_ in summary)
        seen.update(codes)
        for code, field in COUNTED.items():
            assert codes[code] == agents[agent][field], (agent, code)
    assert seen == {*COUNTED, "forbidden_heard"}  # every kind of mark was compared
    assert marks_of(paths["cut_short"])[0] == [("wait_cut_short", 4.0, "silent_call", "greet"),
                                               ("hang_up_without_call_back", 4.0, "silent_call", "greet"),
                                               ("ended_early", 4.0, "silent_call", "greet")]
    assert agents["skipped"]["steps_left"] == 2 and agents["polite"]["waits_honoured"] == 3


def test_a_definition_changed_in_derive_changes_the_summary_the_replay_and_every_report(pg, tmp_path, capsys,
                                                                                         monkeypatch):
    """Were a definition written again in SQL (or anywhere but ``derive``), the report over the store
    or an archive would not follow this change: every timed wait that ended counts as cut short."""
    monkeypatch.setattr(compliance, "classify_wait",
                        lambda timer_seconds, required, left, ended_call: "open" if left is None else "cut_short")
    paths = write_logs(tmp_path / "logs")
    reports = reports_from_every_source(pg, tmp_path / "logs", tmp_path, capsys)
    summary, replayed = marks_of(paths["polite"])
    assert [code for code, *_ in summary] == [code for code, *_ in replayed] == ["wait_cut_short"] * 3
    for source, report in reports.items():
        polite = next(a for a in report["agents"] if a["agent"] == "polite")
        assert (polite["waits_cut_short"], polite["waits_honoured"]) == (3, 0), source
        assert report == reports["folders"], source
