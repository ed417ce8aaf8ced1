"""Real faulty disks for the fault tests: a small tmpfs (full after a few pages) and a read-only one.

Mounting needs root (or CAP_SYS_ADMIN); where it cannot be done the test is skipped and says why
(CI runs as root and mounts). ``/dev/full`` needs nothing: every write to it fails with ENOSPC.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(mountpoint: Path, *, size: str = "64k", read_only: bool = False) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` at ``mountpoint`` for the duration of the block."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0700" + (",ro" if read_only else "")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mountpoint)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({(result.stderr or result.stdout).strip() or 'mount failed'}); "
                    "run the tests as root to check a full or read-only log folder")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, check=False)


def fill(folder: Path) -> None:
    """Write to ``folder`` until its file system is full."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        block = b"\0" * 4096
        with contextlib.suppress(OSError):
            while True:
                handle.write(block)
