"""The key bar fits its width: closer spacing first, then keys left out from the end, never F1."""

from callscript.app.widgets.keybar import _width, fit

CALL = [("Space", "Said it", False), ("g", "Gloss", False), ("v", "Demonstrate", False),
        ("t", "Caller name", False), ("m", "Note", False), ("^E", "End call", False), ("^Q", "Quit", False),
        ("F1", "Help", True)]


def test_keys_that_fit_are_all_kept():
    assert fit(CALL, 200) == CALL


def test_at_80_columns_the_last_keys_go_but_the_help_key_stays():
    kept = fit(CALL, 79)
    assert kept[-1] == ("F1", "Help", True)
    assert ("^Q", "Quit", False) not in kept
    assert kept[:6] == CALL[:6]
    assert _width(kept, 1) <= 79


def test_even_a_very_narrow_bar_keeps_the_help_key():
    assert fit(CALL, 10) == [("F1", "Help", True)]
