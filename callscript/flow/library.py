"""Finding and loading flows: the built-in library (``callscript/data/flows/``) and flow files by path.

``load_flows`` is what the app and the commands use: the flows that can run, with the user's
files that cannot left out and said once (``load_library``, ``callscript.flow.notices``); a file
given by path that cannot run raises ``FlowError``. ``check_paths`` and ``check_library`` are what
``callscript check`` uses (they collect every problem in every file).
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from callscript.errors import CallscriptError
from callscript.flow.lint import lint_flow
from callscript.flow.model import Flow
from callscript.flow.notices import LeftOut, Notice, Replaced, announce
from callscript.flow.problems import FlowError, Problem
from callscript.flow.schema import FlowBuilder
from callscript.flow.sources import BUILTIN, builtin_flows_dir, flow_folders
from callscript.flow.validate import (
    check_call_cycles,
    check_flow,
    check_situation_keys,
    check_timed_loops_across,
    external_entries,
)
from callscript.flow.yamlnodes import MAX_BYTES, TOO_LARGE_HINT, YamlProblem, read_yaml
from callscript.paths import display_path
from callscript.safeio import read_limited

FLOW_SUFFIXES = (".yaml", ".yml")


def builtin_flow_dir() -> Path:
    """The flows shipped inside the package (``callscript/data/flows``)."""
    return builtin_flows_dir()


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
        data = read_limited(path, MAX_BYTES, what="flow file", hint=TOO_LARGE_HINT)
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
    """Flows checked together: those from the given files, all flows known, every problem.

    ``origins`` says where each flow of ``flows`` came from (``built-in``, ``user``,
    ``$CALLSCRIPT_FLOWS``, ``--flows``, or ``file`` for a file given by path); ``replaced`` holds
    the built-in flows that a user's flow replaces (``override: true``).
    """

    checked: dict[str, Flow]
    flows: dict[str, Flow]
    problems: list[Problem]
    origins: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, Flow] = field(default_factory=dict)


def _library_files() -> list[tuple[Path, str]]:
    """Every flow file of the built-in and the user's folders, with its folder's origin."""
    folders = flow_folders()
    if not folders[0].path.is_dir():
        raise CallscriptError(
            f"the built-in flows are missing ({folders[0].path})",
            hint="reinstall callscript (pip install --force-reinstall callscript)",
        )
    return [(path, folder.origin) for folder in folders for path in expand([folder.path])]


def _combine(results: list[FileResult], origins: list[str]) -> CheckResult:
    """The library's flows by id, read in folder order: built-in first, then the user's.

    A user's flow may not reuse a built-in id unless it says ``override: true`` (then it replaces
    the built-in flow, with a warning); two user flows never share an id.
    """
    combined = CheckResult({}, {}, [])
    for result, origin in zip(results, origins):
        combined.problems += result.problems
        flow = result.flow
        if flow is None:
            continue
        earlier = combined.flows.get(flow.id)
        if earlier is not None and combined.origins[flow.id] == BUILTIN and origin != BUILTIN and flow.override:
            combined.problems.append(_flow_problem(
                "warning", "override", flow, f"flow '{flow.id}' replaces the built-in flow of that id ({earlier.path})",
                "remove 'override: true' and give the flow its own id to keep the built-in one",
            ))
            combined.replaced[flow.id] = earlier
        elif earlier is not None and combined.origins[flow.id] == BUILTIN and origin != BUILTIN:
            combined.problems.append(_flow_problem(
                "error", "duplicate-flow", flow, f"flow id '{flow.id}' is the id of a built-in flow ({earlier.path})",
                "give the flow its own id, or add 'override: true' to replace the built-in flow",
            ))
            continue
        elif earlier is not None:
            combined.problems.append(_flow_problem(
                "error", "duplicate-flow", flow, f"flow id '{flow.id}' is also used by {earlier.path}",
                "give every flow its own id",
            ))
            continue
        elif flow.override and origin != BUILTIN:
            combined.problems.append(_flow_problem(
                "warning", "override-nothing", flow, f"'override: true', but there is no built-in flow '{flow.id}'",
                "remove 'override: true' (a flow with its own id needs none)",
            ))
        combined.checked[flow.id] = combined.flows[flow.id] = flow
        combined.origins[flow.id] = origin
    return combined


def _flow_problem(severity: str, code: str, flow: Flow, message: str, hint: str) -> Problem:
    return Problem(severity, code, flow.mark.path, flow.mark.line, flow.mark.column, message, "id", hint)


def check_library(*, lint: bool = True, reserved_keys: Mapping[str, str] | None = None) -> CheckResult:
    """Every flow callscript knows, checked together: the built-in flows and the user's folders
    (``callscript.flow.sources``), with clashing ids and hotkeys reported."""
    files = _library_files()
    parsed = [parse_file(path) for path, _ in files]
    combined = _combine(parsed, [origin for _, origin in files])
    return _check_together(combined, lint, reserved_keys)


def _take_given(result: CheckResult, parsed: Iterable[FileResult]) -> None:
    """Files given by path into ``result``: their problems, and each flow in place of a known one
    of the same id (two given files with one id: the second is an error)."""
    for file_result in parsed:
        result.problems += file_result.problems
        flow = file_result.flow
        if flow is None:
            continue
        if flow.id in result.checked:
            result.problems.append(_flow_problem(
                "error", "duplicate-flow", flow, f"flow id '{flow.id}' is also used by {result.checked[flow.id].path}",
                "give every flow its own id",
            ))
            continue
        result.checked[flow.id] = result.flows[flow.id] = flow
        result.origins[flow.id] = "file"


def check_paths(paths: list[Path], *, lint: bool = True, reserved_keys: Mapping[str, str] | None = None) -> CheckResult:
    """Load and check flow files together, against the built-in and user flows; every problem found.

    ``reserved_keys`` (key -> what it does) are keys the call screen binds itself: a situation
    hotkey on one of them is reported.
    Files given override known flows of the same id (so an edited copy can be checked and run).
    """
    files = expand(paths)
    library = _library_files()
    # A library file given by path is read once, as given. (Only files named like a library one
    # are resolved to compare: a large check would otherwise resolve every file.)
    given_names = {p.name for p in files}
    given = {p.resolve() for p in files if p.name in {lp.name for lp, _ in library}}
    library = [(lp, origin) for lp, origin in library if lp.name not in given_names or lp.resolve() not in given]
    parsed = [parse_file(p) for p in files + [lp for lp, _ in library]]
    context = _combine(parsed[len(files):], [origin for _, origin in library])
    result = CheckResult({}, dict(context.flows), [], dict(context.origins), dict(context.replaced))
    _take_given(result, parsed[:len(files)])
    return _check_together(result, lint, reserved_keys)


def _check_together(result: CheckResult, lint: bool, reserved_keys: Mapping[str, str] | None = None) -> CheckResult:
    """Check ``result.checked`` against every flow known (``result.flows``)."""
    entries = external_entries(result.flows)
    for flow in result.checked.values():
        result.problems += check_flow(flow, result.flows, entries)
        if lint:
            result.problems += lint_flow(flow)
    result.problems += check_call_cycles(result.flows, result.checked)
    result.problems += check_timed_loops_across(result.flows, result.checked)
    result.problems += check_situation_keys(result.checked, result.flows, reserved_keys)
    result.problems.sort(key=lambda p: (p.path, p.line, p.column))
    return result


@dataclass
class Library:
    """The flows ready to run, and the user's flow files left out of them.

    A trainer's broken file never stops the other flows: it is left out (with every flow that goes
    to it), a built-in flow it would replace stays in use, and ``notices`` say so.
    """

    flows: dict[str, Flow]
    origins: dict[str, str]
    replaced: dict[str, Flow]
    left_out: list[LeftOut]
    overrides: list[Replaced]

    @property
    def notices(self) -> list[Notice]:
        return [*self.left_out, *self.overrides]

    def left_out_flow(self, flow_id: str) -> LeftOut | None:
        """The left-out file of ``flow_id`` (of a flow no other file provides)."""
        return next((item for item in self.left_out if item.flow_id == flow_id and flow_id not in self.flows), None)


def load_library(*, exclude: frozenset[Path] = frozenset()) -> Library:
    """The built-in and user flows that can run, leaving out the user's files that cannot.

    A file with an error is left out, and so is a flow that goes to (``flow:``/``call:``) a flow
    left out; a broken ``override: true`` flow leaves the built-in flow of its id in use. The rest
    are checked again without them until none has an error. An error in a built-in flow (a broken
    install) still raises ``FlowError``. ``exclude``: library files read instead as given files.
    """
    files = _library_files()
    if exclude:
        files = [(path, origin) for path, origin in files if path.resolve() not in exclude]
    parsed = [parse_file(path) for path, _ in files]
    origin_of = {result.path: origin for result, (_, origin) in zip(parsed, files)}
    stem_of = {result.path: path.stem for result, (path, _) in zip(parsed, files)}
    combined = _combine(parsed, [origin for _, origin in files])
    builtin = {fid: f for fid, f in combined.flows.items() if combined.origins[fid] == BUILTIN}
    builtin.update(combined.replaced)
    # Files that gave no flow (unreadable, or a type error) or a flow refused beside the others
    # (an id used twice): their errors name the file.
    left: dict[str, LeftOut] = {}
    in_use = {flow.path for flow in combined.flows.values()}
    for path, errors in _errors_by_path(combined.problems).items():
        if path in in_use:
            continue
        if origin_of.get(path) == BUILTIN:
            raise FlowError(errors[0], more=len(errors) - 1)
        flow_id = stem_of.get(path, Path(path).stem)
        left[path] = LeftOut(path, flow_id, errors[0], len(errors) - 1, builtin_kept=flow_id in builtin)
    flows, origins, replaced = dict(combined.flows), dict(combined.origins), dict(combined.replaced)
    _drop_dependents(left, flows, origins, replaced)
    while True:
        check = _check_together(CheckResult(dict(flows), flows, []), False)
        errors = _errors_by_path(check.problems)
        if not errors:
            break
        by_path = {flow.path: flow for flow in flows.values()}
        dropped: set[str] = set()
        for path, found in errors.items():
            flow = by_path[path]
            if origins[flow.id] == BUILTIN:
                # A built-in flow works with the built-in ones: what breaks it is a user's flow
                # that replaces one it goes to.
                blamed = [fid for fid in _targets(flow) if fid in replaced] or sorted(replaced)
                if not blamed:
                    raise FlowError(found[0], more=len(found) - 1)
                for fid in blamed:
                    user = flows[fid]
                    problem = Problem("error", "breaks-built-in", found[0].path, found[0].line, found[0].column,
                                      f"the built-in flow '{flow.id}' cannot work with the user's flow '{fid}' "
                                      f"({user.path}): {found[0].message}", found[0].context, found[0].hint)
                    left[user.path] = LeftOut(user.path, fid, problem, builtin_kept=True)
                    dropped.add(fid)
                continue
            # A missing flow or step in a flow left out is that flow's doing, not this one's.
            needs = next((fid for fid in _targets(flow) if any(o.flow_id == fid for o in left.values())), None)
            if found[0].code not in ("unknown-flow", "unknown-step"):
                needs = None
            needed = next((o for o in left.values() if o.flow_id == needs), None)
            left[path] = LeftOut(path, flow.id, found[0], len(found) - 1, needs=needs,
                                 needs_path=needed.path if needed else "", builtin_kept=flow.id in replaced)
            dropped.add(flow.id)
        _drop(dropped, flows, origins, replaced)
        _drop_dependents(left, flows, origins, replaced)
    warned = {p.path: p for p in combined.problems if p.code == "override"}
    overrides = [Replaced(warned[flows[fid].path], fid, builtin.path) for fid, builtin in replaced.items()]
    return Library(flows, origins, replaced, sorted(left.values(), key=lambda o: o.path), overrides)


def _drop(ids: set[str], flows: dict[str, Flow], origins: dict[str, str], replaced: dict[str, Flow]) -> None:
    for fid in ids:
        del flows[fid]
        origins.pop(fid)
        if fid in replaced:  # the built-in flow stays in use
            flows[fid], origins[fid] = replaced.pop(fid), BUILTIN


def _drop_dependents(left: dict[str, LeftOut], flows: dict[str, Flow], origins: dict[str, str],
                     replaced: dict[str, Flow]) -> None:
    """Leave out every flow that goes to a flow no longer there, and the flows that go to those,
    following who goes where once (not one check round per link of a chain). A built-in id is
    always there: a built-in flow never goes to a user's flow that is left out."""
    gone = {item.flow_id: item for item in left.values() if item.flow_id not in flows}
    callers: dict[str, list[Flow]] = {}
    for flow in flows.values():
        for fid in _targets(flow):
            callers.setdefault(fid, []).append(flow)
    todo = list(gone)
    while todo:
        needs = todo.pop()
        for flow in callers.get(needs, ()):
            if flows.get(flow.id) is not flow:
                continue  # already left out
            transition = next(t for s in flow.steps.values() for t in s.on if needs in (t.flow, t.call))
            where = transition.mark
            problem = Problem("error", "unknown-flow", where.path, where.line, where.column,
                              f"flow '{needs}' is left out", hint=f"fix {gone[needs].path}")
            item = LeftOut(flow.path, flow.id, problem, needs=needs, needs_path=gone[needs].path,
                           builtin_kept=flow.id in replaced)
            left[flow.path] = item
            _drop({flow.id}, flows, origins, replaced)
            if flow.id not in flows:  # no built-in flow of its id took its place
                gone[flow.id] = item
                todo.append(flow.id)


def _errors_by_path(problems: list[Problem]) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.severity == "error":
            found.setdefault(problem.path, []).append(problem)
    return found


def _targets(flow: Flow) -> list[str]:
    """The flows ``flow`` goes to or calls, in the order written."""
    return list(dict.fromkeys(t.flow or t.call for s in flow.steps.values() for t in s.on if t.flow or t.call))


def load_flows(paths: list[Path] | None = None) -> dict[str, Flow]:
    """Flows ready to run: the built-in and user flows, plus (or overridden by) the files in ``paths``.

    A user's file that cannot be used is left out (``load_library``), and said once per process,
    like a user's flow that replaces a built-in one. An error in a file of ``paths`` raises
    ``FlowError`` (the first one; warnings do not stop a flow from running).
    """
    if paths is not None:
        return _given(paths).flows
    library = load_library()
    announce(library.notices)
    return library.flows


def _given(paths: list[Path]) -> CheckResult:
    """The files of ``paths`` checked against the library's usable flows, or ``FlowError``."""
    files = expand(paths)
    library = load_library(exclude=frozenset(p.resolve() for p in files))
    announce(library.notices)
    result = CheckResult({}, dict(library.flows), [], dict(library.origins), dict(library.replaced))
    _take_given(result, (parse_file(p) for p in files))
    return _usable(_check_together(result, False))


def _usable(result: CheckResult) -> CheckResult:
    """The result, or ``FlowError`` for its first error."""
    errors = [p for p in result.problems if p.severity == "error"]
    if errors:
        first = errors[0]
        more = sum(1 for p in errors[1:] if p.path == first.path)
        raise FlowError(first, more=more)
    return result


def resolve(name: str) -> tuple[Flow, dict[str, Flow]]:
    """A flow by id (built-in or user) or by path, with every flow it may reach.

    A flow left out (its file, or one it goes to, has an error) is refused with that error."""
    path = Path(name)
    if path.suffix in FLOW_SUFFIXES or os.sep in name or path.exists():
        if not path.exists():
            raise CallscriptError(f"no such flow file: {name}", hint="check the path")
        if path.is_dir():
            raise CallscriptError(f"{name} is a folder; name one flow file or a flow id")
        result = _given([path])
        return next(iter(result.checked.values())), result.flows
    library = load_library()
    flows = library.flows
    if name not in flows:
        broken = library.left_out_flow(name)
        if broken is not None:  # the flow asked for is the broken one: its error, and nothing else
            raise broken.error()
        close = difflib.get_close_matches(name, list(flows), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "'callscript flows' lists them: " + ", ".join(sorted(flows))
        raise CallscriptError(f"no flow named '{name}'", hint=hint)
    announce(library.notices)
    return flows[name], flows
