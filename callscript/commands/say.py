"""``callscript say FLOW STEP [--out FILE]``: play (or write) the correct phrasing of one line.

For scripts and for checking how a line sounds. The audio is chosen as in the app: a trainer's
recording of the line, else the rendered library clip, else live synthesis (``--source`` insists on
one). Playback goes to ``--device`` (default: the ``output_device`` setting, else the system
default) and the command returns when the line has been heard to its end. ``--out`` writes the
audio instead (.wav, .flac or .ogg), at full scale unless ``--volume`` or ``--louder`` is given.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  callscript say silent_call greet
  callscript say address_by_surname address --vars surname=王,title=女士
  callscript say silent_call greet --out greet.wav
  callscript say agent_too_quiet apologise_louder --louder --device 3
exit status: 0 played or written, 1 an error (no such step, no audio, no device), 2 usage error
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "say",
        help="play or write the correct phrasing of a step's line",
        description="Play the line of STEP in FLOW as the app demonstrates it (recording, library "
        "clip or live synthesis), or write it to a file with --out.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("flow", metavar="FLOW", help="a built-in flow id or a path to a flow file")
    parser.add_argument("step", metavar="STEP", help="the id of a step with a line to say")
    parser.add_argument("--out", metavar="FILE", help="write the audio to FILE (.wav, .flac or .ogg) instead of playing it")
    parser.add_argument("--vars", default="", metavar="k=v,...", help="variable values, e.g. surname=王,title=先生")
    parser.add_argument("--source", choices=("auto", "human", "library", "synth"), default="auto",
                        help="where the audio comes from (default: the best available)")
    parser.add_argument("--device", metavar="DEV", help="output device: a PortAudio index or name (default: settings)")
    parser.add_argument("--rate", type=int, metavar="WPM", help="speech rate for synthesis (default: settings tts_rate)")
    parser.add_argument("--volume", type=float, metavar="0..1", help="volume (default: settings tts_volume when playing)")
    parser.add_argument("--louder", action="store_true", help="+3 dB, as the 'agent too quiet' demonstration")
    parser.add_argument("--audio-dir", metavar="DIR", help="the audio library (default: $CALLSCRIPT_AUDIO, else the one shipped with callscript)")
    parser.set_defaults(run=run)


def parse_vars(text: str) -> dict[str, str]:
    from callscript.errors import CallscriptError

    values = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CallscriptError(f"--vars item '{item}' is not NAME=VALUE", hint="e.g. --vars surname=王,title=先生")
        values[name.strip()] = value.strip()
    return values


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from callscript.errors import CallscriptError
    from callscript.flow.library import resolve
    from callscript.paths import display_path
    from callscript.settings import load_settings_or_defaults
    from callscript.speech.clip import louder, save_clip, scale
    from callscript.speech.library import Library, default_audio_dir, step_line
    from callscript.speech.playback import Playback, parse_device
    from callscript.speech.speaker import ClipChooser
    from callscript.speech.voices import MAX_RATE, MIN_RATE, check_rate, check_volume

    settings, problem = load_settings_or_defaults()
    if problem and (args.rate is None or args.volume is None or args.device is None):
        print(problem.render() + "\n  note: the default is used for each value named here", file=sys.stderr)
    rate = check_rate(args.rate if args.rate is not None else max(MIN_RATE, min(MAX_RATE, settings.tts_rate)))
    if args.volume is not None:
        check_volume(args.volume)
    flow, _ = resolve(args.flow)
    line = step_line(flow, args.step, parse_vars(args.vars))
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".wav", ".flac", ".ogg"):
        raise CallscriptError(f"cannot write {out.suffix or 'a file without extension'}", where=str(out),
                              hint="use .wav, .flac or .ogg")

    synth = None
    if args.source in ("auto", "synth"):
        from callscript.speech.synth import Synthesizer

        synth = Synthesizer(rate=rate)
    try:
        chooser = ClipChooser(Library(Path(args.audio_dir) if args.audio_dir else default_audio_dir()), synth, rate)
        choice = chooser.choose(line.text, line.language, args.source)
    finally:
        if synth is not None:
            synth.close()
    clip = choice.clip.wait(30.0) if hasattr(choice.clip, "wait") else choice.clip
    volume = args.volume if args.volume is not None else (None if out else settings.tts_volume)
    if volume is not None:
        clip = scale(clip, volume)
    if args.louder:
        clip = louder(clip)
    where = f" ({display_path(Path(choice.path))})" if choice.path else ""
    print(f"{flow.id}/{line.step}: {line.text}\n  {choice.source}{where}, {clip.seconds:.1f} s", file=sys.stderr)
    if out is not None:
        save_clip(clip, out)
        print(f"  written to {out}", file=sys.stderr)
        return 0
    device = parse_device(args.device if args.device is not None else settings.output_device)
    playback = Playback(clip, device)
    try:
        playback.start()
        playback.wait()
    finally:  # Ctrl+C included: never leave the device playing
        playback.stop()
        playback.close()
    return 0
