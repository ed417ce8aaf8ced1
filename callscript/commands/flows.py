"""``callscript flows [--json]``: every flow callscript knows, and where each one came from.

Lists the folders flows are read from (built-in, the user's flows folder, ``$CALLSCRIPT_FLOWS``,
``--flows``), then one row per flow: id, call or situation (with its hotkey), origin and file. A
user's flow that replaces a built-in one says so. Files that cannot be loaded are left out and
counted at the end (``callscript check`` says why); the exit code is 1 then, else 0.
"""

from __future__ import annotations

import argparse
import sys

from callscript.text import json_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "flows",
        help="list every flow (built-in and user) and where it came from",
        description="List the flow folders and every flow in them: id, call or situation (with its "
        "hotkey), where it came from and its file. Your own flows go in the user flows folder shown "
        "here, in $CALLSCRIPT_FLOWS, or in a folder given with --flows.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per flow")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.flow.library import check_library
    from callscript.flow.sources import USER, flow_folders, user_flows_dir
    from callscript.paths import display_path

    folders = flow_folders()
    result = check_library(lint=False)
    rows = []
    for flow_id in sorted(result.flows, key=lambda f: (result.flows[f].is_situation, f)):
        flow = result.flows[flow_id]
        situation = flow.situation
        rows.append({
            "id": flow_id,
            "kind": "situation" if situation else "call",
            "key": situation.key if situation else None,
            "title": {"zh": flow.title.zh, "en": flow.title.en},
            "origin": result.origins[flow_id],
            "path": flow.path,
            "replaces": result.replaced[flow_id].path if flow_id in result.replaced else None,
        })
    errors = sum(1 for p in result.problems if p.severity == "error")
    if args.json:
        for row in rows:
            print(json_text(row))
    else:
        shown = [(f.origin, display_path(f.path)) for f in folders]
        if not any(f.origin == USER for f in folders):  # always say where a trainer's flows go
            shown.insert(1, (USER, f"{display_path(user_flows_dir())} (not there yet: create it for your own flows)"))
        print("flow folders:")
        for origin, where in shown:
            print(f"  {origin:<18} {where}")
        print()
        width = max([len(r["id"]) for r in rows] + [2])
        for row in rows:
            kind = f"situation [{row['key']}]" if row["kind"] == "situation" and row["key"] else row["kind"]
            note = "  (replaces the built-in flow)" if row["replaces"] else ""
            print(f"{row['id']:<{width}}  {kind:<13}  {row['origin']:<9}  {display_path(row['path'])}{note}")
        print(f"\n{len(rows)} flows ({sum(1 for r in rows if r['origin'] != 'built-in')} of them yours)")
    if errors:
        print(f"callscript flows: {errors} error(s) in the flow folders; 'callscript check' shows them",
              file=sys.stderr)
        return 1
    return 0
