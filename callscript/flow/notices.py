"""What loading the flows has to tell the user: a flow file left out, a built-in flow replaced.

A trainer's broken flow file must never stop a shift: loading leaves it out (and any flow that goes
to it), every other flow works, and the user is told once which file is left out and why. The
notices are plain data; their words come from the interface catalogs, but this package imports no
``callscript.i18n`` (see docs/architecture.md): ``text(t)`` takes the catalog of the interface
language (a ``callscript.i18n.Messages``) from the caller. ``plain()`` is the English of a notice
for a process that has no interface language (the library used without the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callscript.errors import CallscriptError
from callscript.flow.problems import FlowError, Problem
from callscript.text import visible

Words = Callable[..., str]  # a callscript.i18n.Messages: t("id", **fields)


@dataclass(frozen=True)
class LeftOut:
    """A flow file of the user's folders that is not used, and why.

    ``problem`` is the first error that leaves it out: one in the file itself, or, for a flow that
    goes to (``flow:``/``call:``) a flow left out, ``needs`` names that flow and ``needs_path`` its
    file. ``builtin_kept``: a built-in flow of this id stays in use (a broken ``override: true``
    flow, or one that reuses a built-in id). ``more``: how many more errors the file has.
    """

    path: str
    flow_id: str
    problem: Problem
    more: int = 0
    needs: str | None = None
    needs_path: str = ""
    builtin_kept: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return ("left-out", self.path)

    def error(self) -> CallscriptError:
        """The one error of a command told to run this flow."""
        if self.needs is None:
            return FlowError(self.problem, more=self.more)
        return CallscriptError(
            f"flow '{self.flow_id}' goes to flow '{self.needs}', which cannot be used",
            where=self.problem.where,
            hint=f"fix {self.needs_path} first: 'callscript check {self.needs_path}' shows its problems",
        )

    def text(self, t: Words) -> str:
        """The notice in the interface language (the check's own words quoted in it stay English)."""
        path = visible(self.path)
        if self.needs is not None:
            return t("flows.left_out_needs", where=visible(self.problem.where), flow=self.flow_id,
                     needs=self.needs, needs_path=visible(self.needs_path))
        problem = self.problem.render()
        if self.more:
            problem += "\n  " + t("flows.more_problems", count=self.more)
        if self.builtin_kept:
            return t("flows.left_out_builtin", path=path, flow=self.flow_id, problem=problem)
        return t("flows.left_out", path=path, problem=problem)

    def plain(self) -> str:
        if self.needs is not None:
            return visible(f"{self.problem.where}: flow '{self.flow_id}' is left out: it goes to flow "
                           f"'{self.needs}', which is left out ({self.needs_path})")
        return (f"{self.problem.render()}\n  note: {visible(self.path)} is left out, the other flows work; "
                f"'callscript check {visible(self.path)}' shows its problems")


@dataclass(frozen=True)
class Replaced:
    """A user's flow that replaces the built-in flow of its id (``override: true``)."""

    problem: Problem  # the check's warning, on the user's flow
    flow_id: str
    builtin_path: str

    @property
    def key(self) -> tuple[str, str]:
        return ("override", self.problem.path)

    def text(self, t: Words) -> str:
        return t("flows.override", where=visible(self.problem.where), flow=self.flow_id,
                 builtin=visible(self.builtin_path))

    def plain(self) -> str:
        return visible(f"{self.problem.where}: warning: {self.problem.message}")


Notice = LeftOut | Replaced


def _print_plain(notice: Notice) -> None:
    import sys

    print(f"callscript: {notice.plain()}", file=sys.stderr)


_announcer: list[Callable[[Notice], None]] = [_print_plain]
_announced: dict[tuple[str, str], Notice] = {}


def use_announcer(announce: Callable[[Notice], None]) -> Callable[[Notice], None]:
    """How notices reach the user (the command line prints them in the interface language); the
    one used until now is returned."""
    earlier = _announcer[0]
    _announcer[:] = [announce]
    return earlier


def announce(notices: list[Notice]) -> None:
    """Tell the user each notice once per process (flows are loaded many times in one)."""
    for notice in notices:
        if notice.key not in _announced:
            _announced[notice.key] = notice
            _announcer[0](notice)


def announced() -> list[Notice]:
    """Every notice told so far in this process (the app shows them again on its screen)."""
    return list(_announced.values())
