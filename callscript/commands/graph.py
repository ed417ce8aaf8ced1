"""``callscript graph FLOW --format mermaid|dot``: draw a flow, its timed waits and situations."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph",
        help="draw a flow as a Mermaid or Graphviz graph",
        description="Print a flow as a graph: steps, transitions (timed waits dashed), calls into other "
        "flows, and the situations that can interrupt it.",
    )
    parser.add_argument("flow", metavar="FLOW", help="a built-in flow id or a path to a flow file")
    parser.add_argument("--format", choices=("mermaid", "dot"), default="mermaid", help="output format (default mermaid)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.flow.graph import to_dot, to_mermaid
    from callscript.flow.library import resolve

    flow, flows = resolve(args.flow)
    print(to_mermaid(flow, flows) if args.format == "mermaid" else to_dot(flow, flows), end="")
    return 0
