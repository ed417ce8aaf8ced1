"""The user's settings: one TOML file in the user's config directory.

``Settings`` is one typed model (a dataclass whose annotations carry the constraints, checked by
msgspec) with a default for everything, so a missing file simply means the defaults. Each value is
checked on its own: a wrong value is one ``CallscriptError`` naming the file and the line with a
fix, its default is used in its place, and every other value in the file still counts. Nothing here
imports Textual (a test proves it), so the headless commands can read settings too.

Saving (``callscript.settings_store.save_settings``, a module of its own so that tomlkit is
imported only when saving) writes only what changed into the file as it is on disk at that moment, so comments, unknown keys
and values the user did not touch survive, including a wrong one.

The file lives in ``platformdirs.user_config_path('callscript')/settings.toml``; tests (and users
who want a portable setup) point ``CALLSCRIPT_CONFIG_DIR`` at another directory.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal, get_type_hints

import msgspec
from msgspec import Meta

from callscript.errors import CallscriptError
from callscript.paths import CONFIG_DIR_ENV, config_dir  # noqa: F401 (both were defined here first)

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

_KEY_PATTERN = r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$"
# A key binding's value: Textual key names, several separated by commas.
KeyName = Annotated[str, Meta(pattern=_KEY_PATTERN)]


def _text(example: str) -> Any:
    return Meta(description="text in quotes", examples=[example])


@dataclass
class TeamSettings:
    """The ``[team]`` table: ``store`` is the team store's address (``postgresql://USER@HOST/DB``,
    never with a password: libpq reads it from ~/.pgpass, PGPASSFILE or PGPASSWORD). Empty: calls
    stay on this PC only."""

    store: str = ""


def store_url_problem(url: str) -> str | None:
    """What is wrong with a team store address, in words that never repeat it (it might hold a
    password), or None. Only the form is checked here; libpq checks the rest when it connects."""
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        return "must be a PostgreSQL address starting with postgresql://"
    authority = url.split("://", 1)[1].split("/", 1)[0]
    if ":" in authority.rpartition("@")[0] or re.search(r"[?&]password=", url):
        return "holds a password; callscript never keeps one"
    return None


@dataclass
class Settings:
    """Everything a user can set; every field has a sensible default.

    ``agent`` and ``hotline`` fill the flows' ``{agent}`` and ``{hotline}`` when not empty (an empty
    value keeps the flow's own default). Device names and ``model_dir`` are empty for "the system
    default", except ``agent_input_device``: empty is no agent microphone. ``softphone`` (with ``softphone_control``, ``softphone_sink`` and ``softphone_hang_up``)
    follows the agent's softphone: answering opens ``default_flow``, the line is the monitor of
    ``softphone_sink`` unless ``input_device`` says otherwise, and a ``hang_up`` end hangs up after
    the agent confirms (``confirm``) or at once (``at_once``). ``keys`` maps binding ids to Textual key names (``space``, ``ctrl+e``, ``f2``).
    The annotations are the rules a value in the file must follow; their descriptions and
    examples are what an error says.
    """

    agent: Annotated[str, _text("王芳 007")] = ""
    hotline: Annotated[str, _text("95588")] = ""
    interface_language: Annotated[Literal["zh", "en"], Meta(description='"zh" or "en"', examples=["en"])] = "zh"
    default_flow: Annotated[str, _text("main_call")] = "main_call"
    keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    plain: Annotated[bool, Meta(description="true or false", examples=[True])] = False
    tts_rate: Annotated[int, Meta(ge=40, le=500, examples=[170], description=(
        "a whole number of words per minute from 40 to 500 (170 is a calm pace)"))] = 170
    tts_volume: Annotated[float, Meta(ge=0.0, le=1.0, examples=[0.9], description=(
        "a number from 0.0 (silent) to 1.0 (full volume)"))] = 0.9
    input_device: Annotated[str, _text("pulse")] = ""
    agent_input_device: Annotated[str, _text("USB headset")] = ""
    output_device: Annotated[str, _text("pulse")] = ""
    model_dir: Annotated[str, _text("/home/me/models/vosk-model-small-cn")] = ""
    record_line_audio: Annotated[bool, Meta(description="true or false", examples=[True])] = False
    # The agent's softphone (docs/softphone.md): "" is none, and callscript is keyboard-only as before.
    softphone: Annotated[Literal["", "baresip"], Meta(description='"baresip", or "" for none', examples=["baresip"])] = ""
    softphone_control: Annotated[str, Meta(pattern=r"^\S+:\d{1,5}$", description=(
        'the softphone\'s control port as "host:port" on this machine'), examples=["127.0.0.1:4444"])] = "127.0.0.1:4444"
    softphone_sink: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.\-]+$", description=(
        "the name of the PulseAudio sink the softphone plays the caller into"), examples=["callscript_line"])] = "callscript_line"
    softphone_hang_up: Annotated[Literal["confirm", "at_once"], Meta(description='"confirm" or "at_once"', examples=[
        "at_once"])] = "confirm"
    team: TeamSettings = field(default_factory=TeamSettings)

    def variables(self) -> dict[str, str]:
        """Flow variables the settings provide (only those the user has filled in)."""
        values = {"agent": self.agent.strip(), "hotline": self.hotline.strip()}
        return {name: value for name, value in values.items() if value}

    def keymap(self) -> dict[str, str]:
        """The keys that differ from the defaults, as a Textual keymap (binding id -> keys)."""
        return {bid: key for bid, key in self.keys.items() if DEFAULT_KEYS.get(bid) != key}

    def to_toml(self) -> dict[str, Any]:
        return asdict(self)


SETTING_NAMES = tuple(f.name for f in fields(Settings))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def _line_of(text: str, key: str, table: str | None = None) -> int:
    """The 1-based line where ``key = ...`` is written (inside ``[table]``, or at top level), or 0."""
    # Bare, in quotes, or in quotes with escapes (JSON's escapes are TOML's: "\u001b").
    quoted = re.escape(json.dumps(key, ensure_ascii=False))
    pattern = re.compile(rf"""^\s*("{re.escape(key)}"|'{re.escape(key)}'|{quoted}|{re.escape(key)})\s*[=.]""")
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


def _toml_value(value: object) -> str:
    """``value`` as it is written in TOML (for the examples in hints)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _meta(name: str) -> Meta:
    """The ``Meta`` (description, examples) in the annotation of the setting ``name``."""
    hint = get_type_hints(Settings, include_extras=True)[name]
    return next(m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Meta))


def _printable(text: str) -> str:
    """``text`` with control and other unprintable characters written as escapes (``\\n``,
    ``\\x1b``): an error names what the file holds, and must not let it move the cursor, clear
    or retitle the terminal, or break the message into lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _show(value: object) -> str:
    text = _printable(_toml_value(value)) if isinstance(value, (bool, str, int, float)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _check_value(name: str, value: object) -> object:
    """``value`` for the setting ``name`` as the model takes it; ``msgspec.ValidationError`` if wrong."""
    return getattr(msgspec.convert({name: value}, Settings, strict=True), name)


def parse_settings_leniently(text: str, path: Path) -> tuple[Settings, list[CallscriptError]]:
    """Settings from the TOML ``text`` of ``path``, and one error per value that is wrong.

    A wrong value keeps its default (the rest of the file counts); a file that is not TOML at all
    is one error and the defaults. A UTF-8 byte order mark is allowed.
    """
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)": move the position into ``where``.
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
        message = message[: found.start()] if found else message
        return Settings(), [CallscriptError(
            f"settings file is not valid TOML: {message[:1].lower()}{message[1:]}", where=where,
            hint="fix the line, or delete the file to start again from the defaults",
        )]
    settings = Settings()
    problems: list[CallscriptError] = []
    for key, value in data.items():
        if key == "keys":
            problems += _read_keys(settings, value, text, path)
            continue
        if key == "team":
            problems += _read_team(settings, value, text, path)
            continue
        if key not in SETTING_NAMES:
            problems.append(_error(path, _line_of(text, key), f"unknown setting '{_printable(key)}'",
                                   "known settings: " + ", ".join(SETTING_NAMES)))
            continue
        try:
            setattr(settings, key, _check_value(key, value))
        except msgspec.ValidationError:
            meta = _meta(key)
            problems.append(_error(path, _line_of(text, key), f"'{key}' must be {meta.description}, not {_show(value)}",
                                   f"for example: {key} = {_toml_value(meta.examples[0])}"))
    return settings, problems


def _read_keys(settings: Settings, value: object, text: str, path: Path) -> list[CallscriptError]:
    if not isinstance(value, dict):
        return [_error(path, _line_of(text, "keys"), "'keys' must be a table of binding id = \"key\"",
                       'write it as [keys] followed by lines like "call.said" = "space"')]
    problems = []
    for bid, keys in value.items():
        line = _line_of(text, bid, "keys")
        if isinstance(keys, dict):
            # call.said = "space" without quotes is a dotted key: TOML reads a table "call".
            inner, example = next(iter(keys.items()), ("said", "space"))
            example = example if isinstance(example, str) else "..."
            dotted = _printable(f"{bid}.{inner}")
            problems.append(_error(path, line, f"binding id '{dotted}' must be in quotes",
                                   f'write "{dotted}" = {_show(example)} (without quotes TOML reads a table)'))
            continue
        if bid not in DEFAULT_KEYS and not bid.startswith("situation."):
            problems.append(_error(path, line, f"unknown binding id '{_printable(bid)}'",
                                   "known ids: " + ", ".join(DEFAULT_KEYS) + ", situation.<flow id>"))
            continue
        try:
            settings.keys[bid] = msgspec.convert(keys.strip() if isinstance(keys, str) else keys, KeyName, strict=True)
        except msgspec.ValidationError:
            problems.append(_error(
                path, line, f"key for '{_printable(bid)}' must be a key name such as \"space\", \"g\" or \"ctrl+e\", not {_show(keys)}",
                "use Textual key names: letters, digits, space, enter, escape, f1-f12, ctrl+x",
            ))
    return problems


def _read_team(settings: Settings, value: object, text: str, path: Path) -> list[CallscriptError]:
    example = 'write it as [team] followed by: store = "postgresql://agent@db.example/callscript"'
    if not isinstance(value, dict):
        return [_error(path, _line_of(text, "team"), "'team' must be a table", example)]
    problems = []
    for key, item in value.items():
        line = _line_of(text, key, "team")
        if key != "store":
            problems.append(_error(path, line, f"unknown team setting '{_printable(key)}'", "the [team] table knows: store"))
        elif not isinstance(item, str):
            problems.append(_error(path, line, "'store' in [team] must be text in quotes", example))
        elif (wrong := store_url_problem(item.strip())) is not None:
            problems.append(_error(path, line, f"the team store address {wrong}",
                                   "write postgresql://USER@HOST:PORT/DBNAME and put the password in ~/.pgpass "
                                   "(mode 0600), PGPASSFILE or PGPASSWORD"))
        else:
            settings.team = TeamSettings(store=item.strip())
    return problems


def parse_settings(text: str, path: Path) -> Settings:
    """Settings from the TOML ``text`` of ``path``; ``CallscriptError`` at the first problem."""
    settings, problems = parse_settings_leniently(text, path)
    if problems:
        raise problems[0]
    return settings


def read_settings_text(path: Path) -> str | None:
    """The text of the settings file (None when there is none); ``CallscriptError`` when it cannot
    be read or is not UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CallscriptError(f"cannot read the settings file: {exc.strerror or exc}", where=str(path),
                              hint="check that it is a file you may read (ls -l)") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(path, line, "settings file is not UTF-8 text", "save it as UTF-8") from None


def read_settings(path: Path | None = None) -> tuple[Settings, list[CallscriptError]]:
    """The settings in ``path`` (default ``settings_path()``) with one error per wrong value; never
    raises ``CallscriptError``: what cannot be used is reported and replaced by its default."""
    path = path or settings_path()
    try:
        text = read_settings_text(path)
    except CallscriptError as exc:
        return Settings(), [exc]
    if text is None:
        return Settings(), []
    return parse_settings_leniently(text, path)


def load_settings(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default ``settings_path()``); defaults when the file is absent;
    ``CallscriptError`` for the first wrong value."""
    settings, problems = read_settings(path)
    if problems:
        raise problems[0]
    return settings


def one_problem(problems: list[CallscriptError]) -> CallscriptError | None:
    """Several problems as one error to print or show: the first in full, the others after it."""
    if not problems:
        return None
    first = problems[0]
    if len(problems) == 1:
        return first
    others = "; ".join(f"{p.where}: {p.message}" for p in problems[1:])
    return CallscriptError(f"{first.message} (also {others})", where=first.where, hint=first.hint)


def load_settings_or_defaults(path: Path | None = None) -> tuple[Settings, CallscriptError | None]:
    """The settings, a default in place of each wrong value, and the problems as one error."""
    settings, problems = read_settings(path)
    return settings, one_problem(problems)
