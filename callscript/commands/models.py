"""``callscript models list|download|install``: the offline speech models.

``download zh|en`` fetches the small Vosk model, with a progress bar, resuming an interrupted
download (HTTP Range), and accepts it only when its size, SHA-256, MD5 and zip CRCs match (see
``callscript.audio.models`` for where the checksums come from). ``install FILE.zip`` does the same
checks on an archive fetched some other way, for machines with no network.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, download or install the offline speech-recognition models",
        description="Manage the Vosk speech models callscript uses to hear the caller (offline).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="known and installed models, and where they are")
    listing.set_defaults(run=run_list)
    down = actions.add_parser("download", help="download, verify and unpack a model (zh or en)")
    down.add_argument("key", metavar="zh|en", help="zh: vosk-model-small-cn-0.22; en: vosk-model-small-en-us-0.15")
    down.add_argument("--dir", type=Path, metavar="DIR", help="put the model here (default: the user data folder)")
    down.add_argument("--url", metavar="URL", help="download from this address instead (a mirror)")
    down.add_argument("--quiet", action="store_true", help="no progress bar")
    down.set_defaults(run=run_download)
    install = actions.add_parser("install", help="verify and unpack a model archive downloaded by other means")
    install.add_argument("archive", type=Path, metavar="FILE.zip")
    install.add_argument("--dir", type=Path, metavar="DIR", help="put the model here (default: the user data folder)")
    install.set_defaults(run=run_install)
    parser.set_defaults(run=lambda args: (parser.print_help(), 2)[1])


def run_list(args: argparse.Namespace) -> int:
    from callscript.audio.models import CATALOG, MODEL_DIR_ENV, installed_models, model_problems, models_dir

    folder = models_dir()
    print(f"models folder: {folder}   (set {MODEL_DIR_ENV} to use another)")
    found = installed_models()
    by_name = {m.name: m for m in found}
    for key, entry in CATALOG.items():
        have = by_name.get(entry.name)
        if have is None:
            status = f"not installed   (callscript models download {key})"
        else:
            problems = model_problems(have.path)
            status = f"installed: {have.path}" if not problems else f"BROKEN ({'; '.join(problems)}): {have.path}"
        print(f"  {key:3} {entry.name:30} {entry.title:32} {status}")
    for model in found:
        if model.name not in {e.name for e in CATALOG.values()}:
            print(f"  {'-':3} {model.name:30} {model.how:32} {model.path}")
    return 0


class _Bar:
    """A one-line progress bar on stderr: bytes, percent, speed, time left."""

    def __init__(self, name: str, stream=sys.stderr) -> None:  # noqa: ANN001
        self.name = name
        self.stream = stream
        self.start = time.monotonic()
        self.first: int | None = None
        self.last_draw = 0.0
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = done
            if done:
                print(f"resuming {self.name} at {done / 1e6:.1f} MB", file=self.stream)
        if now - self.last_draw < (0.1 if self.tty else 2.0) and done < total:
            return
        self.last_draw = now
        fraction = done / total if total else 0.0
        speed = (done - (self.first or 0)) / max(now - self.start, 1e-6)
        left = (total - done) / speed if speed > 0 else 0.0
        filled = int(fraction * 30)
        line = (f"{self.name} [{'#' * filled}{'.' * (30 - filled)}] {done / 1e6:5.1f}/{total / 1e6:.1f} MB "
                f"{fraction:4.0%} {speed / 1e6:5.2f} MB/s {left:4.0f}s left")
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=self.stream, flush=True)
        if done >= total and self.tty:
            print(file=self.stream)


def run_download(args: argparse.Namespace) -> int:
    from callscript.audio.models import CATALOG, download

    entry = CATALOG.get(args.key)
    if entry is None:
        print(f"callscript models download: error: unknown model '{args.key}' (choose: {', '.join(CATALOG)})",
              file=sys.stderr)
        return 2
    path = download(entry, target_dir=args.dir, url=args.url, progress=None if args.quiet else _Bar(entry.name))
    print(f"{entry.name} is ready: {path}")
    return 0


def run_install(args: argparse.Namespace) -> int:
    from callscript.audio.models import CATALOG, install_zip
    from callscript.errors import CallscriptError

    name = args.archive.name.removesuffix(".zip").removesuffix(".part")
    entry = next((e for e in CATALOG.values() if name.startswith(e.name)), None)
    if entry is None:
        raise CallscriptError(f"{args.archive.name} is not one of the models callscript knows",
                              hint="known: " + ", ".join(e.name + ".zip" for e in CATALOG.values()))
    if not args.archive.is_file():
        raise CallscriptError(f"no such file: {args.archive}", hint="check the path")
    path = install_zip(args.archive, entry, target_dir=args.dir, keep_on_error=True)
    print(f"{entry.name} is ready: {path}")
    return 0
