"""The SQLite history backend: every run and every result in ``.factlinks/state.db``.

A run's results are written in one transaction when the run is complete, so a run that is
killed half-way leaves the previous state as it was. While a run uses the database it holds
an exclusive lock on the database file itself and on ``state.db.lock`` next to its real
path (symbolic links and ``..`` resolved); a second run on the same database is refused,
whatever name it is given (a symlink, a hard link, a relative path). The schema is
versioned and migrated forward when an older database is opened.

Storage errors name their cause: a full disk, a read-only file or folder, an I/O error, a
database locked by another program or a corrupt one each become a
:class:`~factlinks.StateError` that says so and what was being done ("disk full while
recording the run in .factlinks/state.db"); a failed rollback never hides the first error.

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
from .._files import check_writable_dir
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
        folder = Path(os.path.realpath(self.path)).parent  # where sqlite puts its journal
        try:
            check_writable_dir(folder, create=True)
        except OSError as exc:
            raise StateError(
                f"cannot use {self.path}: cannot create files in {folder}: {exc.strerror or exc}"
            ) from exc
        self._acquire_lock()
        try:
            with self._storage("opening the history"):
                self._db = sqlite3.connect(self.path, isolation_level=None)
                self._db.row_factory = sqlite3.Row  # rows are read by column name
                self._db.execute("PRAGMA foreign_keys = ON")
                self._migrate()
        except BaseException:
            self.close()
            raise

    def _acquire_lock(self) -> None:
        """Lock ``<real path>.lock`` and the database file itself (by inode), or refuse."""
        real = Path(os.path.realpath(self.path))
        handles: list[Any] = []
        try:
            handles.append(open(real.with_name(real.name + ".lock"), "a+"))  # noqa: SIM115
            # The database file too: a hard link has another lock file, not another inode.
            handles.append(open(real, "ab"))  # noqa: SIM115 - created empty: a valid database
            for handle in handles:
                _lock_exclusively(handle)
        except BlockingIOError:
            for handle in handles:
                handle.close()
            raise StateError(
                f"another factlinks run is using {self.path}; wait for it to finish "
                "(or pass --state with another path, or --no-state)"
            ) from None
        except OSError as exc:
            for handle in handles:
                handle.close()
            raise StateError(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        self._lock = handles

    def close(self) -> None:
        """Release the database and its lock."""
        if self._db is not None:
            self._db.close()
            self._db = None
        for handle in self._lock or ():
            handle.close()
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
        """One transaction; on any error it is rolled back and the *first* error raised.

        SQLite rolls back by itself on some errors (a full disk, an I/O error), so ROLLBACK
        is sent only while a transaction is open, and its own failure is never raised.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _storage(self, doing: str) -> Iterator[None]:
        """Turn a ``sqlite3`` error met while ``doing`` into a :class:`StateError` that says
        why (disk full, read-only, I/O error, locked, corrupt)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StateError(storage_message(exc, doing, self.path)) from exc

    # -- reading -----------------------------------------------------------------------------

    def history(self, source_id: str, url: str) -> SourceHistory:
        """What earlier runs saw of ``source_id`` at ``url`` (a changed URL starts afresh)."""
        with self._storage("reading the history"):
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
        with self._storage("reading the last results"):
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
        with self._storage("counting the runs"):
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
        """Store one complete run and its results in one transaction; return the run id.

        Raises:
            StateError: the run cannot be stored (nothing of it is): the message names the
                cause, e.g. "disk full while recording the run in .factlinks/state.db".
        """
        with self._storage("recording the run"), self._transaction():
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
        with self._storage("reading the archive cache"):
            row = self.db.execute(
                "SELECT answer FROM archive_lookups WHERE url = ? AND day = ?", (url, day)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def store_archive_answer(self, url: str, day: str, answer: dict[str, Any]) -> None:
        """Cache an archive look-up (outside the run transaction: it is never wrong later)."""
        with self._storage("caching an archive look-up"):
            self.db.execute(
                "INSERT OR REPLACE INTO archive_lookups (url, day, answer, looked_up_at)"
                " VALUES (?, ?, ?, ?)",
                (url, day, json.dumps(answer), dt.datetime.now(dt.UTC).isoformat()),
            )


def _lock_exclusively(handle: Any) -> None:
    """``flock`` ``handle`` without waiting (:class:`BlockingIOError` if another has it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


_CAUSES: dict[int, str] = {
    sqlite3.SQLITE_FULL: "disk full",
    sqlite3.SQLITE_READONLY: "read-only file or folder",
    sqlite3.SQLITE_IOERR: "I/O error",
    sqlite3.SQLITE_BUSY: "database locked by another program",
    sqlite3.SQLITE_LOCKED: "database locked by another program",
    sqlite3.SQLITE_CANTOPEN: "cannot open the database file",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_AUTH: "permission denied",
}
"""What a primary SQLite result code means, for people."""
_UNUSABLE = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def storage_message(exc: sqlite3.Error, doing: str, path: os.PathLike[str] | str) -> str:
    """Why the history failed, for people.

    Example: ``disk full while recording the run in .factlinks/state.db (database or disk
    is full)``.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _UNUSABLE:
        return f"{os.fspath(path)}: not a usable factlinks state database ({exc})"
    cause = _CAUSES.get(primary) if primary is not None else None
    if cause is None:
        return f"{os.fspath(path)}: SQLite error while {doing}: {exc}"
    return f"{cause} while {doing} in {os.fspath(path)} ({exc})"


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
