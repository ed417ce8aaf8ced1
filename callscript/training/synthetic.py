"""Realistic synthetic session logs, written by the real engine over the real flows.

Each call runs ``CallEngine`` on a ``ManualClock`` with a ``SessionLog`` listening, exactly as the
app does, and a seeded random "agent" drives it: says lines (taking time to say them, sometimes
not marking one said), mostly honours timed waits but sometimes hangs up early, answers the
events each step offers, hears phrases, enters situations (silent line, noise, a quiet caller,
speakerphone, dialect, complaint), and now and then ends the call before the flow does. A few
logs are cut off mid-line, as a killed process leaves them. The logs are therefore real engine
output: the team report, its tests and ``benchmarks/training.py`` read exactly what agents write.

    python -m callscript.training.synthetic OUTDIR --calls 1000 --seed 1
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from callscript.engine.clock import ManualClock
from callscript.engine.engine import CallEngine
from callscript.flow.model import Flow, Trigger
from callscript.session.log import SessionLog

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
HOTLINES = ("顺达", "安心", "百家", "星河")


@dataclass(frozen=True)
class Behaviour:
    """How the simulated agents behave (probabilities per decision)."""

    honour_wait: float = 0.80  # let a running timed wait run out
    hang_up_in_wait: float = 0.06  # end the call before a timed wait ran out
    skip_line: float = 0.03  # leave a step without marking its line said
    enter_situation: float = 0.06  # interrupt with a situation at a step
    agent_ends: float = 0.004  # end the call at an ordinary step
    crash: float = 0.01  # the process dies mid-call (per call), leaving a torn last line


def generate_logs(
    out_dir: Path | str,
    calls: int,
    *,
    flows: dict[str, Flow] | None = None,
    seed: int = 0,
    agents: int = 20,
    start_flow: str = "main_call",
    days: int = 90,
    behaviour: Behaviour = Behaviour(),
) -> list[Path]:
    """Write ``calls`` session logs under ``out_dir/<agent>/``; returns their paths."""
    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()
    rng = random.Random(seed)
    out = Path(out_dir)
    names = [f"A{n:03d}" for n in range(1, agents + 1)]
    skill = {name: rng.uniform(0.6, 1.4) for name in names}  # how often each agent slips (1 = average)
    first = datetime(2025, 1, 6, tzinfo=timezone.utc)
    paths = []
    for _ in range(calls):
        agent = rng.choice(names)
        when = first + timedelta(days=rng.randrange(days), hours=rng.uniform(8, 20))
        paths.append(run_call(out / agent, flows, start_flow, agent, when, rng, behaviour, skill[agent]))
    return paths


def run_call(
    log_dir: Path,
    flows: dict[str, Flow],
    start_flow: str,
    agent: str,
    when: datetime,
    rng: random.Random,
    behaviour: Behaviour = Behaviour(),
    slips: float = 1.0,
    clock: ManualClock | None = None,
) -> Path:
    """Run one call through the engine, logging it; returns the log's path. ``clock`` carries on
    from the call before (a shift); by default each call has a clock of its own."""
    clock = clock if clock is not None else ManualClock(rng.uniform(1e4, 1e6))
    mono0, wall0 = clock.now(), when.timestamp()

    def wall() -> float:
        return wall0 + (clock.now() - mono0)

    log = SessionLog.create(log_dir, start_flow, wall=wall)
    situations = [f.id for f in flows.values() if f.is_situation]
    variables = {"agent": agent, "hotline": rng.choice(HOTLINES)}
    engine = CallEngine(flows, start_flow, clock, variables=variables, listeners=[log])
    engine.start()
    crash_at = rng.randrange(1, 30) if rng.random() < behaviour.crash else None
    crashed = False
    for action in range(80):
        if engine.ended:
            break
        if action == crash_at:
            crashed = True
            break
        view = engine.view()
        step = view.step
        if view.say is not None and not view.said:
            clock.advance(0.4 + 0.18 * len(view.say) * rng.uniform(0.8, 1.3))  # saying the line
            if rng.random() >= behaviour.skip_line * slips:
                engine.mark_said()
        wait = engine.current_wait()
        if wait is not None:
            roll = rng.random()
            if roll < behaviour.honour_wait:
                clock.set(wait.deadline + rng.uniform(0.0, 0.4))
                engine.poll()
                continue
            if roll < behaviour.honour_wait + behaviour.hang_up_in_wait * slips:
                clock.advance(rng.uniform(0.3, 0.9) * max(0.0, wait.deadline - clock.now()))
                if rng.random() < 0.5:
                    engine.add_note("挂机")
                engine.end_call("agent_ended")
                break
            clock.advance(rng.uniform(0.1, 0.8) * max(0.0, wait.deadline - clock.now()))  # the caller speaks first
        else:
            clock.advance(rng.uniform(0.5, 6.0))  # listening
        if engine.ended:
            break
        roll = rng.random()
        if roll < behaviour.enter_situation and engine.depth < 2:
            engine.enter_situation(rng.choice(situations))
            continue
        if roll < behaviour.enter_situation + behaviour.agent_ends * slips:
            engine.end_call("agent_ended")
            break
        options = [t for t in engine.step.on if not t.is_timed]
        if not options:
            if engine.current_wait() is None and not engine.ended:
                engine.end_call("agent_ended")  # nothing left to do here: a dead end
                break
            continue
        choice = rng.choice(options)
        if rng.random() < 0.05:
            engine.set_variable("surname", rng.choice(SURNAMES))
        if choice.trigger is Trigger.EVENT:
            engine.fire(choice.name)
        elif choice.trigger is Trigger.LINE:
            engine.line(choice.name)
            if choice.name == "speech_started":
                clock.advance(rng.uniform(0.5, 3.0))
                engine.line("speech_stopped")
        else:
            engine.hear(rng.choice(choice.phrases) + rng.choice(("", "了", "啊")))
    else:
        if not engine.ended:
            engine.end_call("agent_ended")
    if crashed:
        log.append_raw('{"type": "event", "t": 1')  # killed mid-write: a torn last line
    log.close()
    return log.path


def run_shift(
    log_dir: Path,
    hours: float,
    *,
    flows: dict[str, Flow] | None = None,
    seed: int = 0,
    pause: tuple[float, float] = (5.0, 30.0),
    on_call: Callable[[int, float], None] | None = None,
) -> int:
    """One agent's working day: calls back to back for ``hours`` on one virtual clock, with a
    ``pause`` (seconds) between them, each through the engine and the session logger into
    ``log_dir``. ``on_call(calls so far, virtual seconds)`` after each; returns the number of calls."""
    if flows is None:
        from callscript.flow.library import load_flows

        flows = load_flows()
    rng = random.Random(seed)
    clock = ManualClock(0.0)
    start = datetime(2025, 1, 6, 8, tzinfo=timezone.utc)
    calls = 0
    while clock.now() < hours * 3600:
        run_call(Path(log_dir), flows, "main_call", "A001", start + timedelta(seconds=clock.now()), rng, clock=clock)
        clock.advance(rng.uniform(*pause))
        calls += 1
        if on_call is not None:
            on_call(calls, clock.now())
    return calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic session logs made by the real engine.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--agents", type=int, default=20)
    args = parser.parse_args(argv)
    paths = generate_logs(args.out, args.calls, seed=args.seed, agents=args.agents)
    print(f"wrote {len(paths)} logs under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
