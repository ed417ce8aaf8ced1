"""The user-facing error type.

Everything a user can get wrong (a malformed flow, a missing device, a missing model) is raised as
a ``CallscriptError`` and printed by the command line as one readable message: where, what, and a
hint how to fix it. Anything else escaping is a bug in callscript.
"""

from __future__ import annotations


class CallscriptError(Exception):
    """A problem the user can fix, described for the user.

    ``where`` is a location such as ``flows/x.yaml:12:5`` (or empty), ``message`` says what is
    wrong and ``hint`` what to do about it.
    """

    def __init__(self, message: str, *, where: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def render(self) -> str:
        """The error as printed: ``where: error: message`` and an indented hint line."""
        from callscript.text import visible  # paths and messages may quote user text

        where, message = visible(self.where), visible(self.message, lines=True)
        head = f"{where}: error: {message}" if where else f"error: {message}"
        return f"{head}\n  hint: {visible(self.hint, lines=True)}" if self.hint else head

    def __str__(self) -> str:
        return self.render()
