"""Reading a large session log behind a progress bar, then the replay screen.

The log is streamed in a thread worker (``callscript.app.replay.load_replay`` with a progress
callback), so the screen stays responsive and the agent sees how far it got. When the log is read
the ``ReplayScreen`` opens over this screen, which goes when the replay closes; a log that cannot
be replayed is one notification (or, when the app was started for this log only, the app exits
with the message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from callscript.app.replay import PendingReplay, Replay, load_replay
from callscript.app.screens.base import TranslatedBindings
from callscript.errors import CallscriptError


class ReplayLoadingScreen(TranslatedBindings, Screen[None]):
    """A progress bar while a session log is indexed for replay."""

    DEFAULT_CSS = """
    ReplayLoadingScreen { align: center middle; }
    ReplayLoadingScreen > Vertical { width: 70; height: auto; }
    """

    def __init__(self, pending: PendingReplay) -> None:
        super().__init__()
        self.pending = pending
        self._done = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.app_t("replay.loading", file=Path(self.pending.path).name), markup=False)
            yield ProgressBar(total=None, show_eta=False, id="replay-loading")

    def on_mount(self) -> None:
        self._load(self._callscript_app.flows)

    @work(thread=True, exclusive=True)
    def _load(self, flows: dict[str, Any]) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        try:
            replay = load_replay(self.pending.path, flows, call=self.pending.call, progress=progress)
        except CallscriptError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        replay.audio = self.pending.audio
        self.app.call_from_thread(self._loaded, replay)

    def _progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def _loaded(self, replay: Replay) -> None:
        from callscript.app.screens.replay import ReplayScreen

        # Pushed over this screen (switching away from the app's only screen leaves Textual with
        # an empty stack for a moment); when the replay closes, this screen goes too.
        self._done = True
        self.app.push_screen(ReplayScreen(replay))

    def on_screen_resume(self) -> None:
        if not self._done:
            return
        if len(self.app.screen_stack) <= 1:
            self.app.exit(0)
        else:
            self.app.pop_screen()

    def _failed(self, exc: CallscriptError) -> None:
        if len(self.app.screen_stack) <= 1:  # started for this log only: say why and stop
            self.app.exit(return_code=1, message=exc.render())
            return
        self._callscript_app.tell("replay.cannot_open", detail=exc.message + (f" ({exc.hint})" if exc.hint else ""),
                                  severity="error", timeout=10, file=Path(self.pending.path).name)
        self.app.pop_screen()
