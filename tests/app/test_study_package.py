"""The study screens are a package of thin screens over headless runs: no module over 600 lines,
none imports the app module (not even for type checking: that made an import cycle), and the
drill and quiz runs they drive import no Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import callscript

PACKAGE = Path(callscript.__file__).parent
STUDY = PACKAGE / "app" / "screens" / "study"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level (TYPE_CHECKING blocks and functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_study_screen_imports_the_app_module():
    modules = sorted(STUDY.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        assert not {m for m in imported_modules(path) if m == "callscript.app.app" or m.startswith("callscript.app.app.")}, path


def test_no_study_module_is_over_600_lines():
    for path in [*STUDY.glob("*.py"), *(PACKAGE / "training").glob("*.py"), PACKAGE / "app" / "study.py"]:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, path


def test_the_headless_drill_and_quiz_import_no_textual():
    probe = "import callscript.training.drill, callscript.training.quiz, sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert not {m for m in out if m.split(".")[0] in ("textual", "rich")}
