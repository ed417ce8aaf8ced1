"""The tolerant ``heard:`` matcher: recognition errors pass, other phrases do not."""

from __future__ import annotations

import pytest

from callscript.audio.matching import allowed_edits, substring_distance, tolerant_match, units
from callscript.engine import CallEngine, ManualClock


def test_normalised_text_matches_whatever_the_spacing_and_punctuation():
    assert tolerant_match("对 的 ， 我 是 王 先生", ["是王先生"])
    assert tolerant_match("Hello, I want to PAY my bill.", ["pay my bill"])


def test_chinese_homophones_match_through_pinyin():
    pytest.importorskip("pypinyin")
    assert tolerant_match("事王先生", ["是王先生"])  # shi = shi
    assert tolerant_match("我不指导", ["知道"])  # zhi dao = zhi dao
    assert tolerant_match("我想投素", ["投诉"])  # su = su


def test_southern_accent_merges_match():
    pytest.importorskip("pypinyin")
    assert units("是") == units("四")  # sh -> s
    assert units("牛") == units("刘")  # n/l
    assert tolerant_match("我听不亲", ["听不清"])  # qing -> qin


def test_a_longer_phrase_tolerates_a_quarter_of_its_units_wrong():
    assert tolerant_match("i want to pay my pill", ["pay my bill"])
    assert not tolerant_match("i want to play a ball", ["pay my bill"])


def test_short_phrases_must_match_exactly():
    assert allowed_edits(1) == 0 and allowed_edits(2) == 0 and allowed_edits(8) == 2
    assert not tolerant_match("随便说说", ["是"])
    assert not tolerant_match("예", ["네"])
    assert tolerant_match("네 네", ["네"])


def test_substring_distance_finds_the_best_stretch():
    assert substring_distance("abc", "xxabcxx") == 0
    assert substring_distance("abc", "xxabxx") == 1
    assert substring_distance("", "anything") == 0


def test_the_engine_takes_a_heard_transition_through_the_tolerant_matcher():
    pytest.importorskip("pypinyin")
    from callscript.flow.library import resolve

    flow, flows = resolve("tests/audio/data/ko_confirm.yaml")
    engine = CallEngine(flows, flow.id, ManualClock(), auto_said=True, matcher=tolerant_match)
    engine.start()
    assert not engine.hear("아니요")
    assert engine.hear("네 네")
    assert engine.step.id == "confirmed"
