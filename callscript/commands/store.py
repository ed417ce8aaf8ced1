"""``callscript store init|agent|trainer|calls URL``: set up the team's PostgreSQL store.

``init`` creates the schema (or migrates it to this callscript's version; a second run changes
nothing); ``agent URL ROLE AGENT_ID`` makes login ROLE an agent who ships only AGENT_ID's calls;
``trainer URL ROLE`` makes ROLE a trainer who reads everything: run these three as the database's
owner. ``calls URL`` (a trainer's login) lists calls newest first, by agent and day, with the ids
``replay URL CALL_ID`` takes and each call's outcome in the words of the summary and the report.
Passwords are never passed here: set one with psql's \\password, and keep it in ~/.pgpass.
"""

from __future__ import annotations

import argparse

EPILOG = """\
examples:
  callscript store init postgresql://owner@db.example/callscript
  callscript store agent postgresql://owner@db.example/callscript wang 001
  callscript store trainer postgresql://owner@db.example/callscript li
  callscript store calls postgresql://li@db.example/callscript --agent 001 --day 2026-01-05
The URL never holds a password: libpq reads it from ~/.pgpass (mode 0600), PGPASSFILE or
PGPASSWORD. Add ?sslmode=verify-full to require a verified TLS connection. See docs/team.md.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "store", help="set up the team store (PostgreSQL): schema, agent and trainer logins",
        description="Set up the PostgreSQL store a team ships its calls to (init, agent and trainer as the "
                    "database's owner), and list its calls (calls, with a trainer's login).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    init = verbs.add_parser("init", help="create the schema and roles, or migrate them (idempotent)")
    init.add_argument("url", metavar="URL", help="postgresql://USER@HOST:PORT/DBNAME (no password)")
    agent = verbs.add_parser("agent", help="make a login an agent who ships only one agent id's calls")
    agent.add_argument("url", metavar="URL", help="the store's address")
    agent.add_argument("role", metavar="ROLE", help="the agent's PostgreSQL login (created when missing)")
    agent.add_argument("agent", metavar="AGENT_ID", help="the agent id in their calls (the agent setting)")
    trainer = verbs.add_parser("trainer", help="make a login a trainer who reads every call")
    trainer.add_argument("url", metavar="URL", help="the store's address")
    trainer.add_argument("role", metavar="ROLE", help="the trainer's PostgreSQL login (created when missing)")
    calls = verbs.add_parser("calls", help="list the store's calls, newest first (a trainer's login)")
    calls.add_argument("url", metavar="URL", help="the store's address")
    calls.add_argument("--agent", metavar="ID", help="only this agent's calls")
    calls.add_argument("--day", metavar="YYYY-MM-DD", help="only calls started on this day (UTC)")
    calls.add_argument("--limit", type=int, default=50, metavar="N", help="at most N calls (default 50)")
    calls.add_argument("--lang", choices=("zh", "en"),
                       help="the outcomes' language (default: the interface language in the settings, zh)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.team.store import SCHEMA_VERSION, add_member, init_store, parse_address

    address = parse_address(args.url)
    if args.verb == "calls":
        return _list_calls(args)
    if args.verb == "init":
        before, after = init_store(args.url)
        if before == after:
            print(f"the store at {address} is at schema version {after} already; nothing changed")
        elif before == 0:
            print(f"created the callscript schema (version {SCHEMA_VERSION}) and roles in {address}")
        else:
            print(f"migrated the store at {address} from schema version {before} to {after}")
        return 0
    changed = add_member(args.url, args.role, agent=args.agent if args.verb == "agent" else None)
    what = f"an agent shipping the calls of agent {args.agent}" if args.verb == "agent" else "a trainer"
    print(f"{args.role} is {what}" + ("" if changed else " (no change)")
          + "; set its password with psql's \\password when it has none")
    return 0


def _list_calls(args: argparse.Namespace) -> int:
    from datetime import date

    from callscript.errors import CallscriptError
    from callscript.team.fetch import recent_calls
    from callscript.training.words import interface_language, label

    try:
        day = date.fromisoformat(args.day) if args.day else None
    except ValueError:
        raise CallscriptError(f"--day {args.day} is not a date", hint="write it as YYYY-MM-DD") from None
    calls = recent_calls(args.url, agent=args.agent, day=day, limit=args.limit)
    language = interface_language(args.lang)
    for call in calls:
        started = call.started.strftime("%Y-%m-%d %H:%M:%S") if call.started else "-"
        duration = f"{call.duration:6.1f}s" if call.duration is not None else "      -"
        print(f"{call.id_text}  {started}  {call.agent:<10} {call.flow or '-':<16} {duration}  {label('outcome', call.outcome, language)}")
    if not calls:
        print("no calls" + (f" of agent {args.agent}" if args.agent else "") + (f" on {args.day}" if args.day else ""))
    return 0
