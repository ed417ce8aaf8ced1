"""``callscript flows [--json]``: every flow callscript knows, and where each one came from.

Lists the folders flows are read from (built-in, the user's flows folder, ``$CALLSCRIPT_FLOWS``,
``--flows``), then one row per flow: id, call or situation (with its hotkey), origin and file. A
user's flow that replaces a built-in one says so. Files that cannot be used are left out (with every
flow that goes to one) and named at the end, where their first error is (``callscript check``
says all); the exit code is 1 then, else 0. ``--json`` gives them as ``{"id", "path", "left_out": first error}``.
"""

from __future__ import annotations

import argparse
import sys

from callscript.text import json_text, visible


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
    from callscript.flow.library import load_library
    from callscript.flow.sources import USER, flow_folders, user_flows_dir
    from callscript.paths import display_path

    folders = flow_folders()
    library = load_library()  # what a call can use: a file with an error is left out
    rows = []
    for flow_id in sorted(library.flows, key=lambda f: (library.flows[f].is_situation, f)):
        flow = library.flows[flow_id]
        situation = flow.situation
        rows.append({
            "id": flow_id,
            "kind": "situation" if situation else "call",
            "key": situation.key if situation else None,
            "title": {"zh": flow.title.zh, "en": flow.title.en},
            "origin": library.origins[flow_id],
            "path": flow.path,
            "replaces": library.replaced[flow_id].path if flow_id in library.replaced else None,
        })
    # Each file left out with its first error, as check prints it ("FILE:LINE:COL: error: ...").
    left_out = [{"id": item.flow_id, "path": item.path, "left_out": item.error().render().splitlines()[0]}
                for item in library.left_out]
    if args.json:
        for row in rows + left_out:
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
        for row in left_out:
            print(f"left out: {visible(row['left_out'])}\n  ('callscript check {visible(row['path'])}' shows every problem)")
    if left_out:
        print(f"callscript flows: {len(left_out)} flow file(s) left out for errors; 'callscript check' shows them",
              file=sys.stderr)
        return 1
    return 0
