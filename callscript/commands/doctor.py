"""``callscript doctor [--json]``: what this machine can do, and how to add what is missing.

Prints one row per capability from ``callscript.doctor.check_capabilities`` (PortAudio, audio
devices, numpy, webrtcvad, vosk and a model, espeak-ng and pyttsx3's driver), with a fix line
under each missing one. ``--json`` prints one JSON object per capability instead (``name``,
``ok``, ``detail``, ``fix``, ``needed_for``). Exit 0 when everything is there, 1 when something is
missing: callscript still runs then, keyboard-only where audio is missing.
"""

from __future__ import annotations

import argparse

from callscript.text import json_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check audio, speech and model support, and say how to add what is missing",
        description="Check what this machine can do (audio devices, speech recognition, speech "
        "synthesis) and print a one-line fix for each missing part.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per capability")
    parser.set_defaults(run=run)


def format_table(capabilities: list) -> str:
    """The report as printed: status, name, detail; a ``fix:`` line under each missing part."""
    width = max(len(c.name) for c in capabilities)
    lines = []
    for c in capabilities:
        lines.append(f"{'ok' if c.ok else 'MISSING':<8} {c.name:<{width}}  {c.detail}")
        if not c.ok:
            lines.append(f"{'':<8} {'':<{width}}  fix: {c.fix}")
    missing = [c for c in capabilities if not c.ok]
    if missing:
        features = sorted({f.strip() for c in missing for f in c.needed_for.split(",") if f.strip()})
        lines.append("")
        lines.append(f"{len(capabilities) - len(missing)} of {len(capabilities)} ready. Without the missing parts "
                     f"callscript still runs by keyboard" + (f"; affected: {', '.join(features)}." if features else "."))
    else:
        lines.append("")
        lines.append(f"all {len(capabilities)} ready: listening, speech recognition and speaking can all be used.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from callscript.doctor import check_capabilities

    capabilities = check_capabilities()
    if args.json:
        for c in capabilities:
            print(json_text(c.to_dict()))
    else:
        print(format_table(capabilities))
    return 0 if all(c.ok for c in capabilities) else 1
