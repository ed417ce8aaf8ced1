"""The reports' words are complete in both languages, with the same fields in each."""

from __future__ import annotations

from callscript.training.words import WORDS, fields_of, label, words


def test_every_word_has_chinese_and_english_with_the_same_fields():
    for key, entry in WORDS.items():
        assert set(entry) == {"zh", "en"}, key
        assert entry["zh"].strip() and entry["en"].strip(), key
        assert fields_of(entry["zh"]) == fields_of(entry["en"]), key


def test_every_reason_code_the_scorer_gives_has_a_label():
    from callscript.training.scoring import PENALTIES

    for code in PENALTIES:
        assert label("reason", code, "zh") != code and label("reason", code, "en") != code, code


def test_an_unknown_code_is_shown_as_it_is():
    assert label("outcome", "from_a_newer_version", "zh") == "from_a_newer_version"
    assert words("en")("report.counted", calls=3, agents=1, files=2) == "3 calls by 1 agents in 2 log files"
