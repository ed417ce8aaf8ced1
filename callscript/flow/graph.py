"""Drawing a flow as a graph: Mermaid (for Markdown) or Graphviz dot.

Steps are nodes labelled with their line (or tip) and terminal steps show their end; edges carry
their trigger: the agent's event label, ``after 5s``/``silence 5s`` for timed waits, line
conditions and heard phrases. Jumps and calls into other flows point at a node for that flow, and
the situations that can interrupt the call at any step are listed in their own box.
"""

from __future__ import annotations

from collections.abc import Mapping

from callscript.flow.model import Flow, Step

_MAX_LABEL = 24


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def _step_label(step: Step) -> str:
    body = step.say or (step.tip.zh if step.tip else "")
    label = f"{step.id}: {_short(body)}" if body else step.id
    return f"{label} [end: {step.end.value}]" if step.end else label


def _edges(flow: Flow) -> list[tuple[str, str, str, bool]]:
    """(source node, target node, label, timed) for every transition."""
    edges = []
    for step in flow.steps.values():
        for transition in step.on:
            label = transition.describe()
            if transition.call:
                edges.append((step.id, f"flow_{transition.call}", f"{label} (call)", transition.is_timed))
                edges.append((f"flow_{transition.call}", transition.then or step.id, "returns", False))
            elif transition.flow:
                target = f"flow_{transition.flow}"
                suffix = f" (to {transition.to})" if transition.to else ""
                edges.append((step.id, target, label + suffix, transition.is_timed))
            else:
                edges.append((step.id, transition.to or step.id, label, transition.is_timed))
        if step.end is not None and step.end.value == "return":
            edges.append((step.id, "back_to_call", "return", False))
    return edges


def _situations(flow: Flow, flows: Mapping[str, Flow]) -> list[tuple[str, str]]:
    """(node id, label) for every situation that can interrupt ``flow``: one list for both formats."""
    result = []
    for other in flows.values():
        if other.situation is not None and other.id != flow.id:
            key = f" [{other.situation.key}]" if other.situation.key else ""
            result.append((f"sit_{other.id}", _quote(other.title.en) + key))
    return result


def _quote(text: str) -> str:
    return text.replace('"', "'")


def to_mermaid(flow: Flow, flows: Mapping[str, Flow]) -> str:
    lines = ["flowchart TD", f'    %% {flow.id}: {flow.title.en} ({flow.title.zh})']
    lines.append(f'    start(("start")) --> {flow.start}')
    for step in flow.steps.values():
        shape = ('(["', '"])') if step.end else ('["', '"]')
        lines.append(f"    {step.id}{shape[0]}{_quote(_step_label(step))}{shape[1]}")
    externals = {e[1] for e in _edges(flow) if e[1].startswith("flow_")}
    for node in sorted(externals):
        other = flows.get(node[5:])
        title = f"{other.title.en}" if other else node[5:]
        lines.append(f'    {node}[["flow: {_quote(title)}"]]')
    if any(e[1] == "back_to_call" for e in _edges(flow)):
        lines.append('    back_to_call(("back to the call"))')
    for source, target, label, timed in _edges(flow):
        arrow = "-.->" if timed else "-->"
        lines.append(f'    {source} {arrow}|"{_quote(label)}"| {target}')
    situations = _situations(flow, flows)
    if situations:
        lines.append('    subgraph situations["situations: from any step, back on return"]')
        for node, label in situations:
            lines.append(f'        {node}["{label}"]')
        lines.append("    end")
    return "\n".join(lines) + "\n"


def to_dot(flow: Flow, flows: Mapping[str, Flow]) -> str:
    lines = [f'digraph "{flow.id}" {{', "    rankdir=TB;", '    node [shape=box, fontname="sans-serif"];']
    lines.append(f'    label="{_quote(flow.title.en)} ({_quote(flow.title.zh)})"; labelloc=t;')
    lines.append('    start [shape=circle, label="start"];')
    lines.append(f"    start -> {flow.start};")
    for step in flow.steps.values():
        style = ', shape=box, style="rounded,bold"' if step.end else ""
        lines.append(f'    {step.id} [label="{_quote(_step_label(step))}"{style}];')
    for node in sorted({e[1] for e in _edges(flow) if e[1].startswith("flow_")}):
        lines.append(f'    {node} [shape=component, label="flow: {node[5:]}"];')
    if any(e[1] == "back_to_call" for e in _edges(flow)):
        lines.append('    back_to_call [shape=doublecircle, label="back to the call"];')
    for source, target, label, timed in _edges(flow):
        style = ", style=dashed" if timed else ""
        lines.append(f'    {source} -> {target} [label="{_quote(label)}"{style}];')
    situations = _situations(flow, flows)
    if situations:
        lines.append("    subgraph cluster_situations {")
        lines.append('        label="situations: from any step, back on return"; style=dotted;')
        for node, label in situations:
            lines.append(f'        {node} [label="{label}", shape=note];')
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"
