"""The English gloss of a line, with the caller named the English way ("Mr. Wang").

A flow's ``gloss`` uses the same variables as its Chinese line (``"{surname} {title}, how may I
help you?"``). Filled with the Chinese values it reads ``王 先生, how may I help you?``; here the
caller's surname becomes its pinyin with a capital, the title its English as the flow declares it
(``choices: {先生: Mr., 小姐: Ms.}``), and the pair is written in English order. Which values mean
"not known yet" (the placeholder 某) is declared in the flow too (``unknown:``). The engine stays as
it is: it fills the Chinese line, the app fills the gloss with this. pypinyin (an optional
dependency) is imported lazily; without it the surname is left as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from callscript.flow.model import Variable
from callscript.text import fill

# How the caller is addressed in English while the surname is not known yet.
UNNAMED = {"Mr.": "Sir", "Ms.": "Madam", "Mrs.": "Madam", "Mr./Ms.": "Sir/Madam", "Ms./Mr.": "Madam/Sir"}
# Surnames read differently from the same character in other words.
SURNAME_READINGS = {"单": "Shan", "曾": "Zeng", "解": "Xie", "区": "Ou", "仇": "Qiu", "朴": "Piao", "查": "Zha",
                    "盖": "Ge", "覃": "Qin", "缪": "Miao", "秘": "Bi", "召": "Shao", "乐": "Yue", "翟": "Zhai",
                    "员": "Yun", "种": "Chong", "尉迟": "Yuchi", "万俟": "Moqi"}

_CALLER = re.compile(r"\{surname\}\s*\{title\}")
_HAN = re.compile(r"[\u3400-\u9fff]")
_NONE: Mapping[str, Variable] = {}


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


def _choice_english(value: str, declared: Variable | None) -> str:
    for choice in declared.choices if declared else ():
        if choice.value == value.strip():
            return choice.english
    return ""


def title_in_english(title: str, declared: Variable | None = None) -> str:
    """``先生`` -> ``Mr.`` (the English of the declared choice); a title it does not know, in pinyin."""
    title = title.strip()
    english = _choice_english(title, declared)
    if english:
        return english
    if declared is not None and not declared.known(title):
        return ""
    return surname_in_english(title) if title else ""


def _surname_known(surname: str, declared: Variable | None) -> bool:
    return declared.known(surname) if declared is not None else bool(surname.strip())


def caller_in_english(surname: str, title: str, variables: Mapping[str, Variable] = _NONE) -> str:
    """How the gloss addresses the caller: ``Mr. Wang``; ``Wang`` for a title it does not know;
    ``Sir``/``Madam`` (or ``Sir/Madam``) while the surname is not known."""
    english_title = _choice_english(title, variables.get("title"))
    if not _surname_known(surname, variables.get("surname")):
        return UNNAMED.get(english_title, "Sir/Madam")
    name = surname_in_english(surname)
    return f"{english_title} {name}" if english_title else name


def fill_gloss(gloss: str, values: Mapping[str, str], variables: Mapping[str, Variable] | None = None) -> str:
    """``gloss`` with its variables filled for an English reader (see the module docstring).

    ``variables`` are the flow's declarations: a value still at its default is written in the
    declaration's ``english`` form when it has one (``本公司`` -> ``our company``).
    """
    variables = variables or _NONE
    surname, title = values.get("surname", ""), values.get("title", "")
    text = _CALLER.sub(lambda _: caller_in_english(surname, title, variables).replace("{", "{{").replace("}", "}}"),
                       gloss)
    english = dict(values)
    for name, variable in variables.items():
        if variable.english and values.get(name, variable.default) == variable.default:
            english[name] = variable.english
    if "surname" in values:
        known = _surname_known(surname, variables.get("surname"))
        english["surname"] = surname_in_english(surname) if known else "the caller"
    if "title" in values:
        english["title"] = title_in_english(title, variables.get("title"))
    return fill(text, english)


__all__ = ["caller_in_english", "fill_gloss", "surname_in_english", "title_in_english"]
