"""Text normalisation shared by phrase lint, ``heard:`` matching and answer scoring, and
``visible``: what every output does to text from a log, a flow or a transcript.

Recognisers and typists differ from the flows in punctuation, width and spacing, never in meaning,
so comparisons are made on a normalised form: NFKC (full-width to half-width), lower case, and no
punctuation, symbols or whitespace. Pure Python, no dependencies, so the engine can use it.
"""

from __future__ import annotations

import json

import re
import unicodedata
from functools import lru_cache

_DROP_CATEGORIES = ("P", "S", "Z", "C")  # punctuation, symbols, separators, control

# Variables like {surname} in a flow line, and the doubled braces that escape a literal brace.
VARIABLE_PATTERN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@lru_cache(maxsize=4096)  # the same flow phrases are compared again and again
def normalise(text: str) -> str:
    """Return ``text`` with width, case, punctuation and spacing differences removed.

    >>> normalise("您好!请问 有什么可以帮助您?")
    '您好请问有什么可以帮助您'
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith(_DROP_CATEGORIES))


def variables_in(text: str) -> list[str]:
    """Names of the ``{variables}`` used in ``text``, in order of appearance."""
    if "{" not in text:  # most lines: no scan needed
        return []
    return [m.group(1) for m in VARIABLE_PATTERN.finditer(text) if m.group(1)]


def fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` with ``values[name]``; unknown names are left as written.

    Only plain names are substituted (no attribute or index access), so a flow line can never reach
    into Python objects the way ``str.format`` could.
    """

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values.get(match.group(1), token)

    return VARIABLE_PATTERN.sub(replace, text)


# Characters a terminal (or a reader of the text) would act on instead of showing: C0 and C1
# controls (ESC starts ANSI/OSC sequences that retitle, recolour or clear a terminal), DEL, the
# bidirectional overrides and isolates that reorder what is shown, and lone surrogates (which
# cannot be written as UTF-8 at all).
_OTHERS = r"\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(r"[\x00-\x08" + _OTHERS + "]")  # newline and tab kept
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x0a" + _OTHERS + "]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _picture(match: re.Match[str]) -> str:
    # Unicode's control pictures (U+2400..U+2421: ␛ for ESC) show a C0 control or DEL in one
    # cell; anything else becomes U+FFFD.
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def visible(text: str, *, lines: bool = False, keep_length: bool = False) -> str:
    """``text`` with every control character written out as an escape (ESC as ``\\x1b``), so it
    is shown, never acted on, by a terminal, the TUI or a page. One line unless ``lines``: then
    newlines and tabs are kept as they are. ``keep_length`` shows each as one character instead
    (ESC as ␛), for styled text whose spans must stay where they are.

    >>> visible("A\\x1b]0;pwned\\x07B")
    'A\\\\x1b]0;pwned\\\\x07B'
    """
    if type(text) is not str:
        text = str(text)
    pattern = _CONTROL if lines else _CONTROL_ONE_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_picture if keep_length else _escape, text)


# What json.dumps(ensure_ascii=False) leaves raw but a terminal acts on: DEL, the C1 controls, the
# bidirectional overrides and isolates, and the line/paragraph separators.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_text(value: object) -> str:
    """``value`` as one line of JSON for a terminal or a pipe: Chinese stays readable, and every
    character a terminal could act on is a ``\\uXXXX`` escape (json.dumps escapes the C0 controls
    itself), so a reader gets exactly the same data back."""
    text = json.dumps(value, ensure_ascii=False)
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

