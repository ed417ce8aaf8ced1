"""The replay screen: a past call's timeline, played back at its real timings (1x, 2x, 4x).

What the screen shows comes from ``callscript.app.replay`` (rows, playhead) over a
``callscript.training.timeline.CallTimeline``. Time is the app's injected clock: while playing,
one Textual timer is armed for the next row's time (like the call screen's deadline timer), and a
light tick redraws the position; ``refresh_position()`` does both at once, which is what lets the
Pilot tests move a ``ManualClock`` and see the replay advance without sleeping.

The call's recorded line audio (``record_line_audio``) plays in sync through
``callscript.audio.lineaudio.LineAudioPlayer``: every play, pause, seek and speed change restarts
it from the playhead's position, in a thread worker (opening a device can take a second).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from callscript.app.gloss import fill_gloss
from callscript.app.replay import (
    SPEEDS,
    Playhead,
    Replay,
    Row,
    build_rows,
    describe_call,
    format_interval,
    format_time,
    gloss_of,
    line_audio,
    read_notice,
    row_at,
)
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.line import Banner
from callscript.app.widgets.prompt import NeverItem, NeverPanel, SayContent, SayPanel
from callscript.errors import CallscriptError
from callscript.paths import display_path
from callscript.settings import DEFAULT_KEYS
from callscript.text import fill, visible

if TYPE_CHECKING:
    from callscript.training.timeline import CallTimeline, Visit

REFRESH_SECONDS = 0.1

# Replay keys: the defaults from the settings' DEFAULT_KEYS, where the user can remap them by id.
REPLAY_KEYS = {bid: key for bid, key in DEFAULT_KEYS.items() if bid.startswith("replay.")}


class ReplayScreen(TranslatedBindings, Screen[None]):
    """One past call of a session log, with the controls to play it back."""

    BINDINGS = [
        Binding(REPLAY_KEYS["replay.play"], "play", "Play/pause", priority=True, id="replay.play"),
        Binding(REPLAY_KEYS["replay.forward"], "step(1)", "Next", priority=True, id="replay.forward"),
        Binding(REPLAY_KEYS["replay.back"], "step(-1)", "Previous", show=False, priority=True, id="replay.back"),
        Binding(REPLAY_KEYS["replay.next_mark"], "mark(1)", "Next mark", id="replay.next_mark"),
        Binding(REPLAY_KEYS["replay.prev_mark"], "mark(-1)", "Previous mark", show=False, id="replay.prev_mark"),
        Binding(REPLAY_KEYS["replay.start"], "to_start", "To start", show=False, priority=True, id="replay.start"),
        Binding(REPLAY_KEYS["replay.end"], "to_end", "To end", show=False, priority=True, id="replay.end"),
        Binding(REPLAY_KEYS["replay.speed"], "speed", "Speed", id="replay.speed"),
        *[Binding(str(int(s)), f"set_speed({s})", show=False, id=f"replay.speed{int(s)}") for s in SPEEDS],
        Binding(REPLAY_KEYS["replay.jump"], "jump", "Jump to time", show=False, id="replay.jump"),
        Binding(REPLAY_KEYS["replay.call"], "choose_call", "Choose call", id="replay.call"),
        Binding(REPLAY_KEYS["replay.demonstrate"], "demonstrate", "Demonstrate", id="replay.demonstrate"),
        Binding(REPLAY_KEYS["replay.gloss"], "gloss", "Gloss", show=False, id="replay.gloss"),
        Binding(REPLAY_KEYS["replay.close"], "close", "Close", id="replay.close"),
    ]

    def __init__(self, replay: Replay) -> None:
        super().__init__()
        self.replay = replay
        self.audio_enabled = replay.audio
        self.rows: list[Row] = []
        self.index = 0  # the current row
        self.playhead: Playhead = None  # type: ignore[assignment] - set by show_call
        self.show_gloss = self.app_t.language == "en"
        self._timer: Timer | None = None
        self._notice = ""
        self._audio: Any = None  # LineAudioPlayer once loaded
        self._audio_status = ""
        self._audio_generation = 0
        self._position_text = ""

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="replay-header")
        with Horizontal(id="replay-prompt"):
            yield SayPanel(id="say")
            yield NeverPanel(id="never")
        yield Static(id="replay-position")
        table: DataTable[Any] = DataTable(id="replay-rows", cursor_type="row", zebra_stripes=False)
        yield table
        yield Banner(id="replay-banner")
        yield KeyBar()

    def on_mount(self) -> None:
        plain = self.app_plain
        self.set_class(plain, "-plain")
        for widget in self.query("SayPanel, NeverPanel"):
            widget.plain = plain  # type: ignore[attr-defined]
            widget.set_class(plain, "-plain")
        t = self.app_t
        table = self.query_one(DataTable)
        table.add_column(t("replay.col.time"), key="time", width=7)
        table.add_column(t("replay.col.delta"), key="delta", width=5)
        table.add_column(t("replay.col.what"), key="what")
        table.focus()
        self.set_interval(REFRESH_SECONDS, self._tick)
        self.show_call(self.replay.index)

    def on_unmount(self) -> None:
        self._stop_timer()
        self._stop_audio()

    @property
    def timeline(self) -> CallTimeline:
        return self.replay.timeline

    def show_call(self, index: int) -> None:
        """Show call ``index`` of the log from its start, paused."""
        self._stop_audio()
        self._stop_timer()
        shown = self.replay.index
        self.replay.index = index
        try:
            timeline = self.timeline
        except CallscriptError as exc:  # the file changed under the replay: stay where we were
            self.replay.index = shown
            self.notice(self._callscript_app.note("replay.changed", exc.message))
            return
        flows = self._callscript_app.flows
        self.rows = build_rows(timeline, self.app_t, flows)
        self.playhead = Playhead(self._callscript_app.clock, timeline.duration)
        self.index = 0
        self._notice = read_notice(self.replay, self.app_t)
        self._fill_table()
        self._load_audio()
        self._changed()

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        previous = 0.0
        dim = "" if self.app_plain else "dim"
        for number, row in enumerate(self.rows):
            delta = format_interval(previous, row.t) if number else ""
            previous = row.t
            style = {"mark": "bold red", "step": "bold", "end": "bold", "situation": "bold yellow"}.get(row.kind, "")
            if self.app_plain and row.kind == "mark":
                style = "bold reverse"
            table.add_row(
                Text(format_time(row.t)),
                Text(delta, dim),
                Text(visible(row.text), style),  # log text: shown, never acted on
                key=str(number),
            )

    # -- time ----------------------------------------------------------------------------------

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _rearm(self) -> None:
        """One timer, for when the playhead reaches the next row (or the end)."""
        self._stop_timer()
        if not self.playhead.playing:
            return
        later = [r.t for r in self.rows[self.index + 1:] if r.t > self.playhead.position() + 1e-9]
        target = later[0] if later else self.playhead.duration
        delay = self.playhead.seconds_until(target)
        if delay is not None:
            self._timer = self.set_timer(max(0.0, delay), self._reached, name="replay-next-row")

    def _reached(self) -> None:
        self._timer = None
        self.refresh_position()

    def _tick(self) -> None:
        if self.playhead is not None and self.playhead.playing:
            self.refresh_position()

    def refresh_position(self) -> None:
        """Catch up with the clock: the current row, the end, the readout (timers and tests call this)."""
        if self.playhead.playing:
            ended = self.playhead.at_end
            if ended:
                self.playhead.pause()
                self.playhead.seek(self.playhead.duration)
                self._stop_audio()
            current = row_at(self.rows, self.playhead.position())
            if current != self.index or ended:
                self.index = max(current, self.index) if not ended else len(self.rows) - 1
                self._changed()
                return
            if self._timer is None:
                self._rearm()
        self._show_position()

    def _changed(self) -> None:
        """Redraw after any move, and re-arm the timer."""
        self._rearm()
        table = self.query_one(DataTable)
        if self.rows and table.cursor_row != self.index:
            table.move_cursor(row=self.index, animate=False)
        self._show_header()
        self._show_step()
        self._show_position()
        self._show_banner()
        self.refresh_bindings()

    # -- drawing -------------------------------------------------------------------------------

    def _show_header(self) -> None:
        t = self.app_t
        tl = self.timeline
        flows = self._callscript_app.flows
        flow = flows.get(tl.flow)
        outcome = t(f"outcome.{tl.outcome}") if t.has(f"outcome.{tl.outcome}") else tl.outcome
        self.query_one("#replay-header", Static).update(Text(visible(t(
            "replay.heading", file=Path(tl.path).name, number=self.replay.index + 1, count=len(self.replay.calls),
            title=flow.title.pick(t.language) if flow else tl.flow, agent=tl.agent, outcome=outcome,
        )), "bold", no_wrap=True, overflow="ellipsis"))

    def current_visit(self) -> Visit | None:
        """The step the call was in at the current row."""
        if not self.rows:
            return None
        row = self.rows[self.index]
        if row.visit is not None and row.visit < len(self.timeline.visits):
            return self.timeline.visits[row.visit]
        return self.timeline.visit_at(row.t)

    def _show_step(self) -> None:
        t = self.app_t
        lang = t.language
        visit = self.current_visit()
        flows = self._callscript_app.flows
        flow = flows.get(visit.flow) if visit else None
        step = flow.steps.get(visit.step) if flow and visit else None
        row = self.rows[self.index] if visit is not None else None
        # The line as the agent was shown it then (a surname typed in since the step began), not as entered.
        line = self.replay.line_at(row.visit, row.t) if row is not None else None
        say, variables = (line.say, line.variables) if line is not None else (None, {})
        guidance = say is None and step is not None and step.tip is not None
        said = row is not None and visit is not None and visit.said is not None and visit.said <= row.t + 1e-9
        form = gloss_of(step, say, variables) if step is not None and self.show_gloss else None
        gloss = fill_gloss(form, variables, flow.variables) if form and flow else None  # only while shown, as in a call
        never = tuple(NeverItem(f.kind, fill(f.text, variables), f.gloss) for f in step.never) if step else ()
        self.query_one(SayPanel).show(SayContent(
            say=say, gloss=gloss, show_gloss=self.show_gloss,
            heading=t("call.do") if guidance else t("call.say"),
            empty=step.tip.pick(lang) if guidance else t("call.no_say"),  # type: ignore[union-attr]
            gloss_label=t("call.gloss"), said=said and say is not None, said_label=t("call.said"), guidance=guidance,
        ))
        kinds = {f.kind for f in never}
        title = t("call.never_say") if kinds == {"say"} else t("call.never_do") if kinds == {"do"} else t("call.never")
        self.query_one(NeverPanel).show(never, {"say": t("call.never_say"), "do": t("call.never_do"), "title": title},
                                        self.show_gloss)

    def position_text(self) -> Text:
        """``▶ 00:07.5 / 00:15.5 · 2x · 5/14 · ⚠ 3 marks`` and a bar with the marks on it."""
        t = self.app_t
        head = self.playhead
        position = head.position()
        text = Text()
        text.append(t("replay.playing") if head.playing else t("replay.paused"), "bold")
        text.append(f"  {format_time(position)} / {format_time(head.duration)}  {head.speed:g}x  ")
        text.append(f"{self.index + 1}/{len(self.rows)}  ")
        marks = self.timeline.marks
        text.append(t("replay.marks", count=len(marks)) if marks else t("replay.no_marks"),
                    "bold red" if marks and not self.app_plain else "bold")
        width = max(10, (self.size.width or 80) - 2)
        bar = [("─", "")] * width
        done = int(round(width * position / head.duration)) if head.duration > 0 else width
        for i in range(min(done, width)):
            bar[i] = ("━", "bold")
        for mark in marks:
            i = min(width - 1, int(width * mark.t / head.duration)) if head.duration > 0 else width - 1
            bar[i] = ("◆", "bold red" if not self.app_plain else "bold reverse")
        text.append("\n")
        for char, style in bar:
            text.append(char, style)
        return text

    def _show_position(self) -> None:
        text = self.position_text()
        if text.plain != self._position_text:
            self._position_text = text.plain
            self.query_one("#replay-position", Static).update(text)

    def _show_banner(self) -> None:
        lines = [self._notice, self._audio_status]
        row = self.rows[self.index] if self.rows else None
        if row is not None and row.mark is not None:
            lines.insert(0, row.text)
        self.query_one(Banner).show([line for line in lines if line])

    def notice(self, text: str) -> None:
        self._notice = text
        self._show_banner()

    # -- line audio ----------------------------------------------------------------------------

    def _load_audio(self) -> None:
        self._audio = None
        found = line_audio(self.timeline)
        t = self.app_t
        if found is None:
            self._audio_status = t("replay.audio.none")
            return
        if not self.audio_enabled:
            self._audio_status = t("replay.audio.off")
            return
        self._audio_status = t("replay.audio.ready", file=display_path(found[0]))
        self._load_audio_worker(found[0], found[1], self._audio_generation)

    @work(thread=True, exclusive=True, group="replay-audio-load")
    def _load_audio_worker(self, path: Path, offset: float, generation: int) -> None:
        try:
            from callscript.audio.lineaudio import LineAudioPlayer
            from callscript.speech.playback import parse_device

            device = parse_device(self._callscript_app.settings.output_device)
            player = LineAudioPlayer(path, device).load()
        except CallscriptError as exc:
            self.app.call_from_thread(self._audio_failed, exc.message, generation)
            return
        except Exception as exc:  # noqa: BLE001 - numpy/soundfile missing: the replay goes on silent
            self.app.call_from_thread(self._audio_failed, str(exc), generation)
            return
        self.app.call_from_thread(self._audio_loaded, player, offset, generation)

    def _audio_loaded(self, player: Any, offset: float, generation: int) -> None:
        if generation != self._audio_generation:
            return
        player.offset = offset
        self._audio = player
        self._sync_audio()

    def _audio_failed(self, message: str, generation: int) -> None:
        if generation == self._audio_generation:
            self._audio_status = self._callscript_app.note("replay.audio.cannot", message)
            self._show_banner()

    def _stop_audio(self) -> None:
        self._audio_generation += 1
        if self._audio is not None:
            self._audio.stop()

    def _sync_audio(self) -> None:
        """Restart the line audio at the playhead (or stop it when paused)."""
        self._stop_audio()
        if self._audio is None or not self.playhead.playing:
            return
        position = self.playhead.position() - self._audio.offset
        self._play_audio(self._audio, max(0.0, position), self.playhead.speed, self._audio_generation)

    @work(thread=True, exclusive=True, group="replay-audio")
    def _play_audio(self, player: Any, position: float, speed: float, generation: int) -> None:
        try:
            player.play(position, speed)
        except CallscriptError as exc:
            self.app.call_from_thread(self._audio_failed, exc.message, generation)
            return
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._audio_failed, str(exc), generation)
            return
        if generation != self._audio_generation:  # paused or moved while the device opened
            player.stop()

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose_call":
            return len(self.replay.calls) > 1
        if action == "mark":
            return bool(self.timeline.marks) if self.playhead is not None else True
        return True

    def _seek_row(self, index: int) -> None:
        if not self.rows:
            return
        self.index = max(0, min(len(self.rows) - 1, index))
        self.playhead.seek(self.rows[self.index].t)
        self._sync_audio()
        self._changed()

    def action_play(self) -> None:
        """Play from here, or pause."""
        if self.playhead.playing:
            self.playhead.pause()
        else:
            if self.playhead.at_end:
                self.index = 0
            self.playhead.play()
        self._sync_audio()
        self._changed()

    def action_step(self, delta: int) -> None:
        """The next (or previous) row of the timeline."""
        self._seek_row(self.index + delta)

    def action_mark(self, direction: int) -> None:
        """The next (or previous) compliance mark."""
        candidates = [i for i, r in enumerate(self.rows) if r.kind == "mark"
                      and (i > self.index if direction > 0 else i < self.index)]
        if not candidates:
            self.notice(self.app_t("replay.no_more_marks"))
            self.app.bell()
            return
        self._notice = ""
        self._seek_row(candidates[0] if direction > 0 else candidates[-1])

    def action_to_start(self) -> None:
        self._seek_row(0)

    def action_to_end(self) -> None:
        self.playhead.pause()
        self._seek_row(len(self.rows) - 1)
        self.playhead.seek(self.playhead.duration)
        self._show_position()

    def action_set_speed(self, speed: float) -> None:
        self.playhead.set_speed(float(speed))
        self._sync_audio()
        if self._audio is not None and speed != 1:
            self.notice(self.app_t("replay.audio.faster", speed=f"{speed:g}"))
        else:
            self._notice = ""
        self._changed()

    def action_speed(self) -> None:
        """1x -> 2x -> 4x -> 1x."""
        following = SPEEDS[(SPEEDS.index(self.playhead.speed) + 1) % len(SPEEDS)] if self.playhead.speed in SPEEDS else 1.0
        self.action_set_speed(following)

    def seek_time(self, seconds: float) -> None:
        """Put the playhead at ``seconds`` into the call (the row then current is highlighted).

        At or past the end it is the last row: a timer's hang-up ends the call at its deadline,
        but rows logged after it (a note saved late) can be stamped a little later."""
        self.playhead.seek(seconds)
        self.index = len(self.rows) - 1 if self.playhead.at_end else row_at(self.rows, self.playhead.position())
        self._sync_audio()
        self._changed()

    def action_jump(self) -> None:
        def done(seconds: float | None) -> None:
            if seconds is not None:
                self.seek_time(seconds)

        self.app.push_screen(JumpDialog(), done)

    def action_choose_call(self) -> None:
        flows = self._callscript_app.flows
        lines = [describe_call(tl, self.app_t, flows, n) for n, tl in enumerate(self.replay.calls, start=1)]

        def done(index: int | None) -> None:
            if index is not None:
                self.show_call(index)

        self.app.push_screen(ChooseDialog("replay.choose.heading", lines, self.replay.index), done)

    def action_demonstrate(self) -> None:
        """Play the correct phrasing of the step under the cursor, as the call screen does."""
        t = self.app_t
        visit = self.current_visit()
        if visit is None or not visit.say:
            self.notice(t("call.nothing_to_demonstrate"))
            return
        flow = self._callscript_app.flows.get(visit.flow)
        language = flow.language if flow else "zh-CN"
        louder = bool(flow and flow.demonstrate_louder)
        problem = self._callscript_app.demonstrate(visit.say, language, louder=louder)
        self.notice(self._callscript_app.demonstration_failed(problem.part, problem.detail) if problem else
                    t("call.demonstrating_louder") if louder else t("call.demonstrating"))

    def action_gloss(self) -> None:
        self.show_gloss = not self.show_gloss
        self._show_step()

    def action_close(self) -> None:
        """Back to where the replay was opened from; quit when it was opened from the command line."""
        self._stop_audio()
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The user moved the table's cursor (arrow keys, mouse): the playhead follows."""
        # A highlight the replay itself made, or one already overtaken by the playhead, is not a seek.
        current = self.query_one(DataTable).cursor_row
        if event.cursor_row == current and event.cursor_row != self.index and 0 <= event.cursor_row < len(self.rows):
            self._seek_row(event.cursor_row)


_TIME = re.compile(r"^\s*(?:(\d+):)?(\d+(?:\.\d+)?)\s*$")


def parse_time(text: str) -> float | None:
    """``1:05`` -> 65.0, ``65`` -> 65.0, ``7.5`` -> 7.5; None for anything else."""
    found = _TIME.match(text.replace("\uff1a", ":"))
    if not found:
        return None
    minutes = int(found.group(1) or 0)
    return minutes * 60 + float(found.group(2))


class JumpDialog(TranslatedBindings, ModalScreen[float | None]):
    """One line: the time to jump to (seconds into the call; None: cancelled).

    Something that is not a time is said inside the dialog, which stays open to be corrected:
    Esc after it only closes the dialog, never the replay under it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.app_t("replay.jump.heading"), classes="dialog-heading")
            yield Input(id="dialog-input")
            yield Static("", id="dialog-error")
            yield Static(self.app_t("replay.jump.help"), classes="dialog-help")

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        self.query_one("#dialog-error", Static).display = False
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.dismiss(None)
            return
        seconds = parse_time(text)
        if seconds is None:
            error = self.query_one("#dialog-error", Static)
            error.update(Text(self.app_t("replay.jump.bad", text=text), "bold reverse" if self.app_plain else "bold red"))
            error.display = True
            return
        self.dismiss(seconds)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChooseDialog(TranslatedBindings, ModalScreen[int | None]):
    """A list to choose one line from (a call of the log, a recent log); returns its index."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, heading: str, lines: list[str], selected: int = 0, *, empty: str = "") -> None:
        super().__init__()
        self.heading = heading
        self.lines = lines
        self.selected = selected
        self.empty = empty

    def compose(self) -> ComposeResult:
        t = self.app_t
        with Vertical(classes="dialog"):
            yield Static(t(self.heading), classes="dialog-heading")
            if self.lines:
                yield OptionList(*[Option(Text(line, no_wrap=True, overflow="ellipsis"), id=str(i))
                                   for i, line in enumerate(self.lines)], id="choices")
            else:
                yield Static(self.empty)
            yield Static(t("replay.choose.help"), classes="dialog-help")

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        if self.lines:
            options = self.query_one(OptionList)
            options.highlighted = self.selected
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
