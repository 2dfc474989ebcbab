"""The archive seam: what an archive *service* does, and the values it hands over.

An :class:`ArchiveService` knows one web archive: it looks up the capture of a URL nearest to a
date, and recognises its own capture URLs. It knows nothing of citations, titles or ranking:
that is the rescue strategy's work (:class:`~factlinks._archive.rescue.ArchiveRescuer`). A
service does its HTTP through the run's fetch function, passed in, never through a client of
its own, so ``--remap``, retries, limits and the User-Agent apply to the archive too; and it
never raises for an archive that does not answer or answers garbage: that look-up is ``None``.

A second service is one class that implements :class:`ArchiveService`, plus one line in
:data:`~factlinks._archive.SERVICES`. Example::

    class ToyArchive(ArchiveService):
        name = "toy"

        async def lookup(self, url: str, near: dt.date | None) -> Capture | None:
            when = "20200101000000"
            return Capture(f"https://toy.example/{when}/{url}", when, url, "200")

        def is_capture(self, url: str) -> bool:
            return url.startswith("https://toy.example/")

The look-up cache (:class:`ArchiveCache`, its :class:`LookupAnswer` values and
:class:`InMemoryArchiveCache`) lives here too: the history store implements the Protocol.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeGuard
from urllib.parse import urlsplit

from .._models import FetchResult

__all__ = [
    "ArchiveCache",
    "ArchiveService",
    "Capture",
    "Fetch",
    "InMemoryArchiveCache",
    "LookupAnswer",
]

Fetch = Callable[[str], Awaitable[FetchResult]]
"""Fetch one URL for the run (``Fetcher.fetch``): never raises for a URL's failure."""

_TIMESTAMP_RE = re.compile(r"\d{14}")


@dataclass(frozen=True, slots=True)
class Capture:
    """One capture of a URL in a web archive, as a service names it.

    Raises ``ValueError`` when ``timestamp`` is not a real ``YYYYMMDDhhmmss`` time or ``url``
    is not an http(s) URL with a host: a service checks the archive's answer before it builds
    one.

    Example::

        Capture(
            url="https://web.archive.org/web/20210210093000/https://www.example.org/x.pdf",
            timestamp="20210210093000",
            original="https://www.example.org/x.pdf",
            status="200",
        )
    """

    url: str
    """Where the capture is played back (the snapshot URL to fetch and to cite)."""
    timestamp: str
    """When it was captured, ``YYYYMMDDhhmmss`` (UTC), as :class:`~factlinks.ArchiveCopy` has it."""
    original: str
    """The URL that was looked up (the cited URL)."""
    status: str | None
    """The HTTP status the archive recorded at capture time (``"200"``, ``"404"``, ...), as
    text; ``None`` when the archive does not say."""

    def __post_init__(self) -> None:
        if not _valid_timestamp(self.timestamp):
            raise ValueError(f"not a YYYYMMDDhhmmss capture time: {self.timestamp!r}")
        if not _valid_snapshot_url(self.url):
            raise ValueError(f"not an http(s) capture URL: {self.url!r}")

    @property
    def captured_at(self) -> dt.datetime:
        """:attr:`timestamp` as an aware UTC datetime."""
        return _parse_timestamp(self.timestamp)


class ArchiveService(abc.ABC):
    """A web archive that can name the capture of a URL nearest to a date.

    Implementations take the run's fetch function (:data:`Fetch`) and, if they cache, an
    :class:`ArchiveCache`; they never open an HTTP client of their own and never raise for an
    archive that is down or answers garbage.
    """

    name: ClassVar[str]
    """A short name, the key in :data:`~factlinks._archive.SERVICES` (``"wayback"``)."""

    @abc.abstractmethod
    async def lookup(self, url: str, near: dt.date | None) -> Capture | None:
        """The capture of ``url`` closest to ``near`` (either side); the newest without a date.

        ``None`` when the archive has no capture, or gives no usable answer.
        """

    @abc.abstractmethod
    def is_capture(self, url: str) -> bool:
        """Whether ``url`` is already a capture URL of this archive (not a live page)."""

    def served(self, capture: Capture, final_url: str) -> Capture:
        """The capture actually played back when fetching ``capture.url`` ended at ``final_url``.

        Archives redirect a capture URL to the nearest capture they can play back; the copy to
        cite is the one that was verified. The default says ``capture`` itself; a service
        whose capture URLs carry their time (Wayback) reads the new one from ``final_url``.
        """
        return capture


@dataclass(frozen=True, slots=True)
class LookupAnswer:
    """One answer of the availability API, as it is cached.

    ``available`` False (with the other fields ``None``) is the API's "no copy" answer; it is a
    real answer and is cached like a found one. Failed look-ups are never cached.
    """

    url: str | None
    """The snapshot URL the API named."""
    timestamp: str | None
    """The snapshot's capture time, ``YYYYMMDDhhmmss``."""
    status: str | None
    """The HTTP status recorded at capture time (``"200"``, ``"404"``, ...)."""
    available: bool
    """Whether the API named a snapshot."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, for stores that keep answers as JSON."""
        return {
            "url": self.url,
            "timestamp": self.timestamp,
            "status": self.status,
            "available": self.available,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LookupAnswer | None:
        """The answer :meth:`as_dict` gave, or ``None`` when ``data`` is not one."""
        available = data.get("available")
        if not isinstance(available, bool):
            return None
        if not available:
            return cls(None, None, None, available=False)
        url, timestamp, status = data.get("url"), data.get("timestamp"), data.get("status")
        if not _valid_snapshot_url(url) or not _valid_timestamp(timestamp):
            return None
        if status is not None and not isinstance(status, str):
            return None
        return cls(url, timestamp, status, available=True)


class ArchiveCache(Protocol):
    """Where availability answers are kept between runs (the history store implements it).

    ``url`` is the cited URL; ``day`` is the ``timestamp`` parameter asked (``YYYYMMDD``), or
    ``""`` when the look-up asked for no date (the newest capture).
    """

    def get(self, url: str, day: str) -> LookupAnswer | None:
        """The cached answer for ``url`` near ``day``, if any."""
        ...

    def put(self, url: str, day: str, answer: LookupAnswer) -> None:
        """Remember ``answer`` for ``url`` near ``day``."""
        ...


class InMemoryArchiveCache:
    """An :class:`ArchiveCache` in a dict, for tests and runs without a state database."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], LookupAnswer] = {}
        """The cached answers by ``(url, day)``."""

    def get(self, url: str, day: str) -> LookupAnswer | None:
        """The cached answer for ``url`` near ``day``, if any."""
        return self.answers.get((url, day))

    def put(self, url: str, day: str, answer: LookupAnswer) -> None:
        """Remember ``answer`` for ``url`` near ``day``."""
        self.answers[(url, day)] = answer


def _valid_timestamp(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a real ``YYYYMMDDhhmmss`` time."""
    if not isinstance(value, str) or not _TIMESTAMP_RE.fullmatch(value):
        return False
    try:
        _parse_timestamp(value)
    except ValueError:
        return False
    return True


def _valid_snapshot_url(value: object) -> TypeGuard[str]:
    """Whether ``value`` is an http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _parse_timestamp(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
