"""How far the scorer agrees with the labelled answers (tests/data/labelled_answers.yaml).

Prints the agreement, the confusion table and every disagreement with its label's reason, as
Markdown (docs/scoring.md quotes it). Run from the repository:

    python benchmarks/scoring_agreement.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "labelled_answers.yaml"


def evaluate(path: Path = DATA) -> tuple[list[dict], list[tuple[dict, object]]]:
    """Every labelled answer with the scorer's result: (answers, [(answer, result) ...])."""
    from callscript.flow.library import load_flows
    from callscript.training.scoring import score_flow_step

    flows = load_flows()
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    return answers, [(a, score_flow_step(flows[a["flow"]], a["step"], a["answer"])) for a in answers]


def report(results: list[tuple[dict, object]]) -> str:
    """The agreement, the confusion table and the disagreements, as Markdown."""
    table = {(label, said): 0 for label in (True, False) for said in (True, False)}
    for answer, result in results:
        table[(answer["pass"], result.passed)] += 1
    agreed = table[(True, True)] + table[(False, False)]
    lines = [
        f"Agreement: {agreed}/{len(results)} = {100 * agreed / len(results):.1f}%",
        "",
        "| label \\ scorer | passes | fails |",
        "|---|---|---|",
        f"| pass | {table[(True, True)]} | {table[(True, False)]} |",
        f"| fail | {table[(False, True)]} | {table[(False, False)]} |",
        "",
    ]
    wrong = [(a, r) for a, r in results if a["pass"] != r.passed]
    if wrong:
        lines += ["| flow / step | answer | label | scorer | label's reason | scorer's deductions |",
                  "|---|---|---|---|---|---|"]
        for answer, result in wrong:
            deductions = "; ".join(f"−{r.penalty} {r.code}" for r in result.reasons) or "none"
            lines.append(f"| {answer['flow']} / {answer['step']} | {answer['answer']} | "
                         f"{'pass' if answer['pass'] else 'fail'} | {result.score} "
                         f"{'pass' if result.passed else 'fail'} | {answer['why']} | {deductions} |")
    else:
        lines.append("No disagreement.")
    return "\n".join(lines)


def main() -> int:
    _answers, results = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
