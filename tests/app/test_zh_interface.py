"""With the interface in Chinese, everything the app shows is Chinese: toasts, the banner, notices,
the help dialog (F1). The real app is driven through the paths that toast or warn: a log folder
that cannot be written, a device lost mid-call, calls waiting for an unreachable team store (a
real connection refused on 127.0.0.1), a situation key that does nothing at this step, a
demonstration with no speech synthesis, a settings file that cannot be saved, a log that cannot
be replayed, a settings file with bad values at the start.

``latin_words`` fails on any word in Latin letters that is not a key name (F1, Space, Esc, ^E),
a file path, an id (a flow's or a step's, which the screen shows as ids), the program's name, or
a command quoted in 「」 for the agent to type. The library's own words (technical English) are
shown in F1 only, as "details" beneath the translated text; they are left out of the check.
"""

from __future__ import annotations

import asyncio
import re
import socket

from textual.screen import ModalScreen

from callscript.app.screens.dialogs import HelpDialog
from callscript.app.widgets.health import HealthBanner, HealthList
from callscript.app.messages import AppLineSink
from callscript.health import Part, missing
from callscript.session.log import FALLBACK_DIR_ENV
from callscript.settings import Settings, TeamSettings, settings_path
from tests.app.driver import build_app, screen_text

KEYS = re.compile(r"\b(F\d{1,2}|Space|Esc|Enter|Tab|Ctrl\+\w+|Backspace)\b|\^\w")
QUOTED = re.compile(r"「[^」]*」")
PATHS = re.compile(r"\S*[/\\]\S*|\S+\.(?:toml|jsonl|wav|ogg)\b")
WORD = re.compile(r"[A-Za-z]{2,}")
UNITS = {"dBFS"}  # the level meter's unit, as on any audio meter


def latin_words(text: str, ids: set[str]) -> list[str]:
    """The words in Latin letters a Chinese reader would meet in ``text`` (see the module doc)."""
    text = QUOTED.sub(" ", text)
    text = PATHS.sub(" ", text)
    text = KEYS.sub(" ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text)
    return [w for w in words if WORD.search(w) and w not in ids and w.lower() != "callscript" and w not in UNITS]


def flow_ids(flows) -> set[str]:
    """Flow and step ids (the header and the path show them), and the words of each flow's
    English title and gloss: the picker lists every flow under both its titles, by design (its
    filter takes either), and shows the highlighted flow's gloss, the English explanation a flow
    carries for learners (the call screen's "英文释义")."""
    ids = set()
    for flow in flows.values():
        ids.add(flow.id)
        ids.update(flow.steps)
        ids.update(re.findall(r"[A-Za-z]+", flow.title.en or ""))
        ids.update(re.findall(r"[A-Za-z]+", getattr(flow, "gloss", None) or ""))
        if flow.situation is not None:
            ids.update(re.findall(r"[A-Za-z]+", flow.situation.label.en or ""))
    return ids


def shown(app) -> str:
    """What is on screen now, toasts included; in the help dialog, without the details lines."""
    if isinstance(app.screen, HelpDialog):
        entries = [line for w in app.screen.query(HealthList) for line, _ in w.entries]
        rows = [label for _, label in app.screen.rows]
        return "\n".join(entries + rows)
    if isinstance(app.screen, ModalScreen) and app.screen.query(".dialog"):
        # Only the dialog: the screen beneath shows through around it, its words cut at the edge.
        region = app.screen.query(".dialog").first().region
        rows = screen_text(app).splitlines()[region.y:region.bottom]
        return "\n".join(cells(row, region.x, region.right) for row in rows)
    return screen_text(app)


def cells(row: str, start: int, end: int) -> str:
    """The part of ``row`` between terminal columns ``start`` and ``end`` (wide characters count 2)."""
    from rich.cells import cell_len

    out, column = [], 0
    for char in row:
        if start <= column < end:
            out.append(char)
        column += cell_len(char)
    return "".join(out)


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def settle(pilot, condition, frames: int = 80) -> None:
    for _ in range(frames):
        if condition():
            return
        await pilot.pause(0.05)


def test_a_log_folder_that_cannot_be_written_is_said_in_chinese(shipped_flows, tmp_path, monkeypatch):
    (tmp_path / "logs").write_text("x")  # the log folder is a file: the records go elsewhere
    monkeypatch.setenv(FALLBACK_DIR_ENV, str(tmp_path / "fallback"))
    ids = flow_ids(shipped_flows)
    store = f"postgresql://agent@127.0.0.1:{refused_port()}/calls"

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call",
                        settings=Settings(interface_language="zh", team=TeamSettings(store=store)))
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(pilot, lambda: app._notifications and Part.STORE in app.health)
            toasts = "\n".join(n.message for n in app._notifications)
            assert "会话记录无法保存到" in toasts and latin_words(toasts, ids) == [], toasts
            assert app.health.get(Part.STORE).reason == "health.store_unavailable"  # no outbox in a file
            await pilot.press("f1")
            await pilot.pause()
            assert "已结束的通话无法排队上传到团队库" in shown(app) and latin_words(shown(app), ids) == [], shown(app)

    asyncio.run(scenario())


def test_a_call_in_chinese_shows_no_english_through_every_warning(shipped_flows, tmp_path):
    ids = flow_ids(shipped_flows)
    store = f"postgresql://agent@127.0.0.1:{refused_port()}/calls"

    async def scenario():
        app = build_app(shipped_flows, tmp_path, initial_flow="silent_call",
                        settings=Settings(interface_language="zh", team=TeamSettings(store=store)))
        app.probe_seconds = 0
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            seen: list[str] = []

            async def look() -> None:
                """Check the toasts as whole messages (on screen a long path wraps), then the
                screen without them."""
                await pilot.pause()
                toasts = "\n".join(n.message for n in app._notifications)
                assert latin_words(toasts, ids) == [], toasts
                app.clear_notifications()
                await pilot.pause()
                seen.append(toasts + "\n" + shown(app))
                assert latin_words(seen[-1], ids) == [], seen[-1]

            await look()
            # The line delivers audio, then goes away mid-call: its own banner line.
            sink = AppLineSink(app)  # what the listener's threads call
            sink.level(-40.0)
            await pilot.pause()
            sink.problem(missing(Part.LINE, "health.no_input_device", "the input device 'pulse' was closed by the system"))
            await look()
            assert "线路音频中断" in "\n".join(app.screen.query_one(HealthBanner).lines)
            await pilot.press("s")  # the silent call's own key, inside the silent call: it does nothing here
            await look()
            await pilot.press("v")  # no speaker: the demonstration cannot play
            await look()
            assert "无法示范朗读" in seen[-1]
            await pilot.press("space", "ctrl+e", "enter")  # the call ends: it waits for the team store
            await settle(pilot, lambda: Part.STORE in app.health)
            await pilot.press("enter")  # the next call, whose banner says calls wait
            await pilot.pause()
            await look()
            assert "通话等待上传到团队库" in seen[-1]
            await pilot.press("f1")
            await look()
            for expected in ("无音频输入,已中断", "等待上传到团队库", "示范"):
                assert expected in seen[-1], expected
            details = [detail for w in app.screen.query(HealthList) for _, detail in w.entries]
            assert any("closed by the system" in d for d in details), "the listener's words are kept, as details"
            await pilot.press("escape")
            app.exit()

    asyncio.run(scenario())


def test_the_picker_in_chinese_says_refusals_and_unreadable_logs_in_chinese(shipped_flows, tmp_path, monkeypatch):
    short = tmp_path / "cfg"
    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(short / "config"))
    path = settings_path()
    path.parent.mkdir(parents=True)
    ids = flow_ids(shipped_flows)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "20260101-120000-broken.jsonl").write_text("not a log\n", encoding="utf-8")

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="zh"))
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            path.write_text('agent = "007"\nplain = yes\n', "utf-8")  # not TOML: the save is refused
            app.screen.query_one("#hotline").value = "95588"
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: app._notifications)
            toast = " ".join(n.message for n in app._notifications)
            assert "设置无法保存" in toast and latin_words(toast, ids) == [], toast
            await pilot.press("escape")
            app.clear_notifications()
            await pilot.press("f4")  # the recent logs: one cannot be read
            await pilot.pause()
            assert latin_words(shown(app), ids) == [], shown(app)
            await pilot.press("enter")
            await settle(pilot, lambda: app._notifications)
            toast = " ".join(n.message for n in app._notifications)
            assert "无法回放" in toast and latin_words(toast, ids) == [], toast
            await pilot.press("f1")
            await pilot.pause()
            assert latin_words(shown(app), ids) == [], shown(app)

    asyncio.run(scenario())


def test_a_bad_settings_file_at_the_start_is_said_in_chinese(shipped_flows, tmp_path):
    from callscript.errors import CallscriptError

    problem = CallscriptError("'plain' must be true or false, not 'yes'", where="/x/settings.toml:3",
                              hint="for example: plain = false")

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings_problem=problem, settings=Settings(interface_language="zh"))
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await settle(pilot, lambda: app._notifications)
            toast = " ".join(n.message for n in app._notifications)
            assert "/x/settings.toml:3" in toast and latin_words(toast, flow_ids(shipped_flows)) == [], toast

    asyncio.run(scenario())


def test_the_check_itself_catches_english():
    assert latin_words("无法保存:'plain' must be true", set()) == ["plain", "must", "be", "true"]
    assert latin_words("按 F1 查看 · 文件 /tmp/a.toml:3 · 运行「callscript models download zh」", set()) == []
