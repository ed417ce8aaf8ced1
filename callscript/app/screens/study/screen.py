"""Self-study: a drill or a quiz on one situation, the summary after it, and a picker of situations.

``StudyScreen`` runs a ``training.drill.Drill`` over the app's clock. The caller's side of the
situation plays (``training.caller``) when the drill opens and before every line, and its
description is always on screen, so the drill works the same where no audio can play. The trainee
answers by typing (an ``Input``: the first keystroke is when they started, Enter when they finished)
or aloud (a listener on their microphone: speech onset and the final transcript). Each answer is
scored at once (``training.scoring``); the wait after a line is judged when the next line starts,
or when the trainee hangs up (``study.finish``). So a line with a wait after it gets a verdict "so
far" and a countdown of the wait (flagged at once if the next line starts too soon), and the next
feedback opens with that line's final verdict, the one the summary shows. The demonstrate key
plays the correct phrasing, as on the call screen.

In quiz mode (``quiz=True``, or the ``study.quiz`` key) each line is a choice among the correct one
and forbidden phrasings (``training.quiz``): no microphone, and the feedback says why each wrong
option is wrong. Both modes end on ``StudySummaryScreen``: the score per step, recorded in the
progress store when one is given.

Collaborators come from the app's ``study`` attribute (``StudyOptions``), so the same screens run
in ``callscript study`` and from the call picker (``picker.study``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from callscript.app.banner import failed_part, short_reason
from callscript.app.gloss import fill_gloss
from callscript.app.keys import display_key
from callscript.app.screens.base import TranslatedBindings
from callscript.app.screens.study.common import (
    STUDY_KEYS,
    StudyHost,
    leave_study,
    study_binding,
    study_options,
)
from callscript.app.screens.study.drill import DrillPart
from callscript.app.screens.study.quiz import QuizPart
from callscript.app.screens.study.render import SummaryRow, short_line
from callscript.app.screens.study.summary import StudySummaryScreen
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.line import Banner
from callscript.app.widgets.wrap import WrappedText
from callscript.errors import CallscriptError
from callscript.flow.model import Flow
from callscript.text import fill
from callscript.training.scoring import required_wait

if TYPE_CHECKING:
    from callscript.training.caller import CallerScene
    from callscript.training.drill import Drill
    from callscript.training.quiz import QuizRun

TICK_SECONDS = 0.25


class StudyScreen(DrillPart, QuizPart, TranslatedBindings, Screen[None]):
    """One drill (or quiz) on one flow. See the module docstring."""

    BINDINGS = [
        study_binding("study.demonstrate", "demonstrate", "Demonstrate", priority=True),
        study_binding("study.caller", "caller", "Caller again", priority=True),
        study_binding("study.finish", "finish", "Hang up", priority=True),
        study_binding("study.quiz", "switch_mode", "Quiz", priority=True),
        study_binding("study.next", "next", "Next", show=True),
        study_binding("study.back", "back", "Back"),
        *[Binding(str(n), f"choose({n})", show=False, id=f"study.choose{n}") for n in range(1, 10)],
    ]

    @dataclass(eq=False)
    class CallerPlayed(Message):
        """The caller's audio finished (``problem`` None), or could not play (``problem`` says why)."""

        problem: str | None
        playing: bool = False

    def __init__(self, flow_id: str, *, quiz: bool = False) -> None:
        super().__init__()
        app = self.host
        if flow_id not in app.flows:
            raise CallscriptError(f"no flow named '{flow_id}'", hint="flows: " + ", ".join(sorted(app.flows)))
        self.flow: Flow = app.flows[flow_id]
        self.quiz = quiz
        self.options = study_options(app)
        from callscript.training.drill import Drill

        store = None if quiz else self._store()
        self.drill: Drill = Drill(self.flow, clock=app.clock, trainee=self.options.trainee if store else None,
                                  store=store, variables=self.options.variables)
        if not self.drill.path:
            raise CallscriptError(f"flow '{flow_id}' has no lines to practise",
                                  hint="choose a flow whose steps have a 'say' line")
        self.modes: list[str] = []  # how each turn was given: typed or spoken
        self.started: float | None = None  # clock time the current answer began
        self.ended: float | None = None  # clock time the current spoken answer ended (speech_stopped)
        self.feedback = Text()
        self.caller_status = ""
        self.heard = ""
        self.notice_text = ""
        self.listener: Any = None
        self.level: float | None = None
        self.run: QuizRun | None = None
        if quiz:
            from callscript.training.quiz import QuizRun

            store = self._store()
            self.run = QuizRun(self.flow, variables=self.options.variables,
                               rng=random.Random(self.options.quiz_seed), store=store,
                               trainee=self.options.trainee if store is not None else None)

    def _store(self) -> Any:
        try:
            return self.options.open_store()
        except CallscriptError as exc:
            self.notice_text = self.app_t("study.store_problem", message=exc.message)
            return None

    @property
    def scene(self) -> CallerScene | None:
        """What the caller does before the current line, as the flow file declares it (None: the
        agent speaks first there, or every line is said)."""
        from callscript.training.caller import scene_for

        step = self._step()
        return scene_for(self.flow, step) if step is not None else None

    @property
    def host(self) -> StudyHost:
        """The app, as far as the study screens use it."""
        return cast("StudyHost", self.app)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="study-header")
        with VerticalScroll(id="study-body"):
            yield WrappedText(id="study-caller")
            yield WrappedText(id="study-task")
            if self.quiz:
                yield OptionList(id="quiz-options")
            else:
                yield WrappedText(id="study-wait")
                yield Input(placeholder=self.app_t("study.placeholder"), id="answer")
                yield WrappedText(id="study-heard")
            yield WrappedText(id="study-feedback")
        yield Banner(id="banner")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        if self.quiz:
            self._show_question()
            self.query_one("#quiz-options", OptionList).focus()
        else:
            self.query_one("#answer", Input).focus()
            self.set_interval(TICK_SECONDS, self.tick)
            self._start_listener()
        self._play_caller()
        self._refresh()

    def on_unmount(self) -> None:
        caller = self.options.caller
        if caller is not None and hasattr(caller, "stop"):
            caller.stop()
        if self.listener is not None:
            try:
                self.listener.stop()
            except Exception:  # noqa: BLE001 - stopping is best effort on the way out
                pass

    # -- drawing -----------------------------------------------------------------------------

    @property
    def _dim(self) -> str:
        return "" if self.app_plain else "dim"

    def _key(self, bid: str) -> str:
        return display_key(self.app_keys.get(bid) or STUDY_KEYS[bid])

    def _refresh(self) -> None:
        t = self.app_t
        lang = t.language
        total = len(self.run.questions) if self.run is not None else len(self.drill.path)
        index = self.run.index if self.run is not None else len(self.drill.turns)
        mode = t("study.quiz_mode") if self.quiz else t("study.drill_mode")
        header = f"{t('study.heading')} · {mode} · {self.flow.title.pick(lang)}"
        if index < total:
            header += "  " + t("study.question_progress" if self.quiz else "study.progress", n=index + 1, total=total)
        self.query_one("#study-header", Static).update(header)
        scene = self.scene
        caller = Text.assemble((f"{t('study.caller')}: ", "bold"), scene.description(lang)) if scene else Text()
        if self.caller_status and scene is not None:
            caller.append(f"\n{self.caller_status}", self._dim)
        self.query_one("#study-caller", WrappedText).update(caller)
        self.query_one("#study-task", WrappedText).update(self._task_text())
        self.query_one("#study-feedback", WrappedText).update(self.feedback)
        if not self.quiz:
            box = self.query_one("#answer", Input)
            box.disabled = self.drill.current is None
            self.query_one("#study-heard", WrappedText).update(
                Text.assemble((f"{t('study.heard')}: ", self._dim), self.heard) if self.heard else "")
            self._show_wait()
        self.query_one(Banner).show([self.notice_text] if self.notice_text else [])
        self.refresh_bindings()

    def _task_text(self) -> Text:
        t = self.app_t
        lang = t.language
        step = self._step()
        if step is None:
            last = self.drill.turns[-1].step if self.drill.turns else None
            wait = required_wait(last) if last is not None and not self.quiz else None
            if wait:
                return Text(t("study.all_said_wait", seconds=f"{wait:g}", key=self._key("study.finish")), "bold")
            return Text(t("study.all_said", key=self._key("study.next" if self.quiz else "study.finish")), "bold")
        text = Text()
        question = self.run.current if self.run is not None else None
        if question is not None:
            prompt = question.prompt if lang == "en" else question.prompt_zh
            text.append(t("study.quiz_question", question=prompt), "bold")
            if question.kind != "line":
                return text  # the step's tip would give the wait or the next line away
        else:
            text.append(t("study.your_line"), "bold")
        hint = step.tip.pick(lang) if step.tip else self._gloss(step) if lang == "en" and step.gloss else None
        if hint:
            text.append(f"\n{t('study.hint')}: {hint}")
        return text

    def _values(self) -> dict[str, str]:
        """What the drill's ``{variables}`` stand for: the flow's defaults, then the options'."""
        return {**self.flow.defaults(), **self.options.variables}

    def _gloss(self, step: Any) -> str:
        """The step's English gloss, filled the way the call screen fills it ("Mr. Wang")."""
        return fill_gloss(step.gloss, self._values(), self.flow.variables)

    def _step(self) -> Any:
        if self.run is not None:
            return self.run.current.step if self.run.current is not None else None
        return self.drill.current

    # -- the caller's side -------------------------------------------------------------------

    def _short_reason(self, problem: str) -> str:
        """Why the caller cannot play, short and in the interface language (PortAudio's own
        message is long and in English: F1 keeps it)."""
        failed = self.options.no_caller_part
        self.host.note("study.caller_failed", problem)
        return self.app_t(short_reason(failed))

    def _play_caller(self) -> None:
        t = self.app_t
        caller = self.options.caller
        scene = self.scene
        if scene is None:  # nobody has spoken before this line: nothing to play or show
            self.caller_status = ""
            return
        if caller is None and self.options.audio_off:
            self.caller_status = t("study.caller_audio_off")  # switched off, not for want of a device
        elif caller is None:
            reason = self._short_reason(self.options.no_caller_reason) if self.options.no_caller_reason \
                else t("study.caller_off")
            self.caller_status = t("study.caller_cannot_play", reason=reason)
        else:
            self.caller_status = t("study.caller_playing")
            self._play_caller_worker(caller, scene)

    @work(thread=True, exclusive=True, group="caller")
    def _play_caller_worker(self, caller: Any, scene: CallerScene) -> None:
        try:
            if not hasattr(caller, "play"):
                caller = self.options.caller = caller()
            caller.play(scene)
        except CallscriptError as exc:
            self.options.no_caller_part = failed_part(exc)
            self.post_message(self.CallerPlayed(exc.message))
            return
        except Exception as exc:  # noqa: BLE001 - no caller audio must never end a drill
            self.post_message(self.CallerPlayed(str(exc)))
            return
        self.post_message(self.CallerPlayed(None))

    def on_study_screen_caller_played(self, message: CallerPlayed) -> None:
        t = self.app_t
        if message.problem:
            self.options.no_caller_reason = message.problem
            self.options.caller = None  # say it once; the description stands in from now on
            self.caller_status = t("study.caller_cannot_play", reason=self._short_reason(message.problem))
        else:
            self.caller_status = t("study.caller_played", key=self._key("study.caller"))
        self._refresh()

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return self.run is not None and not self.run.answered
        if action == "next":
            return self.run is not None and (self.run.answered or self.run.current is None)
        if action == "finish":
            return not self.quiz
        if action == "demonstrate":
            return self._demonstration() is not None
        if action == "caller":
            scene = self.scene
            return scene is not None and (scene.kind != "silence" or self.options.caller is not None)
        return True

    def _demonstration(self) -> str | None:
        """The line to demonstrate: the current one, else the one just answered."""
        step = self._step()
        if step is None and not self.quiz and self.drill.turns:
            step = self.drill.turns[-1].step
        if step is None or step.say is None:
            return None
        return fill(step.say, self._values())

    def action_demonstrate(self) -> None:
        """Play the correct phrasing of the line (in every study view, as on the call screen)."""
        t = self.app_t
        text = self._demonstration()
        if text is None:
            self.notice_text = t("call.nothing_to_demonstrate")
        else:
            louder = self.flow.demonstrate_louder  # the flow says so, as on the call screen
            problem = self.host.demonstrate(text, self.flow.language, louder=louder)
            self.notice_text = (self.host.demonstration_failed(problem.part, problem.detail) if problem else
                                t("call.demonstrating_louder") if louder else t("call.demonstrating"))
        self._refresh()

    def action_caller(self) -> None:
        """Hear the caller again."""
        self._play_caller()
        self._refresh()

    def action_finish(self) -> None:
        """Hang up: the last line's wait is judged now, and the summary shows."""
        if self.quiz:
            return
        if self.drill.turns and not self.drill.turns[-1].final:
            self.drill.mode = self.modes[-1]
        try:
            self.drill.finish()
        except CallscriptError as exc:
            self.notice_text = self.app_t("study.store_problem", message=exc.message)
        self._show_summary()

    def action_switch_mode(self) -> None:
        """Switch between the drill and the quiz on the same flow (starting again)."""
        self.app.switch_screen(StudyScreen(self.flow.id, quiz=not self.quiz))

    def action_back(self) -> None:
        leave_study(self.app)

    def _show_summary(self) -> None:
        if self.run is not None:
            rows = self._quiz_rows()
        else:
            rows = [SummaryRow(turn.step.id, turn.result.score, turn.result.passed,
                               turn.result.timing.waited if turn.result.timing else None,
                               turn.result.timing.required if turn.result.timing else None,
                               list(turn.result.reasons), self._label(n), turn.result.expected)
                    for n, turn in enumerate(self.drill.turns) if turn.final]
        recorded = self.options.trainee if (self.drill.store is not None or self.quiz) and self._store() else None
        self.app.switch_screen(StudySummaryScreen(self.flow.id, rows, quiz=self.quiz, trainee=recorded,
                                                  note=self.notice_text))

    def _label(self, index: int) -> str:
        """The line at ``index`` as the summary names it: ``1 您好!请问有什么…``."""
        return f"{index + 1} {self._short_line(index)}"

    def _short_line(self, index: int) -> str:
        """The line at ``index`` of the drill, shortened: how messages name a line (not its step id)."""
        step = self.drill.path[index]
        return short_line(fill(step.say or "", self._values()))


def open_study(app: Any, flow_id: str, *, quiz: bool = False) -> None:
    """Open a drill (or quiz) on ``flow_id`` over whatever is on screen (the call picker's key)."""
    app.push_screen(StudyScreen(flow_id, quiz=quiz))
