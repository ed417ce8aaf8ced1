"""Line conditions and variables by name, in the interface language: one mapping for the call
screen and the replay.

A line condition is a code in the live call and its log (``silence``, ``speech_started``,
``low_volume`` ...: ``callscript.flow.model.LINE_CONDITIONS``, and ``agent_said`` /
``agent_forbidden`` from the agent's own microphone). The agent reads it by name:
``condition.<code>`` says what happened on the line, ``cause.<code>`` why a situation is suggested
(with how long the silence lasted). A variable is named by the question its flow declares for
asking it (``ask``). A code or a variable the catalogs and flows do not know (a log from a newer
version) is shown as it is rather than hidden. No Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callscript.flow.model import Flow
    from callscript.i18n import Messages

AGENT_CONDITIONS = ("agent_said", "agent_forbidden")  # from the agent's microphone


def condition_name(t: Messages, code: str) -> str:
    """What the line did, by name (``silence`` -> 线路静音); an unknown code as it is."""
    key = f"condition.{code}"
    return t(key) if t.has(key) else code


def cause_text(t: Messages, code: str, seconds: float | None = None) -> str:
    """Why a situation is suggested (``silence`` for 5 s -> 线路静音 5 秒); an unknown code as it is."""
    key = f"cause.{code}"
    if not t.has(key):
        return code
    return t(key, seconds=f"{seconds:g}" if isinstance(seconds, (int, float)) else "?")


def variable_label(t: Messages, name: str, flows: Mapping[str, Flow], first: str | None = None) -> str:
    """A variable by the question its flow asks for it (``surname`` -> 客户贵姓), without the
    question mark: the flow ``first`` when it declares one, else the first flow that does; the
    id itself when no flow says how to ask for it."""
    order = ([flows[first]] if first in flows else []) + list(flows.values())  # type: ignore[index]
    for flow in order:
        declared = flow.variables.get(name)
        if declared is not None and declared.ask is not None:
            return declared.ask.pick(t.language).strip().rstrip("?？").strip() or name
    return name


__all__ = ["AGENT_CONDITIONS", "cause_text", "condition_name", "variable_label"]
