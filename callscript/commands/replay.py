"""``callscript replay [LOG]``: open a past call in the app, to play it back and coach from it.

LOG is a session log (``*.jsonl``); without it, the newest log in the log folder. ``replay URL
CALL_ID`` opens a call from the team store (a trainer's login), made on any agent's PC. A log with several
calls opens on the last one (``--call N`` for another; ``c`` in the app switches). A log that is
missing, unreadable, empty or made with flows callscript no longer has is one message and exit 1.
Only argparse is imported at registration.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

HELP = "replay a past call from its session log (timeline, compliance marks, line audio)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay", help=HELP,
        description=(
            "Open a past call in the app: its steps, events and waits at their real timings, the "
            "compliance marks (waits shorter than the flow requires, steps skipped, forbidden phrasing "
            "heard, hang-ups during a wait or without the call-back), and the line audio when the call "
            "was recorded (setting record_line_audio)."
        ),
        epilog=(
            "keys: Space = play/pause; Right/Left (or . ,) = next/previous row; n/p = next/previous mark; "
            "Home/End = start/end; j = jump to a time; s = speed 1x/2x/4x (or 1, 2, 4); c = choose the call; "
            "v = hear the step's line said correctly; g = English gloss; Esc = close. Above 1x the line "
            "audio plays sped up (higher pitch)."
        ),
    )
    parser.add_argument("log", nargs="?", metavar="LOG|URL",
                        help="a session log (*.jsonl; default: the newest in the log folder), or the team store's "
                             "postgresql:// URL followed by a CALL_ID")
    parser.add_argument("call_id", nargs="?", metavar="CALL_ID",
                        help="with a store URL: the call's id (callscript store calls URL lists them)")
    parser.add_argument("--call", type=int, metavar="N", help="which call of the log to open first (1 = the first; default: the last)")
    parser.add_argument("--log-dir", metavar="DIR", help="the log folder LOG defaults from (default: the user data folder)")
    parser.add_argument("--lang", choices=("zh", "en"), help="interface language (default: from settings, zh)")
    parser.add_argument("--plain", action="store_true", default=None,
                        help="plain mode: high contrast, no animation, linear text (screen readers)")
    parser.add_argument("--no-audio", action="store_true",
                        help="do not play the line audio or demonstrations (also CALLSCRIPT_NO_AUDIO=1)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import tempfile

    from callscript.team import is_store_url

    if not is_store_url(args.log):
        if args.call_id:
            from callscript.errors import CallscriptError

            raise CallscriptError(f"'{args.call_id}' follows a log file", hint="a CALL_ID goes with a store URL: "
                                  "callscript replay postgresql://USER@HOST/DB CALL_ID")
        return _replay(args)
    if not args.call_id:
        from callscript.errors import CallscriptError

        raise CallscriptError("which call? give its id after the store's URL",
                              hint="callscript store calls URL [--agent ID] [--day YYYY-MM-DD] lists them")
    from callscript.team.fetch import fetch_call

    # The call is written as a private log for the replay screen and removed when it closes.
    with tempfile.TemporaryDirectory(prefix="callscript-replay-") as folder:
        args.log = str(fetch_call(args.log, args.call_id, Path(folder)))
        return _replay(args)


def _replay(args: argparse.Namespace) -> int:
    from callscript.app.replay import LOAD_IN_SCREEN_BYTES, PendingReplay, check_log, load_replay, recent_logs
    from callscript.errors import CallscriptError
    from callscript.flow.library import load_flows
    from callscript.session.log import default_log_dir
    from callscript.commands.run import app_settings

    log_dir = Path(args.log_dir) if args.log_dir else default_log_dir()
    if args.log:
        path = Path(args.log)
    else:
        newest = recent_logs(log_dir, limit=1)
        if not newest:
            raise CallscriptError("no call logs to replay yet", where=str(log_dir),
                                  hint="make a call with 'callscript run' first, or give the path of a log: callscript replay LOG")
        path = newest[0]
    flows = load_flows()
    audio = not args.no_audio and not os.environ.get("CALLSCRIPT_NO_AUDIO")
    replay: Any
    if check_log(path) > LOAD_IN_SCREEN_BYTES:  # read in the app, behind a progress bar
        replay = PendingReplay(path, call=args.call, audio=audio)
    else:
        replay = load_replay(path, flows, call=args.call)

    settings, problem = app_settings(args)

    from callscript.app.app import make_app
    from callscript.app.ports import optional_factory

    speaker: Any = None
    if audio:
        def build_speaker() -> Any:
            factory = optional_factory("callscript.speech.speaker", "make_speaker")
            return factory(settings) if factory is not None else None

        speaker = build_speaker
    if not isinstance(replay, PendingReplay):
        replay.audio = audio
    app = make_app(flows, log_dir=log_dir, settings=settings, speaker=speaker, replay=replay,
                   settings_problem=problem, audio_off=not audio)
    app.run()
    return int(app.return_code or 0)
