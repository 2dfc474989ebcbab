"""Fetch one URL: shared client, per-host limits, redirect hops, body cap, deadline, remap.

Every transport problem becomes a :class:`Failure` value on the result; nothing here raises
for a URL that does not answer. Redirects are followed by hand so that every hop is recorded
under the name the web gives it, while the request itself goes to the remapped address.

One attempt at a URL is three steps, each in its own place:

- :class:`_Chain` follows the redirects: it resolves each ``Location``, records the hop and
  tells a loop, a redirect limit or a target that is no web address; :meth:`_Chain.policy`
  asks the network policy (:mod:`factlinks._netpolicy`) whether the next request may go out;
- :meth:`Fetcher._read` reads the body of the answer, up to the size cap;
- :func:`_failure` is the one boundary where an exception from httpx, asyncio or the URL
  parser becomes a ``Failure(kind, detail)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import httpx

from ._decode import CHUNK as _CHUNK
from ._decode import UndecodableError, accept_encoding, open_decoder
from ._hosts import HostSettings, HostTable, Pacer, host_of
from ._models import Failure, FailureKind, FetchResult, Hop
from ._netpolicy import (
    POLICY_EXTENSION,
    AddressRefused,
    PolicyTransport,
    Zone,
    check_request,
    peer_zone,
    starts_private,
)
from ._options import CheckOptions, RetryPolicy
from ._retry import Clock, Sleep, build_retrying, is_transient
from ._text import MAX_URL_CHARS, clean_fetch, clean_headers, clip, url_from_header
from ._transport import PerHostTransport, pool_budget
from ._turns import Turns

__all__ = ["REDIRECT_STATUSES", "Fetcher", "make_client"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_WORKERS_PER_TURN = 4
"""Workers per turn: up to three sources per turn may wait for a retry at once."""
_DRAIN_BYTES = 64 * 1024
"""How much of a redirect's body is read (and dropped) so its connection can be reused."""
_DRAIN_SECONDS = 1.0
"""How long reading a redirect's body may take before the connection is given up instead."""
_LOCATION = "factlinks.location"


def make_client(options: CheckOptions) -> httpx.AsyncClient:
    """The one client a run shares: per-host pools, the run's User-Agent, no auto-redirects.

    Connections go through the network policy (:class:`~factlinks._netpolicy.PolicyTransport`).
    """
    pools = PolicyTransport(
        lambda backend: PerHostTransport(
            options.per_host,
            max_pools=max(pool_budget(options.per_host), options.concurrency),
            network_backend=backend,
        )
    )
    return httpx.AsyncClient(
        headers={
            "User-Agent": options.request_user_agent,
            "Accept": "*/*",
            "Accept-Encoding": accept_encoding(),  # only what _read can decode, bounded
        },
        timeout=httpx.Timeout(options.timeout),
        transport=_HoldLocation(pools),
        follow_redirects=False,
        trust_env=False,
    )


class _HoldLocation(httpx.AsyncBaseTransport):
    """Takes ``Location`` off redirects before httpx parses it.

    httpx builds the next request of a redirect even when it does not follow it, and a
    ``Location`` it cannot parse (``mailto:…``, ``http://a.test:abc/``) raises before the
    fetcher sees the hop. The fetcher follows redirects itself, so the transport of the
    run's own client moves the header into the response's extensions, where
    :func:`_take_location` finds it. A client passed in is left as it is: there httpx sees
    the header, and :func:`_failure` names what it cannot parse.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport; hold a redirect's ``Location``."""
        response = await self._inner.handle_async_request(request)
        location = _raw_location(response)
        if response.status_code in REDIRECT_STATUSES and location is not None:
            response.extensions[_LOCATION] = location
            del response.headers["location"]
        return response

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()


def _raw_location(response: httpx.Response) -> bytes | None:
    """The bytes of the ``Location`` header as sent (httpx decodes them as it likes)."""
    return next((v for k, v in response.headers.raw if k.lower() == b"location"), None)


def _take_location(response: httpx.Response) -> str | None:
    """The ``Location`` of a redirect (taken off its headers) as the server meant it.

    Its bytes are read as UTF-8 where valid and percent-encoded where not, never as
    Latin-1 (see :func:`~factlinks._text.url_from_header`); else ``None``.
    """
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.extensions.get(_LOCATION)
    if location is None:
        location = _raw_location(response)  # a client not made by make_client
        if location is None:
            return None
        del response.headers["location"]
    return url_from_header(location) if isinstance(location, bytes) else str(location).strip()


@dataclass(slots=True)
class _Chain:
    """One attempt's way through the redirects: where it is and every hop on the way."""

    url: str
    """The URL the attempt started at (the cited one)."""
    current: str
    """The URL being fetched now (as the web names it)."""
    max_redirects: int
    """How many redirects may be followed."""
    hops: list[Hop] = field(default_factory=list)
    """The redirects followed so far, in order."""
    visits: dict[str, int] = field(default_factory=dict)
    """How often each URL was fetched in this attempt."""
    started: float | None = None
    """The monotonic time the first request could go out; ``None`` before that."""
    deadline: float | None = None
    """The event-loop time by which the whole chain must have answered."""
    private_ok: bool = False
    """Whether hops may go into private space: allowed by the run, or the chain started there."""
    max_bytes: int | None = None
    """A smaller body cap than the run's for this fetch (``robots.txt``), if any."""

    def arrive(self) -> Failure | None:
        """Count a visit of :attr:`current`; a third one is a redirect loop."""
        self.visits[self.current] = self.visits.get(self.current, 0) + 1
        if self.visits[self.current] > 2:
            return Failure(FailureKind.REDIRECT_LOOP, f"redirect loop back to {self.current}")
        return None

    def follow(self, status: int, location: str) -> Failure | None:
        """Record the hop to ``location`` and move on to it, or say why it cannot be followed."""
        target = _resolve(self.current, location)
        self.hops.append(Hop(self.current, status, clip(target or location, MAX_URL_CHARS)))
        if target is None:
            return Failure(FailureKind.INVALID_URL, f"redirected to an invalid URL: {location}")
        if len(target) > MAX_URL_CHARS:
            return Failure(
                FailureKind.INVALID_URL,
                f"redirected to a URL of {len(target)} characters (at most {MAX_URL_CHARS} "
                "are followed)",
            )
        if urlsplit(target).scheme not in ("http", "https"):
            return Failure(FailureKind.INVALID_URL, f"redirected to a non-http URL: {target}")
        if len(self.hops) > self.max_redirects:
            return Failure(
                FailureKind.TOO_MANY_REDIRECTS, f"more than {self.max_redirects} redirects"
            )
        self.current = target
        return None

    def policy(self, transport: str) -> tuple[Failure | None, str]:
        """Why the network policy refuses the next request (or ``None``), and its pools.

        The cited URL and remapped hops are the user's choice; any other hop may reach
        private space only when :attr:`private_ok`.
        """
        permissive = self.private_ok or not self.hops or transport != self.current
        refused = check_request(
            self.current, transport, private_ok=permissive, redirected=bool(self.hops)
        )
        return refused, "permissive" if permissive else "strict"

    def landed(self, transport: str, response: httpx.Response) -> None:
        """Note where the cited URL's first answer came from: private space opens it to hops."""
        if not self.hops and transport == self.current and peer_zone(response) is Zone.PRIVATE:
            self.private_ok = True


class Fetcher:
    """Fetches URLs for one run, within the run's limits.

    The client is used as it is given: the fetcher adds no hooks and changes no settings.

    Parameters:
        client: the shared ``httpx.AsyncClient`` (see :func:`make_client`).
        options: limits, remap rules and the retry policy.
        sleep: the async sleep used between retries.
        clock: wall-clock time, for ``Retry-After`` dates.
        monotonic: a monotonic clock in seconds, for elapsed times and request spacing.
        hosts: the run's ``[[host]]`` tables with their header values; by default
            ``options.hosts`` with the values read from ``os.environ``.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: CheckOptions,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = lambda: dt.datetime.now(dt.UTC),
        monotonic: Callable[[], float] = time.monotonic,
        hosts: HostTable | None = None,
    ) -> None:
        self._client = client
        self._options = options
        self._hosts = hosts if hosts is not None else HostTable(options.hosts, os.environ)
        self._turns = Turns(options.concurrency)
        self._sleep = self._turns.lending(sleep)
        self._pacer = Pacer(monotonic, self._sleep)
        self._clock = clock
        self._monotonic = monotonic
        self._global = asyncio.Semaphore(options.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self.requests = 0
        """Requests sent so far, retries and redirect hops included."""

    def turn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """A turn to check one source in: ``concurrency`` at a time, lent while a retry waits.

        While a source sleeps for its back-off or its ``Retry-After``, another source may use
        its turn; the requests in flight stay within ``concurrency`` and ``per_host``.
        """
        return self._turns.turn()

    @property
    def workers(self) -> int:
        """How many workers take turns: one per turn and three more that may wait for a retry."""
        return self._options.concurrency * _WORKERS_PER_TURN

    @property
    def hosts(self) -> HostTable:
        """The run's ``[[host]]`` tables."""
        return self._hosts

    async def fetch(
        self,
        url: str,
        *,
        retries: bool = True,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Fetch ``url`` with redirects and retries; never raises for a URL's failure.

        ``headers`` go with every request of the chain (conditional-request validators);
        the headers of a ``[[host]]`` table go only with the requests to a host it matches,
        decided again for every hop. ``max_bytes`` lowers the run's body cap for this fetch.
        """
        policy = self._options.retry
        if not retries:
            policy = type(policy)(attempts=1)
        attempts = 0

        async def attempt() -> FetchResult:
            nonlocal attempts
            attempts += 1
            return await self._attempt(url, headers, max_bytes)

        # Most answers are final: the retrier is built only for one that is not.
        result = await attempt()
        if policy.attempts > 1 and is_transient(result, policy):
            result = await self._retried(result, attempt, policy)
        return clean_fetch(_with_attempts(result, attempts))  # web text enters the model here

    async def _retried(
        self,
        first: FetchResult,
        attempt: Callable[[], Awaitable[FetchResult]],
        policy: RetryPolicy,
    ) -> FetchResult:
        """Retry after ``first``, a transient answer, which counts as the first attempt."""
        pending = [first]

        async def again() -> FetchResult:
            return pending.pop() if pending else await attempt()

        retrying = build_retrying(policy, sleep=self._sleep, clock=self._clock)
        result: FetchResult = await retrying(again)
        return result

    @contextlib.asynccontextmanager
    async def _slot(
        self, transport_url: str, web_url: str, rule: HostSettings | None
    ) -> AsyncIterator[None]:
        """A request slot: the transport host's, paced to the web host's ``rps``, a global one."""
        parts = urlsplit(transport_url)
        key = f"{parts.hostname}:{parts.port or ''}"
        host = self._per_host.get(key)
        if host is None:
            host = self._per_host[key] = asyncio.Semaphore(self._options.per_host)
        async with host:
            if rule is not None and rule.rps is not None:
                await self._pacer.wait(host_of(web_url) or "", 1.0 / rule.rps)
            async with self._global:
                yield

    def _headers(
        self, rule: HostSettings | None, extra: Mapping[str, str] | None
    ) -> dict[str, str] | None:
        """The headers of one request: ``extra``, and those of the table of its host."""
        if rule is None:
            return dict(extra) if extra else None
        headers = {**(extra or {}), **self._hosts.headers_of(rule)}
        if rule.user_agent is not None:
            agent = rule.user_agent
            if self._options.contact is not None:
                agent = f"{agent} (mailto:{self._options.contact})"
            headers["User-Agent"] = agent
        return headers or None

    async def _attempt(
        self, url: str, extra: Mapping[str, str] | None, max_bytes: int | None = None
    ) -> FetchResult:
        """One try at ``url``: request after request along its redirects, to an answer."""
        private = self._options.allow_private or starts_private(url)
        chain = _Chain(
            url, url, self._options.max_redirects, private_ok=private, max_bytes=max_bytes
        )
        try:
            while True:
                result = await self._request(chain, extra)
                if result is not None:
                    return result
        except _TRANSLATED as exc:
            return self._failed(chain, _failure(exc, self._options.timeout))

    async def _request(self, chain: _Chain, extra: Mapping[str, str] | None) -> FetchResult | None:
        """Request ``chain.current``: the result, or ``None`` when a redirect was followed."""
        looped = chain.arrive()
        if looped is not None:
            return self._failed(chain, looped)
        transport = self._options.transport_url(chain.current)
        refused, policy = chain.policy(transport)
        if refused is not None:
            return self._failed(chain, refused)
        # Decided per hop, by the host the web names: a redirect to another host takes
        # none of this host's headers with it.
        rule = self._hosts.rule_for(chain.current)
        headers = self._headers(rule, extra)
        async with self._slot(transport, chain.current, rule):
            # The deadline starts once the request may go out: waiting for a busy host's
            # slot is not the host's slowness.
            if chain.deadline is None:
                chain.started = self._monotonic()
                chain.deadline = asyncio.get_running_loop().time() + self._options.timeout
            async with asyncio.timeout_at(chain.deadline):
                self.requests += 1
                request = self._client.build_request(
                    "GET", transport, headers=headers, extensions={POLICY_EXTENSION: policy}
                )
                response = await self._client.send(request, stream=True)
                chain.landed(transport, response)
                try:
                    location = _take_location(response)
                    if location:
                        stop = chain.follow(response.status_code, location)
                        await _drain(response)
                        return None if stop is None else self._failed(chain, stop)
                    body, truncated, undecodable = await self._read(response, chain.max_bytes)
                finally:
                    await response.aclose()
            return self._answer(chain, response, body, truncated, undecodable)

    async def _read(
        self, response: httpx.Response, max_bytes: int | None = None
    ) -> tuple[bytes, bool, str | None]:
        """Read and decode the body up to ``max_bytes``: body, whether cut off, why undecodable.

        The raw stream is decoded here, layer by layer (:mod:`._decode`), and counted as it
        is produced, so no stack of encodings can decode more than about ``max_bytes`` plus
        a chunk per layer. A body that cannot be decoded is empty, with the reason.
        """
        limit = self._options.max_bytes if max_bytes is None else max_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            decoder = open_decoder(response.headers.get("content-encoding"))
            async for raw in response.aiter_raw(_CHUNK):
                for piece in decoder.feed(raw):
                    chunks.append(piece)
                    size += len(piece)
                    if size > limit:
                        chunks[-1] = piece[: len(piece) - (size - limit)]
                        return b"".join(chunks), True, None
            decoder.finish()
        except UndecodableError as exc:
            return b"", False, str(exc)
        return b"".join(chunks), False, None

    def _answer(
        self,
        chain: _Chain,
        response: httpx.Response,
        body: bytes,
        truncated: bool,
        undecodable: str | None = None,
    ) -> FetchResult:
        headers = clean_headers(response.headers.raw)
        return FetchResult(
            url=chain.url,
            final_url=chain.current,
            status_code=response.status_code,
            redirects=tuple(chain.hops),
            content_type=headers.get("content-type"),
            headers=headers,
            body=body,
            bytes=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            truncated=truncated,
            undecodable=undecodable,
            elapsed_ms=self._elapsed(chain.started),
        )

    def _failed(self, chain: _Chain, failure: Failure) -> FetchResult:
        return FetchResult(
            url=chain.url,
            final_url=chain.current,
            status_code=None,
            redirects=tuple(chain.hops),
            elapsed_ms=self._elapsed(chain.started),
            failure=failure,
        )

    def _elapsed(self, started: float | None) -> int:
        return 0 if started is None else round((self._monotonic() - started) * 1000)


async def _drain(response: httpx.Response) -> None:
    """Read a redirect's body (up to :data:`_DRAIN_BYTES`) so its connection can be reused.

    A response closed before its body was read takes its connection with it, and the next
    hop, often on the same host, would open a new one. A body that is longer, slow or broken
    is left unread: the hop is followed all the same.
    """
    size = 0
    with contextlib.suppress(httpx.HTTPError, httpx.StreamError, TimeoutError):
        async with asyncio.timeout(_DRAIN_SECONDS):
            async for raw in response.aiter_raw(_CHUNK):
                size += len(raw)
                if size > _DRAIN_BYTES:
                    return


_TRANSLATED = (TimeoutError, ValueError, httpx.InvalidURL, httpx.HTTPError)
"""What :func:`_failure` translates; anything else is a bug and propagates."""


def _failure(exc: Exception, timeout: float) -> Failure:
    """The failure that ``exc``, raised while fetching, stands for.

    The one boundary where foreign exceptions become values: the deadline (asyncio's or
    httpx's own timeouts), URLs httpx cannot request, connection errors told apart by their
    chained causes, and every other transport error described by its deepest cause.
    """
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return Failure(FailureKind.TIMEOUT, f"no complete answer within {timeout:g} s")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | ValueError):
        return Failure(FailureKind.INVALID_URL, str(exc) or type(exc).__name__)
    refused = next((link for link in _chain(exc) if isinstance(link, AddressRefused)), None)
    if refused is not None:
        return Failure(FailureKind.POLICY, str(refused))
    if isinstance(exc, httpx.ConnectError):
        return Failure(*_classify_connect_error(exc))
    if isinstance(exc, httpx.RemoteProtocolError) and str(exc).startswith(_BAD_LOCATION):
        return Failure(FailureKind.INVALID_URL, f"redirected to an invalid URL ({exc})")
    return Failure(FailureKind.NETWORK, _describe(exc))


_BAD_LOCATION = "Invalid URL in location header"
"""How httpx starts its error for a ``Location`` it cannot parse (with a client passed in)."""


def _resolve(base: str, location: str) -> str | None:
    """``location`` resolved against ``base``; ``None`` when it is not a valid URL."""
    try:
        target = urljoin(base, location)
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and not parts.hostname:
        return None
    return target


def _with_attempts(result: FetchResult, attempts: int) -> FetchResult:
    return result if result.attempts == attempts else replace(result, attempts=attempts)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        # The explicit cause first; an implicit context only when it was not suppressed
        # (otherwise an unrelated exception being handled at the time would be described).
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return seen


def _describe(exc: BaseException) -> str:
    for link in reversed(_chain(exc)):
        text = str(link).strip()
        if text:
            return text
    return type(exc).__name__


_NO_SUCH_HOST_ERRNOS = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
)
_NO_SUCH_HOST_TEXTS = (
    "Name or service not known",
    "nodename nor servname",
    "No address associated with hostname",
)
_DNS_TEXTS = ("Temporary failure in name resolution", "getaddrinfo")


def _classify_connect_error(exc: httpx.ConnectError) -> tuple[FailureKind, str]:
    """Tell a name that does not exist (a DNS server answered) from a DNS that did not answer."""
    chain = _chain(exc)
    texts = [str(link) for link in chain]
    errnos = {link.errno for link in chain if isinstance(link, socket.gaierror)}
    if errnos & _NO_SUCH_HOST_ERRNOS or any(t in s for s in texts for t in _NO_SUCH_HOST_TEXTS):
        return FailureKind.NO_SUCH_HOST, "the host name does not exist (no DNS record)"
    if errnos or any(t in s for s in texts for t in _DNS_TEXTS):
        return FailureKind.DNS, f"the host name could not be resolved ({_describe(exc)})"
    if any(isinstance(link, ssl.SSLError) for link in chain):
        return FailureKind.TLS, f"TLS failed: {_describe(exc)}"
    if any(isinstance(link, ConnectionRefusedError) for link in chain) or "refused" in str(exc):
        return FailureKind.CONNECT, "connection refused"
    return FailureKind.CONNECT, f"cannot connect: {_describe(exc)}"
