"""Throughput without losing politeness or verdicts (issue 13).

- A source whose retry waits (back-off or ``Retry-After``) lends its turn: with concurrency 1
  a second source is checked while the first one waits, and the first one's wait is still
  the one the server asked for.
- Turns taken back after a wait go before new sources; a cancelled waiter passes its turn on.
- The hops of a redirect chain on one host share one connection (the redirect bodies are
  read); a redirect body too long to read costs a connection, not the verdict.
- The number of per-host pools kept follows the soft open-file limit (``ulimit -n``).
- However sources wait and lend their turns, requests in flight never exceed
  ``concurrency`` nor ``per_host`` per host.
- ``check`` does not build the repr of its report as ``asyncio.run`` ends.

The servers are asyncio servers on 127.0.0.1 that count connections and requests in flight;
nothing here measures time.
"""

from __future__ import annotations

import asyncio
import resource
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import respx

import factlinks
import factlinks._transport as transport_module
from conftest import make_source
from factlinks import CheckOptions, RetryPolicy, Status
from factlinks._fetch import Fetcher, make_client
from factlinks._transport import MAX_POOLS, MIN_POOLS, pool_budget
from factlinks._turns import Turns

Answer = tuple[int, dict[str, str], bytes]
"""Status, headers and body of an answer."""


@dataclass
class Server:
    """An HTTP/1.1 keep-alive server on 127.0.0.1 that counts what it sees."""

    answer: Callable[[str], Answer]
    delay: float = 0.0
    """Seconds before each answer (so that requests overlap)."""
    connections: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    requests: list[str] = field(default_factory=list)
    port: int = 0
    shared: Counter | None = None
    """A counter of requests in flight over several servers."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode("ascii")
                self.requests.append(path)
                self._enter()
                try:
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    status, headers, body = self.answer(path)
                finally:
                    self._leave()
                lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
                lines += [f"{name}: {value}" for name, value in headers.items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _enter(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.shared is not None:
            self.shared.enter()

    def _leave(self) -> None:
        self.in_flight -= 1
        if self.shared is not None:
            self.shared.leave()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Counter:
    """Requests in flight over many servers, and the most there ever were."""

    now: int = 0
    most: int = 0

    def enter(self) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def leave(self) -> None:
        self.now -= 1


@asynccontextmanager
async def serving(*servers: Server) -> AsyncIterator[None]:
    started = [await asyncio.start_server(s.handle, "127.0.0.1", 0) for s in servers]
    for server, handle in zip(servers, started, strict=True):
        server.port = handle.sockets[0].getsockname()[1]
    try:
        yield
    finally:
        for handle in started:
            handle.close()


def page(title: str) -> Answer:
    html = f"<html><head><title>{title}</title></head><body><p>{title}</p></body></html>"
    return 200, {"Content-Type": "text/html"}, html.encode()


# -- a waiting retry lends its turn --------------------------------------------------------------


def test_a_source_waiting_for_retry_after_lets_another_source_be_checked() -> None:
    """Concurrency 1: ``b`` is checked while ``a`` waits the 30 s its server asked for."""
    done: list[str] = []
    waits: list[float] = []
    b_checked = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        # Without lending, b could not start before this wait ends: the wait would time out.
        await asyncio.wait_for(b_checked.wait(), timeout=20)

    def on_result(result: factlinks.SourceResult) -> None:
        done.append(result.source.id)
        if result.source.id == "b":
            b_checked.set()

    sources = [
        make_source("https://a.test/busy", id="a", title="Busy"),
        make_source("https://b.test/quiet", id="b", title="Quiet"),
    ]
    options = CheckOptions(
        concurrency=1,
        retry=RetryPolicy(attempts=3, initial_wait=0.0, jitter=0.0),
        probe_soft_404=False,
    )
    runtime = factlinks.Runtime(sleep=sleep, on_result=on_result, strict=True)
    with respx.mock(assert_all_called=True) as router:
        busy = httpx.Response(429, headers={"Retry-After": "30"})
        router.get("https://a.test/busy").mock(
            side_effect=[busy, httpx.Response(200, html=_html("Busy"))]
        )
        router.get("https://b.test/quiet").mock(
            return_value=httpx.Response(200, html=_html("Quiet"))
        )
        report = factlinks.check(sources, options, runtime)
    assert done == ["b", "a"]
    assert waits == [30.0]  # Retry-After honoured
    a, b = report.results  # in registry order
    assert (a.source.id, a.status, a.fetch.attempts if a.fetch else None) == ("a", Status.OK, 2)
    assert (b.source.id, b.status) == ("b", Status.OK)


def _html(title: str) -> str:
    return f"<html><head><title>{title}</title></head><body><p>{title}</p></body></html>"


def test_turns_taken_back_after_a_wait_go_before_new_sources() -> None:
    async def scenario() -> list[str]:
        turns = Turns(1)
        order: list[str] = []
        wake = asyncio.Event()

        async def held_sleep(seconds: float) -> None:
            await wake.wait()

        sleep = turns.lending(held_sleep)

        async def waiter() -> None:
            async with turns.turn():
                order.append("waiter starts")
                await sleep(1.0)  # lends the only turn
                order.append("waiter back")

        async def newcomer(name: str) -> None:
            async with turns.turn():
                order.append(f"{name} starts")
                if name == "first":
                    wake.set()  # the waiter's wait ends while this one holds the turn
                    await asyncio.sleep(0)
                order.append(f"{name} ends")

        async with asyncio.TaskGroup() as group:
            group.create_task(waiter())
            await asyncio.sleep(0)
            group.create_task(newcomer("first"))
            group.create_task(newcomer("second"))
        assert turns.free == 1
        return order

    assert asyncio.run(asyncio.wait_for(scenario(), timeout=30)) == [
        "waiter starts",
        "first starts",
        "first ends",
        "waiter back",  # before "second", which asked for a turn earlier
        "second starts",
        "second ends",
    ]


def test_a_cancelled_source_gives_its_turn_back() -> None:
    async def scenario() -> int:
        turns = Turns(2)
        sleep = turns.lending(asyncio.sleep)

        async def waits_forever() -> None:
            async with turns.turn():
                await sleep(3600)

        async def holds() -> None:
            async with turns.turn():
                await asyncio.sleep(3600)

        tasks = [asyncio.create_task(waits_forever()), asyncio.create_task(holds())]
        tasks += [asyncio.create_task(holds()) for _ in range(3)]  # waiting for a turn
        await asyncio.sleep(0.01)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return turns.free

    assert asyncio.run(asyncio.wait_for(scenario(), timeout=30)) == 2


# -- redirect hops share a connection ------------------------------------------------------------


def _chain(long_body: bool) -> Callable[[str], Answer]:
    body = b"x" * (200 * 1024) if long_body else b"<html>moved</html>"

    def answer(path: str) -> Answer:
        if path == "/a":
            return 301, {"Location": "/b"}, body
        if path == "/b":
            return 302, {"Location": "/c"}, body
        return page("The end") if path == "/c" else (404, {}, b"")

    return answer


@pytest.mark.parametrize(("long_body", "connections"), [(False, 1), (True, 3)])
def test_redirect_hops_on_one_host_reuse_one_connection(long_body: bool, connections: int) -> None:
    """Redirect bodies are read so the connection goes on; one over 64 KiB is not read."""
    server = Server(_chain(long_body))

    async def go() -> factlinks.FetchResult:
        options = CheckOptions(timeout=10)
        async with serving(server), make_client(options) as client:
            return await Fetcher(client, options).fetch(server.url("/a"))

    result = asyncio.run(go())
    assert result.status_code == 200
    assert [hop.status_code for hop in result.redirects] == [301, 302]
    assert server.requests == ["/a", "/b", "/c"]
    assert server.connections == connections


# -- per-host pools follow the open-file limit ---------------------------------------------------


@pytest.mark.parametrize(
    ("soft", "per_host", "pools"),
    [
        (1024, 10, MIN_POOLS),  # 1024 / 2 / 10 = 51, below the floor
        (20_000, 10, 1000),
        (20_000, 2, MAX_POOLS),
        (10**9, 10, MAX_POOLS),
        (resource.RLIM_INFINITY, 10, MAX_POOLS),
    ],
)
def test_the_pool_budget_follows_the_soft_open_file_limit(
    monkeypatch: pytest.MonkeyPatch, soft: int, per_host: int, pools: int
) -> None:
    monkeypatch.setattr(transport_module.resource, "getrlimit", lambda _which: (soft, 10**9))
    assert pool_budget(per_host) == pools


@pytest.mark.parametrize(("soft", "reused"), [(2000, True), (1024, False)])
def test_many_hosts_keep_their_connections_when_the_file_limit_allows(
    monkeypatch: pytest.MonkeyPatch, soft: int, reused: bool
) -> None:
    """80 hosts, each asked twice: with 100 pools every host keeps its connection."""
    monkeypatch.setattr(transport_module.resource, "getrlimit", lambda _which: (soft, 10**9))
    servers = [Server(lambda path: page("Page")) for _ in range(80)]

    async def go() -> None:
        options = CheckOptions(timeout=10, concurrency=4, per_host=10)
        async with serving(*servers), make_client(options) as client:
            fetcher = Fetcher(client, options)
            for _ in range(2):
                for server in servers:
                    assert (await fetcher.fetch(server.url("/doc"))).status_code == 200

    asyncio.run(go())
    connections = sum(server.connections for server in servers)
    assert (connections == len(servers)) is reused
    assert connections <= 2 * len(servers)


# -- in flight: never more than allowed ----------------------------------------------------------


def test_requests_in_flight_stay_within_concurrency_and_per_host() -> None:
    """60 sources over 3 hosts, a third answering 429 first: lent turns add no requests."""
    everywhere = Counter()
    asked: set[str] = set()

    def answer(path: str) -> Answer:
        if path.startswith("/busy/") and path not in asked:
            asked.add(path)
            return 429, {"Retry-After": "1"}, b""
        if "factlinks-probe" in path:
            return 404, {}, b""
        return page(f"Document {path.rsplit('/', 1)[1]}")

    servers = [Server(answer, delay=0.005, shared=everywhere) for _ in range(3)]

    async def quick(seconds: float) -> None:
        await asyncio.sleep(0.01)  # a wait that really waits, so turns are lent

    async def go() -> factlinks.Report:
        async with serving(*servers):
            sources = [
                make_source(
                    servers[n % 3].url(f"/{'busy' if n % 3 == 0 else 'doc'}/{n}"),
                    id=f"s{n}",
                    title=f"Document {n}",
                )
                for n in range(60)
            ]
            options = CheckOptions(
                concurrency=4, per_host=2, retry=RetryPolicy(attempts=3, jitter=0.0)
            )
            runtime = factlinks.Runtime(sleep=quick, strict=True)
            return await factlinks.check_async(sources, options, runtime)

    report = asyncio.run(go())
    assert [r.status for r in report.results] == [Status.OK] * 60
    assert everywhere.most <= 4
    assert all(server.most_in_flight <= 2 for server in servers)
    assert len(asked) == 20  # every busy source was asked twice: once 429, once 200
    assert sum(len(server.requests) for server in servers) == 80


def test_check_never_builds_the_repr_of_its_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` hands its report out without asyncio building its repr.

    When ``asyncio.run`` puts the SIGINT handler back, the signal module formats the old
    handler, whose main task shows its result: a report returned as that result was turned
    into a string of every source at the end of each run.
    """
    # What makes asyncio format its task: it installs and later puts back its own handler
    # only while SIGINT has Python's default one.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    calls: list[str] = []

    def counted(self: object) -> str:
        calls.append(type(self).__name__)
        return "<counted>"

    monkeypatch.setattr(factlinks.Report, "__repr__", counted)
    monkeypatch.setattr(factlinks.SourceResult, "__repr__", counted)
    sources = [make_source(f"https://a.test/page{n}", id=f"s{n}", title="A page") for n in range(3)]
    with respx.mock(assert_all_called=True) as router:
        router.get(url__regex=r"^https://a\.test/page").mock(
            return_value=httpx.Response(200, html=_html("A page"))
        )
        report = factlinks.check(sources, CheckOptions(probe_soft_404=False))
    assert [result.status for result in report.results] == [Status.OK] * 3
    assert calls == []
