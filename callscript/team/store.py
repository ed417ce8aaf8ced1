"""Connecting to the team store, and creating (later migrating) its schema.

The address is a libpq URL (``postgresql://user@host:port/dbname?sslmode=verify-full``). It may
name a user but never a password: libpq finds that itself in ``PGPASSWORD``, ``PGPASSFILE`` or a
0600 ``~/.pgpass``, so no password is ever in a log, a settings file, ``--help`` or a message.
``sslmode`` and every other libpq parameter in the URL or the ``PG*`` environment are honoured as
libpq reads them. Connection problems become one line that names the host and user, never the
password (libpq's own messages do not contain it either).

The schema (``callscript`` schema in the database):

- ``schema_version``: one row per version installed, with the callscript version that installed it.
- ``calls``: one row per call (stable ``call_id`` from the log, agent, flow, start, day, outcome,
  duration, unreadable lines in its span, who shipped it and when).
- ``call_logs``: one row per call holding its log: the good records' JSON lines as written, in
  order (what a replay reads back), keyed by (agent, call id) so that what one PC ships goes into
  one part of the index. A row per call, not per record (version 2 had ``records``, some 60 rows a
  call): a month of a 300-agent center is 360,000 rows and index entries, not 20 million, so
  shipping keeps its pace as the store grows; PostgreSQL compresses the text (lz4 where the server
  has it).
- ``waits``, ``situations``: each call's timed waits (step, required seconds, class, time given)
  and situations met, and in ``calls`` the steps the agent left and skipped and the hang-up
  without the call-back request: what ``callscript.training.compliance.derive`` found when the
  call was shipped, with the flows of the PC that shipped it. A report over the store only adds
  these up.
- ``strays``: log files with no call (empty, not UTF-8, no ``call_started``): the report counts them.
- ``agents``: which login role ships which agent id.

Roles: ``callscript_agent`` may only INSERT, and row-level security lets it insert only rows whose
agent is its own (``callscript.my_agent()``, from ``agents``); it cannot read, change or delete
anything. ``callscript_trainer`` may only SELECT. Each person logs in with their own role, made a
member of one of the two by ``callscript store agent|trainer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callscript.errors import CallscriptError

SCHEMA_VERSION = 3
# The first callscript release that knows each schema version (the line to install, when they differ).
RELEASE_OF_SCHEMA = {1: "0.1.0", 2: "0.2.0", 3: "0.3.0"}
MIGRATE_BATCH = 2_000  # calls re-derived at a time when a store is migrated to version 2
AGENT_ROLE = "callscript_agent"
TRAINER_ROLE = "callscript_trainer"
# The key of the advisory lock a store init holds for its transaction: two owners' inits at once
# run one after the other (the second then finds the work done), even on a store with no tables yet.
INIT_LOCK = 0x63616C6C73637269  # "callscri"
CONNECT_TIMEOUT = 5  # seconds: an unreachable server must not hold a command (or the app's thread) for long


def _psycopg() -> Any:
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        from callscript.team import missing_dependency

        raise missing_dependency(exc) from None
    return psycopg


@dataclass(frozen=True)
class Address:
    """A store address with everything but the password: what messages may show."""

    url: str
    user: str
    host: str
    port: str
    dbname: str

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}:{self.port}/{self.dbname}"


def parse_address(url: str) -> Address:
    """Check a store URL (no password in it) and describe it for messages."""
    import os

    psycopg = _psycopg()
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # libpq's message quotes the string, which might hold a password: say only what it should be.
        raise CallscriptError("the store address is not a PostgreSQL URL",
                              hint="write it as postgresql://USER@HOST:PORT/DBNAME") from None
    if params.get("password"):
        raise CallscriptError(
            "the store address holds a password; callscript never keeps one",
            hint="remove it from the address and put it in ~/.pgpass (mode 0600), PGPASSFILE or PGPASSWORD")
    user = str(params.get("user") or os.environ.get("PGUSER") or "")
    host = str(params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or "localhost")
    port = str(params.get("port") or os.environ.get("PGPORT") or "5432")
    dbname = str(params.get("dbname") or os.environ.get("PGDATABASE") or user)
    return Address(url, user, host, port, dbname)


def connect(url: str, *, autocommit: bool = False, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A psycopg connection to the store, or one ``CallscriptError`` line saying what went wrong."""
    psycopg = _psycopg()
    address = parse_address(url)
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=max(1, int(timeout)),
                               application_name="callscript")
    except psycopg.OperationalError as exc:
        raise connection_error(address, exc) from None


def connection_error(address: Address, exc: BaseException) -> CallscriptError:
    """libpq's complaint as one line that says what to do (it never holds the password)."""
    text = str(exc)
    lowered = text.lower()
    who = f"user {address.user}" if address.user else "this user"
    if "no password supplied" in lowered:  # libpq found none: no line for this host, port, database and user
        message = (f"no password found for {who} of the store at {address.host}:{address.port}/{address.dbname}: "
                   f"put a line {address.host}:{address.port}:{address.dbname}:{address.user or 'USER'}:PASSWORD "
                   "in ~/.pgpass (mode 0600: libpq skips a file others may read), PGPASSFILE, or set PGPASSWORD")
    elif "password authentication failed" in lowered:
        message = (f"the store at {address.host}:{address.port} refused the password of {who}; "
                   "put the right one in ~/.pgpass (mode 0600), PGPASSFILE or PGPASSWORD")
    elif "translate host name" in lowered or "resolve host" in lowered or "name or service not known" in lowered:
        message = f"cannot find the store's host {address.host}; check the address in the settings or the command"
    elif "connection refused" in lowered or "timeout expired" in lowered or "could not connect" in lowered:
        message = f"the store at {address.host}:{address.port} is not answering; is its PostgreSQL server running?"
    elif "closed the connection" in lowered or "terminating connection" in lowered or "consuming input failed" in lowered:
        message = f"the store at {address.host}:{address.port} went away"
    elif "does not exist" in lowered and "database" in lowered:
        message = f"the store's server has no database {address.dbname}; create it (createdb) or fix the address"
    elif "ssl" in lowered:
        message = f"the secure connection to {address.host}:{address.port} failed: {_first_line(text)}"
    else:
        message = f"cannot connect to the store at {address}: {_first_line(text)}"
    return CallscriptError(message)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    detail = lines[-1] if lines else text
    return detail.removeprefix("FATAL:").strip()


def read_refused(address: Address) -> CallscriptError:
    """An agent's login (or any but a trainer's) asked to read: one line saying who may."""
    return CallscriptError(f"the login {address.user or '(default)'} may not read the store at {address}: "
                           "reports and replays need a trainer's login (callscript store trainer)")


def check_version(conn: Any, address: Address) -> int:
    """The store's schema version, or one line saying which callscript to install (or to init)."""
    psycopg = _psycopg()
    try:
        with conn.cursor() as cur:
            # The newest version's row names the callscript that installed it: what an older one says to install.
            cur.execute("SELECT version, release FROM callscript.schema_version ORDER BY version DESC LIMIT 1")
            row = cur.fetchone() or (0, None)
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        conn.rollback()
        raise CallscriptError(f"the store at {address} has no callscript schema yet; run: callscript store init URL "
                              "(as the database's owner)") from None
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
        raise CallscriptError(f"the login {address.user or '(default)'} is neither an agent nor a trainer of the store "
                              f"at {address}; ask its owner to run callscript store agent|trainer") from None
    version = int(row[0] or 0)
    if version > SCHEMA_VERSION:
        release = RELEASE_OF_SCHEMA.get(version) or row[1]
        install = f"callscript {release} or newer" if release else "a newer callscript"
        raise CallscriptError(f"the store at {address} has schema version {version} and this callscript knows "
                              f"version {SCHEMA_VERSION}: install {install} (pip install -U 'callscript[team]')")
    if version < SCHEMA_VERSION:
        raise CallscriptError(f"the store at {address} has schema version {version} and this callscript needs "
                              f"version {SCHEMA_VERSION}: its owner runs callscript store init URL to migrate it, "
                              f"or install callscript {RELEASE_OF_SCHEMA.get(version, 'of that version')}")
    return version


def open_store(url: str, *, autocommit: bool = False, snapshot: bool = False) -> tuple[Any, Address]:
    """Connect and check the schema version; returns (connection, address).

    ``snapshot``: for reading several tables as of one moment (a report, an archive) while agents
    ship: the connection reads in one REPEATABLE READ, READ ONLY transaction, so a call shipped
    meanwhile is in every table read (calls, waits, situations, logs, the counts) or in none.
    """
    psycopg = _psycopg()
    address = parse_address(url)
    conn = connect(url, autocommit=autocommit)
    try:
        check_version(conn, address)
        if snapshot:
            conn.rollback()  # the version check's transaction: the snapshot starts with the next read
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
    except BaseException:
        conn.close()
        raise
    return conn, address


# -- the schema --------------------------------------------------------------------------------

_ROLES = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AGENT_ROLE}') THEN CREATE ROLE {AGENT_ROLE} NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TRAINER_ROLE}') THEN CREATE ROLE {TRAINER_ROLE} NOLOGIN; END IF;
END $$
"""

def _shared(table: str) -> str:
    """A table of calls' rows shared as every one is: agents may only add rows of their own agent
    id (row-level security), trainers may only read."""
    return f"""
GRANT INSERT ON callscript.{table} TO {AGENT_ROLE};
GRANT SELECT ON callscript.{table} TO {TRAINER_ROLE};
ALTER TABLE callscript.{table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_adds_own ON callscript.{table} FOR INSERT TO {AGENT_ROLE} WITH CHECK (agent = callscript.my_agent());
CREATE POLICY trainer_reads ON callscript.{table} FOR SELECT TO {TRAINER_ROLE} USING (true);
"""


# Version 1. Each later version has a MIGRATIONS entry that turns version N-1 into N.
_SCHEMA_V1 = f"""
CREATE SCHEMA IF NOT EXISTS callscript;
CREATE TABLE callscript.schema_version (
    version integer PRIMARY KEY,
    release text NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE callscript.agents (
    role_name name PRIMARY KEY,
    agent text NOT NULL
);
CREATE TABLE callscript.calls (
    call_id bigint PRIMARY KEY,
    agent text NOT NULL,
    log_id bigint NOT NULL,
    log_name text NOT NULL,
    flow text,
    started timestamptz,
    day date,
    outcome text NOT NULL,
    duration double precision,
    records integer NOT NULL,
    bad_lines integer NOT NULL DEFAULT 0,
    started_wall text,
    end_flow text,
    live boolean NOT NULL,
    situations integer NOT NULL,
    shipped_by name NOT NULL DEFAULT session_user,
    shipped_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_day_agent ON callscript.calls (day, agent);
CREATE INDEX calls_agent_started ON callscript.calls (agent, started);
CREATE TABLE callscript.records (
    call_id bigint NOT NULL,
    agent text NOT NULL,
    seq integer NOT NULL,
    type text, t double precision, mono double precision, wall text, flow text, step text,
    has_say boolean, outcome text, source text, seconds double precision, matched boolean,
    duration double precision,
    line text NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE TABLE callscript.visits (
    call_id bigint NOT NULL,
    agent text NOT NULL,
    visit integer NOT NULL,
    flow text, step text, has_say boolean, entered double precision, said_at double precision,
    timer_seconds double precision, ended_here boolean, end_outcome text, ended_at double precision,
    left_by text, situation boolean,
    PRIMARY KEY (call_id, visit)
);
CREATE TABLE callscript.situations (
    call_id bigint NOT NULL,
    agent text NOT NULL,
    flow text NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (call_id, flow)
);
CREATE TABLE callscript.strays (
    log_id bigint PRIMARY KEY,
    agent text NOT NULL,
    log_name text NOT NULL,
    bad_lines integer NOT NULL,
    unreadable boolean NOT NULL,
    shipped_by name NOT NULL DEFAULT session_user,
    shipped_at timestamptz NOT NULL DEFAULT now()
);
-- The agent id of the login shipping (NULL for the owner and trainers). SECURITY DEFINER so an
-- agent need not read the agents table; session_user is the login, whatever role is set.
CREATE FUNCTION callscript.my_agent() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, callscript
    AS $f$ SELECT agent FROM callscript.agents WHERE role_name = session_user $f$;
REVOKE ALL ON FUNCTION callscript.my_agent() FROM PUBLIC;
GRANT USAGE ON SCHEMA callscript TO {AGENT_ROLE}, {TRAINER_ROLE};
GRANT EXECUTE ON FUNCTION callscript.my_agent() TO {AGENT_ROLE}, {TRAINER_ROLE};
GRANT SELECT ON callscript.schema_version TO {AGENT_ROLE}, {TRAINER_ROLE};
""" + "".join(_shared(table) for table in ("calls", "records", "visits", "situations", "strays")) + f"""
GRANT SELECT ON callscript.agents TO {TRAINER_ROLE};
"""

# Version 2: a call's compliance is ``derive``'s, kept per call and per timed wait; the report's
# visits of version 1 (from which SQL computed it) go. ``_rederive`` fills the new columns and
# table from the stored records' lines.
_SCHEMA_V2 = f"""
ALTER TABLE callscript.calls
    ADD COLUMN steps_left integer NOT NULL DEFAULT 0,
    ADD COLUMN steps_skipped integer NOT NULL DEFAULT 0,
    ADD COLUMN callback_flow boolean NOT NULL DEFAULT false,
    ADD COLUMN callback_violated boolean NOT NULL DEFAULT false;
CREATE TABLE callscript.waits (
    call_id bigint NOT NULL,
    agent text NOT NULL,
    n integer NOT NULL,
    flow text, step text, required double precision NOT NULL, wait text NOT NULL, waited double precision,
    PRIMARY KEY (call_id, n)
);
{_shared("waits")}DROP TABLE callscript.visits;
-- Records keyed by agent first: call ids are hashes (random order), so a key that starts with them
-- sends every batch's records to random places of an index that outgrows the server's cache (a
-- month is some 20 million records); keyed by agent, a batch of one agent's calls (what a PC
-- ships) goes into one small part of the index.
ALTER TABLE callscript.records DROP CONSTRAINT records_pkey;
ALTER TABLE callscript.records ADD PRIMARY KEY (agent, call_id, seq);
"""

# Version 3: a call's records as one row holding its lines (see the module doc), filled from
# version 2's records, which go.
_SCHEMA_V3 = f"""
CREATE TABLE callscript.call_logs (
    call_id bigint NOT NULL,
    agent text NOT NULL,
    lines text NOT NULL,
    PRIMARY KEY (agent, call_id)
);
-- lz4 compresses a call's lines several times faster than PostgreSQL's own pglz, for about the same
-- size; a server built without it keeps pglz. PostgreSQL 13 has no SET COMPRESSION: the statement
-- is run by EXECUTE from 14 on, as PL/pgSQL checks a DO block's own statements' syntax before it
-- runs any (no EXCEPTION clause would catch that).
DO $$ BEGIN
  IF current_setting('server_version_num')::integer >= 140000 THEN
    EXECUTE 'ALTER TABLE callscript.call_logs ALTER COLUMN lines SET COMPRESSION lz4';
  END IF;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$;
INSERT INTO callscript.call_logs (call_id, agent, lines)
    SELECT call_id, agent, string_agg(line, E'\\n' ORDER BY seq) FROM callscript.records GROUP BY agent, call_id;
{_shared("call_logs")}DROP TABLE callscript.records;
"""

MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3}


def _rederive(cur: Any, flows: Any, batch: int | None = None) -> int:
    """Version 2's per-call compliance for every call already in the store, by ``derive`` over
    its stored records' lines, ``batch`` calls at a time; returns the number of calls."""
    from callscript.session.reader import typed_parser
    from callscript.training.compliance import derive
    from callscript.training.report import situation_rows

    parse = typed_parser()
    batch = batch or MIGRATE_BATCH
    cur.execute("SELECT call_id, agent FROM callscript.calls ORDER BY agent, call_id")
    calls = cur.fetchall()
    cur.execute("""
        CREATE TEMP TABLE migrate_calls (call_id bigint, outcome text, duration double precision, started_wall text,
            end_flow text, live boolean, situations integer, steps_left integer, steps_skipped integer,
            callback_flow boolean, callback_violated boolean) ON COMMIT DROP
    """)
    for start in range(0, len(calls), batch):
        chunk = calls[start:start + batch]
        agents = dict(chunk)
        # The records' key starts with the agent (version 2): both lists let the index find them.
        cur.execute("SELECT call_id, line FROM callscript.records WHERE agent = ANY(%s) AND call_id = ANY(%s) "
                    "ORDER BY call_id, seq", (sorted(set(agents.values())), [call_id for call_id, _ in chunk]))
        records: dict[int, list[Any]] = {}
        for call_id, line in cur.fetchall():
            record = parse(line.encode("utf-8"))
            if type(record) is not str:  # it was a good record when shipped; the same reader reads it
                records.setdefault(call_id, []).append(record)
        rows, waits, situations = [], [], []
        for call_id, found in records.items():
            if found[0].type != "call_started":
                continue
            call = derive(found, flows, forbidden=False)
            rows.append((call_id, call.outcome, call.duration, call.started_wall, call.end_flow, call.live,
                         len(call.situations), call.steps_left, call.steps_skipped, call.callback_flow,
                         call.callback_violated))
            agent = agents[call_id]
            waits += [(call_id, agent, n, *wait) for n, wait in enumerate(call.waits, start=1)]
            situations += [(call_id, agent, flow, n) for flow, n in situation_rows(call)]
        for table, columns, data in (
            ("migrate_calls", "call_id, outcome, duration, started_wall, end_flow, live, situations, steps_left, "
                              "steps_skipped, callback_flow, callback_violated", rows),
            ("callscript.waits", "call_id, agent, n, flow, step, required, wait, waited", waits),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for item in data:
                    copy.write_row(item)
        cur.execute("""
            UPDATE callscript.calls c SET outcome = m.outcome, duration = m.duration, started_wall = m.started_wall,
                end_flow = m.end_flow, live = m.live, situations = m.situations, steps_left = m.steps_left,
                steps_skipped = m.steps_skipped, callback_flow = m.callback_flow,
                callback_violated = m.callback_violated
            FROM migrate_calls m WHERE c.call_id = m.call_id
        """)
        cur.execute("DELETE FROM callscript.situations WHERE call_id = ANY(%s)", ([call_id for call_id, _ in chunk],))
        with cur.copy("COPY callscript.situations (call_id, agent, flow, n) FROM STDIN") as copy:
            for item in situations:
                copy.write_row(item)
        cur.execute("TRUNCATE migrate_calls")
    return len(calls)


# Work in Python after a version's SQL: filling what the new version keeps from what is stored.
AFTER_MIGRATION = {2: _rederive}


def _installed_version(cur: Any) -> int:
    # pg_tables, not to_regclass: a catalog scan with this statement's snapshot sees a schema another
    # init committed while this one waited for its lock (the name cache might not yet).
    cur.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_tables WHERE schemaname = 'callscript' "
                "AND tablename = 'schema_version')")
    if not cur.fetchone()[0]:
        return 0
    cur.execute("SELECT coalesce(max(version), 0) FROM callscript.schema_version")
    return int(cur.fetchone()[0])


def init_store(url: str) -> tuple[int, int]:
    """Create the schema, or migrate it to ``SCHEMA_VERSION``; returns (version before, after).

    Migrating to version 2 derives the compliance of every stored call from its stored records
    with this PC's flows (``_rederive``). Runs in one transaction (PostgreSQL DDL is transactional): a failure leaves the store as it was.
    A second run on a current store changes nothing.
    """
    from callscript import __version__

    psycopg = _psycopg()
    address = parse_address(url)
    with connect(url) as conn, conn.cursor() as cur:
        before = _installed_version(cur)
        if before > SCHEMA_VERSION:
            check_version(conn, address)  # raises: this callscript is older than the store
        if before == SCHEMA_VERSION:
            return before, before
        try:
            before = _hold(cur, before)
            if before == SCHEMA_VERSION:  # another owner's init migrated it while this one waited
                return before, before
            cur.execute(_ROLES)
            flows = None
            for version in range(before + 1, SCHEMA_VERSION + 1):
                cur.execute(MIGRATIONS[version])
                if before and version in AFTER_MIGRATION:  # a new store has no calls to fill in
                    if flows is None:
                        from callscript.flow.library import load_flows

                        flows = load_flows()
                    AFTER_MIGRATION[version](cur, flows)
                cur.execute("INSERT INTO callscript.schema_version (version, release) VALUES (%s, %s)",
                            (version, __version__))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise CallscriptError(f"the login {address.user or '(default)'} may not set up the store at {address}: "
                                  f"{_first_line(str(exc))}; run store init as the database's owner with CREATEROLE") from None
        except psycopg.errors.DeadlockDetected:
            raise CallscriptError(f"the store at {address} was being written to while store init ran; nothing "
                                  "changed: run callscript store init URL again") from None
    return before, SCHEMA_VERSION


def _hold(cur: Any, before: int) -> int:
    """Hold the store for this transaction and return its version as it is now. Another init waits
    for this one; so does each shipper's batch (a PC may still run the previous callscript) before
    a migration reads what the store holds: a batch in flight is waited for and migrated with the
    rest, where it would otherwise be written after the migration had read the table it goes to."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK,))
    if not before:
        return _installed_version(cur)
    # schema_version first and on its own: an init of another callscript (no advisory lock) holding
    # it is waited for before this one holds a table that init's migration needs or drops.
    cur.execute("LOCK TABLE callscript.schema_version IN EXCLUSIVE MODE")
    cur.execute("SELECT string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY tablename) "
                "FROM pg_tables WHERE schemaname = 'callscript' AND tablename <> 'schema_version'")
    # EXCLUSIVE: no one writes (each shipper's batch waits, or ends as the old schema goes), trainers still read.
    cur.execute(f"LOCK TABLE {cur.fetchone()[0]} IN EXCLUSIVE MODE")
    return _installed_version(cur)


def add_member(url: str, role: str, *, agent: str | None = None) -> bool:
    """Make login ``role`` an agent (shipping only ``agent``'s calls) or, without ``agent``, a trainer.

    Creates the role (LOGIN, no password: its owner sets one with psql's \\password) when missing.
    Returns True when something changed.
    """
    psycopg = _psycopg()
    from psycopg import sql

    address = parse_address(url)
    group = AGENT_ROLE if agent is not None else TRAINER_ROLE
    other = TRAINER_ROLE if agent is not None else AGENT_ROLE
    with connect(url) as conn, conn.cursor() as cur:
        check_version(conn, address)
        changed = False
        try:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
                changed = True
            cur.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (role, group))
            if not cur.fetchone()[0]:
                cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role)))
                changed = True
            cur.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (role, other))
            if cur.fetchone()[0]:
                # One role, one job: an agent who also read everything would defeat the point.
                cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), sql.Identifier(role)))
                changed = True
            if agent is not None:
                cur.execute("INSERT INTO callscript.agents (role_name, agent) VALUES (%s, %s) "
                            "ON CONFLICT (role_name) DO UPDATE SET agent = excluded.agent "
                            "WHERE callscript.agents.agent IS DISTINCT FROM excluded.agent", (role, agent))
            else:
                cur.execute("DELETE FROM callscript.agents WHERE role_name = %s", (role,))
            changed = changed or cur.rowcount > 0
        except psycopg.errors.InsufficientPrivilege as exc:
            raise CallscriptError(f"the login {address.user or '(default)'} may not add logins to the store at "
                                  f"{address}: {_first_line(str(exc))}; run this as the database's owner") from None
    return changed
