"""The Internet Archive's Wayback Machine, through its availability API.

``GET {api}?url=…&timestamp=YYYYMMDD`` names the capture closest to a date (either side), or
the newest without a date; ``{"archived_snapshots": {}}`` when there is none. Answers are kept
in an :class:`~factlinks._archive.interface.ArchiveCache` (the history store between runs), so a
nightly run does not ask again what it asked yesterday; failed look-ups are not cached.

Example::

    service = WaybackService(api=DEFAULT_ARCHIVE_API, fetch=fetcher.fetch, cache=cache)
    capture = await service.lookup("https://www.example.org/x.pdf", dt.date(2021, 2, 15))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, urlencode, urlsplit

from .._options import CheckOptions
from .interface import (
    ArchiveCache,
    ArchiveService,
    Capture,
    Fetch,
    InMemoryArchiveCache,
    LookupAnswer,
    _valid_timestamp,
)

__all__ = ["DEFAULT_ARCHIVE_API", "WAYBACK_HOSTS", "WaybackService"]

DEFAULT_ARCHIVE_API = "https://archive.org/wayback/available"
"""The Internet Archive's Wayback Machine availability API."""

WAYBACK_HOSTS = frozenset({"web.archive.org", "wayback.archive.org", "archive.org"})
"""The hosts that play back Wayback captures (``https://web.archive.org/web/<time>/<url>``)."""

_WAYBACK_PATH_RE = re.compile(r"^/web/(\d{4,14})[a-z_]*/(.+)$")
"""A capture's path: ``/web/`` + a (possibly partial) time + an optional mode + the URL."""


class WaybackService(ArchiveService):
    """The Wayback Machine's availability API as an :class:`ArchiveService`.

    Parameters:
        api: the availability API endpoint (:data:`DEFAULT_ARCHIVE_API`, or ``--archive-api``).
        fetch: the run's fetch function (``Fetcher.fetch``); the API is asked through it.
        cache: where answers are kept (the history store's, or :class:`InMemoryArchiveCache`).
        hosts: the hosts whose ``/web/<time>/<url>`` URLs :meth:`is_capture` recognises.
    """

    name = "wayback"

    def __init__(
        self,
        *,
        api: str,
        fetch: Fetch,
        cache: ArchiveCache,
        hosts: Iterable[str] = WAYBACK_HOSTS,
    ) -> None:
        self.api = api
        """The availability API endpoint."""
        self._fetch = fetch
        self._cache = cache
        self._hosts = frozenset(host.lower() for host in hosts)
        self.lookups = 0
        """Availability API requests sent so far (cache hits not counted)."""

    @classmethod
    def from_options(
        cls, options: CheckOptions, *, fetch: Fetch, cache: ArchiveCache | None = None
    ) -> WaybackService:
        """The service for ``options.archive_api`` (:data:`DEFAULT_ARCHIVE_API` when unset)."""
        return cls(
            api=options.archive_api or DEFAULT_ARCHIVE_API,
            fetch=fetch,
            cache=cache if cache is not None else InMemoryArchiveCache(),
        )

    async def lookup(self, url: str, near: dt.date | None) -> Capture | None:
        """The capture the API names for ``url`` near ``near``; ``None`` if none or no answer."""
        key = near.strftime("%Y%m%d") if near is not None else ""
        answer = self._cache.get(url, key)
        if answer is None:
            answer = await self._ask(url, key)
            if answer is None:
                return None
            self._cache.put(url, key, answer)
        if not answer.available or answer.url is None or answer.timestamp is None:
            return None
        return Capture(answer.url, answer.timestamp, url, answer.status)

    def is_capture(self, url: str) -> bool:
        """Whether ``url`` is a Wayback capture, e.g. ``https://web.archive.org/web/2020…/…``.

        A partial time (``/web/2021/…``, which the Wayback Machine redirects to the nearest
        capture) counts; the listing ``/web/*/…`` does not.
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or parts.hostname not in self._hosts:
            return False
        return _WAYBACK_PATH_RE.match(parts.path) is not None

    def served(self, capture: Capture, final_url: str) -> Capture:
        """The capture named by ``final_url`` when the Wayback Machine redirected to another.

        It redirects a snapshot URL to the nearest capture it can play back (and ``http`` to
        ``https``). Only the path is read, so a mirror's captures are followed too.
        """
        if final_url == capture.url:
            return capture
        match = _WAYBACK_PATH_RE.match(urlsplit(final_url).path)
        if match is None or not _valid_timestamp(match.group(1)):
            return capture
        return dataclasses.replace(capture, url=final_url, timestamp=match.group(1))

    async def _ask(self, url: str, day: str) -> LookupAnswer | None:
        """Ask the API; ``None`` when it gives no usable answer (not cached)."""
        params = {"url": url, "timestamp": day} if day else {"url": url}
        query = urlencode(params, quote_via=quote)
        separator = "&" if "?" in self.api else "?"
        self.lookups += 1
        result = await self._fetch(f"{self.api}{separator}{query}")
        if result.status_code != 200:
            return None
        return _parse_answer(result.body)


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
