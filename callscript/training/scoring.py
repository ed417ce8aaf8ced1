"""Scoring a trainee's answer against a step: what the manual asks for, each fault once, explained.

``score_answer(step, answer)`` judges what the trainee said (typed, or recognised from speech)
against the step's line and returns a ``ScoreResult``: a score from 0 to 100, ``passed`` (the
score reaches ``PASS_MARK``), every deduction (``Reason``: code, points, message in Chinese and
English, the words at fault), and a diff. It is pure (no UI, no I/O) and fast enough to run on
every keystroke (``benchmarks/scoring.py``).

The score is 100 less one deduction per fault, however often the fault occurs:

- **Elements** (``flow.model.Expected``, declared in the flow's ``expect:``): each element of the
  line the answer leaves out costs its points (25, or less for a minor part); the wordings a
  trainer accepts are listed with it (``training.elements``). An answer with none of them is not
  this line at all (``not_similar``, once). A request said with no polite marker is an order
  (``blunt_request``). A step without ``expect`` is judged by the manuals' polite markers in its
  line (``key_phrases``: 对不起, 请问, 您好, 好吗, 谢谢, 再见 ...) and a character similarity of at
  least ``MIN_SIMILARITY``.
- **Wording**: at most ``MAX_WORDING`` points for how far the words are from the line (character
  similarity, also as pinyin so a recogniser's homophone 帮主 for 帮助 costs nothing): it helps
  rank answers, it never fails one.
- **Variables.** ``{surname}``, ``{agent}`` ... whose value is not given are taken from the answer
  (the trainee says their own agent number and the caller's real surname); a value that was given
  (``--vars surname=王``) must be said (``variable_missing``: 004 "不可以无视客户的姓名").
- **Forbidden phrasing.** Every ``never: - say:`` of the step is looked for in the answer, fuzzily
  (pinyin key, modal particles 呀/啊/吧/呢... treated as one, ``rapidfuzz`` partial ratio at least
  ``FORBIDDEN_THRESHOLD``), whole and clause by clause for clauses of at least
  ``MIN_FORBIDDEN_CLAUSE`` characters (再不说话我就挂了啊 is forbidden on its own; 大声一点儿 is not,
  since 请您大声一点儿,好吗? is polite) (``forbidden_phrase``).
- **喂 opening** (``wei_opening``): every "不可以说" example in 004's phone scripts opens with 喂.
- **你 for 您** (``informal_you``, 004 §7.4), once; 你们 is left alone, as in ``flow.lint``. The
  elements and the similarity read 你 as 您, so the one word is not charged again.
- **肯定/保证/绝对** (``absolute_word``, 004 §3.5: say 正常情况下/尽量/努力/争取 instead).
- **Blunt one-word replies** (``blunt_reply``, 004 §3.10): the answer is one of
  ``flow.lint.BLUNT_REPLIES`` (是, 是的, 好, 好的, 不行 ...), or at most two characters where the
  correct line is a sentence; its missing elements are not listed as well.
- **Timing.** ``waited`` is how many seconds the trainee waited after finishing this line before
  starting the next (or hanging up); the step's required wait is its shortest ``after``/``silence``
  transition (004: "稍停5秒"). Shorter than required by more than ``WAIT_TOLERANCE`` fails
  (``wait_too_short``); much longer is a note (``wait_too_long``).

``PENALTIES`` gives each code's points; any fault worth more than ``100 - PASS_MARK`` fails the
answer on its own. English lines get the same treatment without pinyin, with English markers
(sorry, please, thank you, goodbye) and absolutes (guarantee, definitely, absolutely).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Levenshtein

from callscript.errors import CallscriptError
from callscript.flow.lint import ABSOLUTES, BLUNT_REPLIES
from callscript.flow.model import Flow, Step
from callscript.i18n import both
from callscript.text import VARIABLE_PATTERN, normalise
from callscript.training.pinyin import PARTICLES as _PARTICLES
from callscript.training.pinyin import forbidden_key as _forbidden_key
from callscript.training import elements
from callscript.training.pinyin import pinyin_key, warm_up
from callscript.training.template import expected_line

__all__ = ["PENALTIES", "DiffPart", "Reason", "ScoreResult", "Timing", "join_reasons", "key_phrases", "pinyin_key",
           "required_wait", "score_answer", "score_flow_step", "spoken_steps", "warm_up"]

MIN_SIMILARITY = 75.0
FORBIDDEN_THRESHOLD = 85.0
MIN_FORBIDDEN_CLAUSE = 6
WAIT_TOLERANCE = 0.3  # seconds: a human cannot start a line to the tenth of a second
WAIT_TOO_LONG = 5.0  # seconds past the required wait before the caller is left hanging

PASS_MARK = 80  # an answer passes with this score or more: any one real fault takes it below
MAX_WORDING = 5  # most points the wording alone (character similarity) may cost

# Points off 100 for each fault, once however often it occurs. Missing elements cost what the
# flow's ``expect`` says (25 unless a trainer set less for a minor part, such as 好吗).
PENALTIES: dict[str, int] = {
    "empty": 100,
    "not_similar": 40,
    "missing_element": 25,
    "key_phrase_missing": 25,
    "variable_missing": 25,
    "forbidden_phrase": 60,
    "wei_opening": 30,
    "informal_you": 25,
    "absolute_word": 25,
    "blunt_reply": 50,
    "blunt_request": 30,
    "wording": 0,
    "wait_too_short": 30,
    "wait_too_long": 5,
}

WEI_INSTEAD = ("您好", "对不起", "不好意思")  # openings the 喂 reason may point to
ZH_MARKERS = ("对不起", "不好意思", "请问", "请您", "请", "您好", "您", "好吗", "对吗", "谢谢", "感谢", "再见")
EN_MARKERS = ("sorry", "please", "thankyou", "thanks", "goodbye", "mayi", "couldyou")
ZH_ABSOLUTES = (*ABSOLUTES, "保證", "絕對")
EN_ABSOLUTES = ("guarantee", "definitely", "absolutely")
EN_BLUNT = {"yes", "no", "ok", "okay", "fine", "sure", "yeah", "yep", "nope", "right"}
_YOU = re.compile(r"你(?!们)")


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One deduction: a stable ``code``, the message in English and Chinese, the ``points`` taken
    off, and detail (``at``: the words of the answer at fault, when there are some)."""

    code: str
    message: str
    message_zh: str
    detail: dict[str, Any] = field(default_factory=dict)
    points: int = -1  # -1: the code's usual points (PENALTIES)

    @property
    def penalty(self) -> int:
        return PENALTIES[self.code] if self.points < 0 else self.points

    @property
    def fails(self) -> bool:
        """Whether this fault alone takes the answer below the pass mark."""
        return self.penalty > 100 - PASS_MARK

    def text(self, language: str) -> str:
        """The message in the interface language (``zh`` or ``en``)."""
        return self.message if language.startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "message": self.message, "message_zh": self.message_zh,
            "detail": self.detail, "fails": self.fails, "penalty": self.penalty,
        }


def _reason(code: str, detail: dict[str, Any], message_id: str | None = None, *, points: int = -1,
            **fields: Any) -> Reason:
    """A reason with its messages from the interface catalog (``score.<code>`` unless told)."""
    message, message_zh = both(message_id or f"score.{code}", **fields)
    return Reason(code, message, message_zh, detail, points)


@dataclass(frozen=True)
class DiffPart:
    """One run of the diff between the correct line and the answer (both normalised).

    ``op`` is ``equal``, ``homophone`` (same sound, other characters: not an error), ``replace``,
    ``delete`` (in the line, missing from the answer) or ``insert`` (extra in the answer).
    """

    op: str
    expected: str
    answer: str

    def as_dict(self) -> dict[str, str]:
        return {"op": self.op, "expected": self.expected, "answer": self.answer}


@dataclass(frozen=True)
class Timing:
    """How long the trainee waited after the line, against what the step requires."""

    waited: float
    required: float
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return {"waited": self.waited, "required": self.required, "ok": self.ok}


@dataclass(frozen=True)
class ScoreResult:
    """The verdict on one answer. ``as_dict()`` is what ``callscript score --json`` prints."""

    step: str
    expected: str
    answer: str
    score: int
    passed: bool
    similarity: float
    reasons: tuple[Reason, ...]
    diff: tuple[DiffPart, ...]
    required_phrases: tuple[str, ...]
    missing_phrases: tuple[str, ...]
    forbidden_found: tuple[str, ...]
    variables: dict[str, str]
    timing: Timing | None = None
    flow: str | None = None
    pass_mark: int = PASS_MARK

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "step": self.step,
            "score": self.score,
            "passed": self.passed,
            "pass_mark": self.pass_mark,
            "similarity": self.similarity,
            "expected": self.expected,
            "answer": self.answer,
            "reasons": [r.as_dict() for r in self.reasons],
            "required_phrases": list(self.required_phrases),
            "missing_phrases": list(self.missing_phrases),
            "forbidden_found": list(self.forbidden_found),
            "variables": self.variables,
            "timing": self.timing.as_dict() if self.timing else None,
            "diff": [d.as_dict() for d in self.diff],
        }


def key_phrases(line: str, language: str = "zh-CN") -> tuple[str, ...]:
    """The polite markers in ``line`` that an answer must keep (see the module docstring)."""
    markers = EN_MARKERS if language.startswith("en") else ZH_MARKERS
    text = normalise(line)
    found: list[str] = []
    i = 0
    while i < len(text):
        for marker in markers:
            if text.startswith(marker, i):
                if marker not in found:
                    found.append(marker)
                i += len(marker)
                break
        else:
            i += 1
    return tuple(found)


def required_wait(step: Step) -> float | None:
    """Seconds the agent must wait after this step's line (``Step.required_wait``)."""
    return step.required_wait


# -- scoring ---------------------------------------------------------------------------------------


def _has(answer: str, answer_key: str, phrase: str) -> bool:
    return phrase in answer or (pinyin_key(phrase) in answer_key)


def _diff(expected: str, answer: str, expected_key: str, answer_key: str) -> tuple[DiffPart, ...]:
    parts: list[DiffPart] = []
    for op in Levenshtein.opcodes(expected_key, answer_key):
        exp = expected[op.src_start:op.src_end]
        ans = answer[op.dest_start:op.dest_end]
        if op.tag == "equal":
            # Same key, maybe other characters: split into equal and homophone runs.
            run_start = 0
            for i in range(1, len(exp) + 1):
                if i == len(exp) or (exp[i] == ans[i]) != (exp[run_start] == ans[run_start]):
                    same = exp[run_start] == ans[run_start]
                    parts.append(DiffPart("equal" if same else "homophone", exp[run_start:i], ans[run_start:i]))
                    run_start = i
        else:
            parts.append(DiffPart(op.tag, exp, ans))
    merged: list[DiffPart] = []
    for part in parts:
        if merged and merged[-1].op == part.op:
            merged[-1] = DiffPart(part.op, merged[-1].expected + part.expected, merged[-1].answer + part.answer)
        else:
            merged.append(part)
    return tuple(merged)


def _forbidden_match(phrase: str, answer: str) -> float:
    """How well forbidden ``phrase`` (normalised) occurs in ``answer`` (normalised), 0-100."""
    f_key, a_key = _forbidden_key(phrase), _forbidden_key(answer)
    if not f_key or not a_key:
        return 0.0
    if len(a_key) >= len(f_key):
        return _partial(f_key, a_key)
    return Indel.normalized_similarity(f_key, a_key) * 100


@functools.lru_cache(maxsize=1024)
def _forbidden_parts(text: str) -> tuple[str, ...]:
    """What to look for of one forbidden phrase: the whole, and each clause long enough to say
    something on its own (``MIN_FORBIDDEN_CLAUSE`` characters: 再不说话我就挂了啊, not 说话呀)."""
    whole = normalise(text)
    clauses = [normalise(c) for c in re.split(r"[\W_]+", text)]
    return (whole, *(c for c in clauses if len(c) >= MIN_FORBIDDEN_CLAUSE and c != whole))


def _partial(needle: str, haystack: str) -> float:
    """Best Indel similarity of ``needle`` against any window of ``haystack`` of the same length."""
    return fuzz.partial_ratio(needle, haystack)


def score_answer(
    step: Step,
    answer: str,
    *,
    language: str = "zh-CN",
    variables: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    waited: float | None = None,
    flow_id: str | None = None,
    hung_up: bool = False,
) -> ScoreResult:
    """Score ``answer`` against ``step``'s line (see the module docstring for every rule).

    ``variables`` are values the trainee must use as given; any other ``{variable}`` is taken from
    the answer, falling back to ``defaults``. ``waited`` is the seconds the trainee waited after
    the line before the next one, or before hanging up when ``hung_up``. Raises ``CallscriptError`` for a step with no line to say.
    """
    if step.say is None:
        raise CallscriptError(
            f"step '{step.id}' has no line to say (it is guidance only)",
            hint="score a step that has a 'say' line",
        )
    english = language.startswith("en")
    fixed = dict(variables or {})
    answer_norm = normalise(answer)
    expected = expected_line(step.say, answer_norm, fixed, dict(defaults or {}))
    exp_norm = expected.norm
    if english:
        exp_key, ans_key = exp_norm, answer_norm
    else:
        exp_key, ans_key = pinyin_key(exp_norm), pinyin_key(answer_norm)
    # 你 for 您 is judged once (informal_you), so the similarity reads it as 您.
    said_norm = answer_norm if english else elements.as_said(answer_norm)
    said_key = said_norm if english else pinyin_key(said_norm)
    similarity = 0.0 if not answer_norm else 100 * max(
        Indel.normalized_similarity(exp_norm, said_norm),
        Indel.normalized_similarity(exp_key, said_key),
    )

    reasons: list[Reason] = []
    missing: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    if not answer_norm:
        reasons.append(_reason("empty", {}))
    elif _blunt_reply(answer_norm, exp_norm, english):
        # One fault: a bare 好的 is not the line at all, so its missing parts are not listed too.
        reasons.append(_reason("blunt_reply", {"answer": answer_norm, "at": answer_norm}))
    elif step.expect:
        required, missing = _judge_elements(step, answer_norm, similarity, english, reasons,
                                            {**(defaults or {}), **fixed})
    else:
        required, missing = _judge_markers(step, exp_norm, answer_norm, ans_key, similarity, language, reasons)
    if answer_norm:
        _judge_variables(step, fixed, expected.missing if not step.expect else (), answer_norm, ans_key,
                         defaults, reasons)
        found = _judge_forbidden(step, answer_norm, reasons)
        _judge_manners(exp_norm, answer_norm, english, reasons)
    else:
        found = []

    timing = None
    need = required_wait(step)
    if waited is not None and need is not None:
        timing = Timing(round(float(waited), 3), need, waited >= need - WAIT_TOLERANCE)
        if not timing.ok:
            # Cut short by hanging up, the wait was not before a next line: the advice says so.
            reasons.append(_reason("wait_too_short", {"waited": waited, "required": need},
                                   "score.wait_too_short_hung_up" if hung_up else None, waited=waited, required=need))
        elif waited > need + WAIT_TOO_LONG:
            reasons.append(_reason("wait_too_long", {"waited": waited, "required": need}, waited=waited, required=need))

    score = int(max(0, min(100, 100 - sum(r.penalty for r in reasons))))
    return ScoreResult(
        step=step.id,
        expected=expected.display,
        answer=answer,
        score=score,
        passed=score >= PASS_MARK,
        similarity=round(similarity, 1),
        reasons=tuple(reasons),
        diff=_diff(exp_norm, answer_norm, exp_key, ans_key),
        required_phrases=required,
        missing_phrases=missing,
        forbidden_found=tuple(found),
        variables=expected.values,
        timing=timing,
        flow=flow_id,
    )


def _blunt_reply(answer_norm: str, exp_norm: str, english: bool) -> bool:
    """A bare 好的 / 是 / OK, or two characters where the line is a sentence (004 §3.10)."""
    core = answer_norm.rstrip("".join(_PARTICLES)) or answer_norm
    short = len(answer_norm) <= (3 if english else 2) and len(exp_norm) >= 6
    return core in (EN_BLUNT if english else BLUNT_REPLIES) or short


def _wording(similarity: float) -> int:
    """What the wording alone costs once every element is there: a point per 10% unlike the
    line, at most ``MAX_WORDING`` (so it never fails an answer on its own)."""
    return min(MAX_WORDING, math.ceil(round(100 - similarity, 1) / 10))


def _judge_elements(step: Step, answer_norm: str, similarity: float, english: bool,
                    reasons: list[Reason], values: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The step's ``expect``: each element not said costs its points; a request said without
    any polite marker is blunt; none said at all is another line altogether (one fault). The
    wordings a deduction gives as examples read with the practice ``values`` filled in."""
    results = elements.find(step.expect, answer_norm, english=english)
    required = tuple(f.element.any[0] for f in results)
    absent = [f for f in results if not f.ok]
    missing = tuple(f.element.any[0] for f in absent)
    if len(absent) == len(results):
        reasons.append(_reason("not_similar", {"similarity": round(similarity, 1),
                                               "elements": [f.element.label.en for f in absent]}, "score.none_said"))
        return required, missing
    for item in absent:
        zh, en = item.element.label.zh, item.element.label.en
        examples = "/".join(elements.examples(item.element, values))
        reasons.append(_reason("missing_element", {"element": en, "phrase": item.element.any[0]},
                               points=item.element.points, element=en, element_zh=zh, examples=examples))
    asked = [f for f in results if f.ok and f.element.polite]
    if asked and not elements.polite(answer_norm, english=english):
        reasons.append(_reason("blunt_request", {"at": asked[0].said}))
    cost = _wording(similarity)
    if cost and not absent:
        reasons.append(_reason("wording", {"similarity": round(similarity, 1)}, points=cost, similarity=similarity))
    return required, missing


def _judge_markers(step: Step, exp_norm: str, answer_norm: str, ans_key: str, similarity: float,
                   language: str, reasons: list[Reason]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A line with no ``expect``: its polite markers must be said, and the words must be close."""
    if similarity < MIN_SIMILARITY:
        reasons.append(_reason("not_similar", {"similarity": round(similarity, 1), "minimum": MIN_SIMILARITY},
                               similarity=similarity))
    required = key_phrases(exp_norm, language)
    said = elements.as_said(answer_norm)  # 你 is judged once, as informal_you
    said_key = said if language.startswith("en") else pinyin_key(said)
    missing = tuple(p for p in required if not _has(said, said_key, p))
    for phrase in missing:
        reasons.append(_reason("key_phrase_missing", {"phrase": phrase}, phrase=phrase))
    if not missing and similarity >= MIN_SIMILARITY and _wording(similarity):
        cost = _wording(similarity)
        reasons.append(_reason("wording", {"similarity": round(similarity, 1)}, points=cost, similarity=similarity))
    return required, missing


def _judge_variables(step: Step, fixed: Mapping[str, str], empty_slots: tuple[str, ...], answer_norm: str,
                     ans_key: str, defaults: Mapping[str, str] | None, reasons: list[Reason]) -> None:
    """A value given (``--vars surname=王``) must be said; an empty slot is a name left out."""
    for name, value in fixed.items():
        if value and step.say and "{%s}" % name in step.say and not _has(answer_norm, ans_key, normalise(value)):
            reasons.append(_reason("variable_missing", {"variables": [name], "value": value}, value=value, name=name))
    for slot in empty_slots:
        names = VARIABLE_PATTERN.findall(slot)
        reasons.append(_reason("variable_missing", {"variables": names}, "score.slot_missing",
                               slot=elements.readable(slot, {**(defaults or {}), **fixed}), names=" ".join(names)))


def _judge_forbidden(step: Step, answer_norm: str, reasons: list[Reason]) -> list[str]:
    """The step's ``never: - say:`` phrasings, looked for fuzzily, whole and clause by clause."""
    found: list[str] = []
    for item in step.never:
        if item.kind != "say":
            continue
        match = max(_forbidden_match(part, answer_norm) for part in _forbidden_parts(item.text))
        if match >= FORBIDDEN_THRESHOLD:
            found.append(item.text)
            reasons.append(_reason("forbidden_phrase", {"phrase": item.text, "match": round(match, 1)},
                                   phrase=item.text, gloss=item.gloss))
    return found


def _judge_manners(exp_norm: str, answer_norm: str, english: bool, reasons: list[Reason]) -> None:
    """The manuals' rules for every line: no 喂 opening, 您 not 你, no absolute promises."""
    if not english and answer_norm.startswith("喂"):
        # Say how the correct line opens only when it opens with a greeting or an apology: the
        # lines after the greeting (对不起,… or 请您…) must not be told to open with 您好.
        opening = next((w for w in WEI_INSTEAD if exp_norm.startswith(w)), None)
        reasons.append(_reason("wei_opening", {"opening": opening, "at": "喂"}, opening=opening) if opening
                       else _reason("wei_opening", {"at": "喂"}, "score.wei_opening_plain"))
    if not english and _YOU.search(answer_norm):
        reasons.append(_reason("informal_you", {"count": len(_YOU.findall(answer_norm)), "at": "你"}))
    words = [w for w in (EN_ABSOLUTES if english else ZH_ABSOLUTES) if w in answer_norm]
    if words:
        said = "、".join(words)
        reasons.append(_reason("absolute_word", {"word": words[0], "words": words, "at": words[0]}, said=said))


_ZH_STOPS = "。!?!?"


def join_reasons(messages: Iterable[str], language: str = "zh") -> str:
    """Several reasons as one line: Chinese sentences one after the other (each ends with 。, no
    separator after it), English ones with "; " (the full stop kept only at the end)."""
    parts = [m.strip() for m in messages if m and m.strip()]
    if not language.startswith("en"):
        return "".join(p if p[-1] in _ZH_STOPS else p + "。" for p in parts)
    return "; ".join([p.rstrip(".") for p in parts[:-1]] + parts[-1:])


def score_flow_step(
    flow: Flow,
    step_id: str,
    answer: str,
    *,
    variables: Mapping[str, str] | None = None,
    waited: float | None = None,
    hung_up: bool = False,
) -> ScoreResult:
    """``score_answer`` for a step of ``flow``, with the flow's language and variable defaults."""
    if step_id not in flow.steps:
        spoken = [s.id for s in flow.steps.values() if s.say is not None]
        raise CallscriptError(
            f"flow '{flow.id}' has no step '{step_id}'",
            hint="steps with a line: " + ", ".join(spoken),
        )
    return score_answer(
        flow.steps[step_id], answer, language=flow.language, variables=variables,
        defaults=flow.defaults(), waited=waited, flow_id=flow.id, hung_up=hung_up,
    )


def spoken_steps(flow: Flow) -> list[Step]:
    """The steps of ``flow`` that have a line to say, in flow order (what a drill asks for)."""
    return [s for s in flow.steps.values() if s.say is not None]
