"""The agent's softphone in the app: answering opens the call, a caller hanging up ends it, and the
flow's ``hang_up`` end hangs up the phone.

``PhoneLink`` is built only when the ``softphone`` setting names an adapter
(``callscript.softphone``); without it the app is the keyboard prompter it always was. The adapter
reports from its own thread; every report is handed to the app's thread (``call_from_thread``)
before anything is touched. What the link does:

- a call answered on the phone opens the call screen on ``default_flow`` (from the picker or the
  summary; a call the agent already opened by hand is the one that follows the phone), and the
  call's session log gets a ``phone`` record (the phone's call id and the caller);
- the caller hanging up (or the call failing) ends the call with the outcome ``caller_hung_up``,
  after a ``phone`` record saying so;
- the flow reaching an ``end: hang_up`` step hangs the phone up: at once with
  ``softphone_hang_up = "at_once"``, else once the agent confirms in a dialog over the summary.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from callscript.i18n import Messages
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.wrap import WrappedText
from callscript.flow.model import End, Flow
from callscript.health import DeviceHealth, Part, missing
from callscript.settings import Settings
from callscript.softphone import CallAnswered, CallClosed, CallRang, PhoneEvent, Softphone

from callscript.live.events import CallEnded

if TYPE_CHECKING:
    from callscript.live import LiveCall
    from callscript.live.events import LiveEvent

CALLER_HUNG_UP = "caller_hung_up"  # the outcome of a call the caller ended


class PhoneHost(Protocol):
    """What the link needs of the app (``CallscriptApp`` follows it; no import of the app module)."""

    t: Messages
    flows: dict[str, Flow]
    settings: Settings
    listener: Any
    live_call: LiveCall | None

    @property
    def screen(self) -> Screen[Any]: ...

    def start_call(self, flow_id: str, *, replace_screen: bool = False) -> None: ...

    def notify(self, message: str, **kwargs: Any) -> None: ...

    def call_from_thread(self, callback: Any, *args: Any) -> Any: ...

    def set_timer(self, delay: float, callback: Any) -> Any: ...

    def push_screen(self, screen: Screen[Any], callback: Any = None) -> Any: ...

    def pop_screen(self) -> Any: ...

    def report_health(self, health: DeviceHealth, *, origin: str) -> None:
        """File what the phone reports about itself (the banner and F1 say it)."""

    def clear_health(self, part: Part, origin: str | None = None) -> None:
        """The phone works again."""

    def health_changed(self) -> None:
        """The phone's line changed: the banner redraws."""


class HangUpDialog(TranslatedBindings, ModalScreen[bool]):
    """The flow says to hang up: Enter hangs up the phone, Escape keeps the line open."""

    BINDINGS = [
        Binding("enter", "hang_up", "Hang up", id="phone.hang_up"),
        Binding("escape", "keep", "Keep the line", id="phone.keep"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.app_t("phone.hang_up_heading"), classes="dialog-heading")
            yield WrappedText(self.app_t("phone.hang_up_help"), classes="dialog-help")

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def action_hang_up(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)


class PhoneLink:
    """Follows ``phone`` for ``app`` (see the module doc)."""

    def __init__(self, app: PhoneHost, phone: Softphone, *, flow_id: str, hang_up_at_once: bool) -> None:
        self.app = app
        self.phone = phone
        self.flow_id = flow_id
        self.hang_up_at_once = hang_up_at_once
        self.call_id: str | None = None  # the phone call being followed (answered, not closed)
        self.peer = ""
        self.session: LiveCall | None = None  # the call following the phone
        self.problem: str | None = None
        self.hang_up_at: float | None = None  # time.monotonic() of the last hang-up callscript sent

    def start(self) -> None:
        self.phone.start(self)

    def stop(self) -> None:
        try:
            self.phone.stop()
        except Exception:  # noqa: BLE001 - stopping is best effort on the way out
            pass

    # -- the PhoneSink protocol (the adapter's thread) -------------------------------------------

    def phone_event(self, event: PhoneEvent) -> None:
        self._on_app_thread(self._event, event)

    def phone_problem(self, message: str | None) -> None:
        self._on_app_thread(self._problem, message)

    def _on_app_thread(self, callback: Any, *args: Any) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is not running (starting up or shutting down)
            pass

    # -- on the app's thread ---------------------------------------------------------------------

    def _problem(self, message: str | None) -> None:
        self.problem = message
        if message is None:
            self.app.clear_health(Part.SOFTPHONE, "softphone")
        else:
            self.app.report_health(missing(Part.SOFTPHONE, "health.softphone", message, phone=self.phone.name),
                                   origin="softphone")

    def _event(self, event: PhoneEvent) -> None:
        t = self.app.t
        if isinstance(event, CallRang):
            self.app.notify(t("phone.ringing", peer=event.peer), timeout=5, markup=False)
        elif isinstance(event, CallAnswered):
            if event.call_id != self.call_id:
                self.call_id, self.peer = event.call_id, event.peer
                self._open_call(event)
        elif isinstance(event, CallClosed) and event.call_id == self.call_id:
            self.call_id = None
            session, self.session = self.session, None
            if isinstance(self.app.screen, HangUpDialog):  # nothing left to hang up
                self.app.screen.dismiss(False)
            if event.by == "caller":
                self.app.notify(t("phone.caller_hung_up"), timeout=5, markup=False)
                if session is not None and not session.closed and not session.ended:
                    self._log(session, "closed", by=event.by, reason=event.reason)
                    session.end(CALLER_HUNG_UP)  # the call screen hears it and shows the summary
        self._redraw()

    def _redraw(self) -> None:
        """The phone connected, went away or changed calls: the call screen's banner says so."""
        self.app.health_changed()

    def _open_call(self, event: CallAnswered) -> None:
        """The answered call is on the line: open it on the configured flow, unless the agent has a
        call of their own open, which then follows the phone."""
        from callscript.app.screens.summary import SummaryScreen

        app = self.app
        if app.live_call is None or app.live_call.closed:
            while isinstance(app.screen, ModalScreen):
                app.pop_screen()
            flow = self.flow_id if self.flow_id in app.flows else next(iter(app.flows))
            app.start_call(flow, replace_screen=isinstance(app.screen, SummaryScreen))
        session = app.live_call
        if session is None:
            return
        self.session = session
        session.subscribe(self._call_event)
        self._log(session, "answered")  # start_call has started it: the log's call_started comes first

    def _log(self, session: LiveCall, event: str, **detail: Any) -> None:
        engine = session.engine
        session.log.write({"type": "phone", "t": round(engine.elapsed(), 4), "mono": round(engine.clock.now(), 4),
                           "event": event, "phone": self.phone.name, "call_id": self.call_id or "",
                           "peer": self.peer, **detail})

    def _call_event(self, event: LiveEvent) -> None:
        """What the live call reports: its end at a ``hang_up`` step hangs up the phone."""
        if not isinstance(event, CallEnded) or event.outcome != End.HANG_UP.value or self.call_id is None:
            return
        if self.hang_up_at_once:
            self.hang_up()
        else:
            # The call screen is about to give way to the summary: ask over it once it is shown,
            # from a timer of the app's own, so that the dialog's answer comes back to the app
            # (a callback run by the call screen would send it to a screen that is gone).
            call_id = self.call_id
            self.app.set_timer(0.05, lambda: self._ask_hang_up(call_id))

    def _ask_hang_up(self, call_id: str) -> None:
        if self.call_id != call_id:  # the caller hung up meanwhile
            return
        from callscript.app.screens.call import CallScreen

        if isinstance(self.app.screen, CallScreen):  # the summary is not up yet: ask over it once it is
            self.app.set_timer(0.05, lambda: self._ask_hang_up(call_id))
            return

        def done(hang_up: bool | None) -> None:
            if hang_up:
                self.hang_up()

        self.app.push_screen(HangUpDialog(), done)

    def hang_up(self) -> None:
        """Hang up the phone's call now."""
        if self.call_id is None:
            return
        self.hang_up_at = time.monotonic()
        self.phone.hang_up()
        self.app.notify(self.app.t("phone.hung_up"), timeout=3, markup=False)

    def banner_line(self) -> str | None:
        """What the banner says about the phone: connected, with the line it hears, or nothing
        (a problem goes into the banner's missing parts)."""
        if self.problem is not None:
            return None
        settings = self.app.settings
        line = getattr(self.app.listener, "device", None) or settings.input_device or f"{settings.softphone_sink}.monitor"
        line = str(line).removeprefix("pulse:")
        key = "phone.banner_call" if self.call_id else "phone.banner"
        return self.app.t(key, phone=self.phone.name, line=line, peer=self.peer)


def follow_phone(app: PhoneHost, phone: Softphone) -> PhoneLink:
    """Start following ``phone`` for ``app`` with the app's settings (``default_flow``,
    ``softphone_hang_up``)."""
    link = PhoneLink(app, phone, flow_id=app.settings.default_flow,
                     hang_up_at_once=app.settings.softphone_hang_up == "at_once")
    link.start()
    return link
