"""Private by default: session logs, line recordings and the progress database are created 0600
in 0700 folders, whatever the umask; an existing folder of ours is tightened, saying so once."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from callscript import privacy
from callscript.session.log import LOG_DIR_ENV, SessionLog, default_log_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The loosest umask: the modes must come from callscript, not from the user's umask."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_new_log_is_0600_in_new_0700_folders(tmp_path, monkeypatch):
    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path / "data" / "sessions"))
    log = SessionLog.create(default_log_dir(), "silent_call")
    log.write({"type": "call_started", "t": 0})
    log.close()
    assert mode(log.path) == 0o600
    assert mode(tmp_path / "data" / "sessions") == 0o700 and mode(tmp_path / "data") == 0o700


def test_an_existing_folder_of_ours_is_tightened_with_one_line(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "sessions"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    monkeypatch.setenv(LOG_DIR_ENV, str(folder))
    for _ in range(2):  # told once, not for every call
        SessionLog.create(folder, "silent_call").close()
    assert mode(folder) == 0o700
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "private (it was 0755, now 0700)" in lines[0]


def test_a_listener_hears_the_notice_instead_of_stderr(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o750)
    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(folder))
    heard: list[privacy.Tightened] = []
    stop = privacy.listen(heard.append)
    try:
        privacy.private_dir(folder / "sub")
        privacy.private_dir(folder)
    finally:
        stop()
    assert heard == [privacy.Tightened(folder, 0o750, 0o700)] and capsys.readouterr().err == ""


def test_a_folder_the_user_names_is_made_0700_but_an_existing_one_is_left_as_it_is(tmp_path):
    shared = tmp_path / "team-logs"
    shared.mkdir()
    shared.chmod(0o775)
    log = SessionLog.create(shared, "silent_call")
    log.close()
    assert mode(shared) == 0o775 and mode(log.path) == 0o600  # shared on purpose; the file is still private
    new = SessionLog.create(tmp_path / "new" / "logs", "silent_call")
    new.close()
    assert mode(tmp_path / "new" / "logs") == 0o700


def test_a_line_recording_is_0600(tmp_path):
    pytest.importorskip("soundfile", reason="line recordings need the audio extra (soundfile)")
    import numpy as np

    from callscript.audio.lineaudio import LineAudioWriter

    writer = LineAudioWriter(tmp_path / "rec" / "call.line.flac")
    writer(np.zeros(1600, dtype=np.int16))
    writer.close()
    assert mode(writer.path) == 0o600 and writer.path.stat().st_size > 0


def test_the_progress_database_and_its_journal_are_0600(tmp_path, monkeypatch):
    from callscript.training.progress import ProgressStore, default_db_path

    monkeypatch.setenv("CALLSCRIPT_DATA_DIR", str(tmp_path / "data"))
    store = ProgressStore()
    store.record_attempt("王芳", "silent_call", "greet", 90, True, answer="您好")
    files = sorted(default_db_path().parent.iterdir())
    modes = [mode(f) for f in files]  # while open: closing folds the journal back in
    store.close()
    assert [f.name for f in files] == ["progress.sqlite", "progress.sqlite-shm", "progress.sqlite-wal"]
    assert modes == [0o600, 0o600, 0o600]
    assert mode(tmp_path / "data") == 0o700
