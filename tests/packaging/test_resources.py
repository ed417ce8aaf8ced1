"""The packaged data is found through importlib.resources however callscript is imported: here
from a zip archive (as zipapp and similar tools ship it), where the data is no folder on disk."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_flows_and_audio_are_found_when_callscript_is_imported_from_a_zip(tmp_path: Path):
    archive = tmp_path / "callscript.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((REPO / "callscript").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, path.relative_to(REPO).as_posix())
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        import callscript.data as data
        from callscript.flow.library import load_flows
        assert data.__file__.startswith(sys.argv[1]), data.__file__
        flows, audio = data.builtin_flows_dir(), data.builtin_audio_dir()
        print(flows.is_dir(), audio.is_dir(), len(load_flows()))
        print((audio / "manifest.json").is_file(), flows.parent)
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", code, str(archive)], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    shipped = len(list((REPO / "callscript" / "data" / "flows").glob("*.yaml")))
    assert first == f"True True {shipped}"
    manifest, copied_to = second.split()
    assert manifest == "True"
    assert not Path(copied_to).exists(), "the copy is removed when the process ends"
