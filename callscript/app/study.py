"""The study app: ``callscript study [FLOW]`` opens the app on the self-study screens.

``StudyApp`` is the call prompter's app (same stylesheet, keys, settings, speaker for the
demonstrate key) whose first screen is the study picker, or a drill/quiz on one flow. Like
``make_app``, ``make_study_app`` takes every collaborator, so tests build the real app with a
``ManualClock``, a progress store under a temporary folder and no caller audio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from callscript.app.app import CallscriptApp
from callscript.app.screens.study import StudyOptions, study_flows
from callscript.engine.clock import Clock, MonotonicClock
from callscript.errors import CallscriptError
from callscript.flow.model import Flow
from callscript.settings import Settings

if TYPE_CHECKING:
    from callscript.flow.notices import Notice


class StudyApp(CallscriptApp):
    """The app opened on the study screens (``make_study_app`` builds it)."""

    def __init__(self, flows: Mapping[str, Flow], *, study: StudyOptions, study_flow: str | None = None,
                 quiz: bool = False, **kwargs: Any) -> None:
        self.study = study
        self.study_flow = study_flow
        self.quiz = quiz
        super().__init__(flows, **kwargs)

    def get_default_screen(self) -> Screen[Any]:
        # A plain base screen under the study screens, so that every study screen can be switched
        # (Textual cannot switch away from the default screen).
        return Screen(id="base")

    def on_mount(self) -> None:
        from callscript.app.screens.study import StudyPickerScreen, StudyScreen

        self.push_screen(StudyScreen(self.study_flow, quiz=self.quiz) if self.study_flow
                         else StudyPickerScreen(quiz=self.quiz))


def make_study_app(
    flows: Mapping[str, Flow],
    *,
    flow: str | None = None,
    quiz: bool = False,
    clock: Clock | None = None,
    settings: Settings | None = None,
    store: Any = None,
    trainee: str | None = None,
    caller: Any = None,
    listener: Any = None,
    speaker: Any = None,
    variables: Mapping[str, str] | None = None,
    quiz_seed: int | None = None,
    no_caller_reason: str | None = None,
    no_caller_part: Any = None,
    audio_off: bool = False,
    log_dir: Any = None,
    flow_notices: Sequence[Notice] = (),
) -> StudyApp:
    """Build the study app. ``flow`` opens its drill (its quiz with ``quiz``) at once, else the
    picker; ``store``/``trainee`` record the scores (a ``ProgressStore`` or a factory); ``caller``
    plays the caller's side (``training.caller.CallerAudio`` or a factory; None: described only,
    ``no_caller_reason`` says why, ``no_caller_part`` which part failed: a ``callscript.health.Part``; ``audio_off``: switched off
    with ``--no-audio``, which the drill says as such);
    ``listener`` hears spoken answers; ``speaker`` demonstrates; ``flow_notices``: what loading the flows
    said (``CallscriptApp.on_mount`` shows it)."""
    if flow is not None:
        if flow not in flows:
            raise CallscriptError(f"no flow named '{flow}'", hint="built-in flows: " + ", ".join(sorted(flows)))
        if flow not in {f.id for f in study_flows(dict(flows))}:
            raise CallscriptError(f"flow '{flow}' has no lines to practise",
                                  hint="choose a flow whose steps have a 'say' line")
    settings = settings or Settings()
    values = {**settings.variables(), **(variables or {})}
    options = StudyOptions(store=store, trainee=trainee, caller=caller, listener=listener, variables=values,
                           quiz_seed=quiz_seed, no_caller_reason=no_caller_reason,
                           no_caller_part=no_caller_part, audio_off=audio_off)
    if log_dir is None:
        from callscript.session.log import default_log_dir

        log_dir = default_log_dir()
    from pathlib import Path

    return StudyApp(flows, study=options, study_flow=flow, quiz=quiz, clock=clock or MonotonicClock(),
                    log_dir=Path(log_dir), settings=settings, speaker=speaker, flow_notices=flow_notices)


__all__ = ["StudyApp", "make_study_app"]
