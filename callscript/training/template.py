"""The correct line for one answer: the step's ``say`` with its ``{variables}`` filled.

Values given (``--vars surname=王``) are used as given; any other slot is taken from the answer, as
the text between the literal words around it (the trainee says their own agent number and the
caller's real surname), falling back to the flow's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callscript.text import VARIABLE_PATTERN, normalise


def _template_parts(say: str) -> list[tuple[str, str]]:
    """The line as literal text and variable slots, in order: ("lit", text) / ("var", name)."""
    parts: list[tuple[str, str]] = []
    pos = 0
    for match in VARIABLE_PATTERN.finditer(say):
        literal = say[pos:match.start()]
        token = match.group(0)
        if token in ("{{", "}}"):
            literal += token[0]
        if literal:
            if parts and parts[-1][0] == "lit":
                parts[-1] = ("lit", parts[-1][1] + literal)
            else:
                parts.append(("lit", literal))
        if match.group(1):
            parts.append(("var", match.group(1)))
        pos = match.end()
    if say[pos:]:
        if parts and parts[-1][0] == "lit":
            parts[-1] = ("lit", parts[-1][1] + say[pos:])
        else:
            parts.append(("lit", say[pos:]))
    return parts


@dataclass(frozen=True)
class Expected:
    display: str
    norm: str
    values: dict[str, str]
    missing: tuple[str, ...]


def expected_line(say: str, answer_norm: str, fixed: Mapping[str, str], defaults: Mapping[str, str]) -> Expected:
    """The correct line for this answer: fixed values filled, free slots taken from the answer."""
    parts = _template_parts(say)
    # Group consecutive slots (a literal that normalises to nothing does not separate them).
    items: list[tuple[str, Any]] = []
    for kind, value in parts:
        if kind == "lit" and not normalise(value) and items and items[-1][0] == "vars":
            items[-1][1].append(("lit", value))
        elif kind == "var":
            if items and items[-1][0] == "vars":
                items[-1][1].append(("var", value))
            else:
                items.append(("vars", [("var", value)]))
        else:
            items.append(("lit", value))
    display: list[str] = []
    norm: list[str] = []
    values: dict[str, str] = {}
    missing: list[str] = []
    cursor = 0
    for index, (kind, value) in enumerate(items):
        if kind == "lit":
            display.append(value)
            norm.append(normalise(value))
            found = answer_norm.find(normalise(value)[:4], cursor) if normalise(value) else -1
            if found >= 0:
                cursor = found
            continue
        names = [v for k, v in value if k == "var"]
        default_text = "".join(fixed.get(v, defaults.get(v, "")) if k == "var" else v for k, v in value)
        captured = None
        if not all(n in fixed for n in names):
            captured = _capture(items, index, answer_norm, cursor)
        if captured is None:
            for n in names:
                values[n] = fixed.get(n, defaults.get(n, ""))
            display.append(default_text)
            norm.append(normalise(default_text))
            continue
        text, cursor = captured
        if not text:
            missing.append("".join("{%s}" % n for n in names))
            display.append(default_text)
            norm.append(normalise(default_text))
            for n in names:
                values[n] = ""
            continue
        values.update(_split_group(names, text))
        display.append(text)
        norm.append(text)
    return Expected("".join(display), "".join(norm), values, tuple(missing))


_TITLES = ("先生", "小姐", "女士")


def _split_group(names: list[str], text: str) -> dict[str, str]:
    """Share a captured text among adjacent slots: ``{surname}{title}`` splits off 先生/小姐/女士."""
    values = dict.fromkeys(names, "")
    if len(names) == 2 and names[1] == "title":
        for title in _TITLES:
            if text.endswith(title) and len(text) > len(title):
                values[names[0]], values["title"] = text[: -len(title)], title
                return values
    values[names[0]] = text
    return values


def _capture(items: list[tuple[str, Any]], index: int, answer: str, cursor: int) -> tuple[str, int] | None:
    """The answer's text in slot group ``index``, found between the literal words around it."""
    before = normalise(items[index - 1][1])[-4:] if index > 0 else ""
    after = normalise(items[index + 1][1])[:4] if index + 1 < len(items) else ""
    if before:
        at = answer.find(before, max(0, cursor - len(before)))
        if at < 0:
            return None
        start = at + len(before)
    else:
        start = 0
    if after:
        end = answer.find(after, start)
        if end < 0:
            return None
    else:
        end = len(answer)
    text = answer[start:end]
    if len(text) > 20:  # the anchors matched the wrong words
        return None
    return text, end
