"""Small modules with one job: no module in callscript/ grows past 600 lines.

A module that does is doing two things; split it by job (as app.py and app/devices.py are) rather
than raise the limit.
"""

from __future__ import annotations

from pathlib import Path

import callscript

LIMIT = 600


def test_no_module_in_callscript_is_over_600_lines() -> None:
    root = Path(callscript.__file__).parent
    sizes = {path.relative_to(root.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in root.rglob("*.py")}
    assert len(sizes) > 50, "the package's modules were not found"
    too_long = {name: lines for name, lines in sizes.items() if lines > LIMIT}
    assert not too_long, f"split these modules by job (limit {LIMIT} lines): {too_long}"
