"""Scoring one long answer: ``score_flow_step`` on 2,000-character answers, target < 50 ms.

    .venv/bin/python benchmarks/scoring_long.py

A trainee (or a recogniser left running) can hand the scorer a long text; the drill scores every
answer at once, so even a long one must score well within a frame. Three kinds of 2,000-character
answers on every line of the shipped flows: the line said over and over, random Chinese text, and
random text with the step's forbidden phrasing and a 你 buried in it. Each is timed once per line
per round (5 rounds, after one warm-up answer that loads pypinyin): random text brings characters
pypinyin has not read yet, the slow case. Then random text once more per line with every
character known ("characters known"). p50, p99 and the max are printed with the ratio to the
target.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_MS = 50.0
LENGTH = 2000


def long_answers(rng: random.Random, line: str, never: list[str]) -> dict[str, str]:
    noise = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(LENGTH))
    buried = noise[:900] + (never[0] if never else "喂") + "你" + noise[900:]
    return {
        "the line repeated": (line * (LENGTH // max(1, len(line)) + 1))[:LENGTH],
        "random text": noise,
        "forbidden buried": buried[:LENGTH],
    }


def main() -> int:
    import os

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work stretches these times)")
    from callscript.flow.library import load_flows
    from callscript.text import fill
    from callscript.training.scoring import score_flow_step, spoken_steps

    flows = load_flows()
    steps = [(f, s) for f in flows.values() for s in spoken_steps(f)]
    score_flow_step(steps[0][0], steps[0][1].id, "您好")  # pypinyin loads once per process
    rng = random.Random(7)
    times: dict[str, list[float]] = {}
    for _round in range(5):
        for flow, step in steps:
            line = fill(step.say or "", flow.defaults())
            never = [n.text for n in step.never if n.kind == "say"]
            for kind, answer in long_answers(rng, line, never).items():
                start = time.perf_counter()
                score_flow_step(flow, step.id, answer)
                times.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
    # Again, now that pypinyin has read every character once (its per-character table stays;
    # the per-text cache is cleared so nothing is simply remembered).
    from callscript.training.pinyin import pinyin_key

    rng = random.Random(7)
    for flow, step in steps:
        line = fill(step.say or "", flow.defaults())
        never = [n.text for n in step.never if n.kind == "say"]
        pinyin_key.cache_clear()
        answer = long_answers(rng, line, never)["random text"]
        start = time.perf_counter()
        score_flow_step(flow, step.id, answer)
        times.setdefault("characters known", []).append((time.perf_counter() - start) * 1000)
    every = [t for values in times.values() for t in values]
    for kind, values in [*times.items(), ("all", every)]:
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"score a {LENGTH:,}-character answer, {kind:<17} n={len(values):<4} p50 {statistics.median(values):6.1f} ms"
              f"  p99 {p99:6.1f} ms  max {values[-1]:6.1f} ms  target < {TARGET_MS:g} ms  ratio {p99 / TARGET_MS:4.2f}"
              f"  {'ok' if p99 < TARGET_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
