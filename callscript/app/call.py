"""One live call: the engine, its session log, and what the summary shows. No Textual here.

The call screen owns a ``CallSession``; keeping the bookkeeping out of the widget layer means the
rules that matter most (every call writes its log; a call that is abandoned is logged as
``aborted`` and the file is closed) are plain Python that the tests can check directly, and that
``replay``/``study`` can reuse.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.engine.clock import Clock
from callscript.engine.engine import CallEngine, EngineRecord
from callscript.flow.model import Flow
from callscript.session.log import SessionLog

if TYPE_CHECKING:
    from callscript.training.timeline import Mark

TITLES = ("先生", "小姐", "女士")


@dataclass(frozen=True)
class CallSummary:
    """What the summary screen shows once a call is over."""

    flow_id: str
    outcome: str
    duration: float
    steps: tuple[tuple[float, str, str], ...]  # (seconds into the call, flow id, step id)
    situations: tuple[str, ...]
    notes: tuple[str, ...]
    log_path: Path
    final_flow: str
    final_step: str
    # What the replay of this call would show, read back from its log (``review``): the
    # compliance marks (None: the log could not be read) and the last line the agent said.
    marks: tuple[Mark, ...] | None = None
    last_said: str | None = None


def review(log_path: Path, flows: Mapping[str, Flow]) -> tuple[tuple[Mark, ...] | None, str | None]:
    """The compliance marks and the last line said of the (last) call in ``log_path``, computed
    as the replay does (``callscript.training.timeline``); (None, None) when the log cannot be read."""
    from callscript.errors import CallscriptError
    from callscript.training.timeline import load_timelines

    try:
        timelines = load_timelines(log_path, dict(flows))
    except (CallscriptError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None, None
    if not timelines:
        return None, None
    timeline = timelines[-1]
    said = [v.say for v in timeline.visits if v.say and (v.said is not None or not timeline.live)]
    return tuple(timeline.marks), (said[-1] if said else None)


@dataclass
class CallSession:
    """A call being worked: engine + session log, closed exactly once whatever happens."""

    engine: CallEngine
    log: SessionLog
    notes: list[str] = field(default_factory=list)
    closed: bool = False
    end_record: EngineRecord | None = None
    line_audio: Any = None  # (listener, writer) while the line audio is recorded

    @classmethod
    def open(
        cls,
        flows: Mapping[str, Flow],
        flow_id: str,
        clock: Clock,
        log_dir: Path,
        *,
        variables: Mapping[str, str] | None = None,
        wall: Callable[[], float] = time.time,
        listeners: tuple[Callable[[EngineRecord], None], ...] = (),
        matcher: Callable[..., bool] | None = None,
    ) -> CallSession:
        """Create the log file and the engine (the call itself starts with ``start``).

        ``matcher`` decides whether recognised text matches a ``heard:`` phrase (the engine's
        default when None).
        """
        log = SessionLog.create(log_dir, flow_id, wall=wall)
        extra = {"matcher": matcher} if matcher is not None else {}
        engine = CallEngine(flows, flow_id, clock, variables=variables, listeners=(log, *listeners), **extra)
        session = cls(engine, log)
        engine.subscribe(session._on_record)
        return session

    def _on_record(self, record: EngineRecord) -> None:
        if record.kind == "call_ended":
            self.end_record = record

    @property
    def ended(self) -> bool:
        return self.engine.ended

    def start(self) -> None:
        self.engine.start()

    def add_note(self, text: str) -> None:
        text = text.strip()
        if text and not self.closed:
            self.notes.append(text)
            self.engine.add_note(text)

    def record_line(self, listener: Any) -> Path | None:
        """Record what ``listener`` hears, from now to the end of the call, next to the log.

        The log gets a ``line_audio`` record (the file, and ``t``: where its first sample falls in
        the call) so that ``callscript replay`` plays it in sync. Once per call; None when the
        listener cannot be tapped or the call is over.
        """
        if self.closed or self.line_audio is not None or not hasattr(listener, "tap") or self.engine.started_at is None:
            return None
        from callscript.audio.lineaudio import LineAudioWriter, line_audio_path

        writer = LineAudioWriter(line_audio_path(self.log.path))
        self.log.write({"type": "line_audio", "t": round(self.engine.elapsed(), 4), "mono": self.engine.clock.now(),
                        "file": writer.path.name, "rate": writer.samplerate})
        listener.tap(writer)
        self.line_audio = (listener, writer)
        return writer.path

    def _stop_recording(self) -> None:
        if self.line_audio is not None:
            listener, writer = self.line_audio
            self.line_audio = None
            try:
                if getattr(listener, "_tap", writer) is writer:  # not the next call's recording
                    listener.tap(None)
            finally:
                writer.close()

    def close(self, outcome: str = "aborted") -> None:
        """End the call (as ``outcome`` when the flow had not ended it) and close the log.

        Safe to call any number of times and from exception paths: a failure to log the ending
        never stops the file from being closed.
        """
        if self.closed:
            return
        self.closed = True
        try:
            if not self.engine.ended and self.engine.started_at is not None:
                self.engine.end_call(outcome)
        finally:
            try:
                self._stop_recording()
            finally:
                self.log.close()

    def summary(self) -> CallSummary:
        """What the summary screen shows; the marks and the last line said are read back from the
        log, so once the call is closed they are the ones its replay shows."""
        engine = self.engine
        marks, last_said = review(self.log.path, engine.flows) if self.closed else (None, None)
        return CallSummary(
            flow_id=engine.history[0][1] if engine.history else engine.flow.id,
            outcome=engine.outcome or "aborted",
            # A call ends at the deadline that ended it, not when the screen noticed.
            duration=self.end_record.t if self.end_record else engine.elapsed(),
            steps=tuple(engine.history),
            situations=tuple(engine.situations_met),
            notes=tuple(self.notes),
            log_path=self.log.path,
            final_flow=engine.flow.id,
            final_step=engine.step.id,
            marks=marks,
            last_said=last_said,
        )


_CALLER = re.compile(r"^\s*(?P<surname>.*?)\s*(?P<title>先生|小姐|女士)?\s*$")


def parse_caller(text: str) -> tuple[str | None, str | None]:
    """Split quick caller entry into (surname, title): ``王先生`` -> (王, 先生); ``李`` -> (李, None).

    ``Mr Wang``/``Ms Li`` are accepted too and become 先生/小姐, since the flows address callers in
    Chinese.
    """
    text = text.strip()
    english = re.match(r"^(mr|mrs|ms|miss)\.?\s+(\S+)$", text, re.IGNORECASE)
    if english:
        title = "先生" if english.group(1).lower() == "mr" else "小姐"
        return english.group(2), title
    found = _CALLER.match(text)
    if not found:
        return (text or None), None
    surname = found.group("surname").strip() or None
    return surname, found.group("title")


def format_duration(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour) for the call clock and the summary."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
