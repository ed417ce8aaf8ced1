"""Large batches are parsed in a process pool; the pool is a speed-up, never a requirement."""

from __future__ import annotations

import os
import shutil

from callscript.flow import library
from callscript.flow.library import builtin_flow_dir


def _copies(tmp_path, count):
    source = builtin_flow_dir() / "silent_call.yaml"
    files = []
    for n in range(count):
        target = tmp_path / f"flow_{n:04d}.yaml"
        shutil.copyfile(source, target)
        files.append(target)
    return files


_PARENT = os.getpid()
_REAL_PARSE_CHUNK = library._parse_chunk


def _dies_in_workers(chunk):
    if os.getpid() != _PARENT:
        os._exit(1)
    return _REAL_PARSE_CHUNK(chunk)


def test_a_worker_that_dies_still_leaves_every_file_parsed(tmp_path, monkeypatch):
    """Real worker processes; the one double is the chunk parser, swapped so that it kills any
    process but this one (the way the kernel's OOM killer would), since a worker cannot be made
    to die on cue otherwise."""
    files = _copies(tmp_path, library._PARALLEL_FROM + 40)
    expected = library._parse_chunk(files)
    monkeypatch.setattr(library, "_cores", lambda: 2)
    monkeypatch.setattr(library, "_parse_chunk", _dies_in_workers)
    results = library._parse_many(files)
    assert [r.path for r in results] == [r.path for r in expected]
    assert [r.problems for r in results] == [r.problems for r in expected]
    assert all(r.flow is not None for r in results)


def test_the_pool_gives_the_same_results_in_the_same_order(tmp_path, monkeypatch):
    files = _copies(tmp_path, library._PARALLEL_FROM + 40)
    monkeypatch.setattr(library, "_cores", lambda: 2)
    pooled = library._parse_many(files)
    assert [r.path for r in pooled] == [r.path for r in library._parse_chunk(files)]



def test_a_large_batch_leaves_the_collector_running_and_its_flows_frozen(tmp_path):
    """A large check pauses the collector while it parses and freezes what it made afterwards
    (so the first collection does not walk every flow again); a small load, as the app does
    during a session, freezes nothing."""
    import gc

    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    gc.unfreeze()
    try:
        library.check_paths(_copies(small, 3))
        assert gc.isenabled() and gc.get_freeze_count() == 0
        library.check_paths(_copies(large, library._PARALLEL_FROM))
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
