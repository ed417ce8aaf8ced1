"""The words of the trainer's reports (progress and team), in Chinese and English.

The reports are read by trainers, not developers: every heading, measure, outcome and reason code
has a label in the interface catalog (``callscript.i18n``: ``progress.*``, ``report.*``,
``outcome.*``, ``reason.*``), and flows and steps are named by their titles and lines
(``flow_label``, ``step_label``), never by ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from callscript.i18n import messages


def interface_language(explicit: str | None = None) -> str:
    """``explicit`` (a command's ``--lang``), else the settings' interface language (zh by default;
    the defaults when the settings file cannot be read: the command has its own work to do)."""
    if explicit:
        return explicit
    from callscript.settings import load_settings_or_defaults

    settings, _problem = load_settings_or_defaults()
    return settings.interface_language


def words(language: str) -> Callable[..., str]:
    """``t(id, **fields)``: the text of ``id`` in ``language`` (``zh`` or ``en``), fields filled."""
    return messages(language)


def label(prefix: str, code: str, language: str) -> str:
    """The label of an outcome (``outcome``) or a reason code (``reason``); the code itself
    where there is none (a log from a newer version may carry one this version does not know)."""
    t = messages(language)
    return t(f"{prefix}.{code}") if t.has(f"{prefix}.{code}") else code


def flow_label(flows: Mapping[str, Any] | None, flow_id: str, language: str) -> str:
    """A flow's title in ``language`` (its id only when the flow is not known here)."""
    flow = (flows or {}).get(flow_id)
    return flow.title.pick("en" if language.startswith("en") else "zh") if flow is not None else flow_id


def step_label(flows: Mapping[str, Any] | None, flow_id: str, step_id: str, language: str, *, width: int = 14) -> str:
    """A step as a trainer knows it: the flow's title and the opening words of the line (or of
    its tip), e.g. ``无声电话 · 您好,请问有什么可以…``."""
    flow = (flows or {}).get(flow_id)
    step = flow.steps.get(step_id) if flow is not None else None
    if step is None:
        return f"{flow_label(flows, flow_id, language)} · {step_id}"
    lang = "en" if language.startswith("en") else "zh"
    text = step.say if step.say is not None else (step.tip.pick(lang) if step.tip else step_id)
    if step.say is not None:
        from callscript.text import fill

        text = fill(text, flow.defaults())
    short = text if len(text) <= width else text[: width - 1].rstrip(",,、 ") + "…"
    return f"{flow.title.pick(lang)} · {short}"
