"""The README's quick start says what ``scripts/setup`` (run by ``scripts/start``) installs: every
system package of its SYSTEM_PACKAGES list is named there, and so are the dev extra and the test
model it puts into .venv. A package added to the setup without a word in the README fails here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def quick_start() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split("## Quick start", 1)[1].split("\n## ", 1)[0]


def setup_packages() -> list[str]:
    setup = (REPO / "scripts" / "setup").read_text(encoding="utf-8")
    listed = re.search(r"^SYSTEM_PACKAGES=\(([^)]*)\)", setup, re.MULTILINE)
    assert listed, "scripts/setup no longer has SYSTEM_PACKAGES=(...)"
    return listed.group(1).split()


def test_the_quick_start_names_every_package_scripts_setup_installs():
    text = quick_start()
    packages = setup_packages()
    assert len(packages) > 10
    assert [p for p in packages if not re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text)] == []
    model = re.search(r"^TEST_MODEL=(\S+)", (REPO / "scripts" / "setup").read_text(encoding="utf-8"), re.MULTILINE)
    assert model and model.group(1) in text
    assert "`dev` extra" in text
