"""The Textual app: flow picker -> call -> summary -> next call, for a whole shift.

``make_app`` is the only way the app is built, by ``callscript run`` and by the tests alike: every
collaborator (flows, clock, log directory, settings, speaker, listener, doctor) is passed in, so a
Pilot or snapshot test runs the real app with a ``ManualClock`` and a temporary log directory.
Speaker, listener and doctor may be given as objects or as factories; factories run in thread
workers after the first screen is up, so nothing slow stands between the agent and the first prompt.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from callscript.i18n import Messages
from callscript.app.devices import DevicesMixin
from callscript.app.keys import conflicts, effective_keys
from callscript.app.messages import LineAudioArrived, RecordsNoticed, first_block
from callscript.app.phone import follow_phone
from callscript.app.ports import (
    Capability,
    DoctorSource,
    FollowingListener,
    Listener,
    ListenerSource,
    Speaker,
    SpeakerSource,
    Tappable,
)
from callscript.app.screens.base import translate_bindings
from callscript.engine.clock import Clock, MonotonicClock
from callscript.errors import CallscriptError
from callscript.flow.model import Flow
from callscript.health import DeviceHealth, Part, degraded, missing
from callscript.live import LiveCall, summarise
from callscript.live.events import LiveEvent, StepChanged
from callscript.settings import DEFAULT_KEYS, Settings

if TYPE_CHECKING:
    from callscript.app.screens.call import CallScreen
    from callscript.flow.notices import Notice


# Plain mode: white on black, one bright colour per meaning, nothing dimmed into grey.
HIGH_CONTRAST = Theme(
    name="callscript-high-contrast", primary="#ffff00", secondary="#00ffff", accent="#ffff00",
    warning="#ffff00", error="#ff6060", success="#60ff60", foreground="#ffffff", background="#000000",
    surface="#000000", panel="#000000", boost="#000000", dark=True,
    variables={"text-muted": "#ffffff", "foreground-muted": "#ffffff", "footer-background": "#000000",
               "footer-key-foreground": "#ffff00", "footer-description-foreground": "#ffffff"},
)



class CallscriptApp(DevicesMixin, App[int], inherit_bindings=False):
    """The live call prompter. Build it with ``make_app``."""

    CSS_PATH = "callscript.tcss"
    TITLE = "callscript"
    # Every key matters during a call; the command palette would only take one (Ctrl+P) away.
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    # Textual's own app bindings are replaced, not added to: Ctrl+C quits (Textual only offers
    # help on it), and every binding has an id the user's keymap can address.
    BINDINGS = [
        Binding(DEFAULT_KEYS["app.quit"], "quit", "Quit", priority=True, id="app.quit"),
        # Ctrl+C quits as a terminal user expects, but during a call it asks first, as Ctrl+Q does:
        # a reflex Ctrl+C must not lose a call.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.interrupt"),
        Binding(DEFAULT_KEYS["app.help"], "help", "Help", id="app.help"),
    ]

    def __init__(
        self,
        flows: Mapping[str, Flow],
        *,
        clock: Clock,
        log_dir: Path,
        settings: Settings,
        initial_flow: str | None = None,
        speaker: SpeakerSource = None,
        listener: ListenerSource = None,
        doctor: DoctorSource = None,
        variables: Mapping[str, str] | None = None,
        wall: Callable[[], float] = time.time,
        settings_problem: CallscriptError | None = None,
        replay: Any = None,
        phone: Any = None,
        flow_notices: Sequence[Notice] = (),
        audio_off: bool = False,
    ) -> None:
        self.flows = dict(flows)
        self.audio_off = audio_off  # --no-audio: no speaker or listener on purpose, not for want of one
        self.initial_replay = replay  # a callscript.app.replay.Replay to open instead of the picker
        self.clock = clock
        self.log_dir = Path(log_dir)
        self.settings = settings
        self.initial_flow = initial_flow
        self.variables = dict(variables or {})
        self.wall = wall
        self.settings_problem = settings_problem
        self.flow_notices = list(flow_notices)  # user flow files left out or replacing built-in ones
        self.t = Messages(settings.interface_language)
        self.plain = settings.plain
        self.keys = effective_keys(settings.keys, (f for f in self.flows.values() if f.is_situation))
        self.calls: list[LiveCall] = []  # calls whose log is still open
        self.live_call: LiveCall | None = None  # the call in progress
        self._call_screen: CallScreen | None = None  # the screen showing it
        self._line_writer: Any = None  # the line audio recorder of the call in progress
        self._followed: tuple[str, str, str | None] | None = None  # what the listener was told last
        self._listener_language: str | None = None
        # The screen that asked for the demonstration now playing (it is told how it ended).
        self._demonstration_screen: Screen[Any] | None = None
        # Inputs that have delivered audio during this call: a problem with one of them later
        # means a device was lost. ``_working``: during this run (the doctor's default-device
        # check does not apply to them).
        self._heard: set[Part] = set()
        self._working: set[Part] = set()
        self._init_health()
        self.speaker: Speaker | None = speaker if isinstance(speaker, Speaker) else None
        self._hear_speaker(self.speaker)
        self._speaker_factory = speaker if speaker is not None and not isinstance(speaker, Speaker) else None
        self.listener: Listener | None = None
        self._listener_source = listener
        self.listening = False
        self.matcher: Callable[..., bool] | None = None
        self._doctor = doctor
        self.capabilities: list[Capability] = []
        # Finished calls on their way to the team store (setting [team] store), shipped by a thread.
        self.outbox: Any = None
        self._private_root: Any = None  # a TemporaryDirectory, made when first needed
        # The last failure of an action (a demonstration): its screen says it in a few words, F1 in full.
        self.failures: dict[Part, DeviceHealth] = {}
        # What a toast said in a few words, in full for F1: (the toast's text, the library's words).
        self.notes: dict[str, tuple[str, str]] = {}
        self._optional_started = False
        self._phone = phone  # a callscript.softphone.Softphone, followed by self.phone_link once up
        self.phone_link: Any = None
        super().__init__()
        translate_bindings(self._bindings, self.t)
        self.title = self.t("app.title")
        if self.plain:
            self.animation_level = "none"

    # -- screens -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        if self.initial_replay is not None:
            from callscript.app.replay import PendingReplay

            if isinstance(self.initial_replay, PendingReplay):  # a large log: read behind a progress bar
                from callscript.app.screens.replay_loading import ReplayLoadingScreen

                return ReplayLoadingScreen(self.initial_replay)
            from callscript.app.screens.replay import ReplayScreen

            return ReplayScreen(self.initial_replay)
        if self.initial_flow:
            # Straight into the call: the picker is built only if the agent goes back to it.
            return Screen(id="base")
        from callscript.app.screens.picker import FlowPickerScreen

        return FlowPickerScreen()

    def on_mount(self) -> None:
        self._catch_hangups()
        self._watch_records()
        self.set_keymap(self.settings.keymap())
        self.register_theme(HIGH_CONTRAST)
        if self.plain:
            self.theme = HIGH_CONTRAST.name
        if self.settings_problem is not None:
            from callscript.paths import display_path

            where = self.settings_problem.where  # the file and its line
            self.tell("settings.bad_file", detail=self.settings_problem.render(), severity="warning", timeout=15,
                      path=display_path(where) if where else self.t("settings.the_file"))
        for notice in self.flow_notices:
            self.notify(notice.text(self.t), severity="warning", timeout=20, markup=False)
        for key, ids in conflicts(self.keys):
            self.notify(self.t("keys.conflict", key=key, ids=", ".join(ids)), severity="warning", timeout=10, markup=False)
        if self.initial_flow:
            self.start_call(self.initial_flow)
        # The optional parts start after the first frame is on screen.
        self.call_after_refresh(self._start_optional_parts)

    def _start_optional_parts(self) -> None:
        if not gc.isenabled():
            # `callscript run` paused collection for the start (commands/run.py): what was built
            # so far lives as long as the app, so later collections need not walk it again.
            gc.freeze()
            gc.enable()
        if self._doctor is not None:
            self._check_capabilities(self._doctor)
        if self._speaker_factory is not None:
            self._build_speaker(self._speaker_factory)
        self._optional_started = True
        if isinstance(self._listener_source, Listener):
            self._start_listener(self._listener_source, None)
        elif self._listener_source is not None and self._listener_language is not None:
            self._start_listener(self._listener_source, self._listener_language)
        self.phone_link = follow_phone(self, self._phone) if self._phone is not None else None
        if self.settings.team.store:
            self._start_outbox(self.settings.team.store)

    def _listen_for(self, language: str) -> None:
        """The call now on screen is in ``language``: a listener built by a factory listens for
        it (built now, or rebuilt when the last call was in another language). Before the first
        frame is up this only notes the language (``_start_optional_parts`` starts it then)."""
        source = self._listener_source
        if source is None or isinstance(source, Listener) or language == self._listener_language:
            return
        previous = self._listener_language
        self._listener_language = language
        if not self._optional_started:
            return
        if previous is not None and self.listener is not None:
            old, self.listener = self.listener, None
            self._stop_listener(old)
        self._start_listener(source, language)

    def start_call(self, flow_id: str, *, replace_screen: bool = False) -> None:
        """Open a new call on ``flow_id`` and show it (replacing the summary on screen when asked)."""
        if self.live_call is not None:
            self.live_call.close("aborted")
        variables = {**self.settings.variables(), **self.variables}
        call = LiveCall.open(self.flows, flow_id, clock=self.clock, log_dir=self.log_dir, variables=variables,
                             wall=self.wall, matcher=self.matcher, then_flow=self.settings.default_flow)
        self.calls.append(call)
        self.live_call = call
        self._heard = set()
        self._followed = None
        call.subscribe(self._follow_call)
        call.start()
        # Imported here: `callscript` alone opens the picker, which needs none of the call screen.
        from callscript.app.screens.call import CallScreen

        screen = CallScreen(call)
        self._call_screen = screen
        if replace_screen:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        self._listen_for(self.flows[flow_id].language)
        self._record_line()
        self._follow_call(StepChanged(call.flow.id, call.step.id))

    def _follow_call(self, event: LiveEvent) -> None:
        """Tell the listener what the call expects now (``heard:`` phrases, the agent's line)."""
        call, listener = self.live_call, self.listener
        if not isinstance(event, StepChanged) or call is None or not isinstance(listener, FollowingListener):
            return
        current = (call.flow.id, call.step.id, call.engine.say())
        if current == self._followed:
            return
        self._followed = current
        try:
            listener.follow(call.step, call.engine.say())
        except Exception as exc:  # noqa: BLE001 - listening problems never stop the call
            self.report_health(degraded(Part.RECOGNITION, "health.follow_failed", str(exc)), origin="follow")

    def _record_line(self) -> None:
        """With ``record_line_audio`` on and a listener running, the call's line audio is recorded
        next to its log (for ``callscript replay``), from its first block on: until then the tap
        only waits, so an input that never works leaves no file and no ``line_audio`` record."""
        call, listener = self.live_call, self.listener
        if call is None or listener is None or not self.settings.record_line_audio or call.recording is not None:
            return
        if isinstance(listener, Tappable):
            listener.tap(first_block(lambda: self.post_message(LineAudioArrived(call))))

    def on_line_audio_arrived(self, message: LineAudioArrived) -> None:
        """Audio is flowing: open the recording and log where its first sample falls (a failure is
        a banner line, never a stop)."""
        call, listener = message.call, self.listener
        if call is not self.live_call or call.closed or call.recording is not None or not isinstance(listener, Tappable):
            return
        try:
            from callscript.audio.lineaudio import LineAudioWriter, line_audio_path

            writer = LineAudioWriter(line_audio_path(call.log_path))
        except Exception as exc:  # noqa: BLE001 - a full disk must not end the call
            listener.tap(None)
            self.report_health(missing(Part.RECORDING, "health.recording_failed", str(exc)), origin="recording")
            return

        def untap() -> None:
            if self._line_writer is writer:  # not the next call's recording
                self._line_writer = None
                listener.tap(None)

        if call.record_line(writer, on_close=untap):
            self._line_writer = writer
            listener.tap(writer)
        else:
            writer.close()

    def on_call_screen_ended(self, message: CallScreen.Ended) -> None:
        """The call on screen has ended: show its summary in its place."""
        from callscript.app.screens.summary import SummaryScreen

        call = message.call
        call.close()
        if self.outbox is not None:
            self.outbox.call_ended(call.log_path)
        if self.live_call is call:
            self.live_call = None
            self._call_screen = None
        self.calls = [c for c in self.calls if not c.closed]
        self.switch_screen(SummaryScreen(summarise(call)))

    def back_to_picker(self) -> None:
        from callscript.app.screens.picker import FlowPickerScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        if not isinstance(self.screen_stack[-1], FlowPickerScreen):
            self.push_screen(FlowPickerScreen())

    def open_replay(self, path: Path) -> None:
        """Open the session log ``path`` in the replay screen, over the screen on display (its Esc
        comes back here). A log that cannot be replayed is one notification, never a crash."""
        from callscript.app.replay import LOAD_IN_SCREEN_BYTES, PendingReplay, check_log, load_replay
        from callscript.app.screens.replay import ReplayScreen

        # The line audio plays where demonstrations can (not with --no-audio).
        audio = self.speaker is not None or self._speaker_factory is not None
        try:
            if check_log(path) > LOAD_IN_SCREEN_BYTES:
                from callscript.app.screens.replay_loading import ReplayLoadingScreen

                self.push_screen(ReplayLoadingScreen(PendingReplay(Path(path), audio=audio)))
                return
            replay = load_replay(path, self.flows)
        except CallscriptError as exc:
            self.tell("replay.cannot_open", detail=exc.message + (f" ({exc.hint})" if exc.hint else ""),
                      severity="error", timeout=10, file=Path(path).name)
            return
        replay.audio = audio
        self.push_screen(ReplayScreen(replay))

    def private_folder(self, name: str) -> Path:
        """A 0700 temporary folder of this app run (calls fetched from the team store for replay
        go here), removed when the app closes."""
        import tempfile

        if self._private_root is None:
            self._private_root = tempfile.TemporaryDirectory(prefix="callscript-")
        folder = Path(self._private_root.name) / name
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder

    def open_settings(self) -> None:
        from callscript.app.screens.settings import SettingsScreen

        def done(saved: bool | None) -> None:
            if saved:
                self._rebuild_picker()

        self.push_screen(SettingsScreen(self.settings), done)

    def _rebuild_picker(self) -> None:
        """After new settings: the picker is redrawn in the new language, keys and mode (every
        other screen is built anew when it is next shown)."""
        from callscript.app.screens.picker import FlowPickerScreen

        if isinstance(self.screen, FlowPickerScreen):
            self.screen.settings_changed()

    def save_settings(self, settings: Settings) -> Path:
        """Save what the user changed to the settings file and apply at once (language, keys,
        plain mode)."""
        from callscript.settings import load_settings_or_defaults
        from callscript.settings_store import save_settings  # tomlkit: only when saving

        path = save_settings(settings, base=self.settings)
        # What is still wrong in the file (the values the form did not change) is what counts now.
        self.settings_problem = load_settings_or_defaults(path)[1]
        self.apply_settings(settings)
        return path

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.t = Messages(settings.interface_language)
        translate_bindings(self._bindings, self.t)
        self.title = self.t("app.title")
        self.plain = settings.plain
        self.animation_level = "none" if self.plain else "full"
        self.theme = HIGH_CONTRAST.name if self.plain else "textual-dark"
        self.keys = effective_keys(settings.keys, (f for f in self.flows.values() if f.is_situation))
        self.set_keymap(settings.keymap())

    async def action_quit(self) -> None:
        """Quit; during a call, ask first (one key quits, Esc goes back to the call)."""
        from callscript.app.screens.dialogs import ChoiceDialog, quit_dialog

        if self.live_call is None or self.live_call.ended or isinstance(self.screen, ChoiceDialog):
            self.exit()
            return

        def done(answer: str | None) -> None:
            if answer == "quit":
                self.exit()

        self.push_screen(quit_dialog(self.t), done)

    def action_help(self) -> None:
        from callscript.app.screens.dialogs import HelpDialog

        rows: list[tuple[str, str]] = []
        seen: set[str] = set()
        events = False
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            bid = binding.id or ""
            if not bid or bid in seen:  # only callscript's own bindings (they all have ids)
                continue
            seen.add(bid)
            if bid.startswith("call.event"):
                events = True
                continue
            if binding.description:
                rows.append((key, binding.description))
        if events:
            rows.append(("1-9", self.t("help.events")))
        self.push_screen(HelpDialog(rows, self.missing_details()))

    def tell(self, message_id: str, *, detail: str = "", severity: str = "information", timeout: float = 8,
             **fields: object) -> None:
        """A toast in the interface language. ``detail`` (a library's or the system's own words,
        technical English) is not shown in it: the toast points to F1, which lists it in full."""
        from callscript.text import visible

        text = self.note(message_id, detail, **fields)
        self.notify(visible(text, lines=True), severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def note(self, message_id: str, detail: str = "", **fields: object) -> str:
        """The text of ``message_id`` for a toast or a notice; with ``detail`` (a library's own
        words) kept for F1, and the text then says which key shows it."""
        from callscript.app.keys import display_key

        text = self.t(message_id, **fields)
        if not detail:
            return text
        self.notes[message_id] = (text, detail)
        return text + self.t("notice.details", key=display_key(self.keys.get("app.help", "f1")))

    # -- closing -------------------------------------------------------------------------------

    def _catch_hangups(self) -> None:
        """A closed terminal (SIGHUP) or a polite kill (SIGTERM) still ends the call's log with
        ``aborted`` before the process goes."""
        import asyncio
        import signal

        def hung_up() -> None:
            self.close_calls()
            self.exit(1)

        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(sig, hung_up)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass  # not the main thread, or no POSIX signals: the log is still complete to its last event

    def close_calls(self, outcome: str = "aborted") -> None:
        """Close every call still open (quit, Ctrl+C, crash): each log ends ``aborted``."""
        for call in self.calls:
            try:
                call.close(outcome)
                if self.outbox is not None:
                    self.outbox.call_ended(call.log_path)  # goes now, or at the next start
            except Exception:  # noqa: BLE001 - one broken log must not keep the others open
                pass
        self.calls = [c for c in self.calls if not c.closed]

    def on_unmount(self) -> None:
        self.close_calls()
        if self.phone_link is not None:
            self.phone_link.stop()
        if self.outbox is not None:
            self.outbox.close(timeout=2.0)  # what has not gone by then waits in the outbox
        if self._private_root is not None:
            self._private_root.cleanup()
        for stop in getattr(self, "_record_watches", ()):
            stop()
        if self.listener is not None:
            try:
                self.listener.stop()
            except Exception:  # noqa: BLE001 - stopping is best effort on the way out
                pass
        if self.speaker is not None:
            try:
                self.speaker.stop()
            except Exception:  # noqa: BLE001
                pass

    def _watch_records(self) -> None:
        """Trouble with a session log, or a records folder made private, becomes a notification
        (posted: the log may be written from another thread)."""
        from callscript import privacy
        from callscript.session.log import watch_trouble

        self._told: set[tuple[str, ...]] = set()
        post = lambda event: self.post_message(RecordsNoticed(event))  # noqa: E731
        self._record_watches = [watch_trouble(post), privacy.listen(post)]

    def on_records_noticed(self, message: RecordsNoticed) -> None:
        from callscript.app.records import records_notice

        key, message_id, fields, detail = records_notice(self.t, message.event)
        if key not in self._told:
            self._told.add(key)
            self.tell(message_id, detail=detail, severity="warning", timeout=20, **fields)


def make_app(
    flows: Mapping[str, Flow],
    *,
    clock: Clock | None = None,
    log_dir: Path | str | None = None,
    settings: Settings | None = None,
    initial_flow: str | None = None,
    speaker: SpeakerSource = None,
    listener: ListenerSource = None,
    doctor: DoctorSource = None,
    variables: Mapping[str, str] | None = None,
    wall: Callable[[], float] | None = None,
    settings_problem: CallscriptError | None = None,
    replay: Any = None,
    phone: Any = None,
    flow_notices: Sequence[Notice] = (),
    audio_off: bool = False,
) -> CallscriptApp:
    """Build the app.

    ``flows`` are every flow a call may reach (``callscript.flow.library.load_flows()``);
    ``clock`` defaults to real time; ``log_dir`` to ``callscript.session.log.default_log_dir()``;
    ``settings`` to the defaults (``callscript run`` reads the user's file). ``initial_flow`` opens
    that flow's call at once instead of the picker. ``speaker``, ``listener`` and ``doctor`` are the
    optional parts (objects or factories; None: keyboard only). ``variables`` override the flows'
    and the settings' values (``--vars``); ``wall`` is the wall clock used to name log files.
    ``replay`` (a ``callscript.app.replay.Replay``) opens that past call instead of the picker (a
    ``PendingReplay``: reads the log first, behind a progress bar).
    ``phone``: the agent's ``callscript.softphone.Softphone`` to follow (``callscript.app.phone``).
    ``flow_notices``: what loading the flows said (``callscript.flow.notices``: a user's flow file
    left out, a built-in flow replaced), shown once more on the screen. ``audio_off``: audio was
    switched off (``--no-audio``), so what cannot play or listen says that, not "not installed".
    """
    if not flows:
        raise CallscriptError("no call flows to run", hint="check the flows folder")
    if initial_flow is not None and initial_flow not in flows:
        raise CallscriptError(f"no flow named '{initial_flow}'", hint="built-in flows: " + ", ".join(sorted(flows)))
    if log_dir is None:
        from callscript.session.log import default_log_dir

        log_dir = default_log_dir()
    return CallscriptApp(
        flows,
        clock=clock or MonotonicClock(),
        log_dir=Path(log_dir),
        settings=settings or Settings(),
        initial_flow=initial_flow,
        speaker=speaker,
        listener=listener,
        doctor=doctor,
        variables=variables,
        wall=wall or time.time,
        settings_problem=settings_problem,
        replay=replay,
        phone=phone,
        flow_notices=flow_notices,
        audio_off=audio_off,
    )


__all__ = ["CallscriptApp", "make_app"]
