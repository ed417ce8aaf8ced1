"""Saving settings loses nothing: only the changes are written, into the file as it is on disk.

Comments, unknown keys and a wrong value the user did not touch survive a save; the previous
version is kept as ``settings.toml.bak``; two processes saving at once both keep their changes.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from callscript.errors import CallscriptError
from callscript.settings import Settings, load_settings, read_settings
from callscript.settings_store import save_settings

REPO = Path(__file__).resolve().parents[2]

USER_FILE = """\
# my settings, by hand
agent = "王芳 007"  # my agent id
tts_rate = 9000
future_option = "kept"

[keys]
# I like enter
"call.said" = "enter"
"""


def test_a_save_writes_only_the_change_and_keeps_comments_unknown_keys_and_a_wrong_value(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(USER_FILE, "utf-8")
    base, problems = read_settings(path)
    assert [p.where for p in problems] == [f"{path}:3", f"{path}:4"]  # tts_rate, future_option
    save_settings(replace(base, hotline="95588"), path, base=base)
    text = path.read_text("utf-8")
    assert text.startswith(USER_FILE.split("future_option")[0])  # comments and order as they were
    assert "tts_rate = 9000" in text  # a wrong value is never replaced by a save that did not touch it
    assert 'future_option = "kept"' in text and "# I like enter" in text
    assert 'hotline = "95588"' in text
    assert "app.quit" not in text  # unchanged values (defaults) are not written
    assert (tmp_path / "settings.toml.bak").read_text("utf-8") == USER_FILE
    assert read_settings(path)[0].hotline == "95588"


def test_a_save_merges_into_what_another_window_saved_meanwhile(tmp_path):
    path = tmp_path / "settings.toml"
    first = second = load_settings(path)  # two windows start from the same (empty) file
    save_settings(replace(first, agent="007"), path, base=first)
    keys = dict(second.keys, **{"call.gloss": "h"})
    save_settings(replace(second, keys=keys), path, base=second)
    saved = load_settings(path)
    assert saved.agent == "007" and saved.keys["call.gloss"] == "h"


def test_a_key_given_back_to_its_flow_is_removed_from_the_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[keys]\n"situation.silent_call" = "x"\n"call.end" = "ctrl+x"\n', "utf-8")
    base = load_settings(path)
    keys = {bid: key for bid, key in base.keys.items() if bid != "situation.silent_call"}
    save_settings(replace(base, keys=keys), path, base=base)
    assert path.read_text("utf-8") == '[keys]\n"call.end" = "ctrl+x"\n'


def test_nothing_changed_writes_nothing(tmp_path):
    path = tmp_path / "settings.toml"
    save_settings(Settings(), path, base=Settings())
    assert not path.exists()


def test_a_file_with_a_byte_order_mark_is_read_and_saved(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b'\xef\xbb\xbf# mine\nagent = "a"\n')
    base = load_settings(path)
    save_settings(replace(base, plain=True), path, base=base)
    assert path.read_text("utf-8") == '# mine\nagent = "a"\nplain = true\n'


def test_a_file_that_is_not_toml_is_not_overwritten(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('agent = "a"\nplain = yes\n', "utf-8")
    base, problems = read_settings(path)
    assert problems[0].where == f"{path}:2:9"
    with pytest.raises(CallscriptError) as caught:
        save_settings(replace(base, agent="b"), path, base=base)
    assert caught.value.where.startswith(f"{path}:2") and "fix that line" in caught.value.hint
    assert path.read_text("utf-8") == 'agent = "a"\nplain = yes\n'


def test_a_new_settings_file_is_private_and_an_existing_one_keeps_its_mode(tmp_path):
    folder = tmp_path / "config"
    path = save_settings(Settings(agent="007"), folder / "settings.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    path.chmod(0o640)
    save_settings(Settings(agent="008"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE((folder / "settings.toml.bak").stat().st_mode) == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["settings.toml", "settings.toml.bak"]


SAVER = textwrap.dedent("""
    import sys
    from dataclasses import replace
    from pathlib import Path
    from callscript.settings import Settings
    from callscript.settings_store import save_settings

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    # Every save starts from the defaults, as a window opened before the other saved would.
    base = Settings()
    for n in range(count):
        keys = dict(base.keys, **{f"situation.{name}{n}": "x"})
        save_settings(replace(base, keys=keys), path, base=base)
""")


def test_two_processes_saving_at_once_keep_each_others_changes(tmp_path):
    path = tmp_path / "settings.toml"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    count = 40
    procs = [subprocess.Popen([sys.executable, "-c", SAVER, str(path), name, str(count)], env=env)
             for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    keys = load_settings(path).keys
    missing = [f"{name}{n}" for name in "ab" for n in range(count) if f"situation.{name}{n}" not in keys]
    assert missing == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml", "settings.toml.bak"]
