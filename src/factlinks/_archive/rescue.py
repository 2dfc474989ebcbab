"""Archive rescue: find an archived copy of a dead or drifted source, and verify it.

An archive service (:class:`~factlinks._archive.interface.ArchiveService`) names the capture
closest to a date. That capture may be *later* than the citation and already show the parked
domain or the 'not found' page, so :class:`ArchiveRescuer` prefers a good capture (status 200)
at or before the citation date, asks a second time for an earlier one when the first answer is
later or not a 200, and then fetches the chosen capture and checks that the expected title is
there. No other tool in this field checks its archive suggestions.

Everything goes through the run's fetch function, so ``--remap``, retries, limits and the
User-Agent apply to the archive as to any other host. Nothing here raises for an archive that
does not answer, answers garbage or has no copy: the outcome is ``None`` or an
:class:`ArchiveCopy` whose ``verified`` says how far it can be trusted.

Example::

    service = WaybackService(api=DEFAULT_ARCHIVE_API, fetch=fetcher.fetch, cache=cache)
    rescuer = ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)
    copy = await rescuer.rescue(source, since=first_seen)
    if copy is not None and copy.verified:
        print(copy.url)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from .._models import ArchiveCopy, FetchResult, Source, TitleEvidence
from .interface import ArchiveService, Capture, Fetch

__all__ = ["EARLIER_AT_LEAST", "ArchiveRescuer", "Verify"]

EARLIER_AT_LEAST = dt.timedelta(days=365)
"""How far before the citation date the second look-up asks, at least (see :meth:`rescue`)."""

Verify = Callable[[FetchResult, str | None], Awaitable[TitleEvidence | None]]
"""Look for a title in a fetched body; ``None`` when the body's title cannot be checked."""


class ArchiveRescuer:
    """Finds and verifies archived copies of sources, within one run: the rescue strategy.

    Parameters:
        service: the archive to look captures up in (:class:`WaybackService`, ...).
        fetch: the run's fetch function (``Fetcher.fetch``); the captures are fetched through
            it, so remap rules, retries and limits apply.
        verify: looks for a title in a fetched capture (the pipeline parses with the run's
            ``Parser`` and returns its ``TitleEvidence``); ``None`` when it cannot tell.

    Example::

        rescuer = ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)
        copy = await rescuer.rescue(source, since=None)
    """

    def __init__(self, service: ArchiveService, *, fetch: Fetch, verify: Verify) -> None:
        self.service = service
        """Where captures are looked up."""
        self._fetch = fetch
        self._verify = verify

    async def rescue(self, source: Source, *, since: dt.date | None) -> ArchiveCopy | None:
        """The best archived copy of ``source``, verified; ``None`` when there is none.

        The target date is ``source.accessed``, else ``since`` (the first-seen date from the
        history), else none (the service then names the newest capture). When the closest
        capture is later than the target date, or was not captured with status 200, one more
        look-up asks at the target date minus the larger of one year and the distance to that
        capture (with no target date: one year before that capture). Nothing between the
        target date and that distance exists, so the second look-up can only find earlier
        captures, and it reaches back at least two years: far enough for the gap before a
        site's relaunch, and still near the citation.

        Candidates are ranked: captured with status 200 first, then at or before the target
        day, then nearest to it. They are verified in that order: a capture that answers
        non-2xx is ``verified=False``; with a title, ``verified`` is whether the capture shows
        it; without one, a 2xx answer is ``verified=None``. The first verified copy wins;
        otherwise the best of them (``None`` before ``False``) is returned, so a report can say
        "an archive copy exists but does not show the title".

        Never raises for an archive that does not answer or answers garbage: the service
        gives ``None`` for such a look-up.
        """
        target = source.accessed or since
        first = await self.service.lookup(source.url, target)
        if first is None:
            return None
        candidates = [first]
        if not _good(first, target):
            anchor = target or first.captured_at.date()
            distance = abs(first.captured_at.date() - anchor) if target else dt.timedelta()
            earlier = anchor - max(distance, EARLIER_AT_LEAST)
            second = await self.service.lookup(source.url, earlier)
            if second is not None and second.timestamp != first.timestamp:
                candidates.append(second)
        candidates.sort(key=lambda c: _rank(c, target))
        return await self._best_verified(source, candidates)

    async def _best_verified(self, source: Source, candidates: list[Capture]) -> ArchiveCopy | None:
        best: ArchiveCopy | None = None
        for candidate in candidates:
            copy = await self._check(source, candidate)
            if copy.verified is True or (copy.verified is None and source.title is None):
                return copy
            if best is None or (best.verified is False and copy.verified is None):
                best = copy
        return best

    async def _check(self, source: Source, candidate: Capture) -> ArchiveCopy:
        """Fetch ``candidate`` and say whether it shows ``source``'s title."""
        result = await self._fetch(candidate.url)
        landed = self.service.served(candidate, result.final_url) if result.ok else candidate
        when = landed.captured_at.date().isoformat()

        def copy(verified: bool | None, detail: str) -> ArchiveCopy:
            return ArchiveCopy(landed.url, landed.timestamp, candidate.status, verified, detail)

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


def _good(candidate: Capture, target: dt.date | None) -> bool:
    """A capture that needs no second look-up: a 200 at or before the target day."""
    if candidate.status != "200":
        return False
    return target is None or candidate.captured_at.date() <= target


def _rank(candidate: Capture, target: dt.date | None) -> tuple[bool, bool, float]:
    """Sort key: status 200 first, then at or before ``target``, then nearest to it."""
    not_200 = candidate.status != "200"
    if target is None:
        # No date to be near: the newer capture first (the service's own answer is the newest).
        return (not_200, False, -candidate.captured_at.timestamp())
    captured = candidate.captured_at
    later = captured.date() > target
    midnight = dt.datetime.combine(target, dt.time(), tzinfo=dt.UTC)
    return (not_200, later, abs((captured - midnight).total_seconds()))
