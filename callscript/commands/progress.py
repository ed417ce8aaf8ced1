"""``callscript progress``: a trainee's scores over time, weakest steps first, CSV and HTML export.

Reads the progress database that drills write (``callscript.training.progress``). Without
``--trainee`` it lists every trainee; with it, their situations and their weakest steps.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

EPILOG = """\
examples:
  callscript progress                          every trainee, one line each
  callscript progress --trainee 小王            situations and weakest steps
  callscript progress --trainee 小王 --html report.html --csv attempts.csv
the database: $CALLSCRIPT_DATA_DIR/progress.sqlite, else the user data directory
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "progress",
        help="a trainee's scores over time and weakest steps; CSV/HTML export",
        description="Show progress from the drills: scores over time per situation, weakest steps first.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trainee", metavar="NAME", help="one trainee (default: all)")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write every attempt as CSV")
    parser.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML report with charts")
    parser.add_argument("--db", type=Path, metavar="FILE", help="a progress database other than the default")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.errors import CallscriptError
    from callscript.training.progress import ProgressStore

    from callscript.training.progress import default_db_path

    path = args.db or default_db_path()
    if not path.exists():  # reading must not create a database in the user's data directory
        if args.db or args.trainee:
            raise CallscriptError(f"no progress database at {path}", hint="drills (callscript study) create it")
        print("no drills have been scored yet (callscript study records them)")
        return 0
    with ProgressStore(path) as store:
        if args.trainee and args.trainee not in store.trainees():
            known = store.trainees()
            raise CallscriptError(
                f"no progress recorded for '{args.trainee}'",
                hint=("trainees: " + ", ".join(known)) if known else "no drills have been scored yet",
            )
        if args.csv:
            rows = store.export_csv(args.csv, args.trainee)
            print(f"wrote {rows} attempts to {args.csv}")
        if args.html:
            store.export_html(args.html, args.trainee, _flows())
            print(f"wrote {args.html}")
        if args.json:
            print(json.dumps(summary(store, args.trainee), ensure_ascii=False))
        elif not (args.csv or args.html):
            print(render_text(store, args.trainee))
    return 0


def _flows():
    """The built-in flows for titles in the report, or nothing when they cannot be loaded."""
    from callscript.errors import CallscriptError
    from callscript.flow.library import load_flows

    try:
        return load_flows()
    except CallscriptError:
        return None


def summary(store, trainee: str | None) -> dict:  # noqa: ANN001
    names = [trainee] if trainee else store.trainees()
    out = {}
    for name in names:
        out[name] = {
            "situations": [
                {"flow": f.flow, "attempts": f.attempts, "average": round(f.average, 1),
                 "pass_rate": round(f.pass_rate, 3), "scores": list(f.scores)}
                for f in store.flows(name)
            ],
            "weakest_steps": [s.__dict__ for s in store.weakest_steps(name)],
        }
    return {"trainees": out}


def render_text(store, trainee: str | None) -> str:  # noqa: ANN001
    from callscript.training.tables import format_table
    from callscript.training.progress import RECENT

    names = [trainee] if trainee else store.trainees()
    if not names:
        return "no drills have been scored yet (callscript study records them)"
    if not trainee:
        rows = []
        for name in names:
            per_flow = store.flows(name)
            attempts = sum(f.attempts for f in per_flow)
            weak = store.weakest_steps(name, limit=1)
            rows.append([name, attempts, f"{sum(f.average * f.attempts for f in per_flow) / attempts:.1f}",
                         f"{weak[0].flow}/{weak[0].step}" if weak else ""])
        return format_table(["trainee", "attempts", "average", "weakest step"], rows)
    parts = [f"{trainee}: scores over time per situation"]
    parts.append(format_table(
        ["situation", "attempts", "average", "pass rate", "recent scores"],
        [[f.flow, f.attempts, f"{f.average:.1f}", f"{f.pass_rate:.0%}", " ".join(map(str, f.scores[-8:]))]
         for f in store.flows(trainee)],
    ))
    parts.append("")
    parts.append(f"weakest steps first (average of the last {RECENT} attempts)")
    parts.append(format_table(
        ["step", "attempts", "recent avg", "recent pass", "best", "last", "most common reason"],
        [[f"{s.flow}/{s.step}", s.attempts, f"{s.recent_average:.1f}", f"{s.recent_pass_rate:.0%}",
          s.best, s.last, s.common_reason or ""] for s in store.weakest_steps(trainee)],
    ))
    return "\n".join(parts)
