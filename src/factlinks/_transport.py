"""One small connection pool per host, behind one ``httpx`` transport.

:class:`PerHostTransport` is what :func:`factlinks._fetch.make_client` puts under the run's
client; it knows nothing about redirects, retries or results.
"""

from __future__ import annotations

import ipaddress
import resource
import urllib.request
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import httpcore
import httpx

from ._netpolicy import use_backend

__all__ = ["PerHostTransport", "pool_budget"]

MIN_POOLS = 64
"""The fewest per-host pools kept, whatever the file limit."""
MAX_POOLS = 4096
"""The most per-host pools kept: beyond that, scanning them costs more than reconnecting."""


def pool_budget(per_host: int) -> int:
    """How many per-host pools a run keeps: what the soft open-file limit affords.

    Half of the soft ``RLIMIT_NOFILE`` (``ulimit -n``) is for connections, the rest for
    files, pipes and worker processes; a pool may hold ``per_host`` connections. The answer
    is clamped to :data:`MIN_POOLS`..:data:`MAX_POOLS` (an unlimited soft limit gives the
    most). With 200 hosts and a limit of 20,000 every host keeps its keep-alive pool.
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return MAX_POOLS
    return max(MIN_POOLS, min(MAX_POOLS, soft // 2 // max(1, per_host)))


class PerHostTransport(httpx.AsyncBaseTransport):
    """One small connection pool per host, behind one transport.

    httpcore's pool scans every connection it holds for every request, so one pool shared by
    many hosts costs time that grows with its size, and hosts evict each other's idle
    connections. Pools of ``per_host`` connections keep that cheap and reuse connections per
    host. At most ``max_pools`` pools are kept; the least recently used idle one is closed
    when a new host needs a pool. All pools share one TLS context.

    With ``trust_env`` (the default), ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and
    ``NO_PROXY`` are honoured as curl and httpx do, except that loopback addresses always go
    direct (a proxy's loopback is not ours).

    With a ``network_backend`` (the network policy's :class:`~factlinks._netpolicy.GuardedBackend`),
    direct connections are made through it; proxied ones are not.
    """

    def __init__(
        self,
        per_host: int,
        *,
        max_pools: int = MIN_POOLS,
        trust_env: bool = True,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._per_host = per_host
        self._network_backend = network_backend
        self._max_pools = max_pools
        self._ssl = httpx.create_ssl_context()
        self._proxies = urllib.request.getproxies_environment() if trust_env else {}
        self._pools: OrderedDict[tuple[str, str, int | None], httpx.AsyncHTTPTransport] = (
            OrderedDict()
        )
        self._busy: dict[tuple[str, str, int | None], int] = {}

    def _pool(self, key: tuple[str, str, int | None]) -> httpx.AsyncHTTPTransport:
        pool = self._pools.get(key)
        if pool is not None:
            self._pools.move_to_end(key)
            return pool
        proxy = self._proxy_for(key[0], key[1])
        limits = httpx.Limits(
            max_connections=self._per_host, max_keepalive_connections=self._per_host
        )
        pool = httpx.AsyncHTTPTransport(proxy=proxy, verify=self._ssl, limits=limits)
        if proxy is None and self._network_backend is not None:
            # Direct connections go through the network policy's backend; through a proxy
            # the connection is the proxy's, and only the URL pre-check applies.
            use_backend(pool, self._network_backend, limits, self._ssl)
        self._pools[key] = pool
        return pool

    def _proxy_for(self, scheme: str, host: str) -> str | None:
        if not self._proxies or _is_loopback(host):
            return None
        if urllib.request.proxy_bypass_environment(host, self._proxies):  # type: ignore[attr-defined]
            return None
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        return proxy if proxy and proxy.startswith(("http://", "https://")) else None

    async def _evict(self) -> None:
        """Close the least recently used idle pools, to make room for one more.

        The pools are chosen and taken out before the first ``await``: closing one lets other
        requests run, and those may evict too or start using a pool that is still listed.
        """
        idle = [key for key in self._pools if not self._busy.get(key)]
        evicted = [
            self._pools.pop(key) for key in idle[: max(0, len(self._pools) - self._max_pools + 1)]
        ]
        for pool in evicted:
            await pool.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through its host's pool."""
        key = (request.url.scheme, request.url.host, request.url.port)
        if key not in self._pools and len(self._pools) >= self._max_pools:
            await self._evict()
        pool = self._pool(key)
        self._busy[key] = self._busy.get(key, 0) + 1
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            self._release(key)
            raise
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Released(response.stream, lambda: self._release(key)),
            extensions=response.extensions,
        )

    def _release(self, key: tuple[str, str, int | None]) -> None:
        self._busy[key] -= 1
        if not self._busy[key]:
            del self._busy[key]

    async def aclose(self) -> None:
        """Close every pool."""
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()


class _Released(httpx.AsyncByteStream):
    """A response stream that tells its transport when it is closed."""

    def __init__(
        self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, done: Callable[[], None]
    ):
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            if isinstance(self._stream, httpx.AsyncByteStream):
                await self._stream.aclose()
        finally:
            if self._done is not None:
                done, self._done = self._done, None
                done()


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
