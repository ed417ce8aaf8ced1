"""Environment variables set for a while and put back: the one way the test support does it.

pytest's ``monkeypatch`` does this per test, but the virtual phone line and the PostgreSQL cluster
are started once per session, and code under test (libpq, ALSA's pulse plugin) reads the variables
from ``os.environ`` itself, so their helpers need a plain context manager that any scope can use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Put ``values`` in ``os.environ`` for the ``with`` block; then give every one of those keys
    back the value it had (or remove it where it had none), also when the block raises."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
