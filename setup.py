"""callscript's one build step of its own: compile the interface catalogs (``.po``) to ``.mo``.

Everything else is in pyproject.toml. gettext reads only compiled catalogs, and the repository keeps
only the ``.po`` sources, so a wheel gets its ``.mo`` files here (with Babel, a build requirement).
An editable install (``pip install -e .``, as scripts/setup does) compiles them in place, beside
the ``.po``; a checkout that has none yet, or whose ``.po`` changed since, compiles in memory
(``callscript.i18n``).
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path("callscript") / "locale"


class BuildPyWithCatalogs(build_py):
    """``build_py`` that also writes ``locale/<lang>/LC_MESSAGES/*.mo`` from the ``.po`` files."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        # An editable install builds in place: the package is imported from the source tree.
        root = Path() if self.editable_mode else Path(self.build_lib)
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as file:
                catalog = read_po(file, locale=po.parents[1].name, domain=po.stem)
            mo = root / po.with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as file:
                write_mo(file, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogs})
