"""The flow picker: type to filter (Chinese or English titles, or the id), Enter to start a call."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from callscript.app.keys import display_key, situation_id
from callscript.app.screens.base import TranslatedBindings, translate_bindings
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.wrap import WrappedText
from callscript.flow.model import Flow
from callscript.settings import DEFAULT_KEYS
from callscript.text import fill, normalise


def matches(flow: Flow, query: str) -> bool:
    """Whether ``query`` (as typed) is found in the flow's Chinese or English title or its id."""
    wanted = normalise(query)
    if not wanted:
        return True
    haystacks = (flow.title.zh, flow.title.en, flow.id, flow.situation.label.zh if flow.situation else "",
                 flow.situation.label.en if flow.situation else "")
    return any(wanted in normalise(h) for h in haystacks if h)


class FlowPickerScreen(TranslatedBindings, Screen[None]):
    """Choose the flow of the next call. Calls first, then the situations (each also a drill)."""

    BINDINGS = [
        Binding(DEFAULT_KEYS["picker.start"], "start", "Start call", id="picker.start"),
        Binding(DEFAULT_KEYS["picker.settings"], "settings", "Settings", id="picker.settings"),
        # Study the highlighted flow (callscript study), and replay a recent call (callscript
        # replay: a list of the newest logs, then the replay screen). In the key bar, so they are found.
        Binding(DEFAULT_KEYS["picker.study"], "study", "Study", id="picker.study"),
        Binding(DEFAULT_KEYS["picker.replay"], "replay", "Replay a call", id="picker.replay"),
        Binding("escape", "clear", "Clear filter", show=False, id="picker.clear"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(5)", show=False),
        Binding("pageup", "move(-5)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        flows = self._callscript_app.flows
        self.calls = sorted((f for f in flows.values() if not f.is_situation), key=self._order)
        self.situations = sorted((f for f in flows.values() if f.is_situation), key=lambda f: f.id)

    def _order(self, flow: Flow) -> tuple[int, str]:
        return (0 if flow.id == self._callscript_app.settings.default_flow else 1, flow.id)

    def compose(self) -> ComposeResult:
        t = self.app_t
        yield Static(t("app.title") + " · " + t("picker.heading"), id="picker-heading")
        yield Input(placeholder=t("picker.filter"), id="filter")
        yield Static(t("picker.keys", start=display_key(self.app_keys.get("picker.start", "enter")),
                       settings=display_key(self.app_keys.get("picker.settings", "f2"))), id="picker-keys")
        yield OptionList(id="flows")
        yield WrappedText(id="flow-info")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        # What was typed already counts: keys that arrive while the screen mounts reach the box
        # (and its Changed) before this runs, and filling with "" here used to undo that filter.
        box = self.query_one("#filter", Input)
        self._fill(box.value)
        box.focus()

    def on_screen_resume(self) -> None:
        """Back from a call, the study or the replay: the last filter stays (Enter starts the same
        flow again) but is selected, so typing the next flow's name replaces it."""
        box = self.query_one("#filter", Input)
        box.focus()
        box.select_all()

    def settings_changed(self) -> None:
        """New settings were saved: redraw in the new language, keys and mode."""
        translate_bindings(self._bindings, self.app_t)
        self.calls.sort(key=self._order)

        async def rebuild() -> None:
            await self.recompose()
            self.on_mount()
            self.refresh_bindings()

        self.call_later(rebuild)

    def _label(self, flow: Flow) -> Text:
        lang = self.app_t.language
        other = "en" if lang == "zh" else "zh"
        text = Text()
        if flow.situation is not None:
            key = self.app_keys.get(situation_id(flow.id), "")
            text.append(f"[{display_key(key)}] " if key else "    ", "bold")
        text.append(flow.title.pick(lang), "bold")
        dim = "" if self.app_plain else "dim"
        text.append(f"  {flow.title.pick(other)}", dim)
        text.append(f"  {flow.id}", f"{dim} italic")
        return text

    def _fill(self, query: str) -> None:
        t = self.app_t
        options = self.query_one("#flows", OptionList)
        options.clear_options()
        calls = [f for f in self.calls if matches(f, query)]
        situations = [f for f in self.situations if matches(f, query)]
        items: list[Option | None] = []
        if calls:
            items.append(Option(Text(t("picker.calls"), "bold underline"), disabled=True))
            items += [Option(self._label(f), id=f.id) for f in calls]
        if situations:
            if items:
                items.append(None)
            items.append(Option(Text(t("picker.situations"), "bold underline"), disabled=True))
            items += [Option(self._label(f), id=f.id) for f in situations]
        if not items:
            items.append(Option(Text(t("picker.none", text=query), "italic"), disabled=True))
        options.add_options(items)
        first = next((i for i in range(options.option_count) if not options.get_option_at_index(i).disabled), None)
        options.highlighted = first
        self._show_info()

    def _show_info(self) -> None:
        info = self.query_one("#flow-info", WrappedText)
        flow = self.selected()
        total = len(self.calls) + len(self.situations)
        shown = sum(1 for f in [*self.calls, *self.situations] if matches(f, self.query_one("#filter", Input).value))
        count = self.app_t("picker.count", shown=shown, total=total)
        if flow is None:
            info.update(Text(count, "bold"))
            return
        info.update(Text.assemble((count + "  ", "bold"), self._about(flow)))

    def _about(self, flow: Flow) -> str:
        """What the flow is for, in the interface language: the English gloss in English; in
        Chinese the flow's title, the manual's section it follows and its first line (the gloss
        is English, for trainers)."""
        t = self.app_t
        if t.language == "en":
            return flow.gloss
        about = t("picker.about", title=flow.title.pick(t.language), section=flow.source.section)
        first = flow.steps[flow.start].say if flow.start in flow.steps else None
        if not first:
            return about
        values = {**flow.defaults(), **self._callscript_app.settings.variables()}  # as the call will show it
        return about + "\n" + t("picker.first_line", say=fill(first, values))

    def selected(self) -> Flow | None:
        options = self.query_one("#flows", OptionList)
        option = options.highlighted_option
        if option is None or option.disabled or option.id is None:
            return None
        return self._callscript_app.flows.get(option.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_info()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_start()

    def action_move(self, delta: int) -> None:
        options = self.query_one("#flows", OptionList)
        enabled = [i for i in range(options.option_count) if not options.get_option_at_index(i).disabled]
        if not enabled:
            return
        current = options.highlighted
        if current not in enabled:
            options.highlighted = enabled[0]
            return
        position = max(0, min(len(enabled) - 1, enabled.index(current) + delta))
        options.highlighted = enabled[position]

    def action_start(self) -> None:
        flow = self.selected()
        if flow is None:
            self.app.bell()
            return
        self._callscript_app.start_call(flow.id)

    def action_study(self) -> None:
        """Open a self-study drill on the highlighted flow."""
        from callscript.app.screens.study import open_study, study_flows

        flow = self.selected()
        if flow is None or flow.id not in {f.id for f in study_flows(self._callscript_app.flows)}:
            self.app.bell()
            return
        open_study(self.app, flow.id)

    def action_replay(self, local: bool = False) -> None:
        """List the recent calls (newest first): the team store's when one is set (unless
        ``local``), else this PC's logs; the chosen one opens in the replay screen."""
        from callscript.paths import display_path
        from callscript.app.replay import describe_log, recent_logs, summarize_log
        from callscript.app.screens.replay import ChooseDialog

        app = self._callscript_app
        t = self.app_t
        if app.settings.team.store and not local:
            # The team store lists every agent's calls (a trainer's login); an agent's login
            # cannot read it, and then F4 lists this PC's logs as before.
            from callscript.app.screens.store_calls import LOCAL, StoreCallsDialog

            def fetched(result: Path | str | None) -> None:
                if result == LOCAL:
                    self.action_replay(local=True)
                elif result is not None:
                    app.open_replay(Path(result))

            self.app.push_screen(StoreCallsDialog(app.settings.team.store, app.private_folder("replays")), fetched)
            return
        logs = recent_logs(app.log_dir)
        lines = [describe_log(summarize_log(path), t, app.flows) for path in logs]

        def chosen(index: int | None) -> None:
            if index is not None:
                app.open_replay(logs[index])

        self.app.push_screen(ChooseDialog("replay.recent.heading", lines,
                                          empty=t("replay.recent.none", dir=display_path(app.log_dir))), chosen)

    def action_settings(self) -> None:
        self._callscript_app.open_settings()

    def action_clear(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""
