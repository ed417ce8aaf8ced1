"""The schema of a flow file: YAML nodes in, a ``Flow`` and a list of problems out.

This is the one place that knows which keys a flow, a step and a transition may have and what
type each must be (the prose version is docs/flow-format.md). Problems are collected rather than
raised, so ``callscript check`` can report everything wrong with a file in one run; each names
the line, the chain of keys (``step 'greet' -> on[2] -> after``) and ends with a hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from callscript.flow.model import (
    CALLER_KINDS,
    LINE_CONDITIONS,
    NO_CALLER,
    Again,
    Bilingual,
    Caller,
    Choice,
    End,
    Expected,
    Flow,
    Forbidden,
    Mark,
    Resume,
    Situation,
    Source,
    Step,
    Transition,
    Trigger,
    Variable,
)
from callscript.flow.problems import Problem
from callscript.flow.yamlnodes import Node

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
LANGUAGES = ("zh-CN", "en-US")
# ASCII digits only: Python's \d and float() also take full-width (５) and Arabic-Indic (٥) digits.
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)[ \t]*(ms|s|m)\Z", re.ASCII)
MAX_WAIT_SECONDS = 3600.0

FLOW_KEYS = {
    "id": True, "title": True, "language": True, "gloss": True, "source": True, "start": True,
    "steps": True, "variables": False, "situation": False, "override": False, "demonstrate_louder": False,
    "caller": False,
}
STEP_KEYS = {
    "say": False, "gloss": False, "tip": False, "never": False, "source": False, "on": False, "end": False,
    "expect": False, "again": False, "if_unknown": False, "caller": False,
}
EXPECT_KEYS = {"label": True, "any": True, "points": False, "polite": False}
TRIGGER_KEYS = ("event", "after", "silence", "line", "heard")
TARGET_KEYS = ("to", "flow", "call", "then")
_TRIGGERS = {trigger.value: trigger for trigger in Trigger}
TRANSITION_KEYS = {**{k: False for k in TRIGGER_KEYS}, **{k: False for k in TARGET_KEYS}, "label": False,
                   "by_caller": False}
SITUATION_KEYS = {"label": True, "key": False, "suggest_on": False, "automatic": False, "resume": False}
CALLER_KEYS = {"kind": True, "say": False, "voice": False}
# The espeak-ng voices a drill's caller may speak in (tests/training checks espeak-ng has each):
# Mandarin, Cantonese (a dialect a Mandarin agent may not follow) and English.
CALLER_VOICES = ("cmn", "yue", "en-us", "en-gb")
VARIABLE_KEYS = {"default": True, "gloss": False, "english": False, "ask": False, "choices": False, "unknown": False}


class FlowBuilder:
    """Builds one ``Flow`` from the root node of one file, collecting problems on the way."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    # -- reporting -----------------------------------------------------------------------------

    def error(
        self, node: Node | None, context: str, message: str, hint: str = "", code: str = "schema", *, key: str = "",
    ) -> None:
        """Report a problem at ``node``; ``key``, when given, is joined to ``context`` here.

        Readers take the parent's context and their key separately because almost every value
        is valid: the chain of keys (``step 'greet' -> on[2] -> to``) is only built for a problem.
        """
        if key:
            context = _join(context, key)
        line, column = (node.line, node.column) if node else (0, 0)
        self.problems.append(Problem("error", code, self.path, line, column, message, context, hint))

    def mark(self, node: Node) -> Mark:
        return Mark(self.path, node.line, node.column)

    # -- typed readers -------------------------------------------------------------------------

    def mapping(self, node: Node, context: str, keys: dict[str, bool]) -> dict[str, Node] | None:
        """The node as a mapping, with unknown keys and missing required keys reported."""
        if node.kind != "map":
            self.error(node, context, f"expected a mapping of keys, found {node.type_name}",
                       "indent the keys under this line, one 'key: value' per line", "type")
            return None
        unknown = False
        for name in node.items:
            if name not in keys:
                unknown = True
                close = difflib.get_close_matches(name, list(keys), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(keys)
                self.error(node.keys[name], _join(context, name), f"unknown key '{name}'", hint, "unknown-key")
        for name, required in keys.items():
            if required and name not in node.items:
                self.error(node, context, f"missing required key '{name}'",
                           f"add '{name}:' (see docs/flow-format.md)", "missing-key")
        if not unknown:
            return node.items  # the usual case; callers only read it, so the node's own dict will do
        return {name: value for name, value in node.items.items() if name in keys}

    def text(self, node: Node | None, context: str, key: str = "", *, allow_empty: bool = False,
             numbers: bool = True) -> str | None:
        """The text of ``node``; a number is taken as its text unless ``numbers`` is False (a line
        to say, where ``say: 12345`` is far more likely a slip than a line)."""
        if node is None:
            return None
        value = node.value
        if value.__class__ is str and (allow_empty or value.strip()):  # the usual case, decided at once
            return value
        if not numbers and node.kind == "scalar" and isinstance(value, (int, float)):
            self.error(node, context, f"expected text, found the number {value!r}",
                       f"quote it if it is the text to say: {key or 'say'}: \"{value}\"", "type", key=key)
            return None
        if node.kind != "scalar" or not isinstance(node.value, (str, int, float)) or isinstance(node.value, bool):
            self.error(node, context, f"expected text, found {node.type_name}",
                       "write the text after the colon; quote it if it starts with a special character", "type",
                       key=key)
            return None
        value = str(node.value)
        if not value.strip() and not allow_empty:
            self.error(node, context, "text is empty", "write the text, or remove the key", "empty", key=key)
            return None
        return value

    def identifier(self, node: Node | None, context: str, key: str = "") -> str | None:
        value = self.text(node, context, key)
        if value is not None and not ID_PATTERN.match(value):
            self.error(node, context, f"'{value}' is not a valid id",
                       "ids use lower-case letters, digits and _, starting with a letter (e.g. greet_again)",
                       "bad-id", key=key)
            return None
        return value

    def bilingual(self, node: Node | None, context: str, key: str = "") -> Bilingual | None:
        if node is None:
            return None
        context = _join(context, key) if key else context
        items = self.mapping(node, context, {"zh": True, "en": True})
        if items is None:
            return None
        zh = self.text(items.get("zh"), context, "zh")
        en = self.text(items.get("en"), context, "en")
        if zh is None or en is None:
            return None
        return Bilingual(zh, en)

    def boolean(self, node: Node | None, context: str, default: bool) -> bool:
        if node is None:
            return default
        if node.kind != "scalar" or not isinstance(node.value, bool):
            self.error(node, context, f"expected true or false, found {node.type_name}",
                       "write true or false (yes/no are read as text)", "type")
            return default
        return node.value

    def sequence(self, node: Node | None, context: str) -> list[Node]:
        if node is None:
            return []
        if node.kind != "seq":
            self.error(node, context, f"expected a list, found {node.type_name}",
                       "write each item on its own line starting with '- '", "type")
            return []
        return node.value

    def duration(self, node: Node, context: str) -> float | None:
        raw = node.value if node.kind == "scalar" else None
        seconds: float | None = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            seconds = None  # a bare number is ambiguous: ask for a unit
        elif isinstance(raw, str):
            match = _DURATION.match(raw.strip())
            if match:
                number, unit = float(match.group(1)), match.group(2)
                seconds = number / 1000 if unit == "ms" else number * 60 if unit == "m" else number
        if seconds is None:
            self.error(node, context, f"expected a duration like '5s', found {raw!r}",
                       "write a number with a unit: 5s, 1.5s, 500ms or 2m", "duration")
            return None
        if not 0 < seconds <= MAX_WAIT_SECONDS:
            self.error(node, context, f"a wait must be longer than 0 and at most {MAX_WAIT_SECONDS:g}s",
                       "use the wait the document prescribes, e.g. 5s", "duration")
            return None
        return seconds

    # -- the flow ------------------------------------------------------------------------------

    def build(self, root: Node) -> Flow | None:
        items = self.mapping(root, "flow", FLOW_KEYS)
        if items is None:
            return None
        flow_id = self.identifier(items.get("id"), "id")
        title = self.bilingual(items.get("title"), "title")
        language = self.text(items.get("language"), "language")
        if language is not None and language not in LANGUAGES:
            self.error(items["language"], "language", f"unknown language '{language}'",
                       "use one of: " + ", ".join(LANGUAGES), "language")
        gloss = self.text(items.get("gloss"), "gloss")
        source = self.source(items.get("source"))
        start = self.identifier(items.get("start"), "start")
        variables = self.variables(items.get("variables"))
        situation = self.situation(items.get("situation"))
        steps = self.steps(items.get("steps"))
        louder = self.boolean(items.get("demonstrate_louder"), "demonstrate_louder", False)
        override = self.boolean(items.get("override"), "override", False)
        caller = self.caller(items.get("caller"), "caller", allow_none=False)
        if None in (flow_id, title, language, gloss, source, start) or steps is None:
            return None
        return Flow(
            id=flow_id, title=title, language=language, gloss=gloss, source=source, start=start,
            steps=steps, variables=variables, situation=situation, demonstrate_louder=louder, override=override,
            caller=caller, path=self.path,
            mark=self.mark(root),
        )  # type: ignore[arg-type]

    def source(self, node: Node | None) -> Source | None:
        if node is None:
            return None
        items = self.mapping(node, "source", {"document": True, "section": True})
        if items is None:
            return None
        document = self.text(items.get("document"), "source -> document")
        section = self.text(items.get("section"), "source -> section")
        return Source(document, section) if document and section else None

    def variables(self, node: Node | None) -> dict[str, Variable]:
        result: dict[str, Variable] = {}
        if node is None:
            return result
        if node.kind != "map":
            self.mapping(node, "variables", {})  # reports the wrong type
            return result
        for name, value in node.items.items():
            context = f"variables -> {name}"
            if not re.match(r"[A-Za-z_][A-Za-z0-9_]*\Z", name):
                self.error(node.keys[name], context, f"'{name}' is not a valid variable name",
                           "use letters, digits and _", "bad-id")
                continue
            fields = self.mapping(value, context, VARIABLE_KEYS)
            if fields is None:
                continue
            default = self.text(fields.get("default"), context, "default", allow_empty=True)
            gloss = self.text(fields.get("gloss"), context, "gloss") or ""
            english = self.text(fields.get("english"), context, "english") or ""
            ask = self.bilingual(fields.get("ask"), context, "ask")
            choices = self.choices(fields.get("choices"), _join(context, "choices"))
            unknown = tuple(u for i, n in enumerate(self.sequence(fields.get("unknown"), _join(context, "unknown")))
                            if (u := self.text(n, f"{context} -> unknown[{i}]", allow_empty=True)) is not None)
            if choices and ask is None:
                self.error(fields["choices"], _join(context, "choices"), "choices are asked: add 'ask'",
                           "add ask: {zh: ..., en: ...} with the question the agent sees", "missing-key")
            if default is not None:
                result[name] = Variable(name, default, gloss, english, ask, choices, unknown)
        return result

    def choices(self, node: Node | None, context: str) -> tuple[Choice, ...]:
        """``{VALUE: ENGLISH, ...}``: the values offered, in order, with their English reading."""
        if node is None:
            return ()
        if node.kind != "map":
            self.mapping(node, context, {})  # reports the wrong type
            return ()
        found = []
        for value, english_node in node.items.items():
            english = self.text(english_node, _join(context, str(value)), allow_empty=True)
            found.append(Choice(str(value), english or ""))
        if len(found) > 9:
            self.error(node, context, f"{len(found)} choices: one key each, so at most 9",
                       "keep the choices the agent picks from to 9 or fewer", "too-many")
        return tuple(found)

    def situation(self, node: Node | None) -> Situation | None:
        if node is None:
            return None
        items = self.mapping(node, "situation", SITUATION_KEYS)
        if items is None:
            return None
        label = self.bilingual(items.get("label"), "situation -> label")
        key = self.text(items.get("key"), "situation -> key")
        if key is not None and len(key) != 1:
            self.error(items["key"], "situation -> key", f"a hotkey is one character, found '{key}'",
                       "choose one letter, e.g. key: s", "bad-key")
            key = None
        suggest_on = []
        for index, item in enumerate(self.sequence(items.get("suggest_on"), "situation -> suggest_on")):
            condition = self.text(item, f"situation -> suggest_on[{index}]")
            if condition is not None and condition not in LINE_CONDITIONS:
                self.error(item, f"situation -> suggest_on[{index}]", f"unknown line condition '{condition}'",
                           _choices(condition, LINE_CONDITIONS), "line-condition")
            elif condition is not None:
                suggest_on.append(condition)
        automatic = self.boolean(items.get("automatic"), "situation -> automatic", False)
        resume = Resume.REPEAT
        if "resume" in items:
            raw = self.text(items["resume"], "situation -> resume")
            try:
                resume = Resume(raw) if raw is not None else Resume.REPEAT
            except ValueError:
                self.error(items["resume"], "situation -> resume", f"unknown resume '{raw}'",
                           _choices(raw or "", [r.value for r in Resume]), "resume")
        return Situation(label, key, tuple(suggest_on), automatic, resume) if label else None

    def steps(self, node: Node | None) -> dict[str, Step] | None:
        if node is None:
            return None
        if node.kind != "map":
            self.error(node, "steps", f"expected a mapping of step ids to steps, found {node.type_name}",
                       "write each step as 'step_id:' with its keys indented below", "type")
            return None
        if not node.items:
            self.error(node, "steps", "a flow needs at least one step", "add a step under 'steps:'", "empty")
            return None
        steps: dict[str, Step] = {}
        for step_id, value in node.items.items():
            context = f"step '{step_id}'"
            if not ID_PATTERN.match(step_id):
                self.error(node.keys[step_id], context, f"'{step_id}' is not a valid step id",
                           "ids use lower-case letters, digits and _, starting with a letter", "bad-id")
                continue
            step = self.step(step_id, value, context)
            if step is not None:
                steps[step_id] = step
        return steps

    def step(self, step_id: str, node: Node, context: str) -> Step | None:
        items = self.mapping(node, context, STEP_KEYS)
        if items is None:
            return None
        say = self.text(items.get("say"), context, "say", numbers=False)
        gloss = self.text(items.get("gloss"), context, "gloss")
        if say is not None and gloss is None and "gloss" not in items:
            self.error(items["say"], _join(context, "say"), "a line to say needs its English gloss",
                       "add 'gloss:' with the English meaning of the line, for trainers", "missing-key")
        tip = self.bilingual(items.get("tip"), context, "tip")
        never = tuple(self.forbidden(items.get("never"), _join(context, "never")))
        expect = tuple(self.expected(items.get("expect"), _join(context, "expect")))
        if expect and say is None:
            self.error(items["expect"], _join(context, "expect"), "'expect' needs a line to say",
                       "add 'say:' to the step, or remove 'expect'", "expect")
        source = self.text(items.get("source"), context, "source")
        end: End | None = None
        if "end" in items:
            raw = self.text(items["end"], context, "end")
            try:
                end = End(raw) if raw is not None else None
            except ValueError:
                self.error(items["end"], _join(context, "end"), f"unknown end '{raw}'",
                           _choices(raw or "", [e.value for e in End]), "end")
        again = self.other_line(items, "again", say, context, "'again' is a short form of the line")
        if_unknown = self.other_line(items, "if_unknown", say, context,
                                     "'if_unknown' is said instead of the line while a variable is unknown")
        transitions = tuple(self.transitions(items.get("on"), _join(context, "on")))
        caller = self.caller(items.get("caller"), _join(context, "caller"), allow_none=True)
        if end is not None and "on" in items:
            self.error(items["on"], _join(context, "on"), "a step with 'end' cannot have transitions",
                       "remove 'end' to keep the transitions, or remove 'on'", "terminal-with-on")
        if say is None and tip is None and end is None and "say" not in items:  # a bad say: is reported already
            self.error(node, context, "a step needs a line to say, a tip, or an end",
                       "add 'say:' (with 'gloss:') or a 'tip:' saying what to do", "empty-step")
        return Step(
            id=step_id, say=say, gloss=gloss, tip=tip, never=never, source=source,
            on=transitions, end=end, again=again, if_unknown=if_unknown, mark=self.mark(node), expect=expect,
            caller=caller,
            say_mark=self.mark(items["say"]) if "say" in items else self.mark(node),
        )

    def caller(self, node: Node | None, context: str, *, allow_none: bool) -> Caller | None:
        """``{kind, say, voice}``: what the simulated caller does in a drill; on a step also
        ``none`` (the agent speaks first: nothing is played or shown before the line)."""
        if node is None:
            return None
        if allow_none and node.kind == "scalar" and node.value == "none":
            return NO_CALLER
        fields = self.mapping(node, context, CALLER_KEYS)
        if fields is None:
            return None
        kind = self.text(fields.get("kind"), context, "kind")
        if kind is not None and kind not in CALLER_KINDS:
            self.error(fields["kind"], context, f"unknown caller kind '{kind}'",
                       _choices(kind, CALLER_KINDS), "caller-kind", key="kind")
            return None
        say = self.text(fields.get("say"), context, "say") or ""
        voice = self.text(fields.get("voice"), context, "voice") or ""
        if voice and voice not in CALLER_VOICES:
            self.error(fields["voice"], context, f"unknown espeak-ng voice '{voice}'",
                       _choices(voice, CALLER_VOICES), "caller-voice", key="voice")
            return None
        if kind == "silence" and "say" in fields:
            self.error(fields["say"], context, "a silent caller says nothing",
                       "remove 'say', or choose another kind", "caller-say", key="say")
            return None
        if kind not in (None, "silence") and not say:
            if "say" not in fields:
                self.error(node, context, f"a '{kind}' caller needs the words they say",
                           "add say: with the caller's words", "missing-key")
            return None
        if kind is None:
            return None
        return Caller(kind, say, voice, self.mark(node))  # no voice: the flow language's own

    def other_line(self, items: dict[str, Node], key: str, say: str | None, context: str, what: str) -> Again | None:
        """Another form of the step's line (``again``, ``if_unknown``): ``{say, gloss}``, only
        on a step that has a line."""
        if key not in items:
            return None
        fields = self.mapping(items[key], _join(context, key), {"say": True, "gloss": True})
        if fields is None:
            return None
        other_say = self.text(fields.get("say"), _join(context, key), "say")
        other_gloss = self.text(fields.get("gloss"), _join(context, key), "gloss")
        if say is None:
            self.error(items[key], _join(context, key), what,
                       f"give the step a 'say:' first, or remove '{key}'", f"{key.replace('_', '-')}-without-say")
        elif other_say and other_gloss:
            return Again(other_say, other_gloss)
        return None

    def forbidden(self, node: Node | None, context: str) -> Iterable[Forbidden]:
        for index, item in enumerate(self.sequence(node, context)):
            item_context = f"{context}[{index}]"
            fields = self.mapping(item, item_context, {"say": False, "do": False, "gloss": True})
            if fields is None:
                continue
            kinds = [k for k in ("say", "do") if k in fields]
            if len(kinds) != 1:
                self.error(item, item_context, "a forbidden item needs exactly one of 'say' or 'do'",
                           "use 'say:' for a forbidden phrasing, 'do:' for a forbidden action", "forbidden")
                continue
            text = self.text(fields[kinds[0]], item_context, kinds[0], numbers=kinds[0] != "say")
            gloss = self.text(fields.get("gloss"), item_context, "gloss")
            if text is not None and gloss is not None:
                yield Forbidden(kinds[0], text, gloss, self.mark(item))

    def expected(self, node: Node | None, context: str) -> Iterable[Expected]:
        """The elements an answer must contain: ``{label, any: [wordings], points, polite}``."""
        for index, item in enumerate(self.sequence(node, context)):
            item_context = f"{context}[{index}]"
            fields = self.mapping(item, item_context, EXPECT_KEYS)
            if fields is None:
                continue
            label = self.bilingual(fields.get("label"), item_context, "label")
            any_context = _join(item_context, "any")
            wordings = [self.text(n, any_context) for n in self.sequence(fields.get("any"), any_context)]
            if "any" in fields and not wordings and fields["any"].kind == "seq":
                self.error(fields["any"], _join(item_context, "any"), "no accepted wording",
                           "list at least one wording, e.g. any: [对不起, 不好意思]", "empty")
            points = 25
            if "points" in fields:
                value = fields["points"].value
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                    self.error(fields["points"], _join(item_context, "points"),
                               f"expected a whole number of points from 1 to 100, found {value!r}",
                               "write e.g. points: 10 (25 when left out)", "type")
                else:
                    points = value
            polite = self.boolean(fields.get("polite"), _join(item_context, "polite"), False)
            if label is not None and wordings and all(w is not None for w in wordings):
                yield Expected(label, tuple(w for w in wordings if w is not None), points, polite, self.mark(item))

    def transitions(self, node: Node | None, context: str) -> Iterable[Transition]:
        for index, item in enumerate(self.sequence(node, context)):
            transition = self.transition(item, f"{context}[{index}]")
            if transition is not None:
                yield transition

    def transition(self, node: Node, context: str) -> Transition | None:
        fields = self.mapping(node, context, TRANSITION_KEYS)
        if fields is None:
            return None
        triggers = [k for k in TRIGGER_KEYS if k in fields]
        if len(triggers) != 1:
            found = ", ".join(triggers) if triggers else "none"
            self.error(node, context, f"a transition needs exactly one trigger (found: {found})",
                       "use one of: " + ", ".join(TRIGGER_KEYS), "trigger")
            return None
        kind = _TRIGGERS[triggers[0]]
        trigger_node = fields[triggers[0]]
        trigger_context = _join(context, triggers[0])
        name, seconds, phrases, label = "", 0.0, (), None
        if kind is Trigger.EVENT:
            name = self.identifier(trigger_node, trigger_context) or ""
            if "label" not in fields:
                self.error(node, context, "an agent event needs a label",
                           "add label: {zh: ..., en: ...} (shown on its key)", "missing-key")
            label = self.bilingual(fields.get("label"), context, "label")
        elif "label" in fields:
            self.error(fields["label"], _join(context, "label"), "only agent events have labels",
                       "remove 'label'", "unknown-key")
        if kind in (Trigger.AFTER, Trigger.SILENCE):
            seconds = self.duration(trigger_node, trigger_context) or 0.0
        elif kind is Trigger.LINE:
            name = self.text(trigger_node, trigger_context) or ""
            if name and name not in LINE_CONDITIONS:
                self.error(trigger_node, trigger_context, f"unknown line condition '{name}'",
                           _choices(name, LINE_CONDITIONS), "line-condition")
        elif kind is Trigger.HEARD:
            items = self.sequence(trigger_node, trigger_context)
            phrases = tuple(p for i, n in enumerate(items) if (p := self.text(n, f"{trigger_context}[{i}]")))
            if trigger_node.kind == "seq" and not items:
                self.error(trigger_node, trigger_context, "'heard' needs at least one phrase",
                           "write the phrases in a list: heard: [听不清, 听不到]", "empty")
        # Most transitions have one target of the four: absent keys are settled without a call.
        to = self.identifier(fields["to"], context, "to") if "to" in fields else None
        flow = self.identifier(fields["flow"], context, "flow") if "flow" in fields else None
        call = self.identifier(fields["call"], context, "call") if "call" in fields else None
        then = self.identifier(fields["then"], context, "then") if "then" in fields else None
        if "to" not in fields and "flow" not in fields and "call" not in fields:
            what = "a timer" if kind in (Trigger.AFTER, Trigger.SILENCE) else "a transition"
            self.error(node, context, f"{what} with no target",
                       "add 'to: STEP', 'flow: FLOW' or 'call: FLOW'", "no-target")
            return None
        if "call" in fields and ("to" in fields or "flow" in fields):
            self.error(node, context, "'call' cannot be combined with 'to' or 'flow'",
                       "use 'call: FLOW' with 'then: STEP' to choose where to come back", "target")
            return None
        if "then" in fields and "call" not in fields:
            self.error(fields["then"], _join(context, "then"), "'then' only goes with 'call'",
                       "use 'to: STEP' to go to a step", "target")
            return None
        by_caller = self.boolean(fields.get("by_caller"), _join(context, "by_caller"), False)
        if by_caller and kind is not Trigger.EVENT:
            self.error(fields["by_caller"], _join(context, "by_caller"), "only agent events can be the caller's doing",
                       "remove 'by_caller' (line and heard triggers come from the caller already)", "by-caller")
        return Transition(
            trigger=kind, name=name, seconds=seconds, phrases=phrases, label=label,
            to=to, flow=flow, call=call, then=then, by_caller=by_caller, mark=self.mark(node),
        )


def _join(context: str, key: str) -> str:
    return f"{context} -> {key}" if context else key


def _choices(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else "use one of: " + ", ".join(choices)
