"""``callscript score FLOW STEP --answer TEXT``: score one answer against a step, headless.

Prints the score (0-100), whether it passed, every reason points were taken off and a diff of the
answer against the correct line; ``--json`` prints one JSON object instead (``ScoreResult.as_dict``).
Exit status: 0 when the answer passed, 1 when it did not (or on a user error), 2 on a usage error.
The rules are in ``callscript.training.scoring``.
"""

from __future__ import annotations

import argparse
import sys

from callscript.text import json_text

EPILOG = """\
examples:
  callscript score silent_call greet --answer "您好!请问有什么可以帮助您?"
  callscript score silent_call ask_call_again --answer "..." --waited 4.2 --json
  callscript score address_by_surname address --answer "王先生,请问有什么可以帮助您?"
  echo "喂,说话呀!" | callscript score greeting greet --answer - --json
exit status: 0 passed, 1 failed (or an error), 2 usage error
"""


MAX_ANSWER_CHARS = 2_000  # characters of one answer; documented in --help


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score a trainee's answer against a step",
        description="Score an answer against a step's line by what the manual asks: the parts of the "
        "line the flow declares (expect:, with the wordings a trainer accepts), forbidden phrasing, 您 "
        "not 你, no 肯定/保证/绝对, no blunt reply or order, and the wait after the line. One deduction "
        "per fault; the answer passes at 80.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("flow", metavar="FLOW", help="a built-in flow id or a path to a flow file")
    parser.add_argument("step", metavar="STEP", help="the id of a step with a line to say")
    parser.add_argument("--answer", required=True, metavar="TEXT", help="what the trainee said ('-' reads stdin); at most 2,000 characters")
    parser.add_argument("--waited", type=float, metavar="SECONDS",
                        help="seconds the trainee waited after the line before the next one")
    parser.add_argument("--vars", default="", metavar="k=v,...",
                        help="values the answer must use (others are taken from the answer)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.errors import CallscriptError
    from callscript.flow.library import resolve
    from callscript.training import missing_dependency

    try:
        from callscript.training.scoring import score_flow_step
    except ModuleNotFoundError as exc:
        raise missing_dependency(exc) from None

    # A line is a few dozen characters; scoring compares every character with the line, so a
    # huge answer would take half a minute. Read no more than the limit (and one to tell).
    answer = sys.stdin.read(MAX_ANSWER_CHARS + 1) if args.answer == "-" else args.answer
    if len(answer) > MAX_ANSWER_CHARS:
        shown = (f"{len(answer):,} characters; the limit is {MAX_ANSWER_CHARS:,}" if args.answer != "-"
                 else f"more than {MAX_ANSWER_CHARS:,} characters")
        raise CallscriptError(f"the answer is too long to score at once ({shown})",
                              hint="score one line at a time: a line of a flow is a few dozen characters")
    if args.waited is not None and args.waited < 0:
        raise CallscriptError("--waited cannot be negative", hint="give the seconds waited, e.g. --waited 5")
    variables = {}
    for item in filter(None, (p.strip() for p in args.vars.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CallscriptError(f"--vars item '{item}' is not NAME=VALUE", hint="e.g. --vars surname=王,title=先生")
        variables[name.strip()] = value.strip()
    flow, _ = resolve(args.flow)
    result = score_flow_step(flow, args.step, answer.strip(), variables=variables, waited=args.waited)
    if args.json:
        print(json_text(result.as_dict()))
    else:
        from callscript.text import visible

        print(visible(render_text(result), lines=True))  # the answer is the user's text: shown, never acted on
    return 0 if result.passed else 1


def render_text(result) -> str:  # noqa: ANN001 - ScoreResult, imported lazily
    """The result for a terminal: verdict, the line, the answer, a marked diff and the reasons."""
    lines = [
        f"{result.flow} / {result.step}: {result.score}/100  {'PASSED' if result.passed else 'FAILED'}"
        f"  (pass mark {result.pass_mark}, similarity {result.similarity:g}%)",
        f"  line:    {result.expected}",
        f"  answer:  {result.answer}",
        f"  diff:    {render_diff(result.diff)}",
    ]
    if result.timing:
        t = result.timing
        lines.append(f"  waited:  {t.waited:g} s of {t.required:g} s ({'ok' if t.ok else 'too short'})")
    if result.reasons:
        lines.append("  reasons:")
        for reason in result.reasons:
            mark = "x" if reason.fails else "-"
            lines.append(f"    {mark} {reason.message}  [{reason.code}, -{reason.penalty}]")
    return "\n".join(lines)


def render_diff(parts) -> str:  # noqa: ANN001
    """``[-missing-]``, ``{+extra+}``, ``[-said-→+instead+]`` and ``(homophone)`` marks, inline."""
    out = []
    for part in parts:
        if part.op == "equal":
            out.append(part.expected)
        elif part.op == "homophone":
            out.append(f"{part.answer}(≈{part.expected})")
        elif part.op == "delete":
            out.append(f"[-{part.expected}-]")
        elif part.op == "insert":
            out.append(f"{{+{part.answer}+}}")
        else:
            out.append(f"[-{part.expected}-]{{+{part.answer}+}}")
    return "".join(out)
