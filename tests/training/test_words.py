"""The reports' words: every reason code has a label, and an unknown code shows as it is. (That
both languages are complete is checked with the whole catalog, in tests/i18n.)"""

from __future__ import annotations

from callscript.training.words import label, words


def test_every_reason_code_the_scorer_gives_has_a_label():
    from callscript.training.scoring import PENALTIES

    for code in PENALTIES:
        assert label("reason", code, "zh") != code and label("reason", code, "en") != code, code


def test_an_unknown_code_is_shown_as_it_is():
    assert label("outcome", "from_a_newer_version", "zh") == "from_a_newer_version"
    assert label("outcome", "hang_up", "en") == "Hung up by the flow"
    assert words("en")("report.counted", calls=3, agents=1, files=2) == "3 calls by 1 agents in 2 log files"


def test_every_outcome_a_call_can_have_has_one_label_shared_by_summary_replay_and_report():
    # The outcomes a log can hold: a flow's end, how the app ends a call (the end dialog, the
    # softphone's hang-up, quitting), and the report's own for a log that stops.
    from callscript.flow.model import End

    outcomes = [end.value for end in End] + ["agent_ended", "caller_hung_up", "aborted", "incomplete"]
    for code in outcomes:
        for language in ("zh", "en"):
            assert label("outcome", code, language) != code, (code, language)
    assert label("outcome", "aborted", "zh") == "中断(程序退出)"
