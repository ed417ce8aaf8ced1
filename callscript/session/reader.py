"""The one tolerant reader of session logs: report, replay and review all read through it.

A session log is user data that may have been cut off, edited, copied from another system or
crafted. The reader takes every record it can and leaves out each one it cannot, line by line:

- a line that is not UTF-8, not JSON, not a JSON object, longer than ``MAX_LINE_BYTES``, nested
  deeper than the format needs (``MAX_DEPTH``), or that holds ``NaN``/``Infinity``, a number too
  large to be a time, or a lone UTF-16 surrogate is skipped;
- a record whose known fields have the wrong type (``FIELD_TYPES``: ``"t": null``, ``"flow": 7``)
  is skipped, so whatever reads the records can trust the type of every field it uses;
- fields the reader does not know are kept as they are, so logs of later versions still read,
  and fields an earlier version did not write may be missing (only ``type`` and ``t`` are needed).

Every skipped record is counted in a ``Skipped`` with its ``file:line``, and the readers show
"3 records skipped: a.jsonl:17, ..."; a file is never dropped whole for a bad line. The file is
streamed line by line (``iter_records``), so memory does not grow with its size; it is opened
with ``callscript.safeio.open_regular`` (regular files only).

``LogError`` (a ``CallscriptError``) is the only exception that leaves this module: for a file
that cannot be opened at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError

MAX_LINE_BYTES = 1 << 20  # a record callscript writes is a few hundred bytes; a line is at most 1 MiB
MAX_DEPTH = 6  # record -> variables/detail -> a list in detail -> ...: the format needs 3
MAX_TIME = 1e12  # seconds; any number a log holds is a time, a wait or a rate far below this
CUT_OFF = "cut off mid-line (the program stopped while writing it)"
SHOWN = 5  # file:line places named in a summary; the count covers the rest


class LogError(CallscriptError):
    """A session log that cannot be read at all (missing, not a regular file, unreadable)."""


def _number(value: Any) -> bool:
    # Comparisons, not math.isfinite: they refuse NaN and +-inf, and a 400-digit int without
    # converting it to a float (which would raise OverflowError).
    return type(value) in (int, float) and -MAX_TIME <= value <= MAX_TIME


def _text(value: Any) -> bool:
    return type(value) is str


def _text_or_null(value: Any) -> bool:
    return value is None or type(value) is str


def _flag(value: Any) -> bool:
    return type(value) is bool


def _depth(value: Any) -> bool:
    return type(value) is int and 0 <= value <= 1000


def _scalar(value: Any) -> bool:
    return value is None or type(value) in (str, bool) or _number(value)


def _variables(value: Any) -> bool:
    return type(value) is dict and all(_scalar(v) for v in value.values())


def _object(value: Any) -> bool:
    return type(value) is dict


def _texts(value: Any) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


# The fields of docs/session-log.md and the type each must have when present.
FIELD_TYPES: dict[str, Callable[[Any], bool]] = {
    "type": _text, "t": _number, "mono": _number, "wall": _text,
    "flow": _text, "step": _text, "say": _text_or_null, "depth": _depth, "resumed": _flag, "end": _text,
    "source": _text, "name": _text, "matched": _flag, "seconds": _number, "detail": _object,
    "from_flow": _text, "from_step": _text, "value": _scalar, "text": _text, "variables": _variables,
    "file": _text, "rate": _number, "duration": _number, "situations": _texts,
}
REQUIRED = ("type", "t")

_EXPECTED = {
    _number: "a number", _text: "text", _text_or_null: "text or null", _flag: "true or false",
    _depth: "a whole number", _scalar: "text, a number, true/false or null", _variables: "an object of values",
    _object: "an object", _texts: "a list of texts",
}


@dataclass
class Skipped:
    """The records a reader left out: how many, and where (``file:line``) with why."""

    count: int = 0
    places: list[tuple[str, int, str]] = field(default_factory=list)  # the first SHOWN of them
    cut_off: int = 0  # of them, last lines torn by a process stopped mid-write

    def add(self, where: str, line: int, reason: str) -> None:
        self.count += 1
        self.cut_off += reason == CUT_OFF
        if len(self.places) < SHOWN:
            self.places.append((where, line, reason))

    def merge(self, other: Skipped) -> None:
        for where, line, reason in other.places:
            if len(self.places) < SHOWN:
                self.places.append((where, line, reason))
        self.count += other.count
        self.cut_off += other.cut_off

    def where(self) -> str:
        """``a.jsonl:17, a.jsonl:20, ...``: the places named, and ``...`` when there are more."""
        places = ", ".join(f"{where}:{line}" for where, line, _ in self.places)
        return places + (", ..." if self.count > len(self.places) else "")

    def summary(self) -> str:
        """``3 records skipped: a.jsonl:17, a.jsonl:20, b.jsonl:3`` ('' when none were)."""
        if not self.count:
            return ""
        noun = "record" if self.count == 1 else "records"
        return f"{self.count} {noun} skipped: {self.where()}"

    def reasons(self) -> list[str]:
        """``a.jsonl:17: not JSON`` for each place named."""
        return [f"{where}:{line}: {reason}" for where, line, reason in self.places]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a session log holds")


def _too_deep(value: Any, depth: int = 1) -> bool:
    if depth > MAX_DEPTH:
        return True
    if type(value) is dict:
        return any(_too_deep(v, depth + 1) for v in value.values() if type(v) in (dict, list))
    if type(value) is list:
        return any(_too_deep(v, depth + 1) for v in value if type(v) in (dict, list))
    return False


def parse_record(line: bytes) -> dict[str, Any] | str:
    """The record on one line, or why it is not one (a short reason, for ``Skipped``)."""
    if len(line) > MAX_LINE_BYTES:
        return f"line longer than {MAX_LINE_BYTES:,} bytes"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    try:
        record = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        return f"nested deeper than {MAX_DEPTH} levels"
    except ValueError as exc:
        return "not JSON" if "session log" not in str(exc) else str(exc)
    if type(record) is not dict:
        return "not a JSON object"
    # Counting brackets is C-speed; only a line with many of them is walked.
    if text.count("{") + text.count("[") > MAX_DEPTH and _too_deep(record):
        return f"nested deeper than {MAX_DEPTH} levels"
    if "\\ud" in text or "\\uD" in text:  # a lone surrogate cannot be printed or stored as UTF-8
        try:
            json.dumps(record, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "holds a lone UTF-16 surrogate"
    for key in REQUIRED:
        if key not in record:
            return f"no {key!r} field"
    for key, value in record.items():
        check = FIELD_TYPES.get(key)
        if check is not None and not check(value):
            return f"{key!r} should be {_EXPECTED[check]}"
    return record


ProgressFn = Callable[[int, int], None]
PROGRESS_EVERY = 1 << 20  # bytes between progress reports


def iter_records(
    path: Path | str, skipped: Skipped, *, start: int = 0, stop: int | None = None, first_line: int = 1,
    progress: ProgressFn | None = None, where: str | None = None,
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """``(line number, byte offset, record)`` for every good record of the log ``path``.

    Bad lines go to ``skipped`` as ``where:line`` (``where``: the path as given). ``start``/``stop``
    read a byte range (``first_line`` is the number of the line at ``start``); ``progress(done,
    total)`` is called every ``PROGRESS_EVERY`` bytes and at the end.
    """
    from callscript.safeio import open_regular

    where = str(path) if where is None else where
    try:
        handle = open_regular(path, what="session log")
    except CallscriptError as exc:
        raise LogError(exc.message, where=exc.where, hint=exc.hint) from None
    with handle:
        total = os.fstat(handle.fileno()).st_size
        if start:
            handle.seek(start)
        offset, number, reported = start, first_line - 1, start
        while stop is None or offset < stop:
            try:
                line = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as exc:
                raise LogError(f"cannot read the session log: {exc.strerror or exc}", where=where) from None
            if not line:
                break
            number += 1
            here = offset
            offset += len(line)
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (more := handle.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                    offset += len(more)
                offset += len(more)
                skipped.add(where, number, f"line longer than {MAX_LINE_BYTES:,} bytes")
                continue
            if progress is not None and offset - reported >= PROGRESS_EVERY:
                reported = offset
                progress(offset, total)
            if not line.strip():
                continue
            result = parse_record(line)
            if type(result) is str:
                if not line.endswith(b"\n"):
                    result = CUT_OFF
                skipped.add(where, number, result)
                continue
            yield number, here, result  # type: ignore[misc]
        if progress is not None:
            progress(offset, max(total, offset))
