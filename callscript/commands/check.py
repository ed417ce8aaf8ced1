"""``callscript check [PATH...]``: validate flow files and lint their phrasing.

With no path it checks every flow callscript knows together: the built-in flows and the user's
(see ``callscript.flow.sources``), so clashing ids and hotkeys between them are reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate flow files (default: the built-in and user flows together)",
        description="Validate flow files: YAML, schema, targets, reachability, variables and phrase lint. "
        "Exit 0 when clean, 1 when problems were found, 2 on a usage error.",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="flow files or folders of flows")
    parser.add_argument("--no-lint", action="store_true", help="skip the phrase lint from the documents")
    parser.add_argument("--json", action="store_true", help="print problems as JSON lines")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.flow.library import check_library, check_paths

    paths = args.paths
    from callscript.text import json_text, visible

    # A symlink that leads nowhere (or round in a loop) is read, so the reader can say which.
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        print(f"callscript check: error: no such file or folder: {visible(str(missing[0]))}", file=sys.stderr)
        print("  hint: give flow files (*.yaml) or folders that contain them", file=sys.stderr)
        return 2
    from callscript.settings import DEFAULT_KEYS

    # The call screen's own keys: a situation hotkey on one of them could never be pressed.
    reserved = {part.strip(): bid for bid, spec in DEFAULT_KEYS.items() if bid.startswith(("call.", "app."))
                for part in spec.split(",")}
    result = (check_paths(paths, lint=not args.no_lint, reserved_keys=reserved) if paths
              else check_library(lint=not args.no_lint, reserved_keys=reserved))
    for problem in result.problems:
        if args.json:
            print(json_text(problem.__dict__))
        else:
            print(problem.render())
    errors = sum(1 for p in result.problems if p.severity == "error")
    warnings = len(result.problems) - errors
    if not args.json:
        flows = len(result.checked)
        summary = f"checked {flows} flow{'s' if flows != 1 else ''}: "
        summary += "no problems" if not result.problems else f"{errors} error(s), {warnings} warning(s)"
        print(summary, file=sys.stderr if result.problems else sys.stdout)
    return 1 if result.problems else 0
