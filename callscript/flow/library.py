"""Finding and loading flows: the built-in library in ``flows/`` and flow files given by path.

``load_flows`` is what the app and the commands use (it raises ``FlowError`` on the first error);
``check_paths`` is what ``callscript check`` uses (it collects every problem in every file).
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from callscript.errors import CallscriptError
from callscript.flow.lint import lint_flow
from callscript.flow.model import Flow
from callscript.flow.problems import FlowError, Problem
from callscript.flow.schema import FlowBuilder
from callscript.flow.validate import check_flow, check_situation_keys, external_entries
from callscript.flow.yamlnodes import MAX_BYTES, YamlProblem, read_yaml
from callscript.paths import display_path
from callscript.safeio import read_limited

FLOWS_ENV = "CALLSCRIPT_FLOWS"
FLOW_SUFFIXES = (".yaml", ".yml")


def builtin_flow_dir() -> Path:
    """The shipped flows: ``$CALLSCRIPT_FLOWS`` or ``flows/`` beside the package."""
    if os.environ.get(FLOWS_ENV):
        return Path(os.environ[FLOWS_ENV])
    return Path(__file__).resolve().parents[2] / "flows"


@dataclass
class FileResult:
    """One file read: its flow (when it could be built) and its problems so far."""

    path: str
    flow: Flow | None = None
    problems: list[Problem] = field(default_factory=list)


_parsed: dict[tuple[str, bytes], FileResult] = {}


def parse_file(path: Path) -> FileResult:
    """Read and type-check one flow file (no cross-flow checks yet).

    Results are reused while the file's bytes are unchanged: every command and check loads the
    built-in flows as context, and reading a file is far cheaper than parsing it.
    """
    shown = display_path(path, tilde=False)  # a path editors and problem matchers can open
    result = FileResult(shown)
    try:
        # Regular files only (a FIFO would hang the read, /dev/zero never end), and never more
        # than the size limit, however large the file is or grows while it is read.
        data = read_limited(path, MAX_BYTES, what="flow file")
    except CallscriptError as exc:
        result.problems.append(Problem("error", "io", shown, 0, 0, exc.message, hint=exc.hint))
        return result
    key = (shown, hashlib.blake2b(data, digest_size=16).digest())
    if key not in _parsed:
        if len(_parsed) > 256:  # a long-lived process editing flows: keep the cache small
            _parsed.clear()
        _parsed[key] = _parse_bytes(shown, data)
    return _parsed[key]


def _parse_bytes(shown: str, data: bytes) -> FileResult:
    result = FileResult(shown)
    try:
        root = read_yaml(data)
    except YamlProblem as exc:
        result.problems.append(Problem("error", exc.code, shown, exc.line, exc.column, exc.message, hint=exc.hint))
        return result
    builder = FlowBuilder(shown)
    result.flow = builder.build(root)
    result.problems += builder.problems
    if result.problems:
        result.flow = None  # a flow with type errors is never run
    return result


@contextlib.contextmanager
def _gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Hold off the cyclic garbage collector while a batch of files is parsed and checked.

    Parsing makes hundreds of small objects per file: YAML nodes that die by reference counting
    as soon as the file is built, and model objects that live on; checking adds problems and
    small sets. None of them form reference cycles, so every collection pass (and passes over an
    ever larger heap as flows accumulate) frees nothing. The collector is restored afterwards and
    picks up anything left as usual.

    ``freeze``: afterwards, move every object alive out of the collector's sight (``gc.freeze``;
    reference counting still frees them). Everything made while paused sits in the youngest
    generation, so the first collection after a large batch walks all of it: 0.1 s after 1,000
    flows, for nothing. Freezing also hides any other object alive, so only a large batch asks
    for it (``callscript check`` of a folder, or a start-up load of a folder of 200 or more flows,
    before any app runs); the app's loads of the built-in flows are small and never freeze.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


# A large batch: from this many files, parsing is spread over processes (below it one process
# is faster than starting workers) and the collector is frozen afterwards (see _gc_paused).
_PARALLEL_FROM = 200
# Batches are cut into this many chunks per process: small enough that the processes finish
# together, large enough that handing a chunk over costs little next to parsing it.
_CHUNKS_PER_PROCESS = 16


def _cores() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _parse_chunk(files: list[Path]) -> list[FileResult]:
    return [parse_file(p) for p in files]


def _parse_many(files: list[Path]) -> list[FileResult]:
    """Parse files, spreading large batches over the machine's cores (parsing is CPU-bound).

    Worker processes take chunks from the front of the batch while this process parses chunks
    from the back, handing the workers a couple of chunks at a time until the two ends meet. So
    this process is never idle waiting, only the workers' share of results is pickled and sent
    back (about a fifth of the cost of parsing a flow), and on a busy machine, where workers get
    little CPU, this process simply does more of the work itself. (Chunks are handed out as they
    are needed rather than all submitted and some cancelled: a pool that breaks while holding
    cancelled futures fails in its own thread in Python 3.11.)
    """
    processes = min(_cores(), 8)
    if len(files) < _PARALLEL_FROM or processes < 2:
        return _parse_chunk(files)
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _parse_in_pool(files, processes)
    except (BrokenProcessPool, OSError):
        # The pool is a speed-up, never a requirement: a worker killed (out of memory) or a
        # machine that cannot start processes (no /dev/shm, limits) still gets every file checked.
        return _parse_chunk(files)


def _parse_in_pool(files: list[Path], processes: int) -> list[FileResult]:
    from concurrent.futures import Future, ProcessPoolExecutor

    size = max(1, len(files) // (processes * _CHUNKS_PER_PROCESS))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    results: list[list[FileResult]] = [[] for _ in chunks]
    front, back = 0, len(chunks)  # the next chunk for a worker; the last chunk taken here
    ahead = 2 * (processes - 1)  # chunks out with the workers: one in hand and one queued each
    with ProcessPoolExecutor(max_workers=processes - 1) as pool:
        out: dict[Future[list[FileResult]], int] = {}
        while front < back:
            for future in [f for f in out if f.done()]:
                results[out.pop(future)] = future.result()
            while len(out) < ahead and front < back:
                out[pool.submit(_parse_chunk, chunks[front])] = front
                front += 1
            if front < back:
                back -= 1
                results[back] = _parse_chunk(chunks[back])
        for future, index in out.items():
            results[index] = future.result()
    return [result for chunk in results for result in chunk]


def expand(paths: list[Path]) -> list[Path]:
    """Files named directly, and the flow files inside directories named (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir() and path.suffix not in FLOW_SUFFIXES:  # a folder named x.yaml is an error, read below
            # Every entry named like a flow: one that is not a regular file is reported, not skipped.
            files += sorted(p for p in path.iterdir() if p.suffix in FLOW_SUFFIXES)
        else:
            files.append(path)
    return files


@dataclass
class CheckResult:
    """Flows checked together: those from the given files, all flows known, every problem."""

    checked: dict[str, Flow]
    flows: dict[str, Flow]
    problems: list[Problem]


def check_paths(paths: list[Path], *, lint: bool = True) -> CheckResult:
    """Load and check flow files together, against the built-in flows; every problem found.

    Files given override built-in flows of the same id (so an edited copy can be checked and run).
    """
    files = expand(paths)
    builtin = expand([builtin_flow_dir()]) if builtin_flow_dir().is_dir() else []
    # A built-in file given by path is read once, as given. (Only files named like a built-in one
    # are resolved to compare: a large check would otherwise resolve every file.)
    names = {p.name for p in builtin}
    given = {p.resolve() for p in files if p.name in names}
    builtin = [p for p in builtin if p.resolve() not in given]
    with _gc_paused(freeze=len(files) >= _PARALLEL_FROM):
        parsed = _parse_many(files + builtin)  # one batch, so the built-in flows share the workers
        return _check_parsed(parsed[:len(files)], parsed[len(files):], lint)


def _check_parsed(results: list[FileResult], context: list[FileResult], lint: bool) -> CheckResult:
    """Check the files given (``results``) together, against the other flows known (``context``)."""
    flows: dict[str, Flow] = {r.flow.id: r.flow for r in context if r.flow}
    problems: list[Problem] = []
    checked: dict[str, Flow] = {}
    for result in results:
        problems += result.problems
        flow = result.flow
        if flow is None:
            continue
        if flow.id in checked:
            problems.append(Problem(
                "error", "duplicate-flow", flow.mark.path, flow.mark.line, flow.mark.column,
                f"flow id '{flow.id}' is also used by {checked[flow.id].path}", "id",
                "give every flow its own id",
            ))
            continue
        checked[flow.id] = flow
        flows[flow.id] = flow
    entries = external_entries(flows)
    for flow in checked.values():
        problems += check_flow(flow, flows, entries)
        if lint:
            problems += lint_flow(flow)
    problems += check_situation_keys(checked)
    problems.sort(key=lambda p: (p.path, p.line, p.column))
    return CheckResult(checked, flows, problems)


def load_flows(paths: list[Path] | None = None) -> dict[str, Flow]:
    """Flows ready to run: the built-in ones, plus (or overridden by) the files in ``paths``.

    Raises ``FlowError`` for the first error (warnings do not stop a flow from running).
    """
    targets = [builtin_flow_dir()] if paths is None else paths
    if paths is None and not builtin_flow_dir().is_dir():
        raise CallscriptError(
            f"the built-in flows are missing ({builtin_flow_dir()})",
            hint=f"run callscript from its source checkout, or set {FLOWS_ENV} to a folder of flows",
        )
    return _usable(check_paths(targets, lint=False)).flows


def _usable(result: CheckResult) -> CheckResult:
    """The result, or ``FlowError`` for its first error."""
    errors = [p for p in result.problems if p.severity == "error"]
    if errors:
        first = errors[0]
        more = sum(1 for p in errors[1:] if p.path == first.path)
        raise FlowError(first, more=more)
    return result


def resolve(name: str) -> tuple[Flow, dict[str, Flow]]:
    """A flow by built-in id or by path, with every flow it may reach."""
    path = Path(name)
    if path.suffix in FLOW_SUFFIXES or os.sep in name or path.exists():
        if not path.exists():
            raise CallscriptError(f"no such flow file: {name}", hint="check the path")
        if path.is_dir():
            raise CallscriptError(f"{name} is a folder; name one flow file or a flow id")
        result = _usable(check_paths([path], lint=False))
        return next(iter(result.checked.values())), result.flows
    flows = load_flows()
    if name not in flows:
        close = difflib.get_close_matches(name, list(flows), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "built-in flows: " + ", ".join(sorted(flows))
        raise CallscriptError(f"no flow named '{name}'", hint=hint)
    return flows[name], flows
