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
A reader that needs only the known fields (the team report) passes ``typed_parser()`` to
``iter_lines``: the same records and skips, as structs, checked in C by msgspec.

``LogError`` (a ``CallscriptError``) is the only exception that leaves this module: for a file
that cannot be opened at all.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
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


def _scalar(value: Any) -> bool:
    return value is None or type(value) in (str, bool) or _number(value)


_NUMBER = frozenset((int, float))
_TEXT = frozenset((str,))
# The fields of docs/session-log.md: the JSON types each may have when present, what that is
# called in a skip reason, and for some a closer check of the value.
FIELD_TYPES: dict[str, tuple[frozenset[type], str]] = {
    **{key: (_NUMBER, "a number") for key in ("t", "mono", "seconds", "rate", "duration", "since")},
    **{key: (_TEXT, "text") for key in ("type", "wall", "flow", "step", "end", "source", "name", "from_flow",
                                        "from_step", "text", "file", "state", "condition", "why")},
    "say": (frozenset((str, type(None))), "text or null"),
    "depth": (frozenset((int,)), "a whole number"),
    "resumed": (frozenset((bool,)), "true or false"), "matched": (frozenset((bool,)), "true or false"),
    "said_lines": (frozenset((bool,)), "true or false"),
    "detail": (frozenset((dict,)), "an object"),
    "variables": (frozenset((dict,)), "an object of texts, numbers, true/false or null"),
    "value": (frozenset((str, int, float, bool, type(None))), "text, a number, true/false or null"),
    "situations": (frozenset((list,)), "a list of texts"),
}
_VALUE_CHECKS: dict[str, Callable[[Any], bool]] = {
    **{key: _number for key in ("t", "mono", "seconds", "rate", "duration", "since", "value")},
    "value": _scalar,
    "depth": lambda v: 0 <= v <= 1000,
    "variables": lambda v: all(_scalar(x) for x in v.values()),
    "situations": lambda v: all(type(x) is str for x in v),
}
REQUIRED = ("type", "t")
_SPEC = {key: (allowed, _VALUE_CHECKS.get(key)) for key, (allowed, _) in FIELD_TYPES.items()}


@dataclass
class Skipped:
    """The records a reader left out: how many, and where (``file:line``) with why."""

    count: int = 0
    places: list[tuple[str, int, str]] = field(default_factory=list)  # the first SHOWN of them
    cut_off: int = 0  # of them, last lines torn by a process stopped mid-write

    def add(self, where: str, line: int, reason: str) -> None:
        """Count one skipped line (a subclass may keep every place; this keeps the first few)."""
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


# One decoder for every line (``json.loads`` with an option builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_decode = _DECODER.raw_decode


def _too_deep(value: Any, depth: int = 1) -> bool:
    if depth > MAX_DEPTH:
        return True
    if type(value) is dict:
        return any(_too_deep(v, depth + 1) for v in value.values() if type(v) in (dict, list))
    if type(value) is list:
        return any(_too_deep(v, depth + 1) for v in value if type(v) in (dict, list))
    return False


def _parse_stdlib(line: bytes) -> Any:
    """The JSON value of ``line`` with the standard library, or why it is none (a str in a tuple)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return ("not UTF-8 text",)
    try:
        value, end = _decode(text, 0 if not text[:1].isspace() else len(text) - len(text.lstrip()))
    except RecursionError:
        return (f"nested deeper than {MAX_DEPTH} levels",)
    except ValueError as exc:
        return ("not JSON" if "session log" not in str(exc) else str(exc),)
    if end != len(text) and not text[end:].isspace():
        return ("not JSON (more after the record)",)
    if type(value) is dict and ("\\ud" in text or "\\uD" in text):
        try:  # a lone surrogate cannot be printed or stored as UTF-8
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return ("holds a lone UTF-16 surrogate",)
    return value


try:  # orjson (the training extra) parses three times as fast; the rules are the same either way
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - a core install
    _fast_loads = None


def parse_record(line: bytes) -> dict[str, Any] | str:
    """The record on one line, or why it is not one (a short reason, for ``Skipped``)."""
    if len(line) > MAX_LINE_BYTES:
        return f"line longer than {MAX_LINE_BYTES:,} bytes"
    if _fast_loads is not None:
        try:
            record = _fast_loads(line)
        except ValueError:  # orjson refuses what the standard parser refuses; it says why
            record = _parse_stdlib(line)
            if type(record) is not tuple:  # accepted there (an edge orjson is stricter on)
                record = ("not JSON",)
    else:
        record = _parse_stdlib(line)
    if type(record) is tuple:
        return record[0]  # type: ignore[no-any-return]
    if type(record) is not dict:
        return "not a JSON object"
    # Counting brackets is C-speed; only a line with many of them is walked.
    if line.count(b"{") + line.count(b"[") > MAX_DEPTH and _too_deep(record):
        return f"nested deeper than {MAX_DEPTH} levels"
    if "type" not in record or "t" not in record:
        return f"no {'type' if 'type' not in record else 't'!r} field"
    spec = _SPEC
    for key, value in record.items():
        if (rule := spec.get(key)) is None:
            continue
        allowed, check = rule
        if type(value) not in allowed:
            return f"{key!r} should be {FIELD_TYPES[key][1]}"
        if check is None:
            continue
        if check is _number:  # inline: most checked fields are times
            if not -MAX_TIME <= value <= MAX_TIME:
                return f"{key!r} should be {FIELD_TYPES[key][1]}"
        elif not check(value):
            return f"{key!r} should be {FIELD_TYPES[key][1]}"
    return record


# -- the typed fast path, for a reader that needs only the known fields --------------------------
#
# msgspec decodes a line straight into a struct of the known fields, checking every type and range
# of FIELD_TYPES in C, where ``parse_record`` checks them in a Python loop per field (the team
# report, which reads only known fields, costs a quarter fewer instructions so). It is a filter
# in front of ``parse_record``, never a second set of rules: a line it cannot judge (a \u escape:
# a lone surrogate; "detail", which may hold any JSON and nest) or that it refuses goes through
# ``parse_record``, which says why, or, when that takes it after all, gives the struct its values.
# A line msgspec takes is one ``parse_record`` takes, with the same values:
# tests/faults/test_log_reader.py fuzzes the two side by side. Unknown fields are not kept.


@cache
def typed_parser() -> Callable[[bytes], Any]:
    """``parse(line)``: as ``parse_record``, with the record as a struct of the known fields
    (``record.flow``, None where the line does not have it), or why it is not one (a str)."""
    from typing import Annotated, Union

    import msgspec
    from msgspec import Meta

    whole = int(MAX_TIME)
    number = Union[Annotated[int, Meta(ge=-whole, le=whole)], Annotated[float, Meta(ge=-MAX_TIME, le=MAX_TIME)]]
    scalar = Union[str, bool, None, number]
    types: dict[str, Any] = {
        **{key: number for key, (_, check) in _SPEC.items() if check is _number},
        **{key: str for key, (allowed, _) in _SPEC.items() if allowed == _TEXT},
        "say": Union[str, None], "depth": Annotated[int, Meta(ge=0, le=1000)], "resumed": bool,
        "matched": bool, "said_lines": bool, "detail": dict, "variables": dict[str, scalar], "value": scalar, "situations": list[str],
    }
    if types.keys() != FIELD_TYPES.keys():  # pragma: no cover - a field added to one and not the other
        raise AssertionError(f"msgspec types differ from FIELD_TYPES: {types.keys() ^ FIELD_TYPES.keys()}")
    fields: list[tuple[Any, ...]] = [(key, types[key]) for key in REQUIRED]
    # A field the line does not have is None, as dict.get gives it (an explicit null is still
    # refused where the type has no null: the default does not change what is taken).
    fields += [(key, kind, None) for key, kind in types.items() if key not in REQUIRED]
    # Unknown fields are refused here (msgspec would skip them unjudged: bytes that are not UTF-8,
    # a number orjson refuses), so such a line takes the slow path. So no line taken here nests
    # deeper than variables' values, except through "detail", which takes the slow path too.
    struct = msgspec.defstruct("TypedRecord", fields, forbid_unknown_fields=True)
    decode = msgspec.json.Decoder(struct).decode
    errors = (msgspec.DecodeError, msgspec.ValidationError)
    known = _SPEC

    def parse(line: bytes) -> Any:
        # find, not "in": bytes.__contains__ first tries the needle as a byte value, and that
        # raises and clears a TypeError on every line (5% of the report's instructions).
        if len(line) <= MAX_LINE_BYTES and line.find(b"\\u") < 0 and line.find(b'"detail"') < 0:
            try:
                return decode(line)
            except errors:
                pass
        record = parse_record(line)
        if type(record) is str:
            return record
        return struct(**{key: value for key, value in record.items() if key in known})

    return parse


ProgressFn = Callable[[int, int], None]
CHUNK = 1 << 20  # bytes read at a time; progress is reported once per chunk


def _lines(handle: Any, start: int, stop: int | None) -> Iterator[tuple[int, bytes | None, bool]]:
    """``(offset, line, whole)`` of the file from ``start`` to ``stop``, read a chunk at a time
    (``whole``: the line ended with a newline); a line longer than ``MAX_LINE_BYTES`` comes as
    None, its bytes never held whole."""
    offset, carry, overlong = start, b"", False
    while stop is None or offset + len(carry) < stop:
        want = CHUNK if stop is None else min(CHUNK, stop - offset - len(carry))
        chunk = handle.read(want)
        if not chunk:
            break
        parts = (carry + chunk).split(b"\n")
        carry = parts.pop()
        for part in parts:
            size = len(part) + 1
            if overlong:
                yield offset, None, True
                overlong = False
            else:
                yield offset, part, True
            offset += size
        if len(carry) > MAX_LINE_BYTES:  # drop its bytes; only its length counts now
            offset += len(carry)
            carry, overlong = b"", True
    if overlong:
        yield offset, None, False
    elif carry:
        yield offset, carry, False


def iter_records(
    path: Path | str, skipped: Skipped, *, start: int = 0, stop: int | None = None, first_line: int = 1,
    progress: ProgressFn | None = None, where: str | None = None,
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """``(line number, byte offset, record)`` for every good record of the log ``path``.

    Bad lines go to ``skipped`` as ``where:line`` (``where``: the path as given). ``start``/``stop``
    read a byte range (``first_line`` is the number of the line at ``start``); ``progress(done,
    total)`` is called about every ``CHUNK`` bytes and at the end.
    """
    for number, offset, _, record in iter_lines(path, skipped, start=start, stop=stop, first_line=first_line,
                                                progress=progress, where=where):
        yield number, offset, record


def iter_lines(
    path: Path | str, skipped: Skipped, *, start: int = 0, stop: int | None = None, first_line: int = 1,
    progress: ProgressFn | None = None, where: str | None = None,
    parse: Callable[[bytes], Any] = parse_record,
) -> Iterator[tuple[int, int, bytes, dict[str, Any]]]:
    """As ``iter_records``, with each record's line as written (for a fingerprint of it); ``parse``
    is ``parse_record`` or a ``typed_parser()`` (whose records are structs)."""
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
        number, reported = first_line - 1, start
        try:
            for offset, line, whole in _lines(handle, start, stop):
                number += 1
                if progress is not None and offset - reported >= CHUNK:
                    reported = offset
                    progress(offset, total)
                if line is None:
                    skipped.add(where, number, f"line longer than {MAX_LINE_BYTES:,} bytes")
                    continue
                if not line or line.isspace():
                    continue
                result = parse(line)
                if type(result) is str:
                    skipped.add(where, number, result if whole else CUT_OFF)
                    continue
                yield number, offset, line, result  # type: ignore[misc]
        except OSError as exc:
            raise LogError(f"cannot read the session log: {exc.strerror or exc}", where=where) from None
        if progress is not None:
            progress(max(total, reported), max(total, reported))


def being_written(path: Path | str) -> bool:
    """True while a ``SessionLog`` has the file open: it holds an exclusive flock on its file while
    it writes (the kernel drops it when the process dies), so the last call in it may still be
    going on. Readers ask with a shared lock, without waiting, so two readers never take each
    other for a writer."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False
