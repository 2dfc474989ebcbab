"""The Wayback service alone, with respx: availability API answers, cache, capture URLs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import pytest
import respx

from conftest import FIXED_NOW, SleepRecorder
from factlinks import Capture, CheckOptions, RetryPolicy
from factlinks._archive import (
    DEFAULT_ARCHIVE_API,
    ArchiveCache,
    InMemoryArchiveCache,
    LookupAnswer,
    WaybackService,
)
from factlinks._fetch import Fetcher, make_client

CITED = "https://www.example.org/studies/ki.html"
SNAPSHOT = f"http://web.archive.org/web/20210210093000/{CITED}"
NEAR = dt.date(2021, 2, 15)


def lookup(
    cache: ArchiveCache, near: dt.date | None = NEAR, *, api: str = DEFAULT_ARCHIVE_API
) -> tuple[Capture | None, int]:
    """Look ``CITED`` up through a real fetcher (respx answers); the capture and requests sent."""
    options = CheckOptions(timeout=5, retry=RetryPolicy(attempts=1))

    async def go() -> tuple[Capture | None, int]:
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, sleep=SleepRecorder(), clock=lambda: FIXED_NOW)
            service = WaybackService(api=api, fetch=fetcher.fetch, cache=cache)
            return await service.lookup(CITED, near), service.lookups

    return asyncio.run(go())


def answer(closest: dict[str, Any] | None) -> httpx.Response:
    snapshots = {} if closest is None else {"closest": closest}
    return httpx.Response(200, json={"url": CITED, "archived_snapshots": snapshots})


def test_a_capture_is_named_and_cached() -> None:
    cache = InMemoryArchiveCache()
    closest = {"status": "200", "available": True, "url": SNAPSHOT, "timestamp": "20210210093000"}
    with respx.mock() as router:
        route = router.get(DEFAULT_ARCHIVE_API).mock(return_value=answer(closest))
        capture, asked = lookup(cache)

    assert capture == Capture(SNAPSHOT, "20210210093000", CITED, "200")
    assert asked == 1
    assert dict(route.calls.last.request.url.params) == {"url": CITED, "timestamp": "20210215"}
    assert cache.answers == {
        (CITED, "20210215"): LookupAnswer(SNAPSHOT, "20210210093000", "200", available=True)
    }


def test_a_cached_answer_is_not_asked_again() -> None:
    cache = InMemoryArchiveCache()
    cache.put(CITED, "20210215", LookupAnswer(SNAPSHOT, "20210210093000", None, available=True))
    with respx.mock(assert_all_called=False) as router:
        route = router.get(DEFAULT_ARCHIVE_API).mock(return_value=answer(None))
        capture, asked = lookup(cache)

    assert capture == Capture(SNAPSHOT, "20210210093000", CITED, None)
    assert asked == 0
    assert not route.called


@pytest.mark.parametrize(
    "closest", [pytest.param(None, id="no-closest"), pytest.param({"available": False}, id="false")]
)
def test_no_capture_is_none_and_cached_as_such(closest: dict[str, Any] | None) -> None:
    cache = InMemoryArchiveCache()
    with respx.mock() as router:
        router.get(DEFAULT_ARCHIVE_API).mock(return_value=answer(closest))
        capture, _ = lookup(cache)

    assert capture is None
    assert cache.answers == {(CITED, "20210215"): LookupAnswer(None, None, None, available=False)}


def test_without_a_date_the_newest_capture_is_asked_for() -> None:
    cache = InMemoryArchiveCache()
    with respx.mock() as router:
        route = router.get(DEFAULT_ARCHIVE_API).mock(return_value=answer(None))
        lookup(cache, near=None)

    assert dict(route.calls.last.request.url.params) == {"url": CITED}
    assert list(cache.answers) == [(CITED, "")]


def test_an_api_url_with_a_query_gets_the_parameters_appended() -> None:
    api = "https://mirror.test/available?key=abc"
    with respx.mock() as router:
        route = router.get(url__startswith="https://mirror.test/available").mock(
            return_value=answer(None)
        )
        lookup(InMemoryArchiveCache(), api=api)

    params = dict(route.calls.last.request.url.params)
    assert params == {"key": "abc", "url": CITED, "timestamp": "20210215"}


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(200, content=b'{"archived_snapshots": {"clo'), id="cut-off"),
        pytest.param(httpx.Response(200, content=b"<h1>Maintenance</h1>"), id="html"),
        pytest.param(httpx.Response(200, json=[]), id="json-list"),
        pytest.param(httpx.Response(200, json={"archived_snapshots": []}), id="not-an-object"),
        pytest.param(httpx.Response(200, json={"archived_snapshots": {"closest": 1}}), id="int"),
        pytest.param(answer({"available": True}), id="closest-empty"),
        pytest.param(httpx.Response(404, json={"archived_snapshots": {}}), id="json-but-404"),
        pytest.param(httpx.Response(503, content=b"busy"), id="503"),
    ],
)
def test_a_malformed_answer_is_none_and_not_cached(response: httpx.Response) -> None:
    cache = InMemoryArchiveCache()
    with respx.mock() as router:
        router.get(DEFAULT_ARCHIVE_API).mock(return_value=response)
        capture, asked = lookup(cache)

    assert capture is None
    assert asked == 1
    assert cache.answers == {}


@pytest.mark.parametrize(
    ("url", "timestamp"),
    [
        pytest.param("javascript:alert(1)", "20210210000000", id="javascript"),
        pytest.param(
            f"ftp://web.archive.org/web/20210210000000/{CITED}", "20210210000000", id="ftp"
        ),
        pytest.param("file:///etc/passwd", "20210210000000", id="file"),
        pytest.param(f"/web/20210210000000/{CITED}", "20210210000000", id="relative"),
        pytest.param(SNAPSHOT, "20211399000000", id="impossible-timestamp"),
        pytest.param(SNAPSHOT, 20210210093000, id="timestamp-not-a-string"),
    ],
)
def test_a_snapshot_url_or_time_that_is_not_a_capture_is_rejected(
    url: str, timestamp: object
) -> None:
    cache = InMemoryArchiveCache()
    closest = {"status": "200", "available": True, "url": url, "timestamp": timestamp}
    with respx.mock() as router:
        router.get(DEFAULT_ARCHIVE_API).mock(return_value=answer(closest))
        capture, _ = lookup(cache)

    assert capture is None
    assert cache.answers == {}


def test_a_status_that_is_not_text_is_dropped() -> None:
    closest = {"status": 200, "available": True, "url": SNAPSHOT, "timestamp": "20210210093000"}
    with respx.mock() as router:
        router.get(DEFAULT_ARCHIVE_API).mock(
            return_value=httpx.Response(
                200, content=json.dumps({"archived_snapshots": {"closest": closest}}).encode()
            )
        )
        capture, _ = lookup(InMemoryArchiveCache())

    assert capture == Capture(SNAPSHOT, "20210210093000", CITED, None)


# -- capture URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(f"https://web.archive.org/web/20200101000000/{CITED}", True, id="https"),
        pytest.param(f"http://web.archive.org/web/20200101000000/{CITED}", True, id="http"),
        pytest.param(f"https://web.archive.org/web/20200101000000id_/{CITED}", True, id="mode"),
        pytest.param(f"https://web.archive.org/web/2021/{CITED}", True, id="partial-time"),
        pytest.param(f"https://WEB.archive.org/web/20200101000000/{CITED}", True, id="host-case"),
        pytest.param(f"https://wayback.archive.org/web/20200101000000/{CITED}", True, id="wayback"),
        pytest.param(f"https://web.archive.org/web/*/{CITED}", False, id="listing"),
        pytest.param("https://web.archive.org/web/20200101000000/", False, id="no-original"),
        pytest.param("https://web.archive.org/", False, id="home"),
        pytest.param(CITED, False, id="live-page"),
        pytest.param(f"https://evil.test/web/20200101000000/{CITED}", False, id="other-host"),
        pytest.param(f"ftp://web.archive.org/web/20200101000000/{CITED}", False, id="ftp"),
        pytest.param("https://[invalid/web/20200101000000/x", False, id="unparsable"),
    ],
)
def test_is_capture(url: str, expected: bool) -> None:
    service = WaybackService(api=DEFAULT_ARCHIVE_API, fetch=_no_fetch, cache=InMemoryArchiveCache())
    assert service.is_capture(url) is expected


def test_is_capture_knows_the_hosts_it_is_given() -> None:
    service = WaybackService(
        api="https://mirror.test/available",
        fetch=_no_fetch,
        cache=InMemoryArchiveCache(),
        hosts=["Mirror.test"],
    )
    assert service.is_capture(f"https://mirror.test/web/20200101000000/{CITED}")
    assert not service.is_capture(f"https://web.archive.org/web/20200101000000/{CITED}")


@pytest.mark.parametrize(
    ("final_url", "expected"),
    [
        pytest.param(
            f"https://web.archive.org/web/20210208000000/{CITED}",
            (f"https://web.archive.org/web/20210208000000/{CITED}", "20210208000000"),
            id="another-capture",
        ),
        pytest.param(
            f"https://web.archive.org/web/20210208000000id_/{CITED}",
            (f"https://web.archive.org/web/20210208000000id_/{CITED}", "20210208000000"),
            id="with-mode",
        ),
        pytest.param(SNAPSHOT, (SNAPSHOT, "20210210093000"), id="same"),
        pytest.param(CITED, (SNAPSHOT, "20210210093000"), id="not-a-capture"),
        pytest.param(
            f"https://web.archive.org/web/2021/{CITED}", (SNAPSHOT, "20210210093000"), id="partial"
        ),
        pytest.param(
            f"https://web.archive.org/web/20211399000000/{CITED}",
            (SNAPSHOT, "20210210093000"),
            id="impossible-time",
        ),
    ],
)
def test_served_reads_the_capture_a_redirect_landed_on(
    final_url: str, expected: tuple[str, str]
) -> None:
    service = WaybackService(api=DEFAULT_ARCHIVE_API, fetch=_no_fetch, cache=InMemoryArchiveCache())
    capture = Capture(SNAPSHOT, "20210210093000", CITED, "302")

    served = service.served(capture, final_url)

    assert (served.url, served.timestamp) == expected
    assert (served.original, served.status) == (CITED, "302")


async def _no_fetch(url: str) -> Any:
    raise AssertionError(f"no fetch expected: {url}")
