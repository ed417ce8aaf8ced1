"""The live call screen: what to say now, what never to say, the wait, and what to press.

The screen shows one ``LiveCall`` (``callscript.live``), which holds the call: engine, log,
listening state, suggestions and silence. The screen subscribes to the call's events and redraws;
keys become the call's commands. Time is the call's clock: after every change the screen arms one
Textual timer for ``call.next_deadline()``, and a light refresh tick (a few times a second) redraws
the countdown and the call clock. The tick also catches a deadline that is already due, which is
what lets tests move a ``ManualClock`` and see the flow advance without sleeping. When the call
is over the screen posts ``CallScreen.Ended``; the app shows the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from callscript.app.call import parse_caller
from callscript.app.conditions import cause_text
from callscript.app.gloss import fill_gloss
from callscript.app.keys import display_key, situation_id
from callscript.app.screens.base import DemonstrationEnded, TranslatedBindings
from callscript.app.screens.call_text import header_chain, next_preview
from callscript.app.widgets.countdown import Countdown, WaitState
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.keylist import KeyItem, KeyList
from callscript.app.widgets.health import HealthBanner
from callscript.app.widgets.line import LevelMeter
from callscript.app.widgets.prompt import NeverItem, NeverPanel, SayContent, SayPanel
from callscript.app.widgets.wrap import WrappedText
from callscript.engine.engine import CallEngine
from callscript.flow.model import Trigger
from callscript.health import Part
from callscript.live import LiveCall
from callscript.live.events import (
    CallEnded,
    ListeningChanged,
    LiveEvent,
    Noticed,
    StepChanged,
    SuggestionsChanged,
    VariablesNeeded,
)
from callscript.live.summary import format_duration, path_steps
from callscript.settings import DEFAULT_KEYS
from callscript.text import fill

REFRESH_SECONDS = 0.125
PLAIN_REFRESH_SECONDS = 1.0
# From this width the "never" panel sits beside the line to say (below it, it goes under).
ROOMY_WIDTH = 150


class CallScreen(TranslatedBindings, Screen[None]):
    """One call, from its first line to its end; then the app shows the summary."""

    class Ended(Message):
        """The call on this screen is over: the app shows its summary."""

        def __init__(self, call: LiveCall) -> None:
            super().__init__()
            self.call = call

    BINDINGS = [
        Binding(DEFAULT_KEYS["call.said"], "said", "Said it", id="call.said"),
        Binding(DEFAULT_KEYS["call.gloss"], "gloss", "Gloss", id="call.gloss"),
        Binding(DEFAULT_KEYS["call.demonstrate"], "demonstrate", "Demonstrate", id="call.demonstrate"),
        Binding(DEFAULT_KEYS["call.caller"], "caller", "Caller name", id="call.caller"),
        Binding(DEFAULT_KEYS["call.note"], "note", "Note", id="call.note"),
        Binding(DEFAULT_KEYS["call.end"], "end_call", "End call", id="call.end"),
        Binding(DEFAULT_KEYS["call.accept"], "accept", "Accept suggestion", id="call.accept", show=False),
        *[
            Binding(DEFAULT_KEYS[f"call.event{n}"], f"event({n})", show=False, id=f"call.event{n}")
            for n in range(1, 10)
        ],
    ]

    def __init__(self, call: LiveCall) -> None:
        super().__init__()
        self.call = call
        self.engine: CallEngine = call.engine
        self.show_gloss = self.app_t.language == "en"
        self._deadline_timer: Timer | None = None
        self._finished = False
        self._notice = ""
        self._header_text = ""
        self._position: tuple[int, str, str] | None = None
        self._asking = False  # a dialog asking for a variable the line needs is open
        self._unsubscribe: Callable[[], None] | None = None
        # Situation hotkeys come from the flows, so they are bound per screen, with ids that the
        # user's keymap can remap like any other binding.
        situations = sorted((f for f in self._callscript_app.flows.values() if f.is_situation), key=lambda f: f.id)
        for flow in situations:
            key = self.app_keys.get(situation_id(flow.id))
            if not key:
                continue
            label = flow.situation.label.pick(self.app_t.language)  # type: ignore[union-attr]
            binding = Binding(key, f"situation('{flow.id}')", label, show=False, id=situation_id(flow.id))
            for one in key.split(","):
                existing = self._bindings.key_to_bindings.get(one.strip(), [])
                self._bindings.key_to_bindings[one.strip()] = [*existing, binding.with_key(one.strip())]

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t = self.app_t
        yield Static(id="call-header")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                with Horizontal(id="prompt-row"):
                    yield SayPanel(id="say")
                    yield NeverPanel(id="never")
                yield WrappedText(id="tip")
                yield Countdown(id="wait")
                yield KeyList(t("call.events"), empty=t("call.no_events"), id="events")
            with Vertical(id="side"):
                yield KeyList(t("call.situations"), id="situations")
                yield WrappedText(id="suggestion")
                yield WrappedText(id="caller-info")
                yield WrappedText(id="path")
                with Horizontal(id="line-status"):
                    yield LevelMeter(t("call.level"), id="level")
                    yield WrappedText(id="transcript")
        yield HealthBanner(id="banner")
        yield KeyBar()

    def on_mount(self) -> None:
        plain = self.app_plain
        self.set_class(plain, "-plain")
        # The width class (-narrow/-wide) now, not on the first resize: adding it then restyles
        # every widget once more before the first frame.
        self.set_class(self.app.size.width >= ROOMY_WIDTH, "-roomy")
        for widget in self.query("SayPanel, NeverPanel, Countdown, LevelMeter"):
            widget.plain = plain  # type: ignore[attr-defined]
            widget.set_class(plain, "-plain")
        self.set_interval(PLAIN_REFRESH_SECONDS if plain else REFRESH_SECONDS, self._tick)
        self._unsubscribe = self.call.subscribe(self._on_call_event)
        if self.call.ended:
            self._finish()
        else:
            self._changed()
            self.call_after_refresh(self._ask_variables)

    def on_resize(self) -> None:
        # A roomy terminal has "never" beside the line to say; a narrower wide one has it under.
        self.set_class(self.size.width >= ROOMY_WIDTH, "-roomy")
        # A wide terminal lists events and situations one per line: quicker to scan.
        stacked = self.size.width >= 110 and not self.app_plain
        for keylist in self.query(KeyList):
            if keylist.stacked != stacked:
                keylist.stacked = stacked
                keylist.refresh(layout=True)
        if not self._finished:
            self._show_path()

    def on_unmount(self) -> None:
        # Leaving the screen any way at all (quit, Ctrl+C, a crash) closes the log; a call that
        # had not ended is logged as aborted.
        self._stop_timer()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.call.close("aborted")

    # -- the call's events -------------------------------------------------------------------------

    def _on_call_event(self, event: LiveEvent) -> None:
        if self._finished or not self.is_mounted:
            return
        if isinstance(event, StepChanged):
            # A notice (an error the agent can fix) stays until the flow moves on.
            position = (len(self.engine.history), event.flow, event.step)
            if position != self._position:
                self._position = position
                self._notice = ""
            self._changed()
        elif isinstance(event, SuggestionsChanged):
            self._show_suggestion()
            self.refresh_bindings()
        elif isinstance(event, ListeningChanged):
            self._show_line()
            self._show_wait()
        elif isinstance(event, Noticed):
            self._noticed(event)
        elif isinstance(event, VariablesNeeded):
            self.call_after_refresh(self._ask_variables)
        elif isinstance(event, CallEnded):
            self._finish()

    def _noticed(self, event: Noticed) -> None:
        t = self.app_t
        detail = event.detail
        if event.code == "forbidden_heard":
            self.notice(t("call.forbidden_heard", phrase=str(detail.get("phrase", ""))))
            return
        flow = self.engine.flows.get(str(detail.get("flow", "")))
        label = flow.situation.label.pick(t.language) if flow and flow.situation else str(detail.get("flow", ""))
        if event.code == "situation_running":
            self.notice(t("call.situation_running", label=label))
            self.app.bell()
        elif event.code == "situation_unavailable":
            self.notice(t("call.situation_unavailable", label=label))
            self.app.bell()
        elif event.code == "suggestion_expired":
            self.notice(t("call.suggestion_expired", label=label))
        elif event.code == "went_on":  # the situation the call started on is over: say where it went
            target = self.engine.flows.get(str(detail.get("to", "")))
            self.notice(t("call.went_on", situation=label, flow=target.title.pick(t.language) if target else ""))

    # -- time ----------------------------------------------------------------------------------

    def _stop_timer(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.stop()
            self._deadline_timer = None

    def _rearm(self) -> None:
        """One timer, for the next deadline only."""
        self._stop_timer()
        deadline = self.call.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self.call.clock.now())
            self._deadline_timer = self.set_timer(delay, self._deadline_reached, name="deadline")

    def _deadline_reached(self) -> None:
        self._deadline_timer = None
        if not self._finished:
            self.call.poll()

    def _tick(self) -> None:
        if self._finished:
            return
        deadline = self.call.next_deadline()
        if deadline is not None and self.call.clock.now() >= deadline:
            self.call.poll()
            return
        self._show_wait()
        self._show_header()

    def _changed(self) -> None:
        """Redraw after any change, and re-arm the timer."""
        if self._finished:
            return
        self._rearm()
        self._refresh_view()
        self.refresh_bindings()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._stop_timer()
        if self.app.screen is self:  # else a dialog (a note being typed) is over it: see on_screen_resume
            self.post_message(self.Ended(self.call))

    def on_screen_resume(self) -> None:
        if self._finished:  # the call ended under a dialog: its summary comes once the dialog closes
            self.post_message(self.Ended(self.call))

    # -- drawing -------------------------------------------------------------------------------

    def _refresh_view(self) -> None:
        t = self.app_t
        lang = t.language
        view = self.engine.view()
        step = view.step
        # "Mr. Wang": filled only while shown (a surname's pinyin is looked up on the UI thread).
        shown_gloss = self.engine.gloss()  # of the form of the line shown (short, or for an unknown caller)
        gloss = fill_gloss(shown_gloss, self.engine.variables, view.flow.variables) if shown_gloss and self.show_gloss else None
        # A step with nothing to say is guidance: its tip is what to do now, in the main panel.
        guidance = view.say is None and step.tip is not None
        self.query_one(SayPanel).show(SayContent(
            say=view.say, gloss=gloss, show_gloss=self.show_gloss,
            heading=t("call.do") if guidance else t("call.say"),
            empty=step.tip.pick(lang) if guidance else t("call.no_say"),  # type: ignore[union-attr]
            gloss_label=t("call.gloss"), said=view.said and view.say is not None, said_label=t("call.said"),
            guidance=guidance,
        ))
        never = tuple(NeverItem(f.kind, fill(f.text, self.engine.variables), f.gloss) for f in step.never)
        kinds = {f.kind for f in step.never}
        title = t("call.never_say") if kinds == {"say"} else t("call.never_do") if kinds == {"do"} else t("call.never")
        self.query_one(NeverPanel).show(
            never, {"say": t("call.never_say"), "do": t("call.never_do"), "title": title}, self.show_gloss,
        )
        tip = self.query_one("#tip", WrappedText)
        tip.update(Text.assemble((f"{t('call.tip')}: ", "bold"), step.tip.pick(lang)) if step.tip else "")
        tip.display = step.tip is not None and not guidance
        self.query_one("#events", KeyList).show([
            KeyItem(self._key(f"call.event{index}"), event.label.pick(lang) if event.label else event.name)
            for index, event in enumerate(view.events[:9], start=1)
        ])
        running = {view.flow.id}
        self.query_one("#situations", KeyList).show([
            KeyItem(self._key(situation_id(flow.id)) or "—", flow.situation.label.pick(lang),  # type: ignore[union-attr]
                    active=flow.id in running, enabled=bool(self._key(situation_id(flow.id))))
            for flow in self.engine.situations()
        ])
        self._show_suggestion()
        self._show_caller()
        self._show_path()
        self._show_wait()
        self._show_header()
        self._show_line()
        self._show_banner()

    @property
    def _dim(self) -> str:
        """Secondary text is dimmed, except in plain mode (high contrast: nothing in grey)."""
        return "" if self.app_plain else "dim"

    def _key(self, binding_id: str) -> str:
        key = self.app_keys.get(binding_id, "")
        return display_key(key) if key else ""

    def _show_header(self) -> None:
        t = self.app_t
        lang = t.language
        flow = self.engine.flow
        clock = f"{t('call.clock')} {format_duration(self.engine.elapsed())}"
        header = self.query_one("#call-header", Static)
        width = max(20, header.content_size.width or self.size.width - 2)
        parts = Text()
        parts.append(flow.title.pick(lang), "bold")
        if self.engine.depth:
            # Every flow the call is inside of, innermost first, down to the call's own flow.
            outer = [self.engine.flows[flow_id].title.pick(lang) if flow_id in self.engine.flows else flow_id
                     for flow_id, _ in reversed(self.engine.frames[:-1])]
            tag = f"  [{t('call.in_situation')}]" if flow.is_situation else ""
            room = width - parts.cell_len - Text(tag + f"  · {self.engine.step.id}  {clock}").cell_len
            parts.append(header_chain(outer, room), self._dim)
            if tag:
                parts.append(tag, "bold reverse")
        parts.append(f"  · {self.engine.step.id}", self._dim)
        pad = width - parts.cell_len - Text(clock).cell_len
        if pad > 0:
            parts.append(" " * pad)
        else:
            parts.append("  ")
        parts.append(clock, "bold")
        # Called several times a second: repaint only when the text changed, and never re-layout
        # (the header is one line whatever it says).
        if parts.plain != self._header_text:
            self._header_text = parts.plain
            header.update(parts, layout=False)

    def _show_wait(self) -> None:
        t = self.app_t
        view_wait = self.engine.current_wait()
        said = self.engine.view().said
        timed = [tr for tr in self.engine.step.on if tr.is_timed]
        if view_wait is not None:
            remaining = view_wait.deadline - self.engine.clock.now()
            target = next_preview(self.engine, view_wait.transition, self.app_t.language)
            heading = t("call.wait_silence") if view_wait.transition.trigger is Trigger.SILENCE else t("call.wait_after")
            detail = t("call.wait_left", seconds="{seconds}", target="{target}")
            state = WaitState("running", heading, view_wait.seconds, remaining, detail, target)
        elif timed and not said:
            shortest = min(tr.seconds for tr in timed)
            key = self._key("call.said")
            state = WaitState("unsaid", detail=t("call.mark_said", key=key, seconds=f"{shortest:g}"))
        elif timed:
            state = WaitState("paused", detail=t("call.wait_paused"))
        elif (silence := self.call.silence()) is not None and silence.seconds >= 1.0:
            # No wait of the flow's own: the silence the line suggestions count, and from when.
            state = WaitState("none", detail=t("call.silence_count", seconds=f"{int(silence.seconds)}",
                                                  after=t(f"call.silence_after.{silence.after}")))
        else:
            state = WaitState("none", detail=t("call.no_wait"))
        self.query_one(Countdown).show(state)

    def _show_suggestion(self) -> None:
        widget = self.query_one("#suggestion", WrappedText)
        suggestions = self.call.suggestions
        if not suggestions:
            widget.display = False
            return
        t = self.app_t
        lines = []
        for index, suggestion in enumerate(suggestions[:2]):
            flow = self.engine.flows[suggestion.flow_id]
            key = self._key(situation_id(flow.id))
            if index == 0:
                key = f"{key}/{self._key('call.accept')}" if key else self._key("call.accept")
            lines.append(t("call.suggested", key=key, label=flow.situation.label.pick(t.language),  # type: ignore[union-attr]
                           why=self._cause_text(suggestion.cause)))
        widget.update(Text("\n".join(lines), style="bold"))
        widget.display = True

    def _cause_text(self, cause: Any) -> str:
        """Why a situation is suggested, in the interface language (the replay's mapping too)."""
        return cause_text(self.app_t, cause.condition, cause.seconds)

    def _known(self, name: str) -> str:
        """The variable's value, or "" while it is one the flows declare not known yet."""
        value = self.engine.variables.get(name, "")
        declared = self.call.declaration(name)
        return value if (declared.known(value) if declared else bool(value.strip())) else ""

    def _show_caller(self) -> None:
        t = self.app_t
        surname = self._known("surname")
        name = f"{surname}{self._known('title')}" if surname else t("call.caller_unknown")
        notes = self.call.notes
        text = Text.assemble((f"{t('call.caller')}: ", self._dim), (name, "bold"), "  ",
                             (f"{t('call.notes')}: ", self._dim), (notes[-1] if notes else t("call.no_notes")))
        if len(notes) > 1:
            text.append(f" (+{len(notes) - 1})", self._dim)
        self.query_one("#caller-info", WrappedText).update(text)

    def _show_path(self) -> None:
        t = self.app_t
        parts: list[str] = []
        previous_flow = None
        for flow_id, step_id in path_steps(self.engine.history, self.engine.flows):
            if flow_id != previous_flow:
                parts.append(f"{self.engine.flows[flow_id].title.pick(t.language)}: {step_id}")
                previous_flow = flow_id
            else:
                parts.append(step_id)
        wide = self.has_class("-wide") and not self.app_plain
        shown = parts[-16:] if wide else parts[-8:]
        more = len(parts) > len(shown)
        if wide:  # room for the path as a list, newest last
            body = ("…\n" if more else "") + "\n".join(f"  {part}" for part in shown)
            text = Text.assemble((f"{t('call.path')}:\n", self._dim), body)
        else:
            text = Text.assemble((f"{t('call.path')}: ", self._dim), ("… › " if more else "") + " › ".join(shown))
        self.query_one("#path", WrappedText).update(text)

    def _show_line(self) -> None:
        t = self.app_t
        call = self.call
        status = self.query_one("#line-status")
        status.display = call.listening or call.level is not None or bool(call.transcript)
        self.query_one(LevelMeter).show(call.level)
        self.query_one("#transcript", WrappedText).update(
            Text.assemble((f" {t('call.heard')}: ", self._dim), call.transcript) if call.transcript else ""
        )

    def _show_banner(self) -> None:
        self.query_one(HealthBanner).show_health(self._callscript_app.health_view(), (self._notice,))

    def notice(self, text: str) -> None:
        """A one-line message in the banner until the flow moves on (errors a user can fix)."""
        self._notice = text
        self._show_banner()

    def refresh_status(self) -> None:
        """Listening/speaking/capabilities changed: redraw the banner (once up: its first frame draws it)."""
        if not self._finished and self.is_mounted:
            self._show_line()
            self._show_banner()

    # -- actions -------------------------------------------------------------------------------

    def on_key(self, event: Key) -> None:
        """A key nothing is bound to gets a short hint rather than silence (dialogs' keys never come here)."""
        if self._finished or event.key in self.active_bindings:
            return
        t = self.app_t
        if event.key == "escape":
            self.notice(t("call.escape_hint", key=self._key("call.end")))
        elif event.character is not None and event.character.isdigit():
            self.notice(t("call.no_such_event", number=event.character))
        elif event.is_printable and event.character:
            self.notice(t("call.key_does_nothing", key=event.character, help=self._key("app.help")))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that mean nothing right now leave the key bar (they still do no harm if pressed)."""
        if self._finished:
            return True
        if action == "said":
            view = self.engine.view()
            return view.say is not None and not view.said
        if action == "demonstrate":
            return self.engine.view().say is not None
        if action == "accept":
            return bool(self.call.suggestions)
        return True

    def action_said(self) -> None:
        """The agent has said the line: its timed waits start now."""
        self.call.say_done()

    def action_event(self, number: int) -> None:
        """The agent declares the step's event on key ``number``."""
        events = self.engine.view().events
        if not 1 <= number <= len(events):
            self.notice(self.app_t("call.no_such_event", number=number))
            return
        self._notice = ""
        self.call.event(events[number - 1].name)

    def action_situation(self, flow_id: str) -> None:
        """Interrupt the call with a situation; it returns here when it is over."""
        self.call.situation(flow_id)

    def action_accept(self) -> None:
        """Take the first suggested situation (if its cause still holds)."""
        self.call.accept()

    def action_gloss(self) -> None:
        self.show_gloss = not self.show_gloss
        self._refresh_view()

    def action_demonstrate(self) -> None:
        """Play the correct phrasing of the current line to the agent."""
        t = self.app_t
        text = self.engine.view().say
        if text is None:
            self.notice(t("call.nothing_to_demonstrate"))
            return
        louder = self.engine.flow.demonstrate_louder
        problem = self._callscript_app.demonstrate(text, self.engine.flow.language, louder=louder)
        if problem is not None:
            self._demonstration_failed(problem.part, problem.detail)
        else:
            self.notice(t("call.demonstrating_louder") if louder else t("call.demonstrating"))

    def _demonstration_failed(self, part: Part | None, detail: str) -> None:
        """A short reason in the interface language in the banner, by the part that failed; what
        happened, its fix and the speaker's own message (often a long PortAudio one, in English)
        in the help dialog (F1)."""
        self.notice(self._callscript_app.demonstration_failed(part, detail))

    def demonstration_finished(self, message: DemonstrationEnded) -> None:
        """The speaker says how the demonstration ended: a failure replaces "demonstrating" with
        what failed and how to fix it; one that played through clears it."""
        t = self.app_t
        playing = (t("call.demonstrating"), t("call.demonstrating_louder"))
        if message.error:
            self._demonstration_failed(message.failed, message.error)
        elif message.completed and self._notice in playing:
            self.notice("")

    def action_caller(self) -> None:
        from callscript.app.screens.dialogs import CallerDialog

        def done(text: str | None) -> None:
            if not text:
                return
            declared = self.call.declaration("title")
            surname, title = parse_caller(text, declared.choices if declared else ())
            if surname:
                self.call.set_variable("surname", surname)
            if title:
                self.call.set_variable("title", title)

        self.app.push_screen(CallerDialog(), done)

    def action_note(self) -> None:
        from callscript.app.screens.dialogs import NoteDialog

        def done(text: str | None) -> None:
            if text:
                self.call.note(text)

        self.app.push_screen(NoteDialog(), done)

    def action_end_call(self) -> None:
        """Ask how the call ends (one key), or go back to it (Esc)."""
        from callscript.app.screens.dialogs import end_call_dialog

        def done(outcome: str | None) -> None:
            if outcome and not self._finished:
                self.call.end(outcome)

        self.app.push_screen(end_call_dialog(self.app_t), done)

    def _ask_variables(self) -> None:
        """The line needs a value nobody gave yet: ask for it (one dialog at a time)."""
        if self._asking or self._finished or not self.is_current:
            return
        needed = self.call.needed()
        if not needed or self.engine.step.say is None:
            return
        from callscript.app.screens.dialogs import VariableDialog

        variable = needed[0]

        def done(value: str | None) -> None:
            self._asking = False
            if self._finished:
                return
            if value:
                self.call.set_variable(variable.name, value)
            else:
                self.call.decline_variable(variable.name)
            self._ask_variables()

        self._asking = True
        self.app.push_screen(VariableDialog(variable, self.engine.step.say, self.engine.variables), done)
