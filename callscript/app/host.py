"""What a screen may ask of the app that shows it, as a ``typing.Protocol``.

Screens never import ``callscript.app.app``: they see the app through this protocol (the
interface language, the keys, plain mode, the flows, and the few services a screen may call), and
report what happened by posting messages that the app handles. The app module wires the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from callscript.app.banner import HealthView
from callscript.health import DeviceHealth, Part
from callscript.i18n import Messages
from callscript.engine.clock import Clock
from callscript.flow.model import Flow
from callscript.settings import Settings


class Host(Protocol):
    """The app as its screens see it (``CallscriptApp`` follows it)."""

    t: Messages
    keys: dict[str, str]
    plain: bool
    flows: Mapping[str, Flow]
    settings: Settings
    clock: Clock
    # The last failure of an action (a demonstration): its screen says it in a few words, F1 in full.
    failures: dict[Part, DeviceHealth]

    def demonstrate(self, text: str, language: str, *, louder: bool = False) -> DeviceHealth | None:
        """Play ``text`` to the agent; why it cannot (typed), or None when it started."""

    def demonstration_failed(self, part: Part | None, detail: str) -> str:
        """Note a failed demonstration for F1; the few words the screen shows."""

    def missing_lines(self) -> list[str]:
        """The banner lines about missing or lost parts, translated."""

    def health_view(self) -> HealthView:
        """The banner about device health (``callscript.app.banner``), for ``HealthBanner``."""

    def note(self, message_id: str, detail: str = "", **fields: object) -> str:
        """``message_id`` in the interface language; ``detail`` (a library's words) kept for F1."""

    def tell(self, message_id: str, *, detail: str = "", severity: str = "information", timeout: float = 8,
             **fields: object) -> None:
        """A toast in the interface language; ``detail`` (a library's own words) goes to F1."""

    def start_call(self, flow_id: str, *, replace_screen: bool = False) -> None:
        """Open a new call on ``flow_id``."""

    def back_to_picker(self) -> None: ...

    def open_settings(self) -> None: ...

    def save_settings(self, settings: Settings) -> Path: ...

    def open_replay(self, path: Path) -> None: ...


__all__ = ["Host"]
