"""Which key does what: the defaults, the user's remapping, and the flows' situation hotkeys.

Every binding in the app has an id (``call.said``, ``situation.silent_call`` ...). The keys come
from ``callscript.settings.DEFAULT_KEYS``, the flows' suggested situation keys, and the user's
``[keys]`` table, in that order. Two bindings of one screen on the same key would make one of them
unreachable, so ``conflicts`` finds them and the app says so. No Textual import here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from callscript.flow.model import Flow
from callscript.settings import DEFAULT_KEYS

# Bindings active together, by id prefix or whole id: app-wide ones are active on every screen.
# The study screens share the ``study.`` prefix but not their keys (Enter is "next" in a drill,
# "again" on its summary and "drill" in its picker), so each is a scope of its own.
_SCOPES = {"picker": ("picker", "app"), "call": ("call", "situation", "app"), "summary": ("summary", "app"),
           "settings": ("settings", "app"), "replay": ("replay", "app"),
           "study": ("study.demonstrate", "study.caller", "study.finish", "study.quiz", "study.next", "study.back",
                     "app"),
           "study summary": ("study.again", "study.back", "app"),
           "study picker": ("study.start", "study.start_quiz", "app")}


def situation_id(flow_id: str) -> str:
    """The binding id of a situation's hotkey."""
    return f"situation.{flow_id}"


def effective_keys(user_keys: Mapping[str, str], situations: Iterable[Flow]) -> dict[str, str]:
    """Binding id -> key(s) for everything the app binds, after the user's remapping."""
    keys = dict(DEFAULT_KEYS)
    for flow in situations:
        if flow.situation is not None and flow.situation.key:
            keys[situation_id(flow.id)] = flow.situation.key
    keys.update(user_keys)
    return {bid: key for bid, key in keys.items() if key}


def conflicts(keys: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(key, [binding ids]) for every key bound twice within one screen, sorted by key."""
    found: dict[str, set[str]] = {}
    for scope, prefixes in _SCOPES.items():
        by_key: dict[str, list[str]] = {}
        for bid, spec in keys.items():
            if bid not in prefixes and bid.split(".", 1)[0] not in prefixes:
                continue
            for key in spec.split(","):
                by_key.setdefault(key.strip(), []).append(bid)
        for key, ids in by_key.items():
            if len(ids) > 1:
                found.setdefault(key, set()).update(ids)
    return [(key, sorted(ids)) for key, ids in sorted(found.items())]


def _key_to_character(name: str) -> str | None:
    """The printable character of a Textual key name (``full_stop`` -> ``.``, ``plus`` -> ``+``)."""
    from textual.keys import REPLACED_KEYS, key_to_character

    character = key_to_character(REPLACED_KEYS.get(name, name))
    return character if character is not None and character.isprintable() else None


def display_key(key: str, *, short: bool = False) -> str:
    """A key spec as a person reads it: ``space`` -> ``Space``, ``ctrl+e`` -> ``Ctrl+E``
    (``^E`` when ``short``, for the key bar), ``right`` -> ``→``, ``full_stop`` -> ``.``: never
    Textual's raw key names."""
    names = {"space": "Space", "enter": "Enter", "escape": "Esc", "tab": "Tab", "backspace": "Backspace",
             "delete": "Del", "insert": "Ins", "home": "Home", "end": "End", "pageup": "PgUp", "pagedown": "PgDn",
             "up": "↑", "down": "↓", "left": "←", "right": "→"}

    def one(part: str) -> str:
        if part in names:
            return names[part]
        if part.startswith("ctrl+"):
            return ("^" if short else "Ctrl+") + one(part[5:]).upper()
        if part.startswith("shift+"):
            return "Shift+" + one(part[6:])
        if len(part) > 1 and part[0] == "f" and part[1:].isdigit():
            return part.upper()
        character = _key_to_character(part)
        return character if character is not None else part

    return "/".join(one(k.strip()) for k in key.split(","))
