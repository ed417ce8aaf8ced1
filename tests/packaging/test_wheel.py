"""The wheel as a user installs it: built from this checkout, installed into a fresh virtual
environment outside the source tree, and used from another folder.

A file the package reads at run time but the wheel lacks (a flow, a clip of the phrase library,
the stylesheet, a translation catalog) fails here: the commands below run from the installed
wheel only, never from the checkout.

Offline by design: the wheel and the sdist are built with ``python -m build --no-isolation``
(the backend is the one installed with the ``dev`` extra), and the wheel is installed with
``--no-deps --no-index``. The fresh environment reaches the dependencies already installed in
the environment running the tests through a ``.pth`` file added *after* the install: its
entries come after the environment's own site-packages on ``sys.path``, and ``.pth`` files in
them are not read, so the checkout's editable install stays out of sight and ``callscript`` is
imported from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

import callscript
from tests.support import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
# One xdist worker builds and runs it all (scripts/test uses --dist loadgroup): two builds of the
# same checkout at once trip over each other's egg-info and sdist folders.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]


def _clean_env() -> dict[str, str]:
    """The environment without what points into the checkout (``PYTHONPATH``) or at other flows."""
    dropped = ("PYTHONPATH", "CALLSCRIPT_FLOWS", "CALLSCRIPT_AUDIO", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if key not in dropped}


class Installed:
    """The wheel installed in a fresh environment, and a folder outside the checkout to work in."""

    def __init__(self, root: Path, wheel: Path, sdist: Path, seconds: dict[str, float]) -> None:
        self.root, self.wheel, self.sdist, self.seconds = root, wheel, sdist, seconds
        self.bin = root / "venv" / "bin"
        self.cwd = root / "elsewhere"
        self.env = _clean_env()
        self.env.update(CALLSCRIPT_CONFIG_DIR=str(root / "config"), CALLSCRIPT_LOG_DIR=str(root / "logs"),
                        CALLSCRIPT_DATA_DIR=str(root / "data"), PATH=f"{self.bin}{os.pathsep}{os.environ['PATH']}")

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "callscript"), *args], capture_output=True, text=True,
                              cwd=self.cwd, env=self.env, timeout=timeout)

    def python(self, code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "python"), "-c", code, *args], capture_output=True, text=True,
                              cwd=self.cwd, env=self.env, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    seconds: dict[str, float] = {}
    start = time.monotonic()
    dist = root / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPO)],
                           capture_output=True, text=True, timeout=600, env=_clean_env())
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    seconds["build"] = time.monotonic() - start
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")

    start = time.monotonic()
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=300, env=_clean_env(),
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    shared = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "zz_shared_dependencies.pth").write_text("".join(f"{p}\n" for p in shared), encoding="utf-8")
    seconds["install"] = time.monotonic() - start
    (root / "elsewhere").mkdir()
    # Figures for whoever reads the output (pytest -s); not limits: those belong in benchmarks/.
    print(f"\nwheel {wheel.stat().st_size / 1e6:.2f} MB, sdist {sdist.stat().st_size / 1e6:.2f} MB; "
          f"build {seconds['build']:.1f} s, fresh venv and install {seconds['install']:.1f} s")
    return Installed(root, wheel, sdist, seconds)


def test_callscript_is_imported_from_the_wheel_not_the_checkout(installed: Installed):
    result = installed.python("import callscript, importlib.metadata as m; "
                              "print(callscript.__file__); print(m.version('callscript'))")
    assert result.returncode == 0, result.stderr
    where, version = result.stdout.split()
    assert Path(where).is_relative_to(installed.root / "venv"), where
    assert version == callscript.__version__
    assert installed.run("--version").stdout == f"callscript {callscript.__version__}\n"


def test_the_wheel_holds_every_file_of_the_package(installed: Installed):
    """Every file under callscript/ in the checkout (code, flows, clips, stylesheet, catalogs)."""
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    wanted = {
        path.relative_to(REPO).as_posix() for path in (REPO / "callscript").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert sorted(wanted - names) == []
    # gettext reads compiled catalogs: the build compiles each .po of the checkout into the wheel.
    catalogs = {name[:-3] + ".mo" for name in wanted if name.endswith(".po")}
    assert catalogs and sorted(catalogs - names) == []
    assert {n for n in names if n.endswith(".dist-info/licenses/LICENSE")}, "the licence travels with the wheel"


def test_the_wheel_carries_the_metadata_an_index_expects(installed: Installed):
    (metadata,) = [n for n in zipfile.ZipFile(installed.wheel).namelist() if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(installed.wheel).read(metadata).decode()
    fields = [line.split(": ", 1) for line in text.split("\n\n", 1)[0].splitlines() if ": " in line]
    keys = {key for key, _ in fields}
    assert {"License-Expression", "Project-URL", "Classifier", "Requires-Python", "Description-Content-Type"} <= keys
    extras = {value for key, value in fields if key == "Provides-Extra"}
    assert {"audio", "speech", "training", "all"} <= extras
    assert "# callscript" in text.split("\n\n", 1)[1], "the README is the long description"


def test_the_sdist_holds_the_tests_and_docs_to_rebuild_and_check_it(installed: Installed):
    import tarfile

    with tarfile.open(installed.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "docs/flow-format.md", "tests/conftest.py",
            "scripts/setup", "callscript/data/flows/silent_call.yaml"} <= names


def test_check_flows_simulate_and_graph_from_another_folder(installed: Installed):
    flows = sorted(p.stem for p in (REPO / "callscript" / "data" / "flows").glob("*.yaml"))
    check = installed.run("check")
    assert (check.returncode, check.stdout, check.stderr) == (0, f"checked {len(flows)} flows: no problems\n", "")

    listed = installed.run("flows", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["id"] for r in rows) == flows
    assert all(r["origin"] == "built-in" and Path(r["path"]).is_relative_to(installed.root / "venv") for r in rows)

    simulate = installed.run("simulate", "silent_call", "--json")
    assert simulate.returncode == 0, simulate.stderr
    steps = [(row["t"], row["step"]) for row in map(json.loads, simulate.stdout.splitlines())]
    assert steps == [(0.0, "greet"), (5.0, "greet_again"), (10.0, "ask_call_again"), (15.0, "hang_up")]

    graph = installed.run("graph", "main_call", "--format", "dot")
    assert graph.returncode == 0 and graph.stdout.startswith("digraph"), graph


def test_a_line_from_the_shipped_library_is_written_and_listened_to_headless(installed: Installed):
    """``say --out`` decodes the packaged clip to a WAV; ``listen`` analyses that WAV, no device."""
    wav = installed.root / "greet.wav"
    say = installed.run("say", "silent_call", "greet", "--source", "library", "--out", str(wav))
    assert say.returncode == 0, say.stderr
    assert "/venv/" in say.stderr and "greet.ogg" in say.stderr, "the clip came from the installed package"
    listen = installed.run("listen", str(wav), "--no-recognition", "--json")
    assert listen.returncode == 0, listen.stderr
    events = [row["event"] for row in map(json.loads, listen.stdout.splitlines())]
    assert events[:2] == ["speech_started", "speech_stopped"]
    status = installed.run("audio", "status")
    assert status.returncode == 0 and " up to date in " in status.stdout, status
    # Writing into the installed package's library would be undone by the next upgrade.
    render = installed.run("audio", "render")
    assert (render.returncode, render.stdout) == (1, "") and "lost at the next upgrade" in render.stderr, render


def test_score_and_doctor_run_from_the_wheel(installed: Installed):
    score = installed.run("score", "silent_call", "greet", "--answer", "您好!请问有什么可以帮助您?", "--json")
    assert score.returncode == 0 and json.loads(score.stdout)["passed"] is True, score
    doctor = installed.run("doctor", "--json")
    assert doctor.returncode in (0, 1) and "Traceback" not in doctor.stderr, doctor
    hint = installed.python("from callscript.doctor import install_hint; print(install_hint('audio'))")
    assert f"pip install 'callscript[audio] @ {installed.wheel.as_uri()}'" in hint.stdout, hint
    assert "scripts/setup" not in hint.stdout, "an installed wheel has no scripts/setup"


def test_the_app_starts_from_the_wheel_under_pilot(installed: Installed):
    """The real app, its stylesheet and catalogs from the wheel, on a built-in call."""
    code = textwrap.dedent("""
        import asyncio, sys
        import callscript.app.app as app_module
        from callscript.app.app import make_app
        from callscript.flow.library import load_flows

        async def main():
            app = make_app(load_flows(), log_dir=sys.argv[1], initial_flow="silent_call")
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                print(type(app.screen).__name__)
                print(app_module.__file__)

        asyncio.run(main())
    """)
    result = installed.python(code, str(installed.root / "logs"), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    screen, where = result.stdout.split()
    assert screen == "CallScreen" and Path(where).is_relative_to(installed.root / "venv")



def test_simulate_logs_a_call_that_report_reads(installed: Installed):
    log = installed.root / "simulated" / "call.jsonl"
    simulate = installed.run("simulate", "main_call", "--events", "1:situation:speakerphone,3:picked_up",
                             "--log", str(log))
    assert simulate.returncode == 0, simulate.stderr
    report = installed.run("report", str(log.parent), "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["overall"]["calls"] == 1


# What each screen shows first, taken from the flows or the log (not from the interface catalogs),
# and the keys that quit it (during a call Ctrl+Q asks first).
TERMINAL_COMMANDS = {
    "run": (["run", "silent_call", "--no-audio"], "您好!请问有什么可以帮助您?", ("C-q", "Enter")),
    "study": (["study", "silent_call", "--no-audio"], "无声电话", ("C-q",)),
    "replay": (["replay", "{log}", "--no-audio"], "replayed.jsonl", ("C-q",)),
}


@pytest.mark.parametrize("name", TERMINAL_COMMANDS)
def test_the_installed_command_opens_its_screen_in_a_real_terminal(installed: Installed, name: str):
    """``callscript run|study|replay`` from the wheel in tmux, from a folder outside the checkout."""
    if shutil.which("tmux") is None:
        skip_or_fail("this test needs tmux (apt-get install tmux)")
    from tests.app.test_tmux_smoke import Terminal

    log = installed.root / "replayed.jsonl"
    if name == "replay" and not log.exists():
        made = installed.run("simulate", "main_call", "--events", "1:picked_up", "--log", str(log))
        assert made.returncode == 0, made.stderr
    args, shown, quit_keys = TERMINAL_COMMANDS[name]
    env = {key: installed.env[key] for key in ("CALLSCRIPT_CONFIG_DIR", "CALLSCRIPT_LOG_DIR", "CALLSCRIPT_DATA_DIR")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", PATH=os.environ.get("PATH", ""))
    # The inner env drops what points into the checkout and starts in a folder outside it.
    command = ["env", "-u", "PYTHONPATH", "-C", str(installed.cwd), str(installed.bin / "callscript"),
               *(arg.format(log=log) for arg in args)]
    term = Terminal(command, env, size=(100, 30))
    try:
        term.wait_for(shown, timeout=60)
        term.send(*quit_keys)
        term.wait_for("EXITED 0")
    finally:
        term.close()
