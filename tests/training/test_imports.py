"""Import hygiene: the training modules are headless (no Textual), and the commands stay cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("module", [
    "callscript.training.scoring", "callscript.training.progress", "callscript.training.report",
    "callscript.training.synthetic", "callscript.training.svg", "callscript.training.quiz",
    "callscript.training.drill", "callscript.training.timeline",
])
def test_training_modules_never_import_textual(module):
    modules = loaded_after(f"import {module}")
    assert not any(m == "textual" or m.startswith("textual.") for m in modules)


def test_scoring_a_line_loads_no_duckdb_and_the_report_module_loads_it_only_when_run():
    modules = loaded_after(
        "from callscript.flow.library import load_flows\n"
        "from callscript.training.scoring import score_flow_step\n"
        "import callscript.training.report, callscript.training.progress\n"
        "score_flow_step(load_flows()['silent_call'], 'greet', '您好')"
    )
    assert "duckdb" not in modules and "pypinyin" in modules


def test_help_imports_no_training_library():
    modules = loaded_after("from callscript.cli import build_parser\nbuild_parser()")
    assert not {"duckdb", "rapidfuzz", "pypinyin", "sqlite3"} & modules


def test_a_missing_training_library_is_a_user_error(monkeypatch):
    """A double for an uninstalled package: ``duckdb`` is made unimportable in this process."""
    from callscript.errors import CallscriptError
    from callscript.training.report import build_report

    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(CallscriptError, match=r"callscript\[training\]"):
        build_report(["."])
