"""Safe YAML reading that keeps where every value was written.

Flows are user input, so this reader trusts nothing. It works from PyYAML's event stream (libyaml
when available) and builds its own small tree of ``Node`` objects that each carry a line and
column, so every later error can point at the YAML that caused it. It never constructs Python
objects from tags (any tag is an error, so no flow can run code), rejects duplicate keys, and
enforces limits: file size, nesting depth, and how far aliases may expand (a "billion laughs"
file is refused instead of eating memory). Empty, binary and non-UTF-8 files get their own clear
errors. ``YamlProblem`` is the only exception that leaves ``read_yaml``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_BYTES = 256 * 1024
TOO_LARGE_HINT = "a flow is a few kilobytes; split it into several flows"
MAX_DEPTH = 32
MAX_NODES = 10_000  # nodes in the document, counting each alias as a full copy of its anchor
# libyaml's parser slows down quadratically on deeply nested flow collections ("[[[[..."), so
# such input is refused by a cheap bracket count before it reaches the parser.
_MAX_BRACKETS = 64

try:  # libyaml's parser when PyYAML was built with it (PyYAML's documented way to ask for it)
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader


def _events(text: str):  # noqa: ANN202 - an iterator of PyYAML events
    """The YAML event stream of ``text`` (libyaml when available, else pure Python)."""
    return yaml.parse(text, Loader=_Loader)

_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


_NO_ITEMS: dict = {}  # shared by scalars and lists, which have no keys (never mutated)


class YamlProblem(Exception):
    """The file is not YAML this reader accepts: where and why, with a hint."""

    def __init__(self, message: str, line: int = 0, column: int = 0, hint: str = "", code: str = "yaml") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        self.code = code


class Node:
    """A YAML value and where it was written (1-based line and column).

    ``kind`` is ``map`` (``value`` is the list of key nodes in order, keys unique; ``items`` has the
    value nodes by key text), ``seq`` (a list of nodes) or ``scalar`` (str, int, float, bool or
    None). ``size`` counts the nodes in the subtree, for the alias limit.
    """

    # A flow has hundreds of nodes and a batch thousands of flows: keep them small and cheap to
    # build (every field is set by one __init__ call, after the collection's children are known).
    __slots__ = ("kind", "value", "line", "column", "size", "items")

    def __init__(
        self, kind: str, value: Any, line: int, column: int, size: int = 1, items: dict[str, Node] = _NO_ITEMS,
    ) -> None:
        self.kind = kind
        self.value = value
        self.line = line
        self.column = column
        self.size = size
        self.items = items

    @property
    def keys(self) -> dict[str, Node]:
        """A mapping's key nodes by key text; only errors that point at a key need them."""
        if self.kind != "map":
            return {}
        return {str(key.value): key for key in self.value}

    @property
    def type_name(self) -> str:
        if self.kind == "map":
            return "a mapping"
        if self.kind == "seq":
            return "a list"
        return {
            type(None): "nothing",
            bool: "true/false",
            int: "a number",
            float: "a number",
            str: "text",
        }.get(type(self.value), "a value")


# Only a plain scalar starting with one of these can be anything but text (null ~ true false,
# numbers with a sign, a dot or a digit); most flow values are Chinese or English words, so this
# one set lookup settles them without a regex.
_MAYBE_TYPED = frozenset(["", "~", "n", "N", "t", "T", "f", "F", "+", "-", ".", *"0123456789"])


def _resolve_plain(text: str) -> Any:
    """Type of an unquoted scalar: null, true/false, int, float or text (YAML 1.2 core-like)."""
    if text[:1] not in _MAYBE_TYPED:
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text)
    return text


def decode(data: bytes) -> str:
    """Bytes of a flow file to text, refusing what is not a UTF-8 text file of sensible size."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(
            f"file is too large ({len(data):,} bytes; the limit is {MAX_BYTES:,})",
            hint=TOO_LARGE_HINT,
            code="too-large",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise YamlProblem(
            "this is a binary file, not a YAML flow", line, 1,
            hint="flows are UTF-8 text files written as YAML (see docs/flow-format.md)",
            code="binary",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} at byte {exc.start})", line, column,
            hint="save the file as UTF-8 (Chinese text saved as GBK or Big5 must be converted)",
            code="encoding",
        ) from None
    return text.removeprefix("\ufeff")


def _check_brackets(text: str) -> None:
    if text.count("[") + text.count("{") <= _MAX_BRACKETS:  # the usual case, at C speed
        return
    depth = 0
    for index, ch in enumerate(text):
        if ch in "[{":
            depth += 1
            if depth > _MAX_BRACKETS:
                line = text.count("\n", 0, index) + 1
                raise YamlProblem(
                    f"brackets are nested more than {_MAX_BRACKETS} deep", line,
                    index - (text.rfind("\n", 0, index) + 1) + 1,
                    hint="flows need only a few levels of nesting; check for unbalanced [ or {",
                    code="too-deep",
                )
        elif ch in "]}" and depth:
            depth -= 1


# Control characters other than tab and newline (C0, DEL, C1), and the bidirectional overrides
# that make text read differently from what it holds.
_ESCAPED_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _control_problem(event: Any, value: str) -> YamlProblem:
    found = _ESCAPED_CONTROL.search(value)
    code = f"U+{ord(found.group()):04X}" if found else "?"
    mark = event.start_mark
    return YamlProblem(
        f"text holds a control character ({code}) written as an escape", mark.line + 1, mark.column + 1,
        hint="remove the escape: flow text is shown on agents' terminals and in reports", code="syntax",
    )


def read_yaml(data: bytes | str) -> Node:
    """Parse one YAML document into a ``Node`` tree, or raise ``YamlProblem``."""
    text = decode(data) if isinstance(data, bytes) else data
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlProblem("file is too large", hint="split it into several flows", code="too-large")
    _check_brackets(text)
    try:
        root = _build(_events(text))
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(s for s in (exc.context, exc.problem) if s) or "invalid YAML"
        raise YamlProblem(
            f"YAML syntax: {what}",
            (mark.line + 1) if mark else 0,
            (mark.column + 1) if mark else 0,
            hint="check indentation (spaces, not tabs) and quote text containing ': ' or '#'",
            code="syntax",
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise YamlProblem(
            f"the file contains a character YAML does not allow (code point {exc.character!r})",
            line, column, hint="remove control characters from the file", code="syntax",
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise YamlProblem(f"YAML could not be read: {exc}", code="syntax") from None
    if root is None:
        raise YamlProblem(
            "the file is empty", 1, 1,
            hint="a flow needs at least id, title, language, gloss, source, start and steps "
            "(see docs/flow-format.md)",
            code="empty",
        )
    return root


def _build(events: Any) -> Node | None:
    """Turn the event stream into nodes, checking tags, duplicates, depth and alias expansion.

    This loop runs once per YAML value of every file loaded, so it keeps per-event work small:
    nodes go straight into their parent's list of children, and a collection's node is made once,
    when it closes. ``total`` counts values as they are read (an alias counts its anchor's whole
    subtree), so a collection's size is simply how far ``total`` moved while it was open.
    """
    top: list[Node] = []  # the document's root ends up here
    children = top  # where the next value goes: the innermost open collection's children
    # Open collections: kind, line, column, anchor, the parent's children, ``total`` when opened.
    stack: list[tuple[str, int, int, str | None, list[Node], int]] = []
    anchors: dict[str, Node] = {}
    total = 0
    documents = 0

    for event in events:
        cls = type(event)
        if cls is _SCALAR:
            if event.tag is not None:
                raise _tag_problem(event)
            value = event.value
            # Only a double-quoted escape ("\e", "\x1b") can put a control character in a value
            # (the reader refuses raw ones); flow text reaches agents' terminals, so refuse it here.
            if event.style == '"' and _ESCAPED_CONTROL.search(value):
                raise _control_problem(event, value)
            if value[:1] in _MAYBE_TYPED and event.implicit[0]:  # plain, and maybe not text
                value = _resolve_plain(value)
            mark = event.start_mark
            node = Node("scalar", value, mark.line + 1, mark.column + 1)
            total += 1
            if total > MAX_NODES:
                raise _too_big(node.line, node.column)
            if event.anchor:
                anchors[event.anchor] = node
            children.append(node)
        elif cls is _MAP_START or cls is _SEQ_START:
            if event.tag is not None:
                raise _tag_problem(event)
            mark = event.start_mark
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(
                    f"the YAML is nested more than {MAX_DEPTH} levels deep", mark.line + 1, mark.column + 1,
                    hint="flows need only a few levels of nesting", code="too-deep",
                )
            kind = "map" if cls is _MAP_START else "seq"
            stack.append((kind, mark.line + 1, mark.column + 1, event.anchor, children, total))
            children = []
        elif cls is _MAP_END or cls is _SEQ_END:
            kind, line, column, anchor, parent, opened = stack.pop()
            total += 1
            if total > MAX_NODES:
                raise _too_big(line, column)
            if kind == "seq":
                node = Node(kind, children, line, column, total - opened)
            else:
                keys, items = _pair_up(children)
                node = Node(kind, keys, line, column, total - opened, items)
            if anchor:
                anchors[anchor] = node
            children = parent
            children.append(node)
        elif cls is yaml.AliasEvent:
            mark = event.start_mark
            target = anchors.get(event.anchor)
            if target is None:  # libyaml reports unknown aliases itself; be safe anyway
                raise YamlProblem(f"unknown alias '*{event.anchor}'", mark.line + 1, mark.column + 1, code="syntax")
            total += target.size
            if total > MAX_NODES:
                raise _too_big(mark.line + 1, mark.column + 1)
            children.append(target)
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                mark = event.start_mark
                raise YamlProblem(
                    "the file holds more than one YAML document", mark.line + 1, mark.column + 1,
                    hint="put each flow in its own file (remove the '---' separator)",
                    code="multiple-documents",
                )
    return top[0] if top else None


def _pair_up(children: list[Node]) -> tuple[list[Node], dict[str, Node]]:
    """A mapping's children (key, value, key, value ...) as its key nodes and values by key text."""
    keys = children[0::2]
    items: dict[str, Node] = {}
    for key, value in zip(keys, children[1::2]):
        name = key.value
        if name.__class__ is not str:  # text is the usual key; anything else is checked here
            name = _key_name(key)
        if name in items:
            first = next(k for k in keys if str(k.value) == name)
            raise YamlProblem(
                f"duplicate key '{name}' (first written at line {first.line})", key.line, key.column,
                hint="each key may appear once in a mapping; remove or rename one of them",
                code="duplicate-key",
            )
        items[name] = value
    return keys, items


def _key_name(key: Node) -> str:
    """The text of a key that is not plain text: a number is read as its digits; others are refused."""
    if key.kind != "scalar" or key.value is None or isinstance(key.value, bool):
        raise YamlProblem(
            "mapping keys must be plain names", key.line, key.column,
            hint="write keys as simple words, e.g. 'say:'", code="bad-key",
        )
    return str(key.value)


_SCALAR = yaml.ScalarEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent


def _tag_problem(event: yaml.Event) -> YamlProblem:
    # PyYAML reports a tag only when one was written explicitly.
    return YamlProblem(
        f"YAML tags are not allowed in flows (found '{event.tag}')",
        event.start_mark.line + 1, event.start_mark.column + 1,
        hint="remove the tag; flows hold plain text, numbers, lists and mappings",
        code="tag",
    )


def _too_big(line: int, column: int) -> YamlProblem:
    return YamlProblem(
        f"the YAML expands to more than {MAX_NODES:,} values (aliases count in full)", line, column,
        hint="flows are small; remove repeated aliases (*name)", code="too-large",
    )
