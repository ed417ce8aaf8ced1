"""The app's headless modules (settings, ports, call bookkeeping, keys, catalog) import no Textual,
and ``callscript --help`` and the run command's registration import neither Textual nor the flows:
that keeps every other command, and the first prompt, fast."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("textual", "rich", "numpy", "sounddevice", "vosk", "pyttsx3", "yaml")


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", ["callscript.settings", "callscript.app.ports", "callscript.app.call",
                                    "callscript.live", "callscript.live.call", "callscript.app.keys",
                                    "callscript.i18n", "callscript.softphone", "callscript.softphone.baresip"])
def test_headless_app_modules_import_no_ui(module):
    modules = imported_after(f"import {module}")
    assert not {m for m in modules if m.split(".")[0] in ("textual", "rich", "numpy", "sounddevice", "vosk", "pyttsx3")}


def test_the_command_line_parser_imports_nothing_heavy():
    modules = imported_after("from callscript.cli import build_parser; build_parser()")
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
