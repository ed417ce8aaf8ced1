"""The scorer agrees with a trainer: answers labelled from the manuals' rules (each with its reason,
tests/data/labelled_answers.yaml) get the scorer's verdict on at least 97% of them, and the set
covers every step of the shipped flows that has a line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from callscript.flow.library import load_flows
from callscript.training.scoring import spoken_steps

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from scoring_agreement import DATA, evaluate, report  # noqa: E402


@pytest.fixture(scope="module")
def evaluated():
    return evaluate(DATA)


def test_the_labelled_set_is_large_covers_every_line_and_gives_a_reason_for_each_label(evaluated):
    answers, _results = evaluated
    assert len(answers) >= 150
    steps = {(f.id, s.id) for f in load_flows().values() for s in spoken_steps(f)}
    assert {(a["flow"], a["step"]) for a in answers} == steps
    for answer in answers:
        assert isinstance(answer["pass"], bool) and answer["answer"].strip()
        assert re.match(r"R\d+ \S", answer["why"]), answer  # the rule of the header, then why
    assert sum(a["pass"] for a in answers) >= len(answers) / 3  # not a set the scorer passes by failing all
    assert sum(not a["pass"] for a in answers) >= len(answers) / 3


def test_the_scorer_agrees_with_the_labels_on_at_least_97_percent(evaluated):
    _answers, results = evaluated
    agreed = sum(1 for answer, result in results if answer["pass"] == result.passed)
    assert agreed / len(results) >= 0.97, report(results)


def test_the_docs_show_the_current_confusion_table(evaluated):
    """docs/scoring.md quotes the agreement report; it must be the scorer's of today."""
    _answers, results = evaluated
    first_lines = "\n".join(report(results).splitlines()[:6])
    assert first_lines in (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
