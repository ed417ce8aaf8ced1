"""Paths in messages and on screens: short where the user is, under ~ at home, else as given."""

from __future__ import annotations

from pathlib import Path

from callscript.paths import display_path


def test_inside_the_working_directory_a_path_is_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "flows" / "a.yaml") == str(Path("flows") / "a.yaml")
    assert display_path("flows/a.yaml") == str(Path("flows") / "a.yaml")


def test_under_the_home_folder_a_path_starts_with_a_tilde(tmp_path, monkeypatch):
    home, elsewhere = tmp_path / "home", tmp_path / "work"
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(elsewhere)
    assert display_path(home / "logs" / "call.jsonl") == "~/logs/call.jsonl"


def test_elsewhere_a_path_is_shown_as_given(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "work")
    assert display_path(tmp_path / "other" / "a.yaml") == str(tmp_path / "other" / "a.yaml")


def test_a_linked_file_keeps_the_name_it_was_given(tmp_path, monkeypatch):
    (tmp_path / "real.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "link.yaml") == "link.yaml"


def test_the_home_folder_itself_is_a_tilde(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "work")
    assert display_path(tmp_path / "home") == "~"


def test_problems_in_flow_files_name_a_path_tools_can_open(tmp_path, monkeypatch):
    """`check` output (text and --json) is read by editors and CI problem matchers: no ~ there."""
    from callscript.flow.library import check_paths

    home, work = tmp_path / "home", tmp_path / "work"
    (home / "flows").mkdir(parents=True)
    work.mkdir()
    (home / "flows" / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    assert display_path(home / "flows" / "broken.yaml") == "~/flows/broken.yaml"  # on screens
    problems = check_paths([home / "flows" / "broken.yaml"]).problems
    assert problems and {p.path for p in problems} == {str(home / "flows" / "broken.yaml")}
