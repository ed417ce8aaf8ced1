"""Text normalisation shared by phrase lint, ``heard:`` matching and answer scoring.

Recognisers and typists differ from the flows in punctuation, width and spacing, never in meaning,
so comparisons are made on a normalised form: NFKC (full-width to half-width), lower case, and no
punctuation, symbols or whitespace. Pure Python, no dependencies, so the engine can use it.
"""

from __future__ import annotations

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
