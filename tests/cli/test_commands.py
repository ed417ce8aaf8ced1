"""The headless commands as a user runs them: real processes, real exit codes, real output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def callscript(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callscript", *args], capture_output=True, text=True, cwd=cwd)


def test_simulate_silent_call_with_no_events_greets_at_0_and_5_asks_at_10_hangs_up_at_15():
    result = callscript("simulate", "silent_call", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["t"], r["step"]) for r in rows] == [
        (0.0, "greet"), (5.0, "greet_again"), (10.0, "ask_call_again"), (15.0, "hang_up"),
    ]
    assert rows[0]["say"] == "您好!请问有什么可以帮助您?"
    assert "换一部电话" in rows[2]["say"]
    assert rows[-1]["end"] == "hang_up"
    assert all(r["flow"] == "silent_call" for r in rows)
    assert "end" not in rows[0]


def test_simulate_events_and_variables_drive_the_main_call():
    result = callscript("simulate", "main_call", "--json", "--vars", "hotline=安心,agent=7号",
                        "--events", "1:situation:speakerphone,3:picked_up")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert "安心" in rows[0]["say"] and "7号" in rows[0]["say"]
    assert rows[1]["flow"] == "speakerphone" and rows[1]["t"] == 1.0
    assert rows[-1]["flow"] == "main_call" and rows[-1]["step"] == rows[0]["step"], "back where the call was"


def test_simulate_takes_closing_lines_as_said_and_shows_when():
    result = callscript("simulate", "main_call", "--json", "--events", "1:caller_spoke,2:confirmed,3:solved")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    closing = rows[-1]
    assert (closing["step"], closing["end"], closing["said"]) == ("closing", "resolved", 3.0)
    assert closing["say"] == "感谢您的咨询,祝您生活愉快!"
    assert rows[0]["said"] == 0.0 and "said" not in rows[2]  # resolve has no line to say
    assert "had no effect" not in result.stderr and "waiting" not in result.stderr


def test_simulate_text_output_and_session_log(tmp_path):
    log = tmp_path / "call.jsonl"
    result = callscript("simulate", "noisy_line", "--log", str(log))
    assert result.returncode == 0
    assert "[end: hang_up]" in result.stdout.splitlines()[-1]
    types = [json.loads(line)["type"] for line in log.read_text(encoding="utf-8").splitlines()]
    assert types[0] == "call_started" and types[-1] == "call_ended"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "silent_call", "--events", "x:caller_spoke"], "does not start with a time"),
        (["simulate", "silent_call", "--events", "1:line:silent"], "unknown line condition 'silent'"),
        (["simulate", "silent_call", "--events", "1:situation:main_call"], "'main_call' is not a situation"),
        (["simulate", "silent_call", "--events", "1:no_such_event"], "no flow has an event named"),
        (["simulate", "silent_call", "--vars", "surname"], "is not NAME=VALUE"),
        (["check", "no/such/file.yaml"], "no such file or folder"),
        (["graph", "main_call", "--format", "png"], "invalid choice"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_a_hint_and_no_traceback(args, message):
    result = callscript(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_vars_without_a_value_gets_a_hint_about_variables_not_events():
    result = callscript("simulate", "silent_call", "--vars", "x")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("callscript simulate: error: --vars item 'x' is not NAME=VALUE\n"
                             "  hint: write --vars name=value,... (e.g. --vars surname=王,title=先生)\n")


def test_unknown_flow_is_a_clear_error_with_a_suggestion():
    result = callscript("simulate", "silent_cal")
    assert result.returncode == 1
    assert result.stderr == "error: no flow named 'silent_cal'\n  hint: did you mean 'silent_call'?\n"


def test_broken_flow_file_is_one_message_with_file_line_and_hint(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nsteps: [\n", encoding="utf-8")
    result = callscript("simulate", str(broken))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{broken}:3:1: error: YAML syntax")
    assert "Traceback" not in result.stderr


def test_check_exit_codes(tmp_path):
    assert callscript("check").returncode == 0
    assert callscript("check", "callscript/data/flows").stdout.strip() == "checked 12 flows: no problems"
    lint = REPO / "tests/flow/malformed/lint_phrasing.yaml"
    assert callscript("check", str(lint)).returncode == 1
    assert callscript("check", "--no-lint", str(lint)).returncode == 0
    rows = [json.loads(line) for line in callscript("check", "--json", str(lint)).stdout.splitlines()]
    assert {r["code"] for r in rows} == {"lint-ni", "lint-absolute", "lint-wei", "lint-blunt"}


def test_graph_shows_timed_waits_calls_and_situations():
    mermaid = callscript("graph", "silent_call").stdout
    assert mermaid.startswith("flowchart TD")
    assert '-.->|"silence 5s"|' in mermaid and '-.->|"after 5s"|' in mermaid
    assert "subgraph situations" in mermaid and "speakerphone" in mermaid
    dot = callscript("graph", "main_call", "--format", "dot").stdout
    assert dot.startswith('digraph "main_call"') and dot.rstrip().endswith("}")
    assert "flow_complaint" in dot and "(call)" in dot and "style=dashed" not in dot.split("cluster_situations")[1]


def test_help_lists_the_commands_and_version():
    result = callscript("--help")
    assert result.returncode == 0
    for command in ("run", "check", "simulate", "graph"):
        assert command in result.stdout
    assert callscript("--version").stdout.startswith("callscript ")
