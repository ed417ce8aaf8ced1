"""The interface's own words in Chinese and English: gettext catalogs (flows keep their own language).

Every user-visible string of the interface, the scoring reasons and the report marks is a
message id (``call.say``, ``score.empty``) looked up in ``locale/<zh|en>/LC_MESSAGES/callscript.po``,
with ``{name}`` fields filled by :class:`Messages`. The ``.po`` files are the source, kept in the
repository; the ``.mo`` files gettext reads are compiled from them when a wheel is built or the
package is installed, editable or not (``setup.py``). A checkout whose ``.mo`` is missing or older
than its ``.po`` (someone just edited it) compiles the ``.po`` in memory with Babel, the dev tool
that also lists the ids the code uses (``pybabel extract -k t -k app_t -k both callscript``).

Tests check that both languages have every message with the same fields, and that every id the
code asks for exists. No Textual import here: the headless parts use it too.
"""

from __future__ import annotations

import functools
import gettext
import io
import string
from pathlib import Path

from callscript.data import package_folder, source_checkout
from callscript.errors import CallscriptError

DOMAIN = "callscript"
LOCALE_DIR = package_folder("callscript", "locale")  # through importlib.resources, like all package data
LANGUAGES = ("zh", "en")


def language_of(language: str) -> str:
    """The interface language for a setting or a flow's language tag: ``en``/``en-US`` -> ``en``,
    anything else -> ``zh``."""
    return "en" if language.startswith("en") else "zh"


def catalog_path(language: str, suffix: str = ".po") -> Path:
    """Where the catalog of ``language`` (``zh`` or ``en``) lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


# A source checkout (the package beside its pyproject.toml), where a .po may be edited after the
# .mo was compiled. An installed package's files are as the wheel built them, with whatever times
# the installer gave them, so there the .mo is taken as it is.
_SOURCE_CHECKOUT = source_checkout() is not None


@functools.cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``language`` (``zh`` or ``en``), read once per process."""
    mo, po = catalog_path(language, ".mo"), catalog_path(language, ".po")
    try:
        fresh = not _SOURCE_CHECKOUT or mo.stat().st_mtime >= po.stat().st_mtime
    except FileNotFoundError:
        fresh = mo.exists()  # no .po beside it: nothing to compile instead
    if fresh and mo.exists():
        with mo.open("rb") as file:
            return gettext.GNUTranslations(file)
    if not po.exists():
        raise CallscriptError(f"the {language} interface catalog is missing: {mo}",
                              hint="reinstall callscript (pip install --force-reinstall callscript)")
    return gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """The ``.mo`` bytes of the catalog ``po`` (with Babel, a dev dependency)."""
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
    except ImportError:
        raise CallscriptError(f"the interface catalog {po} is not compiled, and Babel is not installed",
                              hint="run scripts/setup, or pip install babel") from None
    with po.open("rb") as file:
        catalog = read_po(file, locale=po.parents[1].name, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def fields_of(text: str) -> set[str]:
    """The ``{name}`` fields a message uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Messages:
    """The catalog in one language: ``t("call.say")``, ``t("picker.none", text=...)``."""

    def __init__(self, language: str = "zh") -> None:
        self.language = language_of(language)
        self._catalog = translations(self.language)

    def __call__(self, message_id: str, **values: object) -> str:
        # gettext gives a missing id back as it is: it shows itself rather than crashing a live call.
        text = self._catalog.gettext(message_id)
        return text.format(**values) if values else text

    def has(self, message_id: str) -> bool:
        """Whether the catalog has ``message_id`` (ids are dotted names, never their own text)."""
        return self._catalog.gettext(message_id) != message_id


@functools.cache
def messages(language: str) -> Messages:
    """One shared :class:`Messages` per interface language."""
    return Messages(language)


def both(message_id: str, **values: object) -> tuple[str, str]:
    """A message in English and in Chinese, for records that carry both (scoring reasons, marks)."""
    return messages("en")(message_id, **values), messages("zh")(message_id, **values)


__all__ = ["DOMAIN", "LANGUAGES", "LOCALE_DIR", "Messages", "both", "catalog_path", "compile_po",
           "fields_of", "language_of", "messages", "translations"]
