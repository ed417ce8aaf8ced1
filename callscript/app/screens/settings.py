"""The settings screen: edit ``settings.toml`` with the keyboard, Ctrl+S to save, Esc to cancel."""

from __future__ import annotations

import re
from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from callscript.app.keys import situation_id
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.keybar import KeyBar
from callscript.errors import CallscriptError
from callscript.paths import display_path
from callscript.settings import DEFAULT_KEYS, Settings, settings_path

_KEY = re.compile(r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$")
# The key groups of the form, in order; each has a heading ``settings.keys.<group>``.
KEY_GROUPS = ("app", "picker", "call", "situation", "summary", "replay", "study", "settings")
_TEXT_FIELDS = ("agent", "hotline", "input_device", "agent_input_device", "output_device", "model_dir")


class OnOffCheckbox(Checkbox):
    """A checkbox that reads right without colour: ``✓`` and "on" when set, an empty box and
    "off" when not (Textual's own mark is the same ``X`` both ways, told apart only by colour)."""

    def __init__(self, value: bool, *, on: str, off: str, **kwargs: object) -> None:
        self._labels = (off, on)
        super().__init__(on if value else off, value, **kwargs)  # type: ignore[arg-type]
        self._show(value)

    def _show(self, value: bool) -> None:
        # BUTTON_INNER is the public class-level glyph; set per instance, it follows the value.
        self.BUTTON_INNER = "✓" if value else " "
        self.label = self._labels[int(value)]

    def watch_value(self, value: bool) -> None:
        self._show(value)


class SettingsScreen(TranslatedBindings, Screen[bool]):
    """Every setting on one scrolling form; returns True when saved."""

    BINDINGS = [
        Binding(DEFAULT_KEYS["settings.save"], "save", "Save", id="settings.save"),
        Binding(DEFAULT_KEYS["settings.cancel"], "cancel", "Cancel", id="settings.cancel"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def _row(self, label: str, widget: Input | Select[str] | Checkbox) -> Horizontal:
        return Horizontal(Label(label, classes="field-label"), widget, classes="field")

    def _input(self, value: str, field_id: str, hint: str = "", **kwargs: object) -> Input:
        # Compact (one line, no border) so that the whole form reads as a list at 80x24; the
        # hint is the placeholder, visible exactly when the field is empty.
        return Input(value, placeholder=hint, id=field_id, compact=True, **kwargs)  # type: ignore[arg-type]

    def _checkbox(self, value: bool, field_id: str) -> OnOffCheckbox:
        return OnOffCheckbox(value, on=self.app_t("settings.on"), off=self.app_t("settings.off"), id=field_id,
                             compact=True)

    def compose(self) -> ComposeResult:
        t = self.app_t
        s = self.settings
        app = self._callscript_app
        defaults: dict[str, str] = {}
        for flow in app.flows.values():
            defaults.update(flow.defaults())
        yield Static(t("settings.heading") + " · " + t("settings.file", path=display_path(settings_path())),
                     id="settings-heading")
        problem = app.settings_problem
        if problem is not None:
            # The form shows the default for a value the file holds wrongly; saving leaves the
            # file's value as it is unless the field is changed here.
            yield Static(t("settings.file_problems", error=problem.render()), id="settings-problems", markup=False)
        with VerticalScroll(id="settings-form"):
            yield self._row(t("settings.agent"), self._input(
                s.agent, "agent", t("settings.flow_default", value=defaults.get("agent", "—"))))
            yield self._row(t("settings.hotline"), self._input(
                s.hotline, "hotline", t("settings.flow_default", value=defaults.get("hotline", "—"))))
            yield self._row(t("settings.interface_language"), Select(
                [(t("lang.zh"), "zh"), (t("lang.en"), "en")], value=s.interface_language, allow_blank=False,
                id="interface_language", compact=True))
            flows = sorted(app.flows.values(), key=lambda f: (f.is_situation, f.id))
            choices = [(f"{f.title.pick(t.language)} ({f.id})", f.id) for f in flows]
            if s.default_flow not in app.flows:
                choices.insert(0, (s.default_flow, s.default_flow))
            yield self._row(t("settings.default_flow"), Select(choices, value=s.default_flow, allow_blank=False,
                                                                id="default_flow", compact=True))
            yield self._row(t("settings.plain"), self._checkbox(s.plain, "plain"))
            yield self._row(t("settings.tts_rate"), self._input(str(s.tts_rate), "tts_rate", "170", type="integer"))
            yield self._row(t("settings.tts_volume"), self._input(f"{s.tts_volume:g}", "tts_volume", "0.9",
                                                                  type="number"))
            for name in ("input_device", "agent_input_device", "output_device", "model_dir"):
                # An empty agent microphone is none, not the system default (callscript run --help).
                # An empty model folder is $CALLSCRIPT_MODEL_DIR, else the model for the flow's language.
                hint = t({"agent_input_device": "settings.agent_device_none", "model_dir": "settings.model_default"}
                         .get(name, "settings.device_default"))
                yield self._row(t(f"settings.{name}"), self._input(getattr(s, name), name, hint))
            yield self._row(t("settings.record_line_audio"), self._checkbox(s.record_line_audio, "record_line_audio"))
            yield Static(t("settings.keys") + " — " + t("settings.keys_help"), classes="section-heading")
            # One heading per screen: "Next" or "Demonstrate" means something else in a replay
            # and in a drill, and the list is long.
            for group, ids in self._binding_groups():
                yield Static(t(f"settings.keys.{group}"), classes="key-group", id=f"keys-{group}")
                for bid in ids:
                    yield self._row(self._binding_label(bid), self._input(
                        app.keys.get(bid, ""), f"key-{bid.replace('.', '-')}", classes="key-input"))
            with Horizontal(id="settings-buttons"):
                yield Button(t("settings.save"), variant="primary", id="save", compact=True)
                yield Button(t("settings.cancel"), id="cancel", compact=True)
        yield KeyBar()

    def _binding_ids(self) -> list[str]:
        ids = list(DEFAULT_KEYS)
        situations = sorted(f.id for f in self._callscript_app.flows.values() if f.is_situation)
        return ids + [situation_id(fid) for fid in situations]

    def _binding_groups(self) -> list[tuple[str, list[str]]]:
        """The binding ids by screen (their prefix), in the order a user meets the screens."""
        groups: dict[str, list[str]] = {group: [] for group in KEY_GROUPS}
        for bid in self._binding_ids():
            groups.setdefault(bid.split(".", 1)[0], []).append(bid)
        return [(group, ids) for group, ids in groups.items() if ids]

    def _binding_label(self, bid: str) -> str:
        t = self.app_t
        if bid.startswith("situation."):
            flow = self._callscript_app.flows[bid.split(".", 1)[1]]
            return f"{flow.situation.label.pick(t.language)}"  # type: ignore[union-attr]
        if bid.startswith("call.event"):
            return f"{t('call.events')} {bid.removeprefix('call.event')}"
        return t(f"binding.{bid}") if t.has(f"binding.{bid}") else bid

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        self.query_one("#agent", Input).focus()

    def collect(self) -> Settings:
        """The form as ``Settings``; ``CallscriptError`` names the first field that is wrong."""
        t = self.app_t
        values: dict[str, object] = {name: self.query_one(f"#{name}", Input).value.strip() for name in _TEXT_FIELDS}
        values["interface_language"] = self.query_one("#interface_language", Select).value
        values["default_flow"] = self.query_one("#default_flow", Select).value
        values["plain"] = self.query_one("#plain", Checkbox).value
        values["record_line_audio"] = self.query_one("#record_line_audio", Checkbox).value
        try:
            values["tts_rate"] = int(self.query_one("#tts_rate", Input).value)
        except ValueError:
            raise CallscriptError(t("settings.bad_number", field=t("settings.tts_rate"))) from None
        try:
            values["tts_volume"] = float(self.query_one("#tts_volume", Input).value)
        except ValueError:
            raise CallscriptError(t("settings.bad_number", field=t("settings.tts_volume"))) from None
        keys = dict(self.settings.keys)
        situation_keys = {situation_id(f.id): f.situation.key for f in self._callscript_app.flows.values()
                          if f.situation is not None}
        for bid in self._binding_ids():
            key = self.query_one(f"#key-{bid.replace('.', '-')}", Input).value.strip().lower().replace(" ", "")
            if not key or not _KEY.match(key):
                raise CallscriptError(t("settings.bad_key", id=self._binding_label(bid), key=key))
            if bid.startswith("situation.") and key == situation_keys.get(bid):
                keys.pop(bid, None)  # the flow's own key: follow the flow if its author changes it
            else:
                keys[bid] = key
        if not 40 <= int(values["tts_rate"]) <= 500:  # type: ignore[call-overload]
            raise CallscriptError(t("settings.bad_number", field=t("settings.tts_rate")) + " (40–500)")
        if not 0.0 <= float(values["tts_volume"]) <= 1.0:  # type: ignore[arg-type]
            raise CallscriptError(t("settings.bad_number", field=t("settings.tts_volume")) + " (0.0–1.0)")
        return replace(self.settings, keys=keys, **values)  # type: ignore[arg-type]

    def action_save(self) -> None:
        t = self.app_t
        try:
            settings = self.collect()  # its errors are the form's own, in the interface language
        except CallscriptError as exc:
            self.notify(t("settings.invalid", message=exc.message), severity="error", markup=False)
            return
        try:
            path = self._callscript_app.save_settings(settings)
        except CallscriptError as exc:  # the settings file's own words (English): F1 has them
            hint = f" ({exc.hint})" if exc.hint else ""
            self._callscript_app.tell("settings.not_saved", detail=exc.message + hint, severity="error",
                                      where=display_path(exc.where) if exc.where else display_path(settings_path()))
            return
        except OSError as exc:
            self._callscript_app.tell("settings.not_saved", detail=f"{exc.strerror or exc}", severity="error",
                                      where=display_path(exc.filename or settings_path()))
            return
        self.app.notify(t("settings.saved", path=display_path(path)), markup=False)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
