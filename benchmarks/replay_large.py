"""Replaying a large session log: time and peak memory (target: a 500 MB log in under 300 MB RSS).

    .venv/bin/python benchmarks/replay_large.py [--mb 500] [--log FILE]

The log is written by the real engine and ``SessionLog``: calls from
``callscript.training.synthetic`` (as agents make them) appended into one file until it reaches
``--mb``, and last a long call of 200,000 records (a runaway: more than the replay keeps of one
call), which replay shows first because it is the last. It is kept in
``$TMPDIR/callscript-bench-replay-<mb>.jsonl`` and reused.

Each measurement runs in a fresh process and prints its wall time, CPU time (the work itself, on a
shared machine) and peak RSS (``ru_maxrss``):

- ``load``: ``load_replay`` (one streaming pass over the log, every call indexed) and the rows of
  the call shown, then the call chooser's list of every call;
- ``app``: the replay as ``callscript replay LOG`` runs it, headless in Textual's test driver:
  the progress bar screen reads the log, then the replay screen shows the last call and switches
  to the first.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TARGET_MB = 300.0


def make_log(path: Path, megabytes: int) -> None:
    from callscript.engine.clock import ManualClock
    from callscript.engine.engine import CallEngine
    from callscript.flow.library import load_flows
    from callscript.session.log import SessionLog
    from callscript.training.synthetic import generate_logs

    flows = load_flows()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        calls = b"".join(p.read_bytes() for p in sorted(generate_logs(Path(folder), 2000, seed=3, agents=20,
                                                                      flows=flows)))
    with open(path, "wb") as out:
        while out.tell() < megabytes * 1_000_000:
            out.write(calls if calls.endswith(b"\n") else calls + b"\n")
    clock = ManualClock(1000.0)
    with SessionLog(path, wall=lambda: 1.7e9 + clock.now()) as log:
        engine = CallEngine(flows, "main_call", clock, variables={"agent": "runaway"}, listeners=[log])
        engine.start()
        for n in range(200_000):
            clock.advance(0.01)
            engine.hear(f"heard {n}")
        engine.end_call("agent_ended")
    size = path.stat().st_size
    print(f"wrote {size / 1e6:,.0f} MB of session log with the engine in {time.perf_counter() - start:.0f} s: {path}")


LOAD = """
import resource, sys, time
from callscript.i18n import Messages
from callscript.app.replay import build_rows, describe_call, load_replay
from callscript.flow.library import load_flows
flows = load_flows()
start = time.perf_counter()
replay = load_replay(sys.argv[1], flows)
rows = build_rows(replay.timeline, Messages("en"), flows)
loaded = time.perf_counter() - start
listed = [describe_call(c, Messages("en"), flows, n) for n, c in enumerate(replay.calls, start=1)]
replay.index = 0
first = build_rows(replay.timeline, Messages("en"), flows)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"{len(replay.calls)} {len(rows)} {replay.skipped.count} {loaded:.2f} {time.perf_counter() - start:.2f} "
      f"{usage.ru_maxrss / 1024:.0f} {usage.ru_utime + usage.ru_stime:.1f}")
"""

APP = """
import asyncio, resource, sys, time
from pathlib import Path
from callscript.app.app import make_app
from callscript.app.replay import PendingReplay
from callscript.app.screens.replay import ReplayScreen
from callscript.engine.clock import ManualClock
from callscript.flow.library import load_flows

async def main():
    flows = load_flows()
    app = make_app(flows, clock=ManualClock(), log_dir=Path(sys.argv[2]), replay=PendingReplay(Path(sys.argv[1]), audio=False))
    start = time.perf_counter()
    seen = 0.0
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, ReplayScreen):
            await pilot.pause(0.2)
            bar = app.screen.query("ProgressBar")
            if bar:
                seen = max(seen, bar.first().percentage or 0.0)
        await pilot.pause()
        shown = time.perf_counter() - start
        app.screen.show_call(0)
        await pilot.pause()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(f"{len(app.screen.replay.calls)} {len(app.screen.rows)} {seen:.2f} {shown:.2f} "
              f"{usage.ru_maxrss / 1024:.0f} {usage.ru_utime + usage.ru_stime:.1f}")

asyncio.run(main())
"""


def run(code: str, *args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CALLSCRIPT_NO_AUDIO": "1"}
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return proc.stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args()
    path = args.log or Path(tempfile.gettempdir()) / f"callscript-bench-replay-{args.mb}.jsonl"
    if not path.exists() or path.stat().st_size < args.mb * 1_000_000:
        make_log(path, args.mb)
    size = path.stat().st_size / 1e6
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; log {size:,.0f} MB")
    calls, rows, skipped, loaded, total, rss, cpu = run(LOAD, str(path))
    print(f"load:  {int(calls):,} calls indexed, last call {int(rows):,} rows, {skipped} lines skipped; "
          f"load_replay {float(loaded):.1f} s, with the chooser list and call 1 {float(total):.1f} s "
          f"(process CPU {float(cpu):.1f} s); "
          f"peak RSS {float(rss):.0f} MB (target < {TARGET_MB:g} MB: {'ok' if float(rss) < TARGET_MB else 'MISSED'})")
    with tempfile.TemporaryDirectory() as logs:
        calls, rows, seen, shown, rss, cpu = run(APP, str(path), logs)
    print(f"app:   replay screen up after {float(shown):.1f} s (progress bar seen up to {float(seen):.0%}; "
          f"process CPU {float(cpu):.1f} s); "
          f"peak RSS {float(rss):.0f} MB (target < {TARGET_MB:g} MB: {'ok' if float(rss) < TARGET_MB else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
