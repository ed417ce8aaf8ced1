"""Control codes in logs, flows and transcripts are shown escaped, never sent to a terminal.

A crafted log used to retitle (OSC 0) and clear (CSI 2J) the trainer's terminal through
``callscript report``; a flow line could do the same through ``simulate`` and the call screen.
Every output now passes such text through ``callscript.text.visible``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from callscript.app.replay import load_replay
from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.flow.library import load_flows
from callscript.session.log import SessionLog
from callscript.settings import Settings
from callscript.text import visible
from tests.app.driver import build_app, screen_text

REPO = Path(__file__).resolve().parents[2]
TITLE = "\x1b]0;pwned\x07"  # OSC 0: set the terminal's title
CLEAR = "\x1b[2J\x1b[H"  # CSI: clear the screen, cursor home
BIDI = "\u202e"  # right-to-left override: reorders what follows
HOSTILE = TITLE + CLEAR + BIDI + "\x9b31m"  # and a C1 CSI


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CALLSCRIPT_NO_AUDIO": "1"}
    return subprocess.run([sys.executable, "-m", "callscript", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=120, check=False)


def assert_inert(output: bytes) -> None:
    text = output.decode("utf-8")
    assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), "a control code reached the output"


def hostile_log(folder: Path) -> Path:
    """A call logged by the real engine and session log, with control codes in the agent id, a
    note, a variable and what speech recognition heard."""
    clock = ManualClock(100.0)
    log = SessionLog.create(folder, "x", wall=lambda: 1.7e9 + clock.now())
    flows = load_flows()
    engine = CallEngine(flows, "silent_call", clock, variables={"agent": "A" + HOSTILE}, listeners=[log])
    engine.start()
    clock.advance(1.0)
    engine.hear("喂" + HOSTILE)
    engine.add_note("note " + HOSTILE)
    engine.set_variable("surname", HOSTILE)
    clock.advance(1.0)
    engine.end_call("agent_ended")
    log.close()
    return log.path


def test_visible_escapes_each_kind_of_control_and_keeps_ordinary_text():
    assert visible("您好 hello") == "您好 hello"
    assert visible(HOSTILE) == "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H\\u202e\\x9b31m"
    assert visible("a\nb\tc") == "a\\x0ab\\x09c" and visible("a\nb\tc", lines=True) == "a\nb\tc"
    assert visible("\x1b\ud800", keep_length=True) == "␛\ufffd"


def test_report_prints_control_codes_from_logs_escaped_in_text_and_html(tmp_path):
    hostile_log(tmp_path)
    result = cli("report", ".", "--html", "r.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert_inert(result.stdout)
    assert "A\\x1b]0;pwned\\x07" in result.stdout.decode()
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert_inert(html.encode())
    start = 0
    while (start := html.find("<svg", start)) >= 0:  # still well-formed XML with the agent in it
        end = html.index("</svg>", start) + 6
        ET.fromstring(html[start:end])
        start = end


def test_json_output_escapes_what_a_terminal_would_act_on_and_reads_back_the_same(tmp_path):
    """``--json`` is read by people in a terminal too: C1 controls and bidi overrides (which
    json.dumps leaves raw) come out as \\u escapes, and the data read back is unchanged."""
    import json

    hostile_log(tmp_path)
    result = cli("report", ".", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert_inert(result.stdout)
    report = json.loads(result.stdout)
    assert [agent["agent"] for agent in report["agents"]] == ["A" + HOSTILE]


def test_a_flow_with_control_codes_is_refused_with_its_line_and_nothing_reaches_the_terminal(tmp_path):
    """Flow text is shown on agents' terminals: a control character, which only a YAML escape can
    put there (raw ones are not allowed in YAML), is refused where it is written, and the message
    about it is inert."""
    head = ('title: {zh: X, en: X}\nlanguage: zh-CN\ngloss: a test\n'
            'source: {document: 004_ec73fcbdd22154ce.txt, section: x}\nstart: a\nsteps:\n')
    flow = tmp_path / "x.yaml"
    # YAML's own escapes put ESC, BEL and the C1 CSI into the line (line 9 of the file).
    flow.write_text('id: x\n' + head + '  a:\n    say: "\\e]0;pwned\\a您好\\e[2J\\x9b31m"\n    gloss: hi\n'
                    '    end: hang_up\n', encoding="utf-8")
    simulated = cli("simulate", str(flow), cwd=tmp_path)
    assert simulated.returncode != 0
    assert_inert(simulated.stdout + simulated.stderr)
    assert "x.yaml:9" in (simulated.stdout + simulated.stderr).decode()
    assert "control character (U+001B)" in (simulated.stdout + simulated.stderr).decode()
    bad = tmp_path / "y.yaml"
    bad.write_text('id: y\n' + head + '  a:\n    end: hang_up\n  "\\e[2Jorphan":\n    end: hang_up\n', encoding="utf-8")
    checked = cli("check", str(bad), cwd=tmp_path)
    assert checked.returncode == 1
    assert_inert(checked.stdout + checked.stderr)
    assert "y.yaml:10" in checked.stdout.decode() and "control character" in checked.stdout.decode()
    # Bidirectional overrides make a line read differently from what it holds: refused too.
    bidi = tmp_path / "z.yaml"
    bidi.write_text('id: z\n' + head + '  a:\n    say: "您好\\u202e"\n    gloss: hi\n    end: hang_up\n',
                    encoding="utf-8")
    assert cli("check", str(bidi), cwd=tmp_path).returncode == 1


def test_the_replay_screen_shows_control_codes_escaped(tmp_path):
    log = hostile_log(tmp_path)
    flows = load_flows()
    replay = load_replay(log, flows)

    async def scenario() -> str:
        app = build_app(flows, tmp_path / "replay", clock=ManualClock(), replay=replay,
                        settings=Settings(interface_language="en"))
        async with app.run_test(size=(140, 30)) as pilot:
            await pilot.pause()
            return screen_text(app)

    shown = asyncio.run(scenario())
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "note \\x1b]0;pwned\\x07" in shown
