"""The interface catalog: every message in both languages with the same fields, and every message
id the app asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import callscript.app
from callscript.app.i18n import CATALOG, Messages, fields_of
from callscript.settings import DEFAULT_KEYS

APP_DIR = Path(callscript.app.__file__).parent


def test_every_message_has_chinese_and_english_with_the_same_fields():
    for message_id, entry in CATALOG.items():
        assert set(entry) == {"zh", "en"}, message_id
        assert entry["zh"].strip() and entry["en"].strip(), message_id
        assert fields_of(entry["zh"]) == fields_of(entry["en"]), message_id


def test_every_message_the_app_uses_exists():
    used = set()
    for path in APP_DIR.rglob("*.py"):
        source = path.read_text("utf-8")
        used |= set(re.findall(r"\bt\(\s*[\"']([a-z_]+\.[a-z_.]+)[\"']", source))
        used |= set(re.findall(r"app_t\(\s*[\"']([a-z_]+\.[a-z_.]+)[\"']", source))
        used |= {f"{prefix}.{name}" for prefix, name in re.findall(r"[\"'](call|caller|note)\.(heading|help)[\"']", source)}
    assert used, "the scan found no messages at all"
    assert sorted(used - set(CATALOG)) == []


def test_every_binding_with_a_description_is_translated():
    shown = [bid for bid in DEFAULT_KEYS if not bid.startswith("call.event")]
    assert [bid for bid in shown if f"binding.{bid}" not in CATALOG] == []


def test_messages_pick_the_language_and_fill_fields():
    assert Messages("zh")("call.say") == "现在说"
    assert Messages("en-US")("call.say") == "Say now"
    assert Messages("en")("picker.count", shown=2, total=9) == "2 of 9 flows"
    assert Messages("zh")("no.such.id") == "no.such.id"
