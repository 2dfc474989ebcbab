"""Fetcher behaviour with respx: redirect hops, remap, User-Agent, body cap, per-host limits.

respx sees the transport URL (after ``remap``); everything the fetcher reports (``final_url``,
the hops, and the pipeline's ``new_url``) names the URL as the web names it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
import respx

import factlinks
from conftest import CheckRunner, SleepRecorder, make_source
from factlinks import (
    CheckOptions,
    Failure,
    FailureKind,
    FetchResult,
    Hop,
    Remap,
    RetryPolicy,
    Status,
)
from factlinks._fetch import Fetcher, make_client
from factlinks._options import DEFAULT_USER_AGENT
from farm import Host, Reply, closed_port

ONE_TRY = RetryPolicy(attempts=1)


def run(
    options: CheckOptions,
    body: Callable[[Fetcher], Awaitable[Any]],
    *,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> Any:
    """Run ``body`` with a fetcher on a client made by :func:`make_client` for ``options``."""

    async def go() -> Any:
        async with make_client(options) as client:
            return await body(Fetcher(client, options, sleep=sleeps, clock=clock))

    return asyncio.run(go())


def fetch_one(
    url: str, options: CheckOptions, *, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> FetchResult:
    async def body(fetcher: Fetcher) -> FetchResult:
        return await fetcher.fetch(url)

    result: FetchResult = run(options, body, sleeps=sleeps, clock=clock)
    return result


def hops(result: FetchResult) -> list[tuple[str, int, str]]:
    return [(h.url, h.status_code, h.location) for h in result.redirects]


def redirect(status: int, location: str) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


# -- redirect hops ---------------------------------------------------------------------------


def test_every_hop_is_recorded_with_resolved_locations(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get("https://a.test/docs/old.pdf").mock(
            return_value=redirect(301, "https://b.test/files/new.pdf")
        )
        router.get("https://b.test/files/new.pdf").mock(return_value=redirect(302, "../cdn/x.pdf"))
        router.get("https://b.test/cdn/x.pdf").mock(return_value=redirect(303, "//c.test/y.pdf"))
        router.get("https://c.test/y.pdf").mock(return_value=redirect(307, "/z.pdf?v=2"))
        router.get("https://c.test/z.pdf?v=2").mock(return_value=redirect(308, "  final.pdf  "))
        router.get("https://c.test/final.pdf").mock(
            return_value=httpx.Response(
                200, content=b"%PDF-1.4 tiny", headers={"Content-Type": "application/pdf"}
            )
        )
        result = fetch_one("https://a.test/docs/old.pdf", options, sleeps=sleeps, clock=clock)

    assert hops(result) == [
        ("https://a.test/docs/old.pdf", 301, "https://b.test/files/new.pdf"),
        ("https://b.test/files/new.pdf", 302, "https://b.test/cdn/x.pdf"),
        ("https://b.test/cdn/x.pdf", 303, "https://c.test/y.pdf"),
        ("https://c.test/y.pdf", 307, "https://c.test/z.pdf?v=2"),
        ("https://c.test/z.pdf?v=2", 308, "https://c.test/final.pdf"),
    ]
    assert [h.permanent for h in result.redirects] == [True, False, False, False, True]
    assert result.url == "https://a.test/docs/old.pdf"
    assert result.final_url == "https://c.test/final.pdf"
    assert result.status_code == 200
    assert result.content_type == "application/pdf"
    assert result.body == b"%PDF-1.4 tiny"
    assert result.attempts == 1
    assert result.failure is None


def test_redirect_without_location_is_the_answer(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=httpx.Response(301))
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert (result.status_code, result.redirects, result.failure) == (301, (), None)


def test_failure_after_a_redirect_keeps_the_hops(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=5, retry=ONE_TRY)
    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=redirect(301, "https://gone.test/x"))
        router.get("https://gone.test/x").mock(
            side_effect=httpx.ConnectError("[Errno 111] Connection refused")
        )
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.CONNECT
    assert result.status_code is None
    assert result.final_url == "https://gone.test/x"
    assert hops(result) == [("https://a.test/x", 301, "https://gone.test/x")]


def test_retry_starts_again_at_the_cited_url(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        first = router.get("https://a.test/x").mock(return_value=redirect(302, "/y"))
        second = router.get("https://a.test/y").mock(
            side_effect=[httpx.Response(503), httpx.Response(200, text="ok")]
        )

        async def body(fetcher: Fetcher) -> tuple[FetchResult, int]:
            return await fetcher.fetch("https://a.test/x"), fetcher.requests

        result, requests = run(options, body, sleeps=sleeps, clock=clock)
        assert (first.call_count, second.call_count) == (2, 2)
    assert requests == 4  # hops and retries included
    assert result.attempts == 2
    assert hops(result) == [("https://a.test/x", 302, "https://a.test/y")]  # the last attempt's


def test_ftp_redirect_target_is_invalid_url(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    location = "ftp://files.example.org/report.pdf"
    with respx.mock() as router:
        route = router.get("https://a.test/report.pdf").mock(return_value=redirect(302, location))
        result = fetch_one("https://a.test/report.pdf", options, sleeps=sleeps, clock=clock)
        assert route.call_count == 1  # not retried
    assert result.failure is not None
    assert result.failure.kind is FailureKind.INVALID_URL
    assert result.failure.detail == f"redirected to a non-http URL: {location}"
    assert hops(result) == [("https://a.test/report.pdf", 302, location)]
    assert result.final_url == "https://a.test/report.pdf"
    assert result.status_code is None
    assert result.attempts == 1


NON_HTTP_WITHOUT_HOST = [
    pytest.param("mailto:webmaster@example.org", id="mailto"),
    pytest.param("javascript:void(0)", id="javascript"),
    pytest.param("data:text/plain,moved", id="data"),
]


@pytest.mark.parametrize("location", NON_HTTP_WITHOUT_HOST)
def test_hostless_non_http_redirect_target_is_invalid_url(
    location: str, options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        route = router.get("https://a.test/page").mock(return_value=redirect(302, location))
        result = fetch_one("https://a.test/page", options, sleeps=sleeps, clock=clock)
        assert route.call_count == 1
    assert result.failure is not None
    assert result.failure.kind is FailureKind.INVALID_URL
    assert result.attempts == 1


@pytest.mark.parametrize("location", NON_HTTP_WITHOUT_HOST)
def test_hostless_non_http_redirect_is_recorded_as_a_hop(
    location: str, options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/page").mock(return_value=redirect(302, location))
        result = fetch_one("https://a.test/page", options, sleeps=sleeps, clock=clock)
    assert result.failure is not None
    assert location in result.failure.detail
    assert hops(result) == [("https://a.test/page", 302, location)]


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://[broken/report.pdf", id="bad-ipv6-literal"),
        pytest.param("http://a.test:99999/report.pdf", id="port-out-of-range"),
        pytest.param("http:///report.pdf", id="empty-host"),
    ],
)
def test_malformed_redirect_target_is_invalid_url(
    location: str, options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get("https://a.test/report.pdf").mock(return_value=redirect(302, location))
        router.route().mock(return_value=httpx.Response(200))
        result = fetch_one("https://a.test/report.pdf", options, sleeps=sleeps, clock=clock)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.INVALID_URL
    assert hops(result) == [("https://a.test/report.pdf", 302, location)]


def test_redirect_loop_and_too_many_redirects(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/self").mock(return_value=redirect(302, "/self"))
        router.get(url__regex=r"^https://a\.test/n/\d+$").mock(
            side_effect=lambda request: redirect(
                301, f"/n/{int(request.url.path.rsplit('/', 1)[1]) + 1}"
            )
        )

        async def body(fetcher: Fetcher) -> tuple[FetchResult, FetchResult, FetchResult]:
            return (
                await fetcher.fetch("https://a.test/self"),
                await fetcher.fetch("https://a.test/n/0"),
                await Fetcher(fetcher._client, options.replace(max_redirects=0)).fetch(
                    "https://a.test/n/0"
                ),
            )

        loop, chain, none_allowed = run(options, body, sleeps=sleeps, clock=clock)

    assert loop.failure is not None
    assert loop.failure.kind is FailureKind.REDIRECT_LOOP
    assert len(loop.redirects) == 2  # the third visit of /self is the loop
    assert chain.failure is not None
    assert chain.failure.kind is FailureKind.TOO_MANY_REDIRECTS
    assert len(chain.redirects) == 11
    assert none_allowed.failure is not None
    assert none_allowed.failure.kind is FailureKind.TOO_MANY_REDIRECTS
    assert len(none_allowed.redirects) == 1


@pytest.mark.parametrize("count", [10, 11])
def test_max_redirects_boundary(
    count: int, options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock(assert_all_called=False) as router:
        for number in range(count):
            router.get(f"https://a.test/n/{number}").mock(
                return_value=redirect(302, f"/n/{number + 1}")
            )
        router.get(f"https://a.test/n/{count}").mock(return_value=httpx.Response(200))
        result = fetch_one("https://a.test/n/0", options, sleeps=sleeps, clock=clock)
    if count <= options.max_redirects:
        assert (result.status_code, result.failure) == (200, None)
        assert result.final_url == f"https://a.test/n/{count}"
    else:
        assert result.failure is not None
        assert result.failure.kind is FailureKind.TOO_MANY_REDIRECTS
    assert len(result.redirects) == count


# -- remap -----------------------------------------------------------------------------------

REMAP = (
    Remap.parse(r"^https://www\.kfw\.test http://kfw-mock.local:8001"),
    Remap.parse(r"^https://assets\.kfw\.test http://assets-mock.local:8002"),
)


def test_remap_requests_go_to_the_transport_but_results_name_the_web(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=5, remap=REMAP)
    with respx.mock() as router:
        router.get("http://kfw-mock.local:8001/docs/report.pdf").mock(
            return_value=redirect(301, "/publications/report.pdf")
        )
        router.get("http://kfw-mock.local:8001/publications/report.pdf").mock(
            return_value=redirect(302, "https://assets.kfw.test/x/report.pdf")
        )
        router.get("http://assets-mock.local:8002/x/report.pdf").mock(
            return_value=httpx.Response(200, text="the report")
        )
        result = fetch_one(
            "https://www.kfw.test/docs/report.pdf", options, sleeps=sleeps, clock=clock
        )
        seen = [str(call.request.url) for call in router.calls]

    assert seen == [
        "http://kfw-mock.local:8001/docs/report.pdf",
        "http://kfw-mock.local:8001/publications/report.pdf",
        "http://assets-mock.local:8002/x/report.pdf",
    ]
    assert result.url == "https://www.kfw.test/docs/report.pdf"
    assert result.final_url == "https://assets.kfw.test/x/report.pdf"
    assert hops(result) == [
        (
            "https://www.kfw.test/docs/report.pdf",
            301,
            "https://www.kfw.test/publications/report.pdf",
        ),
        (
            "https://www.kfw.test/publications/report.pdf",
            302,
            "https://assets.kfw.test/x/report.pdf",
        ),
    ]
    assert result.body == b"the report"
    assert "mock" not in repr(result)


def test_remap_with_group_reference(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(
        timeout=5, remap=(Remap.parse(r"^https://(\w+)\.test/ http://\1.local/"),)
    )
    with respx.mock() as router:
        router.get("http://one.local/a").mock(return_value=httpx.Response(200))
        result = fetch_one("https://one.test/a", options, sleeps=sleeps, clock=clock)
    assert (result.final_url, result.status_code) == ("https://one.test/a", 200)


def test_remap_moved_source_new_url_names_the_web_url(run_check: CheckRunner) -> None:
    options = CheckOptions(timeout=5, remap=REMAP)
    source = make_source("https://www.kfw.test/docs/report.html", title="Widget Safety Report")
    page = "<html><head><title>Widget Safety Report</title></head><body></body></html>"
    with respx.mock() as router:
        router.get("http://kfw-mock.local:8001/docs/report.html").mock(
            return_value=redirect(301, "https://assets.kfw.test/reports/widgets.html")
        )
        router.get("http://assets-mock.local:8002/reports/widgets.html").mock(
            return_value=httpx.Response(200, html=page)
        )
        report = run_check([source], options)

    (result,) = report.results
    assert result.status is Status.MOVED
    assert result.new_url == "https://assets.kfw.test/reports/widgets.html"
    assert "https://assets.kfw.test/reports/widgets.html" in result.reason
    assert result.fetch is not None
    assert result.fetch.final_url == "https://assets.kfw.test/reports/widgets.html"
    assert result.fetch.redirects == (
        Hop(
            "https://www.kfw.test/docs/report.html",
            301,
            "https://assets.kfw.test/reports/widgets.html",
        ),
    )


# -- request headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        pytest.param(None, DEFAULT_USER_AGENT, id="default"),
        pytest.param("ExampleBot/2.0 (+mailto:ops@example.org)", None, id="configured"),
    ],
)
def test_user_agent_is_sent_on_every_request(
    user_agent: str | None,
    expected: str | None,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    options = CheckOptions(timeout=5)
    if user_agent is not None:
        options = options.replace(user_agent=user_agent)
    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=redirect(302, "https://b.test/y"))
        router.get("https://b.test/y").mock(return_value=httpx.Response(200))
        fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
        agents = [call.request.headers.get("user-agent") for call in router.calls]
        accepts = [call.request.headers.get("accept") for call in router.calls]
    assert agents == [expected or user_agent] * 2
    assert accepts == ["*/*"] * 2
    assert DEFAULT_USER_AGENT.startswith("factlinks/")


def test_response_headers_are_lower_cased(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/x").mock(
            return_value=httpx.Response(
                200, text="hi", headers={"X-Custom-Thing": "Yes", "Content-Type": "text/plain"}
            )
        )
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert result.headers["x-custom-thing"] == "Yes"
    assert result.content_type == "text/plain"
    assert all(name == name.lower() for name in result.headers)


# -- body cap --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "truncated"),
    [
        pytest.param(99, False, id="below"),
        pytest.param(100, False, id="exactly"),
        pytest.param(101, True, id="one-over"),
        pytest.param(5_000, True, id="far-over"),
    ],
)
def test_body_is_capped_at_max_bytes(
    size: int, truncated: bool, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=5, max_bytes=100)
    content = bytes(range(256)) * (size // 256 + 1)
    content = content[:size]
    with respx.mock() as router:
        router.get("https://a.test/big").mock(return_value=httpx.Response(200, content=content))
        result = fetch_one("https://a.test/big", options, sleeps=sleeps, clock=clock)
    assert result.truncated is truncated
    assert result.bytes == min(size, 100)
    assert result.body == content[:100]
    assert result.failure is None


def test_body_cap_across_several_chunks(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=5, max_bytes=150_000)

    async def chunks() -> Any:
        for _ in range(5):
            yield b"a" * 64 * 1024

    with respx.mock() as router:
        router.get("https://a.test/stream").mock(
            side_effect=lambda request: httpx.Response(200, content=chunks())
        )
        result = fetch_one("https://a.test/stream", options, sleeps=sleeps, clock=clock)
    assert result.truncated
    assert result.bytes == 150_000
    assert len(result.body) == 150_000


# -- limits and deadline ---------------------------------------------------------------------


class InFlight:
    """A respx side effect that answers after a short sleep and tracks concurrency."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.hosts: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        self.hosts.append(request.url.host)
        try:
            await asyncio.sleep(0.01)
        finally:
            self.now -= 1
        return httpx.Response(200, text="slow")


@pytest.mark.parametrize(
    ("per_host", "concurrency", "urls", "peak"),
    [
        pytest.param(1, 32, ["https://a.test/1", "https://a.test/2"], 1, id="same-host-limit-1"),
        pytest.param(
            1, 32, ["https://a.test/1", "https://a.test/2", "https://a.test/3"], 1, id="three"
        ),
        pytest.param(2, 32, ["https://a.test/1", "https://a.test/2"], 2, id="same-host-limit-2"),
        pytest.param(1, 32, ["https://a.test/1", "https://b.test/1"], 2, id="two-hosts"),
        pytest.param(
            1, 32, ["https://a.test/1", "http://a.test:8080/1"], 2, id="ports-are-separate-hosts"
        ),
        pytest.param(2, 1, ["https://a.test/1", "https://b.test/1"], 1, id="global-limit"),
    ],
)
def test_requests_in_flight_are_limited(
    per_host: int,
    concurrency: int,
    urls: list[str],
    peak: int,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    options = CheckOptions(timeout=5, per_host=per_host, concurrency=concurrency)
    tracker = InFlight()
    with respx.mock() as router:
        router.get(url__regex=r"^https?://[ab]\.test(:\d+)?/\d$").mock(side_effect=tracker)

        async def body(fetcher: Fetcher) -> list[FetchResult]:
            return list(await asyncio.gather(*(fetcher.fetch(url) for url in urls)))

        results = run(options, body, sleeps=sleeps, clock=clock)
    assert [r.status_code for r in results] == [200] * len(urls)
    assert len(tracker.hosts) == len(urls)
    assert tracker.peak == peak


def test_per_host_limit_applies_to_the_transport_host(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    # Two web hosts remapped onto one transport host share its limit.
    remap = (Remap.parse(r"^https://(?:a|b)\.test http://shared.local"),)
    options = CheckOptions(timeout=5, per_host=1, remap=remap)
    tracker = InFlight()
    with respx.mock() as router:
        router.get(url__regex=r"^http://shared\.local/\d$").mock(side_effect=tracker)

        async def body(fetcher: Fetcher) -> list[FetchResult]:
            urls = ["https://a.test/1", "https://b.test/2"]
            return list(await asyncio.gather(*(fetcher.fetch(url) for url in urls)))

        results = run(options, body, sleeps=sleeps, clock=clock)
    assert [r.final_url for r in results] == ["https://a.test/1", "https://b.test/2"]
    assert tracker.peak == 1


def test_timeout_covers_the_whole_request(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=0.2, retry=RetryPolicy(attempts=2, jitter=0.0))

    calls = 0

    async def never(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(5)
        return httpx.Response(200)  # pragma: no cover - cancelled first

    # assert_all_called=False: respx records a call only once its answer is ready.
    with respx.mock(assert_all_called=False) as router:
        router.get("https://a.test/slow").mock(side_effect=never)
        result = fetch_one("https://a.test/slow", options, sleeps=sleeps, clock=clock)
    assert calls == 2  # a timeout is retried
    assert result.failure is not None
    assert result.failure.kind is FailureKind.TIMEOUT
    assert result.failure.detail == "no complete answer within 0.2 s"
    assert result.attempts == 2


def test_elapsed_ms_comes_from_the_monotonic_clock(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    ticks = iter([10.0, 10.25])

    async def go() -> FetchResult:
        async with make_client(options) as client:
            fetcher = Fetcher(
                client, options, sleep=sleeps, clock=clock, monotonic=lambda: next(ticks)
            )
            return await fetcher.fetch("https://a.test/x")

    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=httpx.Response(200))
        result = asyncio.run(go())
    assert result.elapsed_ms == 250


# -- from the first review (issue 2): per-host waits, the caller's client, proxies -----------


def test_waiting_for_a_per_host_slot_does_not_count_towards_the_timeout(
    run_check: CheckRunner,
) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.3)  # each request takes 0.3 s, well within the 0.5 s timeout
        return httpx.Response(200, text="fine")

    options = CheckOptions(
        timeout=0.5, per_host=1, concurrency=4, retry=ONE_TRY, probe_soft_404=False
    )
    sources = [make_source(f"https://a.test/docs/{n}.html", id=f"s{n}") for n in range(3)]
    with respx.mock() as router:
        router.get(url__regex=r"^https://a\.test/docs/\d\.html$").mock(side_effect=answer)
        report = run_check(sources, options)
    assert [r.status for r in report.results] == [Status.OK] * 3, [r.reason for r in report.results]


def test_check_leaves_the_callers_client_as_it_was(run_check: CheckRunner) -> None:
    async def go() -> str | None:
        async with httpx.AsyncClient() as client:
            await run_check.run_async(
                [make_source("https://a.test/", id="root")],
                CheckOptions(retry=ONE_TRY),
                client=client,
                strict=True,
            )
            response = await client.get("https://a.test/old")
            location: str | None = response.headers.get("location")
            return location

    with respx.mock() as router:
        router.get("https://a.test/").mock(return_value=httpx.Response(200, text="home"))
        router.get("https://a.test/old").mock(
            return_value=httpx.Response(301, headers={"Location": "/new"})
        )
        assert asyncio.run(go()) == "/new"


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.integration
@pytest.mark.usefixtures("no_proxy_env")
def test_proxy_from_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, run_check: CheckRunner
) -> None:
    def no_dns(host: object, *args: object, **kwargs: object) -> object:
        if host in ("127.0.0.1", "localhost"):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "test guard: no name resolution here")

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # a regression must not reach DNS
    with Host("proxy.example", fallback=Reply.html("via proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("http_proxy", proxy.base_url)
        # Only the proxy can answer for this name; it is never resolved.
        url = "http://docs.example.test/docs/page.html"
        options = CheckOptions(retry=ONE_TRY, probe_soft_404=False, timeout=5)
        report = run_check([make_source(url, id="p")], options)
        assert proxy.requests, report.results[0].reason
    assert report.results[0].status is Status.OK
    assert proxy.requests[0].path == url  # absolute-form request line, as proxies get it


def test_loopback_never_goes_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    with Host("direct.example", fallback=Reply.html("direct")) as host:
        options = CheckOptions(retry=ONE_TRY, probe_soft_404=False, timeout=5)
        report = factlinks.check([make_source(host.url("/page"), id="d")], options)
    assert report.results[0].status is Status.OK


# -- every field of a result -----------------------------------------------------------------


def _fields(result: FetchResult) -> tuple[FetchResult, dict[str, str], bytes]:
    """``result`` with its elapsed time zeroed, plus the fields equality ignores."""
    return replace(result, elapsed_ms=0), dict(result.headers), result.body


def test_an_answer_fills_every_field(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=redirect(301, "/y"))
        router.get("https://a.test/y").mock(
            return_value=httpx.Response(
                200, content=b"hello", headers={"Content-Type": "text/html", "ETag": '"v1"'}
            )
        )
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert _fields(result) == (
        FetchResult(
            url="https://a.test/x",
            final_url="https://a.test/y",
            status_code=200,
            redirects=(Hop("https://a.test/x", 301, "https://a.test/y"),),
            content_type="text/html",
            bytes=5,
            sha256=hashlib.sha256(b"hello").hexdigest(),
        ),
        {"content-type": "text/html", "etag": '"v1"', "content-length": "5"},
        b"hello",
    )


@pytest.mark.parametrize(
    ("location", "detail"),
    [
        pytest.param(
            "http://[broken/r", "redirected to an invalid URL: http://[broken/r", id="invalid"
        ),
        pytest.param(
            "  mailto:x@y.test ", "redirected to a non-http URL: mailto:x@y.test", id="non-http"
        ),
    ],
)
def test_a_failed_redirect_fills_every_field(
    location: str,
    detail: str,
    options: CheckOptions,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=redirect(302, location))
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert _fields(result) == (
        FetchResult(
            url="https://a.test/x",
            final_url="https://a.test/x",
            status_code=None,
            redirects=(Hop("https://a.test/x", 302, location.strip()),),
            failure=Failure(FailureKind.INVALID_URL, detail),
        ),
        {},
        b"",
    )


def test_a_loop_over_two_urls_names_where_it_came_back(
    options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/x").mock(return_value=redirect(302, "/y"))
        router.get("https://a.test/y").mock(return_value=redirect(302, "/x"))
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert result.failure == Failure(
        FailureKind.REDIRECT_LOOP, "redirect loop back to https://a.test/x"
    )
    assert (result.final_url, result.status_code, result.attempts) == (
        "https://a.test/x",
        None,
        1,
    )
    assert (
        hops(result)
        == [
            ("https://a.test/x", 302, "https://a.test/y"),
            ("https://a.test/y", 302, "https://a.test/x"),
        ]
        * 2
    )


def test_too_many_redirects_ends_at_the_last_url_fetched(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=5, max_redirects=2)
    with respx.mock(assert_all_called=False) as router:
        for number in range(5):
            router.get(f"https://a.test/n/{number}").mock(
                return_value=redirect(302, f"/n/{number + 1}")
            )
        result = fetch_one("https://a.test/n/0", options, sleeps=sleeps, clock=clock)
    assert result.failure == Failure(FailureKind.TOO_MANY_REDIRECTS, "more than 2 redirects")
    assert (result.final_url, result.status_code) == ("https://a.test/n/2", None)
    assert [h.location for h in result.redirects] == [f"https://a.test/n/{n}" for n in (1, 2, 3)]


@pytest.mark.parametrize(
    ("status", "location", "has_location"),
    [
        pytest.param(301, "   ", False, id="blank-location-on-a-redirect"),
        pytest.param(302, "", False, id="empty-location-on-a-redirect"),
        pytest.param(201, "/made", True, id="location-on-a-created"),
        pytest.param(300, "/choice", True, id="location-on-multiple-choices"),
    ],
)
def test_an_answer_with_a_location_that_is_not_followed(
    status: int,
    location: str,
    has_location: bool,
    options: CheckOptions,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    with respx.mock() as router:
        router.get("https://a.test/x").mock(
            return_value=httpx.Response(status, headers={"Location": location}, text="body")
        )
        result = fetch_one("https://a.test/x", options, sleeps=sleeps, clock=clock)
    assert (result.status_code, result.redirects, result.failure) == (status, (), None)
    assert result.body == b"body"
    assert ("location" in result.headers) is has_location


def test_the_deadline_covers_the_whole_redirect_chain(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=0.3, retry=ONE_TRY)

    async def slow_redirect(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.12)  # each hop well within the timeout, three of them not
        number = int(request.url.path.rsplit("/", 1)[1])
        return redirect(302, f"/n/{number + 1}")

    with respx.mock(assert_all_called=False) as router:
        router.get(url__regex=r"^https://a\.test/n/\d+$").mock(side_effect=slow_redirect)
        result = fetch_one("https://a.test/n/0", options, sleeps=sleeps, clock=clock)
    assert result.failure == Failure(FailureKind.TIMEOUT, "no complete answer within 0.3 s")
    assert result.final_url == "https://a.test/n/2"
    assert len(result.redirects) == 2


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        pytest.param(
            "not a url",
            "Request URL is missing an 'http://' or 'https://' protocol.",
            id="no-scheme",
        ),
        pytest.param(
            "ftp://a.test/x",
            "Request URL has an unsupported protocol 'ftp://'.",
            id="unsupported-scheme",
        ),
    ],
)
def test_a_url_httpx_cannot_request_is_an_invalid_url(
    url: str,
    detail: str,
    options: CheckOptions,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    result = fetch_one(url, options, sleeps=sleeps, clock=clock)  # refused before any I/O
    assert result.failure == Failure(FailureKind.INVALID_URL, detail)
    assert (result.final_url, result.status_code, result.attempts) == (url, None, 1)


def _raised_from(error: Exception, cause: BaseException, *, implicit: bool = False) -> Exception:
    """``error`` chained to ``cause``: ``raise ... from`` or, with ``implicit``, raised in an
    ``except`` block."""
    try:
        if implicit:
            try:
                raise cause
            except BaseException:
                raise error  # noqa: B904 - the implicit context is the point
        raise error from cause
    except Exception as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        pytest.param(
            httpx.ReadError("Connection reset by peer"),
            Failure(FailureKind.NETWORK, "Connection reset by peer"),
            id="own-text",
        ),
        pytest.param(
            _raised_from(httpx.ReadError(""), OSError("deep reason")),
            Failure(FailureKind.NETWORK, "deep reason"),
            id="empty-text-explicit-cause",
        ),
        pytest.param(
            _raised_from(httpx.ReadError(""), OSError("context reason"), implicit=True),
            Failure(FailureKind.NETWORK, "context reason"),
            id="empty-text-implicit-context",
        ),
        pytest.param(
            _raised_from(httpx.ReadError("outer"), OSError("inner")),
            Failure(FailureKind.NETWORK, "inner"),
            id="the-deepest-text-wins",
        ),
        pytest.param(
            httpx.ReadError(""), Failure(FailureKind.NETWORK, "ReadError"), id="no-text-at-all"
        ),
        pytest.param(
            _raised_from(httpx.ConnectError(""), OSError("host down")),
            Failure(FailureKind.CONNECT, "cannot connect: host down"),
            id="connect",
        ),
        pytest.param(
            httpx.DecodingError("bad gzip"),
            Failure(FailureKind.NETWORK, "bad gzip"),
            id="decoding",
        ),
        pytest.param(ValueError("odd"), Failure(FailureKind.INVALID_URL, "odd"), id="value-error"),
        pytest.param(
            ValueError(), Failure(FailureKind.INVALID_URL, "ValueError"), id="value-error-no-text"
        ),
    ],
)
def test_transport_errors_become_failures_described_by_their_causes(
    error: Exception, failure: Failure, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=5, retry=ONE_TRY)

    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    async def go() -> FetchResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await Fetcher(client, options, sleep=sleeps, clock=clock).fetch(
                "https://a.test/x"
            )

    result = asyncio.run(go())
    assert _fields(result) == (
        FetchResult(
            url="https://a.test/x", final_url="https://a.test/x", status_code=None, failure=failure
        ),
        {},
        b"",
    )


# -- a client passed in ----------------------------------------------------------------------


def test_a_client_passed_in_is_left_exactly_as_it_was_given(run_check: CheckRunner) -> None:
    seen: list[tuple[int, str | None]] = []

    async def own_hook(response: httpx.Response) -> None:
        seen.append((response.status_code, response.headers.get("location")))

    hooks_during: list[dict[str, list[Any]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hooks_during.append({name: list(hooks) for name, hooks in client.event_hooks.items()})
        if request.url.path == "/old":
            return redirect(301, "/new")
        return httpx.Response(200, html="<title>Widget Safety Report</title>")

    client = httpx.AsyncClient(event_hooks={"response": [own_hook]})
    response_hooks = client.event_hooks["response"]
    before = {name: list(hooks) for name, hooks in client.event_hooks.items()}

    async def go() -> factlinks.Report:
        async with client:
            return await run_check.run_async(
                [make_source("https://a.test/old", title="Widget Safety Report")],
                CheckOptions(timeout=5, retry=ONE_TRY, probe_soft_404=False),
                client=client,
            )

    with respx.mock() as router:
        router.get(url__regex=r"^https://a\.test/(old|new)$").mock(side_effect=answer)
        report = asyncio.run(go())

    assert {name: list(hooks) for name, hooks in client.event_hooks.items()} == before
    assert client.event_hooks["response"] is response_hooks
    assert hooks_during == [before, before]
    assert seen == [(301, "/new"), (200, None)]  # the caller's hook saw the real headers
    (result,) = report.results
    assert result.status is Status.MOVED
    assert result.fetch is not None
    assert result.fetch.redirects == (Hop("https://a.test/old", 301, "https://a.test/new"),)


@pytest.mark.parametrize(
    ("location", "detail"),
    [
        pytest.param(
            "mailto:a@b.test",
            "For absolute URLs, path must be empty or begin with '/'",
            id="mailto",
        ),
        pytest.param(
            "http://a.test:abc/",
            "redirected to an invalid URL (Invalid URL in location header: Invalid port: 'abc'.)",
            id="bad-port",
        ),
    ],
)
def test_with_a_client_passed_in_a_location_httpx_cannot_parse_is_an_invalid_url(
    location: str, detail: str, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    # With a client made by make_client the fetcher records the hop and names the Location
    # (see above); with a caller's client httpx reads the header first, and its error is the
    # failure: still an invalid URL, and not retried, but without the hop.
    options = CheckOptions(timeout=5)

    async def go() -> FetchResult:
        async with httpx.AsyncClient() as client:
            return await Fetcher(client, options, sleep=sleeps, clock=clock).fetch(
                "https://a.test/x"
            )

    with respx.mock() as router:
        route = router.get("https://a.test/x").mock(return_value=redirect(302, location))
        result = asyncio.run(go())
        assert route.call_count == 1
    assert result.failure == Failure(FailureKind.INVALID_URL, detail)
    assert (result.attempts, result.redirects) == (1, ())
