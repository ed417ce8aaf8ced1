"""The drill half of the study screen: the wait after a line, typed and spoken answers, feedback.

``DrillPart`` is mixed into ``StudyScreen``; the state lives in the headless
``training.drill.Drill`` and this part only feeds it answers with their times and renders it.

When an answer starts and ends is what the wait is judged on (the wait after a line runs from the
end of that line to the start of the next): typed, the first keystroke and Enter; spoken, the
listener's speech onset and the end of speech it reports with ``speech_stopped``, both taken back
to the audio time they happened (the messages arrive later, and the final transcript later still:
a recogniser finalises after the trailing silence).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Input

from callscript.app.messages import LevelMeasured, LineConditionDetected, ListeningFailed, SpeechTranscribed
from callscript.app.screens.study.render import result_text
from callscript.app.widgets.wrap import WrappedText
from callscript.errors import CallscriptError
from callscript.training.scoring import WAIT_TOLERANCE, required_wait

if TYPE_CHECKING:
    from callscript.training.drill import Drill
    from callscript.training.scoring import ScoreResult


def audio_time_to_clock(now: float, detail: dict[str, Any], key: str) -> float:
    """The clock time of the audio moment ``detail[key]``, given that the report carrying it was
    made at audio time ``detail['audio_t']`` and arrives at clock time ``now``; ``now`` when the
    report has no audio times (a listener that does not give them)."""
    try:
        late = float(detail["audio_t"]) - float(detail[key])
    except (KeyError, TypeError, ValueError):
        return now
    return now - max(0.0, late)


class DrillPart:
    """Typed and spoken answers and the wait after each line (mixed into ``StudyScreen``)."""

    drill: Drill
    started: float | None
    ended: float | None
    modes: list[str]

    @dataclass(eq=False)
    class ListenerReady(Message):
        """The listener for spoken answers started (or ``problem`` says why not)."""

        listener: Any
        problem: str | None = None

    def tick(self) -> None:
        """Redraw what follows the clock (the interval timer calls this; tests moving a
        ManualClock may call it instead of waiting for the timer)."""
        self._show_wait()

    def _show_wait(self) -> None:
        """Since the last line ended: how long the trainee has waited, against the step's wait."""
        if self.quiz or not self.is_mounted or not self.query("#study-wait"):
            return
        widget = self.query_one("#study-wait", WrappedText)
        turns = self.drill.turns
        need = required_wait(turns[-1].step) if turns and not turns[-1].final else None
        if need is None:
            widget.update("")
            return
        waited = max(0.0, (self.started if self.started is not None else self.drill.clock.now()) - turns[-1].at)
        t = self.app_t
        n = len(turns)
        values = {"n": n, "seconds": f"{waited:.1f}", "need": f"{need:g}"}
        if waited >= need - WAIT_TOLERANCE:
            text = Text("✓ " + t("study.wait_met", **values), "bold")
        elif self.started is not None:  # the trainee began the next line too soon: say so now
            text = Text("✗ " + t("study.wait_cut_short", **values), "" if self.app_plain else "bold red")
        else:
            left = f"{max(0.0, need - waited):.1f}"
            text = Text("⏱ " + t("study.wait_countdown", left=left, **values), "bold")
        if widget.text.plain != text.plain:
            widget.update(text)

    # -- spoken answers ----------------------------------------------------------------------

    def _start_listener(self) -> None:
        source = self.options.listener
        if source is not None:
            self._listener_worker(source)

    @work(thread=True, exclusive=True, group="listener")
    def _listener_worker(self, source: Any) -> None:
        from callscript.app.messages import AppLineSink

        try:
            listener = source if hasattr(source, "start") else source()
            if listener is None:
                return
            expect = getattr(listener, "expect", None)
            if expect is not None:
                expect(None)  # free recognition: the trainee may say anything
            listener.start(AppLineSink(self))
        except Exception as exc:  # noqa: BLE001 - no microphone or model: typing still works
            self.post_message(self.ListenerReady(None, str(exc)))
            return
        self.post_message(self.ListenerReady(listener))

    def on_drill_part_listener_ready(self, message: ListenerReady) -> None:
        self.listener = message.listener
        if message.problem:
            self.notice_text = self.app_t("study.listening_problem", message=message.problem)
        self._refresh()

    def on_line_condition_detected(self, message: LineConditionDetected) -> None:
        message.stop()
        if self.drill.current is None:
            return
        now = self.drill.clock.now()
        if message.name == "speech_started" and self.started is None:
            self.started = audio_time_to_clock(now, message.detail, "onset")
            self._show_wait()
        elif message.name == "speech_stopped" and self.started is not None:
            # The answer ended when the trainee stopped speaking, not when the transcript arrives.
            self.ended = audio_time_to_clock(now, message.detail, "last_sound")

    def on_speech_transcribed(self, message: SpeechTranscribed) -> None:
        message.stop()
        if self.drill.current is None:
            return
        self.heard = message.text
        if message.final and message.text.strip():
            self.submit(message.text, mode="spoken", finished=self.ended)
            return
        if message.final:  # speech, but nothing the recogniser could make out: no answer is taken
            # (``started`` stays: speaking at all ended the trainee's wait, understood or not)
            self.heard = ""
            self.notice_text = self.app_t("study.not_understood")
        self._refresh()

    def on_level_measured(self, message: LevelMeasured) -> None:
        message.stop()
        self.level = message.rms_dbfs  # the microphone is being heard (and recognised) from now on

    def on_listening_failed(self, message: ListeningFailed) -> None:
        message.stop()
        self.notice_text = self.app_t("study.listening_problem", message=message.message)
        self._refresh()

    # -- typed answers -----------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value and self.started is None:
            self.started = self.drill.clock.now()  # the first keystroke: the trainee began the line
            self._show_wait()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.app.bell()
            return
        self.submit(event.value, mode="typed")
        event.input.value = ""

    def submit(self, answer: str, *, mode: str, finished: float | None = None) -> None:
        """Score ``answer`` to the current line; the previous line's wait is judged now.

        ``finished``: the clock time the answer ended (the end of speech); None: now."""
        if self.drill.current is None:
            return
        previous = self.drill.turns[-1] if self.drill.turns and not self.drill.turns[-1].final else None
        if previous is not None:
            self.drill.mode = self.modes[-1]  # the store records the closed turn with its own mode
        try:
            result = self.drill.submit(answer, started=self.started, finished=finished)
        except CallscriptError as exc:
            self.notice_text = exc.message
            self._refresh()
            return
        self.modes.append(mode)
        self.started = self.ended = None
        self.heard = ""
        self.notice_text = ""
        self.feedback = self._feedback(result, previous.result if previous is not None else None)
        if self.drill.current is not None:
            self._play_caller()
        self._refresh()

    def _feedback(self, result: ScoreResult, previous: ScoreResult | None) -> Text:
        """The new line's verdict; first, if the previous line waited for its wait to be timed, that
        line's final verdict (the one the summary shows), which a wait cut short may have changed."""
        t = self.app_t
        text = Text()
        if previous is not None and previous.timing is not None:
            timing = previous.timing
            n = len(self.drill.turns) - 1  # the previous line's position (the new one is the last turn)
            values = {"n": n, "line": self._short_line(n - 1), "waited": f"{timing.waited:.1f}",
                      "need": f"{timing.required:g}"}
            verdict = t("study.line_verdict", n=n, verdict=t("study.passed") if previous.passed else t("study.failed"),
                        score=t("study.score", score=previous.score))
            line = t("study.timing" if timing.ok else "study.timing_short", **values) + " → " + verdict
            style = "bold" if self.app_plain or previous.passed else "bold red"
            text.append(("✓ " if previous.passed else "✗ ") + line + "\n", style)
        pending = required_wait(self.drill.turns[-1].step) if self.drill.turns else None
        text.append_text(result_text(result, t, self.app_plain, wait=pending,
                                     hear_key=self._key("study.demonstrate"), last=self.drill.current is None))
        return text
