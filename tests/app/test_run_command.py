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
