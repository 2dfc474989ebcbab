"""``robots.txt``, for the hosts whose ``[[host]]`` table says ``robots = true``.

Each origin's ``robots.txt`` (scheme, host and port of the cited URL) is fetched once per
run, through the run's fetcher (so with the host's ``User-Agent``, headers and ``rps``),
at most :data:`ROBOTS_MAX_BYTES` of it, and parsed with :mod:`urllib.robotparser`. What an
answer means follows RFC 9309 where a link checker can:

- 2xx: the rules apply to the ``User-Agent`` the host's requests carry (its product token,
  ``factlinks`` by default). A larger file is read up to the cap, cut at its last whole
  line (RFC 9309 §2.5 lets a crawler stop at 500 KiB);
- 4xx (401 and 403 included): there is no ``robots.txt``; everything is allowed;
- a 5xx or no answer at all: the source is checked as if there were no ``robots.txt``, and
  its own check reports the failure. RFC 9309 tells a crawler to assume a full disallow
  here; a link checker that did so would report an unreachable site as ``skipped`` and hide
  the outage it exists to find.

A source that the rules forbid is ``skipped`` with the reason "robots.txt forbids …".
:mod:`urllib.robotparser` applies the first matching rule of a group and knows no ``*`` or
``$`` wildcards inside paths; a rule that uses them matches nothing, so such a URL is checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ._memo import Memo
from ._models import FetchResult

__all__ = ["ROBOTS_MAX_BYTES", "RobotsCache"]

ROBOTS_MAX_BYTES = 512 * 1024
"""The most of a ``robots.txt`` that is read (RFC 9309 asks for at least 500 KiB)."""

Fetch = Callable[..., Awaitable[FetchResult]]


def robots_url(url: str) -> str:
    """The ``robots.txt`` of the origin of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/robots.txt"


def parse_robots(fetch: FetchResult) -> RobotFileParser | None:
    """The rules of a fetched ``robots.txt``; ``None`` when there are none to honour."""
    code = fetch.status_code
    if fetch.failure is not None or code is None or not 200 <= code < 300:
        return None
    text = fetch.body.decode("utf-8", errors="replace")
    if fetch.truncated:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut in two
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return parser


class RobotsCache:
    """Fetches each origin's ``robots.txt`` once per run and says what it forbids.

    Example::

        robots = RobotsCache(fetcher.fetch)
        await robots.forbids("https://example.org/a.pdf", "factlinks/1.0")  # reason or None

    Parameters:
        fetch: the run's fetch (``Fetcher.fetch``), called as
            ``fetch(url, retries=False, max_bytes=ROBOTS_MAX_BYTES)``.
    """

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._rules: Memo[str, RobotFileParser | None] = Memo(size=None)  # once per origin

    async def _rules_for(self, url: str) -> RobotFileParser | None:
        where = robots_url(url)

        async def read() -> RobotFileParser | None:
            answer = await self._fetch(where, retries=False, max_bytes=ROBOTS_MAX_BYTES)
            return parse_robots(answer)

        return await self._rules.once(where, read)

    async def forbids(self, url: str, user_agent: str) -> str | None:
        """Why ``url`` may not be fetched by ``user_agent`` (a reason), or ``None``."""
        rules = await self._rules_for(url)
        if rules is None or rules.can_fetch(user_agent, url):
            return None
        token = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else user_agent
        return f"robots.txt forbids it to {token!r} ({robots_url(url)})"
