"""Progress per trainee: every scored answer in SQLite, scores over time, weakest steps first.

The database is ``progress.sqlite`` in the user data directory (``$CALLSCRIPT_DATA_DIR`` overrides
the directory, for tests and for shared training rooms). Two sessions may use it at once (a drill
in one terminal, ``callscript progress`` in another, or two trainees on one account):

- WAL journal: readers never block the writer and the writer never blocks readers;
- every write is one short ``BEGIN IMMEDIATE`` transaction, and a busy database is waited for
  (``busy_timeout``) instead of failing;
- the schema is upgraded by ordered migrations (``MIGRATIONS``), each run once inside the same
  kind of transaction, with ``PRAGMA user_version`` as the schema version, so two processes that
  open an old database at the same moment upgrade it exactly once.

Nothing here imports Textual; the drill screen calls ``ProgressStore.record``.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callscript.errors import CallscriptError
from callscript.privacy import FILE_MODE, private_dir

if TYPE_CHECKING:
    from callscript.training.scoring import ScoreResult

DATA_DIR_ENV = "CALLSCRIPT_DATA_DIR"
DB_NAME = "progress.sqlite"
BUSY_TIMEOUT_MS = 30_000
RECENT = 5  # attempts per step that count for "how good is the trainee at it now"
MODES = ("typed", "spoken", "quiz")

# Ordered schema migrations: (version, what it does, SQL). Never edit one that has shipped; add
# the next. Version N is what ``PRAGMA user_version`` holds once migrations 1..N have run.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "trainees and their scored attempts", """
        CREATE TABLE trainees (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            trainee_id INTEGER NOT NULL REFERENCES trainees(id),
            at TEXT NOT NULL,
            flow TEXT NOT NULL,
            step TEXT NOT NULL,
            score INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            reasons TEXT NOT NULL DEFAULT '[]'
        );
    """),
    (2, "how the answer was given, the wait measured, the similarity; an index for per-step queries", """
        ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'typed';
        ALTER TABLE attempts ADD COLUMN waited REAL;
        ALTER TABLE attempts ADD COLUMN similarity REAL;
        CREATE INDEX attempts_by_step ON attempts(trainee_id, flow, step, at);
    """),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def default_data_dir() -> Path:
    """``$CALLSCRIPT_DATA_DIR``, or the user data directory (``platformdirs``)."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    from platformdirs import user_data_path

    return user_data_path("callscript")


def default_db_path() -> Path:
    return default_data_dir() / DB_NAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Attempt:
    """One scored answer as stored."""

    id: int
    trainee: str
    at: str
    flow: str
    step: str
    score: int
    passed: bool
    answer: str
    reasons: tuple[str, ...]  # reason codes
    mode: str
    waited: float | None
    similarity: float | None


@dataclass(frozen=True)
class StepProgress:
    """How a trainee does on one step: all attempts, and the last ``RECENT`` that say how good now."""

    flow: str
    step: str
    attempts: int
    recent_average: float
    recent_pass_rate: float
    best: int
    last: int
    last_at: str
    common_reason: str | None


@dataclass(frozen=True)
class FlowProgress:
    """Scores over time on one situation (flow): each attempt's score in order, and totals."""

    flow: str
    attempts: int
    average: float
    pass_rate: float
    scores: tuple[int, ...]
    times: tuple[str, ...]


class ProgressStore:
    """The progress database. Open one per process (or per thread); ``close()`` when done.

    ``ProgressStore()`` opens the default database, creating and upgrading it as needed.
    """

    def __init__(self, path: Path | str | None = None, *, timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        try:
            # Private from the first byte: SQLite gives its -wal and -shm files the database's mode.
            private_dir(self.path.parent)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise CallscriptError(
                f"cannot open the progress database: {exc}", where=str(self.path),
                hint=f"check the folder's permissions, or set {DATA_DIR_ENV} to a writable folder",
            ) from None
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            mode = _set_wal(self._db, timeout)
            if mode.lower() != "wal":  # e.g. a network file system that cannot share memory
                raise CallscriptError(
                    f"the progress database cannot use WAL mode here (got {mode})", where=str(self.path),
                    hint=f"keep it on a local disk: set {DATA_DIR_ENV} to a local folder",
                )
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise CallscriptError(
                f"the progress database is unreadable: {exc}", where=str(self.path),
                hint="move the file aside (a new one is made) or restore it from a backup",
            ) from None

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> _Transaction:
        return _Transaction(self._db)

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[int]:
        """Bring the schema up to ``SCHEMA_VERSION``; the versions applied (empty when current)."""
        if self.version == SCHEMA_VERSION:
            return []
        applied = []
        with self._write():
            current = self.version  # read again under the write lock: another process may have won
            if current > SCHEMA_VERSION:
                raise CallscriptError(
                    f"the progress database has schema version {current}; this callscript knows up to "
                    f"{SCHEMA_VERSION}", where=str(self.path), hint="upgrade callscript",
                )
            for version, _what, sql in MIGRATIONS:
                if version <= current:
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version}")
                applied.append(version)
        return applied

    # -- writing ------------------------------------------------------------------------------

    def _trainee_id(self, name: str) -> int:
        name = name.strip()
        if not name:
            raise CallscriptError("a trainee needs a name", hint="pass --trainee NAME")
        self._db.execute("INSERT OR IGNORE INTO trainees(name, created) VALUES (?, ?)", (name, _now()))
        return int(self._db.execute("SELECT id FROM trainees WHERE name = ?", (name,)).fetchone()[0])

    def record(
        self, trainee: str, result: ScoreResult, *, mode: str = "typed", at: str | None = None,
    ) -> int:
        """Store one scored answer (``scoring.score_answer``'s result); returns the attempt id."""
        return self.record_attempt(
            trainee, result.flow or "", result.step, result.score, result.passed,
            answer=result.answer, reasons=[r.code for r in result.reasons], mode=mode,
            waited=result.timing.waited if result.timing else None, similarity=result.similarity, at=at,
        )

    def record_attempt(
        self,
        trainee: str,
        flow: str,
        step: str,
        score: int,
        passed: bool,
        *,
        answer: str = "",
        reasons: Iterable[str] = (),
        mode: str = "typed",
        waited: float | None = None,
        similarity: float | None = None,
        at: str | None = None,
    ) -> int:
        """Store one attempt from its parts; returns its id."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self._write():
            trainee_id = self._trainee_id(trainee)
            cursor = self._db.execute(
                "INSERT INTO attempts(trainee_id, at, flow, step, score, passed, answer, reasons, mode, waited,"
                " similarity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (trainee_id, at or _now(), flow, step, int(score), int(bool(passed)), answer,
                 json.dumps(list(reasons)), mode, waited, similarity),
            )
            return int(cursor.lastrowid or 0)

    # -- reading ------------------------------------------------------------------------------

    def trainees(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM trainees ORDER BY name")]

    def attempts(self, trainee: str | None = None) -> list[Attempt]:
        """Every attempt (of one trainee, or of all), oldest first."""
        sql = (
            "SELECT a.*, t.name AS trainee FROM attempts a JOIN trainees t ON t.id = a.trainee_id"
            + (" WHERE t.name = ?" if trainee else "") + " ORDER BY a.at, a.id"
        )
        return [_attempt(row) for row in self._db.execute(sql, (trainee,) if trainee else ())]

    def flows(self, trainee: str) -> list[FlowProgress]:
        """Scores over time per situation (flow), most practised first."""
        by_flow: dict[str, list[Attempt]] = {}
        for attempt in self.attempts(trainee):
            by_flow.setdefault(attempt.flow, []).append(attempt)
        result = [
            FlowProgress(
                flow, len(items), sum(a.score for a in items) / len(items),
                sum(a.passed for a in items) / len(items),
                tuple(a.score for a in items), tuple(a.at for a in items),
            )
            for flow, items in by_flow.items()
        ]
        return sorted(result, key=lambda f: (-f.attempts, f.flow))

    def weakest_steps(self, trainee: str, *, limit: int | None = None, recent: int = RECENT,
                      drills_only: bool = False) -> list[StepProgress]:
        """Steps ordered weakest first: by the average of the last ``recent`` attempts, then pass rate
        (``drills_only``: drills alone, since a quiz choice scores 0 or 100)."""
        rows = self._db.execute(
            """
            WITH ranked AS (
                SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.flow, a.step ORDER BY a.at DESC, a.id DESC) AS n
                FROM attempts a JOIN trainees t ON t.id = a.trainee_id WHERE t.name = ? AND (? = 0 OR a.mode <> 'quiz')
            )
            SELECT flow, step, COUNT(*) AS attempts,
                   AVG(CASE WHEN n <= ? THEN score END) AS recent_average,
                   AVG(CASE WHEN n <= ? THEN passed END) AS recent_pass_rate,
                   MAX(score) AS best,
                   MAX(CASE WHEN n = 1 THEN score END) AS last,
                   MAX(CASE WHEN n = 1 THEN at END) AS last_at,
                   json_group_array(CASE WHEN n <= ? THEN reasons END) AS recent_reasons
            FROM ranked GROUP BY flow, step
            ORDER BY recent_average ASC, recent_pass_rate ASC, attempts DESC, flow, step
            """,
            (trainee, int(drills_only), recent, recent, recent),
        ).fetchall()
        steps = [
            StepProgress(
                r["flow"], r["step"], r["attempts"], round(r["recent_average"], 1),
                round(r["recent_pass_rate"], 3), r["best"], r["last"], r["last_at"],
                _most_common(r["recent_reasons"]),
            )
            for r in rows
        ]
        return steps[:limit] if limit else steps

    # -- export -------------------------------------------------------------------------------

    def export_csv(self, path: Path | str, trainee: str | None = None) -> int:
        """Every attempt as CSV (UTF-8 with a BOM so spreadsheet programs read the Chinese); rows
        written. The file holds trainees' answers: it is written 0600, like the progress database."""
        import io

        from callscript.privacy import write_private

        attempts = self.attempts(trainee)
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(["trainee", "at", "flow", "step", "score", "passed", "mode", "waited",
                         "similarity", "reasons", "answer"])
        for a in attempts:
            writer.writerow([a.trainee, a.at, a.flow, a.step, a.score, int(a.passed), a.mode,
                             "" if a.waited is None else a.waited,
                             "" if a.similarity is None else a.similarity, " ".join(a.reasons), a.answer])
        write_private(Path(path), "\ufeff" + buffer.getvalue(), what="progress CSV")
        return len(attempts)


def _set_wal(db: sqlite3.Connection, timeout: float) -> str:
    """Switch to WAL (persistent: a no-op once the file is WAL) and return the journal mode.

    Changing the journal mode can report SQLITE_BUSY without calling the busy handler while
    another connection is opening the same new file, so that one step is retried by hand.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() == "wal":
                return mode
            return db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on error): takes the write lock up front,
    so two writers queue on ``busy_timeout`` instead of failing half-way with SQLITE_BUSY."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _codes(text: object) -> tuple[str, ...]:
    """The reason codes stored as a JSON list; nothing from a value that is not one (a database
    edited or damaged by hand is read as far as it can be, never a crash)."""
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) and text else []
    except (ValueError, RecursionError):
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _attempt(row: sqlite3.Row) -> Attempt:
    return Attempt(
        row["id"], row["trainee"], row["at"], row["flow"], row["step"], row["score"], bool(row["passed"]),
        row["answer"], _codes(row["reasons"]), row["mode"], row["waited"], row["similarity"],
    )


def _most_common(reason_lists: str) -> str | None:
    counts: dict[str, int] = {}
    try:
        items = json.loads(reason_lists) if reason_lists else []
    except (ValueError, RecursionError):
        items = []
    for item in items if isinstance(items, list) else ():
        for code in _codes(item):
            counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda c: (counts[c], c)) if counts else None


def iter_rows(store: ProgressStore, trainee: str | None = None) -> Iterator[dict[str, Any]]:
    """Attempts as plain dicts (for ``--json`` and tests)."""
    for a in store.attempts(trainee):
        yield {
            "trainee": a.trainee, "at": a.at, "flow": a.flow, "step": a.step, "score": a.score,
            "passed": a.passed, "mode": a.mode, "waited": a.waited, "similarity": a.similarity,
            "reasons": list(a.reasons), "answer": a.answer,
        }
