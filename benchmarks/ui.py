"""Live call screen benchmarks: prints figures and the ratio to each target.

    .venv/bin/python benchmarks/ui.py [--runs N] [--keys N]

Everything is measured end to end on the installed ``callscript`` in a real terminal (a private
tmux server, 80x24):

- first prompt: from launching the process to the first line of the call on screen
  (``callscript run silent_call``), and to the flow picker with its list (``callscript``);
  median and worst of several cold starts; target < 0.8 s;
- key to prompt: a key press (``send-keys`` through a tmux control-mode client) until the app has
  written the next step's line to its terminal (seen in tmux's ``%output`` stream), over a flow
  whose two steps send the call back and forth; p50 and p99; target < 30 ms at p99. The figure
  includes tmux passing the key in and the output back, a millisecond or so;
- resident memory of the app process (keyboard only, ``--no-audio``) after those key presses:
  current and peak; target < 120 MB.

A ratio below 1.00 means the target is met.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CALLSCRIPT = Path(sys.executable).parent / "callscript"

TOGGLE_FLOW = """\
id: bench_toggle
title: {zh: 来回切换, en: Back and forth}
language: zh-CN
gloss: Two steps that send the call back and forth, for the key-to-prompt benchmark.
source: {document: benchmark, section: ui}
start: one
steps:
  one:
    say: 您好,这是第一句,请按一继续
    gloss: Hello, this is line one.
    on:
      - event: next
        label: {zh: 下一句, en: Next line}
        to: two
  two:
    say: 感谢您的耐心,这是第二句
    gloss: Thank you, this is line two.
    on:
      - event: next
        label: {zh: 下一句, en: Next line}
        to: one
"""
LINES = {"one": "这是第一句", "two": "这是第二句"}


def report(name: str, value: float, unit: str, target: float) -> None:
    ratio = value / target
    print(f"{name:<58} {value:>9.3f} {unit:<3} target < {target:g} {unit:<3} ratio {ratio:5.2f}  "
          f"{'ok' if ratio <= 1 else 'MISSED'}")


def info(name: str, value: float, unit: str) -> None:
    print(f"{name:<58} {value:>9.3f} {unit}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Tmux:
    """A private tmux server (its own socket) with one idle session, and a control-mode client.

    The control client (``tmux -C``) takes commands on its stdin and streams every pane's output
    (``%output``) on its stdout, so a key is sent without starting a process, and the moment the
    app writes the new line to its terminal is seen without polling the screen.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"callscript-bench-{uuid.uuid4().hex[:8]}"
        self.env = " ".join(f"{k}={v}" for k, v in env.items())
        self.run("new-session", "-d", "-s", "hold", "-x", "80", "-y", "24", "sleep 3600")
        self.control = subprocess.Popen(["tmux", "-L", self.socket, "-C", "attach", "-t", "hold"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        os.set_blocking(self.control.stdout.fileno(), False)  # type: ignore[union-attr]
        self.buffer = b""
        self.read_until(b"%session-changed", 5.0)

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def command(self, line: str) -> None:
        """Send one tmux command through the control client."""
        self.control.stdin.write(line.encode() + b"\n")  # type: ignore[union-attr]

    def read_until(self, marker: bytes, timeout: float) -> float:
        """Read the control client's output until ``marker`` arrives; the time it took."""
        start = time.perf_counter()
        while marker not in self.buffer:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise SystemExit(f"{marker.decode()!r} never appeared in the terminal output")
            ready, _, _ = select.select([self.control.stdout], [], [], left)
            if ready:
                chunk = self.control.stdout.read()  # type: ignore[union-attr]
                if chunk:
                    self.buffer += chunk
        found = time.perf_counter() - start
        self.buffer = self.buffer[self.buffer.index(marker) + len(marker):]
        return found

    def forget(self) -> None:
        """Drop what was read so far (the next wait looks only at new output)."""
        time.sleep(0.05)
        try:
            self.buffer = b""
            while self.control.stdout.read():  # type: ignore[union-attr]
                pass
        except (BlockingIOError, TypeError):
            pass
        self.buffer = b""

    def launch(self, name: str, *args: str) -> None:
        # exec: the pane's process is callscript itself, so its pid is the pane's pid.
        self.command(f"new-window -d -t hold -n {name} 'exec env {self.env} {CALLSCRIPT} {' '.join(args)}'")

    def send(self, name: str, key: str) -> None:
        self.command(f"send-keys -t hold:{name} {key}")

    def pid(self, name: str) -> int:
        return int(self.run("display-message", "-p", "-t", f"hold:{name}", "#{pane_pid}").strip())

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", f"hold:{name}")

    def close(self) -> None:
        path = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p", "#{socket_path}"],
                              capture_output=True, text=True).stdout.strip()
        try:
            self.command("kill-server")
        except OSError:
            pass
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if path:
            Path(path).unlink(missing_ok=True)  # tmux can leave its socket file behind


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def first_prompt(tmux: Tmux, runs: int) -> None:
    call, picker = [], []
    for n in range(runs):
        tmux.forget()
        start = time.perf_counter()
        tmux.launch(f"call{n}", "run", "silent_call", "--no-audio")
        tmux.read_until("您好!请问有什么可以帮助您?".encode(), 20.0)
        call.append(time.perf_counter() - start)
        tmux.send(f"call{n}", "C-c")  # Ctrl+Q asks first during a call; Ctrl+C quits at once
        tmux.forget()
        start = time.perf_counter()
        tmux.launch(f"pick{n}")  # `callscript` alone (CALLSCRIPT_NO_AUDIO keeps it keyboard only)
        tmux.read_until("标准通话流程".encode(), 20.0)
        picker.append(time.perf_counter() - start)
        tmux.send(f"pick{n}", "C-q")
        time.sleep(0.3)
    report(f"first prompt, `callscript run silent_call` (median of {runs})", statistics.median(call), "s", 0.8)
    report(f"first prompt, `callscript run silent_call` (worst of {runs})", max(call), "s", 0.8)
    report(f"flow picker with its list, `callscript` (median of {runs})", statistics.median(picker), "s", 0.8)
    report(f"flow picker with its list, `callscript` (worst of {runs})", max(picker), "s", 0.8)


def key_to_prompt(tmux: Tmux, flow_file: Path, presses: int) -> None:
    name = "keys"
    tmux.forget()
    tmux.launch(name, "run", str(flow_file), "--no-audio")
    tmux.read_until(LINES["one"].encode(), 20.0)
    time.sleep(0.5)
    tmux.forget()
    latencies = []
    expected = "two"
    for _ in range(presses):
        start = time.perf_counter()
        tmux.send(name, "1")
        tmux.read_until(LINES[expected].encode(), 5.0)
        latencies.append(time.perf_counter() - start)
        expected = "one" if expected == "two" else "two"
        time.sleep(0.05)  # a fast agent, not a key held down
        tmux.forget()
    pid = tmux.pid(name)
    rss, peak = memory_mb(pid)
    tmux.send(name, "C-c")  # during a call Ctrl+Q asks first
    ms = [x * 1000 for x in latencies]
    report(f"key to new prompt written to the terminal, p50 ({presses})", statistics.median(ms), "ms", 30)
    report(f"key to new prompt written to the terminal, p99 ({presses})", percentile(ms, 0.99), "ms", 30)
    info("  worst", max(ms), "ms")
    report("resident memory during a call, keyboard only", rss, "MB", 120)
    report("peak resident memory, keyboard only", peak, "MB", 120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold starts to time (default 7)")
    parser.add_argument("--keys", type=int, default=200, help="key presses to time (default 200)")
    args = parser.parse_args()
    if not CALLSCRIPT.exists():
        raise SystemExit(f"{CALLSCRIPT} is missing: pip install -e . first")
    # An installed package has its bytecode compiled (pip does it at install; an editable install
    # writes it on its first run). Without this, a shell with PYTHONDONTWRITEBYTECODE=1 makes every
    # timed start compile callscript's modules from source (about 0.1 s), which no agent sees.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "callscript")], check=True,
                   stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} cpus, load average {load} (1, 5, 15 min)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        flow_file = folder / "bench_toggle.yaml"
        flow_file.write_text(TOGGLE_FLOW, "utf-8")
        # PYTHONPATH: the callscript beside this script is measured, whichever checkout is installed.
        env = {"CALLSCRIPT_CONFIG_DIR": str(folder / "config"), "CALLSCRIPT_LOG_DIR": str(folder / "logs"),
               "CALLSCRIPT_NO_AUDIO": "1", "TERM": "xterm-256color", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
        tmux = Tmux(env)
        try:
            first_prompt(tmux, args.runs)
            key_to_prompt(tmux, flow_file, args.keys)
        finally:
            tmux.close()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end {load} (1, 5, 15 min)")


if __name__ == "__main__":
    main()
