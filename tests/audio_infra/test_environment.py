"""``tests.support.environment``: the environment the virtual line and the test cluster set is put
back exactly, whatever happens in the block."""

from __future__ import annotations

import os

import pytest

from tests.support.environment import environment


def test_values_are_set_in_the_block_and_put_back_after_it(monkeypatch):
    monkeypatch.setenv("CS_TEST_KEPT", "before")
    monkeypatch.delenv("CS_TEST_NEW", raising=False)
    with environment({"CS_TEST_KEPT": "during", "CS_TEST_NEW": "added"}):
        assert (os.environ["CS_TEST_KEPT"], os.environ["CS_TEST_NEW"]) == ("during", "added")
    assert os.environ["CS_TEST_KEPT"] == "before"
    assert "CS_TEST_NEW" not in os.environ


def test_values_are_put_back_when_the_block_raises(monkeypatch):
    monkeypatch.setenv("CS_TEST_KEPT", "before")
    monkeypatch.delenv("CS_TEST_NEW", raising=False)
    with pytest.raises(RuntimeError), environment({"CS_TEST_KEPT": "during", "CS_TEST_NEW": "added"}):
        raise RuntimeError("the test failed inside")
    assert os.environ["CS_TEST_KEPT"] == "before"
    assert "CS_TEST_NEW" not in os.environ


def test_a_key_the_block_changes_itself_is_put_back_too(monkeypatch):
    monkeypatch.delenv("CS_TEST_NEW", raising=False)
    with environment({"CS_TEST_NEW": "added"}):
        os.environ["CS_TEST_NEW"] = "changed by the code under test"
    assert "CS_TEST_NEW" not in os.environ
