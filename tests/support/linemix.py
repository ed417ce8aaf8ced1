"""Recordings of a caller at a chosen speech level over a line with a chosen background.

Made with espeak-ng and sox only, 16 kHz mono 16-bit WAVs, for the faint-speech tests and the
boundary table of ``benchmarks/listen.py``:

- the caller: one Mandarin phrase (espeak-ng ``cmn``, about 8 s) with its *peak* normalised to
  ``peak_dbfs`` (sox ``gain -n``), starting at ``LEAD`` seconds, followed by ``TAIL`` seconds of line;
- the background, at an RMS level of ``floor_dbfs``: ``hiss`` (white noise) or ``hum`` (mains at
  50 Hz with its 3rd, 5th and 7th harmonics, the last one inside the telephone band), or ``none``
  (digital silence).

sox runs with ``-R`` (seeded noise) and ``-D`` (no dither), so the same tools give the same bytes.
Files are cached in the folder given, named by their recipe.
"""

from __future__ import annotations

import wave
from pathlib import Path

from tests.support import levels
from tests.support.recordings import read, run

RATE = 16000
PHRASE = "你好，我想查一下我的订单，昨天买的东西还没有到。"
LEAD = 1.0  # seconds of background before the caller speaks
TAIL = 5.0  # and after
KINDS = ("hiss", "hum", "none")


def duration(path: Path) -> float:
    """Length of a WAV in seconds."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def phrase(folder: Path) -> Path:
    """The caller's phrase at espeak-ng's own level, 16 kHz mono, no padding."""
    out = folder / "phrase.wav"
    if not out.exists():
        folder.mkdir(parents=True, exist_ok=True)
        raw = folder / "phrase.espeak.wav"
        run("espeak-ng", "-v", "cmn", "-w", str(raw), PHRASE)
        run("sox", "-R", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(out))
    return out


def background(folder: Path, kind: str, floor_dbfs: float, seconds: float) -> Path:
    """``seconds`` of ``kind`` background at an RMS level of ``floor_dbfs``."""
    out = folder / f"bg_{kind}_{floor_dbfs:g}_{seconds:g}.wav"
    if out.exists():
        return out
    fmt = ["-r", str(RATE), "-b", "16", "-e", "signed-integer"]
    if kind == "none":
        run("sox", "-R", "-D", "-n", *fmt, "-c", "1", str(out), "trim", "0", f"{seconds:g}")
        return out
    loud = folder / f"bg_{kind}_{seconds:g}.raw.wav"
    if kind == "hiss":
        run("sox", "-R", "-D", "-n", *fmt, "-c", "1", str(loud), "synth", f"{seconds:g}", "whitenoise", "vol", "0.5")
    elif kind == "hum":
        # Four tones on four channels, mixed down: the channel count is an input option of -n.
        run("sox", "-R", "-D", "-r", str(RATE), "-c", "4", "-n", "-b", "16", "-e", "signed-integer", str(loud),
             "synth", f"{seconds:g}", "sine", "50", "sine", "150", "sine", "250", "sine", "350", "remix", "-",
             "vol", "0.3")
    else:
        raise KeyError(kind)
    run("sox", "-R", "-D", str(loud), str(out), "vol", f"{floor_dbfs - levels.dbfs(read(loud)):.3f}dB")
    return out


def caller(folder: Path, peak_dbfs: float | None, kind: str = "hiss", floor_dbfs: float = -70.0,
           *, lead: float = LEAD, tail: float = TAIL, rate: int = RATE) -> Path:
    """The phrase peaking at ``peak_dbfs`` (None: no caller at all) over the background.

    ``rate`` 8000 gives the file a telephone user agent plays (resampled by sox after mixing).
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = f"caller_{'none' if peak_dbfs is None else f'{peak_dbfs:g}'}_{kind}_{floor_dbfs:g}_{lead:g}_{tail:g}_{rate}.wav"
    out = folder / name
    if out.exists():
        return out
    speech = phrase(folder)
    seconds = lead + duration(speech) + tail
    noise = background(folder, kind, floor_dbfs, seconds)
    tmp = out.with_suffix(".tmp.wav")
    if peak_dbfs is None:
        run("sox", "-R", "-D", str(noise), "-r", str(rate), str(tmp))
    else:
        voice = folder / f"voice_{peak_dbfs:g}_{lead:g}_{tail:g}.wav"
        run("sox", "-R", "-D", str(speech), str(voice), "gain", "-n", f"{peak_dbfs:g}", "pad", f"{lead:g}", f"{tail:g}")
        # -v 1 on both inputs: sox -m would otherwise halve each.
        run("sox", "-R", "-D", "-m", "-v", "1", str(voice), "-v", "1", str(noise), "-b", "16", "-r", str(rate),
             str(tmp), "trim", "0", f"{seconds:.3f}")
    tmp.rename(out)
    return out
