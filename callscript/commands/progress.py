"""``callscript progress``: a trainee's scores over time, weakest steps first, CSV and HTML export.

Reads the progress database that drills write (``callscript.training.progress``). Without
``--trainee`` it lists every trainee; with it, their situations and their weakest steps.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from callscript.text import json_text

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
    parser.add_argument("--lang", choices=("zh", "en"),
                        help="the report's language (default: the interface language in the settings, zh)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.errors import CallscriptError
    from callscript.training.progress import ProgressStore, default_db_path
    from callscript.training.words import interface_language

    language = interface_language(args.lang)
    path = args.db or default_db_path()
    if not path.exists():  # reading must not create a database in the user's data directory
        if args.db or args.trainee:
            raise CallscriptError(f"no progress database at {path}", hint="drills (callscript study) create it")
        from callscript.training.words import words

        print(words(language)("progress.none"))
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
            from callscript.training.progress_view import export_html

            export_html(store, args.html, args.trainee, _flows(), language=language)
            print(f"wrote {args.html}")
        if args.json:
            print(json_text(summary(store, args.trainee)))
        elif not (args.csv or args.html):
            print(render_text(store, args.trainee, language=language, flows=_flows()))
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


def render_text(store, trainee: str | None, *, language: str = "en", flows=None) -> str:  # noqa: ANN001
    """The terminal report (``training.progress_view``)."""
    from callscript.training.progress_view import render_text as render

    return render(store, trainee, language=language, flows=flows)
