"""The SQLite history backend: every run and every result in ``.factlinks/state.db``.

A run's results are written in one transaction when the run is complete, so a run that is
killed half-way leaves the previous state as it was. While a run uses the database it holds
an exclusive lock on ``state.db.lock``; a second run on the same database is refused. The
schema is versioned and migrated forward when an older database is opened.

The history gives each source its memory: validators for conditional requests, the last
verification (reused when the server answers 304), the first failure and the number of
consecutive failures (an ``unreachable`` source becomes ``dead`` only when it stays so), and
the last success. Rows are encoded and decoded by :mod:`factlinks._history.codec`, by column
name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .._archive import LookupAnswer
from .._errors import StateError
from .codec import RESULT_COLUMNS, decode_past, decode_row, encode_row, registry_key
from .interface import HistoryBackend, ResultRow, SourceHistory

__all__ = [
    "SCHEMA_VERSION",
    "HistoryStore",
    "SqliteHistory",
    "StoredArchiveCache",
    "open_path",
    "open_url",
]

SCHEMA_VERSION = 2
_MIGRATIONS: dict[int, str] = {
    1: """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            registry TEXT
        );
        CREATE TABLE results (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            source_id TEXT NOT NULL,
            url TEXT NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            final_url TEXT,
            checked_at TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            body_sha256 TEXT,
            text_sha256 TEXT,
            verification TEXT,
            PRIMARY KEY (run_id, source_id)
        );
        CREATE INDEX results_by_source ON results (source_id, run_id);
        CREATE TABLE archive_lookups (
            url TEXT NOT NULL,
            day TEXT NOT NULL,
            answer TEXT NOT NULL,
            looked_up_at TEXT NOT NULL,
            PRIMARY KEY (url, day)
        );
    """,
    2: """
        ALTER TABLE results ADD COLUMN archive TEXT
    """,
}


class SqliteHistory:
    """The SQLite history at ``path``; use as a context manager around one run.

    ``with SqliteHistory(path) as history:`` opens it (so does :meth:`open`, or
    :func:`factlinks.open_history`); it implements :class:`HistoryBackend`.

    Raises:
        StateError: the database is locked by another run, corrupt, or from a newer
            factlinks.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock: Any = None
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> SqliteHistory:
        if self._db is None:  # open_history() returns it open
            self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Lock the database for this process and bring its schema up to date."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        self._acquire_lock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.row_factory = sqlite3.Row  # rows are read by column name
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateError(f"{self.path}: not a usable factlinks state database ({exc})") from exc
        except BaseException:
            self.close()
            raise

    def _acquire_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
            pass
        except OSError:
            handle.close()
            raise StateError(
                f"another factlinks run is using {self.path}; wait for it to finish "
                "(or pass --state with another path, or --no-state)"
            ) from None
        self._lock = handle

    def close(self) -> None:
        """Release the database and its lock."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateError("the history store is not open")
        return self._db

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.path} was written by a newer factlinks (schema {version}, "
                f"this one knows {SCHEMA_VERSION})"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                # One statement at a time: executescript() would commit half-way.
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------------

    def history(self, source_id: str, url: str) -> SourceHistory:
        """What earlier runs saw of ``source_id`` at ``url`` (a changed URL starts afresh)."""
        rows = self.db.execute(
            f"SELECT run_id, {_COLUMNS} FROM results"
            " WHERE source_id = ? AND url = ? ORDER BY run_id DESC",
            (source_id, url),
        ).fetchall()
        return SourceHistory.from_results([decode_past(row) for row in rows])

    def latest_results(self, registry: str | None = None) -> list[ResultRow]:
        """Each source's most recent result (of runs of ``registry``, if given).

        A later run with ``--only`` hides nothing.
        """
        columns = ", ".join(f"r.{name}" for name in RESULT_COLUMNS)
        rows = self.db.execute(
            f"SELECT {columns} FROM results r JOIN runs ON runs.id = r.run_id"
            " WHERE (:registry IS NULL OR runs.registry = :registry)"
            " AND r.run_id = (SELECT max(r2.run_id) FROM results r2"
            "   JOIN runs x ON x.id = r2.run_id WHERE r2.source_id = r.source_id"
            "   AND (:registry IS NULL OR x.registry = :registry))",
            {"registry": registry_key(registry)},
        ).fetchall()
        return [decode_row(row) for row in rows]

    def runs(self) -> int:
        """How many runs are stored."""
        return int(self.db.execute("SELECT count(*) FROM runs").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------

    def record_run(
        self,
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        tool_version: str,
        registry: str | None,
        rows: Sequence[ResultRow],
    ) -> int:
        """Store one complete run and its results in one transaction; return the run id."""
        with self._transaction():
            cursor = self.db.execute(
                "INSERT INTO runs (started_at, finished_at, tool_version, registry)"
                " VALUES (?, ?, ?, ?)",
                (
                    started_at.isoformat(),
                    finished_at.isoformat(),
                    tool_version,
                    registry_key(registry),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                f"INSERT INTO results (run_id, {_COLUMNS}) VALUES (:run_id, {_PARAMETERS})",
                [{**encode_row(row), "run_id": run_id} for row in rows],
            )
        return run_id

    # -- archive look-ups --------------------------------------------------------------------

    def archive_answer(self, url: str, day: str) -> dict[str, Any] | None:
        """A cached archive look-up for ``url`` near ``day``."""
        row = self.db.execute(
            "SELECT answer FROM archive_lookups WHERE url = ? AND day = ?", (url, day)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def store_archive_answer(self, url: str, day: str, answer: dict[str, Any]) -> None:
        """Cache an archive look-up (outside the run transaction: it is never wrong later)."""
        self.db.execute(
            "INSERT OR REPLACE INTO archive_lookups (url, day, answer, looked_up_at)"
            " VALUES (?, ?, ?, ?)",
            (url, day, json.dumps(answer), dt.datetime.now(dt.UTC).isoformat()),
        )


HistoryStore = SqliteHistory
"""The name of :class:`SqliteHistory` in factlinks 0.x (public, kept)."""

_COLUMNS = ", ".join(RESULT_COLUMNS)
_PARAMETERS = ", ".join(f":{name}" for name in RESULT_COLUMNS)


def open_path(path: str | os.PathLike[str]) -> SqliteHistory:
    """The SQLite history at the file ``path``, open and locked.

    Raises:
        StateError: it is locked by another run, corrupt, or from a newer factlinks.
    """
    store = SqliteHistory(path)
    store.open()
    return store


def open_url(url: str) -> SqliteHistory:
    """The SQLite history named by ``sqlite:///relative/path`` or ``sqlite:////absolute/path``.

    Raises:
        StateError: ``url`` names no file, or :func:`open_path` refuses it.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StateError(
            f"{url}: a SQLite history URL is sqlite:///relative/path or sqlite:////absolute/path"
        )
    return open_path(url[len(prefix) :])


class StoredArchiveCache:
    """The archive look-up cache of a history backend (keyed by API, URL and day)."""

    def __init__(self, store: HistoryBackend, api: str) -> None:
        self._store = store
        self._api = api

    def get(self, url: str, day: str) -> LookupAnswer | None:
        """A cached answer, if any."""
        data = self._store.archive_answer(f"{self._api} {url}", day)
        return LookupAnswer.from_dict(data) if data else None

    def put(self, url: str, day: str, answer: LookupAnswer) -> None:
        """Cache an answer."""
        self._store.store_archive_answer(f"{self._api} {url}", day, answer.as_dict())
