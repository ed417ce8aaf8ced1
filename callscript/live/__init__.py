"""The headless live call: one call's engine, log, listening state, suggestions and silence.

``LiveCall`` (``callscript.live.call``) is driven by typed commands and line signals
(``callscript.live.signals``) and reports ``callscript.live.events``; ``summarise`` gives what the
summary screen shows. No Textual, audio or speech imports anywhere in this package (a test
proves it), so the call screen, a softphone bridge or a test can all drive the same call.
"""

from __future__ import annotations

from callscript.live.call import LiveCall
from callscript.live.summary import CallSummary, summarise

__all__ = ["CallSummary", "LiveCall", "summarise"]
