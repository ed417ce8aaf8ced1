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


@functools.lru_cache(maxsize=8192)
def pinyin_key(text: str) -> str:
    """``text`` (normalised) with each Chinese character replaced by a code for its toneless pinyin.

    Homophones get the same code; every other character stays itself, and the key is exactly as
    long as the text, so positions in one are positions in the other.
    """
    if not any("\u3400" <= ch <= "\u9fff" for ch in text):
        return text
    try:
        from pypinyin import lazy_pinyin  # lazy: its dictionaries take 0.2 s to load
    except ModuleNotFoundError as exc:
        from callscript.training import missing_dependency

        raise missing_dependency(exc) from None

    syllables = lazy_pinyin(text, errors=lambda s: list(s))
    if len(syllables) != len(text):  # never expected; fall back to the characters themselves
        return text
    return "".join(
        _code(s) if "\u3400" <= ch <= "\u9fff" else ch for ch, s in zip(text, syllables, strict=True)
    )


def warm_up() -> None:
    """Load pypinyin's dictionaries now (about 0.2 s, once per process), so the first answer
    scores as fast as the rest. A drill screen calls this from a worker thread when it opens."""
    pinyin_key("您好请问有什么可以帮助您")


def forbidden_key(text: str) -> str:
    """The pinyin key with every modal particle (呀, 啊, 吧 ...) made one and the same."""
    key = pinyin_key(text)
    return "".join(PARTICLE_CODE if ch in PARTICLES else k for ch, k in zip(text, key, strict=True))
