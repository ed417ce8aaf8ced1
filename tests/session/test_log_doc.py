"""docs/session-log.md shows a real log: its example is what `callscript simulate --log` writes."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "session-log.md"


def test_the_documented_example_is_what_simulate_writes(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    command = re.search(r"`callscript (simulate [^`]+) --log call\.jsonl`", text).group(1)
    example = re.search(r"```json\n(.*?)```", text, re.S).group(1).splitlines()
    log = tmp_path / "call.jsonl"
    args = [sys.executable, "-m", "callscript", *shlex.split(command), "--log", str(log)]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    written = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for record in written:
        assert record.pop("wall")
    assert written == [json.loads(line) for line in example]


def test_every_record_type_the_engine_writes_is_documented():
    text = DOC.read_text(encoding="utf-8")
    engine = (Path(__file__).resolve().parents[2] / "callscript" / "engine" / "engine.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r'self\._emit\(\s*"(\w+)"', engine))
    assert kinds >= {"call_started", "step_entered", "said", "event", "call_ended"}
    for kind in kinds:
        assert f"| `{kind}` |" in text, kind

