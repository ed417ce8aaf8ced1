"""Mapping keys in the YAML reader: text as written, numbers as their digits, anything else refused."""

from __future__ import annotations

import pytest

from callscript.flow.yamlnodes import YamlProblem, read_yaml


def test_keys_keep_their_order_and_positions():
    root = read_yaml("say: 您好\ngloss: Hello\n")
    assert [key.value for key in root.value] == ["say", "gloss"]
    assert (root.keys["gloss"].line, root.keys["gloss"].column) == (2, 1)
    assert root.items["say"].value == "您好"


def test_a_number_key_is_read_as_its_text():
    root = read_yaml("5: five\n")
    assert root.items["5"].value == "five"


def test_a_number_and_the_same_text_are_one_key():
    with pytest.raises(YamlProblem) as caught:
        read_yaml("5: five\n'5': again\n")
    assert caught.value.code == "duplicate-key"
    assert "first written at line 1" in caught.value.message
    assert caught.value.line == 2


@pytest.mark.parametrize("text", ["~: nothing\n", "true: yes\n", "[a, b]: list\n", "{a: b}: map\n"])
def test_keys_that_are_not_names_are_refused_where_written(text):
    with pytest.raises(YamlProblem) as caught:
        read_yaml("say: 您好\n" + text)
    assert caught.value.code == "bad-key"
    assert caught.value.line == 2
