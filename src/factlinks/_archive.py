"""Archive rescue: find a Wayback Machine copy of a dead or drifted source, and verify it.

The Internet Archive's availability API (``GET {api}?url=…&timestamp=YYYYMMDD``) names the
capture closest to a date. That capture may be *later* than the citation and already show
the parked domain or the 'not found' page, so :class:`ArchiveRescuer` prefers a good capture
(status 200) at or before the citation date, asks a second time for an earlier one when the
first answer is later or not a 200, and then fetches the chosen snapshot and checks that the
expected title is there. No other tool in this field checks its archive suggestions.

Everything goes through the run's fetch function, so ``--remap``, retries, limits and the
User-Agent apply to the archive as to any other host. Nothing here raises for an archive that
does not answer, answers garbage or has no copy: the outcome is ``None`` or an
:class:`ArchiveCopy` whose ``verified`` says how far it can be trusted.

Example::

    rescuer = ArchiveRescuer(
        api=DEFAULT_ARCHIVE_API, fetch=fetcher.fetch, verify=verify, cache=InMemoryArchiveCache()
    )
    copy = await rescuer.rescue(source, since=first_seen)
    if copy is not None and copy.verified:
        print(copy.url)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard
from urllib.parse import quote, urlencode, urlsplit

from ._models import ArchiveCopy, FetchResult, Source, TitleEvidence

__all__ = [
    "DEFAULT_ARCHIVE_API",
    "ArchiveCache",
    "ArchiveCopy",
    "ArchiveRescuer",
    "InMemoryArchiveCache",
    "LookupAnswer",
    "Verify",
]

DEFAULT_ARCHIVE_API = "https://archive.org/wayback/available"
"""The Internet Archive's Wayback Machine availability API."""

EARLIER_AT_LEAST = dt.timedelta(days=365)
"""How far before the citation date the second look-up asks, at least (see :meth:`rescue`)."""

_TIMESTAMP_RE = re.compile(r"\d{14}")
_WAYBACK_PATH_RE = re.compile(r"^/web/(\d{14})[a-z_]*/(.+)$")

Fetch = Callable[[str], Awaitable[FetchResult]]
"""Fetch one URL for the run (``Fetcher.fetch``): never raises for a URL's failure."""

Verify = Callable[[FetchResult, str | None], Awaitable[TitleEvidence | None]]
"""Look for a title in a fetched body; ``None`` when the body's title cannot be checked."""


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


@dataclass(frozen=True, slots=True)
class _Candidate:
    url: str
    timestamp: str
    status: str | None

    @property
    def captured_at(self) -> dt.datetime:
        return _parse_timestamp(self.timestamp)


class ArchiveRescuer:
    """Finds and verifies Wayback Machine copies of sources, within one run.

    Parameters:
        api: the availability API endpoint (:data:`DEFAULT_ARCHIVE_API`, or ``--archive-api``).
        fetch: the run's fetch function (``Fetcher.fetch``); the API and the snapshots are
            fetched through it, so remap rules, retries and limits apply.
        verify: looks for a title in a fetched snapshot (the pipeline parses with the run's
            ``Parser`` and returns its ``TitleEvidence``); ``None`` when it cannot tell.
        cache: where availability answers are kept (the history store, or
            :class:`InMemoryArchiveCache`).

    Example::

        rescuer = ArchiveRescuer(
            api=DEFAULT_ARCHIVE_API, fetch=fetcher.fetch, verify=verify, cache=cache
        )
        copy = await rescuer.rescue(source, since=None)
    """

    def __init__(
        self,
        *,
        api: str,
        fetch: Fetch,
        verify: Verify,
        cache: ArchiveCache,
    ) -> None:
        self._api = api
        self._fetch = fetch
        self._verify = verify
        self._cache = cache
        self.lookups = 0
        """Availability API requests sent so far (cache hits not counted)."""

    async def rescue(self, source: Source, *, since: dt.date | None) -> ArchiveCopy | None:
        """The best archived copy of ``source``, verified; ``None`` when there is none.

        The target date is ``source.accessed``, else ``since`` (the first-seen date from the
        history), else none (the API then names the newest capture). When the closest capture
        is later than the target date, or was not captured with status 200, one more look-up
        asks at the target date minus the larger of one year and the distance to that capture
        (with no target date: one year before that capture). Nothing between the target date
        and that distance exists, so the second look-up can only find earlier captures, and it
        reaches back at least two years: far enough for the gap before a site's relaunch, and
        still near the citation.

        Candidates are ranked: captured with status 200 first, then at or before the target
        day, then nearest to it. They are verified in that order: a snapshot that answers
        non-2xx is ``verified=False``; with a title, ``verified`` is whether the snapshot shows
        it; without one, a 2xx answer is ``verified=None``. The first verified copy wins;
        otherwise the best of them (``None`` before ``False``) is returned, so a report can say
        "an archive copy exists but does not show the title".

        Never raises for an archive that does not answer or answers garbage: such a look-up
        gives ``None`` and is not cached.
        """
        target = source.accessed or since
        first = await self._lookup(source.url, target)
        if first is None:
            return None
        candidates = [first]
        if not _good(first, target):
            anchor = target or first.captured_at.date()
            distance = abs(first.captured_at.date() - anchor) if target else dt.timedelta()
            second = await self._lookup(source.url, anchor - max(distance, EARLIER_AT_LEAST))
            if second is not None and second.timestamp != first.timestamp:
                candidates.append(second)
        candidates.sort(key=lambda c: _rank(c, target))
        return await self._best_verified(source, candidates)

    async def _best_verified(
        self, source: Source, candidates: list[_Candidate]
    ) -> ArchiveCopy | None:
        best: ArchiveCopy | None = None
        for candidate in candidates:
            copy = await self._check(source, candidate)
            if copy.verified is True or (copy.verified is None and source.title is None):
                return copy
            if best is None or (best.verified is False and copy.verified is None):
                best = copy
        return best

    async def _lookup(self, url: str, day: dt.date | None) -> _Candidate | None:
        """The capture the API names for ``url`` near ``day``; ``None`` if none or no answer."""
        key = day.strftime("%Y%m%d") if day is not None else ""
        answer = self._cache.get(url, key)
        if answer is None:
            answer = await self._ask(url, key)
            if answer is None:
                return None
            self._cache.put(url, key, answer)
        if not answer.available or answer.url is None or answer.timestamp is None:
            return None
        return _Candidate(answer.url, answer.timestamp, answer.status)

    async def _ask(self, url: str, day: str) -> LookupAnswer | None:
        """Ask the API; ``None`` when it gives no usable answer (not cached)."""
        params = {"url": url, "timestamp": day} if day else {"url": url}
        query = urlencode(params, quote_via=quote)
        separator = "&" if "?" in self._api else "?"
        self.lookups += 1
        result = await self._fetch(f"{self._api}{separator}{query}")
        if result.status_code != 200:
            return None
        return _parse_answer(result.body)

    async def _check(self, source: Source, candidate: _Candidate) -> ArchiveCopy:
        """Fetch ``candidate`` and say whether it shows ``source``'s title."""
        result = await self._fetch(candidate.url)
        url, timestamp = _landed_on(candidate, result)
        when = _parse_timestamp(timestamp).date().isoformat()

        def copy(verified: bool | None, detail: str) -> ArchiveCopy:
            return ArchiveCopy(url, timestamp, candidate.status, verified, detail)

        if result.failure is not None:
            reason = result.failure.detail
            return copy(False, f"the archive copy of {when} could not be fetched: {reason}")
        if not result.ok:
            return copy(False, f"the archive copy of {when} answered {result.status_code}")
        if source.title is None:
            return copy(None, f"the archive copy of {when} answers {result.status_code}")
        evidence = await self._verify(result, source.title)
        if evidence is None:
            return copy(None, f"the archive copy of {when} answers, but its title cannot be read")
        if evidence.matched:
            where = f" ({evidence.where})" if evidence.where else ""
            return copy(True, f"the archive copy of {when} shows the title{where}")
        found = f"; it is called {evidence.found!r}" if evidence.found else ""
        return copy(False, f"the archive copy of {when} does not show the title{found}")


def _good(candidate: _Candidate, target: dt.date | None) -> bool:
    """A capture that needs no second look-up: a 200 at or before the target day."""
    if candidate.status != "200":
        return False
    return target is None or candidate.captured_at.date() <= target


def _rank(candidate: _Candidate, target: dt.date | None) -> tuple[bool, bool, float]:
    """Sort key: status 200 first, then at or before ``target``, then nearest to it."""
    not_200 = candidate.status != "200"
    if target is None:
        # No date to be near: the newer capture first (the API's own answer is the newest).
        return (not_200, False, -candidate.captured_at.timestamp())
    captured = candidate.captured_at
    later = captured.date() > target
    midnight = dt.datetime.combine(target, dt.time(), tzinfo=dt.UTC)
    return (not_200, later, abs((captured - midnight).total_seconds()))


def _landed_on(candidate: _Candidate, result: FetchResult) -> tuple[str, str]:
    """The snapshot URL and timestamp actually served.

    The Wayback Machine redirects a snapshot URL to the nearest capture it can play back (and
    ``http`` to ``https``); the copy to cite is the one that was verified.
    """
    if result.ok and result.final_url != candidate.url:
        path = urlsplit(result.final_url).path
        match = _WAYBACK_PATH_RE.match(path)
        if match is not None and _valid_timestamp(match.group(1)):
            return result.final_url, match.group(1)
    return candidate.url, candidate.timestamp


def _parse_answer(body: bytes) -> LookupAnswer | None:
    """The availability API's JSON answer, or ``None`` when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    snapshots = data.get("archived_snapshots")
    if not isinstance(snapshots, dict):
        return None
    closest = snapshots.get("closest")
    if closest is None:
        return LookupAnswer(None, None, None, available=False)
    if not isinstance(closest, dict):
        return None
    if closest.get("available") is False:
        return LookupAnswer(None, None, None, available=False)
    status = closest.get("status")
    return LookupAnswer.from_dict(
        {
            "url": closest.get("url"),
            "timestamp": closest.get("timestamp"),
            "status": status if isinstance(status, str) else None,
            "available": True,
        }
    )


def _valid_timestamp(value: object) -> TypeGuard[str]:
    if not isinstance(value, str) or not _TIMESTAMP_RE.fullmatch(value):
        return False
    try:
        _parse_timestamp(value)
    except ValueError:
        return False
    return True


def _valid_snapshot_url(value: object) -> TypeGuard[str]:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _parse_timestamp(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
