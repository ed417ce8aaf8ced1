"""The examples in ``--help`` work: every example command line in the help of callscript and of
each subcommand (its description and epilog) parses, and the flows, steps, variables and
``simulate`` events it names exist in the built-in flows. An example that names a step a flow no
longer has (or never had) fails here, not in a trainer's terminal."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator

import pytest

from callscript.cli import build_parser, default_to_run
from callscript.flow.library import FLOW_SUFFIXES, load_flows

# An example line: "  callscript say ...", "example: callscript simulate ...", "echo x | callscript score ...".
EXAMPLE = re.compile(r"(?:^\s+(?:examples?:\s*)?|^examples?:\s*|\|\s*)callscript\s+(?P<rest>\S.*)$")
# Where an example's command line stops: a shell redirection or pipe, or an aside in brackets.
STOP = {">", "|", "<"}


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """A parser and every subcommand parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
                yield from parsers(sub)


def examples() -> list[tuple[str, str]]:
    """(the parser's prog, the example's words after ``callscript``) for every example line."""
    found = []
    for parser in parsers(build_parser()):
        for text in (parser.description or "", parser.epilog or ""):
            for line in text.splitlines():
                match = EXAMPLE.search(line)
                if match:
                    found.append((parser.prog, match["rest"]))
    return found


def words(rest: str) -> list[str]:
    kept = []
    for word in shlex.split(rest, comments=True):
        if word in STOP or word.startswith("("):
            break
        kept.append(word)
    return kept


EXAMPLES = examples()


def test_the_help_has_examples_that_name_flows():
    progs = {prog for prog, _ in EXAMPLES}
    assert {"callscript say", "callscript score", "callscript simulate", "callscript audio"} <= progs, progs


@pytest.mark.parametrize(("prog", "rest"), EXAMPLES, ids=[f"{p}: {r}" for p, r in EXAMPLES])
def test_each_help_example_parses_and_names_flows_and_steps_that_exist(prog: str, rest: str):
    from callscript.commands.simulate import _validate, parse_events

    flows = load_flows()
    argv = default_to_run(words(rest))
    args, _asides = build_parser().parse_known_args(argv)  # words after the command are explanations
    named = [args.flow] if getattr(args, "flow", None) else list(getattr(args, "flows", None) or [])
    for flow_id in named:
        assert not flow_id.endswith(FLOW_SUFFIXES), "examples name built-in flows, which every install has"
        assert flow_id in flows, f"{prog}: no flow '{flow_id}'"
    step = getattr(args, "step", None)
    if step is not None:
        assert step in flows[args.flow].steps, f"{prog}: flow '{args.flow}' has no step '{step}'"
    variables = getattr(args, "vars", "")
    for item in filter(None, variables.split(",")):
        name, _, value = item.partition("=")
        assert name in flows[args.flow].variables, f"{prog}: flow '{args.flow}' has no variable '{name}'"
        choices = [choice.value for choice in flows[args.flow].variables[name].choices]
        assert not choices or value in choices, f"{prog}: '{value}' is not one of {name}'s choices {choices}"
    if getattr(args, "events", ""):
        _validate(parse_events(args.events), flows)
