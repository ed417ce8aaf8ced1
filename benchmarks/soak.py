"""Soak: a working day of calls through the engine and the session logger, with flat memory.

    .venv/bin/python benchmarks/soak.py [--hours 8] [--seed 0]

Calls run back to back on one virtual clock (``callscript.training.synthetic.run_shift``: the real
engine over the real flows, a seeded agent, every record through ``SessionLog`` to real files in a
temporary folder) until ``--hours`` of call time have passed. Memory is measured after the first
virtual hour (the caches are warm) and at the end: Python's own allocations (tracemalloc) and the
process's resident set (VmRSS). Flat means the end is within a few hundred KB of the start.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

from callscript.flow.library import load_flows
from callscript.training.synthetic import run_shift


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    flows = load_flows()
    marks: dict[str, tuple[int, int, int]] = {}

    def on_call(calls: int, seconds: float) -> None:
        if "start" not in marks and seconds >= 3600:
            gc.collect()
            marks["start"] = (calls, tracemalloc.get_traced_memory()[0], rss_kb())

    tracemalloc.start()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        calls = run_shift(Path(folder), args.hours, flows=flows, seed=args.seed, on_call=on_call)
        files = len(list(Path(folder).glob("*.jsonl")))
        size = sum(p.stat().st_size for p in Path(folder).glob("*.jsonl"))
    gc.collect()
    end = (calls, tracemalloc.get_traced_memory()[0], rss_kb())
    start = marks.get("start", end)
    print(f"soak: {args.hours:g} h of calls on the virtual clock, {calls} calls, {files} logs ({size / 1e6:.1f} MB), "
          f"{time.perf_counter() - began:.1f} s of real time")
    print(f"python memory (tracemalloc) after hour 1 ({start[0]} calls) {start[1] / 1024:9.1f} KB   "
          f"at the end ({end[0]} calls) {end[1] / 1024:9.1f} KB   growth {(end[1] - start[1]) / 1024:+.1f} KB")
    print(f"resident set (VmRSS)        after hour 1              {start[2]:9d} KB   "
          f"at the end               {end[2]:9d} KB   growth {end[2] - start[2]:+d} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
