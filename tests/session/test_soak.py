"""Soak: 8 hours of calls on the virtual clock, through the real engine and session logger, leave
memory and open files where they were after the first hour (benchmarks/soak.py prints the figures)."""

from __future__ import annotations

import gc
import os
import tracemalloc

import pytest

from callscript.flow.library import load_flows
from callscript.session.log import read_log
from callscript.training.synthetic import run_shift


@pytest.mark.slow
def test_a_working_day_of_calls_keeps_memory_and_open_files_flat(tmp_path):
    flows = load_flows()
    after_hour: dict[str, int] = {}

    def on_call(calls: int, seconds: float) -> None:
        if not after_hour and seconds >= 3600:
            gc.collect()
            after_hour.update(calls=calls, memory=tracemalloc.get_traced_memory()[0],
                              files=len(os.listdir("/proc/self/fd")))

    tracemalloc.start()
    try:
        calls = run_shift(tmp_path, 8.0, flows=flows, seed=3, on_call=on_call)
        gc.collect()
        memory = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert calls > 100 and after_hour["calls"] < calls
    # Generous (the figure is flat to within a few KB), yet a call's records kept after it ended
    # (~10 KB of log each, ~200 calls after the first hour) would pass it eight times over.
    assert memory - after_hour["memory"] < 256 * 1024, (after_hour, memory)
    assert len(os.listdir("/proc/self/fd")) <= after_hour["files"]  # every log file was closed
    logs = sorted(tmp_path.glob("*.jsonl"))
    assert len(logs) == calls
    assert all(read_log(log).records for log in logs)
