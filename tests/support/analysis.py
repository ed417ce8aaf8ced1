"""The line analysis, and the pipeline with recognition, run over a whole recording: the way the
listening tests check what they report.

numpy, webrtcvad, vosk and the analysis are imported when something is analysed: conftest imports
``tests.support`` for every test run, the engine tests included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callscript.audio.analysis import AnalysisConfig, LineEvent
    from callscript.audio.pipeline import Output
    from callscript.audio.recognizer import Recognizer

CHUNK = 1234  # odd-sized blocks, as a device delivers them: never whole 30 ms frames


def analyse(samples: Any, config: AnalysisConfig | None = None, *, chunk: int | None = CHUNK) -> list[LineEvent]:
    """Every event a fresh ``LineAnalyzer`` reports over ``samples`` (16 kHz int16), fed ``chunk``
    samples at a time (``None``: all at once), and then at the end of the line."""
    from callscript.audio.analysis import LineAnalyzer

    analyzer = LineAnalyzer(config)
    step = chunk or max(1, len(samples))
    events: list[LineEvent] = []
    for start in range(0, len(samples), step):
        events += analyzer.feed(samples[start:start + step])
    return events + analyzer.finish()


def recognise(samples: Any, recognizer: Recognizer, phrases: list[str] | None = None) -> list[Output]:
    """What a ``LinePipeline`` with ``recognizer`` (restricted to ``phrases`` when given) reports
    over ``samples``, fed 0.3 s at a time, levels left out: conditions and transcripts."""
    from callscript.audio.pipeline import LinePipeline

    outputs: list[Output] = []
    pipeline = LinePipeline(outputs.append, recognizer=recognizer)
    if phrases is not None:
        pipeline.set_phrases(phrases)
    for start in range(0, len(samples), 4800):
        pipeline.feed(samples[start:start + 4800])
    pipeline.finish()
    return [output for output in outputs if output.kind != "level"]


def conditions(events: list[LineEvent]) -> list[str]:
    """The events' conditions, in order."""
    return [event.condition for event in events]
