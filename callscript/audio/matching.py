"""The tolerant ``heard:`` matcher: does recognised text contain one of a step's phrases?

Recognisers get words slightly wrong in predictable ways: for Chinese, a homophone or a
near-homophone (是/事, 知道/指导, zh/z and n/l confusions of southern accents); elsewhere, a letter
or a syllable. So the comparison is made on the normalised text (``callscript.text.normalise``),
and for Chinese on toneless pinyin with the usual accent merges, as an *approximate substring*
search (Sellers' edit distance: the best-matching stretch of the heard text). A phrase matches
when that distance is within a quarter of its length; phrases of one or two units must match
exactly, or "是" would match everything.

``make_matcher(language)`` returns a function ``(text, phrases) -> bool`` to plug into
``CallEngine(matcher=...)``. pypinyin is imported lazily; without it Chinese falls back to
characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from callscript.text import normalise

# Accent merges: the recogniser (or the caller) often blurs these, and a missed transition costs
# more than a rare false match between two phrases of one step.
_INITIAL_MERGES = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FINAL_MERGES = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF


def _fold_syllable(syllable: str) -> str:
    for long, short in _INITIAL_MERGES:
        if syllable.startswith(long):
            syllable = short + syllable[len(long):]
            break
    for long, short in _FINAL_MERGES:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


@lru_cache(maxsize=4096)
def units(text: str) -> tuple[str, ...]:
    """The units compared: folded pinyin syllables for Chinese characters, characters otherwise."""
    normal = normalise(text)
    if not any(_is_cjk(ch) for ch in normal):
        return tuple(normal)
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is in the training/dev extras
        return tuple(normal)
    out: list[str] = []
    for piece in lazy_pinyin(normal, style=Style.NORMAL, errors=lambda chars: list(chars)):
        out.append(_fold_syllable(piece) if piece.isascii() and piece.isalpha() and len(piece) > 1 else piece)
    return tuple(out)


def substring_distance(pattern: Sequence[str], text: Sequence[str]) -> int:
    """Fewest edits turning ``pattern`` into some stretch of ``text`` (Sellers' algorithm)."""
    if not pattern:
        return 0
    previous = list(range(len(pattern) + 1))
    best = previous[-1]
    for item in text:
        current = [0]
        for i, unit in enumerate(pattern, 1):
            current.append(min(previous[i] + 1, current[i - 1] + 1, previous[i - 1] + (unit != item)))
        previous = current
        best = min(best, current[-1])
    return best


def allowed_edits(length: int) -> int:
    """Edits tolerated for a phrase of ``length`` units: none up to 2, then a quarter."""
    return 0 if length <= 2 else length // 4


def phrase_score(text: str, phrase: str) -> float:
    """How well ``phrase`` occurs in ``text``: 1.0 exactly, 0.0 not at all."""
    pattern = units(phrase)
    if not pattern:
        return 0.0
    return max(0.0, 1.0 - substring_distance(pattern, units(text)) / len(pattern))


def tolerant_match(text: str, phrases: Iterable[str]) -> bool:
    """True when some phrase occurs in ``text`` within the tolerated number of edits."""
    heard = units(text)
    if not heard:
        return False
    normal_heard = normalise(text)
    for phrase in phrases:
        pattern = units(phrase)
        if not pattern:
            continue
        if normalise(phrase) in normal_heard:
            return True
        if substring_distance(pattern, heard) <= allowed_edits(len(pattern)):
            return True
    return False


def make_matcher(language: str | None = None) -> Callable[[str, Iterable[str]], bool]:
    """The engine's ``heard:`` matcher (the same tolerant matcher for every language: Chinese text
    is compared as pinyin, everything else as characters)."""
    return tolerant_match
