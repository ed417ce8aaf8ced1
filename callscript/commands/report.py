"""``callscript report LOGDIR...|URL|ARCHIVE``: the team report over many session logs.

The calls come from folders of logs, from the team store (a ``postgresql://`` URL, read with a
trainer's login) or from a Parquet archive (``callscript export --parquet``); the same calls give
the same report from each.

Calls, situations met, compliance (timed waits honoured, steps skipped, hang-ups without the
call-back request), wait timings, per agent and overall, as terminal tables, an HTML file with
charts, or JSON. The logs are read by the one tolerant reader (``callscript.session.reader``: a bad
line is skipped and named, never fatal), each call's compliance is derived by
``callscript.training.compliance.derive`` (the summary and the replay use it too) and DuckDB sums it
up; the definitions are in ``callscript.training.compliance``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
examples:
  callscript report ~/.local/share/callscript/sessions
  callscript report team-a/ team-b/ --html team.html
  callscript report logs/ --json > report.json
  callscript report postgresql://trainer@db.example/callscript --html team.html
  callscript report archive/            (written by callscript export --parquet archive/)
compliance, as counted:
  wait ok       timed waits that ran their full time / waits that ran out, were shorter than the
                flow requires, or were cut short by the agent ending the call (a caller who speaks
                first is not counted against the agent)
  skipped       of the steps with a line that the agent moved on from (or hung up in), those left
                before marking the line said: "left without the line 3 / left a step with a line 40"
  no call-back  calls the agent ended inside the silent-call, noisy-line or caller-too-quiet flow
                before asking the caller to call again from another phone
  early hang-ups  calls the agent ended before the flow reached an end
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="summarise many session logs: calls, situations, compliance, waits, per agent",
        description="Summarise session logs (folders are searched for *.jsonl), the team store or a Parquet "
                    "archive per agent and overall.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logs", nargs="+", metavar="LOGDIR|URL|ARCHIVE",
                        help="folders of session logs or log files; or the team store's postgresql:// URL; "
                             "or a folder written by callscript export --parquet")
    parser.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML report with charts")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="agents shown in the terminal table (default 20)")
    parser.add_argument("--lang", choices=("zh", "en"),
                        help="the report's language (default: the interface language in the settings, zh)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.training import missing_dependency

    try:
        from callscript.training.report import render_html, render_text
    except ModuleNotFoundError as exc:
        raise missing_dependency(exc) from None

    from callscript.text import json_text, visible
    from callscript.training.words import interface_language

    report = _build(args.logs)
    language = interface_language(args.lang)
    flows = _flows()
    # Agent names, flow and step ids come from the logs: a control character in them is shown
    # escaped, never sent to the terminal (or into the page). JSON escapes them itself.
    if args.html:
        from callscript.privacy import write_private  # per-agent figures: 0600, like the logs

        write_private(args.html, visible(render_html(report, language=language, flows=flows), lines=True),
                      what="HTML report")
    if args.json:
        print(json_text(report.as_dict()))
    else:
        print(visible(render_text(report, top=args.top, language=language, flows=flows), lines=True))
        if args.html:
            print(f"\nwrote {args.html}")
    return 0


def _flows():  # noqa: ANN202 - the flows by id, or None
    """The flows, for titles and lines in the report (ids where they cannot be loaded)."""
    from callscript.errors import CallscriptError
    from callscript.flow.library import load_flows

    try:
        return load_flows()
    except CallscriptError:
        return None


def _build(sources: list[str]):  # noqa: ANN202 - TeamReport, imported lazily
    from callscript.errors import CallscriptError
    from callscript.team import is_store_url

    stores = [s for s in sources if is_store_url(s)]
    if stores:
        if len(sources) > 1:
            raise CallscriptError("a report reads one store, or folders, not both",
                                  hint="callscript report URL, or callscript report LOGDIR...")
        from callscript.team.source import report_from_store

        return report_from_store(stores[0])
    from callscript.team.source import is_archive

    if len(sources) == 1 and is_archive(Path(sources[0])):
        from callscript.team.source import report_from_archive

        return report_from_archive(Path(sources[0]))
    from callscript.team.source import report_from_folders

    # One call in memory at a time, and DuckDB (which spills) adding up: any number of logs.
    return report_from_folders([Path(s) for s in sources])
