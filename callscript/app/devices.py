"""The app's optional devices: the doctor's check, the speaker, the listener and what they report.

Kept apart from ``app.py`` (which builds the app and moves it from screen to screen) because none of
it is needed for a keyboard-only call: every part here starts in a thread worker after the first
screen is up, reports back with a posted message, and fails into a banner line, never into the call.
``CallscriptApp`` takes these handlers from ``DevicesMixin``; Textual finds ``on_*`` message handlers
and ``@work`` workers along the class's method resolution order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from textual import work

from callscript.app.messages import (
    AppLineSink,
    CapabilitiesChecked,
    DemonstrationFinished,
    LevelMeasured,
    LineConditionDetected,
    ListenerStarted,
    ListeningFailed,
    SpeakerReady,
    SpeechTranscribed,
)
from callscript.app.ports import DoctorSource, Listener, ListenerSource, Speaker, optional_factory
from callscript.app.screens.base import DemonstrationEnded
from callscript.live import LiveCall
from callscript.live.events import StepChanged
from callscript.live.signals import DeviceProblem, Level, LineCondition, Part, Transcript

# A listening problem's part -> the name the banner and the help dialog file it under.
PROBLEM_NAMES = {Part.LINE: "listener", Part.AGENT_MIC: "agent microphone", Part.RECOGNITION: "speech model",
                 Part.VOCABULARY: "vocabulary", Part.CHECK: "doctor"}


class DevicesMixin:
    """The device half of ``CallscriptApp`` (see the module docstring); it uses the app's
    ``problems``, ``capabilities``, ``speaker``, ``listener``, ``live_call`` and ``t``."""

    @work(thread=True, exclusive=True, group="doctor")
    def _check_capabilities(self, source: DoctorSource) -> None:
        try:
            items = list(source()) if callable(source) else list(source or [])
        except Exception as exc:  # noqa: BLE001 - a broken doctor must not stop a call
            self.post_message(ListeningFailed(DeviceProblem(f"doctor: {exc}", Part.CHECK)))
            return
        self.post_message(CapabilitiesChecked(items))

    @work(thread=True, exclusive=True, group="speaker")
    def _build_speaker(self, factory: Callable[[], Speaker | None]) -> None:
        try:
            speaker = factory()
        except Exception as exc:  # noqa: BLE001
            self.post_message(SpeakerReady(None, str(exc)))
            return
        self.post_message(SpeakerReady(speaker, None if speaker is not None else self.t("call.speaker_missing")))

    @work(thread=True, group="listener-stop")
    def _stop_listener(self, listener: Listener) -> None:
        try:
            listener.stop()
        except Exception:  # noqa: BLE001 - stopping is best effort
            pass

    @work(thread=True, exclusive=True, group="listener")
    def _start_listener(self, source: ListenerSource, language: str | None) -> None:
        try:
            listener = source if isinstance(source, Listener) else source(language or "zh-CN") if callable(source) else None
            if listener is None:
                return
            listener.start(AppLineSink(self))
            # Recognised text is matched tolerantly (pinyin-aware) when the audio layer offers it.
            matcher = optional_factory("callscript.audio.matching", "tolerant_match")
        except Exception as exc:  # noqa: BLE001 - no device, no model: the call goes on by keyboard
            self.post_message(ListenerStarted(None, str(exc)))
            return
        self.post_message(ListenerStarted(listener, matcher=matcher))

    def on_capabilities_checked(self, message: CapabilitiesChecked) -> None:
        self.capabilities = list(message.items)
        self._status_changed()

    def _hear_speaker(self, speaker: Any) -> None:
        """Have the speaker report how each demonstration ended (it calls ``on_finished`` from its
        own thread), so a failure is shown instead of a "demonstrating" that never plays."""
        if speaker is not None and hasattr(speaker, "on_finished") and speaker.on_finished is None:
            speaker.on_finished = lambda done: self.post_message(DemonstrationFinished(
                done.text, bool(getattr(done, "completed", False)), getattr(done, "error", None)))

    def on_demonstration_finished(self, message: DemonstrationFinished) -> None:
        # To the screen that asked (a dialog may be on top of it meanwhile).
        target = self._demonstration_screen
        if self.is_running and target is not None and target.is_attached:
            target.post_message(DemonstrationEnded(message.text, message.completed, message.error))

    def on_speaker_ready(self, message: SpeakerReady) -> None:
        self._hear_speaker(message.speaker)
        self.speaker = message.speaker
        self._speaker_factory = None
        if message.problem:
            self.problems["speaker"] = message.problem
        self._status_changed()

    def on_listener_started(self, message: ListenerStarted) -> None:
        self.listener = message.listener
        self.listening = message.listener is not None
        if message.matcher is not None:
            self.matcher = message.matcher
            if self.live_call is not None:
                self.live_call.engine.matcher = message.matcher
        if message.problem:
            self.problems["listener"] = message.problem
        if (call := self.live_call) is not None:
            self._followed = None
            self._follow_call(StepChanged(call.flow.id, call.step.id))
            self._record_line()
        self._status_changed()

    def on_listening_failed(self, message: ListeningFailed) -> None:
        # The part is typed (a plain text from an adapter that does not say is about the line).
        problem = message.message
        part = problem.part if isinstance(problem, DeviceProblem) else Part.LINE
        self.problems[PROBLEM_NAMES[part]] = str(problem)
        self._status_changed()

    @property
    def _listening_call(self) -> LiveCall | None:
        """The call that what the listener reports goes to. None once the app is shutting down:
        the listener thread posts until it is stopped, and by then the screens are being torn
        down widget by widget."""
        return self.live_call if self.is_running else None

    def _audio_arrived(self, part: str) -> None:
        """The line (``listener``) or the agent's microphone delivers audio again: the device
        problem shown for it is over, so the banner stops saying so."""
        if self.live_call is not None:
            self._heard.add(part)
        if self.problems.pop(part, None) is not None:
            self._status_changed()

    def on_line_condition_detected(self, message: LineConditionDetected) -> None:
        # agent_* conditions come from the agent's microphone, every other one from the line.
        self._audio_arrived("agent microphone" if message.name.startswith("agent_") else "listener")
        if (call := self._listening_call) is not None:
            call.hear(LineCondition(message.name, dict(message.detail)))

    def on_speech_transcribed(self, message: SpeechTranscribed) -> None:
        if (call := self._listening_call) is not None:
            call.hear(Transcript(message.text, message.final))

    def on_level_measured(self, message: LevelMeasured) -> None:
        self._audio_arrived("listener")  # levels come from the line only (listener.py)
        if (call := self._listening_call) is not None and math.isfinite(message.rms_dbfs):
            call.hear(Level(message.rms_dbfs))

    def _status_changed(self) -> None:
        if self._call_screen is not None:
            self._call_screen.refresh_status()

    def missing_lines(self) -> list[str]:
        """The banner: one translated line naming what is missing (F1 has the messages and fixes),
        and a line of its own for a device in ``heard`` (it delivered audio during the call) that
        has been lost since: the agent must plug it back in now."""
        from callscript.app.banner import banner_lines
        from callscript.app.keys import display_key

        lines = banner_lines(self.t, self.capabilities, self.problems, heard=self._heard,
                             help_key=display_key(self.keys.get("app.help", "f1")))
        phone = self.phone_link.banner_line() if self.phone_link is not None else None
        return [phone, *lines] if phone else lines

    def missing_details(self) -> list[str]:
        """Everything missing with its fix, for the help dialog."""
        lines = []
        for c in self.capabilities:
            if not getattr(c, "ok", True):
                fix = getattr(c, "fix", "")
                lines.append(f"✗ {c.name}: {getattr(c, 'detail', '')}" + (f" — {fix}" if fix else ""))
        for name, problem in sorted({**self.problems, **self.failures}.items()):
            lines.append(f"✗ {name}: {problem}")
        return lines

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> str | None:
        """Play ``text`` to the agent; the reason it cannot, or None when it started."""
        speaker = self.speaker
        if speaker is None:
            return self.problems.get("speaker") or self.t("call.speaker_missing")
        try:
            problem = speaker.problem()
            if problem:
                return problem
            speaker.demonstrate(text, language, louder=louder)
            self._demonstration_screen = self.screen
        except Exception as exc:  # noqa: BLE001 - a speech failure must never end a call
            return str(exc)
        return None

