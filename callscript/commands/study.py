"""``callscript study [FLOW]``: self-study drills (and ``--quiz``) in the app.

Without FLOW the app opens on a picker of situations to practise; with FLOW (a built-in id or a
flow file) the drill starts at once. The caller's side plays on the output device (synthesised, or a
trainer's recording in ``audio/callers/``); answers are typed, or spoken when a speech model and a
microphone are there. Scores go to the progress store (``callscript progress``). Only argparse is
imported at registration.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

HELP = "practise a situation: the caller plays, you answer, every line is scored (--quiz: choose the line)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "study", help=HELP, description=(
            "Self-study drills. The app plays the caller's side of a situation (silence, a quiet "
            "caller, a noisy line, a dialect, speakerphone); you answer each line by typing it (Enter) "
            "or saying it, and each answer is scored by what the manual asks: the parts of the line "
            "(declared in the flow, with the wordings a trainer accepts), forbidden phrasing, 您 rather "
            "than 你, no promises, and whether you waited the seconds the manual asks (from the end of "
            "your line to your first keystroke or the start of your speech). Each deduction is listed "
            "with its points; a line passes at 80. With --quiz you choose the correct line among "
            "near misses and forbidden ones, how long to wait and what comes next (no microphone "
            "needed). Scores are recorded in your progress (see 'callscript progress')."
        ),
        epilog=(
            "keys: Enter = submit the line; Ctrl+D = hear the correct line (in the summary: each line that did not pass); Ctrl+R = hear the caller "
            "again; Ctrl+E = hang up (ends the drill: the last wait is judged then); Ctrl+T = switch "
            "between drill and quiz; 1-9 = choose a quiz answer, Enter = next question; Esc = back; "
            "in the picker Enter = drill, F4 = quiz."
        ),
    )
    parser.add_argument("flow", nargs="?", metavar="FLOW", help="built-in flow id (e.g. silent_call) or flow file")
    parser.add_argument("--quiz", action="store_true", help="quiz mode: choose the correct line")
    parser.add_argument("--trainee", metavar="NAME",
                        help="whose progress the scores go to (default: the agent name in settings, else your login)")
    parser.add_argument("--lang", choices=("zh", "en"), help="interface language (default: from settings, zh)")
    parser.add_argument("--plain", action="store_true", default=None,
                        help="plain mode: high contrast, no animation, linear text (screen readers)")
    parser.add_argument("--vars", metavar="K=V,...", default="", help="flow variables, e.g. agent=1234,hotline=XX")
    parser.add_argument("--no-audio", action="store_true",
                        help="no caller audio, no listening, no demonstrations (also CALLSCRIPT_NO_AUDIO=1)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from callscript.training.drill import study_flows
    from callscript.commands.run import app_settings, parse_vars
    from callscript.errors import CallscriptError
    from callscript.flow.library import load_flows, resolve
    from callscript.flow.notices import announced

    variables = parse_vars(args.vars)
    settings, _problem = app_settings(args)  # printed; the study app has no place to show it
    if args.flow:
        flow, flows = resolve(args.flow)
        if flow.id not in {f.id for f in study_flows(flows)}:
            raise CallscriptError(f"flow '{flow.id}' has no lines to practise",
                                  hint="choose a flow whose steps have a 'say' line, e.g. silent_call")
        flow_id: str | None = flow.id
    else:
        flows = load_flows()
        flow_id = None

    from callscript.training.progress import ProgressStore

    store = ProgressStore()
    from callscript.app.screens.study.common import login_name

    trainee = (args.trainee or settings.agent or login_name()).strip()
    caller: Any = None
    speaker: Any = None
    listener: Any = None
    # With audio off the caller stays None and the drill says so in the interface language
    # ("audio is off"); a reason is only given when playing was tried and failed.
    audio_off = bool(args.no_audio or os.environ.get("CALLSCRIPT_NO_AUDIO"))
    if not audio_off:
        def build_caller() -> Any:
            from callscript.training.caller import CallerAudio

            return CallerAudio(settings.output_device or None)

        def build_speaker() -> Any:
            from callscript.commands.run import speaker_factory

            return speaker_factory(settings)

        def build_listener() -> Any:
            from callscript.app.ports import optional_factory

            listener_class = optional_factory("callscript.audio.listener", "LineListener")
            if listener_class is None:
                return None
            language = flows[flow_id].language if flow_id else "zh-CN"
            # The trainee's own microphone: the agent microphone if set, else the line input.
            device = settings.agent_input_device or settings.input_device or None
            return listener_class(device=device, model=settings.model_dir or None, language=language)

        caller, speaker, listener = build_caller, build_speaker, build_listener

    from callscript.app.study import make_study_app

    app = make_study_app(flows, flow=flow_id, quiz=args.quiz, settings=settings, store=store, trainee=trainee,
                         caller=caller, listener=listener, speaker=speaker, variables=variables, audio_off=audio_off,
                         flow_notices=announced())
    try:
        app.run()
    finally:
        store.close()
    return int(app.return_code or 0)
