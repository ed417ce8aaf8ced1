"""The in-memory form of a call flow, as the engine, the app and the tools see it.

Everything here is immutable (frozen dataclasses) and built by
``callscript.flow.schema`` from a YAML file; the format itself is documented in
``docs/flow-format.md``. Each object keeps the ``Mark`` (file, line, column) it came from so that
later checks can point at the YAML that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property


@dataclass(frozen=True, slots=True)
class Mark:
    """Where something was written: file path, 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


NO_MARK = Mark("<built>", 0, 0)


@dataclass(frozen=True)
class Bilingual:
    """A short text in Chinese and English (titles, labels, tips)."""

    zh: str
    en: str

    def pick(self, language: str) -> str:
        """The text for an interface language (``zh`` or ``en``), falling back to the other."""
        return (self.en or self.zh) if language.startswith("en") else (self.zh or self.en)


class End(str, Enum):
    """How a terminal step ends: the outcome recorded in the session log."""

    HANG_UP = "hang_up"
    TRANSFER = "transfer"
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    RETURN = "return"


class Resume(str, Enum):
    """What happens to the interrupted line when a situation returns to it."""

    REPEAT = "repeat"  # it is shown again and must be said again (its short form, if it has one)
    CONTINUE = "continue"  # a line already said stays said; its waits start again from the return


class Trigger(str, Enum):
    """What makes a transition fire."""

    EVENT = "event"  # declared by the agent
    AFTER = "after"  # timed wait from the moment the line was said
    SILENCE = "silence"  # timed wait counting silence on the line
    LINE = "line"  # a line condition raised by the audio layer
    HEARD = "heard"  # recognised words


# Line conditions the audio layer raises (and ``simulate`` accepts as ``line:NAME``).
LINE_CONDITIONS = (
    "speech_started",
    "speech_stopped",
    "silence",
    "low_volume",
    "noise",
    "unintelligible",
)


# What the simulated caller does in a drill (``caller: {kind: ...}``); training.caller shapes the
# sound and the catalogs describe each kind (``caller.<kind>``).
CALLER_KINDS = ("normal", "upset", "silence", "quiet", "noisy", "dialect", "speakerphone")


@dataclass(frozen=True)
class Caller:
    """The caller's side of a line in a drill: what they do (``kind``), what they say (``say``;
    empty for silence) and the espeak-ng ``voice`` that says it."""

    kind: str
    say: str = ""
    voice: str = ""
    mark: Mark = NO_MARK


NO_CALLER = Caller("none")  # ``caller: none`` on a step: the agent speaks first


@dataclass(frozen=True)
class Forbidden:
    """Something the agent must never do: a phrasing (``say``) or an action (``do``)."""

    kind: str  # "say" or "do"
    text: str
    gloss: str
    mark: Mark = NO_MARK


@dataclass(frozen=True)
class Expected:
    """One element an answer to the step's line must contain (for scoring a trainee's answer).

    ``any`` lists the accepted wordings (the line's own and the alternatives a trainer accepts);
    ``{variable}`` in one stands for any short text (or the value given), ``……`` for anything.
    ``points`` are taken off when none is said; ``polite`` asks that the answer also has a polite
    marker (请, 您, 麻烦 ...), else the request is a blunt order.
    """

    label: Bilingual
    any: tuple[str, ...]
    points: int = 25
    polite: bool = False
    mark: Mark = NO_MARK


@dataclass(frozen=True)
class Transition:
    """One way out of a step: a trigger and a target.

    Exactly one of ``to`` (same flow), ``flow`` (jump, optionally to ``to`` in that flow) or
    ``call`` (run and come back to ``then`` or to this step) names the target.
    """

    trigger: Trigger
    name: str = ""  # event name or line condition
    seconds: float = 0.0  # for AFTER and SILENCE
    phrases: tuple[str, ...] = ()  # for HEARD
    label: Bilingual | None = None  # for EVENT
    to: str | None = None
    flow: str | None = None
    call: str | None = None
    then: str | None = None
    # The event reports what the caller did (greeted first, spoke): the agent presses the key,
    # the log says the caller moved the call on, so leaving before the line is no skipped line.
    by_caller: bool = False
    mark: Mark = NO_MARK

    @property
    def is_timed(self) -> bool:
        return self.trigger in (Trigger.AFTER, Trigger.SILENCE)

    def describe(self) -> str:
        """A short English description of the trigger, for graphs and listings."""
        if self.trigger is Trigger.EVENT:
            return self.label.en if self.label else self.name
        if self.is_timed:
            return f"{self.trigger.value} {self.seconds:g}s"
        if self.trigger is Trigger.LINE:
            return f"line: {self.name}"
        return "heard: " + " / ".join(self.phrases)


@dataclass(frozen=True)
class Again:
    """Another form of a step's line: its short form, said when the step comes back after a
    situation (``again``), or the line said while a variable it uses is unknown (``if_unknown``)."""

    say: str
    gloss: str


@dataclass(frozen=True)
class Step:
    """One state of a flow: what to say, what never to say, and the ways out."""

    id: str
    say: str | None = None
    gloss: str | None = None
    tip: Bilingual | None = None
    never: tuple[Forbidden, ...] = ()
    source: str | None = None
    on: tuple[Transition, ...] = ()
    expect: tuple[Expected, ...] = ()
    end: End | None = None
    again: Again | None = None
    # Said instead of ``say`` while a variable the line uses has no real value (the agent declined
    # to give the caller's surname): the placeholder is never put in the agent's mouth.
    if_unknown: Again | None = None
    # The caller's side before this line in a drill: None takes the flow's ``caller``; a step
    # where the agent speaks first says ``caller: none`` (``NO_CALLER``) when the flow has one.
    caller: Caller | None = None
    mark: Mark = NO_MARK
    say_mark: Mark = NO_MARK  # where the ``say`` text itself was written

    @property
    def is_terminal(self) -> bool:
        return self.end is not None

    @property
    def required_wait(self) -> float | None:
        """Seconds the agent must wait after this step's line: its shortest timed transition."""
        timed = [t.seconds for t in self.on if t.is_timed]
        return min(timed) if timed else None

    # Indexes the engine looks transitions up by on every input (built once per step).

    @cached_property
    def events(self) -> dict[str, Transition]:
        """Agent events by name (the first transition for a name wins)."""
        table: dict[str, Transition] = {}
        for t in self.on:
            if t.trigger is Trigger.EVENT:
                table.setdefault(t.name, t)
        return table

    @cached_property
    def line_transitions(self) -> dict[str, Transition]:
        table: dict[str, Transition] = {}
        for t in self.on:
            if t.trigger is Trigger.LINE:
                table.setdefault(t.name, t)
        return table

    @cached_property
    def timed(self) -> tuple[Transition, ...]:
        return tuple(t for t in self.on if t.is_timed)

    @cached_property
    def heard(self) -> tuple[Transition, ...]:
        return tuple(t for t in self.on if t.trigger is Trigger.HEARD)


@dataclass(frozen=True)
class Choice:
    """One value the agent may pick for a variable, and how the English gloss reads it."""

    value: str
    english: str = ""


@dataclass(frozen=True)
class Variable:
    """A ``{name}`` a flow may use, with its default value and an English gloss.

    ``english`` is the default as the English glosses read it (``本公司`` -> ``our company``); it
    stands in while the value is still the default. A value the agent or the settings give (a
    hotline's real name) is shown as it is in both languages.
    """

    name: str
    default: str
    gloss: str = ""
    english: str = ""
    # Asked when needed: a step whose line uses the variable, while its value is one of
    # ``unknown`` (or empty), asks the agent first: for text, or one of ``choices``.
    ask: Bilingual | None = None
    choices: tuple[Choice, ...] = ()
    unknown: tuple[str, ...] = ()

    def known(self, value: str | None) -> bool:
        """Whether ``value`` is a real value (not a placeholder the flow declares unknown)."""
        return bool(value and value.strip()) and value not in self.unknown


@dataclass(frozen=True)
class Situation:
    """The interrupt part of a flow that can be entered from any step of any call."""

    label: Bilingual
    key: str | None = None
    suggest_on: tuple[str, ...] = ()
    automatic: bool = False
    resume: Resume = Resume.REPEAT


@dataclass(frozen=True)
class Source:
    document: str
    section: str


@dataclass(frozen=True)
class Flow:
    """A whole call flow, loaded and type-checked (see ``callscript.flow.validate`` for the rest)."""

    id: str
    title: Bilingual
    language: str
    gloss: str
    source: Source
    start: str
    steps: dict[str, Step]
    variables: dict[str, Variable] = field(default_factory=dict)
    situation: Situation | None = None
    # Its lines are demonstrated a little louder (the flow is about speaking up).
    demonstrate_louder: bool = False
    # A user's flow that deliberately replaces the built-in flow of the same id (see
    # callscript.flow.sources); without it, a user flow reusing a built-in id is an error.
    override: bool = False
    # The caller's side of every line in a drill, unless a step says otherwise (None: no caller).
    caller: Caller | None = None
    path: str = "<built>"
    mark: Mark = NO_MARK

    @property
    def is_situation(self) -> bool:
        return self.situation is not None

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def caller_for(self, step: Step) -> Caller | None:
        """What the caller does before ``step``'s line: the step's own caller, else the flow's;
        None when nobody has spoken yet (the agent opens) or the flow declares no caller."""
        caller = step.caller if step.caller is not None else self.caller
        return None if caller is None or caller.kind == "none" else caller

    def defaults(self) -> dict[str, str]:
        return {name: var.default for name, var in self.variables.items()}
