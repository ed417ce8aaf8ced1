"""``callscript score``: one JSON object (or a readable verdict), exit 0 passed / 1 failed."""

from __future__ import annotations

import json
import subprocess
import sys

from callscript.cli import main


def test_json_output_for_a_correct_answer(capsys):
    code = main(["score", "silent_call", "greet", "--answer", "您好!请问有什么可以帮助您?", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (data["score"], data["passed"], data["reasons"]) == (100, True, [])


def test_json_output_for_a_forbidden_answer_names_the_phrase(capsys):
    code = main(["score", "silent_call", "greet", "--answer", "喂,说话呀!再不说话我就挂了啊!", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["passed"] is False
    assert "forbidden_phrase" in [r["code"] for r in data["reasons"]]
    assert data["forbidden_found"] == ["喂,说话呀!再不说话我就挂了啊!"]


def test_waited_is_scored(capsys):
    code = main(["score", "silent_call", "greet", "--answer", "您好!请问有什么可以帮助您?", "--waited", "3", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["timing"] == {"waited": 3.0, "required": 5.0, "ok": False}


def test_text_output_shows_verdict_diff_and_reasons(capsys):
    main(["score", "silent_call", "greet", "--answer", "您好,请问有什么可以帮主你?"])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("silent_call / greet: ")
    assert "FAILED" in out
    assert "帮主(≈助)" in out and "[-您-]{+你+}" in out
    assert "informal_you" in out


def test_vars_and_unknown_step_errors_are_one_message(capsys):
    assert main(["score", "address_by_surname", "address", "--answer", "王先生,请问有什么可以帮助您?",
                 "--vars", "surname=王,title=先生", "--json"]) == 0
    capsys.readouterr()
    assert main(["score", "silent_call", "nope", "--answer", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: flow 'silent_call' has no step 'nope'")
    assert "Traceback" not in err
    assert main(["score", "no_such_flow", "greet", "--answer", "x"]) == 1


def test_the_installed_command_reads_the_answer_from_stdin():
    proc = subprocess.run(
        [sys.executable, "-m", "callscript", "score", "greeting", "greet", "--answer", "-", "--json"],
        input="喂,说话呀!", capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["passed"] is False
