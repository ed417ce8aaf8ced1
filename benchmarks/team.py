"""Team store benchmarks: a synthetic 300-agent center shipped, reported and archived.

    .venv/bin/python benchmarks/team.py            36,000 calls (about 3 days of 300 agents)
    .venv/bin/python benchmarks/team.py --month    36,000 and then 360,000 calls (a month), with growth
    add --ship-only                                only the shipping figures (a shorter loop)

The calls are made by the real engine over the real flows (``callscript.training.synthetic``, the
way ``simulate`` runs a flow: a ManualClock and a SessionLog), in both cores, and kept in
``$TMPDIR/callscript-bench-team-<calls>`` for the next run. A private PostgreSQL cluster
(``tests/support/postgres.py``: initdb in a temporary folder, 127.0.0.1, a free port) is started
and removed. Printed, each with the ratio to its target (below 1.00 meets it):

- ship throughput: every call into an empty store with ``ship_logs``, the logs first dropped from
  the kernel's page cache (``posix_fadvise``), so they come off the disk as after a reboot or on
  a shared folder (``--cached`` leaves them where they are) (target >= 2,000 calls/s,
  shown as seconds per 1,000 calls against 0.5 s), with the CPU time the shipper and the server
  spent per 1,000 calls (on a busy shared machine the wall time mostly measures the queue for the
  cores); and one call made now, visible to a query after it ends (target < 1 s), as the app
  ships it (``callscript.team.outbox``);
- the team report from the folders with ``build_report`` (each call through ``derive`` as it is
  read, DuckDB in memory adding up: the baseline), from the folders as ``callscript report DIR``
  reads them (the same, in a DuckDB that spills past its memory limit), from the store and from a Parquet archive (``callscript export --parquet``): wall time
  and peak RSS, each in a fresh process (targets for the month: archive < 5 s, store < 20 s, every
  peak RSS < 500 MB), and each one's time as a ratio to the baseline;
- with ``--month``, how each figure grows from 36,000 to 360,000 calls.

The machine's load average is printed: other work on a shared machine stretches wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

AGENTS = 300
CALLS_PER_DAY = 12_000  # 300 agents, 40 calls a day each


def line(name: str, value: float, unit: str, target: float | None = None, note: str = "") -> None:
    text = f"{name:<52} {value:>10,.2f} {unit:<5}"
    if target is not None:
        ratio = value / target
        text += f" target < {target:g} {unit:<5} ratio {ratio:5.2f}  {'ok' if ratio <= 1 else 'MISSED'}"
    print(text + (f"  {note}" if note else ""), flush=True)


def _generate(args: tuple[str, int, int, int]) -> int:
    from callscript.training.synthetic import generate_logs

    out, calls, seed, days = args
    return len(generate_logs(Path(out), calls, seed=seed, agents=AGENTS, days=days))


def ensure_center(calls: int) -> Path:
    directory = Path(tempfile.gettempdir()) / f"callscript-bench-team-{calls}"
    marker = directory / ".complete"
    if marker.exists() and marker.read_text() == str(calls):
        print(f"reusing {calls:,} session logs in {directory}")
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    start = time.perf_counter()
    workers = max(1, min(4, os.cpu_count() or 1))
    chunks = [calls // workers + (1 if n < calls % workers else 0) for n in range(workers)]
    days = max(1, calls // CALLS_PER_DAY)
    with ProcessPoolExecutor(workers) as pool:
        made = sum(pool.map(_generate, [(str(directory), c, 1000 + n, days) for n, c in enumerate(chunks)]))
    marker.write_text(str(calls))
    size = sum(p.stat().st_size for p in directory.rglob("*.jsonl"))
    print(f"generated {made:,} calls of {AGENTS} agents over {days} days ({size / 1e6:,.0f} MB) with the engine "
          f"in {time.perf_counter() - start:,.0f} s: {directory}")
    return directory


_MEASURE = """
import json, sys, time
sys.path.insert(0, {repo!r})
start = time.perf_counter()
if {today!r}:
    from callscript.training.report import build_report as build
else:
    from callscript.commands.report import _build as build
report = build({sources!r})
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would include the parent's.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({{"seconds": elapsed, "rss_mb": hwm / 1024, "calls": report.overall["calls"]}}))
"""


def measure_report(sources: list[str], env: dict[str, str], *, today: bool = False) -> dict:
    """The report in a fresh process: its wall time (imports included) and peak RSS. ``today``:
    the folders' report as it was before the team store (all logs at once, in memory)."""
    code = _MEASURE.format(repo=str(REPO), sources=sources, today=today)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"report over {sources} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def visible_after_end(url: str, trainer_url: str, folder: Path) -> float:
    """Seconds from a call's end to a trainer seeing it, shipped by the app's outbox thread."""
    import psycopg

    from callscript.engine.clock import ManualClock
    from callscript.engine.engine import CallEngine
    from callscript.flow.library import load_flows
    from callscript.session.log import SessionLog
    from callscript.team.outbox import Outbox

    flows = load_flows()
    outbox = Outbox(url, folder / "outbox")
    clock = ManualClock()
    log = SessionLog.create(folder / "now", "main_call")
    engine = CallEngine(flows, "main_call", clock, variables={"agent": "A001"}, listeners=[log])
    engine.start()
    clock.advance(3)
    engine.end_call("resolved")
    log.close()
    ended = time.perf_counter()
    outbox.call_ended(log.path)
    with psycopg.connect(trainer_url, autocommit=True) as conn:
        while not conn.execute("SELECT count(*) FROM callscript.calls WHERE log_name = %s", (log.path.name,)).fetchone()[0]:
            if time.perf_counter() - ended > 30:
                raise SystemExit("the call did not reach the store in 30 s")
            time.sleep(0.005)
    seen = time.perf_counter() - ended
    outbox.close()
    return seen


def server_cpu(cluster) -> float:
    """CPU seconds used so far by the cluster's processes (the postmaster, its children alive, and
    those it has reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    root = int((cluster.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif ppid == root:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drop_from_cache(directory: Path) -> None:
    """The logs out of the kernel's page cache (``POSIX_FADV_DONTNEED``). Only clean pages go:
    logs just generated are written out first (``fdatasync``), or they would stay cached."""
    for path in directory.rglob("*.jsonl"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def run_size(calls: int, cluster, env: dict[str, str], *, ship_only: bool = False, cached: bool = False) -> dict:
    from callscript.team.ship import ship_logs
    from callscript.team.store import init_store

    print(f"\n== {calls:,} calls, {AGENTS} agents")
    logs = ensure_center(calls)
    db = cluster.create_database(f"bench{calls}")
    url = cluster.url(db=db)
    init_store(url)
    if not cached:
        drop_from_cache(logs)
    start, client0, server0 = time.perf_counter(), own_cpu(), server_cpu(cluster)
    shipped = ship_logs(url, [logs])
    ship_s = time.perf_counter() - start
    client, server = own_cpu() - client0, server_cpu(cluster) - server0
    assert shipped.new == calls, shipped
    rate = calls / ship_s
    line(f"ship {calls:,} calls into an empty store", ship_s, "s", note="(logs cached)" if cached else
         "(logs read from the disk)")
    line("  throughput (target >= 2,000 calls/s)", rate, "c/s")
    line("  seconds per 1,000 calls", 1000 / rate, "s", 0.5)
    line("  CPU per 1,000 calls: shipper (all threads)", 1000 * client / calls, "s")
    line("  CPU per 1,000 calls: PostgreSQL", 1000 * server / calls, "s")
    # Cutting (shipper) and copying (server) overlap: on two idle cores the slower of the two sets the pace.
    line("  throughput two idle cores would give (CPU-bound)", calls / max(client, server, 1e-9), "c/s")
    import psycopg

    with psycopg.connect(url) as conn:  # what a month takes on the server's disk (lz4 text, indexes)
        size, logs_size = conn.execute("SELECT pg_database_size(current_database()), "
                                       "pg_total_relation_size('callscript.call_logs')").fetchone()
    line("  store on disk: the database / the calls' logs", size / 1e6, "MB", note=f"{logs_size / 1e6:,.0f} MB")
    figures = {"ship_rate": rate, "ship_cpu": (client, server)}
    if ship_only:
        return figures
    today = measure_report([str(logs)], env, today=True)
    folders = measure_report([str(logs)], env)
    store = measure_report([url], env)
    archive_dir = Path(tempfile.mkdtemp(prefix="callscript-bench-archive-"))
    try:
        from callscript.team.archive import export_store

        start = time.perf_counter()
        export_store(url, archive_dir / "a")
        export_s = time.perf_counter() - start
        archive = measure_report([str(archive_dir / "a")], env)
        size = sum(p.stat().st_size for p in (archive_dir / "a").rglob("*.parquet"))
    finally:
        shutil.rmtree(archive_dir, ignore_errors=True)
    for result in (today, folders, store, archive):
        assert result["calls"] == calls, result
    month = calls >= 360_000
    line("export the store as Parquet", export_s, "s", note=f"({size / 1e6:,.0f} MB of Parquet)")
    base = today["seconds"]
    line("report from the folders, build_report (baseline)", base, "s")
    line("report from the folders, callscript report DIR", folders["seconds"], "s", None,
         f"x{folders['seconds'] / base:.2f} the baseline's time")
    line("report from the store", store["seconds"], "s", 20.0 if month else None,
         f"x{store['seconds'] / base:.2f} the baseline's time")
    line("report from the archive", archive["seconds"], "s", 5.0 if month else None,
         f"x{archive['seconds'] / base:.2f} the baseline's time")
    for name, result in (("folders, build_report (baseline)", today), ("folders", folders), ("store", store),
                         ("archive", archive)):
        line(f"peak RSS of the report from the {name}", result["rss_mb"], "MB", 500.0)
    figures.update({"today": today, "folders": folders, "store": store, "archive": archive, "export": export_s})
    with tempfile.TemporaryDirectory() as tmp:  # last: this call is one more in the store
        figures["visible"] = visible_after_end(url, url, Path(tmp))
    line("one call visible in the store after it ends (app's outbox)", figures["visible"], "s", 1.0)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", action="store_true", help="also 360,000 calls, and the growth from 36,000")
    parser.add_argument("--calls", help="sizes of your choosing instead, e.g. 36000,72000")
    parser.add_argument("--ship-only", action="store_true", help="only the shipping figures (no reports, no export)")
    parser.add_argument("--cached", action="store_true", help="ship the logs from the page cache as they are "
                                                              "(by default they are dropped from it first)")
    args = parser.parse_args()
    from tests.support import postgres

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    sizes = ([int(n) for n in args.calls.split(",")] if args.calls
             else [36_000, 360_000] if args.month else [36_000])
    cluster = postgres.Cluster.start()
    os.environ.update(cluster.environ())
    env = {**os.environ, **cluster.environ()}
    try:
        results = {size: run_size(size, cluster, env, ship_only=args.ship_only, cached=args.cached) for size in sizes}
    finally:
        cluster.destroy()
    if len(results) >= 2:
        small, big = results[sizes[0]], results[sizes[-1]]
        print(f"\n== growth from {sizes[0]:,} to {sizes[-1]:,} calls (x{sizes[-1] / sizes[0]:g} the data)")
        line("ship throughput", big["ship_rate"] / small["ship_rate"], "x")
        names = {} if args.ship_only else {
            "today": "the folders, build_report (baseline)", "folders": "the folders", "store": "the store",
            "archive": "the archive"}
        for name, label in names.items():
            line(f"report time from {label}", big[name]["seconds"] / small[name]["seconds"], "x")
            line(f"report peak RSS from {label}", big[name]["rss_mb"] / small[name]["rss_mb"], "x")
    print("load average now " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
