"""``callscript audio render|status|record``: the ``audio/`` phrase library.

- ``render [FLOW...]`` renders every ``say`` line of the flows (default: all built-in flows), with
  the flows' variable defaults filled in, to ``audio/<language>/<flow>/<step>.ogg`` and records
  each in ``audio/manifest.json``. Only missing, changed and modified clips are rendered
  (``--force`` renders all); clips of steps or flows that are gone are removed.
- ``status [FLOW...]`` compares the library with the flows and lists what ``render`` would do, and
  recordings that are out of date. Exit 1 when anything is out of date (for CI). It also lists which
  situations' drills play a trainer's recording of the caller (``audio/callers/<flow>.ogg|flac|wav``)
  and which synthesise the caller; those never make the status fail.
- ``record FLOW STEP`` records a trainer saying the line: a level meter while recording, Enter to
  stop, leading and trailing silence trimmed, then keep, retake, play back or quit. Kept takes go
  to ``audio/<language>/<flow>/<step>.human.ogg`` and are preferred to the synthetic voice.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EPILOG = """\
examples:
  callscript audio status
  callscript audio render                     # every built-in flow, only what changed
  callscript audio render silent_call --force
  callscript audio record silent_call greet
  callscript audio record silent_call greet --seconds 6 --yes   # no questions (scripts)
exit status: 0 done (status: all up to date), 1 something to do or an error, 2 usage error
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audio",
        help="render, check and record the audio/ phrase library",
        description="The audio/ phrase library: rendered clips and trainers' recordings of every line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--audio-dir", metavar="DIR", help="the library (default: $CALLSCRIPT_AUDIO, else the one shipped with callscript)")

    render = actions.add_parser("render", help="render the lines that are missing or out of date",
                                description="Render every say line of FLOW... (default: all built-in flows).")
    render.add_argument("flows", nargs="*", metavar="FLOW", help="flow ids or flow files")
    render.add_argument("--rate", type=int, metavar="WPM", help="speech rate (default: the library rate, 170)")
    render.add_argument("--force", action="store_true", help="render every line, not only the out-of-date ones")
    common(render)
    render.set_defaults(run=run_render)

    status = actions.add_parser("status", help="list clips that are missing, stale or orphaned",
                                description="Compare the library with the flows. Exit 1 when anything is out of date.")
    status.add_argument("flows", nargs="*", metavar="FLOW", help="flow ids or flow files")
    status.add_argument("--rate", type=int, metavar="WPM", help="the library rate to compare with (default: 170)")
    common(status)
    status.set_defaults(run=run_status)

    record = actions.add_parser("record", help="record a trainer's voice for one line",
                                description="Record yourself saying the line of STEP in FLOW. "
                                "Press Enter to start and Enter to stop; then keep, retake, play back or quit.")
    record.add_argument("flow", metavar="FLOW", help="a built-in flow id or a flow file")
    record.add_argument("step", metavar="STEP", help="the step whose line to record")
    record.add_argument("--device", metavar="DEV", help="input device: a PortAudio index or name (default: settings input_device)")
    record.add_argument("--output-device", metavar="DEV", help="where to play a take back (default: settings output_device)")
    record.add_argument("--seconds", type=float, metavar="S", help="record exactly S seconds, starting at once")
    record.add_argument("--yes", action="store_true", help="keep the first usable take without asking")
    record.add_argument("--format", choices=("ogg", "flac", "wav"), default="ogg", help="file format (default: ogg)")
    record.add_argument("--samplerate", type=int, metavar="HZ", help="capture rate (default: the device's)")
    common(record)
    record.set_defaults(run=run_record)


def _audio_dir(args: argparse.Namespace, *, writing: bool = False) -> Any:
    from pathlib import Path

    from callscript.data import builtin_audio_dir, source_checkout
    from callscript.errors import CallscriptError
    from callscript.speech.library import AUDIO_ENV, default_audio_dir

    audio_dir = Path(args.audio_dir) if args.audio_dir else default_audio_dir()
    if writing and audio_dir == builtin_audio_dir() and source_checkout() is None:
        # The library inside an installed package is replaced by the next upgrade or reinstall:
        # a trainer's recordings written there would silently go with it.
        raise CallscriptError(
            "the phrase library shipped with callscript is part of the installed package, and what is "
            "written there is lost at the next upgrade",
            hint=f"keep your own library: add --audio-dir DIR, or set {AUDIO_ENV}=DIR so every command "
            "reads it ('callscript audio render --audio-dir DIR' fills it with every line first)",
        )
    return audio_dir


def _flows(names: list[str]) -> tuple[list[Any], set[str]]:
    """The flows named (ids or files; all built-in flows when none) and every known flow id."""
    from callscript.flow.library import load_flows, resolve

    if not names:
        flows = load_flows()
        return list(flows.values()), set(flows)
    chosen: dict[str, Any] = {}
    known: set[str] = set()
    for name in names:
        flow, reachable = resolve(name)
        chosen[flow.id] = flow
        known |= set(reachable)
    return list(chosen.values()), known


def _rate(value: int | None) -> int:
    from callscript.speech.voices import DEFAULT_RATE, check_rate

    return check_rate(DEFAULT_RATE if value is None else value)


def _rel(path: Any) -> str:
    from callscript.paths import display_path

    return display_path(path)


def run_status(args: argparse.Namespace) -> int:
    from callscript.speech.library import library_status

    audio_dir = _audio_dir(args)
    flows, known = _flows(args.flows)
    status = library_status(flows, audio_dir, rate=_rate(args.rate), known_flows=known)
    for finding in status.findings:
        print(finding)
    summary = (f"{len(status.current)} of {len(status.lines)} lines up to date in {_rel(audio_dir)}, "
               f"{len(status.humans)} recorded by a trainer")
    # Trainers' recordings of the caller's side (drills) are listed, never counted as out of date:
    # a situation without one is synthesised, which is a working default.
    callers = _caller_lines(flows, known, audio_dir)
    if status.ok:
        print("\n".join([summary, *callers]))
        return 0
    todo = len(status.to_render)
    print("\n".join([summary + (f"; {todo} to render: run 'callscript audio render'" if todo else ""), *callers]))
    return 1


def _caller_lines(flows: list[Any], known: set[str], audio_dir: Any) -> list[str]:
    """Which situations' drills play a trainer's recording of the caller (``audio/callers/
    <flow>.ogg|flac|wav``) and which synthesise the caller; recordings named after no flow."""
    from callscript.training.caller import CALLER_EXTS, find_recording, scene_for
    from callscript.training.drill import drill_path

    recorded = {f.id: path for f in flows
                if (scene := scene_for(f)) is not None and (path := find_recording(scene, audio_dir)) is not None}
    # Situations with lines to practise (callscript study offers them); the others have no drill.
    synthesised = sorted(f.id for f in flows if f.is_situation and f.id not in recorded and drill_path(f))
    lines = []
    if recorded or synthesised:
        folder = _rel(audio_dir / "callers")
        listed = ", ".join(f"{fid} ({path.name})" for fid, path in sorted(recorded.items())) or "none"
        line = f"caller recordings in {folder}: {listed}"
        if synthesised:
            line += "; synthesised: " + ", ".join(synthesised)
        lines.append(line)
    folder_path = audio_dir / "callers"
    if folder_path.is_dir():
        for file in sorted(folder_path.iterdir()):
            # <flow>.ogg is a flow's caller, <flow>.<step>.ogg a step's own.
            if file.suffix in CALLER_EXTS and file.stem.split(".")[0] not in known:
                lines.append(f"{'unused':<11} callers/{file.name}: no flow '{file.stem}' (name it after a flow id)")
    return lines


def run_render(args: argparse.Namespace) -> int:
    from callscript.speech.library import render_library
    from callscript.speech.synth import Synthesizer

    audio_dir = _audio_dir(args, writing=True)
    flows, known = _flows(args.flows)
    rate = _rate(args.rate)
    tty = sys.stderr.isatty()

    def progress(line: Any, index: int, total: int) -> None:
        text = f"[{index}/{total}] {line.rendered}"
        if tty:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr)

    with Synthesizer(rate=rate) as synth:
        try:
            report = render_library(flows, audio_dir, synth, rate=rate, known_flows=known, force=args.force, on_line=progress)
        finally:
            if tty:
                print("\r\033[K", end="", file=sys.stderr)
    for path in report.removed:
        print(f"removed     {path}: its line is gone")
    for finding in report.kept:
        print(finding)
    total = sum(seconds for _, seconds in report.rendered)
    print(f"rendered {len(report.rendered)} line(s) ({total:.1f} s of audio) into {_rel(audio_dir)}; "
          f"{report.up_to_date} already up to date")
    return 0


def _ask(prompt: str, choices: str) -> str:
    """One key from ``choices`` (first letter of the words), read as a line from stdin."""
    while True:
        print(prompt, end=" ", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
        if not answer:
            return "q"  # end of input
        answer = answer.strip().lower()[:1] or choices[0]
        if answer in choices:
            return answer


def _take(args: argparse.Namespace, device: Any) -> Any:
    """Record one take, with a level meter on stderr; returns the untrimmed clip."""
    import threading
    import time

    from callscript.speech.recorder import Recorder, meter

    recorder = Recorder(device, samplerate=args.samplerate, max_seconds=args.seconds or 120.0)
    if args.seconds is None:
        print("Press Enter to start recording.", file=sys.stderr, flush=True)
        if not sys.stdin.readline():
            raise KeyboardInterrupt
    enter = threading.Event()
    if args.seconds is None:
        threading.Thread(target=lambda: (sys.stdin.readline(), enter.set()), daemon=True).start()
        print("Recording... press Enter to stop.", file=sys.stderr, flush=True)
    recorder.start()
    try:
        while not recorder.done and not enter.is_set():
            print(f"\r{meter(recorder.level_dbfs)} {recorder.seconds:5.1f} s", end="", file=sys.stderr, flush=True)
            time.sleep(0.1)
    finally:
        clip = recorder.stop()
        print(file=sys.stderr)
    if args.seconds is None and not enter.is_set():
        # The take hit its maximum length; the Enter the trainer presses now still ends the take,
        # rather than answering the next question.
        print(f"  the take reached its maximum of {recorder.max_seconds:.0f} s; press Enter", file=sys.stderr, flush=True)
        enter.wait()
    if recorder.peak >= 0.999:
        print("  warning: the recording clipped; move back from the microphone or lower its gain", file=sys.stderr)
    return clip


def run_record(args: argparse.Namespace) -> int:
    from callscript.errors import CallscriptError
    from callscript.flow.library import resolve
    from callscript.settings import load_settings_or_defaults
    from callscript.speech.checks import check_speech, duration_bounds, level_dbfs
    from callscript.speech.clip import trim_silence
    from callscript.speech.library import record_human, step_line
    from callscript.speech.playback import Playback, parse_device

    settings, _problem = load_settings_or_defaults()
    flow, _ = resolve(args.flow)
    line = step_line(flow, args.step)
    audio_dir = _audio_dir(args, writing=True)
    device = parse_device(args.device if args.device is not None else settings.input_device)
    output = parse_device(args.output_device if args.output_device is not None else settings.output_device)
    if args.seconds is not None and not 0.5 <= args.seconds <= 600:
        raise CallscriptError("--seconds must be between 0.5 and 600", hint="e.g. --seconds 6")
    shortest, longest = duration_bounds(line.text, 450)[0], duration_bounds(line.text, 80)[1]
    print(f"Line to record ({flow.id}/{line.step}, {line.language}):\n\n    {line.text}\n", file=sys.stderr)
    while True:
        clip = _take(args, device)
        try:
            clip = trim_silence(clip)
            check_speech(clip.samples, clip.samplerate, line.text, rate=None, where="the take")
        except CallscriptError as exc:
            print(f"  {exc.message}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
            if args.yes or _ask("[r]etake or [q]uit?", "rq") == "q":
                return 1
            continue
        level = level_dbfs(clip.samples)
        print(f"  take: {clip.seconds:.1f} s after trimming, level {level:.0f} dBFS", file=sys.stderr)
        if level < -35:
            print("  note: this take is quiet; speak closer to the microphone for a clearer recording", file=sys.stderr)
        if not shortest <= clip.seconds <= longest:
            print(f"  note: this line takes {shortest:.1f}-{longest:.1f} s to say; check that the take holds "
                  "the whole line and nothing else", file=sys.stderr)
        choice = "k" if args.yes else _ask("[k]eep, [r]etake, [p]lay back or [q]uit?", "krpq")
        while choice == "p":
            playback = Playback(clip, output)
            try:
                playback.start()
                playback.wait()
            finally:
                playback.stop()
                playback.close()
            choice = _ask("[k]eep, [r]etake, [p]lay back or [q]uit?", "krpq")
        if choice == "q":
            print("  nothing saved", file=sys.stderr)
            return 1
        if choice == "k":
            key = record_human(audio_dir, line, clip, "." + args.format)
            print(f"saved {_rel(audio_dir / key)}; it now plays instead of the synthetic voice", file=sys.stderr)
            return 0
