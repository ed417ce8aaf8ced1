"""Settings: defaults, round trip through TOML, and one clear error (file and line) for a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from callscript.errors import CallscriptError
from callscript.settings import (
    DEFAULT_KEYS,
    Settings,
    load_settings,
    load_settings_or_defaults,
    read_settings,
    settings_path,
)
from callscript.settings_store import save_settings


def test_a_missing_file_means_the_defaults(tmp_path):
    settings = load_settings(tmp_path / "nothing.toml")
    assert settings == Settings()
    assert settings.interface_language == "zh"
    assert settings.default_flow == "main_call"
    assert settings.keys == DEFAULT_KEYS
    assert settings.plain is False and settings.record_line_audio is False


def test_the_config_dir_follows_the_environment(tmp_path):
    assert settings_path() == tmp_path / "config" / "settings.toml"


def test_settings_survive_a_save_and_a_load():
    settings = Settings(agent="王芳 007", hotline="XX 银行", interface_language="en", default_flow="silent_call",
                        plain=True, tts_rate=200, tts_volume=0.5, input_device="pulse", model_dir="/models/cn",
                        record_line_audio=True)
    settings.keys["call.said"] = "enter"
    settings.keys["situation.silent_call"] = "x"
    path = save_settings(settings)
    assert path == settings_path()
    assert load_settings() == settings
    text = path.read_text("utf-8")
    assert 'agent = "王芳 007"' in text and "[keys]" in text


def test_a_partial_file_keeps_the_other_defaults(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('hotline = "XX"\n[keys]\n"call.end" = "ctrl+x"\n', "utf-8")
    settings = load_settings(path)
    assert settings.hotline == "XX" and settings.agent == ""
    assert settings.keys["call.end"] == "ctrl+x" and settings.keys["call.said"] == "space"
    assert settings.keymap() == {"call.end": "ctrl+x"}


def test_only_filled_in_values_become_flow_variables():
    assert Settings().variables() == {}
    assert Settings(agent=" 007 ", hotline="").variables() == {"agent": "007"}


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('agent = "a"\nplain = yes\n', ":2:9", "settings file is not valid TOML: invalid value"),
        ('agent = "a"\n\nplain = "yes"\n', ":3", "'plain' must be true or false, not \"yes\""),
        ('tts_rate = 2.5\n', ":1", "'tts_rate' must be a whole number of words per minute from 40 to 500"),
        ('colour = "red"\n', ":1", "unknown setting 'colour'"),
        ('interface_language = "fr"\n', ":1", '\'interface_language\' must be "zh" or "en", not "fr"'),
        ('tts_volume = 3\n', ":1", "'tts_volume' must be a number from 0.0 (silent) to 1.0 (full volume), not 3"),
        ('tts_volume = nan\n', ":1", "'tts_volume' must be a number from 0.0 (silent) to 1.0 (full volume), not nan"),
        ('agent = "x"\n[keys]\n"call.said" = "two words"\n', ":3", "key for 'call.said' must be a key name"),
        ('[keys]\n"call.nothing" = "x"\n', ":2", "unknown binding id 'call.nothing'"),
        ('[keys]\ncall.said = "enter"\n', ":2", "binding id 'call.said' must be in quotes"),
        ('"\\u001b]0;pwned\\u0007" = 1\n', ":1", "unknown setting '\\x1b]0;pwned\\x07'"),
        ('tts_rate = "\\u001b[2J"\n', ":1", "'tts_rate' must be a whole number of words per minute from 40 to 500 "
                                          "(170 is a calm pace), not \"\\x1b[2J\""),
        ('[keys]\n"call.said" = "\\u001b[2J"\n', ":2", "key for 'call.said' must be a key name such as \"space\", "
                                                  "\"g\" or \"ctrl+e\", not \"\\x1b[2J\""),
    ],
)
def test_a_bad_file_is_one_error_naming_the_file_and_the_line(tmp_path, text, where, message):
    path = tmp_path / "settings.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(CallscriptError) as caught:
        load_settings(path)
    error = caught.value
    assert error.where == f"{path}{where}"
    assert error.message.startswith(message)
    assert error.hint
    # The app starts anyway and keeps the error to show it: the wrong value has its default,
    # every other value of the file counts.
    settings, problem = load_settings_or_defaults(path)
    assert problem is not None and problem.where == error.where
    if "agent" in text and "valid TOML" not in message:
        assert settings.agent in ("a", "x")
    assert {name: getattr(settings, name) for name in ("plain", "tts_rate", "tts_volume", "interface_language")} == {
        "plain": False, "tts_rate": 170, "tts_volume": 0.9, "interface_language": "zh"}


def test_each_wrong_value_is_its_own_error_and_the_rest_of_the_file_counts(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('agent = "007"\ntts_rate = 9\nhotline = "XX"\nplain = "no"\n[keys]\n'
                    '"call.end" = "ctrl+x"\n"call.said" = 3\n', "utf-8")
    settings, problems = read_settings(path)
    assert [p.where for p in problems] == [f"{path}:2", f"{path}:4", f"{path}:7"]
    assert (settings.agent, settings.hotline, settings.keys["call.end"]) == ("007", "XX", "ctrl+x")
    assert (settings.tts_rate, settings.plain, settings.keys["call.said"]) == (170, False, "space")
    assert problems[0].hint == "for example: tts_rate = 170"
    combined = load_settings_or_defaults(path)[1]
    assert combined is not None and f"{path}:4" in combined.message and f"{path}:7" in combined.message


def test_the_hint_for_a_keys_value_that_is_not_a_table_is_valid_toml(tmp_path):
    """The hint's example line, pasted under [keys] as it is printed, gives the key it names."""
    path = tmp_path / "settings.toml"
    path.write_text('keys = "space"\n', "utf-8")
    (problem,) = read_settings(path)[1]
    example = problem.hint.split("lines like ", 1)[1]
    path.write_text(f"[keys]\n{example}\n", "utf-8")
    settings, problems = read_settings(path)
    assert problems == [] and settings.keys["call.said"] == "space"


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b'\xef\xbb\xbfagent = "007"\n')
    assert load_settings(path).agent == "007"


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b'agent = "a"\nhotline = "\xff"\n')
    with pytest.raises(CallscriptError) as caught:
        load_settings(path)
    assert caught.value.where == f"{path}:2"


def test_saving_never_leaves_half_a_file(tmp_path, monkeypatch):
    path = tmp_path / "s.toml"
    save_settings(Settings(agent="first"), path)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken)
    with pytest.raises(OSError):
        save_settings(Settings(agent="second"), path)
    assert load_settings(path).agent == "first"
    assert [p.name for p in Path(tmp_path).iterdir()] == ["s.toml"]


def test_a_wrong_value_in_the_settings_file_is_told_in_chinese_with_its_file_and_line(tmp_path):
    """``tts_rate = "x"`` with the interface in Chinese: the toast's words are Chinese and name
    the file and its line; F1 keeps the settings reader's own words, its line breaks as breaks."""
    import asyncio

    from callscript.app.widgets.health import HealthList
    from callscript.flow.library import load_flows
    from callscript.settings import load_settings_or_defaults
    from tests.app.driver import build_app

    path = tmp_path / "settings.toml"
    path.write_text('tts_rate = "x"\n', "utf-8")
    settings, problem = load_settings_or_defaults(path)
    assert problem is not None and settings.interface_language == "zh"

    async def scenario() -> None:
        app = build_app(load_flows(), tmp_path, initial_flow="greeting", settings=settings, settings_problem=problem)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            toast = " ".join(n.message for n in app._notifications)  # the toasts shown
            assert "设置文件" in toast and "settings.toml:1" in toast and "中有无法使用的值" in toast
            assert "tts_rate" not in toast and "must be" not in toast
            await pilot.press("f1")
            await pilot.pause()
            listed = str(app.screen.query_one(HealthList).render())
            assert "'tts_rate' must be" in listed and "\\x0a" not in listed and 'not "x"\n' in listed

    asyncio.run(scenario())
