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

import getpass
import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from callscript.app.gloss import fill_gloss
from callscript.app.keys import display_key
from callscript.app.messages import LevelMeasured, LineConditionDetected, ListeningFailed, SpeechTranscribed
from callscript.app.screens.base import TranslatedBindings
from callscript.app.widgets.keybar import KeyBar
from callscript.app.widgets.line import Banner
from callscript.app.widgets.wrap import WrappedText
from callscript.errors import CallscriptError
from callscript.flow.model import Flow
from callscript.settings import DEFAULT_KEYS
from callscript.text import fill

if TYPE_CHECKING:
    from callscript.app.app import CallscriptApp
    from callscript.training.drill import Drill
    from callscript.training.quiz import QuizOption
    from callscript.training.scoring import ScoreResult

# Study keys: the defaults from the settings' DEFAULT_KEYS, where the user can remap them by id.
# Ctrl keys, with priority, because the answer box has the focus while the trainee types.
STUDY_KEYS: dict[str, str] = {bid: key for bid, key in DEFAULT_KEYS.items() if bid.startswith("study.")}
LOUDER_FLOWS = frozenset({"agent_too_quiet"})  # as on the call screen: demonstrated a little louder
TICK_SECONDS = 0.25


@dataclass
class StudyOptions:
    """What the study screens use: the progress ``store`` (or a factory; None: not recorded), the
    ``trainee``, the ``caller`` player (``training.caller.CallerAudio``, a factory, or None: no
    caller audio here), the ``listener`` for spoken answers (a ``ports.Listener``, a factory, or
    None: typing only), ``variables`` for the lines, and ``quiz_seed`` (None: a new order each time)."""

    store: Any = None
    trainee: str | None = None
    caller: Any = None
    listener: Any = None
    variables: dict[str, str] = field(default_factory=dict)
    quiz_seed: int | None = None
    no_caller_reason: str | None = None

    def open_store(self) -> Any:
        if callable(self.store) and not hasattr(self.store, "record"):
            self.store = self.store()
        return self.store


def default_options(app: Any) -> StudyOptions:
    """Study options for an app that was not built by ``make_study_app`` (the call picker's key):
    the default progress database, the agent name (else the login name), caller audio on the
    headset output unless audio is off."""
    settings = app.settings

    def store() -> Any:
        from callscript.training.progress import ProgressStore

        return ProgressStore()

    def caller() -> Any:
        from callscript.training.caller import CallerAudio

        return CallerAudio(settings.output_device or None)

    return StudyOptions(store=store, trainee=settings.agent.strip() or _login(), caller=caller,
                        variables=settings.variables())


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "trainee"


def study_options(app: Any) -> StudyOptions:
    options = getattr(app, "study", None)
    if options is None:
        options = app.study = default_options(app)
    return options


def study_flows(flows: dict[str, Flow]) -> list[Flow]:
    """Flows with lines to practise: situations first, then calls, each by id."""
    from callscript.training.drill import drill_path

    usable = [f for f in flows.values() if drill_path(f)]
    return sorted(usable, key=lambda f: (not f.is_situation, f.id))


def leave_study(app: Any) -> None:
    """Back to where the study began: the screen below (the call picker), or the study picker."""
    below = app.screen_stack[-2] if len(app.screen_stack) > 1 else None
    if below is not None and below.id != "base":
        app.pop_screen()
    else:
        app.switch_screen(StudyPickerScreen(quiz=getattr(app, "quiz", False)))


def _binding(bid: str, action: str, description: str, **kwargs: Any) -> Binding:
    return Binding(STUDY_KEYS[bid], action, description, id=bid, **kwargs)


def diff_text(result: ScoreResult, plain: bool = False) -> Text:
    """The answer against the correct line: ``[-missing-]``, ``{+extra+}``, homophones marked ``~``.

    The markers carry the meaning (plain mode, screen readers); colours only help the eye.
    """
    text = Text()
    red = "" if plain else "bold red strike"
    green = "" if plain else "bold green"
    yellow = "" if plain else "yellow"
    for part in result.diff:
        if part.op == "equal":
            text.append(part.expected)
        elif part.op == "homophone":
            text.append(f"~{part.answer}~", yellow)
        else:
            if part.expected:
                text.append(f"[-{part.expected}-]", red)
            if part.answer:
                text.append(f"{{+{part.answer}+}}", green)
    return text


# -- the drill and the quiz ------------------------------------------------------------------------


class StudyScreen(TranslatedBindings, Screen[None]):
    """One drill (or quiz) on one flow. See the module docstring."""

    BINDINGS = [
        _binding("study.demonstrate", "demonstrate", "Demonstrate", priority=True),
        _binding("study.caller", "caller", "Caller again", priority=True),
        _binding("study.finish", "finish", "Hang up", priority=True),
        _binding("study.quiz", "switch_mode", "Quiz", priority=True),
        _binding("study.next", "next", "Next", show=True),
        _binding("study.back", "back", "Back"),
        *[Binding(str(n), f"choose({n})", show=False, id=f"study.choose{n}") for n in range(1, 10)],
    ]

    @dataclass(eq=False)
    class CallerPlayed(Message):
        """The caller's audio finished (``problem`` None), or could not play (``problem`` says why)."""

        problem: str | None
        playing: bool = False

    @dataclass(eq=False)
    class ListenerReady(Message):
        """The listener for spoken answers started (or ``problem`` says why not)."""

        listener: Any
        problem: str | None = None

    def __init__(self, flow_id: str, *, quiz: bool = False) -> None:
        super().__init__()
        app = self._callscript_app
        if flow_id not in app.flows:
            raise CallscriptError(f"no flow named '{flow_id}'", hint="flows: " + ", ".join(sorted(app.flows)))
        self.flow: Flow = app.flows[flow_id]
        self.quiz = quiz
        self.options = study_options(app)
        from callscript.training.caller import scene_for
        from callscript.training.drill import Drill

        self.scene = scene_for(self.flow)
        store = None if quiz else self._store()
        self.drill: Drill = Drill(self.flow, clock=app.clock, trainee=self.options.trainee if store else None,
                                  store=store, variables=self.options.variables)
        if not self.drill.path:
            raise CallscriptError(f"flow '{flow_id}' has no lines to practise",
                                  hint="choose a flow whose steps have a 'say' line")
        self.modes: list[str] = []  # how each turn was given: typed or spoken
        self.started: float | None = None  # clock time the current answer began
        self.feedback = Text()
        self.caller_status = ""
        self.heard = ""
        self.notice_text = ""
        self.listener: Any = None
        self.level: float | None = None
        # Quiz state: the options of the current step, the choice made, and each step's outcome.
        self.rng = random.Random(self.options.quiz_seed)
        self.quiz_index = 0
        self.quiz_options: list[QuizOption] = []
        self.quiz_choice: int | None = None
        self.quiz_results: list[tuple[str, bool, str, list[Why]]] = []  # (step id, right, chosen text, why not)

    def _store(self) -> Any:
        try:
            return self.options.open_store()
        except CallscriptError as exc:
            self.notice_text = self.app_t("study.store_problem", message=exc.message)
            return None

    @property
    def callscript(self) -> CallscriptApp:
        return self.app  # type: ignore[return-value]

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
            self._new_question()
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
        total = len(self.drill.path)
        index = self.quiz_index if self.quiz else len(self.drill.turns)
        mode = t("study.quiz_mode") if self.quiz else t("study.drill_mode")
        header = f"{t('study.heading')} · {mode} · {self.flow.title.pick(lang)}"
        if index < total:
            header += "  " + t("study.progress", n=index + 1, total=total)
        self.query_one("#study-header", Static).update(header)
        caller = Text.assemble((f"{t('study.caller')}: ", "bold"), self.scene.description(lang))
        if self.caller_status:
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
            wait = _required_wait(last) if last is not None and not self.quiz else None
            if wait:
                return Text(t("study.all_said_wait", seconds=f"{wait:g}", key=self._key("study.finish")), "bold")
            return Text(t("study.all_said", key=self._key("study.next" if self.quiz else "study.finish")), "bold")
        text = Text()
        text.append(t("study.quiz_question") if self.quiz else t("study.your_line"), "bold")
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
        if self.quiz:
            return self.drill.path[self.quiz_index] if self.quiz_index < len(self.drill.path) else None
        return self.drill.current

    def tick(self) -> None:
        """Redraw what follows the clock (the interval timer calls this; tests moving a
        ManualClock may call it instead of waiting for the timer)."""
        self._show_wait()

    def _show_wait(self) -> None:
        """Since the last line ended: how long the trainee has waited, against the step's wait."""
        if self.quiz or not self.is_mounted or not self.query("#study-wait"):
            return
        widget = self.query_one("#study-wait", WrappedText)
        turns = self.drill.turns
        need = _required_wait(turns[-1].step) if turns and not turns[-1].final else None
        if need is None:
            widget.update("")
            return
        from callscript.training.scoring import WAIT_TOLERANCE

        waited = max(0.0, (self.started if self.started is not None else self.drill.clock.now()) - turns[-1].at)
        t = self.app_t
        n = len(turns)
        values = {"n": n, "seconds": f"{waited:.1f}", "need": f"{need:g}"}
        if waited >= need - WAIT_TOLERANCE:
            text = Text("✓ " + t("study.wait_met", **values), "bold")
        elif self.started is not None:  # the trainee began the next line too soon: say so now
            text = Text("✗ " + t("study.wait_cut_short", **values), "" if self.app_plain else "bold red")
        else:
            left = f"{max(0.0, need - waited):.1f}"
            text = Text("⏱ " + t("study.wait_countdown", left=left, **values), "bold")
        if widget.text.plain != text.plain:
            widget.update(text)

    # -- the caller's side -------------------------------------------------------------------

    def _short_reason(self, problem: str) -> str:
        """Why the caller cannot play, short and in the interface language (as the call screen
        says a failed demonstration): PortAudio's own message is long and in English."""
        from callscript.app.banner import speech_reason

        return self.app_t(speech_reason(problem))

    def _play_caller(self) -> None:
        t = self.app_t
        caller = self.options.caller
        if caller is None:
            reason = self._short_reason(self.options.no_caller_reason) if self.options.no_caller_reason \
                else t("study.caller_off")
            self.caller_status = t("study.caller_cannot_play", reason=reason)
            return
        self.caller_status = t("study.caller_playing")
        self._play_caller_worker(caller)

    @work(thread=True, exclusive=True, group="caller")
    def _play_caller_worker(self, caller: Any) -> None:
        try:
            if not hasattr(caller, "play"):
                caller = self.options.caller = caller()
            caller.play(self.scene)
        except CallscriptError as exc:
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

    # -- spoken answers ----------------------------------------------------------------------

    def _start_listener(self) -> None:
        source = self.options.listener
        if source is not None:
            self._listener_worker(source)

    @work(thread=True, exclusive=True, group="listener")
    def _listener_worker(self, source: Any) -> None:
        from callscript.app.messages import AppLineSink

        try:
            listener = source if hasattr(source, "start") else source()
            if listener is None:
                return
            expect = getattr(listener, "expect", None)
            if expect is not None:
                expect(None)  # free recognition: the trainee may say anything
            listener.start(AppLineSink(self))
        except Exception as exc:  # noqa: BLE001 - no microphone or model: typing still works
            self.post_message(self.ListenerReady(None, str(exc)))
            return
        self.post_message(self.ListenerReady(listener))

    def on_study_screen_listener_ready(self, message: ListenerReady) -> None:
        self.listener = message.listener
        if message.problem:
            self.notice_text = self.app_t("study.listening_problem", message=message.problem)
        self._refresh()

    def on_line_condition_detected(self, message: LineConditionDetected) -> None:
        message.stop()
        if message.name == "speech_started" and self.started is None and self.drill.current is not None:
            self.started = self.drill.clock.now()

    def on_speech_transcribed(self, message: SpeechTranscribed) -> None:
        message.stop()
        if self.drill.current is None:
            return
        self.heard = message.text
        if message.final and message.text.strip():
            self.submit(message.text, mode="spoken")
            return
        if message.final:  # speech, but nothing the recogniser could make out: no answer is taken
            # (``started`` stays: speaking at all ended the trainee's wait, understood or not)
            self.heard = ""
            self.notice_text = self.app_t("study.not_understood")
        self._refresh()

    def on_level_measured(self, message: LevelMeasured) -> None:
        message.stop()
        self.level = message.rms_dbfs  # the microphone is being heard (and recognised) from now on

    def on_listening_failed(self, message: ListeningFailed) -> None:
        message.stop()
        self.notice_text = self.app_t("study.listening_problem", message=message.message)
        self._refresh()

    # -- typed answers -----------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value and self.started is None:
            self.started = self.drill.clock.now()  # the first keystroke: the trainee began the line
            self._show_wait()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.app.bell()
            return
        self.submit(event.value, mode="typed")
        event.input.value = ""

    def submit(self, answer: str, *, mode: str) -> None:
        """Score ``answer`` to the current line; the previous line's wait is judged now."""
        if self.drill.current is None:
            return
        previous = self.drill.turns[-1] if self.drill.turns and not self.drill.turns[-1].final else None
        if previous is not None:
            self.drill.mode = self.modes[-1]  # the store records the closed turn with its own mode
        try:
            result = self.drill.submit(answer, started=self.started)
        except CallscriptError as exc:
            self.notice_text = exc.message
            self._refresh()
            return
        self.modes.append(mode)
        self.started = None
        self.heard = ""
        self.notice_text = ""
        self.feedback = self._feedback(result, previous.result if previous is not None else None)
        if self.drill.current is not None:
            self._play_caller()
        self._refresh()

    def _feedback(self, result: ScoreResult, previous: ScoreResult | None) -> Text:
        """The new line's verdict; first, if the previous line waited for its wait to be timed, that
        line's final verdict (the one the summary shows), which a wait cut short may have changed."""
        t = self.app_t
        text = Text()
        if previous is not None and previous.timing is not None:
            timing = previous.timing
            n = len(self.drill.turns) - 1  # the previous line's position (the new one is the last turn)
            values = {"n": n, "line": self._short_line(n - 1), "waited": f"{timing.waited:.1f}",
                      "need": f"{timing.required:g}"}
            verdict = t("study.line_verdict", n=n, verdict=t("study.passed") if previous.passed else t("study.failed"),
                        score=t("study.score", score=previous.score))
            line = t("study.timing" if timing.ok else "study.timing_short", **values) + " → " + verdict
            style = "bold" if self.app_plain or previous.passed else "bold red"
            text.append(("✓ " if previous.passed else "✗ ") + line + "\n", style)
        pending = _required_wait(self.drill.turns[-1].step) if self.drill.turns else None
        text.append_text(result_text(result, t, self.app_plain, wait=pending))
        return text

    def _label(self, index: int) -> str:
        """The line at ``index`` as the summary names it: ``1 您好!请问有什么…``."""
        return f"{index + 1} {self._short_line(index)}"

    def _short_line(self, index: int) -> str:
        """The line at ``index`` of the drill, shortened: how messages name a line (not its step id)."""
        step = self.drill.path[index]
        return short_line(fill(step.say or "", self._values()))

    # -- the quiz ----------------------------------------------------------------------------

    def _new_question(self) -> None:
        from callscript.training.quiz import quiz_options

        step = self._step()
        widget = self.query_one("#quiz-options", OptionList)
        widget.clear_options()
        self.quiz_choice = None
        if step is None:
            self.quiz_options = []
            return
        self.quiz_options = quiz_options(self.flow, step.id, variables=self.options.variables, rng=self.rng)
        widget.add_options([Option(Text.assemble((f"{n}. ", "bold"), o.text), id=str(n))
                            for n, o in enumerate(self.quiz_options, start=1)])
        widget.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.quiz_choice is None:
            self.action_choose(event.option_index + 1)
        else:
            self.action_next()

    def action_choose(self, number: int) -> None:
        """Quiz: choose option ``number``; the feedback says why each wrong option is wrong."""
        if not self.quiz or self.quiz_choice is not None or not 1 <= number <= len(self.quiz_options):
            self.app.bell()
            return
        t = self.app_t
        lang = t.language
        step = self._step()
        chosen = self.quiz_options[number - 1]
        self.quiz_choice = number
        self.quiz_results.append((step.id, chosen.correct, chosen.text,
                                  [] if chosen.correct else [Why(chosen.why, chosen.why_zh)]))
        store = self._store()
        if store is not None and self.options.trainee:
            try:
                reasons = [] if chosen.correct else [chosen.origin.removeprefix("rule:")]
                store.record_attempt(self.options.trainee, self.flow.id, step.id, 100 if chosen.correct else 0,
                                     chosen.correct, answer=chosen.text, reasons=reasons, mode="quiz")
            except CallscriptError as exc:
                self.notice_text = self.app_t("study.store_problem", message=exc.message)
        text = Text(t("study.quiz_right") if chosen.correct else t("study.quiz_wrong"),
                    "bold" if self.app_plain else ("bold green" if chosen.correct else "bold red"))
        text.append("\n")
        for n, option in enumerate(self.quiz_options, start=1):
            mark = "✓" if option.correct else "✗"
            why = option.why if lang == "en" else option.why_zh
            pointer = "→ " if n == number else "  "
            text.append(f"{pointer}{n}. {mark} ", "bold")
            text.append(option.text)
            text.append(f"\n      {why}\n", self._dim)
        text.append(t("study.quiz_next", key=self._key("study.next")), "bold")
        self.feedback = text
        self._refresh()

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return self.quiz and self.quiz_choice is None
        if action == "next":
            return self.quiz and (self.quiz_choice is not None or self._step() is None)
        if action == "finish":
            return not self.quiz
        if action == "demonstrate":
            return self._demonstration() is not None
        if action == "caller":
            return self.scene.kind != "silence" or self.options.caller is not None
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
        """Play the correct phrasing of the line (issue 5: in every study view)."""
        t = self.app_t
        text = self._demonstration()
        if text is None:
            self.notice_text = t("call.nothing_to_demonstrate")
        else:
            louder = self.flow.id in LOUDER_FLOWS
            problem = self.callscript.demonstrate(text, self.flow.language, louder=louder)
            self.notice_text = (t("call.speaker_problem", message=problem) if problem else
                                t("call.demonstrating_louder") if louder else t("call.demonstrating"))
        self._refresh()

    def action_caller(self) -> None:
        """Hear the caller again."""
        self._play_caller()
        self._refresh()

    def action_next(self) -> None:
        """Quiz: the next question (or the summary after the last)."""
        if not self.quiz:
            return
        if self._step() is not None and self.quiz_choice is None:
            self.app.bell()
            return
        if self._step() is not None:
            self.quiz_index += 1
        if self._step() is None:
            self._show_summary()
            return
        self.feedback = Text()
        self._new_question()
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
        if self.quiz:
            rows = [SummaryRow(step, 100 if right else 0, right, None, None, why, self._label(n))
                    for n, (step, right, _, why) in enumerate(self.quiz_results)]
        else:
            rows = [SummaryRow(turn.step.id, turn.result.score, turn.result.passed,
                               turn.result.timing.waited if turn.result.timing else None,
                               turn.result.timing.required if turn.result.timing else None,
                               [r for r in turn.result.reasons if r.fails], self._label(n))
                    for n, turn in enumerate(self.drill.turns) if turn.final]
        recorded = self.options.trainee if (self.drill.store is not None or self.quiz) and self._store() else None
        self.app.switch_screen(StudySummaryScreen(self.flow.id, rows, quiz=self.quiz, trainee=recorded,
                                                  note=self.notice_text))


def short_line(line: str, width: int = 16) -> str:
    """``line`` cut to about ``width`` cells (a Chinese character is two), with … if cut."""
    from rich.cells import cell_len

    if cell_len(line) <= width:
        return line
    cut = ""
    for char in line:
        if cell_len(cut + char) > width - 1:
            break
        cut += char
    return cut.rstrip(",,、 ") + "…"


def _required_wait(step: Any) -> float | None:
    from callscript.training.scoring import required_wait

    return required_wait(step)


def result_text(result: ScoreResult, t: Any, plain: bool = False, *, wait: float | None = None) -> Text:
    """One answer's verdict: score, what failed and why, the diff, and the correct line.

    ``wait``: the seconds the trainee must now wait, which are timed and scored with this line when
    the next one starts. Until then the verdict is only the words' (“so far”): a pass may still
    become a fail if the wait is cut short, so it must not read as final.
    """
    en = t.language == "en"
    text = Text()
    style = "bold" if plain else ("bold green" if result.passed else "bold red")
    if wait is None:
        verdict = t("study.passed") if result.passed else t("study.failed")
        text.append(f"{'✓' if result.passed else '✗'} {verdict} · {t('study.score', score=result.score)}", style)
    else:
        verdict = t("study.words_passed") if result.passed else t("study.failed")
        text.append(f"{'✓' if result.passed else '✗'} {verdict} · {t('study.score_so_far', score=result.score)}", style)
    text.append(f"  ({t('study.similarity', similarity=f'{result.similarity:.0f}')})\n")
    if wait is not None:
        text.append(f"  ⏱ {t('study.wait_pending', need=f'{wait:g}')}\n", "bold")
    for reason in result.reasons:
        mark = "✗" if reason.fails else "·"
        text.append(f"  {mark} {reason.message if en else reason.message_zh}\n")
    if result.missing_phrases:
        text.append(f"  {t('study.missing')}: " + "、".join(result.missing_phrases) + "\n")
    if result.forbidden_found:
        text.append(f"  {t('study.forbidden')}: " + " / ".join(result.forbidden_found) + "\n")
    text.append(f"{t('study.diff', open='{+', close='+}')}: ", "bold")
    text.append_text(diff_text(result, plain))
    text.append(f"\n{t('study.correct')}: ", "bold")
    text.append(result.expected)
    return text


# -- the summary ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    """Why a quiz choice was wrong, in both languages (as a scoring ``Reason`` has it)."""

    message: str
    message_zh: str


@dataclass(frozen=True)
class SummaryRow:
    """One step of the summary: its final score, whether it passed, the wait, what failed (scoring
    ``Reason``s, or for a quiz the chosen option's ``Why``)."""

    step: str
    score: int
    passed: bool
    waited: float | None
    required: float | None
    reasons: list[Any]
    label: str = ""  # how the trainee knows the line: its position and its opening words


class StudySummaryScreen(TranslatedBindings, Screen[None]):
    """The score per step of the drill (or quiz) that just ended, and whether it was recorded."""

    BINDINGS = [
        _binding("study.again", "again", "Again"),
        _binding("study.back", "back", "Back"),
    ]

    def __init__(self, flow_id: str, rows: list[SummaryRow], *, quiz: bool, trainee: str | None,
                 note: str = "") -> None:
        super().__init__()
        self.flow_id = flow_id
        self.rows = rows
        self.quiz = quiz
        self.trainee = trainee
        self.note = note

    @property
    def score(self) -> int:
        return round(sum(r.score for r in self.rows) / len(self.rows)) if self.rows else 0

    def compose(self) -> ComposeResult:
        t = self.app_t
        flow = self._callscript_app.flows[self.flow_id]
        yield Static(f"{t('study.summary_heading')} · {flow.title.pick(t.language)}", id="study-summary-heading")
        with VerticalScroll(id="study-summary-body"):
            yield Static(self._table(), id="study-summary-table")
            yield WrappedText(self._footer(), id="study-summary-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")

    def _table(self) -> Table:
        from callscript.training.scoring import join_reasons

        t = self.app_t
        en = t.language == "en"
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
        table.add_column(t("study.col_step"))
        table.add_column(t("study.col_score"), justify="right")
        table.add_column(t("study.col_result"))
        if not self.quiz:
            table.add_column(t("study.col_wait"))
        table.add_column(t("study.col_why"), overflow="fold")  # Chinese has no spaces to wrap at
        for row in self.rows:
            result = "✓ " + t("study.passed") if row.passed else "✗ " + t("study.failed")
            cells = [row.label or row.step, str(row.score), result]
            if not self.quiz:
                cells.append(f"{row.waited:.1f}/{row.required:g}s" if row.waited is not None else "—")
            why = join_reasons((r.message if en else r.message_zh for r in row.reasons[:2]), t.language)
            cells.append(why or "—")
            table.add_row(*cells)
        return table

    def _footer(self) -> Text:
        t = self.app_t
        text = Text()
        passed = sum(1 for r in self.rows if r.passed)
        text.append(t("study.total", score=self.score, passed=passed, total=len(self.rows)) + "\n", "bold")
        if self.trainee:
            text.append(t("study.recorded", trainee=self.trainee) + "\n")
        else:
            text.append(t("study.not_recorded") + "\n")
        if self.note:
            text.append(self.note + "\n")
        text.append(t("study.summary_keys", again=display_key(self.app_keys.get("study.again") or STUDY_KEYS["study.again"]),
                      back=display_key(self.app_keys.get("study.back") or STUDY_KEYS["study.back"])))
        return text

    def action_again(self) -> None:
        self.app.switch_screen(StudyScreen(self.flow_id, quiz=self.quiz))

    def action_back(self) -> None:
        leave_study(self.app)


# -- choosing what to practise ----------------------------------------------------------------------


class StudyPickerScreen(TranslatedBindings, Screen[None]):
    """Choose a situation (or a call) to practise: Enter for the drill, F4 for the quiz."""

    BINDINGS = [
        _binding("study.start", "start(False)", "Drill"),
        _binding("study.start_quiz", "start(True)", "Quiz"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, *, quiz: bool = False) -> None:
        super().__init__()
        self.flows = study_flows(self._callscript_app.flows)
        self.quiz = quiz  # ``callscript study --quiz``: Enter opens the quiz too
        if quiz:  # so the key bar says what Enter does (the quiz key is hidden: it does the same)
            label = self.app_t("binding.study.start_quiz")
            bindings = self._bindings.key_to_bindings
            for key, group in bindings.items():
                bindings[key] = [replace(b, description=label) if b.id == "study.start" else b for b in group]

    def compose(self) -> ComposeResult:
        t = self.app_t
        yield Static(t("study.heading") + " · " + t("study.pick_heading"), id="study-picker-heading")
        keys = {bid: display_key(self.app_keys.get(bid) or STUDY_KEYS[bid]) for bid in ("study.start", "study.start_quiz")}
        hint = (t("study.pick_keys_quiz", quiz=keys["study.start"]) if self.quiz else
                t("study.pick_keys", drill=keys["study.start"], quiz=keys["study.start_quiz"]))
        yield Static(hint, id="study-picker-keys")
        yield OptionList(id="study-flows")
        yield WrappedText(id="study-flow-info")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app_plain, "-plain")
        t = self.app_t
        lang = t.language
        other = "en" if lang == "zh" else "zh"
        dim = "" if self.app_plain else "dim"
        options = self.query_one("#study-flows", OptionList)
        items: list[Option | None] = []
        heading_done = {True: False, False: False}
        # Flows with no line to say are listed too, greyed and not selectable, with the reason, so
        # a trainee looking for one knows why it cannot be practised.
        usable = {f.id for f in self.flows}
        listed = self._callscript_app.flows.values()
        for flow in sorted(listed, key=lambda f: (not f.is_situation, f.id not in usable, f.id)):
            situation = flow.is_situation
            if not heading_done[situation]:
                if items:
                    items.append(None)
                items.append(Option(Text(t("study.situations") if situation else t("study.calls"), "bold underline"),
                                    disabled=True))
                heading_done[situation] = True
            if flow.id in usable:
                items.append(Option(Text.assemble((flow.title.pick(lang), "bold"), (f"  {flow.title.pick(other)}", dim),
                                                  (f"  {flow.id}", f"{dim} italic")), id=flow.id))
            else:
                items.append(Option(Text.assemble((flow.title.pick(lang), dim), (f"  {flow.id}", f"{dim} italic"),
                                                  (f"  ({t('study.nothing_to_say')})", dim)), disabled=True))
        options.add_options(items)
        options.highlighted = next(i for i in range(options.option_count)
                                   if not options.get_option_at_index(i).disabled)
        options.focus()
        self._show_info()

    def selected(self) -> Flow | None:
        option = self.query_one("#study-flows", OptionList).highlighted_option
        if option is None or option.disabled or option.id is None:
            return None
        return self._callscript_app.flows.get(option.id)

    def _show_info(self) -> None:
        flow = self.selected()
        if flow is None:
            return
        from callscript.training.caller import scene_for

        t = self.app_t
        self.query_one("#study-flow-info", WrappedText).update(Text.assemble(
            (f"{t('study.caller')}: ", "bold"), scene_for(flow).description(t.language)))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_info()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start(False)

    def action_move(self, delta: int) -> None:
        options = self.query_one("#study-flows", OptionList)
        enabled = [i for i in range(options.option_count) if not options.get_option_at_index(i).disabled]
        current = options.highlighted
        position = enabled.index(current) + delta if current in enabled else 0
        options.highlighted = enabled[max(0, min(len(enabled) - 1, position))]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start" and parameters == (True,) and self.quiz:
            return False  # in quiz mode Enter starts the quiz: no second key for it in the key bar
        return True

    def action_start(self, quiz: bool) -> None:
        flow = self.selected()
        if flow is None:
            self.app.bell()
            return
        self.app.push_screen(StudyScreen(flow.id, quiz=quiz or self.quiz))


def open_study(app: Any, flow_id: str, *, quiz: bool = False) -> None:
    """Open a drill (or quiz) on ``flow_id`` over whatever is on screen (the call picker's key)."""
    app.push_screen(StudyScreen(flow_id, quiz=quiz))
