"""The import contracts in pyproject.toml hold (run with lint-imports), and they name every package.

The contracts say which part of callscript may import which: the flow format and the engine stand
alone, only the app imports Textual, nothing imports the app but the commands that start it, and
no two packages or modules import each other in a circle.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import callscript

ROOT = Path(__file__).resolve().parents[2]
# Packages that flow and the engine may use (the contract still forbids whatever they import).
SHARED_LEAVES = {"callscript.data", "callscript.errors", "callscript.paths", "callscript.safeio", "callscript.text"}


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def lint_imports() -> str:
    """The path of lint-imports in the environment that runs the tests."""
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: pip install -e '.[dev]' (import-linter)", pytrace=False)
    return found


def test_the_import_contracts_hold():
    # The contracts are checked against the callscript this test imports (this checkout).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(callscript.__file__).parents[1]),
                                                       os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([lint_imports(), "--no-cache", "--no-logo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts())} kept, 0 broken" in result.stdout, result.stdout


def test_every_package_is_either_forbidden_to_the_pure_core_or_part_of_it():
    """A new package is not silently importable from flow and the engine: it must be listed."""
    contract = contracts()["pure-core"]
    packages = {f"callscript.{info.name}" for info in pkgutil.iter_modules(callscript.__path__)}
    allowed = set(contract["source_modules"]) | SHARED_LEAVES
    unlisted = sorted(packages - allowed - set(contract["forbidden_modules"]))
    assert not unlisted, (f"add {', '.join(unlisted)} to forbidden_modules of the 'pure-core' contract in "
                          "pyproject.toml (or, if flow and the engine may use it, to SHARED_LEAVES here)")
