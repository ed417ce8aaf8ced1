"""The interface catalogs (``callscript/locale/<zh|en>/LC_MESSAGES/callscript.po``): both languages
have every message, complete and with the same fields; every id the code asks for exists; the
catalogs compile, and the app reads them through gettext."""

from __future__ import annotations

import ast
import gettext
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import callscript
from callscript.i18n import LANGUAGES, Messages, catalog_path, compile_po, fields_of
from callscript.settings import DEFAULT_KEYS

PACKAGE = Path(callscript.__file__).parent
# The functions the code names message ids with: t(...) and app_t(...) are a Messages, both(...)
# gives a message in English and Chinese.
KEYWORDS = {"t", "app_t", "both", "tell", "note"}
# Fields only one language uses: Chinese names only the missing words (not the variable's {name}),
# names a slot by its example only, gives no English gloss, and names an element by its Chinese label.
ONE_LANGUAGE_FIELDS: dict[str, set[str]] = {
    "score.variable_missing": {"name"},
    "score.slot_missing": {"names"},
    "score.forbidden_phrase": {"gloss"},
    "score.missing_element": {"element", "element_zh"},
}


def catalog(language: str) -> dict[str, object]:
    with catalog_path(language).open("rb") as file:
        messages = read_po(file, locale=language)
    return {message.id: message for message in messages if message.id}


def test_both_languages_have_every_message_complete_with_the_same_fields():
    zh, en = catalog("zh"), catalog("en")
    assert sorted(set(zh) ^ set(en)) == [], "an id is in one catalog only"
    for message_id in zh:
        assert zh[message_id].string.strip() and en[message_id].string.strip(), f"{message_id} is empty"
        assert not (zh[message_id].fuzzy or en[message_id].fuzzy), f"{message_id} is marked fuzzy"
        differ = fields_of(zh[message_id].string) ^ fields_of(en[message_id].string)
        assert differ == ONE_LANGUAGE_FIELDS.get(message_id, set()), message_id


def literal_ids(node: ast.expr) -> Iterator[str]:
    """The message ids an argument can be: a string, or either side of ``a if c else b``.
    (An f-string is built at run time: see the next test.)"""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from literal_ids(node.body)
        yield from literal_ids(node.orelse)


def ids_asked_for() -> dict[str, str]:
    """Every literal message id in callscript's source -> where it is asked for."""
    used: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in KEYWORDS:
                for message_id in literal_ids(node.args[0]):
                    used.setdefault(message_id, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return used


def test_every_message_id_the_code_asks_for_exists():
    used = ids_asked_for()
    assert len(used) > 100, "the scan found too few messages: did the way the code asks for them change?"
    known = set(catalog("zh"))
    assert {message_id: where for message_id, where in used.items() if message_id not in known} == {}


def test_every_message_id_built_from_a_name_exists():
    """Ids the code builds at run time, which a scan of the source cannot see."""
    from callscript.app.banner import LOST_LINES
    from callscript.health import Part, State
    from callscript.flow.model import CALLER_KINDS

    known = set(catalog("en"))
    built = {f"binding.{bid}" for bid in DEFAULT_KEYS if not bid.startswith("call.event")}
    built |= {f"part.{part.value}" for part in Part} | set(LOST_LINES.values())
    built |= {f"health.state.{state.value}" for state in State}
    built |= {f"scene.{kind}" for kind in CALLER_KINDS}  # a drill's caller is described by its kind
    assert sorted(built - known) == []


def test_every_device_health_reason_exists():
    """Adapters name why a part is missing with a ``health.<id>`` string where they know the
    cause (``missing(Part.LINE, "health.no_input_device", ...)``): each must be in the catalogs."""
    reasons: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.fullmatch(r"health\.[a-z_]+", node.value) and not node.value.startswith("health.state"):
                reasons.setdefault(node.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert len(reasons) > 20, "the scan found too few reasons: did the way adapters name them change?"
    for language in LANGUAGES:
        known = set(catalog(language))
        assert {reason: where for reason, where in reasons.items() if reason not in known} == {}, language


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalog_compiles_and_gettext_reads_it(language):
    translations = gettext.GNUTranslations(io.BytesIO(compile_po(catalog_path(language))))
    assert translations.gettext("call.say") == {"zh": "现在说", "en": "Say now"}[language]


def test_messages_pick_the_language_and_fill_fields():
    assert Messages("zh")("call.say") == "现在说"
    assert Messages("en-US")("call.say") == "Say now"
    assert Messages("en")("picker.count", shown=2, total=9) == "2 of 9 flows"
    assert Messages("zh")("mark.wait_cut_short", waited=1.04, required=5) == "5 秒的等待只等了 1.0 秒就挂机。"
    assert Messages("zh")("no.such.id") == "no.such.id"
    assert Messages("en").has("call.say") and not Messages("en").has("no.such.id")


def test_the_catalogs_keep_no_template_placeholders():
    """Babel's template header (FIRST AUTHOR, EMAIL@ADDRESS) is not left in the files."""
    for language in LANGUAGES:
        text = catalog_path(language).read_text(encoding="utf-8")
        assert not re.search(r"FIRST AUTHOR|EMAIL@ADDRESS|YEAR-MO-DA", text), language
