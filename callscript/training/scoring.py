"""Scoring a trainee's answer against a step: how close, what is missing, what must never be said.

``score_answer(step, answer)`` compares what the trainee said (typed, or recognised from speech)
with the step's ``say`` line and returns a ``ScoreResult``: a score from 0 to 100, ``passed``, the
reasons, and a diff. It is pure (no UI, no I/O) and fast enough to run on every keystroke.

The rules, each with its source:

- **Similarity.** Both texts are normalised (``callscript.text.normalise``: width, case, punctuation
  and spacing removed). For Chinese they are also compared as pinyin without tones, one syllable per
  character, so a recogniser writing a homophone (帮主 for 帮助) costs nothing. The similarity is the
  better of the two comparisons (``rapidfuzz`` Indel ratio, 0-100). Below ``MIN_SIMILARITY`` the
  answer fails (``not_similar``).
- **Variables.** ``{surname}``, ``{agent}`` ... whose value is not given are taken from the answer:
  the text between the literal words around the slot (the trainee says their own agent number and
  the caller's real surname). An empty slot fails (``variable_missing``: 004 "不可以无视客户的姓名"),
  and so does leaving out a value that was given (``--vars surname=王``: the answer must say 王).
- **Key phrases.** The polite markers of the manuals that occur in the correct line must occur in
  the answer (homophones accepted): 对不起/不好意思 (apology), 请问/请您/请 (request), 您好/您
  (respect, 004 §7.4), 好吗/对吗 (asking rather than ordering, 004 phone scripts, 002 restating),
  谢谢/感谢 (thanks, 004 §3.3), 再见 (farewell). The line is scanned left to right, longest marker
  first, so 请问 is one phrase and not also 请. Each missing one fails (``key_phrase_missing``).
- **Forbidden phrasing.** Every ``never: - say:`` of the step is looked for in the answer, fuzzily
  (pinyin key, modal particles 呀/啊/吧/呢... treated as one, ``rapidfuzz`` partial ratio at least
  ``FORBIDDEN_THRESHOLD``), whole and clause by clause for clauses of at least
  ``MIN_FORBIDDEN_CLAUSE`` characters (再不说话我就挂了啊 is forbidden on its own; 大声一点儿 is not,
  since 请您大声一点儿,好吗? is polite). Found: fails (``forbidden_phrase``).
- **喂 opening** fails (``wei_opening``): every "不可以说" example in 004's phone scripts opens with 喂.
- **你 for 您** fails (``informal_you``, 004 §7.4); 你们 is left alone, as in ``flow.lint``.
- **肯定/保证/绝对** fail (``absolute_word``, 004 §3.5: say 正常情况下/尽量/努力/争取 instead).
- **Blunt one-word replies** fail (``blunt_reply``, 004 §3.10): the answer is one of
  ``flow.lint.BLUNT_REPLIES`` (是, 是的, 好, 好的, 不行 ...), or at most two characters where the
  correct line is a sentence.
- **Timing.** ``waited`` is how many seconds the trainee waited after finishing this line before the
  next line (or hanging up); the step's required wait is its shortest ``after``/``silence``
  transition (004: "稍停5秒"). Shorter than required by more than ``WAIT_TOLERANCE`` fails
  (``wait_too_short``); much longer is a note (``wait_too_long``).

The score is the similarity less a penalty per reason (``PENALTIES``), clamped to 0-100; ``passed``
is true when no reason fails. English lines get the same treatment without pinyin, with English
markers (sorry, please, thank you, goodbye) and absolutes (guarantee, definitely, absolutely).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Levenshtein

from callscript.errors import CallscriptError
from callscript.flow.lint import ABSOLUTES, BLUNT_REPLIES
from callscript.flow.model import Flow, Step
from callscript.text import VARIABLE_PATTERN, fill, normalise
from callscript.training.pinyin import PARTICLES as _PARTICLES
from callscript.training.pinyin import forbidden_key as _forbidden_key
from callscript.training.pinyin import pinyin_key, warm_up

__all__ = ["PENALTIES", "DiffPart", "Reason", "ScoreResult", "Timing", "join_reasons", "key_phrases", "pinyin_key",
           "required_wait", "score_answer", "score_flow_step", "spoken_steps", "warm_up"]

MIN_SIMILARITY = 75.0
FORBIDDEN_THRESHOLD = 85.0
MIN_FORBIDDEN_CLAUSE = 6
WAIT_TOLERANCE = 0.3  # seconds: a human cannot start a line to the tenth of a second
WAIT_TOO_LONG = 5.0  # seconds past the required wait before the caller is left hanging

# Penalty (points off the similarity) and whether the reason fails the answer.
PENALTIES: dict[str, tuple[int, bool]] = {
    "empty": (100, True),
    "not_similar": (0, True),
    "key_phrase_missing": (10, True),
    "variable_missing": (10, True),
    "forbidden_phrase": (60, True),
    "wei_opening": (30, True),
    "informal_you": (25, True),
    "absolute_word": (25, True),
    "blunt_reply": (50, True),
    "wait_too_short": (30, True),
    "wait_too_long": (5, False),
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
    """Why points were taken off: a stable ``code``, messages in English and Chinese, and detail."""

    code: str
    message: str
    message_zh: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def fails(self) -> bool:
        return PENALTIES[self.code][1]

    @property
    def penalty(self) -> int:
        return PENALTIES[self.code][0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "message": self.message, "message_zh": self.message_zh,
            "detail": self.detail, "fails": self.fails, "penalty": self.penalty,
        }


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "step": self.step,
            "score": self.score,
            "passed": self.passed,
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


# -- the correct line ------------------------------------------------------------------------------


def _template_parts(say: str) -> list[tuple[str, str]]:
    """The line as literal text and variable slots, in order: ("lit", text) / ("var", name)."""
    parts: list[tuple[str, str]] = []
    pos = 0
    for match in VARIABLE_PATTERN.finditer(say):
        literal = say[pos:match.start()]
        token = match.group(0)
        if token in ("{{", "}}"):
            literal += token[0]
        if literal:
            if parts and parts[-1][0] == "lit":
                parts[-1] = ("lit", parts[-1][1] + literal)
            else:
                parts.append(("lit", literal))
        if match.group(1):
            parts.append(("var", match.group(1)))
        pos = match.end()
    if say[pos:]:
        if parts and parts[-1][0] == "lit":
            parts[-1] = ("lit", parts[-1][1] + say[pos:])
        else:
            parts.append(("lit", say[pos:]))
    return parts


@dataclass(frozen=True)
class _Expected:
    display: str
    norm: str
    values: dict[str, str]
    missing: tuple[str, ...]


def _expected(say: str, answer_norm: str, fixed: Mapping[str, str], defaults: Mapping[str, str]) -> _Expected:
    """The correct line for this answer: fixed values filled, free slots taken from the answer."""
    parts = _template_parts(say)
    # Group consecutive slots (a literal that normalises to nothing does not separate them).
    items: list[tuple[str, Any]] = []
    for kind, value in parts:
        if kind == "lit" and not normalise(value) and items and items[-1][0] == "vars":
            items[-1][1].append(("lit", value))
        elif kind == "var":
            if items and items[-1][0] == "vars":
                items[-1][1].append(("var", value))
            else:
                items.append(("vars", [("var", value)]))
        else:
            items.append(("lit", value))
    display: list[str] = []
    norm: list[str] = []
    values: dict[str, str] = {}
    missing: list[str] = []
    cursor = 0
    for index, (kind, value) in enumerate(items):
        if kind == "lit":
            display.append(value)
            norm.append(normalise(value))
            found = answer_norm.find(normalise(value)[:4], cursor) if normalise(value) else -1
            if found >= 0:
                cursor = found
            continue
        names = [v for k, v in value if k == "var"]
        default_text = "".join(fixed.get(v, defaults.get(v, "")) if k == "var" else v for k, v in value)
        captured = None
        if not all(n in fixed for n in names):
            captured = _capture(items, index, answer_norm, cursor)
        if captured is None:
            for n in names:
                values[n] = fixed.get(n, defaults.get(n, ""))
            display.append(default_text)
            norm.append(normalise(default_text))
            continue
        text, cursor = captured
        if not text:
            missing.append("".join("{%s}" % n for n in names))
            display.append(default_text)
            norm.append(normalise(default_text))
            for n in names:
                values[n] = ""
            continue
        values.update(_split_group(names, text))
        display.append(text)
        norm.append(text)
    return _Expected("".join(display), "".join(norm), values, tuple(missing))


_TITLES = ("先生", "小姐", "女士")


def _split_group(names: list[str], text: str) -> dict[str, str]:
    """Share a captured text among adjacent slots: ``{surname}{title}`` splits off 先生/小姐/女士."""
    values = dict.fromkeys(names, "")
    if len(names) == 2 and names[1] == "title":
        for title in _TITLES:
            if text.endswith(title) and len(text) > len(title):
                values[names[0]], values["title"] = text[: -len(title)], title
                return values
    values[names[0]] = text
    return values


def _capture(items: list[tuple[str, Any]], index: int, answer: str, cursor: int) -> tuple[str, int] | None:
    """The answer's text in slot group ``index``, found between the literal words around it."""
    before = normalise(items[index - 1][1])[-4:] if index > 0 else ""
    after = normalise(items[index + 1][1])[:4] if index + 1 < len(items) else ""
    if before:
        at = answer.find(before, max(0, cursor - len(before)))
        if at < 0:
            return None
        start = at + len(before)
    else:
        start = 0
    if after:
        end = answer.find(after, start)
        if end < 0:
            return None
    else:
        end = len(answer)
    text = answer[start:end]
    if len(text) > 20:  # the anchors matched the wrong words
        return None
    return text, end


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
) -> ScoreResult:
    """Score ``answer`` against ``step``'s line (see the module docstring for every rule).

    ``variables`` are values the trainee must use as given; any other ``{variable}`` is taken from
    the answer, falling back to ``defaults``. ``waited`` is the seconds the trainee waited after
    the line before the next one. Raises ``CallscriptError`` for a step with no line to say.
    """
    if step.say is None:
        raise CallscriptError(
            f"step '{step.id}' has no line to say (it is guidance only)",
            hint="score a step that has a 'say' line",
        )
    english = language.startswith("en")
    fixed = dict(variables or {})
    answer_norm = normalise(answer)
    expected = _expected(step.say, answer_norm, fixed, dict(defaults or {}))
    exp_norm = expected.norm
    if english:
        exp_key, ans_key = exp_norm, answer_norm
    else:
        exp_key, ans_key = pinyin_key(exp_norm), pinyin_key(answer_norm)

    reasons: list[Reason] = []
    if not answer_norm:
        reasons.append(Reason("empty", "The answer is empty.", "回答为空。"))
        similarity = 0.0
    else:
        similarity = 100 * max(
            Indel.normalized_similarity(exp_norm, answer_norm),
            Indel.normalized_similarity(exp_key, ans_key),
        )
    if answer_norm and similarity < MIN_SIMILARITY:
        reasons.append(Reason(
            "not_similar", f"The answer is too far from the line ({similarity:.0f}% alike).",
            f"回答与标准话术相差太大(相似度 {similarity:.0f}%)。",
            {"similarity": round(similarity, 1), "minimum": MIN_SIMILARITY},
        ))

    required = key_phrases(exp_norm, language)
    missing = tuple(p for p in required if answer_norm and not _has(answer_norm, ans_key, p))
    for phrase in missing:
        reasons.append(Reason(
            "key_phrase_missing", f"Missing the key phrase '{phrase}'.", f"缺少关键用语“{phrase}”。",
            {"phrase": phrase},
        ))
    for name, value in fixed.items():
        if value and step.say and "{%s}" % name in step.say and not _has(answer_norm, ans_key, normalise(value)):
            reasons.append(Reason(
                "variable_missing", f"Leaves out '{value}' ({{{name}}}).", f"漏说了“{value}”。",
                {"variables": [name], "value": value},
            ))
    for slot in expected.missing:
        reasons.append(Reason(
            "variable_missing", f"Leaves out {slot} (e.g. '{fill(slot, dict(defaults or {}))}').",
            f"漏说了{slot}。", {"variables": VARIABLE_PATTERN.findall(slot)},
        ))

    found: list[str] = []
    for item in step.never:
        if item.kind != "say" or not answer_norm:
            continue
        match = max(_forbidden_match(part, answer_norm) for part in _forbidden_parts(item.text))
        if match >= FORBIDDEN_THRESHOLD:
            found.append(item.text)
            reasons.append(Reason(
                "forbidden_phrase", f"Says what must never be said: '{item.text}' ({item.gloss}).",
                f"说了不可以说的话:“{item.text}”。", {"phrase": item.text, "match": round(match, 1)},
            ))
    if not english and answer_norm.startswith("喂"):
        # Say how the correct line opens only when it opens with a greeting or an apology: the
        # lines after the greeting (对不起,… or 请您…) must not be told to open with 您好.
        opening = next((w for w in WEI_INSTEAD if exp_norm.startswith(w)), None)
        reasons.append(Reason(
            "wei_opening", f"Opens with 喂; open with {opening}." if opening else "Opens with 喂; never open with 喂.",
            f"不可以用“喂”开头,应说“{opening}”。" if opening else "不可以用“喂”开头。",
            {"opening": opening} if opening else {},
        ))
    if not english and _YOU.search(answer_norm):
        reasons.append(Reason(
            "informal_you", "Says 你 to the caller; say 您 (004 §7.4).", "称呼客户要用“您”,不要用“你”。",
            {"count": len(_YOU.findall(answer_norm))},
        ))
    for word in EN_ABSOLUTES if english else ZH_ABSOLUTES:
        if word in answer_norm:
            reasons.append(Reason(
                "absolute_word", f"Promises with '{word}'; leave room (正常情况下, 尽量, 努力, 争取).",
                f"不要用“{word}”,要留有余地(正常情况下、尽量、努力、争取)。", {"word": word},
            ))
    blunt_set = EN_BLUNT if english else BLUNT_REPLIES
    core = answer_norm.rstrip("".join(_PARTICLES)) or answer_norm
    short = len(answer_norm) <= (3 if english else 2) and len(exp_norm) >= 6
    if answer_norm and (core in blunt_set or short):
        reasons.append(Reason(
            "blunt_reply", "A blunt one-word reply; answer in a complete, polite sentence (004 §3.10).",
            "回答简短生硬,请使用完整客气的句子。", {"answer": answer_norm},
        ))

    timing = None
    need = required_wait(step)
    if waited is not None and need is not None:
        timing = Timing(round(float(waited), 3), need, waited >= need - WAIT_TOLERANCE)
        if not timing.ok:
            reasons.append(Reason(
                "wait_too_short", f"Waited {waited:.1f} s; wait {need:g} s before the next line.",
                f"只等了 {waited:.1f} 秒,应稍停 {need:g} 秒再说下一句。", {"waited": waited, "required": need},
            ))
        elif waited > need + WAIT_TOO_LONG:
            reasons.append(Reason(
                "wait_too_long", f"Waited {waited:.1f} s; {need:g} s is enough.",
                f"等了 {waited:.1f} 秒,稍停 {need:g} 秒即可。", {"waited": waited, "required": need},
            ))

    score = similarity - sum(r.penalty for r in reasons)
    return ScoreResult(
        step=step.id,
        expected=expected.display,
        answer=answer,
        score=int(round(max(0.0, min(100.0, score)))),
        passed=not any(r.fails for r in reasons),
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
        defaults=flow.defaults(), waited=waited, flow_id=flow.id,
    )


def spoken_steps(flow: Flow) -> list[Step]:
    """The steps of ``flow`` that have a line to say, in flow order (what a drill asks for)."""
    return [s for s in flow.steps.values() if s.say is not None]
