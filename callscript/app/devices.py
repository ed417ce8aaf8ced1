"""The app's optional devices: the doctor's check, the speaker, the listener and what they report.

Kept apart from ``app.py`` (which builds the app and moves it from screen to screen) because none of
it is needed for a keyboard-only call: every part here starts in a thread worker after the first
screen is up, reports back with a posted message, and fails into a banner line, never into the call.
``CallscriptApp`` takes these handlers from ``DevicesMixin``; Textual finds ``on_*`` message handlers
and ``@work`` workers along the class's method resolution order.
"""

from __future__ import annotations

import math
import time
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
from callscript.health import AUDIO_INPUTS, DeviceHealth, HealthBoard, Part, State, degraded, missing
from callscript.live import LiveCall
from callscript.live.events import StepChanged
from callscript.live.signals import Level, LineCondition, Transcript

# How long an audio input reported missing is still taken as being probed (the listener retries a
# failed open every 2 s): the banner says "checking devices" meanwhile, never "no audio input".
PROBE_SECONDS = 3.0


class DevicesMixin:
    """The device half of ``CallscriptApp`` (see the module docstring); it uses the app's
    ``health``, ``capabilities``, ``speaker``, ``listener``, ``live_call`` and ``t``."""

    probe_seconds = PROBE_SECONDS

    def _init_health(self) -> None:
        self.health = HealthBoard()  # what each part reported last, by who reported it
        # When an audio input was first reported missing (time.monotonic()): it is being probed.
        self._first_missing: dict[Part, float] = {}
        self._probe_timer: Any = None

    # -- the one way device health reaches the app ---------------------------------------------

    def report_health(self, health: DeviceHealth, *, origin: str) -> None:
        """File what an adapter found (``origin``: the listener, the speaker, the doctor, the
        store, the softphone) and redraw. An audio input that had delivered audio during this call
        is lost, not missing: the agent must plug it back in now."""
        if health.state is State.MISSING and health.part in self._heard:
            health = DeviceHealth(health.part, State.LOST, health.reason, health.fields, health.detail, health.since)
        if health.part in AUDIO_INPUTS and health.state is State.MISSING:
            self._first_missing.setdefault(health.part, time.monotonic())
            self._recheck_after_probe()
        if self.health.report(health.at(self.wall()), origin=origin):
            self.health_changed()

    def clear_health(self, part: Part, origin: str | None = None) -> None:
        """``part`` works (again): what was reported about it (by ``origin``) is over."""
        if self.health.clear(part, origin):
            self.health_changed()

    def health_changed(self) -> None:
        """Device health (or the phone's line) changed: the call screen redraws its banner."""
        if self._call_screen is not None:
            self._call_screen.refresh_status()

    def checking_parts(self) -> list[Part]:
        """Audio inputs reported missing less than ``probe_seconds`` ago, never heard since."""
        from callscript.app.banner import probing

        now = time.monotonic()
        return [part for part in self.health.parts() if (h := self.health.get(part)) is not None
                and probing(h, self._first_missing.get(part), now, self.probe_seconds)]

    def _recheck_after_probe(self) -> None:
        """Redraw once the probe time is over, so a part still missing is named then."""
        if self._probe_timer is not None or not self.is_running:
            return

        def over() -> None:
            self._probe_timer = None
            if self.checking_parts():
                self._recheck_after_probe()
            self.health_changed()

        self._probe_timer = self.set_timer(self.probe_seconds + 0.05, over)

    # -- the team store's outbox ---------------------------------------------------------------

    def _start_outbox(self, url: str) -> None:
        """Ship each finished call to the team store from a thread of its own (its outbox lives in
        the log folder): the call path only queues the log, so a slow or unreachable server never
        holds a prompt."""
        from callscript.team.outbox import Outbox

        try:
            self.outbox = Outbox(url, self.log_dir / ".outbox", on_change=self._outbox_changed)
        except OSError as exc:  # the log folder cannot be written: the calls stay on this PC
            self.report_health(missing(Part.STORE, "health.store_unavailable", f"{exc.strerror or exc}: {exc.filename}"),
                               origin="store")

    def _outbox_changed(self, waiting: int, problem: str | None) -> None:
        """From the outbox thread: hop to the app's own thread to update the banner."""
        try:
            self.call_from_thread(self._store_waiting, waiting, problem)
        except RuntimeError:
            pass  # the app is closing: the calls stay in the outbox for the next start

    def _store_waiting(self, waiting: int, problem: str | None) -> None:
        """The banner names the team store once while calls wait for it; F1 says why."""
        from callscript.paths import display_path

        if waiting:
            self.report_health(degraded(Part.STORE, "health.store_waiting", problem or "not shipped yet",
                                        waiting=waiting, folder=display_path(self.log_dir / ".outbox")), origin="store")
        else:
            self.clear_health(Part.STORE)

    # -- the optional parts, in thread workers --------------------------------------------------

    @work(thread=True, exclusive=True, group="doctor")
    def _check_capabilities(self, source: DoctorSource) -> None:
        try:
            items = list(source()) if callable(source) else list(source or [])
        except Exception as exc:  # noqa: BLE001 - a broken doctor must not stop a call
            self.post_message(ListeningFailed(missing(Part.CHECK, "health.check_failed", f"doctor: {exc}")))
            return
        self.post_message(CapabilitiesChecked(items))

    @work(thread=True, exclusive=True, group="speaker")
    def _build_speaker(self, factory: Callable[[], Speaker | None]) -> None:
        try:
            speaker = factory()
        except Exception as exc:  # noqa: BLE001
            self.post_message(SpeakerReady(None, missing(Part.SYNTHESIS, "health.no_synthesis", str(exc))))
            return
        self.post_message(SpeakerReady(speaker, None if speaker is not None else
                                       missing(Part.SYNTHESIS, "health.no_synthesis", "callscript[speech] is not installed")))

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
            self.post_message(ListenerStarted(None, missing(Part.LINE, "health.listener_failed", str(exc))))
            return
        self.post_message(ListenerStarted(listener, matcher=matcher))

    def on_capabilities_checked(self, message: CapabilitiesChecked) -> None:
        self.capabilities = list(message.items)
        self.health.clear(Part.CHECK, "doctor")
        for capability in self.capabilities:
            reports = capability.health() if hasattr(capability, "health") else []
            for health in reports:
                # The doctor looks at the system's default devices: a part that already works
                # (the listener hears a named device) is not missing.
                if health.part not in self._working:
                    self.report_health(health, origin="doctor")
        self.health_changed()

    def _hear_speaker(self, speaker: Any) -> None:
        """Have the speaker report how each demonstration ended (it calls ``on_finished`` from its
        own thread), so a failure is shown instead of a "demonstrating" that never plays."""
        if speaker is not None and hasattr(speaker, "on_finished") and speaker.on_finished is None:
            speaker.on_finished = lambda done: self.post_message(DemonstrationFinished(
                done.text, bool(getattr(done, "completed", False)), getattr(done, "error", None),
                getattr(done, "failed", None)))

    def on_demonstration_finished(self, message: DemonstrationFinished) -> None:
        # To the screen that asked (a dialog may be on top of it meanwhile).
        target = self._demonstration_screen
        if self.is_running and target is not None and target.is_attached:
            target.post_message(DemonstrationEnded(message.text, message.completed, message.error, message.failed))

    def on_speaker_ready(self, message: SpeakerReady) -> None:
        self._hear_speaker(message.speaker)
        self.speaker = message.speaker
        self._speaker_factory = None
        if message.problem is not None:
            self.report_health(message.problem, origin="speaker")
        self.health_changed()

    def on_listener_started(self, message: ListenerStarted) -> None:
        self.listener = message.listener
        self.listening = message.listener is not None
        if message.matcher is not None:
            self.matcher = message.matcher
            if self.live_call is not None:
                self.live_call.engine.matcher = message.matcher
        if message.problem is not None:
            self.report_health(message.problem, origin="listener")
        if (call := self.live_call) is not None:
            self._followed = None
            self._follow_call(StepChanged(call.flow.id, call.step.id))
            self._record_line()
        self.health_changed()

    def on_listening_failed(self, message: ListeningFailed) -> None:
        self.report_health(message.health, origin="listener")

    @property
    def _listening_call(self) -> LiveCall | None:
        """The call that what the listener reports goes to. None once the app is shutting down:
        the listener thread posts until it is stopped, and by then the screens are being torn
        down widget by widget."""
        return self.live_call if self.is_running else None

    def _audio_arrived(self, part: Part) -> None:
        """The line or the agent's microphone delivers audio (again): every problem shown for it
        is over (the doctor's "no default input" too: this one works), and it is no longer probed."""
        if self.live_call is not None:
            self._heard.add(part)
        self._working.add(part)
        self._first_missing.pop(part, None)
        self.clear_health(part)

    def on_line_condition_detected(self, message: LineConditionDetected) -> None:
        # agent_* conditions come from the agent's microphone, every other one from the line.
        self._audio_arrived(Part.AGENT_MIC if message.name.startswith("agent_") else Part.LINE)
        if (call := self._listening_call) is not None:
            call.hear(LineCondition(message.name, dict(message.detail)))

    def on_speech_transcribed(self, message: SpeechTranscribed) -> None:
        if (call := self._listening_call) is not None:
            call.hear(Transcript(message.text, message.final))

    def on_level_measured(self, message: LevelMeasured) -> None:
        self._audio_arrived(Part.LINE)  # levels come from the line only (listener.py)
        if (call := self._listening_call) is not None and math.isfinite(message.rms_dbfs):
            call.hear(Level(message.rms_dbfs))

    def missing_lines(self) -> list[str]:
        """The banner: the phone's line, what was lost mid-call, one translated line naming what is
        missing (F1 has what happened and the fixes), or "checking devices" while probing."""
        return list(self.health_view().lines)

    def health_view(self) -> Any:
        """The banner as ``callscript.app.banner.HealthView`` (lines, and whether still checking)."""
        from callscript.app.banner import HealthView, banner_view
        from callscript.app.keys import display_key

        view = banner_view(self.t, self.health, help_key=display_key(self.keys.get("app.help", "f1")),
                           checking=self.checking_parts())
        phone = self.phone_link.banner_line() if self.phone_link is not None else None
        return HealthView((phone, *view.lines), view.checking) if phone else view

    def missing_details(self) -> list[tuple[str, str]]:
        """Every problem for the help dialog: what happened and its fix in the interface
        language, and the technical detail beneath."""
        from callscript.app.banner import help_entries

        checking = set(self.checking_parts())
        reports = [h for h in self.health.problems() if h.part not in checking]
        entries = help_entries(self.t, [*reports, *self.failures.values()])
        return entries + list(self.notes.values())

    def demonstration_failed(self, part: Part | None, detail: str) -> str:
        """A demonstration failed in ``part``: F1 has what happened, its fix and the speaker's own
        words (``detail``); the notice for the screen, in a few words, is returned."""
        from callscript.app.banner import demonstration_failure, short_reason
        from callscript.app.keys import display_key

        if part is Part.SYNTHESIS and self.speaker is None and getattr(self, "audio_off", False):
            # Switched off with --no-audio: installed or not, that is the true reason.
            self.failures[Part.DEMONSTRATION] = missing(Part.DEMONSTRATION, "health.audio_off")
            return self.t("call.cannot_demonstrate", reason=self.t("reason.audio_off"),
                          key=display_key(self.keys.get("app.help", "f1")))
        self.failures[Part.DEMONSTRATION] = demonstration_failure(part, detail)
        return self.t("call.cannot_demonstrate", reason=self.t(short_reason(part)),
                      key=display_key(self.keys.get("app.help", "f1")))

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> DeviceHealth | None:
        """Play ``text`` to the agent; why it cannot (typed), or None when it started."""
        speaker = self.speaker
        if speaker is None:
            if getattr(self, "audio_off", False):
                return missing(Part.SYNTHESIS, "health.audio_off")
            return self.health.get(Part.SYNTHESIS) or missing(Part.SYNTHESIS, "health.no_synthesis")
        try:
            health = speaker.health() if hasattr(speaker, "health") else None
            if health is None and (problem := speaker.problem()):
                health = missing(Part.SYNTHESIS, "health.no_synthesis", problem)
            if health is not None:
                return health
            speaker.demonstrate(text, language, louder=louder)
            self._demonstration_screen = self.screen
        except Exception as exc:  # noqa: BLE001 - a speech failure must never end a call
            return missing(Part.SYNTHESIS, "health.demonstration_failed", str(exc))
        return None
