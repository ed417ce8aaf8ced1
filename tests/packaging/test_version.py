"""The version a team store names: a client older than the store's schema is told which release
to install, so the release that brought the current schema must be this one or an earlier one."""

from __future__ import annotations

import pytest

import callscript

pytest.importorskip("packaging")


def test_the_release_named_for_the_current_store_schema_is_not_newer_than_this_one():
    from packaging.version import Version

    from callscript.team.store import RELEASE_OF_SCHEMA, SCHEMA_VERSION

    assert set(RELEASE_OF_SCHEMA) == set(range(1, SCHEMA_VERSION + 1))  # every schema names its release
    assert Version(RELEASE_OF_SCHEMA[SCHEMA_VERSION]) <= Version(callscript.__version__)
    releases = [Version(RELEASE_OF_SCHEMA[n]) for n in sorted(RELEASE_OF_SCHEMA)]
    assert releases == sorted(releases)
