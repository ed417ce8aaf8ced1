"""Choosing what to practise: the situations and calls with lines, Enter for a drill, a key for a quiz."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from callscript.app.keys import display_key
from callscript.app.screens.base import TranslatedBindings
from callscript.app.screens.study.common import SCREENS, STUDY_KEYS, study_binding, study_flows
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.wrap import WrappedText
from callscript.flow.model import Flow


class StudyPickerScreen(TranslatedBindings, Screen[None]):
    """Choose a situation (or a call) to practise: Enter for the drill, F4 for the quiz."""

    BINDINGS = [
        study_binding("study.start", "start(False)", "Drill"),
        study_binding("study.start_quiz", "start(True)", "Quiz"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, *, quiz: bool = False) -> None:
        super().__init__()
        self.flows = study_flows(self._callscript_app.flows)
        self.quiz = quiz  # ``callscript study --quiz``: Enter opens the quiz too
        if quiz:  # so the key bar says what Enter does (the quiz key is hidden: it does the same)
            label = self.app_t("binding.study.start_quiz")
            bindings = self._bindings.key_to_bindings
            for key, group in bindings.items():
                bindings[key] = [replace(b, description=label) if b.id == "study.start" else b for b in group]

    def compose(self) -> ComposeResult:
        t = self.app_t
        yield Static(t("study.heading") + " · " + t("study.pick_heading"), id="study-picker-heading")
        keys = {bid: display_key(self.app_keys.get(bid) or STUDY_KEYS[bid]) for bid in ("study.start", "study.start_quiz")}
        hint = (t("study.pick_keys_quiz", quiz=keys["study.start"]) if self.quiz else
                t("study.pick_keys", drill=keys["study.start"], quiz=keys["study.start_quiz"]))
        yield Static(hint, id="study-picker-keys")
        yield OptionList(id="study-flows")
        yield WrappedText(id="study-flow-info")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        t = self.app_t
        lang = t.language
        other = "en" if lang == "zh" else "zh"
        dim = "" if self.app_plain else "dim"
        options = self.query_one("#study-flows", OptionList)
        items: list[Option | None] = []
        heading_done = {True: False, False: False}
        # Flows with no line to say are listed too, greyed and not selectable, with the reason, so
        # a trainee looking for one knows why it cannot be practised.
        usable = {f.id for f in self.flows}
        listed = self._callscript_app.flows.values()
        for flow in sorted(listed, key=lambda f: (not f.is_situation, f.id not in usable, f.id)):
            situation = flow.is_situation
            if not heading_done[situation]:
                if items:
                    items.append(None)
                items.append(Option(Text(t("study.situations") if situation else t("study.calls"), "bold underline"),
                                    disabled=True))
                heading_done[situation] = True
            if flow.id in usable:
                items.append(Option(Text.assemble((flow.title.pick(lang), "bold"), (f"  {flow.title.pick(other)}", dim),
                                                  (f"  {flow.id}", f"{dim} italic")), id=flow.id))
            else:
                items.append(Option(Text.assemble((flow.title.pick(lang), dim), (f"  {flow.id}", f"{dim} italic"),
                                                  (f"  ({t('study.nothing_to_say')})", dim)), disabled=True))
        options.add_options(items)
        enabled = self._enabled()
        if enabled:
            options.highlighted = enabled[0]
        else:  # no flow has a line to practise (or there are no flows): say so, do not fail
            self.query_one("#study-flow-info", WrappedText).update(Text(t("study.no_flows"), "bold"))
        options.focus()
        self._show_info()

    def _enabled(self) -> list[int]:
        """The positions of the flows that can be chosen (headings and flows with no line cannot)."""
        options = self.query_one("#study-flows", OptionList)
        return [i for i in range(options.option_count) if not options.get_option_at_index(i).disabled]

    def selected(self) -> Flow | None:
        option = self.query_one("#study-flows", OptionList).highlighted_option
        if option is None or option.disabled or option.id is None:
            return None
        return self._callscript_app.flows.get(option.id)

    def _show_info(self) -> None:
        flow = self.selected()
        if flow is None:
            return
        from callscript.training.caller import first_scene

        t = self.app_t
        scene = first_scene(flow)
        self.query_one("#study-flow-info", WrappedText).update(Text.assemble(
            (f"{t('study.caller')}: ", "bold"), scene.description(t.language)) if scene else "")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_info()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start(False)

    def action_move(self, delta: int) -> None:
        options = self.query_one("#study-flows", OptionList)
        enabled = self._enabled()
        if not enabled:
            self.app.bell()
            return
        current = options.highlighted
        position = enabled.index(current) + delta if current in enabled else 0
        options.highlighted = enabled[max(0, min(len(enabled) - 1, position))]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start" and parameters == (True,) and self.quiz:
            return False  # in quiz mode Enter starts the quiz: no second key for it in the key bar
        return True

    def action_start(self, quiz: bool) -> None:
        flow = self.selected()
        if flow is None:
            self.app.bell()
            return
        self.app.push_screen(SCREENS.study(flow.id, quiz=quiz or self.quiz))
