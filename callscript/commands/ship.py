"""``callscript ship [LOGDIR|FILE ...] --to URL``: send closed calls to the team store.

Every call not yet in the store goes, in bulk; calls already there are skipped (stable ids), so
shipping again is always safe. A call still being written is left for the next ship; one a crash
left unfinished ships as incomplete. Without LOGDIR, the log folder of this PC.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
examples:
  callscript ship --to postgresql://wang@db.example/callscript
  callscript ship old-logs/ --to postgresql://owner@db.example/callscript
The URL never holds a password (libpq reads ~/.pgpass, PGPASSFILE or PGPASSWORD). With the setting
[team] store = "postgresql://..." the app ships each call by itself when it ends.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ship", help="send closed calls to the team store (PostgreSQL); safe to repeat",
        description="Send every closed call in the session logs that the team store does not have yet.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logs", nargs="*", type=Path, metavar="LOGDIR|FILE",
                        help="folders of session logs, or log files (default: this PC's log folder)")
    parser.add_argument("--to", required=True, metavar="URL", help="the store: postgresql://USER@HOST:PORT/DBNAME")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.session.log import default_log_dir
    from callscript.team.ship import ship_logs

    paths = args.logs or [default_log_dir()]
    result = ship_logs(args.to, paths)
    line = (f"shipped {result.new} new calls from {result.files} log files"
            + (f"; {result.already} were in the store already" if result.already else ""))
    if result.open_calls:
        line += f"; {result.open_calls} still being written (they go next time)"
    if result.unreadable_lines:
        line += f"; {result.unreadable_lines} unreadable lines skipped"
    print(line)
    if result.refused:
        agents = ", ".join(f"{agent} ({n})" for agent, n in sorted(result.refused.items()))
        print(f"error: this login ships only its own agent's calls; left out the calls of {agents}", file=sys.stderr)
        return 1
    return 0
