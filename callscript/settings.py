"""The user's settings: one TOML file in the user's config directory.

``Settings`` is a plain dataclass with a default for everything, so a missing file simply means the
defaults. A file that cannot be read or that holds a wrong value is reported as one
``CallscriptError`` naming the file and the line; the app then starts with the defaults and says
so. Nothing here imports Textual (a test proves it), so the headless commands can read settings too.

The file lives in ``platformdirs.user_config_path('callscript')/settings.toml``; tests (and users
who want a portable setup) point ``CALLSCRIPT_CONFIG_DIR`` at another directory.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from callscript.errors import CallscriptError

CONFIG_DIR_ENV = "CALLSCRIPT_CONFIG_DIR"
SETTINGS_FILE = "settings.toml"
LANGUAGES = ("zh", "en")

# Every remappable key of the app, by binding id, grouped by screen (the id's prefix; the settings
# screen lists them under one heading per group). Situation hotkeys come from the flows
# (``situation.<flow id>``) and are added to the keymap only when the user remaps them. The
# numbered keys of the replay speeds (1/2/4) and the quiz's options (1-9) are not remappable: they
# are the numbers shown on screen.
DEFAULT_KEYS: dict[str, str] = {
    "app.quit": "ctrl+q",
    "app.help": "f1",
    "picker.start": "enter",
    "picker.settings": "f2",
    "picker.study": "f3",
    "picker.replay": "f4",
    "call.said": "space",
    "call.accept": "enter",
    "call.gloss": "g",
    "call.demonstrate": "v",
    "call.caller": "t",
    "call.note": "m",
    "call.end": "ctrl+e",
    **{f"call.event{n}": str(n) for n in range(1, 10)},
    "summary.next": "enter",
    "summary.picker": "escape",
    # callscript replay (and F4 in the picker)
    "replay.play": "space",
    "replay.forward": "right,full_stop",
    "replay.back": "left,comma",
    "replay.next_mark": "n,right_square_bracket",
    "replay.prev_mark": "p,left_square_bracket",
    "replay.start": "home",
    "replay.end": "end",
    "replay.speed": "s",
    "replay.jump": "j",
    "replay.call": "c",
    "replay.demonstrate": "v",
    "replay.gloss": "g",
    "replay.close": "escape",
    # callscript study (and F3 in the picker). Ctrl keys while the answer box has the focus.
    "study.demonstrate": "ctrl+d",
    "study.caller": "ctrl+r",
    "study.finish": "ctrl+e",
    "study.quiz": "ctrl+t",
    "study.next": "enter",
    "study.back": "escape",
    "study.again": "enter",
    "study.start": "enter",
    "study.start_quiz": "f4",
    "settings.save": "ctrl+s",
    "settings.cancel": "escape",
}

_KEY_PATTERN = re.compile(r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$")


@dataclass
class Settings:
    """Everything a user can set; every field has a sensible default.

    ``agent`` and ``hotline`` fill the flows' ``{agent}`` and ``{hotline}`` when not empty (an empty
    value keeps the flow's own default). Device names and ``model_dir`` are empty for "the system
    default". ``keys`` maps binding ids to Textual key names (``space``, ``ctrl+e``, ``f2``).
    """

    agent: str = ""
    hotline: str = ""
    interface_language: str = "zh"
    default_flow: str = "main_call"
    keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    plain: bool = False
    tts_rate: int = 170
    tts_volume: float = 0.9
    input_device: str = ""
    agent_input_device: str = ""
    output_device: str = ""
    model_dir: str = ""
    record_line_audio: bool = False

    def variables(self) -> dict[str, str]:
        """Flow variables the settings provide (only those the user has filled in)."""
        values = {"agent": self.agent.strip(), "hotline": self.hotline.strip()}
        return {name: value for name, value in values.items() if value}

    def keymap(self) -> dict[str, str]:
        """The keys that differ from the defaults, as a Textual keymap (binding id -> keys)."""
        return {bid: key for bid, key in self.keys.items() if DEFAULT_KEYS.get(bid) != key}

    def to_toml(self) -> dict[str, Any]:
        return asdict(self)


def config_dir() -> Path:
    """``$CALLSCRIPT_CONFIG_DIR``, or the user's config directory for callscript."""
    if os.environ.get(CONFIG_DIR_ENV):
        return Path(os.environ[CONFIG_DIR_ENV])
    from platformdirs import user_config_path  # lazy: only needed when settings are read

    return user_config_path("callscript")


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def _line_of(text: str, key: str, table: str | None = None) -> int:
    """The 1-based line where ``key = ...`` is written (inside ``[table]``, or at top level), or 0."""
    pattern = re.compile(rf"""^\s*("{re.escape(key)}"|'{re.escape(key)}'|{re.escape(key)})\s*=""")
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.split("#", 1)[0].strip().strip("[]").strip()
            continue
        if current == table and pattern.match(line):
            return number
    return 0


def _error(path: Path, line: int, message: str, hint: str) -> CallscriptError:
    where = f"{path}:{line}" if line else str(path)
    return CallscriptError(message, where=where, hint=hint)


_TYPES: dict[str, type] = {
    "agent": str,
    "hotline": str,
    "interface_language": str,
    "default_flow": str,
    "plain": bool,
    "tts_rate": int,
    "tts_volume": float,
    "input_device": str,
    "agent_input_device": str,
    "output_device": str,
    "model_dir": str,
    "record_line_audio": bool,
}
_TYPE_NAMES = {str: "text in quotes", bool: "true or false", int: "a whole number", float: "a number"}


def parse_settings(text: str, path: Path) -> Settings:
    """Settings from the TOML ``text`` of ``path``; ``CallscriptError`` at the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)": move the position into ``where``.
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
        message = message[: found.start()] if found else message
        raise CallscriptError(
            f"settings file is not valid TOML: {message[:1].lower()}{message[1:]}", where=where,
            hint="fix the line, or delete the file to start again from the defaults",
        ) from None
    settings = Settings()
    for key, value in data.items():
        if key == "keys":
            if not isinstance(value, dict):
                raise _error(path, _line_of(text, key), "'keys' must be a table of binding id = \"key\"",
                             'write it as [keys] followed by lines like call.said = "space"')
            for bid, keys in value.items():
                if not isinstance(keys, str) or not _KEY_PATTERN.match(keys.strip()):
                    raise _error(
                        path, _line_of(text, bid, "keys"), f"key for '{bid}' must be a key name such as \"space\", \"g\" or \"ctrl+e\"",
                        "use Textual key names: letters, digits, space, enter, escape, f1-f12, ctrl+x",
                    )
                if bid not in DEFAULT_KEYS and not bid.startswith("situation."):
                    raise _error(path, _line_of(text, bid, "keys"), f"unknown binding id '{bid}'",
                                 "known ids: " + ", ".join(DEFAULT_KEYS) + ", situation.<flow id>")
                settings.keys[bid] = keys.strip()
            continue
        expected = _TYPES.get(key)
        if expected is None:
            raise _error(path, _line_of(text, key), f"unknown setting '{key}'",
                         "known settings: " + ", ".join(f.name for f in fields(Settings)))
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise _error(path, _line_of(text, key), f"'{key}' must be {_TYPE_NAMES[expected]}, not {value!r}",
                         f"for example: {key} = {_example(key)}")
        setattr(settings, key, value)
    if settings.interface_language not in LANGUAGES:
        raise _error(path, _line_of(text, "interface_language"),
                     f"interface_language must be \"zh\" or \"en\", not {settings.interface_language!r}",
                     'write interface_language = "zh" or interface_language = "en"')
    if not 40 <= settings.tts_rate <= 500:
        raise _error(path, _line_of(text, "tts_rate"), f"tts_rate {settings.tts_rate} is out of range",
                     "use words per minute between 40 and 500 (170 is a calm pace)")
    if not 0.0 <= settings.tts_volume <= 1.0:
        raise _error(path, _line_of(text, "tts_volume"), f"tts_volume {settings.tts_volume} is out of range",
                     "use a number from 0.0 (silent) to 1.0 (full volume)")
    return settings


def _example(key: str) -> str:
    return repr(asdict(Settings())[key]).replace("'", '"').replace("True", "true").replace("False", "false")


def load_settings(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default ``settings_path()``); defaults when the file is absent."""
    path = path or settings_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise CallscriptError(f"cannot read the settings file: {exc.strerror or exc}", where=str(path),
                              hint="check the file's permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(path, line, "settings file is not UTF-8 text", "save it as UTF-8") from None
    return parse_settings(text, path)


def load_settings_or_defaults(path: Path | None = None) -> tuple[Settings, CallscriptError | None]:
    """The settings, or the defaults plus the error that made them necessary."""
    try:
        return load_settings(path), None
    except CallscriptError as exc:
        return Settings(), exc


def dumps(settings: Settings) -> str:
    """The settings as TOML text, top-level values first and ``[keys]`` last."""
    import tomli_w  # lazy: only needed when saving

    data = settings.to_toml()
    keys = data.pop("keys")
    head = "# callscript settings: edit here or in the app (F2 in the flow picker).\n"
    return head + tomli_w.dumps(data) + "\n[keys]\n" + tomli_w.dumps(dict(sorted(keys.items())))


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically (a crash never leaves half a file); return the path."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(settings)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
