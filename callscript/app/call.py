"""Quick caller entry on the call screen: ``王先生`` -> surname 王, title 先生. No Textual here.

The titles are the choices the flows declare for their ``title`` variable (``choices: {先生: Mr.,
小姐: Ms.}``), so a flow in another language brings its own. The call itself (engine, log,
suggestions) is ``callscript.live.LiveCall``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callscript.flow.model import Choice

_ENGLISH = re.compile(r"^(mr|mrs|ms|miss)\.?\s+(\S+)$", re.IGNORECASE)
_ENGLISH_TITLES = {"mr": "mr.", "mrs": "mrs.", "ms": "ms.", "miss": "ms."}


def parse_caller(text: str, titles: Sequence[Choice] = ()) -> tuple[str | None, str | None]:
    """Split quick caller entry into (surname, title): ``王先生`` -> (王, 先生); ``李`` -> (李, None).

    ``Mr Wang``/``Ms Li`` are accepted too and become the declared title whose English reads so.
    """
    text = text.strip()
    english = _ENGLISH.match(text)
    if english:
        wanted = _ENGLISH_TITLES[english.group(1).lower()]
        title = next((c.value for c in titles if c.english.lower() == wanted), None)
        if title is None and wanted == "mrs.":
            title = next((c.value for c in titles if c.english.lower() == "ms."), None)
        return english.group(2), title
    for choice in sorted(titles, key=lambda c: -len(c.value)):
        if choice.value and text.endswith(choice.value):
            surname = text[: -len(choice.value)].strip()
            return surname or None, choice.value
    return (text or None), None
