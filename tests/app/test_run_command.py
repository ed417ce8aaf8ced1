"""``callscript run`` on the command line: user errors are one message (no traceback), exit 1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from callscript.commands.run import parse_vars
from callscript.errors import CallscriptError


def callscript(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "callscript", *args], capture_output=True, text=True, timeout=60)


def test_vars_are_name_value_pairs():
    assert parse_vars("surname=王, title=先生,hotline=XX 银行") == {"surname": "王", "title": "先生", "hotline": "XX 银行"}
    assert parse_vars("") == {}
    with pytest.raises(CallscriptError, match="'surname' is not NAME=VALUE"):
        parse_vars("surname")
    with pytest.raises(CallscriptError):
        parse_vars("1x=2")


def test_an_unknown_flow_is_one_message_with_a_hint():
    result = callscript("run", "silent_cal")
    assert result.returncode == 1
    assert result.stderr == "error: no flow named 'silent_cal'\n  hint: did you mean 'silent_call'?\n"


def test_bad_vars_are_one_message():
    result = callscript("run", "greeting", "--vars", "surname")
    assert result.returncode == 1
    assert result.stderr.startswith("error: --vars: 'surname' is not NAME=VALUE\n  hint:")
    assert "Traceback" not in result.stderr


def test_a_wrong_option_is_a_usage_error():
    result = callscript("run", "--lang", "fr")
    assert result.returncode == 2
    assert "invalid choice: 'fr'" in result.stderr


# -- run's options without the word `run` ---------------------------------------------------------


def test_an_option_of_run_first_means_run():
    """`callscript --lang fr` reaches run's parser (its error names `callscript run` and --lang),
    where it used to be rejected by the top-level parser as an unknown option."""
    result = callscript("--lang", "fr")
    assert result.returncode == 2
    assert "callscript run: error: argument --lang: invalid choice: 'fr'" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_options_without_run_take_a_flow_too():
    result = callscript("--no-audio", "--vars", "surname", "silent_call")
    assert result.returncode == 1
    assert result.stderr.startswith("error: --vars: 'surname' is not NAME=VALUE\n")


def test_help_and_version_stay_callscripts_own():
    top = callscript("--help")
    assert top.returncode == 0 and top.stdout.startswith("usage: callscript [-h] [--version] COMMAND")
    assert "callscript --lang en" in top.stdout
    assert callscript("-h").stdout == top.stdout
    for spelling in ("--version", "--vers"):  # argparse accepts an unambiguous abbreviation
        version = callscript(spelling)
        assert version.returncode == 0 and version.stdout.startswith("callscript "), spelling
    run_help = callscript("--plain", "--help")
    assert run_help.returncode == 0 and run_help.stdout.startswith("usage: callscript run ")


def test_a_mistyped_command_is_still_a_usage_error():
    result = callscript("chek")
    assert result.returncode == 2
    assert "invalid choice: 'chek'" in result.stderr


def test_a_flow_first_means_run():
    """`callscript silent_call` and `callscript path/to/flow.yaml` reach run (shown by run's own
    --vars error, which only run's parser and command produce)."""
    from callscript.flow.library import builtin_flow_dir

    for flow in ("silent_call", str(builtin_flow_dir() / "silent_call.yaml")):
        result = callscript(flow, "--vars", "surname")
        assert result.returncode == 1, (flow, result.stderr)
        assert result.stderr.startswith("error: --vars: 'surname' is not NAME=VALUE\n"), flow
    assert callscript("silent_cal").returncode == 2, "a word that is neither a command nor a flow is a usage error"
