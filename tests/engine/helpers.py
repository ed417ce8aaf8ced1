"""Building small flows in code for engine tests (the YAML loader is tested on its own)."""

from __future__ import annotations

from callscript.flow.model import Bilingual, End, Flow, Situation, Source, Step, Transition, Trigger, Variable


def event(name: str, to: str | None = None, **target: str) -> Transition:
    return Transition(Trigger.EVENT, name=name, label=Bilingual(name, name), to=to, **target)


def after(seconds: float, to: str) -> Transition:
    return Transition(Trigger.AFTER, seconds=seconds, to=to)


def silence(seconds: float, to: str) -> Transition:
    return Transition(Trigger.SILENCE, seconds=seconds, to=to)


def line(name: str, to: str) -> Transition:
    return Transition(Trigger.LINE, name=name, to=to)


def heard(*phrases: str, to: str) -> Transition:
    return Transition(Trigger.HEARD, phrases=phrases, to=to)


def step(step_id: str, say: str | None = None, *on: Transition, end: End | None = None, tip: str | None = None) -> Step:
    return Step(
        id=step_id, say=say, gloss=say and "gloss", on=tuple(on), end=end,
        tip=Bilingual(tip, tip) if tip else None,
    )


def flow(flow_id: str, *steps: Step, situation: Situation | None = None, variables: dict[str, str] | None = None) -> Flow:
    return Flow(
        id=flow_id, title=Bilingual(flow_id, flow_id), language="zh-CN", gloss="test", source=Source("doc", "§"),
        start=steps[0].id, steps={s.id: s for s in steps},
        variables={k: Variable(k, v) for k, v in (variables or {}).items()}, situation=situation,
    )


def situation(key: str, *suggest_on: str, automatic: bool = False) -> Situation:
    return Situation(Bilingual(key, key), key, tuple(suggest_on), automatic)
