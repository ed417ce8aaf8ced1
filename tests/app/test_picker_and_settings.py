"""The flow picker (type to filter in Chinese or English) and the settings screen (edit, save,
apply at once)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from callscript.app.screens.call import CallScreen
from callscript.app.screens.picker import FlowPickerScreen, matches
from callscript.app.screens.settings import SettingsScreen
from callscript.settings import Settings, load_settings, settings_path
from tests.app.driver import build_app, screen_text


def run(coro):
    return asyncio.run(coro)


def test_filter_matches_chinese_or_english_titles_and_ids(shipped_flows):
    silent = shipped_flows["silent_call"]
    assert matches(silent, "无声") and matches(silent, "SILENT") and matches(silent, "silent_call")
    assert matches(silent, "silent line")  # the situation's label counts too
    assert not matches(silent, "投诉")
    assert matches(silent, "")


def test_the_picker_filters_as_you_type_and_starts_the_call(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)
            text = screen_text(app)
            total = len(shipped_flows)
            assert "Main call" in text and f"{total} of {total} flows" in text
            assert app.screen.selected().id == "main_call"  # the default flow comes first
            await pilot.press(*"无声")
            text = screen_text(app)
            assert f"1 of {total} flows" in text and "[s] Silent call" in text and "Main call" not in text
            await pilot.press("escape")
            await pilot.press(*"zzz")
            assert "No flow matches “zzz”" in screen_text(app)
            await pilot.press("enter")  # nothing to start: nothing happens
            assert isinstance(app.screen, FlowPickerScreen)
            await pilot.press("escape", *"complaint", "enter")
            assert isinstance(app.screen, CallScreen) and app.live_call.engine.flow.id == "complaint"

    run(scenario())


def test_the_picker_describes_the_flow_in_the_interface_language(shipped_flows, tmp_path):
    """In Chinese the highlighted flow is described by its Chinese title, the manual's section
    it follows and its first line as the call will show it; the English gloss only in English."""

    async def scenario(language: str) -> str:
        app = build_app(shipped_flows, tmp_path / language, settings=Settings(interface_language=language))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press(*"silent")
            await pilot.pause()
            return "".join(screen_text(app).split())

    flow = shipped_flows["silent_call"]
    gloss = "".join(flow.gloss.split())[:40]
    zh = run(scenario("zh"))
    assert "无声电话·手册依据:" + "".join(flow.source.section.split()) in zh
    assert "第一句:“您好!请问有什么可以帮助您?”" in zh and gloss not in zh
    assert gloss in run(scenario("en"))


def test_back_in_the_picker_after_a_call_typing_starts_a_new_filter(shipped_flows, tmp_path):
    """The last filter stays (Enter starts the same flow again) but is selected, so typing the
    next flow's name replaces it instead of being added to it (a trial typed "silent" after a
    greeting call and got "greetingsilent": no flow)."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press(*"greeting", "enter")
            assert isinstance(app.screen, CallScreen)
            await pilot.press("ctrl+e", "enter")
            await pilot.pause()
            await pilot.press("escape")  # from the summary back to the picker
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)
            assert app.screen.query_one("#filter").value == "greeting"
            await pilot.press(*"silent")
            await pilot.pause()
            assert app.screen.query_one("#filter").value == "silent"
            assert app.screen.selected().id == "silent_call"

    run(scenario())


def test_arrow_keys_move_between_flows_while_typing(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            first = app.screen.selected().id
            await pilot.press("down")
            second = app.screen.selected().id
            assert second != first
            await pilot.press("up", "up")
            assert app.screen.selected().id == first  # headings are skipped, the top is the top
            await pilot.press("down", "enter")
            assert app.live_call.engine.flow.id == second

    run(scenario())


def test_settings_are_edited_saved_and_applied_at_once(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path)
        async with app.run_test(size=(100, 40), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            assert isinstance(app.screen, SettingsScreen)
            assert "设置" in screen_text(app)
            await pilot.press(*"007")  # the agent field has the focus
            app.screen.query_one("#hotline").value = "XX 银行"
            app.screen.query_one("#interface_language").value = "en"
            app.screen.query_one("#key-call-said").value = "enter"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)
            assert "Choose a call flow" in screen_text(app)  # the new language at once
            await pilot.press("escape", *"greeting", "enter")
            await pilot.pause()
            text = screen_text(app)
            assert "XX 银行" in text and "007" in text
            assert "Enter Said it" in text and "^Q Quit" in text
        saved = load_settings(settings_path())
        assert (saved.agent, saved.hotline, saved.interface_language) == ("007", "XX 银行", "en")
        assert saved.keys["call.said"] == "enter"

    run(scenario())


def test_settings_refuse_a_bad_value_and_keep_the_form(shipped_flows, tmp_path):
    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 40), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            app.screen.query_one("#tts_volume").value = "7"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, SettingsScreen)
            assert "Cannot save" in screen_text(app)
            await pilot.press("escape")
            assert isinstance(app.screen, FlowPickerScreen)
        assert not settings_path().exists()

    run(scenario())


def test_the_help_lists_ctrl_c_in_the_interface_language(shipped_flows, tmp_path):
    """F1 lists Ctrl+C (quit, as a terminal user expects) in Chinese too, not as "Quit"."""

    async def scenario():
        app = build_app(shipped_flows, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
            text = screen_text(app)
            assert "Ctrl+C  退出" in text and "Ctrl+Q  退出" in text
            assert "Quit" not in text

    run(scenario())


def test_settings_checkboxes_show_a_tick_only_when_on(shipped_flows, tmp_path):
    """Without colour the boxes still read right: ✓ and "On" when set, an empty box and "Off"."""
    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en", record_line_audio=True))
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()

            def rows() -> tuple[str, str]:
                lines = screen_text(app).splitlines()
                plain = next(line for line in lines if "Plain mode" in line)
                record = next(line for line in lines if "Record line audio" in line)
                return plain, record

            plain, record = rows()
            assert "✓" not in plain and "Off" in plain
            assert "✓" in record and "On" in record
            app.screen.query_one("#plain").focus()
            await pilot.press("space")
            await pilot.pause()
            plain, _ = rows()
            assert "✓" in plain and "On" in plain
            assert app.screen.query_one("#plain").value is True

    run(scenario())


def test_the_agent_microphone_left_empty_is_none_in_the_settings_and_in_run_help(shipped_flows, tmp_path, capsys):
    """The settings screen said 客服麦克风 留空为系统默认, but an empty agent_input_device listens to
    no agent microphone at all, as ``callscript run --help`` says: both say none."""
    from callscript.cli import main

    try:
        main(["run", "--help"])
    except SystemExit:
        pass
    assert "(default: agent_input_device in settings, else none)" in " ".join(capsys.readouterr().out.split())

    async def scenario(language: str) -> str:
        app = build_app(shipped_flows, tmp_path / language, settings=Settings(interface_language=language))
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()
            assert str(app.screen.query_one("#input_device").placeholder) == app.t("settings.device_default")
            return str(app.screen.query_one("#agent_input_device").placeholder)

    assert run(scenario("zh")) == "留空为不用(不监听客服自己的声音)"
    assert run(scenario("en")) == "empty: none (the agent's own voice is not listened to)"


def test_saving_from_the_app_keeps_a_wrong_value_and_the_comments_of_the_file(shipped_flows, tmp_path):
    """A file with one wrong value: the app starts with the rest of it, and F2 → save writes only
    the field the user changed; the wrong value, the comments and an unknown key stay."""
    from callscript.settings import read_settings

    path = settings_path()
    path.parent.mkdir(parents=True)
    text = '# by hand\nagent = "007"\ntts_rate = 9000  # too fast\nfuture = 1\n'
    path.write_text(text, "utf-8")
    settings, problems = read_settings(path)
    assert settings.agent == "007" and len(problems) == 2

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=settings)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            app.screen.query_one("#hotline").value = "95588"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FlowPickerScreen)

    run(scenario())
    assert path.read_text("utf-8") == text + 'hotline = "95588"\n'
    assert path.with_name("settings.toml.bak").read_text("utf-8") == text


def test_a_save_into_a_file_that_is_not_toml_is_refused_naming_the_line(shipped_flows, tmp_path, monkeypatch):
    """The file was broken by hand while the app ran: the save names the line and leaves the file
    (and the form) as they are."""
    # The refusal (a toast) names the file's whole path; under pytest-xdist the temporary path is
    # long enough to wrap the toast past the lines the screen shows, so the settings live in a
    # short folder of their own here.
    short = Path(tempfile.mkdtemp(prefix="cs-"))
    monkeypatch.setenv("CALLSCRIPT_CONFIG_DIR", str(short / "config"))
    path = settings_path()
    path.parent.mkdir(parents=True)

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=Settings(interface_language="en"))
        async with app.run_test(size=(100, 40), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            path.write_text('agent = "007"\nplain = yes\n', "utf-8")
            app.screen.query_one("#hotline").value = "95588"
            await pilot.press("ctrl+s")
            # The refusal is a toast: under load it is drawn some frames after the key, so wait
            # (a bounded number of frames) for it rather than read the screen once.
            for _ in range(40):
                await pilot.pause(0.05)
                text = "".join(screen_text(app).replace("▌", "").split())
                if "Thesettingscouldnotbesaved" in text:
                    break
            assert isinstance(app.screen, SettingsScreen)
            # Where, in the toast; the file's own words (English, long) in F1.
            assert "Thesettingscouldnotbesaved" in text and "settings.toml:2" in text and "F1fordetails" in text
            assert "fix that line" in app.notes["settings.not_saved"][1]
            assert app.screen.query_one("#hotline").value == "95588"

    try:
        run(scenario())
        assert path.read_text("utf-8") == 'agent = "007"\nplain = yes\n'
    finally:
        shutil.rmtree(short, ignore_errors=True)


def test_the_form_names_the_wrong_values_of_the_file_until_they_are_fixed_here(shipped_flows, tmp_path):
    from callscript.settings import load_settings_or_defaults

    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('agent = "007"\ntts_rate = 9000\n', "utf-8")
    settings, problem = load_settings_or_defaults(path)

    async def scenario():
        app = build_app(shipped_flows, tmp_path, settings=settings, settings_problem=problem)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()
            text = "".join(screen_text(app).split())
            assert "settings.toml:2:error:'tts_rate'mustbe" in text
            app.screen.query_one("#tts_rate").value = "200"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.settings_problem is None
            await pilot.press("f2")
            await pilot.pause()
            assert "tts_rate'mustbe" not in "".join(screen_text(app).split())

    run(scenario())
    assert path.read_text("utf-8") == 'agent = "007"\ntts_rate = 200\n'


def test_the_settings_screen_says_where_an_empty_model_folder_looks(shipped_flows, tmp_path):
    """An empty speech model folder is not "the system default": it is $CALLSCRIPT_MODEL_DIR,
    else the model for the flow's language, and the form says so in both languages."""
    from textual.widgets import Input

    async def scenario(language: str) -> str:
        app = build_app(shipped_flows, tmp_path / language, settings=Settings(interface_language=language))
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, SettingsScreen)
            return str(app.screen.query_one("#model_dir", Input).placeholder)

    assert run(scenario("zh")) == "留空:用 $CALLSCRIPT_MODEL_DIR,未设置则用流程语言的模型"
    assert run(scenario("en")) == "empty: $CALLSCRIPT_MODEL_DIR, else the model for the flow's language"
