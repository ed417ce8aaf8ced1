"""Softphone benchmarks: a real SIP call on 127.0.0.1, callscript following it.

    .venv/bin/python benchmarks/softphone.py [--calls N]

Two baresip user agents call each other over G.711 (PCMU, 8 kHz) on a private PulseAudio daemon
(``tests.support.sip``): the agent's side plays into the null sink ``softphone`` and callscript's
``LineListener`` hears its monitor, as in the app. The caller's microphone is the virtual line's
``caller`` source, fed in real time, so the moment each sample goes into the caller's phone is
known. Prints figures and the ratio to each target (below 1.00: met):

- caller speech onset -> ``speech_started``: from the first speech sample into the caller's
  microphone (first 10 ms at -50 dBFS or more) to the listener's report, over N calls; the
  analysis's own share (audio time from the onset it found to its report) is printed beside it;
  target < 300 ms;
- silence reported after the caller's last sound: from the last speech sample into the caller's
  microphone to the ``silence`` report; target 5.0-5.3 s;
- end of the hang-up step to the SIP BYE: the real app (headless) on ``silent_call`` with
  ``softphone_hang_up = "at_once"``, from the engine's ``call_ended`` (``hang_up``) to the
  caller's phone reporting the call closed (it has received the BYE); target < 200 ms;
- CPU of the whole chain during a call: CPU seconds per second of call of both baresip, the
  PulseAudio daemon, callscript's parec and the callscript process (analysis, no recognition).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from tests.support import linemix, pulse, sip  # noqa: E402
from tests.support.environment import environment  # noqa: E402
from figures import report, report_range  # noqa: E402  (benchmarks/figures.py, beside this script)

TICKS = os.sysconf("SC_CLK_TCK")




def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (its threads included) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(name: str) -> list[int]:
    """Pids of this process's children running ``name``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if f"({name})" in stat and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append(int(entry.name))
    return found


class Reports:
    """A LineSink that stamps every line condition with ``time.monotonic()``."""

    def __init__(self) -> None:
        self.conditions: list[tuple[float, str, dict]] = []
        self.changed = threading.Condition()

    def condition(self, name: str, detail: dict) -> None:
        with self.changed:
            self.conditions.append((time.monotonic(), name, detail))
            self.changed.notify_all()

    def transcript(self, text: str, final: bool) -> None:
        pass

    def level(self, dbfs: float) -> None:
        pass

    def problem(self, message: str) -> None:
        print(f"  listener: {message}")

    def wait(self, name: str, after: float, timeout: float) -> tuple[float, dict] | None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for at, found, detail in self.conditions:
                    if found == name and at >= after:
                        return at, detail
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)


def speech_span(samples: np.ndarray, threshold: float = -50.0) -> tuple[float, float]:
    """First and last 10 ms at ``threshold`` dBFS or more, in seconds."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160).astype(np.float64) / 32768
    loud = np.flatnonzero(10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12) >= threshold)
    return float(loud[0]) * 0.01, float(loud[-1] + 1) * 0.01


def started_at(feed: pulse.Feed) -> float:
    feed.started.wait(30)
    return time.monotonic()


def onset_and_silence(line: pulse.VirtualLine, phone_line: sip.SipLine, folder: Path, calls: int) -> None:
    from callscript.audio.listener import LineListener
    from callscript.softphone import CallAnswered

    clip = linemix.caller(folder, -3.0, "none", -80.0, lead=0.0, tail=0.0)
    pcm = pulse.to_pcm(clip)
    first, last = speech_span(pulse.samples(pcm))
    reports = Reports()
    listener = LineListener(device=phone_line.monitor, model=False)
    listener.start(reports)
    onsets, shares, silences, cpu = [], [], [], []
    try:
        for n in range(calls):
            caller = phone_line.call(None)
            if caller.events.wait_for(CallAnswered, 10) is None:
                print("  the call was not answered")
                return
            time.sleep(1.5)  # the line's floor is learnt; the caller then speaks
            pids = {"baresip (agent)": phone_line.agent.process.pid, "baresip (caller)": caller.process.pid,
                    "pulseaudio": line.daemon_pid() or 0, **{f"parec {p}": p for p in children("parec")}}
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            own_before, wall_before = time.process_time(), time.monotonic()
            feed = line.feed(pcm)
            start = started_at(feed)
            started = reports.wait("speech_started", start, 10)
            silence = reports.wait("silence", start, 15)
            wall = time.monotonic() - wall_before
            usage = {name: (cpu_seconds(pid) - before[name]) / wall for name, pid in pids.items()}
            usage["callscript (this process)"] = (time.process_time() - own_before) / wall
            cpu.append(usage)
            caller.phone.command("hangup")
            caller.stop()
            if started is None or silence is None:
                print(f"  call {n + 1}: speech_started {'seen' if started else 'missing'}, "
                      f"silence {'seen' if silence else 'missing'}")
                continue
            onset = started[0] - (start + first)
            onsets.append(onset)
            shares.append(started[1]["audio_t"] - started[1]["onset"])
            silences.append(silence[0] - (start + last))
            print(f"  call {n + 1}: onset -> speech_started {onset * 1000:5.0f} ms (analysis {shares[-1] * 1000:3.0f} ms "
                  f"of audio); last sound -> silence {silences[-1]:.3f} s")
    finally:
        listener.stop()
    if not onsets:
        return
    report("caller speech onset -> speech_started, median", statistics.median(onsets) * 1000, "ms", 300)
    report("caller speech onset -> speech_started, worst", max(onsets) * 1000, "ms", 300)
    report_range("caller's last sound -> silence reported, median", statistics.median(silences), 5.0, 5.3)
    report_range("caller's last sound -> silence reported, worst", max(silences), 5.0, 5.3)
    print("CPU of the chain during a call (CPU seconds per second of call, mean over the calls):")
    names = sorted({name.split(" ")[0] if name.startswith("parec") else name for u in cpu for name in u})
    total = 0.0
    for name in names:
        share = statistics.mean(sum(v for k, v in u.items() if (k.split(" ")[0] if k.startswith("parec") else k) == name)
                                for u in cpu)
        total += share
        print(f"  {name:<28} {share * 100:6.1f} % of a core")
    print(f"{'CPU of the whole chain during a call (no recognition)':<62} {total * 100:>9.1f} %   of one core")


def hang_up_to_bye(phone_line: sip.SipLine, folder: Path, runs: int) -> None:
    """The real app, headless, on silent_call with at_once: engine end -> caller sees the BYE."""
    import asyncio

    from callscript.app.app import make_app
    from callscript.app.screens.summary import SummaryScreen
    from callscript.audio.listener import LineListener
    from callscript.engine.clock import MonotonicClock
    from callscript.flow.library import load_flows
    from callscript.settings import Settings
    from callscript.softphone import CallClosed
    from callscript.softphone.baresip import BaresipPhone

    silent = linemix.caller(folder, None, "hiss", -70.0, lead=0.0, tail=40.0, rate=8000)
    flows = load_flows()
    delays = []
    for _ in range(runs):
        stamps: dict[str, float] = {}
        app = make_app(flows, clock=MonotonicClock(), log_dir=folder / "logs",
                       listener=LineListener(device=phone_line.monitor, model=False),
                       phone=BaresipPhone(phone_line.control, retry_seconds=0.05),
                       settings=Settings(softphone="baresip", softphone_control=phone_line.control,
                                         default_flow="silent_call", softphone_hang_up="at_once"))

        async def call(app=app, stamps=stamps):  # noqa: ANN001, ANN202
            async with app.run_test(size=(100, 30)) as pilot:
                while not (app.listening and app.phone_link is not None and app.phone_link.phone.wait_connected(0)):
                    await pilot.pause(0.05)
                caller = phone_line.call(silent)
                while app.live_call is None:
                    await pilot.pause(0.02)
                # The engine's own record of the end comes before the live call tells the phone link.
                app.live_call.engine.subscribe(
                    lambda r: stamps.setdefault("ended", time.monotonic()) if r.kind == "call_ended" else None)
                said = None
                deadline = time.monotonic() + 30
                while not isinstance(app.screen, SummaryScreen) and time.monotonic() < deadline:
                    step = app.live_call.engine.step.id if app.live_call else None
                    if step != said:
                        said = step
                        await pilot.press("space")
                    await pilot.pause(0.02)
                return caller

        caller = asyncio.run(call())
        closed = caller.events.wait_for(CallClosed, 5)
        if closed is None or "ended" not in stamps:
            print("  the hang-up did not reach the caller")
            continue
        delays.append(closed.at - stamps["ended"])
        print(f"  hang_up step ended -> caller saw the BYE: {delays[-1] * 1000:.1f} ms")
        caller.stop()
    if delays:
        report("end of the hang-up step -> SIP BYE at the caller, worst", max(delays) * 1000, "ms", 200)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5, help="calls for the onset and silence figures")
    parser.add_argument("--hang-ups", type=int, default=2, help="silent calls for the hang-up figure")
    args = parser.parse_args()
    reason = sip.missing() or ", ".join(pulse.missing_requirements())
    if reason:
        print(f"cannot run: {reason}")
        return 1
    with pulse.VirtualLine.start() as line:
        # The daemon's address only: baresip and the listener choose their own source and sink.
        daemon = {k: v for k, v in line.env.items() if k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
        with environment(daemon), tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            phone_line = sip.SipLine(line, folder / "sip", seconds=900)
            try:
                onset_and_silence(line, phone_line, folder / "audio", args.calls)
                hang_up_to_bye(phone_line, folder / "audio", args.hang_ups)
            finally:
                phone_line.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
