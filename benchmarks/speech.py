"""Speaking benchmarks: prints figures and the ratio to each target.

    .venv/bin/python benchmarks/speech.py [--device DEV] [--runs N]

Without ``--device`` the sound goes to a private PulseAudio null sink (``tests/support/pulse.py``:
these machines have no sound card) whose monitor is recorded, so the onset can also be timed as
heard on the line. Figures:

- time to first sound of a library clip (``SpeechSpeaker.demonstrate`` -> first sample at the
  device's output: the moment PortAudio takes it plus the stream's output latency), target < 50 ms;
- the same for live synthesis of a line not in the library (the caller's surname filled in),
  target < 300 ms;
- the onset of both as heard on the null sink's monitor (``parec`` at 5 ms latency: an upper bound,
  it adds the capture's own delay);
- rendering every shipped line into a scratch library (``callscript audio render --force``);
- the synthesis choices measured: a warm worker process, a fresh process per line, and espeak-ng
  in this process; and decoding a library clip.

A ratio below 1.00 means the target is met.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"


def report(name: str, value: float, unit: str, target: float | None = None) -> None:
    if target is None:
        print(f"{name:<58} {value:>10,.1f} {unit}")
        return
    ratio = value / target
    print(f"{name:<58} {value:>10,.1f} {unit:<3} target < {target:g} {unit:<3} ratio {ratio:5.2f}  {'ok' if ratio <= 1 else 'MISSED'}")


def summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return statistics.median(ordered), p90, ordered[-1]


class MonitorOnset:
    """Records the null sink's monitor with parec and finds when sound first came out."""

    def __init__(self, env: dict[str, str]) -> None:
        import numpy as np

        self._np = np
        self.process = subprocess.Popen(
            ["parec", "-d", "line.monitor", "--raw", "--format=s16le", "--rate=16000", "--channels=1", "--latency-msec=5"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
        )
        self.chunks: list[tuple[float, object]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        time.sleep(0.5)

    def _read(self) -> None:
        assert self.process.stdout is not None
        while True:
            block = self.process.stdout.read(320)  # 10 ms
            if not block:
                return
            with self._lock:
                self.chunks.append((time.perf_counter(), self._np.frombuffer(block, "<i2")))

    def clear(self) -> None:
        with self._lock:
            self.chunks.clear()

    def onset_after(self, t0: float, threshold: int = 300) -> float | None:
        """Seconds from ``t0`` to the arrival of the first 10 ms block with sound in it."""
        with self._lock:
            chunks = list(self.chunks)
        for arrived, block in chunks:
            if arrived >= t0 and self._np.abs(block).max() > threshold:
                return arrived - t0
        return None

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)


def time_to_first_sound(speaker, monitor, texts: list[str], expect: str) -> tuple[list[float], list[float]]:
    firsts, onsets = [], []
    for text in texts:
        if monitor:
            monitor.clear()
        speaker.demonstrate(text, "zh-CN")
        # Wait for the first sound, then stop: the benchmark measures starts, not whole lines.
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            current = speaker._current
            if current is not None and current.first_audio_at is not None:
                break
            time.sleep(0.002)
        time.sleep(0.25)
        speaker.stop()
        speaker.wait_idle(10)
        last = speaker.last
        assert last is not None and last.source == expect, (last, expect)
        firsts.append(1000 * last.time_to_first_sound)
        if monitor:
            onset = monitor.onset_after(last.requested_at)
            if onset is not None:
                onsets.append(1000 * onset)
        time.sleep(0.15)
    return firsts, onsets


def synthesis_choices(runs: int) -> None:
    from callscript.speech.synth import Synthesizer
    from callscript.speech.worker import EspeakBackend

    text = "您好!请问有什么可以帮助您?"
    with Synthesizer() as warm:
        warm.start()
        warm.render(text, "zh-CN")  # voice data loaded
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            warm.render(text, "zh-CN")
            times.append(1000 * (time.perf_counter() - start))
    warm_median = statistics.median(times)
    report("render one line, warm worker process (median)", warm_median, "ms")
    fresh = []
    for _ in range(max(3, runs // 4)):
        start = time.perf_counter()
        with Synthesizer() as synthesizer:
            synthesizer.render(text, "zh-CN")
        fresh.append(1000 * (time.perf_counter() - start))
    fresh_median = statistics.median(fresh)
    report("render one line, fresh process per line (median)", fresh_median, "ms")
    backend = EspeakBackend()
    with tempfile.TemporaryDirectory() as tmp:
        backend.render(text, "sit/cmn", 170, 1.0, f"{tmp}/x.wav")
        inproc = []
        for _ in range(runs):
            start = time.perf_counter()
            backend.render(text, "sit/cmn", 170, 1.0, f"{tmp}/x.wav")
            inproc.append(1000 * (time.perf_counter() - start))
    report("render one line, espeak-ng in this process (median)", statistics.median(inproc), "ms")
    print(f"{'  fresh process / warm worker':<58} {fresh_median / warm_median:>10.1f} x")


def render_everything() -> None:
    from callscript.flow.library import load_flows
    from callscript.speech.library import render_library
    from callscript.speech.synth import Synthesizer

    flows = load_flows()
    with tempfile.TemporaryDirectory() as tmp, Synthesizer() as synth:
        start = time.perf_counter()
        result = render_library(flows.values(), Path(tmp), synth, force=True)
        elapsed = time.perf_counter() - start
    audio = sum(seconds for _, seconds in result.rendered)
    report(f"render all {len(result.rendered)} shipped lines (incl. worker start)", elapsed, "s")
    report("  audio rendered", audio, "s")
    print(f"{'  faster than real time':<58} {audio / elapsed:>10.0f} x")


def decode_clip() -> None:
    from callscript.speech.clip import load_clip
    from callscript.speech.library import Manifest, default_audio_dir

    audio_dir = default_audio_dir()
    clips = Manifest.load(audio_dir).clips
    longest = max(clips, key=lambda key: clips[key]["seconds"])
    load_clip(audio_dir / longest)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        load_clip(audio_dir / longest)
        times.append(1000 * (time.perf_counter() - start))
    report(f"decode the longest library clip ({clips[longest]['seconds']:.1f} s, Ogg)", statistics.median(times), "ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", help="play on this output device instead of a private null sink")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from callscript.flow.library import load_flows
    from callscript.speech.library import default_audio_dir, flow_lines
    from callscript.speech.speaker import SpeechSpeaker

    line = None
    monitor = None
    if args.device is None:
        from tests.support.pulse import VirtualLine, missing_requirements

        missing = missing_requirements()
        if missing:
            print(f"no sound card and no PulseAudio to stand in: missing {', '.join(missing)}", file=sys.stderr)
            return 1
        line = VirtualLine.start()
        context = line.apply()
        context.__enter__()
        device = "pulse"
        import os

        monitor = MonitorOnset({**os.environ, **line.env})
    else:
        device = args.device
    try:
        lines = [line.text for line in flow_lines(load_flows().values())]
        library_texts = [lines[i % len(lines)] for i in range(args.runs)]
        live_texts = [f"{SURNAMES[i % len(SURNAMES)]}先生,请问有什么可以帮助您?" for i in range(args.runs)]

        print(f"speech benchmarks, {args.runs} runs each, device {device!r}\n")
        cold_start = time.perf_counter()
        with SpeechSpeaker(audio_dir=default_audio_dir(), output_device=device, synthesize=False) as speaker:
            speaker.warm_up(30)
            report("speaker ready (device warmed up, in its own thread)", 1000 * (time.perf_counter() - cold_start), "ms")
            firsts, onsets = time_to_first_sound(speaker, monitor, library_texts, "library")
        median, p90, worst = summary(firsts)
        report("library clip: time to first sound, median", median, "ms", 50)
        report("library clip: time to first sound, p90", p90, "ms", 50)
        report("library clip: time to first sound, max", worst, "ms", 50)
        if onsets:
            report("library clip: onset heard on the line monitor, median", statistics.median(onsets), "ms", 50)

        with SpeechSpeaker(audio_dir=default_audio_dir(), output_device=device) as speaker:
            speaker.warm_up(30)
            firsts, onsets = time_to_first_sound(speaker, monitor, live_texts, "synthesized")
        median, p90, worst = summary(firsts)
        report("live synthesis: time to first sound, median", median, "ms", 300)
        report("live synthesis: time to first sound, p90", p90, "ms", 300)
        report("live synthesis: time to first sound, max", worst, "ms", 300)
        if onsets:
            report("live synthesis: onset heard on the line monitor, median", statistics.median(onsets), "ms", 300)
        print()
        render_everything()
        print()
        synthesis_choices(args.runs)
        decode_clip()
    finally:
        if monitor:
            monitor.close()
        if line is not None:
            context.__exit__(None, None, None)
            line.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
