"""Quiz mode: choose the correct line among the correct one and forbidden phrasings.

No microphone needed. The wrong options are the step's own ``never: - say:`` phrasings from the
documents first, then lines made from the correct one by breaking one rule of the manuals
(你 for 您, a 喂 opening, the apology dropped, an order instead of a question, a promise with
肯定, a blunt one-word reply). Every wrong option is checked with ``scoring.score_answer``: only
options that fail are offered, each with the reason it fails, so the quiz and the scorer agree.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from callscript.errors import CallscriptError
from callscript.flow.model import Flow
from callscript.text import fill, normalise
from callscript.training.scoring import score_answer


@dataclass(frozen=True)
class QuizOption:
    """One choice: its text, whether it is the correct line, and why (for a wrong one, why not)."""

    text: str
    correct: bool
    why: str
    why_zh: str
    origin: str  # "line" (the correct line), "document" (a never: say) or "rule:<reason code>"


def _rule_variants(line: str) -> list[tuple[str, str]]:
    """(variant, rule) pairs: the correct line with one rule of the manuals broken."""
    variants = []
    if "您" in line:
        variants.append((line.replace("您", "你"), "informal_you"))
    stripped = re.sub(r"^(您好|对不起)[,,!!。]?", "", line)
    variants.append(("喂," + (stripped or line), "wei_opening"))
    if line.startswith("对不起") and stripped:
        variants.append((stripped, "key_phrase_missing"))
    if "好吗" in line:
        variants.append((re.sub(r"[,,]?好吗[??]?", "!", line, count=1), "key_phrase_missing"))
    variants.append((line.rstrip("!!。.") + ",我们保证帮您解决!", "absolute_word"))  # 004 §3.5: 不要轻易说保证
    variants.append(("好的。", "blunt_reply"))
    return variants


def quiz_options(
    flow: Flow,
    step_id: str,
    *,
    count: int = 4,
    variables: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
) -> list[QuizOption]:
    """``count`` options (one correct), shuffled by ``rng``; document phrasings are always among them."""
    step = flow.steps.get(step_id)
    if step is None or step.say is None:
        raise CallscriptError(f"flow '{flow.id}' has no step '{step_id}' with a line to say")
    values = {**flow.defaults(), **(variables or {})}
    line = fill(step.say, values)
    language = flow.language
    options = [QuizOption(line, True, "The line from the manual.", "手册中的标准话术。", "line")]
    seen = {normalise(line)}
    candidates = [(n.text, "document") for n in step.never if n.kind == "say"]
    candidates += [(text, f"rule:{rule}") for text, rule in _rule_variants(line)]
    for text, origin in candidates:
        if len(options) >= count:
            break
        if normalise(text) in seen:
            continue
        result = score_answer(step, text, language=language, variables=values, defaults=flow.defaults())
        if result.passed:
            continue  # not wrong enough to be a fair wrong answer
        wanted = "forbidden_phrase" if origin == "document" else origin.removeprefix("rule:")
        reason = next((r for r in result.reasons if r.code == wanted), None) or next(r for r in result.reasons if r.fails)
        if origin == "document":
            why, why_zh = "The manual says never to say this.", "手册规定不可以这样说。"
        else:
            why, why_zh = reason.message, reason.message_zh
        options.append(QuizOption(text, False, why, why_zh, origin))
        seen.add(normalise(text))
    (rng or random.Random()).shuffle(options)
    return options


@dataclass(frozen=True)
class QuizAnswer:
    """One answered question: the step, the option chosen, and whether it was the right one."""

    step: str
    chosen: QuizOption

    @property
    def correct(self) -> bool:
        return self.chosen.correct


class QuizRun:
    """One quiz over a flow's lines, headless: what the quiz screen drives.

    ``current`` is the step asked now and ``options`` its choices; ``choose(number)`` answers it
    (1-based), ``next()`` moves on. Answers are recorded in the progress ``store`` when one and a
    ``trainee`` are given (mode ``quiz``). The screen only renders this state.
    """

    def __init__(self, flow: Flow, *, variables: Mapping[str, str] | None = None,
                 rng: random.Random | None = None, store=None, trainee: str | None = None) -> None:  # noqa: ANN001
        from callscript.training.drill import drill_path

        self.flow = flow
        self.variables = dict(variables or {})
        self.rng = rng or random.Random()
        self.store = store
        self.trainee = trainee
        self.path = drill_path(flow)
        self.index = 0
        self.answers: list[QuizAnswer] = []
        self.options: list[QuizOption] = []
        self._ask()

    @property
    def current(self):  # noqa: ANN201 - a Step or None
        """The step asked now (None when every line has been asked)."""
        return self.path[self.index] if self.index < len(self.path) else None

    @property
    def answered(self) -> bool:
        """Whether the current question has been answered."""
        return len(self.answers) > self.index

    def _ask(self) -> None:
        step = self.current
        self.options = [] if step is None else quiz_options(self.flow, step.id, variables=self.variables, rng=self.rng)

    def choose(self, number: int) -> QuizAnswer:
        """Answer the current question with option ``number`` (1-based); recorded in the store."""
        step = self.current
        if step is None or self.answered or not 1 <= number <= len(self.options):
            raise ValueError(f"no option {number} to choose now")
        chosen = self.options[number - 1]
        answer = QuizAnswer(step.id, chosen)
        self.answers.append(answer)
        if self.store is not None and self.trainee:
            reasons = [] if chosen.correct else [chosen.origin.removeprefix("rule:")]
            self.store.record_attempt(self.trainee, self.flow.id, step.id, 100 if chosen.correct else 0,
                                      chosen.correct, answer=chosen.text, reasons=reasons, mode="quiz")
        return answer

    def next(self) -> None:
        """Move to the next question (the current one must be answered)."""
        if self.current is not None and not self.answered:
            raise ValueError("answer the question first")
        if self.current is not None:
            self.index += 1
        self._ask()

    @property
    def score(self) -> int:
        """Percent of questions answered right (0 before any)."""
        if not self.answers:
            return 0
        return round(100 * sum(a.correct for a in self.answers) / len(self.answers))
