"""The English gloss names the caller in English: surname in pinyin, the title in the English its
flow declares (先生 -> Mr., 小姐/女士 -> Ms.), Sir/Madam while the surname is the declared placeholder."""

import pytest

from callscript.app.gloss import caller_in_english, fill_gloss, surname_in_english

GLOSS = "{surname} {title}, how may I help you?"


@pytest.mark.parametrize(("surname", "title", "expected"), [
    ("王", "先生", "Mr. Wang, how may I help you?"),
    ("李", "小姐", "Ms. Li, how may I help you?"),
    ("张", "女士", "Ms. Zhang, how may I help you?"),
    ("欧阳", "先生", "Mr. Ouyang, how may I help you?"),
    ("单", "先生", "Mr. Shan, how may I help you?"),  # read as a surname, not dān
    ("王", "老师", "Wang, how may I help you?"),  # a title it does not know: the pinyin alone
    ("某", "先生/小姐", "Sir/Madam, how may I help you?"),  # not known yet
    ("Smith", "先生", "Mr. Smith, how may I help you?"),
])
def test_the_caller_is_named_the_english_way(shipped_flows, surname, title, expected):
    declared = shipped_flows["address_by_surname"].variables
    assert fill_gloss(GLOSS, {"surname": surname, "title": title}, declared) == expected


def test_without_declarations_nothing_is_taken_for_a_placeholder_or_a_title():
    assert fill_gloss(GLOSS, {"surname": "某", "title": "先生"}) == "Mou, how may I help you?"


def test_other_variables_and_literal_braces_are_filled_as_before():
    assert fill_gloss("This is agent {agent}, {{ok}}", {"agent": "007"}) == "This is agent 007, {ok}"
    assert fill_gloss("Dear {surname}", {"surname": "王"}) == "Dear Wang"
    assert caller_in_english("王", "") == "Wang"
    assert surname_in_english("曾") == "Zeng"


def test_a_variable_at_its_default_reads_in_its_english_form():
    from callscript.flow.model import Variable

    declared = {"hotline": Variable("hotline", "本公司", "hotline or company name", "our company")}
    gloss = "Welcome to {hotline}'s customer service hotline."
    assert fill_gloss(gloss, {"hotline": "本公司"}, declared) == "Welcome to our company's customer service hotline."
    # The hotline's real name, from the settings or --vars, is shown as given.
    assert fill_gloss(gloss, {"hotline": "ACME"}, declared) == "Welcome to ACME's customer service hotline."
    # Without the declarations (or without an english form) the value is filled as it is.
    assert fill_gloss(gloss, {"hotline": "本公司"}) == "Welcome to 本公司's customer service hotline."
