"""The history seam: what a history backend keeps, and what the pipeline and the CLI ask of it.

A backend stores every run and its results, answers what earlier runs saw of a source, and
caches archive look-ups. SQLite (:mod:`factlinks._history.sqlite`) is the first backend; a new
one implements :class:`HistoryBackend` and registers a factory in
:data:`factlinks._history.BACKENDS`. The encoding of a result into a :class:`ResultRow` (and
of its parts into text) is owned by :mod:`factlinks._history.codec`.

Errors: a backend raises :class:`~factlinks.StateError` (a :class:`~factlinks.FactlinksError`)
when it is locked, corrupt, unreachable, out of space or from a newer factlinks; the message
names the cause and what was being done ("disk full while recording the run in …"). The
pipeline calls :meth:`HistoryBackend.record_run` last, after ``Runtime.on_report`` (where
the CLI writes the reports), so a backend never holds a run whose reports were lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from .._errors import StateError
from .._models import Inspection, Status, TitleEvidence

__all__ = [
    "RECENT_RUNS",
    "HistoryBackend",
    "PastResult",
    "ResultRow",
    "SourceHistory",
    "StateError",
    "StoredArchive",
    "StoredVerification",
]

RECENT_RUNS = 9
"""How many earlier runs a result's history lists."""
_FAILING = (Status.UNREACHABLE, Status.DEAD)
_GOOD = (Status.OK, Status.MOVED)


@dataclass(frozen=True, slots=True)
class StoredVerification:
    """The verification of a good (``ok``/``moved``) check, kept to be reused on a 304."""

    status: Status
    """The status of that check (``ok`` or ``moved``)."""
    reason: str
    """Its reason, as reported then."""
    new_url: str | None = None
    """For ``moved``: the URL to cite instead, as found then."""
    title: TitleEvidence | None = None
    """Where the title was found."""
    inspection: Inspection | None = None
    """What the document was: format, title candidates, pages and text hash (no problem)."""


@dataclass(frozen=True, slots=True)
class StoredArchive:
    """The archive copy a result pointed to, as stored (what ``fix --archive`` needs)."""

    url: str
    """The snapshot URL."""
    timestamp: str
    """When it was captured, ``YYYYMMDDhhmmss``."""
    verified: bool | None
    """Whether the copy showed the expected title (``None``: not checked)."""
    detail: str
    """One sentence for people: what was found."""


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One source's result of one run, as a history backend stores it.

    Built from a :class:`~factlinks.SourceResult` by
    :func:`~factlinks._history.codec.encode_result`.
    """

    source_id: str
    """The source's id in the registry."""
    url: str
    """The cited URL that was checked (a changed URL starts a new history)."""
    status: Status
    """The final status of the check."""
    checked_at: dt.datetime
    """When the source was checked (aware, UTC)."""
    http_status: int | None = None
    """The HTTP status of the final answer, if there was an answer."""
    final_url: str | None = None
    """The URL after redirects, if the source was fetched."""
    etag: str | None = None
    """The ``ETag`` validator (after a 304: the one that was confirmed)."""
    last_modified: str | None = None
    """The ``Last-Modified`` validator (after a 304: the one that was confirmed)."""
    body_sha256: str | None = None
    """SHA-256 of the body (after a 304: of the body that was confirmed)."""
    text_sha256: str | None = None
    """SHA-256 of the normalised text that was read, for change detection."""
    verification: StoredVerification | None = None
    """For a good check: what to reuse when the server next answers 304."""
    archive: StoredArchive | None = None
    """The archive copy found for a dead or drifted source."""
    reason: str | None = None
    """The result's reason, as reported (``None`` in rows of factlinks before schema 4)."""
    entry_sha256: str | None = None
    """The fingerprint of the registry entry that was checked
    (:func:`~factlinks._history.codec.entry_fingerprint`; ``None`` before schema 4): an entry
    that changed since is checked again whether it is due or not."""


@dataclass(frozen=True, slots=True)
class PastResult:
    """One stored result of an earlier run."""

    run_id: int
    """The run it belongs to; later runs have greater ids."""
    status: Status
    """Its final status."""
    url: str
    """The cited URL that was checked."""
    http_status: int | None
    """The HTTP status of the final answer."""
    final_url: str | None
    """The URL after redirects."""
    checked_at: dt.datetime
    """When it was checked."""
    etag: str | None
    """The ``ETag`` validator seen."""
    last_modified: str | None
    """The ``Last-Modified`` validator seen."""
    body_sha256: str | None
    """SHA-256 of the body."""
    text_sha256: str | None
    """SHA-256 of the normalised text."""
    verification: StoredVerification | None
    """The stored title evidence, inspection, reason and new URL of a good check."""
    archive: StoredArchive | None = None
    """The archive copy the result pointed to."""
    reason: str | None = None
    """The result's reason (``None`` when stored by factlinks before schema 4)."""
    entry_sha256: str | None = None
    """The fingerprint of the registry entry that was checked (``None`` before schema 4)."""

    @classmethod
    def of(cls, row: ResultRow, run_id: int) -> PastResult:
        """``row``, stored as part of run ``run_id``."""
        return cls(
            run_id=run_id,
            status=row.status,
            url=row.url,
            http_status=row.http_status,
            final_url=row.final_url,
            checked_at=row.checked_at,
            etag=row.etag,
            last_modified=row.last_modified,
            body_sha256=row.body_sha256,
            text_sha256=row.text_sha256,
            verification=row.verification,
            archive=row.archive,
            reason=row.reason,
            entry_sha256=row.entry_sha256,
        )


@dataclass(frozen=True, slots=True)
class SourceHistory:
    """What the history knows about one source before this run."""

    last: PastResult | None = None
    """The most recent result."""
    last_good: PastResult | None = None
    """The most recent ``ok``/``moved`` result."""
    failures: tuple[PastResult, ...] = ()
    """The current run of consecutive failing results, oldest first."""
    first_seen: dt.date | None = None
    """The date of the oldest stored result (``None`` for a new source)."""
    recent: tuple[Status, ...] = ()
    """The statuses of the last runs (at most :data:`RECENT_RUNS`), oldest first."""

    @property
    def first_failure(self) -> dt.datetime | None:
        """When the current run of failures began."""
        return self.failures[0].checked_at if self.failures else None

    @classmethod
    def from_results(cls, past: Sequence[PastResult]) -> SourceHistory:
        """The history told by ``past``, a source's stored results, newest first.

        Every backend builds its answer to :meth:`HistoryBackend.history` with this, so the
        rules (what counts as failing, as good, as recent) are the same for all.
        """
        if not past:
            return cls()
        failures: list[PastResult] = []
        for result in past:
            if result.status not in _FAILING:
                break
            failures.append(result)
        return cls(
            last=past[0],
            last_good=next((r for r in past if r.status in _GOOD), None),
            failures=tuple(reversed(failures)),
            first_seen=past[-1].checked_at.date(),
            recent=tuple(r.status for r in reversed(past[:RECENT_RUNS])),
        )


@runtime_checkable
class HistoryBackend(Protocol):
    """Where runs and their results are kept between runs.

    Obtain one with :func:`factlinks.open_history`; it is open and holds whatever lock it
    needs until :meth:`close` (or the end of a ``with`` block). Every method may raise
    :class:`~factlinks.StateError`.

    Example::

        with factlinks.open_history(".factlinks/state.db") as history:
            report = factlinks.check(sources, runtime=factlinks.Runtime(history=history))
    """

    def history(self, source_id: str, url: str) -> SourceHistory:
        """What earlier runs saw of ``source_id`` at ``url`` (a changed URL starts afresh)."""
        ...

    def record_run(
        self,
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        tool_version: str,
        registry: str | None,
        rows: Iterable[ResultRow],
    ) -> object:
        """Store one complete run and its results, all or nothing.

        ``rows`` is iterated once, and may be a generator: a run of 100,000 sources is
        recorded from its spool without holding every row.

        Runs are told apart by ``registry`` (the registry's path, or ``None``). A backend
        opened with a run id (``open_history(..., run_id=...)``) adds the rows to the run of
        that id, which other processes may add to as well (the SQL backends: see
        :mod:`factlinks._history.sql`). The return value is the backend's own (the SQL
        backends return the run's number); callers ignore it.
        """
        ...

    def latest_results(self, registry: str | None = None) -> list[ResultRow]:
        """Each source's most recent result (of runs of ``registry``, if given).

        A later run that checked only some sources hides nothing of the others.
        """
        ...

    def runs(self) -> int:
        """How many runs are stored."""
        ...

    def archive_answer(self, url: str, day: str) -> dict[str, Any] | None:
        """A cached archive look-up for ``url`` near ``day`` (a JSON-able object)."""
        ...

    def store_archive_answer(self, url: str, day: str, answer: dict[str, Any]) -> None:
        """Cache an archive look-up; it is kept even when the run is not recorded."""
        ...

    def close(self) -> None:
        """Release the backend and its lock; closing twice is harmless."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
