"""What the SQL history backends share: the schema, its versions, every query, run recording.

SQLite (:mod:`.sqlite`) and PostgreSQL (:mod:`.postgres`) keep the same tables (``runs``,
``results``, ``archive_lookups``) with the codec's columns (:data:`.codec.RESULT_COLUMNS`),
migrated through the same numbered versions (:data:`SCHEMA_VERSION`, :data:`MIGRATIONS`), and
run the same statements. A backend subclasses :class:`SqlHistory` and supplies only its
connection: how a statement runs, what a transaction is, where the schema version is kept and
how its errors read. The statements are written with ``:name`` parameters (SQLite's own
style); a backend with another style translates them (:func:`pyformat`).

One run, several writers: a run opened with a *run id* (``open_history(..., run_id=...)``,
``factlinks check --run-id``, ``FACTLINKS_RUN_ID``) is the one row of ``runs`` whose
``run_key`` is that id. Every process that records with the same id (the shards of one CI
run) adds its results to that run, each in its own transaction; the run spans from the
earliest start to the latest finish, and a shard recorded again (a retried CI job) replaces
its own results. Reading the history for a source ignores the run being written, so a retried
shard sees what the earlier runs saw, not its own first attempt. Runs without an id are
separate, as they always were (each is stored with a random key of its own).

The statements need SQLite 3.24 (``INSERT ... ON CONFLICT DO UPDATE``), not 3.35
(``RETURNING``), so the system SQLite of RHEL 8 and 9 will do.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import cache
from types import TracebackType
from typing import Any, ClassVar, Self

from .._errors import StateError
from .codec import RESULT_COLUMNS, decode_past, decode_row, encode_row, registry_key
from .interface import ResultRow, SourceHistory

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqlHistory", "pyformat"]

SCHEMA_VERSION = 4
"""The version of the history's tables that this factlinks writes (and migrates up to)."""

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE runs (
            id {serial},
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            registry TEXT
        )""",
        """CREATE TABLE results (
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
        )""",
        "CREATE INDEX results_by_source ON results (source_id, run_id)",
        """CREATE TABLE archive_lookups (
            url TEXT NOT NULL,
            day TEXT NOT NULL,
            answer TEXT NOT NULL,
            looked_up_at TEXT NOT NULL,
            PRIMARY KEY (url, day)
        )""",
    ),
    2: ("ALTER TABLE results ADD COLUMN archive TEXT",),
    3: (
        "ALTER TABLE runs ADD COLUMN run_key TEXT",
        "CREATE UNIQUE INDEX runs_by_key ON runs (run_key)",
    ),
    # What the schedule needs to reuse a verdict instead of checking (factlinks._schedule).
    4: (
        "ALTER TABLE results ADD COLUMN reason TEXT",
        "ALTER TABLE results ADD COLUMN entry_sha256 TEXT",
    ),
}
"""The statements that bring the tables from version ``n - 1`` to ``n``; ``{serial}`` is the
backend's auto-numbered integer primary key."""

_COLUMNS = ", ".join(RESULT_COLUMNS)

_HISTORY = (
    f"SELECT run_id, {_COLUMNS} FROM results"
    " WHERE source_id = :source_id AND url = :url"
    " AND run_id NOT IN (SELECT id FROM runs WHERE run_key = :run_key)"
    " ORDER BY run_id DESC"
)
_LATEST = (
    "SELECT {columns} FROM results r JOIN runs ON runs.id = r.run_id"
    " WHERE (CAST(:registry AS TEXT) IS NULL OR runs.registry = :registry)"
    " AND r.run_id = (SELECT max(r2.run_id) FROM results r2"
    "   JOIN runs x ON x.id = r2.run_id WHERE r2.source_id = r.source_id"
    "   AND (CAST(:registry AS TEXT) IS NULL OR x.registry = :registry))"
).format(columns=", ".join(f"r.{name}" for name in RESULT_COLUMNS))
# A run id that is already stored: the run spans the earliest start and the latest finish.
_RUN = (
    "INSERT INTO runs (started_at, finished_at, tool_version, registry, run_key)"
    " VALUES (:started_at, :finished_at, :tool_version, :registry, :run_key)"
    " ON CONFLICT (run_key) DO UPDATE SET"
    " started_at = CASE WHEN excluded.started_at < runs.started_at"
    "   THEN excluded.started_at ELSE runs.started_at END,"
    " finished_at = CASE WHEN excluded.finished_at > runs.finished_at"
    "   THEN excluded.finished_at ELSE runs.finished_at END"
)  # no RETURNING: SQLite has it only since 3.35, and RHEL 9 ships 3.34
_RUN_ID = "SELECT id, registry FROM runs WHERE run_key = :run_key"
_RESULT = (
    f"INSERT INTO results (run_id, {_COLUMNS})"
    f" VALUES (:run_id, {', '.join(f':{name}' for name in RESULT_COLUMNS)})"
)
# A shard recorded again (a retried CI job) replaces its own results; a source twice in one
# call stays an error.
_FORGET = "DELETE FROM results WHERE run_id = :run_id AND source_id = :source_id"
_ARCHIVE_GET = "SELECT answer FROM archive_lookups WHERE url = :url AND day = :day"
_ARCHIVE_PUT = (
    "INSERT INTO archive_lookups (url, day, answer, looked_up_at)"
    " VALUES (:url, :day, :answer, :looked_up_at)"
    " ON CONFLICT (url, day) DO UPDATE SET"
    " answer = excluded.answer, looked_up_at = excluded.looked_up_at"
)


class SqlHistory(ABC):
    """A history kept in SQL tables: everything but the connection.

    It implements :class:`~factlinks.HistoryBackend` for its subclasses, which provide the
    hooks below. Every method may raise :class:`~factlinks.StateError`.
    """

    SERIAL: ClassVar[str]
    """The DDL of an auto-numbered integer primary key (``{serial}`` in :data:`MIGRATIONS`)."""

    run_id: str | None
    """The run this history records into, shared with other writers (``None``: a new run)."""

    # -- what a backend provides -------------------------------------------------------------

    @abstractmethod
    def open(self) -> None:
        """Connect (or lock the file) and bring the schema up to date."""

    @abstractmethod
    def close(self) -> None:
        """Let go of the connection (and the lock); closing twice is harmless."""

    @property
    @abstractmethod
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""

    def __enter__(self) -> Self:
        if not self.is_open:  # open_history() returns it open
            self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the history is, for messages (without any password)."""

    @abstractmethod
    def _execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one statement that returns no rows."""

    @abstractmethod
    def _query(self, sql: str, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Run one statement and return its rows, each readable by column name."""

    @abstractmethod
    def _execute_many(self, sql: str, params: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement once for each set of parameters."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """One transaction: committed at the end, rolled back on any error (which is raised)."""

    @abstractmethod
    def _storage(self, doing: str) -> AbstractContextManager[None]:
        """Turn a driver error met while ``doing`` into a :class:`StateError` that says why."""

    @abstractmethod
    def _schema_version(self) -> int:
        """The schema version of the tables (0: none yet)."""

    @abstractmethod
    def _set_schema_version(self, version: int) -> None:
        """Store the schema version, inside the migration's transaction."""

    @abstractmethod
    def _schema_lock(self) -> AbstractContextManager[None]:
        """Keep other processes from migrating while this one does (taken outside any
        transaction, so that each migration's transaction sees what the last one did)."""

    # -- the schema --------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Bring the tables up to :data:`SCHEMA_VERSION`, one transaction per version.

        Raises:
            StateError: the tables are from a newer factlinks.
        """
        if self._current_schema() == SCHEMA_VERSION:
            return
        with self._schema_lock():
            # Read again: another process may have migrated while this one waited.
            for target in range(self._current_schema() + 1, SCHEMA_VERSION + 1):
                with self._transaction():
                    for statement in MIGRATIONS[target]:
                        self._execute(statement.format(serial=self.SERIAL))
                    self._set_schema_version(target)

    def _current_schema(self) -> int:
        """The tables' schema version, or :class:`StateError` if a newer factlinks made them."""
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.location} was written by a newer factlinks (schema {version}, "
                f"this one knows {SCHEMA_VERSION})"
            )
        return version

    # -- reading -----------------------------------------------------------------------------

    def history(self, source_id: str, url: str) -> SourceHistory:
        """What earlier runs saw of ``source_id`` at ``url`` (a changed URL starts afresh).

        The run being recorded (:attr:`run_id`) is not an earlier run: it is left out.
        """
        params = {"source_id": source_id, "url": url, "run_key": self.run_id}
        with self._storage("reading the history"):
            rows = self._query(_HISTORY, params)
        return SourceHistory.from_results([decode_past(row) for row in rows])

    def latest_results(self, registry: str | None = None) -> list[ResultRow]:
        """Each source's most recent result (of runs of ``registry``, if given).

        A later run with ``--only`` hides nothing.
        """
        with self._storage("reading the last results"):
            rows = self._query(_LATEST, {"registry": registry_key(registry)})
        return [decode_row(row) for row in rows]

    def runs(self) -> int:
        """How many runs are stored (the shards of one run id count once)."""
        with self._storage("counting the runs"):
            [row] = self._query("SELECT count(*) AS runs FROM runs", {})
        return int(row["runs"])

    # -- writing -----------------------------------------------------------------------------

    def record_run(
        self,
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        tool_version: str,
        registry: str | None,
        rows: Iterable[ResultRow],
    ) -> int:
        """Store one complete run (or, with a run id, one writer's part of it) and its
        results in one transaction; return the run's number (``runs.id``).

        Writers of one run id wait for each other only here, each for the others'
        transactions on the run's row: their results never collide (the shards' sources
        are disjoint).

        Raises:
            StateError: the run cannot be stored (nothing of it is): the message names the
                cause, e.g. "disk full while recording the run in .factlinks/state.db"; or
                the run id is already a run of another registry.
        """
        key = registry_key(registry)
        run = {
            "started_at": started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "tool_version": tool_version,
            "registry": key,
            # A run of its own gets a key no other run has, so it is found again below.
            "run_key": self.run_id or f"run-{uuid.uuid4()}",
        }
        with self._storage("recording the run"), self._transaction():
            self._execute(_RUN, run)
            [stored] = self._query(_RUN_ID, run)
            if stored["registry"] != key:
                raise StateError(
                    f"run id {self.run_id!r} in {self.location} is a run of "
                    f"{stored['registry'] or 'sources given in Python'}, not of "
                    f"{key or 'sources given in Python'}: give each registry's runs "
                    "their own --run-id"
                )
            run_id = int(stored["id"])
            for batch in _batches(rows):
                if self.run_id is not None:
                    forget = [{"run_id": run_id, "source_id": row.source_id} for row in batch]
                    self._execute_many(_FORGET, forget)
                encoded = [{**encode_row(row), "run_id": run_id} for row in batch]
                self._execute_many(_RESULT, encoded)
        return run_id

    # -- archive look-ups --------------------------------------------------------------------

    def archive_answer(self, url: str, day: str) -> dict[str, Any] | None:
        """A cached archive look-up for ``url`` near ``day``."""
        with self._storage("reading the archive cache"):
            rows = self._query(_ARCHIVE_GET, {"url": url, "day": day})
        return dict(json.loads(rows[0]["answer"])) if rows else None

    def store_archive_answer(self, url: str, day: str, answer: dict[str, Any]) -> None:
        """Cache an archive look-up (outside the run transaction: it is never wrong later)."""
        params = {
            "url": url,
            "day": day,
            "answer": json.dumps(answer),
            "looked_up_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        with self._storage("caching an archive look-up"):
            self._execute(_ARCHIVE_PUT, params)


_BATCH = 1_000
"""Rows written per statement batch: a run's rows are never all in memory at once."""


def _batches(rows: Iterable[ResultRow]) -> Iterator[list[ResultRow]]:
    """``rows`` in lists of up to :data:`_BATCH` (``itertools.batched`` is Python 3.12)."""
    it = iter(rows)
    while batch := list(itertools.islice(it, _BATCH)):
        yield batch


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@cache
def pyformat(sql: str) -> str:
    """``sql`` with its ``:name`` parameters written ``%(name)s`` (psycopg's style).

    Example: ``pyformat("SELECT 1 WHERE a = :a")`` is ``"SELECT 1 WHERE a = %(a)s"``.
    """
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
