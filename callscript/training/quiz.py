"""Quiz mode: questions that teach, with no microphone. ``QuizRun`` is what the quiz screen drives.

Three kinds of question, all taken from the flow:

- **line**: which is the correct line? The correct one among wrong ones made from the manuals:
  the step's ``never: - say:`` phrasings, and near misses of the line itself (你 for 您, a 喂
  opening, the apology or the request left out, the request made an order, a promise with
  保证). Every wrong option is checked with ``scoring.score_answer``: only options the scorer fails
  are offered, each with the reason it fails, so the quiz and the scorer agree.
- **wait**: how long to wait after a line before the next (the step's timed transition).
- **next**: what to say next when the caller stays silent or an event comes (the step's
  transition to another line).

The options are balanced so that guessing by form does not pay: each question draws at random
whether the correct line is the longest and whether it says 您 the most, and picks wrong options
that make it so (你 replaces one 您 of several, a promise is made with 您); most of the time a line
that stays polite without 您 (请您 -> 请) is shown so, as a correct answer that does not say 您.
``tests/training/test_quiz.py`` plays these strategies over 1,000 quizzes. Options come in random
order.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from callscript.errors import CallscriptError
from callscript.flow.model import End, Flow, Step
from callscript.i18n import both
from callscript.text import fill, normalise
from callscript.training.scoring import score_answer

WAITS = (2, 3, 5, 8, 10, 15, 20, 30)  # seconds offered in wait questions
_CLAUSE = re.compile(r"(?<=[,,!!??。])")
_REQUEST = re.compile(r"请您|麻烦您|请")
_ASK = re.compile(r"[,,]?(好吗|可以吗|行吗)")


@dataclass(frozen=True)
class QuizOption:
    """One choice: its text, whether it is right, and why (for a wrong one, why not)."""

    text: str
    correct: bool
    why: str
    why_zh: str
    origin: str  # "line", "document" (a never: say), "rule:<reason code>", "wait" or "next"


@dataclass(frozen=True)
class Question:
    """One question on ``step``: its ``kind`` (line, wait or next), the prompt in both languages,
    and the options in the order shown."""

    kind: str
    step: Step
    prompt: str
    prompt_zh: str
    options: tuple[QuizOption, ...]


def _near_misses(line: str) -> list[tuple[str, str]]:
    """(variant, rule) pairs: the correct line with one rule of the manuals broken."""
    variants: list[tuple[str, str]] = []
    count = line.count("您")
    if count >= 2:  # 你 for one 您 of several: the line still has 您, and is still wrong
        last = line.rfind("您")
        variants.append((line[:last] + "你" + line[last + 1:], "informal_you"))
    if count:
        variants.append((line.replace("您", "你"), "informal_you"))
    stripped = re.sub(r"^(您好|对不起|不好意思)[,,!!。]?", "", line)
    variants.append(("喂," + (stripped or line), "wei_opening"))
    clauses = [c for c in _CLAUSE.split(line) if c]
    if len(clauses) > 1:  # one clause left out: the apology, the request, the greeting ...
        for index in range(len(clauses)):
            rest = "".join(clauses[:index] + clauses[index + 1:]).lstrip(",,!!??。")
            if rest:
                variants.append((rest, "missing_element"))
    if _REQUEST.search(line):  # the request made an order: no 请, no 好吗
        order = _ASK.sub("", _REQUEST.sub("", line, count=1)).rstrip(",,??") + "!"
        variants.append((order, "blunt_request"))
    body = line.rstrip("!!。.??")
    variants.append((body + ",我们保证帮您解决!", "absolute_word"))  # 004 §3.5: 不要轻易说保证
    variants.append((body + ",肯定没问题!", "absolute_word"))
    variants.append(("好的。", "blunt_reply"))
    # Short ones that say 您 as often as a polite line, so 您 alone does not give the answer away.
    variants.append(("喂,您好!" + (stripped or line), "wei_opening"))
    variants.append(("您放心,保证没问题!", "absolute_word"))
    variants.append(("您好,您放心,我们保证解决!", "absolute_word"))
    variants.append(("您说吧,您要什么?", "not_similar"))
    return variants


def _wrong(flow: Flow, step: Step, line: str, values: Mapping[str, str]) -> list[QuizOption]:
    """Every wrong option the scorer fails, with its reason, without duplicates."""
    seen = {normalise(line)}
    options: list[QuizOption] = []
    candidates = [(n.text, "document") for n in step.never if n.kind == "say"]
    candidates += [(text, f"rule:{rule}") for text, rule in _near_misses(line)]
    for text, origin in candidates:
        if normalise(text) in seen:
            continue
        result = score_answer(step, text, language=flow.language, variables=values, defaults=flow.defaults())
        if result.passed:
            continue  # not wrong enough to be a fair wrong answer
        seen.add(normalise(text))
        if origin == "document":
            why, why_zh = both("quiz.never_say")
        else:
            wanted = origin.removeprefix("rule:")
            reason = next((r for r in result.reasons if r.code == wanted), None) or \
                max(result.reasons, key=lambda r: r.penalty)
            why, why_zh = reason.message, reason.message_zh
        options.append(QuizOption(text, False, why, why_zh, origin))
    return options


def _place(options: list[QuizOption], measure: Callable[[str], int]) -> str:
    """Where the correct option stands by ``measure`` (length, how many 您): ``top`` (it alone
    measures most), ``tie`` (with others) or ``below``."""
    best = max(measure(o.text) for o in options)
    at_best = [o.correct for o in options if measure(o.text) == best]
    return "top" if at_best == [True] else "tie" if True in at_best else "below"


MEASURES: tuple[Callable[[str], int], ...] = (len, lambda text: text.count("您"))


def _coins(count: int, rng: random.Random) -> list[bool]:
    """For each form (``MEASURES``): should the correct option alone measure most this time?"""
    return [rng.random() < 1 / count for _ in MEASURES]


def _balanced(correct: QuizOption, wrong: list[QuizOption], count: int, rng: random.Random,
              wants: list[bool] | None = None) -> list[QuizOption]:
    """``count - 1`` wrong options chosen so that guessing by form pays no better than chance.

    For each form (length, how many 您) a coin with a 1-in-``count`` chance decides whether the
    correct option alone measures most this time, or (otherwise) some wrong option measures more
    than it; the wrong options are picked among
    the combinations that make it so, preferring one with a document's phrasing (they teach the
    most). Where no combination fits both coins, the one fitting the length coin is taken."""
    need = count - 1
    if len(wrong) <= need:
        return list(wrong)
    wants = wants if wants is not None else _coins(count, rng)
    combos = list(itertools.combinations(wrong, need))
    rng.shuffle(combos)
    cost = {True: {"top": 0, "tie": 1, "below": 2}, False: {"below": 0, "tie": 1, "top": 2}}

    near = {o.text: Indel.normalized_similarity(o.text, correct.text) for o in wrong}

    def misfit(combo: tuple[QuizOption, ...]) -> tuple[int, int, float]:
        options = [correct, *combo]
        places = sum(cost[want][_place(options, m)] for m, want in zip(MEASURES, wants, strict=True))
        # Then a document's phrasing, then near misses (close to the line) over far-fetched ones.
        return places, 0 if any(o.origin == "document" for o in combo) else 1, -sum(near[o.text] for o in combo)

    return list(min(combos, key=misfit))


PLAIN_SHARE = 0.7  # how often a line that can be said without 您 is shown so (when its coin allows)


def _plain(flow: Flow, step: Step, line: str, values: Mapping[str, str]) -> QuizOption | None:
    """The line said without 您 where it stays polite (请您 -> 请, 您的电话 -> 电话), when the
    scorer passes it: a correct answer that does not say 您, so 您 alone never marks the right one."""
    text = line.replace("请您", "请").replace("麻烦您", "麻烦").replace("您的", "")
    if "您" in text or text == line:
        return None
    result = score_answer(step, text, language=flow.language, variables=values, defaults=flow.defaults())
    if not result.passed:
        return None
    return QuizOption(text, True, *both("quiz.accepted"), "accepted")


def quiz_options(
    flow: Flow,
    step_id: str,
    *,
    count: int = 4,
    variables: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
) -> list[QuizOption]:
    """``count`` options for the line of ``step_id`` (one correct), balanced and shuffled by ``rng``."""
    step = flow.steps.get(step_id)
    if step is None or step.say is None:
        raise CallscriptError(f"flow '{flow.id}' has no step '{step_id}' with a line to say")
    rng = rng or random.Random()
    values = {**flow.defaults(), **(variables or {})}
    line = fill(step.say, values)
    correct = QuizOption(line, True, *both("quiz.line"), "line")
    wants = _coins(count, rng)
    plain = _plain(flow, step, line, values)
    # Only when this question's correct option is not to say 您 the most anyway.
    if plain is not None and not wants[1] and rng.random() < PLAIN_SHARE:
        correct = plain
    options = [correct, *_balanced(correct, _wrong(flow, step, line, values), count, rng, wants)]
    rng.shuffle(options)
    return options


def wait_question(flow: Flow, step: Step, values: Mapping[str, str], rng: random.Random) -> Question | None:
    """How long to wait after the step's line (None: the step has no timed wait)."""
    need = step.required_wait
    if need is None or step.say is None:
        return None
    seconds = int(need) if float(need).is_integer() else need
    width = len(str(seconds))
    # Same-width numbers first, so "the longest" says nothing about which is right.
    pool = [s for s in WAITS if s != seconds and len(str(s)) == width] or [s for s in WAITS if s != seconds]
    others = rng.sample(pool, min(3, len(pool)))
    line = fill(step.say, values)
    # After the last line the timed wait leads to the end of the call: it is waited before hanging up.
    timed = [flow.steps[t.to] for t in step.on if t.is_timed and t.to]
    ends = bool(timed) and all(s.say is None and s.end is not None and s.end is not End.RETURN for s in timed)
    options = [QuizOption(f"{seconds} 秒", True, *both("quiz.wait_right", seconds=seconds), "wait")]
    options += [QuizOption(f"{s} 秒", False, *both("quiz.wait_wrong", wrong=s, seconds=seconds), "wait") for s in others]
    rng.shuffle(options)
    return Question("wait", step, *both("quiz.wait_question_hang_up" if ends else "quiz.wait_question", line=line),
                    tuple(options))


def next_question(flow: Flow, step: Step, values: Mapping[str, str], rng: random.Random) -> Question | None:
    """What to say next when the step's first timed wait runs out (None: it leads to no line)."""
    timed = [t for t in step.on if t.is_timed and t.to and flow.steps[t.to].say is not None]
    if not timed or step.say is None:
        return None
    target = flow.steps[timed[0].to]
    right = fill(target.say or "", values)
    lines = {fill(s.say, values) for s in flow.steps.values() if s.say is not None} - {right}
    others = sorted(lines)
    rng.shuffle(others)
    if len(others) < 3:  # a short flow: a near miss of the right line makes up the options
        others += [o.text for o in _wrong(flow, target, right, values) if o.text not in others]
    seconds = f"{timed[0].seconds:g}"
    correct = QuizOption(right, True, *both("quiz.next_right"), "next")
    wrong = [QuizOption(text, False, *both("quiz.next_wrong"), "next") for text in others]
    options = [correct, *_balanced(correct, wrong, 4, rng)]
    rng.shuffle(options)
    line = fill(step.say, values)
    return Question("next", step, *both("quiz.next_question", line=line, seconds=seconds), tuple(options))


def questions(flow: Flow, *, variables: Mapping[str, str] | None = None,
              rng: random.Random | None = None) -> list[Question]:
    """The quiz on ``flow``: for each line in drill order, which is correct, then (where the flow
    times the wait after it) how long to wait and what comes next."""
    from callscript.training.drill import drill_path

    rng = rng or random.Random()
    values = {**flow.defaults(), **(variables or {})}
    out: list[Question] = []
    for step in drill_path(flow):
        out.append(Question("line", step, "Which is the correct line?", "哪一句是正确的说法?",
                            tuple(quiz_options(flow, step.id, variables=values, rng=rng))))
        for extra in (wait_question(flow, step, values, rng), next_question(flow, step, values, rng)):
            if extra is not None:
                out.append(extra)
    return out


@dataclass(frozen=True)
class QuizAnswer:
    """One answered question: the question and the option chosen."""

    question: Question
    chosen: QuizOption

    @property
    def step(self) -> str:
        return self.question.step.id

    @property
    def correct(self) -> bool:
        return self.chosen.correct


class QuizRun:
    """One quiz over a flow, headless: what the quiz screen drives.

    ``current`` is the question asked now and ``options`` its choices; ``choose(number)`` answers
    it (1-based), ``next()`` moves on. Answers are recorded in the progress ``store`` when one and a
    ``trainee`` are given (mode ``quiz``). The screen only renders this state.
    """

    def __init__(self, flow: Flow, *, variables: Mapping[str, str] | None = None,
                 rng: random.Random | None = None, store=None, trainee: str | None = None) -> None:  # noqa: ANN001
        self.flow = flow
        self.store = store
        self.trainee = trainee
        self.questions = questions(flow, variables=variables, rng=rng)
        self.index = 0
        self.answers: list[QuizAnswer] = []

    @property
    def current(self) -> Question | None:
        """The question asked now (None when every question has been asked)."""
        return self.questions[self.index] if self.index < len(self.questions) else None

    @property
    def options(self) -> list[QuizOption]:
        return list(self.current.options) if self.current is not None else []

    @property
    def answered(self) -> bool:
        """Whether the current question has been answered."""
        return len(self.answers) > self.index

    def choose(self, number: int) -> QuizAnswer:
        """Answer the current question with option ``number`` (1-based); recorded in the store."""
        question = self.current
        if question is None or self.answered or not 1 <= number <= len(question.options):
            raise ValueError(f"no option {number} to choose now")
        chosen = question.options[number - 1]
        answer = QuizAnswer(question, chosen)
        self.answers.append(answer)
        if self.store is not None and self.trainee:
            reasons = [] if chosen.correct else [chosen.origin.removeprefix("rule:")]
            self.store.record_attempt(self.trainee, self.flow.id, question.step.id, 100 if chosen.correct else 0,
                                      chosen.correct, answer=chosen.text, reasons=reasons, mode="quiz")
        return answer

    def next(self) -> None:
        """Move to the next question (the current one must be answered)."""
        if self.current is not None and not self.answered:
            raise ValueError("answer the question first")
        if self.current is not None:
            self.index += 1

    @property
    def score(self) -> int:
        """Percent of questions answered right (0 before any)."""
        if not self.answers:
            return 0
        return round(100 * sum(a.correct for a in self.answers) / len(self.answers))
