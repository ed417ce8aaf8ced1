"""What the study screens share: their options, the host app they need, keys, and leaving study.

The screens never import the app module: what they use of the app is the small ``StudyHost``
protocol below (the flows, the clock, the catalog, the keys, the speaker for demonstrations and
the study options). ``callscript.app.study`` builds the app that satisfies it.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from textual.binding import Binding
from textual.screen import Screen

from callscript.i18n import Messages
from callscript.engine.clock import Clock
from callscript.flow.model import Flow
from callscript.health import DeviceHealth, Part
from callscript.settings import DEFAULT_KEYS, Settings
from callscript.training.drill import study_flows

__all__ = ["SCREENS", "STUDY_KEYS", "StudyHost", "StudyScreens", "StudyOptions", "default_options", "leave_study", "login_name",
           "study_binding", "study_flows", "study_options"]

# Study keys: the defaults from the settings' DEFAULT_KEYS, where the user can remap them by id.
# Ctrl keys, with priority, because the answer box has the focus while the trainee types.
STUDY_KEYS: dict[str, str] = {bid: key for bid, key in DEFAULT_KEYS.items() if bid.startswith("study.")}


class StudyHost(Protocol):
    """What the study screens use of the app they run in."""

    flows: Mapping[str, Flow]
    clock: Clock
    settings: Settings
    t: Messages
    keys: dict[str, str]
    plain: bool

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> DeviceHealth | None:
        """Say ``text`` through the app's speaker; why it cannot (typed), or None when it plays."""

    def demonstration_failed(self, part: Part | None, detail: str) -> str:
        """Note a failed demonstration for F1; the few words the screen shows."""

    def note(self, message_id: str, detail: str = "", **fields: object) -> str:
        """``message_id`` in the interface language; ``detail`` (a library's words) kept for F1."""


@dataclass
class StudyOptions:
    """What the study screens use: the progress ``store`` (or a factory; None: not recorded), the
    ``trainee``, the ``caller`` player (``training.caller.CallerAudio``, a factory, or None: no
    caller audio here), the ``listener`` for spoken answers (a ``ports.Listener``, a factory, or
    None: typing only), ``variables`` for the lines, and ``quiz_seed`` (None: a new order each time)."""

    store: Any = None
    trainee: str | None = None
    caller: Any = None
    listener: Any = None
    variables: dict[str, str] = field(default_factory=dict)
    quiz_seed: int | None = None
    no_caller_reason: str | None = None
    no_caller_part: Part | None = None  # the part that failed, when its error's type says so
    audio_off: bool = False  # --no-audio: no caller on purpose, which the drill says as such

    def open_store(self) -> Any:
        if callable(self.store) and not hasattr(self.store, "record"):
            self.store = self.store()
        return self.store


def default_options(settings: Settings, *, audio_off: bool = False) -> StudyOptions:
    """Study options for an app that was not built by ``make_study_app`` (the call picker's key):
    the default progress database, the agent name (else the login name), caller audio on the
    headset output unless audio is off (``--no-audio``: no caller at all)."""

    def store() -> Any:
        from callscript.training.progress import ProgressStore

        return ProgressStore()

    def caller() -> Any:
        from callscript.training.caller import CallerAudio

        return CallerAudio(settings.output_device or None)

    return StudyOptions(store=store, trainee=settings.agent.strip() or login_name(),
                        caller=None if audio_off else caller, variables=settings.variables(), audio_off=audio_off)


def login_name() -> str:
    """The login name, or "trainee" where there is none (some containers)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "trainee"


def study_options(app: Any) -> StudyOptions:
    """The app's study options, made from its settings the first time a study screen asks."""
    options = getattr(app, "study", None)
    if options is None:
        # The call app knows whether audio was switched off (``--no-audio``); other hosts have it on.
        options = app.study = default_options(app.settings, audio_off=bool(getattr(app, "audio_off", False)))
    return options


class StudyScreens:
    """The study screens by role, filled in by the package (``callscript.app.screens.study``).

    A screen that opens another (the summary's "again", leaving for the picker) asks for it here
    instead of importing its module, so the screens do not import one another in a circle.
    """

    picker: Callable[..., Screen[Any]]
    study: Callable[..., Screen[Any]]


SCREENS = StudyScreens()


def leave_study(app: Any) -> None:
    """Back to where the study began: the screen below (the call picker), or the study picker."""
    below = app.screen_stack[-2] if len(app.screen_stack) > 1 else None
    if below is not None and below.id != "base":
        app.pop_screen()
    else:
        app.switch_screen(SCREENS.picker(quiz=getattr(app, "quiz", False)))


def study_binding(bid: str, action: str, description: str, **kwargs: Any) -> Binding:
    """A study binding with its id, on the key the settings give that id by default."""
    return Binding(STUDY_KEYS[bid], action, description, id=bid, **kwargs)
