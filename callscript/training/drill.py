"""A self-study drill through one flow, headless: what the drill screen drives.

``Drill(flow, clock=...)`` walks the lines of a situation in the order the flow says them when the
caller never helps (timed waits first: the silent call is greet, 5 s, greet again, 5 s, the
call-back request, 5 s, hang up). The screen plays the caller's side, shows ``drill.current``,
and calls ``submit(answer)`` when the trainee has said (or typed) the line, and ``finish()`` when
they hang up or stop. Time comes from the injected clock, so tests never sleep.

Timing is scored where the manuals put it: the seconds between finishing one line and starting the
next (``submit`` of the next line, or ``finish``) are the wait after the first, checked against
that step's required wait (``scoring.required_wait``). So a step's result is final once the next
answer (or ``finish``) arrives; ``submit`` returns the new line's result at once (without timing)
and ``results`` holds the final ones. Final results are recorded in the progress store, if one is
given, one attempt per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callscript.engine.clock import Clock
from callscript.flow.model import Flow, Step, Trigger
from callscript.training.scoring import ScoreResult, required_wait, score_flow_step


def drill_path(flow: Flow) -> list[Step]:
    """The flow's lines in order when the caller never helps: from the start, take a timed wait if
    the step has one, else its first way on within the flow; stop at an end or a step seen before."""
    path: list[Step] = []
    seen: set[str] = set()
    step_id: str | None = flow.start
    while step_id and step_id not in seen and step_id in flow.steps:
        seen.add(step_id)
        step = flow.steps[step_id]
        if step.say is not None:
            path.append(step)
        if step.is_terminal:
            break
        local = [t for t in step.on if t.to and not t.flow and not t.call and t.to not in seen]
        timed = [t for t in local if t.trigger in (Trigger.AFTER, Trigger.SILENCE)]
        onward = [t for t in local if t.to and flow.steps[t.to].say is not None] if not timed else []
        choice = (timed or onward or local or [None])[0]
        step_id = choice.to if choice else None
    return path


def study_flows(flows: Mapping[str, Flow]) -> list[Flow]:
    """Flows with lines to practise (a drill path that is not empty): situations first, then calls,
    each by id. What the study picker offers and ``callscript study`` accepts."""
    usable = [f for f in flows.values() if drill_path(f)]
    return sorted(usable, key=lambda f: (not f.is_situation, f.id))


@dataclass
class Turn:
    """One line of the drill: the step, the trainee's answer, when it was given, its result."""

    step: Step
    answer: str
    at: float
    result: ScoreResult
    final: bool = False


class Drill:
    """One run through a flow's lines (see the module docstring)."""

    def __init__(
        self,
        flow: Flow,
        *,
        clock: Clock,
        trainee: str | None = None,
        store=None,  # noqa: ANN001 - a ProgressStore, optional
        variables: Mapping[str, str] | None = None,
        mode: str = "typed",
    ) -> None:
        self.flow = flow
        self.clock = clock
        self.trainee = trainee
        self.store = store
        self.variables = dict(variables or {})
        self.mode = mode
        self.path = drill_path(flow)
        self.turns: list[Turn] = []
        self.finished = False

    @property
    def current(self) -> Step | None:
        """The step whose line the trainee should say now (None when the drill is over)."""
        if self.finished or len(self.turns) >= len(self.path):
            return None
        return self.path[len(self.turns)]

    @property
    def results(self) -> list[ScoreResult]:
        """The final results so far (a step's result is final once the next line or finish came)."""
        return [t.result for t in self.turns if t.final]

    def submit(self, answer: str, *, started: float | None = None, finished: float | None = None) -> ScoreResult:
        """The trainee gave the current line; its result (timing follows with the next line).

        ``started`` and ``finished`` are clock times when the trainee began and ended the line (the
        first keystroke or speech onset, and the submit or the end of speech); both default to now.
        The wait after a line runs from its ``finished`` to the next line's ``started``.
        """
        step = self.current
        if step is None:
            raise RuntimeError("the drill is over")
        now = self.clock.now()
        self._close_previous(now if started is None else started)
        result = score_flow_step(self.flow, step.id, answer, variables=self.variables)
        self.turns.append(Turn(step, answer, now if finished is None else finished, result))
        return result

    def finish(self) -> list[ScoreResult]:
        """The trainee hung up (or stopped): the last line's wait is judged now; all final results."""
        if not self.finished:
            self._close_previous(self.clock.now(), hung_up=True)
            self.finished = True
        return self.results

    @property
    def score(self) -> int:
        """The average of the final results (0 before any)."""
        done = self.results
        return round(sum(r.score for r in done) / len(done)) if done else 0

    def _close_previous(self, now: float, *, hung_up: bool = False) -> None:
        if not self.turns or self.turns[-1].final:
            return
        turn = self.turns[-1]
        if required_wait(turn.step) is not None:
            turn.result = score_flow_step(
                self.flow, turn.step.id, turn.answer, variables=self.variables, waited=now - turn.at,
                hung_up=hung_up,
            )
        turn.final = True
        if self.store is not None and self.trainee:
            self.store.record(self.trainee, turn.result, mode=self.mode)
