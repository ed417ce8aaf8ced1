"""A progress database damaged or edited by hand is read as far as it can be, never a crash.

The reason codes of each attempt are stored as a JSON list; a value that is not one (bad JSON, an
object, a list of numbers, deep nesting) reads as no codes, and the rest of the attempt counts.
"""

from __future__ import annotations

import sqlite3

import pytest

from callscript.cli import main
from callscript.training.progress import ProgressStore, default_db_path
from callscript.training.progress_view import render_html


@pytest.mark.parametrize("damage", ["not json", '{"a": 1}', "[1, 2]", "[" * 5000 + "]" * 5000, ""])
def test_damaged_reason_codes_read_as_none_and_progress_still_prints(tmp_path, monkeypatch, capsys, damage):
    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(tmp_path))
    with ProgressStore() as store:
        store.record_attempt("小王", "silent_call", "greet", 60, False, reasons=["similarity"])
        store.record_attempt("小王", "silent_call", "greet", 90, True, reasons=["wait_short"])
    db = sqlite3.connect(default_db_path())
    db.execute("UPDATE attempts SET reasons = ? WHERE id = 1", (damage,))
    db.commit()
    db.close()
    with ProgressStore() as store:
        first, second = store.attempts("小王")
        assert first.reasons == () and second.reasons == ("wait_short",)
        assert store.weakest_steps("小王")[0].step == "greet"
        render_html(store, "小王")
    assert main(["progress", "--trainee", "小王"]) == 0
    assert "Traceback" not in capsys.readouterr().err
