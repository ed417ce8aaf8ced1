"""Reading single calls back out of the team store: the list of recent calls, and one call's log.

``recent_calls`` lists calls newest first, by agent and day (the picker's F4 list and ``callscript
store calls``); ``fetch_call`` writes one call's records, in order, as a session log in a private
folder, so ``callscript replay URL CALL_ID`` opens it like any log made on this PC. Both need a
trainer's login (agents cannot read the store).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from callscript.errors import CallscriptError
from callscript.team.logs import format_id


@dataclass(frozen=True)
class StoredCall:
    """One call as the store lists it."""

    call_id: int
    agent: str
    flow: str | None
    started: datetime | None
    duration: float | None
    outcome: str

    @property
    def id_text(self) -> str:
        return format_id(self.call_id)


def _id_range(text: str) -> tuple[int, int]:
    """The call ids a full id or a prefix of one (at least 6 hex digits) stands for."""
    digits = text.strip().lower()
    if not 6 <= len(digits) <= 16 or any(c not in "0123456789abcdef" for c in digits):
        raise CallscriptError(f"'{text}' is not a call id", hint="a call id is 16 hex digits (or its first 6 or more), "
                                                                  "as callscript store calls URL lists them")
    shift = 4 * (16 - len(digits))
    low = int(digits, 16) << shift
    return low, low + (1 << shift) - 1


def recent_calls(url: str, *, agent: str | None = None, day: date | None = None, limit: int = 50) -> list[StoredCall]:
    """Calls newest first, of one agent and/or one day (UTC) when given."""
    import psycopg

    from callscript.team.store import open_store, read_refused

    conn, address = open_store(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT call_id, agent, flow, started, duration, outcome FROM callscript.calls "
                "WHERE (%(agent)s::text IS NULL OR agent = %(agent)s) AND (%(day)s::date IS NULL OR day = %(day)s) "
                "ORDER BY started DESC NULLS LAST, call_id LIMIT %(limit)s",
                {"agent": agent, "day": day, "limit": limit})
            return [StoredCall(*row) for row in cur.fetchall()]
    except psycopg.errors.InsufficientPrivilege:
        raise read_refused(address) from None
    finally:
        conn.close()


def fetch_call(url: str, call_id: str, folder: Path) -> Path:
    """Write the call ``call_id`` (or a unique prefix of it) as a session log in ``folder``."""
    import psycopg

    from callscript.team.store import open_store, read_refused

    low, high = _id_range(call_id)
    conn, address = open_store(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT call_id, log_name, agent FROM callscript.calls WHERE call_id BETWEEN %s AND %s LIMIT 2",
                        (low, high))
            found = cur.fetchall()
            if not found:
                raise CallscriptError(f"the store at {address} has no call {call_id}",
                                      hint="list its calls with: callscript store calls URL [--agent ID] [--day DATE]")
            if len(found) > 1:
                raise CallscriptError(f"more than one call in the store starts with {call_id}", hint="give more of the id")
            number, log_name, agent = found[0]
            path = Path(folder) / f"{Path(log_name).stem}-{format_id(number)}.jsonl"
            # The records hold what callers and agents said: private to this user, like the logs.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                # The agent leads the key of the calls' logs: without it this would read the whole index.
                cur.execute("SELECT lines FROM callscript.call_logs WHERE agent = %s AND call_id = %s",
                            (agent, number))
                for (lines,) in cur:
                    out.write(lines + "\n")
            return path
    except psycopg.errors.InsufficientPrivilege:
        raise read_refused(address) from None
    finally:
        conn.close()
