"""Pinyin keys: Chinese text with each character replaced by a code for its toneless syllable.

A recogniser writes homophones (帮主 for 帮助); comparing keys instead of characters makes them cost
nothing. pypinyin is imported on first use (its dictionaries take 0.2 s to load).
"""

from __future__ import annotations

import functools

PARTICLES = frozenset("呀啊吧呢嘛哦哈啦喔噢")  # modal particles: one and the same in a forbidden key
PARTICLE_CODE = "\U000F0000"

_SYLLABLES: dict[str, str] = {}


def _code(syllable: str) -> str:
    """One private-use character per pinyin syllable, so a key has one character per character."""
    if len(syllable) == 1 and not ("a" <= syllable <= "z"):
        return syllable
    code = _SYLLABLES.get(syllable)
    if code is None:
        code = _SYLLABLES[syllable] = chr(0xF0001 + len(_SYLLABLES))
    return code


_CHARS: dict[str, str] = {}  # Chinese character -> the code of its toneless syllable


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def _learn(chars: set[str]) -> None:
    """Look up the syllables of characters not seen before, all in one pypinyin call.

    Characters are read one by one (each its most common reading), not as words: the same
    character always gets the same code, so a key costs a dictionary look-up per character once
    pypinyin has read it, and a 2,000-character answer scores in milliseconds. Both sides of a
    comparison are read the same way, so identical characters always match and homophones match
    by their usual reading."""
    try:
        from pypinyin import lazy_pinyin  # lazy: its dictionaries take 0.2 s to load
    except ModuleNotFoundError as exc:
        from callscript.training import missing_dependency

        raise missing_dependency(exc) from None

    ordered = sorted(chars)
    syllables = lazy_pinyin(ordered, errors=lambda s: list(s))
    if len(syllables) != len(ordered):  # never expected; such characters stand for themselves
        syllables = ordered
    for ch, syllable in zip(ordered, syllables, strict=True):
        _CHARS[ch] = _code(syllable)


@functools.lru_cache(maxsize=8192)
def pinyin_key(text: str) -> str:
    """``text`` (normalised) with each Chinese character replaced by a code for its toneless pinyin.

    Homophones get the same code; every other character stays itself, and the key is exactly as
    long as the text, so positions in one are positions in the other.
    """
    new = {ch for ch in set(text).difference(_CHARS) if _is_han(ch)}
    if new:
        _learn(new)
    return "".join(_CHARS.get(ch, ch) for ch in text)


def warm_up(texts: tuple[str, ...] = ()) -> None:
    """Load pypinyin's dictionaries now (about 0.2 s, once per process) and read the characters
    of ``texts`` (a flow's lines), so the first answer scores as fast as the rest. A drill screen
    calls this from a worker thread when it opens."""
    pinyin_key("您好请问有什么可以帮助您")
    for text in texts:
        pinyin_key(text)


def forbidden_key(text: str) -> str:
    """The pinyin key with every modal particle (呀, 啊, 吧 ...) made one and the same."""
    key = pinyin_key(text)
    return "".join(PARTICLE_CODE if ch in PARTICLES else k for ch, k in zip(text, key, strict=True))
