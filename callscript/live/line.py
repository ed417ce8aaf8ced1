"""What the caller's line is doing, as the listener reports it, and when silence counts.

``LineState`` is the live call's picture of the line: whether anything is listening, whether the
caller is speaking, the level and the last words heard, whether the line is noisy, and whether
the listener has said it hears nothing. It is plain state with the clock time given to every
method, so the rules below are exact in tests:

- **Noise is not silence.** From a ``noise`` report until the level has stayed under the noise
  threshold for ``RECOVER_SECONDS`` the line is noisy: no silence is counted. The listener takes
  a few seconds to call a background noise (its floor must rise first), so sound at that level
  for ``LOUD_SECONDS`` while the caller is not speaking stops the count at once too (it is no
  cause for a suggestion). Silence counts again from the moment the line went quiet.
- **Silence counts from what happened last**: the end of the agent's line (on entering a step
  with no line), the end of the caller's speech, or the end of the noise, whichever is latest,
  and only while the caller is not speaking and the line is not noisy.
- **The listener's "silence" is held** until the caller is heard again: it says the caller has
  not spoken for its ``seconds``, so the call raises silence once its own count (which may start
  later: the line was still being said) has lasted as long. A step change restarts the count; the
  report still holds, so a step with no line gets its silence suggestion like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

# Seconds of the cause's opposite that withdraw a low_volume or noise suggestion (and end noise).
RECOVER_SECONDS = 2.0
# Defaults for a listener that does not say its thresholds (callscript.audio.analysis's: too quiet
# is 22 dB under normal telephone speech at -26 dBFS).
LOW_VOLUME_DBFS = -48.0
NOISE_FLOOR_DBFS = -45.0
SILENCE_SECONDS = 5.0
# Seconds of sound at the noise level, without speech, after which the line is not silent.
LOUD_SECONDS = 0.5


@dataclass(frozen=True)
class SilenceStart:
    """Where the silence now counted starts (clock time) and why from there: ``line_said`` (the
    end of the agent's line), ``entered`` (a step with no line was entered), ``caller_stopped``
    (the end of the caller's speech) or ``noise_ended`` (the line went quiet after noise)."""

    since: float
    after: str


class LineState:
    """The line as the listener reports it (see the module docstring)."""

    def __init__(self) -> None:
        self.listening = False  # a signal from the line has arrived during this call
        self.caller_speaking = False
        self.level: float | None = None
        self.transcript = ""
        self.speech_ended: float | None = None  # when the caller last stopped speaking
        self.noise_threshold: float | None = None  # the line is noisy while this is set
        self.noise_ended: float | None = None  # when the line went quiet after noise
        self._quiet_since: float | None = None  # levels under the noise threshold since then
        self._loud_since: float | None = None  # levels at the noise threshold, without speech, since then
        self.loud = False  # sound without speech for LOUD_SECONDS, not yet quiet again
        self.silence_seconds: float | None = None  # the listener hears nothing, for this long at least

    @property
    def noisy(self) -> bool:
        return self.noise_threshold is not None

    def speech_started(self) -> None:
        self.listening = True
        self.caller_speaking = True
        self.silence_seconds = None
        self.loud, self._loud_since = False, None  # the sound was the caller's voice

    def speech_stopped(self, now: float) -> None:
        self.listening = True
        self.caller_speaking = False
        self.speech_ended = now

    def words(self) -> None:
        """Words were recognised: the caller is not silent, whatever the levels said."""
        self.listening = True
        self.silence_seconds = None

    def silence(self, seconds: float | None) -> None:
        self.listening = True
        self.silence_seconds = seconds if seconds is not None else SILENCE_SECONDS

    def noise(self, threshold: float | None) -> None:
        self.listening = True
        self.noise_threshold = threshold if threshold is not None else NOISE_FLOOR_DBFS
        self._quiet_since = None
        self.noise_ended = None

    def heard_level(self, dbfs: float, now: float) -> bool:
        """A level report; True when it ends a reported noise (quiet for ``RECOVER_SECONDS``)."""
        self.listening = True
        self.level = dbfs
        threshold = self.noise_threshold if self.noise_threshold is not None else NOISE_FLOOR_DBFS
        if dbfs >= threshold:
            self._quiet_since = None
            if self.caller_speaking:
                self._loud_since = None
            elif self._loud_since is None:
                self._loud_since = now
            elif now - self._loud_since >= LOUD_SECONDS - 1e-9:
                self.loud = True
            return False
        self._loud_since = None
        if not (self.noisy or self.loud):
            return False
        if self._quiet_since is None:
            self._quiet_since = now
        if now - self._quiet_since < RECOVER_SECONDS - 1e-9:
            return False
        reported = self.noisy
        self.noise_threshold = None
        self.loud = False
        self.noise_ended = self._quiet_since
        self._quiet_since = None
        return reported

    def silence_start(self, said_at: float | None, has_line: bool) -> SilenceStart | None:
        """The silence counted now, given when the step's line was said (entry for a step with
        no line); None while nothing listens, the caller speaks, the line is noisy or the line is
        not said yet."""
        if not self.listening or self.caller_speaking or self.noisy or self.loud or said_at is None:
            return None
        start = SilenceStart(said_at, "line_said" if has_line else "entered")
        for when, after in ((self.speech_ended, "caller_stopped"), (self.noise_ended, "noise_ended")):
            if when is not None and when > start.since:
                start = SilenceStart(when, after)
        return start


__all__ = ["LOUD_SECONDS", "LOW_VOLUME_DBFS", "NOISE_FLOOR_DBFS", "RECOVER_SECONDS", "SILENCE_SECONDS", "LineState", "SilenceStart"]
