"""``callscript report --html FILE`` holds per-agent figures: the file is the user's alone (0600),
like the session logs it is made from, also when FILE was there before with a wider mode; a FILE
that cannot be written is one message. A real call log, the real command."""

from __future__ import annotations

import stat
from pathlib import Path

from callscript.cli import main
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.flow.library import load_flows
from callscript.session.log import SessionLog


def one_call(log_dir: Path) -> Path:
    """A silent call whose agent waits 2 s and hangs up, logged as the app logs it."""
    clock = ManualClock(100.0)
    log = SessionLog.create(log_dir, "main_call", wall=lambda: 1.7e9 + clock.now())
    engine = CallEngine(load_flows(), "main_call", clock, variables={"agent": "A7"}, listeners=[log])
    engine.start()
    engine.enter_situation("silent_call")
    clock.advance(2.0)
    engine.mark_said()
    clock.advance(2.0)
    engine.end_call("agent_ended")
    log.close()
    return log.path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_html_report_is_written_0600_even_over_a_0644_file(tmp_path: Path, capsys):
    one_call(tmp_path / "logs")
    html = tmp_path / "team.html"
    assert main(["report", str(tmp_path / "logs"), "--html", str(html)]) == 0
    assert mode(html) == 0o600 and "A7" in html.read_text(encoding="utf-8")
    html.write_text("old", encoding="utf-8")
    html.chmod(0o644)
    assert main(["report", str(tmp_path / "logs"), "--html", str(html)]) == 0
    assert mode(html) == 0o600 and html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    capsys.readouterr()


def test_an_html_report_that_cannot_be_written_is_one_message(tmp_path: Path, capsys):
    one_call(tmp_path / "logs")
    assert main(["report", str(tmp_path / "logs"), "--html", str(tmp_path / "no" / "team.html")]) == 1
    err = capsys.readouterr().err
    assert err == (f"{tmp_path / 'no' / 'team.html'}: error: cannot write the HTML report: No such file or directory\n"
                   "  hint: name a file in a folder that exists\n")
