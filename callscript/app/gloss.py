"""The English gloss of a line, with the caller named the English way ("Mr. Wang").

A flow's ``gloss`` uses the same variables as its Chinese line (``"{surname} {title}, how may I
help you?"``). Filled with the Chinese values it reads ``王 先生, how may I help you?``; here the
caller's surname becomes its pinyin with a capital, 先生 becomes Mr. and 小姐/女士 Ms., and the
pair is written in English order. The engine stays as it is: it fills the Chinese line, the app
fills the gloss with this. pypinyin (an optional dependency) is imported lazily; without it the
surname is left as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from callscript.flow.model import Variable
from callscript.text import fill

# Titles the agent types after the surname, in English.
TITLES = {"先生": "Mr.", "小姐": "Ms.", "女士": "Ms.", "先生/小姐": "Mr./Ms.", "小姐/先生": "Ms./Mr.",
          "太太": "Mrs.", "夫人": "Mrs."}
# How the caller is addressed when the surname is not known yet.
UNNAMED = {"Mr.": "Sir", "Ms.": "Madam", "Mrs.": "Madam", "Mr./Ms.": "Sir/Madam", "Ms./Mr.": "Madam/Sir"}
# The flows' placeholder for a surname not known yet.
UNKNOWN_SURNAMES = frozenset({"", "某"})
# Surnames read differently from the same character in other words.
SURNAME_READINGS = {"单": "Shan", "曾": "Zeng", "解": "Xie", "区": "Ou", "仇": "Qiu", "朴": "Piao", "查": "Zha",
                    "盖": "Ge", "覃": "Qin", "缪": "Miao", "秘": "Bi", "召": "Shao", "乐": "Yue", "翟": "Zhai",
                    "员": "Yun", "种": "Chong", "尉迟": "Yuchi", "万俟": "Moqi"}

_CALLER = re.compile(r"\{surname\}\s*\{title\}")
_HAN = re.compile(r"[\u3400-\u9fff]")


def surname_in_english(surname: str) -> str:
    """``王`` -> ``Wang``, ``欧阳`` -> ``Ouyang``; a surname typed in Latin letters stays as typed."""
    surname = surname.strip()
    if surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname]
    if not _HAN.search(surname):
        return surname
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # optional: without it the surname stays in Chinese
        return surname
    return "".join(lazy_pinyin(surname)).capitalize()


def title_in_english(title: str) -> str:
    """``先生`` -> ``Mr.``; a title it does not know, in pinyin (or empty)."""
    title = title.strip()
    if title in TITLES:
        return TITLES[title]
    return surname_in_english(title) if title else ""


def caller_in_english(surname: str, title: str) -> str:
    """How the gloss addresses the caller: ``Mr. Wang``; ``Wang`` for a title it does not know;
    ``Sir``/``Madam`` (or ``Sir/Madam``) while the surname is not known."""
    english_title = TITLES.get(title.strip(), "")
    if surname.strip() in UNKNOWN_SURNAMES:
        return UNNAMED.get(english_title, "Sir/Madam")
    name = surname_in_english(surname)
    return f"{english_title} {name}" if english_title else name


def fill_gloss(gloss: str, values: Mapping[str, str], variables: Mapping[str, Variable] | None = None) -> str:
    """``gloss`` with its variables filled for an English reader (see the module docstring).

    ``variables`` are the flow's declarations: a value still at its default is written in the
    declaration's ``english`` form when it has one (``本公司`` -> ``our company``).
    """
    surname, title = values.get("surname", ""), values.get("title", "")
    text = _CALLER.sub(lambda _: caller_in_english(surname, title).replace("{", "{{").replace("}", "}}"), gloss)
    english = dict(values)
    for name, variable in (variables or {}).items():
        if variable.english and values.get(name, variable.default) == variable.default:
            english[name] = variable.english
    if "surname" in values:
        english["surname"] = surname_in_english(surname) if surname not in UNKNOWN_SURNAMES else "the caller"
    if "title" in values:
        english["title"] = title_in_english(title)
    return fill(text, english)


__all__ = ["caller_in_english", "fill_gloss", "surname_in_english", "title_in_english"]
