"""scripts/setup's system-package step: what it installs, and what it says when it cannot.

The machine's real package manager cannot be used here (uninstalling espeak-ng or PortAudio
would break the other engineers' work), so these tests run ``scripts/setup --system-only`` with
stand-ins for ``dpkg-query``, ``apt-get``, ``sudo`` and ``id`` on a PATH that holds nothing
else but the ordinary tools the script uses. Everything else in the run is real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "setup"
PACKAGES = ("espeak-ng libespeak1 libportaudio2 sox libsox-fmt-all pulseaudio pulseaudio-utils "
            "libasound2-plugins tmux flac vorbis-tools postgresql baresip-core chromium fonts-wqy-microhei")
TOOLS = ("bash", "env", "dirname", "grep", "mktemp", "tail", "sed", "rm", "cat", "cut", "sha256sum")


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/bash\n" + body + "\n")
    path.chmod(0o755)


@pytest.fixture()
def machine(tmp_path: Path):
    """A PATH with the ordinary tools, this Python as python3, and slots for the stand-ins."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not on this machine")
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "python3").symlink_to(sys.executable)
    calls = tmp_path / "calls.log"

    def run(*, uid: int, installed: str = "", apt_status: int = 0, sudo: str | None = None) -> subprocess.CompletedProcess[str]:
        """``installed``: space-separated packages dpkg reports as installed (or 'all')."""
        fake(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}')
        fake(bin_dir, "dpkg-query",
             f'pkg="${{@: -1}}"; case " {installed} " in *" all "*|*" $pkg "*) echo "install ok installed";; '
             f'*) echo "dpkg-query: no packages found matching $pkg" >&2; exit 1;; esac')
        fake(bin_dir, "apt-get",
             f'echo "apt-get $*" >> {calls}\n'
             f'[ {apt_status} -eq 0 ] || {{ echo "E: Unable to locate package espeak-ng"; exit {apt_status}; }}')
        if sudo is not None:
            fake(bin_dir, "sudo", sudo)
        env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
        return subprocess.run([str(SETUP), "--system-only"], capture_output=True, text=True, env=env, timeout=60, check=False)

    run.calls = calls  # type: ignore[attr-defined]
    return run


def test_nothing_is_installed_when_every_package_is_there(machine):
    result = machine(uid=0, installed="all")
    assert result.returncode == 0
    assert result.stdout == "==> system packages: all present\n"
    assert not machine.calls.exists()


def test_root_installs_exactly_the_missing_packages_with_apt_get(machine):
    result = machine(uid=0, installed="espeak-ng sox tmux")
    assert result.returncode == 0, result.stderr
    missing = " ".join(p for p in PACKAGES.split() if p not in ("espeak-ng", "sox", "tmux"))
    assert result.stdout == f"==> installing system packages: {missing}\n==> system packages: installed\n"
    assert machine.calls.read_text().splitlines() == [
        "apt-get update -qq",
        f"apt-get install -y -qq --no-install-recommends {missing}",
    ]


def test_a_failed_install_is_reported_and_setup_goes_on(machine):
    result = machine(uid=0, installed="", apt_status=100)
    assert result.returncode == 0
    assert f"==> could not install {PACKAGES}:" in result.stderr
    assert "E: Unable to locate package espeak-ng" in result.stderr
    assert f"  install them with: sudo apt-get install {PACKAGES}" in result.stderr
    assert "callscript runs keyboard-only" in result.stderr


def test_a_user_without_sudo_is_told_the_command_to_run(machine):
    result = machine(uid=1000, installed="espeak-ng libespeak1 sox libsox-fmt-all tmux flac vorbis-tools postgresql baresip-core chromium fonts-wqy-microhei")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "==> missing system packages: libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins "
        "(not root, and no sudo to install them)",
        "==>   install them with: sudo apt-get install libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins",
        "==>   until then callscript runs keyboard-only; 'callscript doctor' says what works",
    ]
    assert not machine.calls.exists()


def test_a_user_with_sudo_installs_through_it_without_a_password_prompt(machine):
    """No terminal on stdin (as in CI): sudo -n, which fails rather than waiting for a password."""
    result = machine(uid=1000, installed="", sudo='echo "sudo $*" >> "$(dirname "$0")/../calls.log"; '
                     '[ "$1" = -n ] && { echo "sudo: a password is required" >&2; exit 1; }; shift; exec "$@"')
    assert result.returncode == 0
    assert machine.calls.read_text().splitlines()[0].startswith("sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update")
    assert "sudo: a password is required" in result.stderr
    assert "==>   install them with: sudo apt-get install" in result.stderr


def test_setup_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(SETUP)], check=True)
    assert os.access(SETUP, os.X_OK)
