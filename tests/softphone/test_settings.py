"""The softphone settings: off by default (nothing changes), the line it implies, bad values."""

from __future__ import annotations

from pathlib import Path

from callscript.commands.run import line_device, softphone
from callscript.settings import Settings, parse_settings_leniently
from callscript.softphone.baresip import BaresipPhone


def test_without_the_setting_there_is_no_phone_and_the_line_is_the_default_input():
    settings = Settings()
    assert settings.softphone == "" and softphone(settings) is None and line_device(settings) is None


def test_with_baresip_the_line_is_the_monitor_of_the_softphones_sink():
    settings, problems = parse_settings_leniently(
        'softphone = "baresip"\nsoftphone_control = "127.0.0.1:5555"\nsoftphone_sink = "agent_line"\n'
        'softphone_hang_up = "at_once"\n', Path("settings.toml"))
    assert problems == []
    phone = softphone(settings)
    assert isinstance(phone, BaresipPhone) and phone.address == "127.0.0.1:5555"
    assert line_device(settings) == "pulse:agent_line.monitor"
    assert settings.softphone_hang_up == "at_once"


def test_wrong_softphone_values_name_the_line_and_keep_the_defaults():
    settings, problems = parse_settings_leniently('softphone = "skype"\nsoftphone_hang_up = "later"\n',
                                                  Path("settings.toml"))
    assert [p.render() for p in problems] == [
        'settings.toml:1: error: \'softphone\' must be "baresip", or "" for none, not "skype"\n'
        '  hint: for example: softphone = "baresip"',
        'settings.toml:2: error: \'softphone_hang_up\' must be "confirm" or "at_once", not "later"\n'
        '  hint: for example: softphone_hang_up = "at_once"',
    ]
    assert settings.softphone == "" and settings.softphone_hang_up == "confirm"


def test_a_control_port_on_another_machine_is_refused_and_the_call_goes_on_without(capsys):
    settings = Settings(softphone="baresip", softphone_control="10.0.0.7:4444")
    assert softphone(settings) is None
    err = capsys.readouterr().err
    assert "the softphone control address '10.0.0.7:4444' is not on this machine" in err
    assert "callscript runs without the softphone" in err
