"""Foundation benchmarks (flows and the engine): prints figures and the ratio to each target.

    .venv/bin/python benchmarks/foundation.py

- cold ``callscript check`` of the shipped flows: wall time and peak memory of a fresh process
  (median of several runs), target < 0.3 s and < 60 MB;
- loading and validating 1,000 generated flows (written to a temporary folder), target < 2 s:
  ``check_paths`` timed inside fresh processes (after imports, so no cache or warm-up from an
  earlier run helps), median and best of several runs, with the load average (other work on the
  machine shows up directly in these figures); and, for reference, the whole cold
  ``callscript check FOLDER`` command including interpreter start;
- loading 1,000 user flows for a call (``load_library``), all good and with the first one broken
  and every other one going to it (all left out), target < 2 s each, median of several fresh
  processes; beside each, ``check_library`` of the same folder for reference;
- engine events per second (agent events, line conditions and timer firings on the main call),
  target >= 100,000;
- first, for reference, how fast this machine runs a fixed Python loop alone and with two
  processes at once (a shared virtual machine's speed drifts, and other work on it slows every
  figure here).

A ratio below 1.00 means the target is met (for events per second, above 1.00).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from callscript.engine import CallEngine, ManualClock  # noqa: E402
from callscript.flow.library import check_paths, load_flows  # noqa: E402


def report(name: str, value: float, unit: str, target: float, higher_is_better: bool = False) -> None:
    ratio = (target / value if value else float("inf")) if higher_is_better else value / target
    ok = "ok" if ratio <= 1 else "MISSED"
    print(f"{name:<48} {value:>12,.3f} {unit:<8} target {'>=' if higher_is_better else '<'} {target:,g} {unit:<6} ratio {ratio:5.2f}  {ok}")


def cold_check() -> None:
    exe = shutil.which("callscript", path=str(Path(sys.executable).parent)) or "callscript"
    times, peaks = [], []
    for _ in range(7):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        result = subprocess.run([exe, "check", str(REPO / "callscript" / "data" / "flows")], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024)
        assert result.returncode == 0, result.stdout + result.stderr
    report("cold `callscript check` of the built-in flows: wall (median of 7)", statistics.median(times), "s", 0.3)
    report("cold `callscript check` of the built-in flows: peak RSS", max(peaks), "MB", 60)


FLOW_TEMPLATE = """\
id: {id}
title: {{zh: 生成流程{n}, en: Generated flow {n}}}
language: zh-CN
gloss: A generated flow for the loader benchmark.
source: {{document: 004_ec73fcbdd22154ce.txt, section: generated}}
variables:
  surname: {{default: 某}}
start: s0
steps:
{steps}
"""
STEP_TEMPLATE = """\
  s{i}:
    say: "{{surname}}先生,请问有什么可以帮助您?({i})"
    gloss: How may I help you?
    tip: {{zh: 语气平和, en: Keep an even tone.}}
    never:
      - say: 喂,说吧!
        gloss: Hey, talk!
    on:
      - event: next
        label: {{zh: 下一步, en: Next}}
        to: s{j}
      - after: 5s
        to: done
      - heard: [听不清, 听不到]
        to: s{j}
"""


def write_flows(folder: Path, count: int = 1000) -> None:
    for n in range(count):
        steps = "".join(STEP_TEMPLATE.format(i=i, j=i + 1) for i in range(8))
        steps += "  s8:\n    say: 感谢您的咨询,祝您生活愉快!\n    gloss: Thanks.\n    end: resolved\n"
        steps += "  done:\n    tip: {zh: 挂机, en: Hang up.}\n    end: hang_up\n"
        (folder / f"gen_{n:04d}.yaml").write_text(FLOW_TEMPLATE.format(id=f"gen_{n:04d}", n=n, steps=steps), encoding="utf-8")


def load_once(folder: Path) -> None:
    """Run in a fresh process by ``thousand_flows``: print the seconds ``check_paths`` took."""
    start = time.perf_counter()
    result = check_paths([folder])
    elapsed = time.perf_counter() - start
    assert len(result.checked) == 1000 and not result.problems, result.problems[:3]
    print(elapsed)


def thousand_flows(runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_flows(folder)
        times, loads = [], []
        for _ in range(runs):
            loads.append(os.getloadavg()[0])
            out = subprocess.run([sys.executable, __file__, "--load-once", str(folder)], capture_output=True, text=True, check=True)
            times.append(float(out.stdout))
        exe = shutil.which("callscript", path=str(Path(sys.executable).parent)) or "callscript"
        start = time.perf_counter()
        subprocess.run([exe, "check", str(folder)], capture_output=True, check=True)
        command = time.perf_counter() - start
    report(f"load + validate + lint 1,000 flows (median of {runs})", statistics.median(times), "s", 2.0)
    report(f"load + validate + lint 1,000 flows (best of {runs})", min(times), "s", 2.0)
    print(f"{'  cold `callscript check` of the 1,000 (whole command)':<48} {command:>12,.3f} s")
    print(f"{'  load average (1 min) during those runs':<48} {min(loads):>6.2f} - {max(loads):.2f} on {os.cpu_count()} CPUs")


def write_chain(folder: Path, count: int = 1000) -> None:
    """``write_flows``, but the first flow is broken (a step that is not there) and each of the
    others can hand the call to the one before it: every one of them is left out."""
    write_flows(folder, count)
    first = folder / "gen_0000.yaml"
    first.write_text(first.read_text(encoding="utf-8").replace("to: done", "to: nowhere", 1), encoding="utf-8")
    for n in range(1, count):
        path = folder / f"gen_{n:04d}.yaml"
        handover = f"      - event: back\n        label: {{zh: 返回, en: Back}}\n        flow: gen_{n - 1:04d}\n"
        path.write_text(path.read_text(encoding="utf-8").replace("    on:\n", "    on:\n" + handover, 1), encoding="utf-8")


def library_once(config: Path, how: str) -> None:
    """Run in a fresh process by ``user_flows``: print the seconds it took to load the flows with
    the user flows folder ``config/flows``, as a call does (``load``: ``load_library``) or checking
    them all (``check``: ``check_library``, which is what loading cost before files were left out)."""
    os.environ["CALLSCRIPT_CONFIG_DIR"] = str(config)
    from callscript.flow.library import check_library, load_library

    start = time.perf_counter()
    if how == "load":
        left = len(load_library().left_out)
    else:
        left = len({p.path for p in check_library(lint=False).problems if p.severity == "error"})
    elapsed = time.perf_counter() - start
    print(elapsed, left)


def user_flows(runs: int = 3) -> None:
    """1,000 user flows loaded for a call (``load_library``), all good, and with the first broken
    and every other one going to it in a chain (all left out); beside it, ``check_library`` on the
    same folder: leaving flows out must cost about what checking them does."""
    for name, write in (("all good", write_flows), ("a broken chain", write_chain)):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "flows").mkdir()
            write(Path(tmp) / "flows")
            for how in ("load", "check"):
                times, found = [], set()
                for _ in range(runs):
                    out = subprocess.run([sys.executable, __file__, "--library-once", tmp, how], capture_output=True,
                                         text=True, check=True).stdout.split()
                    times.append(float(out[0]))
                    found.add(int(out[1]))
                what = "load_library (a call)" if how == "load" else "check_library (reference)"
                report(f"1,000 user flows, {name}: {what}", statistics.median(times), "s", 2.0)
                print(f"{'  files with errors / left out':<48} {', '.join(map(str, sorted(found))):>12}")


def engine_events() -> None:
    flows = load_flows()
    clock = ManualClock()
    engine = CallEngine(flows, "main_call", clock)
    engine.start()
    count = 0
    start = time.perf_counter()
    while count < 300_000:
        if engine.ended:
            engine = CallEngine(flows, "main_call", clock)
            engine.start()
        engine.mark_said()
        engine.line("speech_started")
        engine.line("speech_stopped")
        engine.hear("我想问一下")
        engine.fire("caller_spoke")
        clock.advance(1)
        engine.poll()
        engine.enter_situation("speakerphone")
        engine.fire("picked_up")
        count += 8
    elapsed = time.perf_counter() - start
    report("engine events per second", count / elapsed, "ev/s", 100_000, higher_is_better=True)


def _reference_loop() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - start


def machine_reference() -> None:
    """How fast this machine runs plain Python, alone and with both processes busy at once.

    Shared virtual machines vary from hour to hour, and their CPUs may slow each other down when
    both are busy; the figures depend on both, so they are printed beside them.
    """
    alone = min(_reference_loop() for _ in range(3))
    command = [sys.executable, __file__, "--reference-loop"]
    pair = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    together = max(float(p.communicate()[0]) for p in pair)
    print(f"{'  machine: a fixed Python loop, alone':<48} {alone:>12,.3f} s")
    print(f"{'  machine: the same loop, two processes at once':<48} {together:>12,.3f} s"
          f"   ({together / alone:.2f}x the time alone)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load-once"]:
        load_once(Path(sys.argv[2]))
        sys.exit()
    if sys.argv[1:2] == ["--library-once"]:
        library_once(Path(sys.argv[2]), sys.argv[3])
        sys.exit()
    if sys.argv[1:2] == ["--reference-loop"]:
        print(_reference_loop())
        sys.exit()
    print(f"python {sys.version.split()[0]} on {sys.platform}")
    machine_reference()
    cold_check()
    thousand_flows()
    user_flows()
    engine_events()
