"""The team store: every agent's calls in one PostgreSQL database, and Parquet archives of them.

- ``logs``: session logs cut into calls with stable ids and the report's columns (no database).
- ``store``: connecting (credentials only from libpq's own sources), ``store init`` (schema,
  roles, row-level security, schema version), agent and trainer logins.
- ``ship``: closed calls into the store in bulk (COPY), each call whole in one transaction.
- ``outbox``: the app's background shipping: a local queue of finished calls and one thread.
- ``source``: the team report's input from the store or an archive, streamed into DuckDB.
- ``archive``: ``export --parquet``: calls and records as Parquet partitioned by day.

Only ``logs`` is imported by the app at start; psycopg and DuckDB are imported when used, and a
missing one is one message naming the ``team`` extra.
"""

from __future__ import annotations

import os
import re

TEAM_PACKAGES = {"psycopg": "psycopg[binary]", "duckdb": "duckdb"}


def missing_dependency(exc: ModuleNotFoundError):  # noqa: ANN201 - returns CallscriptError
    """A ``CallscriptError`` for a team-store library that is not installed (re-raise anything else)."""
    from callscript.errors import CallscriptError

    name = (exc.name or "").split(".")[0]
    if name not in TEAM_PACKAGES:
        raise exc
    return CallscriptError(f"the team store needs the '{TEAM_PACKAGES[name]}' package, which is not installed",
                           hint="pip install 'callscript[team]'")


# libpq's "keyword=value" connection strings ("host=db dbname=team user=wang"), which ship --to and
# store take as well as URLs: one of these is a store's address, not a folder, unless it exists.
_CONNINFO_KEYWORD = re.compile(r"\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode)\s*=")


def is_store_url(text: object) -> bool:
    """Does a command-line argument name a PostgreSQL store rather than a folder or file?"""
    if not isinstance(text, str):
        return False
    if text.startswith(("postgresql://", "postgres://")):
        return True
    # Taken for a path, a connection string with a password would be echoed back in "no such file".
    return bool(_CONNINFO_KEYWORD.match(text)) and not os.path.exists(text)
