"""Line analysis: what is happening on the line, from the samples alone.

``LineAnalyzer`` is a pure function of 16 kHz mono int16 audio, fed in 30 ms frames: no device, no
clock, no threads, so it runs as fast as the CPU allows and every test of it is exact. Time is the
position in the audio (seconds), so the same recording always gives the same events at the same
times.

How it decides:

- **Voice activity** comes from webrtcvad (the WebRTC GMM detector), fed each frame raised towards
  a normal level when the line is very quiet (webrtcvad misses speech much under -70 dBFS), but a
  frame only counts as the caller's voice when the telephone speech band (300-3400 Hz) also stands
  out from this line's own background: webrtcvad alone calls white and brown noise speech 90-100%
  of the time, and a noisy line must not look like a talking caller. Standing out means either
  the band's level is ``speech_margin_db`` above the band's floor, or (the spectral cue, which
  finds speech far fainter than the level does) at least ``peak_bins`` frequency bins of the band
  are ``bin_snr_db`` above the line's own noise spectrum: a voice puts its energy into harmonics
  and formants that rise out of hiss or hum long before the frame's total level does, while the
  background alone almost never has three bins 10 dB over their average.
- **The noise floor** is the minimum frame level over the last few seconds ("minimum statistics"):
  speech has gaps between syllables where the level drops to the background, so the minimum tracks
  the background even while the caller talks, and it adapts to each line (a quiet headset, a
  hissing landline) with no calibration step. The noise spectrum is the running average of the
  frames whose band level sits at that floor, so it follows the line too.
- **Faint speech is speech**: no fixed level decides voice from silence. Speech whose loud frames
  stand about 10 dB out of the background is found on a -80 dBFS line and on a -40 dBFS one alike
  (``benchmarks/listen.py`` prints where detection flips); when it is heard far below normal
  speech it is ``low_volume``, never ``silence``, so the agent asks the caller to speak up.
- **A steady sound is background, not a voice**: when the line steps up to a new steady level (a
  call's audio starting with its codec hiss after digital silence, a fan switched on), its frames
  stand out from the old floor until the floor has caught up. Voiced frames whose band levels stay
  within ``steady_db`` of each other never start speech (noise varies by 1-4 dB from frame to
  frame, a voice's onset by 10 dB and more), and a sound whose band level varies less than
  ``steady_std_db`` over ``steady_frames`` becomes the new floor and noise spectrum at once.
- **Lost packets are not the line**: a phone fills a lost or late packet with digital silence.
  Levels are measured on the samples the line delivered (runs of zeros left out), and up to
  ``gap_frames`` frames in a row that are mostly zeros are neither voice nor background: they
  update no floor, or the floor would drop to digital silence and the line's own hiss would then
  stand out like a voice. Longer digital silence is the line's floor.
- **speech_started** when 3 of the last 5 frames are voice and they are not steady (90-150 ms after
  the onset);
  **speech_stopped** after 240 ms without voice, with the stretch's active speech level
  (``speech_level_dbfs``, background removed: what to compare with ``low_volume_dbfs``;
  ``level_dbfs`` is the median frame level, background in it). The hangover is short on
  purpose: the engine counts a ``silence:`` wait from ``speech_stopped``, so it fires at most
  ~0.27 s after the caller's last sound, inside the 5.0-5.3 s the silent-call etiquette allows.
- **silence** when nothing was heard for ``silence_seconds`` (default 5 s), counted from the end of
  the caller's last voiced frame (or from the start of the audio); once per silent stretch.
- **low_volume** when an utterance (the voiced frames of stretches of speech less than
  ``utterance_gap`` apart: faint speech comes through in fragments) has an active speech level
  (``active_level``: ITU-T P.56's definition, the background's power taken out) under
  ``low_volume_dbfs``, which is ``LOW_VOLUME_DBFS``: 22 dB under normal telephone speech, so
  only a caller the agent really cannot hear (客户音小听不清楚: far from the phone, a
  speakerphone) is asked to speak up, never an ordinary caller a few dB quieter than another;
  raised once, and again only after the caller has been heard at a normal level in between. A
  stretch too short to judge (under ``low_volume_seconds`` of voice) is judged when it ends: a
  caller heard only in fragments is the faintest of all.
- **noise** when the noise floor itself stays above ``noise_floor_dbfs`` for ``noise_seconds``; raised
  once, and again only after the line has been quiet in between.
- **unintelligible** needs a recogniser's verdict on a stretch of speech: see ``judge_recognition``
  (the pipeline calls it when a stretch ends).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from math import log10
from typing import Any

from callscript.audio import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE

SILENT_DBFS = -100.0  # the level given to digital silence, where log(0) would be -inf

# Normal telephone speech: the active speech level (ITU-T P.56) speech is set to on a digital
# telephone line, -26 dBov, where 0 dBov is this module's 0 dBFS (a full-scale square wave).
# Callers differ from it by up to 10-15 dB and are heard fine.
NORMAL_SPEECH_DBFS = -26.0
# "Too quiet" in the manual (遇到客户音小听不清楚时) is a caller the agent cannot make out: on a
# speakerphone or far from the phone, 25-35 dB under normal speech. The boundary sits 22 dB under
# normal: a caller 25 dB down is caught with 3 dB to spare for the measurement, and one 15 dB down
# (a soft voice, a poor handset) is never told to speak up. benchmarks/listen.py prints where
# low_volume starts over each line.
LOW_VOLUME_DBFS = NORMAL_SPEECH_DBFS - 22.0
# P.56: speech is active where it is within this of the active level (its pauses and fades are not).
ACTIVITY_MARGIN_DB = 15.9


@dataclass(frozen=True)
class AnalysisConfig:
    """Thresholds of the line analysis; the defaults suit a phone line at 16 kHz."""

    silence_seconds: float = 5.0
    vad_mode: int = 2  # webrtcvad aggressiveness 0-3
    onset_frames: int = 3  # voiced frames ...
    onset_window: int = 5  # ... among the last this many start speech
    hangover_frames: int = 8  # unvoiced frames that end speech (8 x 30 ms = 240 ms)
    speech_margin_db: float = 6.0  # a voiced frame's speech band must be this far above that band's floor ...
    bin_snr_db: float = 8.0  # ... or this many bins this far above the line's noise spectrum
    peak_bins: int = 3  # (bins averaged over peak_frames frames: harmonics last, noise averages out)
    peak_frames: int = 3
    speech_band: tuple[float, float] = (300.0, 3400.0)  # Hz: where the speech gate measures (see feed_frame)
    min_speech_dbfs: float = -85.0  # nothing quieter is sound at all (16-bit quantisation is about -101)
    vad_level_dbfs: float = -50.0  # quiet lines are raised towards this before webrtcvad hears them
    noise_smoothing: float = 0.95  # per-frame weight of the old noise spectrum (a time constant of 0.6 s)
    steady_db: float = 4.0  # voiced frames whose band levels all lie within this are a steady sound, not a voice
    steady_frames: int = 10  # a sound this long (300 ms) whose band level varies less than ...
    steady_std_db: float = 2.5  # ... this (standard deviation) is the line's new background
    gap_frames: int = 3  # at most this many frames of zeros in a row are a lost packet (see _zero_fill)
    gap_fill: float = 0.5  # a frame whose window is this much on zeros is neither voice nor background
    floor_seconds: float = 3.0  # window of the minimum-statistics noise floor
    low_volume_dbfs: float = LOW_VOLUME_DBFS  # an active speech level under this is "too quiet"
    low_volume_seconds: float = 0.6  # of voiced audio before judging the level
    utterance_gap: float = 2.0  # stretches of speech closer than this are one utterance for the level
    noise_floor_dbfs: float = -45.0  # a background above this is a noisy line
    noise_seconds: float = 1.5  # for this long


@dataclass(frozen=True)
class LineEvent:
    """A line condition at ``t`` seconds of audio, with a reason a person can read."""

    t: float
    condition: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "event": self.condition, "reason": self.reason, **self.detail}


def frame_dbfs(frame: Any) -> float:
    """RMS level of int16 samples in dB relative to full scale (a full-scale square wave is 0)."""
    import numpy as np

    samples = np.asarray(frame, dtype=np.float32)
    if samples.size == 0:
        return SILENT_DBFS
    rms = float(np.sqrt(np.mean(samples * samples))) / 32768.0
    return SILENT_DBFS if rms <= 1e-5 else max(SILENT_DBFS, 20.0 * log10(rms))


def active_level(levels: list[float], margin_db: float = ACTIVITY_MARGIN_DB) -> float:
    """Active speech level (dBFS) of frame levels: the mean power of the frames within
    ``margin_db`` of that mean, as ITU-T P.56 defines it (here on 30 ms frames rather than its
    sample envelope). Pauses, fades and the quiet ends of syllables do not pull it down, so it is
    the level the caller speaks at, and it does not depend on how fast they talk."""
    powers = [10 ** (level / 10) for level in levels if level > SILENT_DBFS]
    if not powers:
        return SILENT_DBFS
    level = 10 * log10(sum(powers) / len(powers))
    for _ in range(len(powers)):  # leaving out the faintest frames raises the mean: this ends
        active = [p for p in powers if 10 * log10(p) >= level - margin_db]
        new = 10 * log10(sum(active) / len(active))
        if new - level < 0.01:
            return new
        level = new
    return level


def _secs(value: float) -> str:
    """Seconds for a reason text: ``5 s``, ``1.2 s``."""
    return f"{value:.1f}".rstrip("0").rstrip(".") + " s"


class _SlidingMin:
    """Minimum of the last ``size`` values in O(1) amortised (a monotonic deque)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: deque[tuple[int, float]] = deque()
        self._count = 0

    def push(self, value: float) -> float:
        while self._items and self._items[-1][1] >= value:
            self._items.pop()
        self._items.append((self._count, value))
        if self._items[0][0] <= self._count - self.size:
            self._items.popleft()
        self._count += 1
        return self._items[0][1]


class Framer:
    """Cuts audio of any block length (int16 samples, or raw little-endian int16 bytes) into whole
    30 ms frames of bytes, the unit webrtcvad and the analysis work on; what does not fill a frame
    waits for the next block."""

    def __init__(self) -> None:
        self._pending = b""

    def frames(self, samples: Any) -> list[bytes]:
        import numpy as np

        data = samples if isinstance(samples, bytes | bytearray) else np.asarray(samples, dtype=np.int16).tobytes()
        buf = self._pending + bytes(data)
        step = FRAME_SAMPLES * 2
        usable = len(buf) - len(buf) % step
        self._pending = buf[usable:]
        return [buf[offset:offset + step] for offset in range(0, usable, step)]


class LineAnalyzer:
    """Turns 16 kHz mono int16 frames into line conditions (``LineEvent``) and levels.

    Feed any number of samples with ``feed(samples)``; it keeps the remainder that does not fill a
    30 ms frame for the next call. Each call returns the events that became true during it.
    ``level`` is the last frame's level in dBFS, ``floor`` the current noise floor.
    """

    def __init__(self, config: AnalysisConfig | None = None) -> None:
        import webrtcvad

        self.config = config or AnalysisConfig()
        self._vad = webrtcvad.Vad(self.config.vad_mode)
        self._floor = _SlidingMin(max(1, round(self.config.floor_seconds / FRAME_SECONDS)))
        self._band_floor = _SlidingMin(max(1, round(self.config.floor_seconds / FRAME_SECONDS)))
        self.band_floor = SILENT_DBFS
        import numpy as np

        self._window = np.hanning(FRAME_SAMPLES).astype(np.float32)
        self._window_energy = self._window ** 2
        freqs = np.fft.rfftfreq(FRAME_SAMPLES, 1 / SAMPLE_RATE)
        self._band = (freqs >= cfg_band[0]) & (freqs <= cfg_band[1]) if (cfg_band := self.config.speech_band) else None
        # Parseval with the window's energy: a full-scale in-band sine reads about 0 dB, like frame_dbfs.
        self._band_scale = 2.0 / (FRAME_SAMPLES * float(np.sum(self._window ** 2)) * 32768.0 ** 2)
        # The noise spectrum never counts as quieter than white noise at min_speech_dbfs: on a
        # digitally silent line every bin would otherwise stand "infinitely" above it.
        self._bin_floor = (32768.0 * 10 ** (self.config.min_speech_dbfs / 20)) ** 2 * float(np.sum(self._window ** 2))
        self._bin_ratio = 10 ** (self.config.bin_snr_db / 10)
        self._noise: Any = None  # per-bin power of the background in the speech band
        self._noise_frames = 0
        self._recent_bins: deque[Any] = deque(maxlen=max(self.config.peak_frames, self.config.steady_frames))
        self._steady: deque[tuple[float, float]] = deque(maxlen=self.config.steady_frames)  # (level, band)
        self._recent_band: deque[float] = deque(maxlen=self.config.onset_window)
        self._gap_samples = 8  # zeros in a row: 0.5 ms, never seen in line noise above -90 dBFS
        self._gap_run = 0
        self._framer = Framer()
        self.frames = 0
        self.level = SILENT_DBFS
        self.floor = SILENT_DBFS
        self.peaks = 0  # speech-band bins over the noise spectrum in the last frame
        self.speaking = False
        self._recent: deque[tuple[bool, float, float]] = deque(maxlen=self.config.onset_window)  # voiced, start, level
        self._unvoiced_run = 0
        self._segment_start = 0.0
        self._segment_levels: list[float] = []
        self._segment_voice: list[float] = []  # the same frames' voice levels, background removed
        self.last_sound = 0.0  # end of the caller's last voiced frame, or the start of the audio
        self._silence_reported = False
        self._low_volume_armed = True
        self._volume_judged = False  # the level of the current utterance has been judged
        self._utterance_levels: list[float] = []
        self._noisy_since: float | None = None
        self._quiet_since: float | None = 0.0
        self._noise_armed = True

    @property
    def t(self) -> float:
        """Seconds of audio analysed so far."""
        return self.frames * FRAME_SECONDS

    def feed(self, samples: Any) -> list[LineEvent]:
        """Analyse more audio (int16 samples or raw little-endian int16 bytes)."""
        events: list[LineEvent] = []
        for frame in self._framer.frames(samples):
            events.extend(self.feed_frame(frame))
        return events

    def feed_frame(self, frame: bytes) -> list[LineEvent]:
        """Analyse exactly one 30 ms frame (960 bytes of int16)."""
        import numpy as np

        cfg = self.config
        start = self.t
        self.frames += 1
        end = self.t
        samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        # Levels are those of the samples the line delivered: the zeros a phone put in place of
        # a lost packet would make a steady hiss look as if it rose and fell like a voice.
        fill, fill_windowed = self._zero_fill(samples)
        lift = -10.0 * log10(1.0 - fill) if fill < 0.9 else 0.0  # (almost) all zeros: digital silence
        band_lift = -10.0 * log10(1.0 - fill_windowed) if fill_windowed < min(cfg.gap_fill, 0.99) else 0.0
        level = frame_dbfs(samples) + lift
        self.level = level
        # A few frames of (almost) only zeros are a lost packet; a longer stretch is a line that is
        # really digitally silent (silence suppression, a recording's pauses): that is its floor.
        # A frame whose analysis window falls mostly on zeros tells nothing either way, unless
        # what is not zero is only the last bit flickering: that is a digitally silent line too.
        self._gap_run = self._gap_run + 1 if fill >= 0.9 else 0
        partial = fill < 0.9 and fill_windowed >= cfg.gap_fill and level >= cfg.min_speech_dbfs
        gap = 0 < self._gap_run <= cfg.gap_frames or partial
        if not gap:
            self.floor = self._floor.push(level)
        # The speech gate compares the level in the telephone speech band (300-3400 Hz) with that
        # band's own floor: rumble and brown noise below it, and hiss above it, swing from frame to
        # frame and would otherwise look like a voice rising out of the background.
        spectrum = np.fft.rfft(samples * self._window)
        bins = spectrum.real[self._band] ** 2 + spectrum.imag[self._band] ** 2
        power = float(np.sum(bins))
        band = SILENT_DBFS if power <= 0 else max(SILENT_DBFS, 10.0 * log10(power * self._band_scale) + band_lift)
        if gap:
            self.peaks = 0
        else:
            self.band_floor = self._band_floor.push(band)
            self._adopt_steady(level, band)
            self.peaks = self._spectral_peaks(bins, band)
        voiced = (not gap and level >= cfg.min_speech_dbfs
                  and (band >= self.band_floor + cfg.speech_margin_db or self.peaks >= cfg.peak_bins)
                  and self._vad.is_speech(self._vad_frame(frame, samples, level), SAMPLE_RATE))
        self._recent.append((voiced, start, level))
        self._recent_band.append(band)
        events: list[LineEvent] = []

        if not self.speaking:
            # Noise band levels vary by 1-4 dB from frame to frame, a voice's onset by 10 dB and more.
            bands = [b for v, b in zip((v for v, _, _ in self._recent), self._recent_band) if v]
            if len(bands) >= cfg.onset_frames and max(bands) - min(bands) >= cfg.steady_db:
                onset = next(s for v, s, _ in self._recent if v)
                self.speaking = True
                self._silence_reported = False
                self._segment_start = onset
                self._segment_levels = [lvl for v, _, lvl in self._recent if v]
                self._segment_voice = [self._voice_level(lvl) for lvl in self._segment_levels]
                if onset - self.last_sound >= cfg.utterance_gap or not self._utterance_levels:
                    self._utterance_levels = []
                    self._volume_judged = False
                self._utterance_levels.extend(self._segment_voice)
                self._unvoiced_run = 0
                self.last_sound = end
                events.append(LineEvent(end, "speech_started", "the caller started speaking", {
                    "onset": round(onset, 3), "level_dbfs": round(level, 1), "floor_dbfs": round(self.floor, 1),
                }))
        else:
            if voiced:
                self._unvoiced_run = 0
                self.last_sound = end
                self._segment_levels.append(level)
                self._segment_voice.append(self._voice_level(level))
                self._utterance_levels.append(self._segment_voice[-1])
            else:
                self._unvoiced_run += 1
                if level >= cfg.min_speech_dbfs and level >= self.floor + cfg.speech_margin_db:
                    self.last_sound = end  # the fading tail of a word or a breath is still the caller's sound
            if not self._volume_judged:
                events.extend(self._judge_volume(end, final=False))
            if self._unvoiced_run >= cfg.hangover_frames:
                self.speaking = False
                if not self._volume_judged:
                    events.extend(self._judge_volume(end, final=True))
                duration = self.last_sound - self._segment_start
                events.append(LineEvent(end, "speech_stopped", f"the caller stopped speaking after {_secs(duration)}", {
                    "last_sound": round(self.last_sound, 3),
                    "duration": round(duration, 3),
                    "voiced": round(len(self._segment_levels) * FRAME_SECONDS, 3),
                    "level_dbfs": round(self.segment_level(), 1),
                    "speech_level_dbfs": round(active_level(self._segment_voice), 1),
                }))

        if not self.speaking and not self._silence_reported and end - self.last_sound >= cfg.silence_seconds - 1e-9:
            self._silence_reported = True
            events.append(LineEvent(end, "silence", f"line silent for {_secs(cfg.silence_seconds)}", {
                "seconds": cfg.silence_seconds, "since": round(self.last_sound, 3),
            }))
        events.extend(self._judge_noise(end))
        return events

    def _spectral_peaks(self, bins: Any, band: float) -> int:
        """How many speech-band bins stand ``bin_snr_db`` above the line's noise spectrum.

        Frames whose band level is within 3 dB of the band's floor are background: they update the
        noise spectrum (an exponential average; a plain mean over the first frames). A frame that
        already stands out updates it only very slowly: faint speech under the floor's +3 dB would
        otherwise teach the noise spectrum its own harmonics, while a lasting change of the
        background (a new hum) is still learnt within seconds. Until a third of a second of
        background has been seen there is no noise spectrum to compare with.
        """
        import numpy as np

        self._recent_bins.append(bins)
        peaks = 0
        if self._noise is not None and self._noise_frames >= 10:
            recent = sum(list(self._recent_bins)[-self.config.peak_frames:]) / min(len(self._recent_bins),
                                                                                 self.config.peak_frames)
            peaks = int(np.count_nonzero(recent >= np.maximum(self._noise, self._bin_floor) * self._bin_ratio))
        if band <= self.band_floor + 3.0:
            self._noise_frames += 1
            if self._noise is None:
                self._noise = bins.copy()
            else:
                weight = self.config.noise_smoothing if peaks < self.config.peak_bins else 0.995
                weight = min(weight, 1.0 - 1.0 / self._noise_frames)
                self._noise = weight * self._noise + (1.0 - weight) * bins
        return peaks

    def _zero_fill(self, samples: Any) -> tuple[float, float]:
        """The share of the frame in runs of exact zeros (8 samples or more), plain and weighted by
        the analysis window (for the band level): what a phone put in place of audio it did not
        get. Line noise is never exactly zero that long."""
        import numpy as np

        zero = samples == 0
        if np.count_nonzero(zero) < self._gap_samples:
            return 0.0, 0.0
        edges = np.diff(np.concatenate(([0], zero.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        keep = ends - starts >= self._gap_samples
        if not keep.any():
            return 0.0, 0.0
        filled = np.zeros(len(samples), dtype=bool)
        for start, end in zip(starts[keep], ends[keep]):
            filled[start:end] = True
        return float(filled.mean()), float(self._window_energy[filled].sum() / self._window_energy.sum())

    def _adopt_steady(self, level: float, band: float) -> None:
        """A sound that has stayed steady for ``steady_frames`` well above the floor is the line's
        new background: the floors and the noise spectrum start again from it (see the module doc)."""
        cfg = self.config
        self._steady.append((level, band))
        if self.speaking or len(self._steady) < cfg.steady_frames or band < self.band_floor + cfg.speech_margin_db:
            return
        bands = [b for _, b in self._steady]
        mean = sum(bands) / len(bands)
        if (sum((b - mean) ** 2 for b in bands) / len(bands)) ** 0.5 >= cfg.steady_std_db:
            return
        size = max(1, round(cfg.floor_seconds / FRAME_SECONDS))
        self._floor, self._band_floor = _SlidingMin(size), _SlidingMin(size)
        for lvl, b in self._steady:
            self.floor = self._floor.push(lvl)
            self.band_floor = self._band_floor.push(b)
        if len(self._recent_bins) > 1:
            history = list(self._recent_bins)[:-1]  # this frame's bins are added by _spectral_peaks
            self._noise = sum(history) / len(history)
            self._noise_frames = max(self._noise_frames, 10)

    def _vad_frame(self, frame: bytes, samples: Any, level: float) -> bytes:
        """The frame as webrtcvad should hear it: a very quiet line raised (at most 40 dB) so its
        background sits near ``vad_level_dbfs``, never a frame pushed above -30 dBFS."""
        import numpy as np

        gain_db = min(40.0, self.config.vad_level_dbfs - self.floor, -30.0 - level)
        if gain_db <= 0:
            return frame
        return np.clip(samples * 10 ** (gain_db / 20), -32768, 32767).astype(np.int16).tobytes()

    def segment_level(self) -> float:
        """Median level (dBFS) of the voiced frames of the current or last stretch of speech."""
        if not self._segment_levels:
            return SILENT_DBFS
        ordered = sorted(self._segment_levels)
        return ordered[len(ordered) // 2]

    def _voice_level(self, level: float) -> float:
        """A voiced frame's level without the background under it (powers subtract): on a hissing
        line a faint voice plus the hiss would otherwise read as a normal voice."""
        voice = 10 ** (level / 10) - 10 ** (self.floor / 10)
        return max(SILENT_DBFS, 10 * log10(voice)) if voice > 0 else SILENT_DBFS

    def utterance_level(self) -> float:
        """Active speech level (dBFS, background removed) of the voiced frames of the current or
        last utterance."""
        return active_level(self._utterance_levels)

    def _judge_volume(self, t: float, *, final: bool) -> list[LineEvent]:
        cfg = self.config
        voiced = len(self._utterance_levels) * FRAME_SECONDS
        # A stretch too short to judge mid-way is judged when it ends, however short: speech that was
        # heard only in fragments is the faintest of all, and must not pass as a caller heard fine.
        if not voiced or (not final and voiced < cfg.low_volume_seconds):
            return []
        level = self.utterance_level()
        if level >= cfg.low_volume_dbfs:
            if final or voiced >= cfg.low_volume_seconds:
                self._low_volume_armed = True  # heard at a normal level: a later quiet stretch counts again
                self._volume_judged = True
            return []
        self._volume_judged = True
        if not self._low_volume_armed:
            return []
        self._low_volume_armed = False
        return [LineEvent(t, "low_volume", f"the caller is too quiet: speech at {level:.0f} dBFS, "
                         f"{NORMAL_SPEECH_DBFS - level:.0f} dB under normal telephone speech", {
            "level_dbfs": round(level, 1), "threshold_dbfs": cfg.low_volume_dbfs,
            "floor_dbfs": round(self.floor, 1), "snr_db": round(level - self.floor, 1),
        })]

    def _judge_noise(self, t: float) -> list[LineEvent]:
        cfg = self.config
        if self.floor > cfg.noise_floor_dbfs:
            self._quiet_since = None
            if self._noisy_since is None:
                self._noisy_since = t
            if self._noise_armed and t - self._noisy_since >= cfg.noise_seconds - 1e-9:
                self._noise_armed = False
                snr = self.segment_level() - self.floor if self.speaking else None
                detail: dict[str, Any] = {"floor_dbfs": round(self.floor, 1), "threshold_dbfs": cfg.noise_floor_dbfs}
                if snr is not None:
                    detail["snr_db"] = round(snr, 1)
                return [LineEvent(t, "noise", f"noisy line: background at {self.floor:.0f} dBFS", detail)]
        elif self.floor < cfg.noise_floor_dbfs - 3:
            self._noisy_since = None
            if self._quiet_since is None:
                self._quiet_since = t
            if t - self._quiet_since >= cfg.noise_seconds:
                self._noise_armed = True
        return []

    def finish(self) -> list[LineEvent]:
        """The end of the audio: close an open stretch of speech."""
        if not self.speaking:
            return []
        self.speaking = False
        events = [] if self._volume_judged else self._judge_volume(self.t, final=True)
        duration = self.last_sound - self._segment_start
        events.append(LineEvent(self.t, "speech_stopped", f"the caller stopped speaking after {_secs(duration)} "
                                "(end of audio)", {"last_sound": round(self.last_sound, 3), "duration": round(duration, 3),
                                                   "level_dbfs": round(self.segment_level(), 1),
                                                   "speech_level_dbfs": round(active_level(self._segment_voice), 1)}))
        return events


@dataclass(frozen=True)
class Word:
    """One recognised word with Vosk's confidence and its span in seconds."""

    word: str
    conf: float
    start: float
    end: float


def syllables(word: str) -> int:
    """Rough syllable count: one per CJK/Hangul character, one per vowel group in Latin script."""
    count = 0
    vowel_run = False
    for ch in word:
        code = ord(ch)
        if 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7A3 or 0xF900 <= code <= 0xFAFF:
            count += 1
            vowel_run = False
        elif ch.lower() in "aeiouy":
            if not vowel_run:
                count += 1
            vowel_run = True
        else:
            vowel_run = False
    return max(1, count)


UNKNOWN_WORDS = frozenset({"[unk]", "<unk>", "<UNK>", "<SPOKEN_NOISE>", "[noise]"})


def judge_recognition(words: list[Word], voiced_seconds: float, *, grammar: bool,
                      min_voiced: float = 0.5) -> str | None:
    """Why a stretch of speech was unintelligible to the recogniser, or None if it made sense.

    Free recognition: nothing recognised, only unknown-word tokens, or a mean word confidence under
    0.55. Grammar-restricted recognition always answers with one of the expected phrases, even for
    another language, so there the words must also be plausible: each word's duration per syllable
    between 80 and 600 ms (a one-syllable ``네`` stretched over 1.5 s is the decoder forcing a fit),
    at most three phrases in one breath, at least half of the words plausible, and at least 1.2
    recognised syllables per second of voiced speech (two short words for 2 s of talk is a fit, not
    an answer).
    """
    if voiced_seconds < min_voiced:
        return None
    known = [w for w in words if w.word not in UNKNOWN_WORDS]
    if not known:
        what = "only unknown words" if words else "no words"
        return f"{_secs(voiced_seconds)} of speech, but the recogniser made out {what}"
    mean_conf = sum(w.conf for w in known) / len(known)
    if not grammar:
        if mean_conf < 0.55:
            return f"{_secs(voiced_seconds)} of speech recognised with low confidence ({mean_conf:.2f})"
        return None
    if len(words) > 3:
        return f"{_secs(voiced_seconds)} of speech matched {len(words)} fragments of the expected phrases"
    plausible = [w for w in known if 0.08 <= (w.end - w.start) / syllables(w.word) <= 0.6 and w.conf >= 0.6]
    if len(plausible) * 2 < len(words) or not plausible:
        return f"{_secs(voiced_seconds)} of speech did not fit the expected phrases"
    rate = sum(syllables(w.word) for w in known) / voiced_seconds
    if rate < 1.2:  # people say 3-7 syllables a second; far fewer means most of the speech was not these words
        return f"{_secs(voiced_seconds)} of speech held only {' '.join(w.word for w in known)}"
    return None
