"""Quick caller entry on the call screen: ``王先生`` -> surname 王, title 先生. No Textual here.

The call itself (engine, log, suggestions) is ``callscript.live.LiveCall``.
"""

from __future__ import annotations

import re

_CALLER = re.compile(r"^\s*(?P<surname>.*?)\s*(?P<title>先生|小姐|女士)?\s*$")


def parse_caller(text: str) -> tuple[str | None, str | None]:
    """Split quick caller entry into (surname, title): ``王先生`` -> (王, 先生); ``李`` -> (李, None).

    ``Mr Wang``/``Ms Li`` are accepted too and become 先生/小姐, since the flows address callers in
    Chinese.
    """
    text = text.strip()
    english = re.match(r"^(mr|mrs|ms|miss)\.?\s+(\S+)$", text, re.IGNORECASE)
    if english:
        title = "先生" if english.group(1).lower() == "mr" else "小姐"
        return english.group(2), title
    found = _CALLER.match(text)
    if not found:
        return (text or None), None
    surname = found.group("surname").strip() or None
    return surname, found.group("title")
