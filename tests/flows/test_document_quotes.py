"""The built-in flows quote the manuals exactly.

Every ``say`` line and every forbidden ``never: - say:`` phrase of every built-in flow (``callscript/data/flows/``) must
be a whole quotation (the text between “ and ”) of the seed document its step cites, once that
document is in Simplified Chinese. The flows' variables are filled with the document's own
placeholders first (``{hotline}`` -> XX, ...), so a line like
``您好,欢迎致电{hotline}客户服务热线...`` is compared with ``您好,欢迎致电XX客户服务热线...``.

The seeds are read from ``../shared/seeds`` beside the repository (CI checks the shared folder out
there). The comparison is exact, character for character, punctuation included: the documents
write ASCII ``,`` ``!`` ``?`` and ``……`` and so must the flows.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from callscript.flow.library import load_flows
from callscript.flow.model import Flow, Step
from callscript.text import fill
from tests.support import require_seeds

REPO = Path(__file__).resolve().parents[2]
FLOWS = REPO / "callscript" / "data" / "flows"

# The documents' placeholders for the flows' variables: 004 §1 writes XX for the hotline and YYY
# for the agent, 004 §2 writes 某 for the surname and 先生/小姐 for the title.
DOCUMENT_PLACEHOLDERS = {"hotline": "XX", "agent": "YYY", "surname": "某", "title": "先生/小姐"}

# A reading annotation left by the web copy: a run of pinyin letters (tone marks included, and in
# 004 sometimes a trailing space) in ASCII parentheses right after a CJK character, e.g. 戶(hù),
# 說(shuō), 會(huì ). It is part of the character before it, not text, so it is removed before the
# conversion. Parenthesised Chinese such as 小姐(先生) or (稍微提高音量) is left alone.
PINYIN_ANNOTATION = re.compile(
    r"(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f])"
    r"\([a-z\u00e0-\u01dc\u0300-\u036f\u1e00-\u1eff]+ *\)"
)

# Normalisations the Traditional-to-Simplified conversion cannot do itself. Each is a literal
# (document text, replacement) pair applied after the conversion, with the reason.
NORMALISATIONS: list[tuple[str, str, str]] = [
    # No variant characters needed normalising: OpenCC's t2s gives the flows' characters for every
    # quoted phrase (e.g. 幫->帮, 聽->听, 這麼->这么, 兒->儿).
]

# Stage directions written inside a quotation. 004 (遇到客户抱怨客户代表声音小或听不清楚时) writes
# “对不起,(稍微提高音量),请问有什么可以帮助您?”: the parenthesis says how to speak, it is not
# spoken. The flow says the words and moves the direction into the step's tip, so the quotation is
# compared without it, and ``test_stage_directions_become_tips`` checks the tip carries it.
STAGE_DIRECTIONS = {"(稍微提高音量),": "稍微提高音量"}

# ``say`` lines that are not document quotes, with the reason. There are none: every line an agent
# is told to say comes from a manual. An entry here must name a real line (checked below).
NOT_QUOTES: dict[tuple[str, str], str] = {}


@cache
def t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@cache
def seed_files() -> dict[str, Path]:
    """Seed documents by their three-digit prefix (``004`` -> ``004_ec73fcbdd22154ce.txt``)."""
    return {p.name[:3]: p for p in sorted(require_seeds().glob("[0-9][0-9][0-9]_*.txt"))}


def simplify(raw: str) -> str:
    """A seed document as the flows quote it: annotations removed, Simplified, normalised."""
    text = t2s().convert(PINYIN_ANNOTATION.sub("", raw))
    for old, new, _reason in NORMALISATIONS:
        text = text.replace(old, new)
    return text


@cache
def document(prefix: str, *, without_stage_directions: bool = False) -> str:
    text = simplify(seed_files()[prefix].read_text(encoding="utf-8"))
    if without_stage_directions:
        for direction in STAGE_DIRECTIONS:
            text = text.replace(direction, "")
    return text


@cache
def flows() -> dict[str, Flow]:
    return load_flows([FLOWS])


def cited_document(flow: Flow, step: Step) -> str:
    """The prefix of the document a step quotes: its own ``source`` if it names one, else the flow's."""
    match = re.match(r"(\d{3})\b", step.source or "")
    return match.group(1) if match else flow.source.document[:3]


def quoted(phrase: str, prefix: str) -> bool:
    """Whether ``phrase`` is a whole quotation in the document, stage directions aside."""
    wanted = f"“{phrase}”"
    return wanted in document(prefix) or wanted in document(prefix, without_stage_directions=True)


def lines() -> list[tuple[str, str, str, str]]:
    """(flow id, step id, kind, phrase with the document's placeholders) for every line to check."""
    found = []
    for flow in flows().values():
        for step in flow.steps.values():
            if step.say is not None:
                found.append((flow.id, step.id, "say", fill(step.say, DOCUMENT_PLACEHOLDERS)))
            for item in step.never:
                if item.kind == "say":
                    found.append((flow.id, step.id, "never", fill(item.text, DOCUMENT_PLACEHOLDERS)))
    return found


def line_id(item: tuple[str, str, str, str]) -> str:
    return f"{item[0]}.{item[1]}.{item[2]}"


# -- the flows' lines ----------------------------------------------------------------------------


def test_every_flow_has_lines_to_check():
    """Guard against a vacuous pass: the built-in flows are there and have lines and prohibitions."""
    kinds = {kind for _, _, kind, _ in lines()}
    assert len(flows()) >= 12
    assert kinds == {"say", "never"}


def test_the_callers_words_are_not_agent_lines():
    """``caller: {say: ...}`` is what the simulated caller says in a drill: the caller's words, not
    a line the agent is told to say, so it is not held to the manuals (and is not in ``lines()``)."""
    callers = {(flow.id, c.say) for flow in flows().values()
               for c in (flow.caller, *(step.caller for step in flow.steps.values())) if c is not None and c.say}
    assert ("main_call", "喂,你好,我想问一下我的订单怎么还没到?") in callers
    agent_lines = {phrase for _, _, _, phrase in lines()}
    assert not {say for _, say in callers} & agent_lines


@pytest.mark.parametrize("item", [i for i in lines() if i[2] == "say"], ids=line_id)
def test_say_line_is_a_document_quote(item):
    """A ``say`` line is a whole quotation of the document its step cites."""
    flow_id, step_id, _kind, phrase = item
    if (flow_id, step_id) in NOT_QUOTES:
        pytest.skip(f"not a document quote: {NOT_QUOTES[(flow_id, step_id)]}")
    flow = flows()[flow_id]
    prefix = cited_document(flow, flow.steps[step_id])
    assert quoted(phrase, prefix), (
        f"{flow_id}/{step_id}: “{phrase}” is not a quotation in {seed_files()[prefix].name} "
        "(after Traditional->Simplified conversion); quote the document exactly"
    )


@pytest.mark.parametrize("item", [i for i in lines() if i[2] == "never"], ids=line_id)
def test_forbidden_phrase_is_a_must_not_say_quote(item):
    """A forbidden phrase is quoted from a 不可以说 (must not say) line of the document."""
    flow_id, step_id, _kind, phrase = item
    flow = flows()[flow_id]
    prefix = cited_document(flow, flow.steps[step_id])
    assert f"不可以说:“{phrase}”" in document(prefix), (
        f"{flow_id}/{step_id}: “{phrase}” is not a 不可以说 quotation in {seed_files()[prefix].name}"
    )


def test_stage_directions_become_tips():
    """A line quoted without its stage direction carries the direction in its tip instead."""
    checked = 0
    for flow in flows().values():
        for step in flow.steps.values():
            if step.say is None:
                continue
            wanted = f"“{fill(step.say, DOCUMENT_PLACEHOLDERS)}”"
            text = document(cited_document(flow, step))
            if wanted in text:
                continue
            for direction, tip in STAGE_DIRECTIONS.items():
                if wanted in text.replace(direction, ""):
                    checked += 1
                    assert step.tip is not None and tip in step.tip.zh, (
                        f"{flow.id}/{step.id}: the document's stage direction {direction} "
                        f"must be in the step's tip"
                    )
    assert checked, "no line is quoted without a stage direction: remove STAGE_DIRECTIONS"


def test_not_quotes_name_real_lines():
    """Every exception listed in NOT_QUOTES names a step that has a ``say`` line."""
    for (flow_id, step_id), reason in NOT_QUOTES.items():
        assert reason
        assert flows()[flow_id].steps[step_id].say is not None


def test_flows_cite_seed_documents():
    """Every flow's source document is one of the seeds."""
    names = {p.name for p in seed_files().values()}
    for flow in flows().values():
        assert flow.source.document in names, f"{flow.id}: unknown document {flow.source.document}"


# -- the check itself can fail -------------------------------------------------------------------


@pytest.mark.parametrize(
    "altered",
    [
        # the greeting ends with ! in 004 §1, not ?
        pytest.param(
            "您好,欢迎致电XX客户服务热线,客服代表YYY很高兴为您服务,请问有什么可以帮助您?",
            id="question-mark-for-exclamation",
        ),
        # full-width comma where the document has an ASCII one
        pytest.param("您好，请问有什么可以帮助您?", id="full-width-comma"),
        # 你 for 您
        pytest.param("你好,请问有什么可以帮助您?", id="ni-for-nin"),
        # a quotation cut short (the silent-call request without 再见!)
        pytest.param("对不起,您的电话没有声音,请您换一部电话再次打来,好吗?", id="cut-short"),
        # Traditional characters left unconverted
        pytest.param("對不起,請您講普通話,好嗎?謝謝!", id="traditional"),
        # the stage direction kept in the spoken line
        pytest.param("对不起,(稍微提高音量)请问有什么可以帮助您?", id="stage-direction-spoken"),
    ],
)
def test_an_altered_phrase_is_not_a_quote(altered):
    """The comparison is strict: a changed character or mark is caught."""
    assert not any(quoted(altered, prefix) for prefix in seed_files())


def test_pinyin_annotations_are_removed_and_chinese_parentheses_kept():
    assert simplify("客戶(hù)說(shuō)會(huì )") == "客户说会"
    assert simplify("小姐(先生),(稍微提高音量)") == "小姐(先生),(稍微提高音量)"
