"""Phrase lint: what the manuals say an agent's line must not sound like.

Warnings only, on ``say`` lines (forbidden examples in ``never`` are meant to break these rules):

- 你 where 您 is due (004 §7.4: "对顾客也要以“您”来称呼,不要一口一个“你”"); 你们 is left alone;
- 肯定/保证/绝对 (004 §3.5: leave room; say 正常情况下/尽量/努力/争取 instead);
- a 喂 opening (004 phone scripts: every "不可以说" example opens with 喂);
- blunt one-word replies (004 §3.10: 是, 是的, 好, 好的, 不行, 不议价 ...; 002: not just 不行/不知道).
"""

from __future__ import annotations

import re

from callscript.flow.model import Flow
from callscript.flow.problems import Problem
from callscript.text import normalise

ABSOLUTES = ("肯定", "保证", "绝对")
BLUNT_REPLIES = {"是", "是的", "好", "好的", "行", "不行", "不议价", "不知道", "没有", "嗯", "对"}
_YOU = re.compile(r"你(?!们)")


def lint_text(text: str) -> list[tuple[str, str, str]]:
    """Lint one line: a list of (code, message, hint)."""
    found = []
    if _YOU.search(text):
        found.append((
            "lint-ni", "uses 你 to address the caller",
            "say 您 (004 §7.4: address the customer as 您, never 你)",
        ))
    for word in ABSOLUTES:
        if word in text:
            found.append((
                "lint-absolute", f"promises with '{word}'",
                "leave room: say 正常情况下, 尽量, 努力 or 争取 instead (004 §3.5)",
            ))
    plain = normalise(text)
    if plain.startswith("喂"):
        found.append((
            "lint-wei", "opens with 喂",
            "open with 您好 (004: '喂,说话呀!' is what never to say)",
        ))
    if plain in BLUNT_REPLIES:
        found.append((
            "lint-blunt", "is a blunt one-word reply",
            "answer in a complete, polite sentence (004 §3.10)",
        ))
    return found


def lint_flow(flow: Flow) -> list[Problem]:
    problems = []
    for step in flow.steps.values():
        if step.say is None:
            continue
        for code, message, hint in lint_text(step.say):
            problems.append(Problem(
                "warning", code, step.say_mark.path, step.say_mark.line, step.say_mark.column,
                f"the line {message}", f"step '{step.id}' -> say", hint,
            ))
    return problems
