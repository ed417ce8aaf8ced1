"""Helpers for the app tests: build the real app, read its screen as text, drive a call.

``CallDriver`` presses the same keys an agent would (space, 1-9, a situation's hotkey, Ctrl+E),
moves the injected ``ManualClock`` for timed waits, and feeds line conditions and transcripts
through the app's real ``LineSink``. ``Oracle`` runs the same inputs on a bare ``CallEngine`` so a
test can check that what the screen shows is what the flow says should happen.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from callscript.app.app import CallscriptApp, make_app
from callscript.app.keys import situation_id
from callscript.app.messages import AppLineSink
from callscript.engine import CallEngine, ManualClock
from callscript.flow.model import Flow, Trigger
from callscript.settings import Settings

# A fixed wall clock (2026-01-02 03:04:05 UTC) so log file names, and the snapshots that show
# them, never change.
FIXED_WALL = 1767323045.0


def build_app(flows: dict[str, Flow], tmp_path: Path, *, clock: Any = None, settings: Settings | None = None,
              **kwargs: Any) -> CallscriptApp:
    """The real app with a ManualClock, a log directory under ``tmp_path`` and a fixed wall clock."""
    kwargs.setdefault("wall", lambda: FIXED_WALL)
    return make_app(flows, clock=clock if clock is not None else ManualClock(), log_dir=tmp_path / "logs",
                    settings=settings or Settings(), **kwargs)


def screen_text(app: Any) -> str:
    """The screen as plain text, exactly as a terminal would show it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens,
                                                       simplify=True))
    return console.export_text()


def say_panel_text(app: Any) -> str:
    """The text inside the "Say now" box (the left box; the forbidden phrasing sits beside it on
    the same rows), its wrapped lines joined by single spaces."""
    rows = [line.split("│")[1] for line in screen_text(app).splitlines() if line.startswith("│")]
    return " ".join(" ".join(rows).split())


def compact(text: str) -> str:
    """Screen text without spaces and line breaks, so wrapped lines can be searched for."""
    return "".join(text.split())


Action = tuple[str, ...]  # ("event", name) ("time",) ("line", cond) ("heard", phrase) ("situation", id) ("end",)


@dataclass
class Oracle:
    """A bare engine given the same inputs as the app: what the screen should show."""

    flows: dict[str, Flow]
    flow_id: str
    clock: ManualClock = field(default_factory=ManualClock)
    engine: CallEngine = field(init=False)

    def __post_init__(self) -> None:
        # As the app builds its calls: a situation the call started on goes on into the default flow.
        self.engine = CallEngine(self.flows, self.flow_id, self.clock, then_flow=Settings().default_flow)
        self.engine.start()

    def apply(self, action: Action) -> bool:
        """Apply one input; False when it cannot be applied in this state."""
        engine = self.engine
        kind = action[0]
        if engine.ended:
            return False
        if kind == "event":
            return engine.fire(action[1])
        if kind == "time":
            engine.mark_said()
            deadline = engine.next_deadline()
            if deadline is None:
                return False
            self.clock.set(deadline)
            return engine.poll() > 0
        if kind == "line":
            engine.line(action[1])
            return True
        if kind == "heard":
            return engine.hear(action[1])
        if kind == "situation":
            return engine.enter_situation(action[1])
        if kind == "end":
            return engine.end_call("agent_ended")
        raise ValueError(action)

    def state(self) -> tuple[Any, ...]:
        # The call stack is private to the engine; the walk needs it to tell states apart.
        frames = self.engine.frames
        return (frames, self.engine.step.id, self.engine.ended)

    def actions(self, *, situations: bool) -> list[Action]:
        """The inputs that mean something in the current step (and situations, when asked)."""
        engine = self.engine
        found: list[Action] = []
        if engine.ended:
            return found
        for transition in engine.step.on:
            if transition.trigger is Trigger.EVENT:
                found.append(("event", transition.name))
            elif transition.is_timed and ("time",) not in found:
                found.append(("time",))
            elif transition.trigger is Trigger.LINE:
                found.append(("line", transition.name))
            elif transition.trigger is Trigger.HEARD:
                found += [("heard", phrase) for phrase in transition.phrases]
        if situations and engine.depth == 0:
            found += [("situation", f.id) for f in engine.situations() if f.id != engine.flow.id]
        return found


def replay(flows: dict[str, Flow], flow_id: str, actions: list[Action]) -> Oracle | None:
    oracle = Oracle(flows, flow_id)
    for action in actions:
        if not oracle.apply(action):
            return None
    return oracle


def plan_walks(flows: dict[str, Flow], flow_id: str, *, max_extend: int = 40) -> list[list[Action]]:
    """Input sequences that together take every input of every state reachable from ``flow_id``.

    Every event, timed wait, line condition and heard phrase of every step, in every call context
    it can be reached in. Situations: all of them from the first step of the call, and from every
    other step of the call (depth 0) one of them in turn, so that every situation is also entered
    mid-call; each is walked to its end (return or hang-up). Each walk ends the call (Ctrl+E when
    the flow did not). Situation flows run as calls of their own are walked without interruptions.
    """
    top_is_situation = flows[flow_id].is_situation
    situation_ids = sorted(f.id for f in flows.values() if f.is_situation)
    turn = iter(range(10**6))
    allowed: dict[Any, set[str]] = {}

    def actions_at(oracle: Oracle) -> list[Action]:
        if top_is_situation and not oracle.engine.depth and oracle.engine.flow.id != flow_id:
            return []  # the situation went on into the default flow: that flow is walked on its own
        state = oracle.state()
        if state not in allowed:
            if top_is_situation or oracle.engine.depth:
                allowed[state] = set()
            elif oracle.engine.step.id == flows[flow_id].start and len(oracle.engine.history) == 1:
                allowed[state] = set(situation_ids)
            else:
                allowed[state] = {situation_ids[next(turn) % len(situation_ids)]} if situation_ids else set()
        return [a for a in oracle.actions(situations=True) if a[0] != "situation" or a[1] in allowed[state]]

    paths: dict[tuple[Any, Action], list[Action]] = {}
    order: list[tuple[Any, Action]] = []
    seen: set[Any] = set()
    frontier: list[list[Action]] = [[]]
    while frontier:
        next_frontier: list[list[Action]] = []
        for prefix in frontier:
            oracle = replay(flows, flow_id, prefix)
            if oracle is None or oracle.engine.ended or oracle.state() in seen:
                continue
            seen.add(oracle.state())
            for action in actions_at(oracle):
                unit = (oracle.state(), action)
                if replay(flows, flow_id, [*prefix, action]) is None:
                    continue
                if unit not in paths:
                    paths[unit] = [*prefix, action]
                    order.append(unit)
                next_frontier.append([*prefix, action])
        frontier = next_frontier
    covered: set[tuple[Any, Action]] = set()
    walks: list[list[Action]] = []
    for unit in order:
        if unit in covered:
            continue
        walk = list(paths[unit])
        oracle = Oracle(flows, flow_id)
        for action in walk:
            covered.add((oracle.state(), action))
            oracle.apply(action)
        # Go on while there is something new to take from here, then end the call.
        for _ in range(max_extend):
            if oracle.engine.ended:
                break
            fresh = [a for a in actions_at(oracle) if (oracle.state(), a) in paths and (oracle.state(), a) not in covered]
            if not fresh:
                break
            covered.add((oracle.state(), fresh[0]))
            walk.append(fresh[0])
            oracle.apply(fresh[0])
        if not oracle.engine.ended:
            walk.append(("end",))
        walks.append(walk)
    return walks


class CallDriver:
    """Drives the call on screen the way an agent (and the line) would."""

    def __init__(self, pilot: Any, clock: ManualClock) -> None:
        self.pilot = pilot
        self.app: CallscriptApp = pilot.app
        self.clock = clock
        self.sink = AppLineSink(self.app)

    @property
    def screen(self) -> Any:
        return self.app.live_call

    async def press(self, key: str) -> None:
        """One key through the app's real key dispatch (bindings, keymap), without Pilot's
        idle-detection wait, which costs ~60 ms a key on a busy machine; then let the screen
        process everything the key set off."""
        self.app.simulate_key(key)
        await self.pilot.pause(0)

    async def apply(self, action: Action) -> None:
        kind = action[0]
        app = self.app
        screen = self.screen
        assert screen is not None, f"no call on screen for {action}"
        if kind == "event":
            names = [t.name for t in screen.engine.view().events]
            await self.press(app.keys[f"call.event{names.index(action[1]) + 1}"])
        elif kind == "time":
            if not screen.engine.view().said:
                await self.press(app.keys["call.said"])
            deadline = screen.engine.next_deadline()
            assert deadline is not None, "a timed wait should be running"
            self.clock.set(deadline)
            screen.poll()
        elif kind == "line":
            self.sink.condition(action[1], {})
        elif kind == "heard":
            self.sink.transcript(action[1], True)
        elif kind == "situation":
            await self.press(app.keys[situation_id(action[1])])
        elif kind == "end":
            await self.press(app.keys["call.end"])
            await self.press("enter")  # the dialog asks: Enter ends the call here
        else:
            raise ValueError(action)
        await self.pilot.pause(0)
        await self.decline_questions()

    async def decline_questions(self) -> None:
        """A line that needs a value nobody gave (the surname) asks for it first: the walks
        leave the flows' placeholders (Escape), as the oracle engine has them."""
        from callscript.app.screens.dialogs import VariableDialog

        for _ in range(10):
            await self.pilot.pause()
            if not isinstance(self.app.screen, VariableDialog):
                return
            await self.press("escape")
