"""The ``callscript`` command line.

Each subcommand lives in its own module under ``callscript.commands`` with two functions:
``register(subparsers)`` adds its parser (cheap: argparse only) and ``run(args) -> int`` does the
work, importing whatever heavy library it needs only then. That keeps ``callscript --help`` and
``callscript check`` fast, and lets a command whose optional libraries are missing fail with a
clear message instead of breaking the others.

Exit codes: 0 success, 1 problems found (or the command failed for a reason the user can fix),
2 usage errors. User errors are printed as one message, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from callscript import __version__
from callscript.errors import CallscriptError

if TYPE_CHECKING:
    from callscript.flow.notices import Notice

# Order is the order shown in --help.
COMMANDS = (
    "run",
    "check",
    "flows",
    "simulate",
    "graph",
    "listen",
    "models",
    "say",
    "audio",
    "study",
    "score",
    "replay",
    "report",
    "store",
    "ship",
    "export",
    "progress",
    "doctor",
)

DESCRIPTION = """\
callscript walks a phone agent through a call, line by line, from the etiquette in the
customer-service manuals: what to say now, what never to say, how long to wait, and what to do
when the line goes silent, the caller is too quiet, the line is noisy or the caller speaks a
dialect. With no command it opens the live call screen on the built-in flows; run's flow and
options work without the word run: callscript silent_call, callscript --lang en --plain."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and a one-line hint on usage errors (its default too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n  hint: run '{self.prog} --help' to see the options\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callscript",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"callscript {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"callscript.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"callscript.commands.{name}":
                continue  # command not part of this build
            raise
        module.register(subparsers)
        if name not in NO_FLOWS:
            _add_flows_option(subparsers.choices[name])
    return parser


# The commands that read no flows, so take no --flows.
NO_FLOWS = ("models", "doctor")


def _add_flows_option(parser: argparse.ArgumentParser) -> None:
    """``--flows DIR`` on a command (and on each of its actions: ``audio render --flows DIR``)."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if actions:
        for sub in actions[0].choices.values():
            _add_flows_option(sub)
        return
    parser.add_argument(
        "--flows", dest="flow_dirs", action="append", default=[], type=Path, metavar="DIR",
        help="also read the flows in DIR (repeatable; like $CALLSCRIPT_FLOWS and the user flows folder)",
    )


# The options of `callscript` itself; any other option first means `run` (see default_to_run).
TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")


def default_to_run(argv: Sequence[str]) -> list[str]:
    """``callscript --plain`` is ``callscript run --plain``: a command line that starts with an
    option that is not one of ``callscript``'s own (``--help``, ``--version``, or an abbreviation
    argparse would accept) is the default command's. So is one that starts with a flow
    (``callscript silent_call``, ``callscript my_flow.yaml``). Any other first word that is not a
    command is still a usage error: a mistyped command must not open a call."""
    argv = list(argv)
    if argv and argv[0] not in COMMANDS and _names_a_flow(argv[0], argv):
        return ["run", *argv]
    if not argv or not argv[0].startswith("-") or argv[0] == "--":
        return argv
    first = argv[0].split("=", 1)[0]
    if first in TOP_LEVEL_OPTIONS or (first.startswith("--") and len(first) > 2
                                      and any(o.startswith(first) for o in TOP_LEVEL_OPTIONS)):
        return argv
    return ["run", *argv]


def _names_a_flow(word: str, argv: Sequence[str] = ()) -> bool:
    """A flow id (a file of that name in a flows folder: built-in, the user's, or ``--flows``
    further on the command line), or a flow file that exists."""
    if word.startswith("-"):
        return False
    from callscript.flow.library import FLOW_SUFFIXES
    from callscript.flow.sources import flow_folders, use_flow_dirs

    if Path(word).suffix in FLOW_SUFFIXES:
        return Path(word).is_file()
    use_flow_dirs(_flows_options(argv))
    try:
        folders = [f.path for f in flow_folders()]
    except CallscriptError:
        folders = []  # a bad folder is reported by the command itself
    return any((folder / f"{word}{suffix}").is_file() for folder in folders for suffix in FLOW_SUFFIXES)


def _flows_options(argv: Sequence[str]) -> list[Path]:
    """The ``--flows DIR`` folders of a command line, before it is parsed."""
    found = []
    for i, word in enumerate(argv):
        if word == "--flows" and i + 1 < len(argv):
            found.append(Path(argv[i + 1]))
        elif word.startswith("--flows="):
            found.append(Path(word.split("=", 1)[1]))
    return found


def _flow_announcer(language: str | None) -> Callable[[Notice], None]:
    """Say what loading the flows left out (or replaced) on standard error, in the interface
    language: the command's ``--lang``, else the settings' (read only when there is something to say)."""

    def announce(notice: Notice) -> None:
        from callscript.i18n import messages

        chosen = language
        if chosen is None:
            from callscript.settings import load_settings_or_defaults

            chosen = load_settings_or_defaults()[0].interface_language
        print(f"callscript: {notice.text(messages(chosen))}", file=sys.stderr)

    return announce


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = default_to_run(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", *argv])
    from callscript.flow.notices import use_announcer
    from callscript.flow.sources import use_flow_dirs

    use_flow_dirs(getattr(args, "flow_dirs", []))
    earlier = use_announcer(_flow_announcer(getattr(args, "lang", None)))
    try:
        return int(args.run(args) or 0)
    except CallscriptError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        use_announcer(earlier)  # main() called in-process (tests) leaves the process as it was


if __name__ == "__main__":
    raise SystemExit(main())
