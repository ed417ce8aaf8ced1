"""The pure call-flow engine: no UI, audio or speech imports, time from an injected clock."""

from callscript.engine.clock import Clock, ManualClock, MonotonicClock
from callscript.engine.engine import CallEngine, EngineRecord, StepView

__all__ = ["CallEngine", "Clock", "EngineRecord", "ManualClock", "MonotonicClock", "StepView"]
