"""The SQLite history backend: every run and every result in ``.factlinks/state.db``.

A run's results are written in one transaction when the run is complete, so a run that is
killed half-way leaves the previous state as it was. While a run uses the database it holds
an exclusive lock on the database file itself and on ``state.db.lock`` next to its real
path (symbolic links and ``..`` resolved); a second run on the same database is refused,
whatever name it is given (a symlink, a hard link, a relative path). The schema is
versioned and migrated forward when an older database is opened. The tables, the queries
and how a run is recorded are those of every SQL backend (:mod:`.sql`); the version is kept
in ``PRAGMA user_version``.

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
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._archive import LookupAnswer
from .._errors import StateError
from .._files import check_writable_dir
from .interface import HistoryBackend
from .sql import SCHEMA_VERSION, SqlHistory

__all__ = [
    "SCHEMA_VERSION",
    "HistoryStore",
    "SqliteHistory",
    "StoredArchiveCache",
    "open_path",
    "open_url",
]


class SqliteHistory(SqlHistory):
    """The SQLite history at ``path``; use as a context manager around one run.

    ``with SqliteHistory(path) as history:`` opens it (so does :meth:`open`, or
    :func:`factlinks.open_history`); it implements :class:`HistoryBackend`. With a
    ``run_id``, :meth:`record_run` adds to the run of that id (see :mod:`.sql`); the lock
    still admits one process at a time.

    Raises:
        StateError: the database is locked by another run, corrupt, or from a newer
            factlinks.
    """

    SERIAL = "INTEGER PRIMARY KEY"

    def __init__(self, path: str | os.PathLike[str], *, run_id: str | None = None) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self._lock: Any = None
        self._db: sqlite3.Connection | None = None

    @property
    def location(self) -> str:
        """The database's path, as given."""
        return os.fspath(self.path)

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""
        return self._db is not None

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

    def _schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _set_schema_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def _schema_lock(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to take: this process holds the database's lock already."""
        return contextlib.nullcontext()

    def _execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.db.execute(sql, params or {})

    def _query(self, sql: str, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return list(self.db.execute(sql, params).fetchall())

    def _execute_many(self, sql: str, params: Sequence[Mapping[str, Any]]) -> None:
        self.db.executemany(sql, params)

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


def open_path(path: str | os.PathLike[str], run_id: str | None = None) -> SqliteHistory:
    """The SQLite history at the file ``path``, open and locked.

    Raises:
        StateError: it is locked by another run, corrupt, or from a newer factlinks.
    """
    store = SqliteHistory(path, run_id=run_id)
    store.open()
    return store


def open_url(url: str, run_id: str | None = None) -> SqliteHistory:
    """The SQLite history named by ``sqlite:///relative/path`` or ``sqlite:////absolute/path``.

    Raises:
        StateError: ``url`` names no file, or :func:`open_path` refuses it.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StateError(
            f"{url}: a SQLite history URL is sqlite:///relative/path or sqlite:////absolute/path"
        )
    return open_path(url[len(prefix) :], run_id)


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
