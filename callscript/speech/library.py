"""The ``audio/`` phrase library: rendered clips and trainers' recordings of every ``say`` line.

Layout::

    audio/manifest.json
    audio/<language>/<flow>/<step>.ogg          rendered by 'callscript audio render'
    audio/<language>/<flow>/<step>.human.ogg    recorded by 'callscript audio record' (or .flac/.wav)

A line's text is its ``say`` with the flow's variable defaults filled in -- what a trainee hears
when nothing else is known. The manifest records, for every file, the exact text it was made from
(and for rendered clips the voice and rate, for all the file's SHA-256), so:

- a changed line, voice or rate makes its clip *stale*, and ``render`` redoes only those;
- a clip whose step or flow is gone is an *orphan* (rendered ones are removed by ``render``,
  recordings only reported: a trainer's voice is never deleted by a tool);
- a file changed behind the manifest's back is *modified*; a file the manifest does not know is
  *untracked*.

Playback looks lines up by their exact text (``Library.find``): a demonstration of a line with the
caller's real surname filled in is not the rendered default, and is synthesised live instead.
The manifest is written atomically, sorted, one entry per file, so its diffs read well in git.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError
from callscript.speech.voices import DEFAULT_RATE, voice_for
from callscript.text import fill

if TYPE_CHECKING:  # pragma: no cover
    from callscript.flow.model import Flow
    from callscript.speech.clip import Clip
    from callscript.speech.synth import Synthesizer

AUDIO_ENV = "CALLSCRIPT_AUDIO"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
RENDERED_EXT = ".ogg"
HUMAN_EXTS = (".ogg", ".flac", ".wav")


def default_audio_dir() -> Path:
    """The library: ``$CALLSCRIPT_AUDIO``, or the one shipped in the package (``data/audio``)."""
    if os.environ.get(AUDIO_ENV):
        return Path(os.environ[AUDIO_ENV])
    from callscript.data import builtin_audio_dir

    return builtin_audio_dir()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Line:
    """One ``say`` line of a flow, as the library stores it."""

    flow: str
    step: str
    language: str
    text: str

    @property
    def folder(self) -> str:
        return f"{self.language}/{self.flow}"

    @property
    def rendered(self) -> str:
        """Path of the rendered clip, relative to the library."""
        return f"{self.folder}/{self.step}{RENDERED_EXT}"

    def human(self, ext: str = ".ogg") -> str:
        """Path of the trainer's recording with extension ``ext``, relative to the library."""
        return f"{self.folder}/{self.step}.human{ext}"

    @property
    def voice(self) -> str:
        return voice_for(self.language)


def flow_lines(flows: Iterable[Flow]) -> list[Line]:
    """Every ``say`` line of ``flows``, with the flows' variable defaults filled in, in flow order."""
    lines = []
    for flow in flows:
        defaults = flow.defaults()
        for step in flow.steps.values():
            if step.say:
                lines.append(Line(flow.id, step.id, flow.language, fill(step.say, defaults)))
    return lines


def step_line(flow: Flow, step_id: str, values: dict[str, str] | None = None) -> Line:
    """The line of one step, filled with the flow's defaults overridden by ``values``."""
    import difflib

    if step_id not in flow.steps:
        close = difflib.get_close_matches(step_id, list(flow.steps), n=1)
        raise CallscriptError(
            f"flow '{flow.id}' has no step '{step_id}'",
            where=flow.path,
            hint=f"did you mean '{close[0]}'?" if close else "steps: " + ", ".join(flow.steps),
        )
    step = flow.steps[step_id]
    if not step.say:
        raise CallscriptError(
            f"step '{step_id}' of flow '{flow.id}' has no line to say (it is guidance only)",
            where=flow.path,
            hint="steps with a line: " + ", ".join(s.id for s in flow.steps.values() if s.say),
        )
    return Line(flow.id, step_id, flow.language, fill(step.say, {**flow.defaults(), **(values or {})}))


# -- the manifest ---------------------------------------------------------------------------------


@dataclass
class Manifest:
    """``audio/manifest.json``: one entry per file, keyed by its path relative to the library."""

    clips: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, audio_dir: Path) -> Manifest:
        path = audio_dir / MANIFEST
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CallscriptError(
                f"the audio manifest cannot be read ({exc})", where=str(path),
                hint="restore it from git, or delete it and run 'callscript audio render'",
            ) from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("clips"), dict):
            raise CallscriptError(
                f"the audio manifest is not format {MANIFEST_FORMAT}", where=str(path),
                hint="restore it from git, or delete it and run 'callscript audio render'",
            )
        return cls(dict(data["clips"]))

    def save(self, audio_dir: Path) -> None:
        audio_dir.mkdir(parents=True, exist_ok=True)
        path = audio_dir / MANIFEST
        tmp = path.with_name(f".{MANIFEST}.part")
        text = json.dumps({"format": MANIFEST_FORMAT, "clips": self.clips}, ensure_ascii=False, indent=1, sort_keys=True)
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)


# -- status ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One file or line whose state is not "up to date"."""

    state: str  # missing | stale | modified | orphan | untracked | human-stale
    path: str  # relative to the library
    detail: str
    line: Line | None = None

    def __str__(self) -> str:
        return f"{self.state:<11} {self.path}: {self.detail}"


@dataclass
class Status:
    """The library compared with the flows: what is current and what needs doing."""

    lines: list[Line]
    current: list[Line] = field(default_factory=list)
    humans: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def to_render(self) -> list[Line]:
        return [f.line for f in self.findings if f.line is not None and f.state in ("missing", "stale", "modified")]

    @property
    def ok(self) -> bool:
        return not self.findings


def _human_files(audio_dir: Path, line: Line) -> list[str]:
    return [line.human(ext) for ext in HUMAN_EXTS if (audio_dir / line.human(ext)).exists()]


def library_status(
    flows: Iterable[Flow],
    audio_dir: Path,
    *,
    rate: int = DEFAULT_RATE,
    known_flows: Iterable[str] | None = None,
    manifest: Manifest | None = None,
    verify_files: bool = True,
) -> Status:
    """Compare the library with ``flows``' lines rendered at ``rate``.

    Entries of flows not in ``known_flows`` (default: ``flows``) are orphans; entries of other known
    flows are left alone, so checking one flow says nothing about the rest.
    """
    flows = list(flows)
    manifest = manifest or Manifest.load(audio_dir)
    lines = flow_lines(flows)
    status = Status(lines)
    considered = {f.id for f in flows}
    known = considered | set(known_flows or ())
    wanted: set[str] = set()
    for line in lines:
        wanted.add(line.rendered)
        entry = manifest.clips.get(line.rendered)
        path = audio_dir / line.rendered
        if entry is None or not path.exists():
            status.findings.append(Finding("missing", line.rendered, f"no clip of {line.text!r}", line))
        elif entry.get("text") != line.text:
            status.findings.append(Finding("stale", line.rendered, f"made from {entry.get('text')!r}, the line is now {line.text!r}", line))
        elif entry.get("voice") != line.voice or entry.get("rate") != rate:
            status.findings.append(Finding(
                "stale", line.rendered,
                f"made with voice {entry.get('voice')} at rate {entry.get('rate')}, wanted {line.voice} at rate {rate}", line,
            ))
        elif verify_files and entry.get("sha256") != sha256(path):
            status.findings.append(Finding("modified", line.rendered, "the file differs from the one the manifest records", line))
        else:
            status.current.append(line)
        for human in _human_files(audio_dir, line):
            wanted.add(human)
            entry = manifest.clips.get(human)
            if entry is None:
                status.findings.append(Finding("untracked", human, "a recording the manifest does not know (record it with 'callscript audio record')"))
            elif entry.get("text") != line.text:
                status.findings.append(Finding("human-stale", human, f"recorded for {entry.get('text')!r}; the line is now {line.text!r} (record it again)"))
            else:
                status.humans.append(human)
    for key, entry in sorted(manifest.clips.items()):
        if key in wanted:
            continue
        flow_id = entry.get("flow")
        if flow_id not in known:
            status.findings.append(Finding("orphan", key, f"flow '{flow_id}' no longer exists"))
        elif flow_id in considered:
            status.findings.append(Finding("orphan", key, f"step '{entry.get('step')}' of '{flow_id}' has no line any more"))
    for folder in sorted({f"{f.language}/{f.id}" for f in flows}):
        base = audio_dir / folder
        if base.is_dir():
            for file in sorted(base.iterdir()):
                key = f"{folder}/{file.name}"
                if file.is_file() and key not in manifest.clips and key not in wanted:
                    status.findings.append(Finding("untracked", key, "a file the manifest does not know"))
    return status


# -- rendering ------------------------------------------------------------------------------------


@dataclass
class RenderReport:
    rendered: list[tuple[Line, float]] = field(default_factory=list)  # line, seconds of audio
    removed: list[str] = field(default_factory=list)
    kept: list[Finding] = field(default_factory=list)  # findings render does not fix (recordings)
    up_to_date: int = 0


def render_library(
    flows: Iterable[Flow],
    audio_dir: Path,
    synth: Synthesizer,
    *,
    rate: int = DEFAULT_RATE,
    known_flows: Iterable[str] | None = None,
    force: bool = False,
    on_line: Callable[[Line, int, int], None] | None = None,
) -> RenderReport:
    """Render every missing, stale or modified line of ``flows`` (all of them with ``force``).

    Each clip is rendered at volume 1.0 (the volume setting applies at playback), checked as
    speech, saved as Ogg Vorbis, read back and checked again before the manifest records it. The
    manifest is saved after every clip, so an interrupted render keeps what it finished.
    """
    from callscript.speech.checks import check_speech
    from callscript.speech.clip import Clip, load_clip, save_clip

    flows = list(flows)
    manifest = Manifest.load(audio_dir)
    status = library_status(flows, audio_dir, rate=rate, known_flows=known_flows, manifest=manifest)
    report = RenderReport()
    todo = list(status.lines) if force else status.to_render
    report.up_to_date = len(status.lines) - len(todo)
    for finding in status.findings:
        if finding.state == "orphan" and finding.path.endswith(RENDERED_EXT) and ".human." not in finding.path:
            (audio_dir / finding.path).unlink(missing_ok=True)
            manifest.clips.pop(finding.path, None)
            report.removed.append(finding.path)
        elif finding.state in ("orphan", "untracked", "human-stale"):
            report.kept.append(finding)
    if report.removed:
        manifest.save(audio_dir)
    for index, line in enumerate(todo, start=1):
        if on_line:
            on_line(line, index, len(todo))
        rendered = synth.render(line.text, line.language, rate=rate, volume=1.0)
        path = audio_dir / line.rendered
        save_clip(Clip(rendered.samples, rendered.samplerate), path)
        back = load_clip(path)  # what playback will read: decode it and check it again
        report_back = check_speech(back.samples, back.samplerate, line.text, rate=rate, where=line.rendered)
        manifest.clips[line.rendered] = {
            "kind": "rendered",
            "flow": line.flow,
            "step": line.step,
            "language": line.language,
            "text": line.text,
            "voice": rendered.voice,
            "rate": rendered.rate,
            "seconds": round(report_back.seconds, 3),
            "sha256": sha256(path),
        }
        manifest.save(audio_dir)
        report.rendered.append((line, report_back.seconds))
    return report


def record_human(audio_dir: Path, line: Line, clip: Clip, ext: str = ".ogg") -> str:
    """Save a trainer's recording of ``line`` and record it in the manifest; its library path."""
    from callscript.speech.clip import save_clip

    key = line.human(ext)
    for other in HUMAN_EXTS:  # one recording per line: a retake in another format replaces it
        if other != ext:
            (audio_dir / line.human(other)).unlink(missing_ok=True)
    manifest = Manifest.load(audio_dir)
    for other in HUMAN_EXTS:
        manifest.clips.pop(line.human(other), None)
    save_clip(clip, audio_dir / key)
    manifest.clips[key] = {
        "kind": "human",
        "flow": line.flow,
        "step": line.step,
        "language": line.language,
        "text": line.text,
        "seconds": round(clip.seconds, 3),
        "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": sha256(audio_dir / key),
    }
    manifest.save(audio_dir)
    return key


# -- lookup for playback --------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A library file that says a text: its path, kind (``human``/``rendered``) and rate."""

    path: Path
    kind: str
    rate: int | None


class Library:
    """Read-only lookup of clips by exact text, for playback. Reloads when the manifest changes."""

    def __init__(self, audio_dir: Path | None = None) -> None:
        self.audio_dir = audio_dir or default_audio_dir()
        self._stamp: tuple[int, int] | None = None
        self._by_text: dict[tuple[str, str], list[Found]] = {}

    def _refresh(self) -> None:
        path = self.audio_dir / MANIFEST
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        self._stamp = stamp
        self._by_text = {}
        if stamp is None:
            return
        manifest = Manifest.load(self.audio_dir)
        for key, entry in manifest.clips.items():
            text, language = entry.get("text"), entry.get("language")
            if not isinstance(text, str) or not isinstance(language, str):
                continue
            found = Found(self.audio_dir / key, str(entry.get("kind")), entry.get("rate"))
            self._by_text.setdefault((language, text), []).append(found)
        for candidates in self._by_text.values():
            candidates.sort(key=lambda f: (f.kind != "human", str(f.path)))

    def find(self, text: str, language: str) -> list[Found]:
        """Files that say exactly ``text`` in ``language``: recordings first, then rendered clips."""
        self._refresh()
        return [f for f in self._by_text.get((language, text), []) if f.path.exists()]
