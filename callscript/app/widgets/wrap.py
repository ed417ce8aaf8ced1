"""Line breaking that suits Chinese: a line may break between any two CJK characters.

Rich and Textual break lines only at whitespace, so a Chinese sentence (which has none) after a
label such as ``提示:`` jumps whole to the next line and leaves the first one nearly empty. Here
every CJK character is a break opportunity, except before closing punctuation (``,。!?`` ...) and
after opening punctuation (``“(《`` ...), the usual rule for Chinese text; Latin words still break
only at spaces.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text

from callscript.text import visible
from textual.widget import Widget

_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+")
_CLOSING = set(",。、;:?!)】》」』”’…—,.;:?!)]}%")
_OPENING = set("(【《「『“‘([{")


def _tokens(line: str) -> list[str]:
    tokens: list[str] = []
    for match in _TOKEN.finditer(line):
        token = match.group(0)
        if tokens and (token[0] in _CLOSING or tokens[-1][-1] in _OPENING or token.isspace()):
            tokens[-1] += token  # no break before closing or after opening punctuation
        else:
            tokens.append(token)
    return tokens


def break_offsets(line: str, width: int) -> list[int]:
    """Character offsets at which to break ``line`` (no newlines in it) to fit ``width`` cells."""
    width = max(1, width)
    offsets: list[int] = []
    used = 0
    position = 0
    for token in _tokens(line):
        size = cell_len(token.rstrip())
        if used and used + size > width:
            offsets.append(position)
            used = 0
        if size > width:  # a token wider than the line: cut it where the cells run out
            start = position
            for index, char in enumerate(token):
                char_size = cell_len(char)
                if used + char_size > width and used:
                    offsets.append(start + index)
                    used = 0
                used += char_size
        else:
            used += cell_len(token)
        position += len(token)
    return [o for o in offsets if 0 < o < len(line)]


def wrap(text: Text, width: int) -> Text:
    """``text`` with newlines inserted so that no line is wider than ``width`` cells."""
    # Text from flows, logs and transcripts: a control character is shown (␛), never sent on to
    # the terminal; one character for one keeps the styles' spans in place.
    shown = visible(text.plain, lines=True, keep_length=True)
    if shown != text.plain:
        text = text.copy()
        text.plain = shown
    lines = text.split("\n", allow_blank=True)
    out: list[Text] = []
    for line in lines:
        offsets = break_offsets(line.plain, width)
        pieces = line.divide(offsets) if offsets else [line]
        for piece in pieces:
            piece.rstrip()
            out.append(piece)
    return Text("\n").join(out)


class WrappedText(Widget):
    """Rich text that wraps the Chinese way; ``update`` replaces it. Height follows the text."""

    DEFAULT_CSS = "WrappedText { height: auto; }"

    def __init__(self, text: Text | str = "", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self._text = Text(text) if isinstance(text, str) else text

    @property
    def text(self) -> Text:
        return self._text

    def update(self, text: Text | str) -> None:
        text = Text(text) if isinstance(text, str) else text
        if text.plain != self._text.plain or text.spans != self._text.spans:
            before = self._height()
            self._text = text
            self.changed(layout=self._height() != before)

    def changed(self, *, layout: bool = True) -> None:
        """Repaint; lay the screen out again only when the height changed (a layout pass costs
        more than a repaint, and most updates keep the number of lines)."""
        self.refresh(layout=layout or not self.content_size.width)

    def _height(self) -> int:
        width = self.content_size.width
        if not width:
            return -1
        return self.get_content_height(None, None, width)

    def build(self) -> Text:
        """The text to show (subclasses compose it from their state)."""
        return self._text

    def render(self) -> Text:
        return wrap(self.build(), self.content_size.width or 80)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(wrap(self.build(), width).plain.split("\n")) if self.build().plain else 0
