"""Problems found in flow files, and the error that carries one.

A ``Problem`` is what ``callscript check`` prints: file:line:column, severity, the chain of where
in the flow it is (``step 'greet' -> after``), what is wrong, and a hint how to fix it. Loading a
flow for use raises ``FlowError`` with the first error; checking collects them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from callscript.errors import CallscriptError
from callscript.text import visible


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow file."""

    severity: str  # "error" or "warning"
    code: str  # short stable id, e.g. "unknown-key"
    path: str
    line: int
    column: int
    message: str
    context: str = ""  # e.g. "step 'greet' -> on[2] -> after"
    hint: str = ""

    @property
    def where(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}"
        return self.path

    def render(self) -> str:
        """As ``check`` prints it; text quoted from the flow file is shown escaped (``visible``)."""
        what = f"{self.context}: {self.message}" if self.context else self.message
        text = visible(f"{self.where}: {self.severity}: {what}", lines=True)
        return f"{text}\n  hint: {visible(self.hint, lines=True)}" if self.hint else text


class FlowError(CallscriptError):
    """A flow file that cannot be used, with the first problem found (and how many more)."""

    def __init__(self, problem: Problem, *, more: int = 0) -> None:
        message = f"{problem.context}: {problem.message}" if problem.context else problem.message
        hint = problem.hint
        if more:
            extra = f"{more} more problem{'s' if more > 1 else ''} in this file; run 'callscript check {problem.path}'"
            hint = f"{hint}\n  ({extra})" if hint else extra
        super().__init__(message, where=problem.where, hint=hint)
        self.problem = problem
        self.more = more
