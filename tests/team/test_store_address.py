"""A store's address given as libpq's keyword=value string to the commands that take a store or
folders (report, export, replay): it is a store's address, so a password in it is refused without
being repeated, as in a URL (it used to be taken for a path and echoed in "no such file")."""

from __future__ import annotations

import pytest

from callscript.cli import main

pytest.importorskip("psycopg")

ADDRESS = "host=127.0.0.1 port=1 dbname=team user=wang password=s3cret-pw"


@pytest.mark.parametrize("argv", [["report", ADDRESS], ["export", ADDRESS, "--parquet", "{tmp}/out"],
                                  ["replay", ADDRESS, "0123456789abcdef"]])
def test_a_connection_string_with_a_password_is_refused_without_repeating_it(argv, tmp_path, capsys):
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "holds a password" in err and "s3cret" not in err


def test_a_folder_whose_name_looks_like_a_connection_string_is_still_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dbname=team").mkdir()
    code = main(["report", "dbname=team"])
    _, err = capsys.readouterr()
    assert code == 1 and "store" not in err and "dbname=team" in err
