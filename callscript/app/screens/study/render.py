"""How the study screens write a result: the diff, one answer's verdict, short line names, rows.

Pure rendering into Rich ``Text``: no screen state, so the drill, the quiz and the summary share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text

from callscript.i18n import Messages

if TYPE_CHECKING:
    from callscript.training.scoring import ScoreResult


def diff_text(result: ScoreResult, plain: bool = False) -> Text:
    """The answer against the correct line: ``[-missing-]``, ``{+extra+}``, homophones marked ``~``.

    The markers carry the meaning (plain mode, screen readers); colours only help the eye.
    """
    text = Text()
    red = "" if plain else "bold red strike"
    green = "" if plain else "bold green"
    yellow = "" if plain else "yellow"
    for part in result.diff:
        if part.op == "equal":
            text.append(part.expected)
        elif part.op == "homophone":
            text.append(f"~{part.answer}~", yellow)
        else:
            if part.expected:
                text.append(f"[-{part.expected}-]", red)
            if part.answer:
                text.append(f"{{+{part.answer}+}}", green)
    return text


def short_line(line: str, width: int = 16) -> str:
    """``line`` cut to about ``width`` cells (a Chinese character is two), with … if cut."""
    from rich.cells import cell_len

    if cell_len(line) <= width:
        return line
    cut = ""
    for char in line:
        if cell_len(cut + char) > width - 1:
            break
        cut += char
    return cut.rstrip(",,、 ") + "…"


def deduction_lines(reasons: Any, t: Messages, *, at: bool = True) -> list[str]:
    """Each deduction once, with its points, its reason in the interface language and, when the
    scorer knows them, the words of the answer at fault: ``−25 称呼客户要用“您”… ← 你``."""
    lines = []
    for reason in reasons:
        points = getattr(reason, "penalty", 0)
        line = (f"−{points} " if points else "") + (reason.message if t.language == "en" else reason.message_zh)
        fault = getattr(reason, "detail", {}).get("at") if at else None
        if fault:
            line += f"  ← {fault}"
        lines.append(line)
    return lines


def result_text(result: ScoreResult, t: Messages, plain: bool = False, *, wait: float | None = None,
                hear_key: str | None = None, last: bool = False) -> Text:
    """One answer's verdict: score against the pass mark, each deduction with its points and
    reason, the diff, and the correct line (with the key to hear it said, when it failed).

    ``wait``: the seconds the trainee must now wait, which are timed and scored with this line when
    the next one starts (``last``: the line was the last one, and the wait is before hanging up). Until then the verdict is only the words' (“so far”): a pass may still
    become a fail if the wait is cut short, so it must not read as final.
    """
    text = Text()
    style = "bold" if plain else ("bold green" if result.passed else "bold red")
    mark = t("study.pass_mark", mark=result.pass_mark)
    if wait is None:
        verdict = t("study.passed") if result.passed else t("study.failed")
        text.append(f"{'✓' if result.passed else '✗'} {verdict} · {t('study.score', score=result.score)}", style)
    else:
        verdict = t("study.words_passed") if result.passed else t("study.failed")
        text.append(f"{'✓' if result.passed else '✗'} {verdict} · {t('study.score_so_far', score=result.score)}", style)
    text.append(f"  ({mark})\n")
    if wait is not None:
        pending = "study.wait_pending_hang_up" if last else "study.wait_pending"  # last: no next line
        text.append(f"  ⏱ {t(pending, need=f'{wait:g}')}\n", "bold")
    for reason, line in zip(result.reasons, deduction_lines(result.reasons, t), strict=True):
        text.append(f"  {'✗' if reason.fails else '·'} {line}\n")
    text.append(f"{t('study.diff', open='{+', close='+}')}: ", "bold")
    text.append_text(diff_text(result, plain))
    text.append(f"\n{t('study.correct')}: ", "bold")
    text.append(result.expected)
    if hear_key and not result.passed:
        text.append(f"  ▶ {t('study.hear_correct', key=hear_key)}", "bold")
    return text


@dataclass(frozen=True)
class Why:
    """Why a quiz choice was wrong, in both languages (as a scoring ``Reason`` has it)."""

    message: str
    message_zh: str


@dataclass(frozen=True)
class SummaryRow:
    """One step of the summary: its final score, whether it passed, the wait, what failed (scoring
    ``Reason``s, or for a quiz the chosen option's ``Why``)."""

    step: str
    score: int
    passed: bool
    waited: float | None
    required: float | None
    reasons: list[Any]
    label: str = ""  # how the trainee knows the line: its position and its opening words
    line: str = ""  # the correct line, to hear it said

