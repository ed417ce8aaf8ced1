"""Smoke test of the installed ``callscript`` in a real terminal: tmux starts it, sends keys like a
person at the keyboard, and reads the screen back with ``capture-pane``.

It runs on a private tmux server (its own socket), never touching anyone else's sessions.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support import skip_or_fail

CALLSCRIPT = Path(sys.executable).parent / "callscript"


class Terminal:
    """One tmux session on a private server, 80x24 unless told otherwise."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        self.socket = f"callscript-smoke-{uuid.uuid4().hex[:8]}"
        environment = " ".join(f"{k}={v}" for k, v in env.items())
        line = f"env {environment} {' '.join(command)}; echo EXITED $?; sleep 60"
        self._tmux("new-session", "-d", "-s", "smoke", "-x", str(size[0]), "-y", str(size[1]), line)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "smoke")

    def send(self, *keys: str) -> None:
        for key in keys:  # one at a time: Escape followed at once by a key would read as Alt+key
            self._tmux("send-keys", "-t", "smoke", key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "smoke", "-l", text)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{screen}")
            time.sleep(0.05)

    def app_pid(self) -> int:
        """The callscript process (the child of the pane's shell)."""
        shell = self._tmux("display-message", "-p", "-t", "smoke", "#{pane_pid}").strip()
        children = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True).stdout.split()
        return int(children[0])

    def close(self) -> None:
        path = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p", "#{socket_path}"],
                              capture_output=True, text=True).stdout.strip()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if path:
            Path(path).unlink(missing_ok=True)  # tmux can leave its socket file behind


@pytest.fixture()
def terminal(tmp_path):
    if shutil.which("tmux") is None:
        skip_or_fail("the smoke test needs tmux (apt-get install tmux)")
    if not CALLSCRIPT.exists():
        skip_or_fail(f"callscript is not installed in this environment ({CALLSCRIPT}); pip install -e .")
    opened: list[Terminal] = []
    env = {"CALLSCRIPT_CONFIG_DIR": str(tmp_path / "config"), "TERM": "xterm-256color", "LANG": "C.UTF-8",
           "PATH": os.environ.get("PATH", "")}

    def start(*args: str, size: tuple[int, int] = (80, 24), extra_env: dict[str, str] | None = None) -> Terminal:
        term = Terminal([str(CALLSCRIPT), *args], {**env, **(extra_env or {})}, size)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


def test_a_silent_call_in_the_installed_app(terminal, tmp_path):
    logs = tmp_path / "logs"
    term = terminal("run", "silent_call", "--no-audio", "--log-dir", str(logs))
    term.wait_for("您好!请问有什么可以帮助您?")
    assert "说完后按 Space" in term.screen()
    term.send("Space")
    term.wait_for("还剩")
    term.send("1")  # the caller spoke: the silent line is over, and the call goes on
    screen = term.wait_for("通话转入“标准通话流程”")
    # The greeting said in the silent call stands for the main greeting: shown as said, and the
    # main greeting, which nobody said, is not claimed.
    assert "无声电话处理完毕" in screen and "您好!请问有什么可以帮助您?" in screen and "通话结束" not in screen
    assert "欢迎致电" not in screen
    term.send("C-e")  # the agent ends it
    term.wait_for("结束这通电话?")
    term.send("Enter")
    screen = term.wait_for("通话结束")
    assert "回到正常通话" not in screen and "会话记录:" in screen
    term.send("Enter")  # the next call with one key
    term.wait_for("说完后按 Space")
    term.send("C-q")  # during a call Ctrl+Q asks first
    term.wait_for("退出 callscript?")
    term.send("Enter")
    term.wait_for("EXITED 0")
    # In the order the calls started (two calls in the same second get names that sort otherwise).
    logs_read = sorted((p.read_text("utf-8").splitlines() for p in logs.glob("*.jsonl")),
                       key=lambda lines: json.loads(lines[0])["mono"])
    ends = [json.loads(lines[-1])["end"] for lines in logs_read]
    assert sorted(ends) == ["aborted", "agent_ended"]
    assert any(json.loads(line)["type"] == "went_on" for line in logs_read[0])


def test_callscript_alone_opens_the_picker_in_english_and_large(terminal, tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_text('interface_language = "en"\n', "utf-8")
    term = terminal("--help", size=(120, 40))
    term.wait_for("EXITED 0")
    term = terminal(size=(120, 40))
    term.wait_for("Choose a call flow")
    term.type("noisy")
    term.wait_for(" flows")
    term.wait_for("1 of ")
    term.send("Enter")
    term.wait_for("对不起,您的电话杂音太大")
    screen = term.wait_for("[n] Noisy line")  # the key list may be drawn a frame after the line
    assert "Situations (any time):" in screen
    term.send("C-c")  # during a call Ctrl+C asks, as Ctrl+Q does
    term.wait_for("Quit callscript?")
    term.send("Enter")
    term.wait_for("EXITED 0")


def test_a_bad_settings_file_is_named_and_the_app_still_starts(terminal, tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_text('plain = "yes"\n', "utf-8")
    term = terminal("run", "greeting", "--no-audio", "--log-dir", str(tmp_path / "logs"))
    screen = term.wait_for("中有无法使用的值")
    flat = "".join(screen.replace("▌", "").split())  # the toast wraps the long path
    assert "settings.toml:1" in flat and "F1查看详情" in flat  # where, in Chinese; the file's words in F1
    assert "mustbe" not in flat
    term.wait_for("欢迎致电")
    term.send("F1")
    help_text = "".join(term.wait_for("缺少的部分及修复方法").split())
    assert "中有无法使用的值" in help_text and "详情:" in help_text
    term.send("Escape")
    term.send("C-q", "Enter")  # during a call Ctrl+Q asks first
    term.wait_for("EXITED 0")


def test_the_installed_study_and_replay_commands_open_and_quit(terminal, tmp_path):
    """`callscript study` and `callscript replay` as installed (the Pilot tests build their apps
    without the commands): a drill with audio off says so in Chinese; a simulated call replays."""
    term = terminal("study", "silent_call", "--no-audio")
    term.wait_for("声音已关闭(--no-audio),不播放客户的声音")  # switched off, not a missing device
    term.send("C-q")
    term.wait_for("EXITED 0")
    log = tmp_path / "call.jsonl"
    subprocess.run([str(CALLSCRIPT), "simulate", "silent_call", "--log", str(log)], check=True, capture_output=True)
    term = terminal("replay", str(log), "--no-audio")
    term.wait_for("00:15.0")  # the hang-up row of the simulated call's timeline
    term.send("C-q")
    term.wait_for("EXITED 0")


def test_a_closed_terminal_or_a_kill_still_ends_the_log(terminal, tmp_path):
    logs = tmp_path / "logs"
    term = terminal("run", "silent_call", "--no-audio", "--log-dir", str(logs))
    term.wait_for("您好!请问有什么可以帮助您?")
    term.send("Space")
    term.wait_for("还剩")
    os.kill(term.app_pid(), signal.SIGTERM)
    term.wait_for("EXITED")
    (path,) = logs.glob("*.jsonl")
    last = json.loads(path.read_text("utf-8").splitlines()[-1])
    assert last["type"] == "call_ended" and last["end"] == "aborted"


def test_with_no_audio_a_demonstration_says_audio_is_off_not_missing(terminal, tmp_path):
    """`--no-audio`, then `v`: speech synthesis is installed here and only switched off, so the
    screen and F1 say that (the flag), never "not installed"."""
    term = terminal("run", "silent_call", "--no-audio", "--log-dir", str(tmp_path / "logs"), size=(100, 30))
    term.wait_for("您好!请问有什么可以帮助您?")
    term.send("v")
    screen = term.wait_for("声音已关闭(--no-audio)")
    assert "未安装语音合成" not in screen
    term.send("F1")
    term.wait_for("缺少的部分及修复方法")
    help_text = "".join(term.wait_for("本次启动用了").split())  # the text wraps beside other panels
    assert "声音已关闭" in help_text and "去掉--no-audio" in help_text and "未安装" not in help_text, help_text
    term.send("Escape")
    term.send("C-q", "Enter")
    term.wait_for("EXITED 0")


def test_run_options_work_without_the_word_run(terminal, tmp_path):
    """`callscript --lang en --plain ...` opens the call in English: the options of the
    default command work on the bare `callscript`."""
    term = terminal("--lang", "en", "--plain", "--no-audio", "--log-dir", str(tmp_path / "logs"), "silent_call")
    screen = term.wait_for("Press Space once you have said it")
    assert "您好!请问有什么可以帮助您?" in screen
    term.send("C-q", "Enter")
    term.wait_for("EXITED 0")


# -- listening flags of `callscript run`, on the virtual line ----------------------------------------


@pytest.fixture()
def line_terminal(terminal, virtual_line):
    """``terminal`` with the virtual line's PulseAudio in the app's environment."""

    def start(*args: str, size: tuple[int, int] = (80, 24)) -> Terminal:
        return terminal(*args, size=size, extra_env=virtual_line.env)

    return start


def test_list_devices_names_the_input_devices(virtual_line):
    result = subprocess.run([str(CALLSCRIPT), "run", "--list-devices"], capture_output=True, text=True,
                            env={**os.environ, **virtual_line.env}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert any(line.split()[1:2] == ["pulse"] for line in result.stdout.splitlines()), result.stdout


def test_a_device_that_does_not_exist_leaves_a_keyboard_call_and_says_how_to_fix_it(line_terminal, tmp_path):
    term = line_terminal("run", "silent_call", "--device", "no-such-headset", "--model", "/no-model",
                         "--log-dir", str(tmp_path / "logs"))
    # One banner line in Chinese naming the parts that failed, pointing to F1 for the fixes.
    screen = term.wait_for("仅键盘模式:无音频输入、无语音识别 · F1 查看修复方法")
    assert "Traceback" not in screen
    assert "no input device matches" not in screen  # the English details are in F1
    term.send("F1")  # the help dialog has each problem in full, with its fix
    help_text = term.wait_for("缺少的部分及修复方法")
    # Each problem in Chinese with its fix, the listener's own words beneath as details.
    assert "✗ 无音频输入" in help_text and "无法打开来电线路的音频输入" in help_text
    assert "详情: no input device matches 'no-such-headset'" in help_text
    assert "✗ 无语音识别" in help_text
    assert "/no-model is not a usable" in help_text  # --model reached it
    term.send("Escape")
    term.send("Space")  # the call goes on by keyboard
    term.wait_for("还剩")
    term.send("C-q", "Enter")
    term.wait_for("EXITED 0")


def test_the_device_flags_reach_the_listener(line_terminal, tmp_path):
    """`--device pulse` listens to the virtual line: no listening problem, the level meter moves
    off its resting state; a missing agent microphone is named on its own."""
    term = line_terminal("run", "silent_call", "--device", "pulse", "--agent-device", "no-such-mic",
                         "--log-dir", str(tmp_path / "logs"))
    screen = term.wait_for("dBFS")  # the line's level meter: the caller's line is heard
    screen = term.wait_for("功能受限:无客服麦克风")  # only the agent's microphone is missing
    assert "无音频输入" not in screen
    term.send("C-q", "Enter")
    term.wait_for("EXITED 0")
