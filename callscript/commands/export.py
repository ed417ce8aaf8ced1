"""``callscript export LOGDIR...|URL --parquet DIR``: an archive of calls for analytics.

Calls and records as Parquet files partitioned by day (written by DuckDB; no pyarrow), from folders
of session logs or from the team store. ``callscript report DIR`` reads the archive; so do DuckDB,
ClickHouse, Trino and Spark. See ``callscript.team.archive`` for the layout.
"""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
examples:
  callscript export ~/.local/share/callscript/sessions --parquet archive/
  callscript export postgresql://trainer@db.example/callscript --parquet /srv/archive/2026-01
  callscript report archive/
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="write calls as a Parquet archive partitioned by day (from logs or the team store)",
        description="Write calls and their records as Parquet files partitioned by day.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="+", metavar="LOGDIR|URL",
                        help="folders of session logs or log files, or the team store's postgresql:// URL")
    parser.add_argument("--parquet", required=True, type=Path, metavar="DIR", help="the archive folder (new or empty)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.errors import CallscriptError
    from callscript.team import is_store_url
    from callscript.team.archive import export_logs, export_store

    stores = [s for s in args.sources if is_store_url(s)]
    if stores and len(args.sources) > 1:
        raise CallscriptError("export reads one store, or folders, not both", hint="callscript export URL --parquet DIR")
    mark = export_store(stores[0], args.parquet) if stores else export_logs([Path(s) for s in args.sources], args.parquet)
    print(f"wrote {mark['calls']} calls to {args.parquet} (Parquet, partitioned by day)")
    return 0
