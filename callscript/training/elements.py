"""Finding a line's required elements in an answer: the wordings a flow's ``expect:`` accepts.

A step's ``expect`` (``flow.model.Expected``) lists what an answer must contain: the greeting, the
apology, the request, the offer of help ..., each with the wordings a trainer accepts. An element
is said when one of its wordings occurs in the answer, compared as pinyin keys (so a recogniser's
homophone counts) with punctuation, width and spacing removed, in any order. In a wording,
``{variable}`` stands for any short text (the caller's surname, the agent's number) and ``……`` for
anything (what the caller said, restated).

The answer is matched with 你 read as 您: saying 你 is one fault, judged once by the scorer's
``informal_you`` rule, not again as a missing greeting (你好) or polite form.

A long wording (``FUZZY_MIN`` characters or more, no variables) also counts when it occurs with a
slip (``FUZZY_THRESHOLD`` partial similarity of the keys): character similarity helps to find an
element, it never decides a verdict on its own. A wording right after 不, 没 or 别 is negated and
does not count (我不同意您的看法 does not agree).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from callscript.flow.model import Expected
from callscript.text import VARIABLE_PATTERN, normalise
from callscript.training.pinyin import pinyin_key

FUZZY_MIN = 7
FUZZY_THRESHOLD = 85.0
MAX_SLOT = 12  # characters a {variable} may stand for: a name, a number, a company
NEGATIONS = frozenset("不没别")
_YOU = re.compile(r"你(?!们)")
_SPLIT = re.compile(r"(\{\w+\}|…+|\.{3,})")

# Polite markers of a request (004 §7.4 and the phone scripts): an order without any is blunt.
ZH_POLITE = ("请", "您", "麻烦", "能否", "能不能", "可不可以", "可以吗", "好吗", "行吗", "好不好", "劳驾")
EN_POLITE = ("please", "could you", "would you", "may i", "can you")


@dataclass(frozen=True)
class Found:
    """Whether an element was said, and what in the answer said it (normalised)."""

    element: Expected
    said: str | None

    @property
    def ok(self) -> bool:
        return self.said is not None


def as_said(answer_norm: str) -> str:
    """The normalised answer as elements are matched against it: 你 read as 您."""
    return _YOU.sub("您", answer_norm)


@functools.lru_cache(maxsize=4096)
def _pattern(wording: str, english: bool) -> tuple[re.Pattern[str], str | None, bool]:
    """A regular expression for ``wording``; its plain key for fuzzy matching (None when it has
    slots or is short); and whether it matches the answer's characters rather than its pinyin key.

    A wording with slots matches characters: next to a slot that takes any text, one homophone
    is too easily found (``{agent}号`` would find 您好, since 号 and 好 are both hao)."""
    parts: list[str] = []
    literal = ""
    pieces = [p for p in _SPLIT.split(wording) if p]
    slots = any(_SPLIT.fullmatch(p) for p in pieces)
    for piece in pieces:
        if _SPLIT.fullmatch(piece):
            parts.append(f".{{1,{MAX_SLOT}}}?" if piece.startswith("{") else ".*?")
            continue
        norm = as_said(normalise(piece))
        key = norm if english or slots else pinyin_key(norm)
        literal += key
        parts.append(re.escape(key))
    if not literal:  # slots alone ({surname}{title}) would match any answer: they say nothing
        return re.compile(r"(?!)"), None, slots
    fuzzy = literal if not slots and len(literal) >= FUZZY_MIN else None
    return re.compile("".join(parts), re.DOTALL), fuzzy, slots


def _negated(text: str, start: int) -> bool:
    """Whether the words found at ``start`` are negated (不同意您的看法 is not agreeing)."""
    return start > 0 and text[start - 1] in NEGATIONS


def find(elements: Sequence[Expected], answer_norm: str, *, english: bool = False) -> list[Found]:
    """For each element, the part of the answer that says it (None: not said)."""
    said = as_said(answer_norm)
    key = said if english else pinyin_key(said)
    found: list[Found] = []
    for element in elements:
        hit: str | None = None
        for wording in element.any:
            pattern, fuzzy, on_text = _pattern(wording, english)
            haystack = said if on_text else key
            match = next((m for m in pattern.finditer(haystack) if english or not _negated(said, m.start())), None)
            if match:
                hit = answer_norm[match.start():match.end()]
                break
            if fuzzy and len(key) >= len(fuzzy) - 1:
                alignment = fuzz.partial_ratio_alignment(fuzzy, key)
                if (alignment is not None and alignment.score >= FUZZY_THRESHOLD
                        and (english or not _negated(said, alignment.dest_start))):
                    hit = answer_norm[alignment.dest_start:alignment.dest_end]
                    break
        found.append(Found(element, hit))
    return found


def polite(answer_norm: str, *, english: bool = False) -> bool:
    """Whether the answer has a polite marker of a request (请, 您, 麻烦, 好吗 ...; 你 counts as
    您 here: it is judged on its own)."""
    text = as_said(answer_norm)
    return any(marker.replace(" ", "") in text for marker in (EN_POLITE if english else ZH_POLITE))


def label(element: Expected, language: str) -> str:
    """The element's name in the interface language."""
    return element.label.pick("en" if language.startswith("en") else "zh")


def variables_of(wording: str) -> list[str]:
    """The ``{variables}`` a wording uses."""
    return [m.group(1) for m in VARIABLE_PATTERN.finditer(wording) if m.group(1)]


def readable(text: str, values: Mapping[str, str]) -> str:
    """A wording (or a slot) as the trainee reads it: each ``{variable}`` filled with the practice
    value, and one with no value written as …… (a raw ``{name}`` means nothing to a trainee)."""
    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:  # {{ or }}: a literal brace
            return match.group(0)[0]
        return values.get(match.group(1)) or "……"

    return VARIABLE_PATTERN.sub(replace, text)


def examples(element: Expected, values: Mapping[str, str], count: int = 3) -> list[str]:
    """The first ``count`` wordings of an element as the trainee reads them (``readable``);
    wordings that read the same once filled (欢迎致电{hotline}, 欢迎致电) are shown once."""
    shown: list[str] = []
    for wording in element.any:
        text = readable(wording, values)
        if text not in shown:
            shown.append(text)
        if len(shown) == count:
            break
    return shown
