"""The rescue strategy alone: :class:`ArchiveRescuer` driven by a fake archive service, no HTTP.

The fake archive answers like the Wayback Machine's availability API (the capture closest to
the date, either side; the newest without a date), but it is a second implementation of
:class:`ArchiveService`, written here, with capture URLs of its own shape.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

import factlinks
from conftest import make_source
from factlinks import ArchiveCopy, ArchiveService, Capture, CheckOptions, OptionsError
from factlinks._archive import (
    SERVICES,
    ArchiveRescuer,
    InMemoryArchiveCache,
    WaybackService,
    make_service,
)
from factlinks._models import Failure, FailureKind, FetchResult, Source, TitleEvidence

CITED = "https://www.example.org/studies/ki.html"
TITLE = "KI im Mittelstand"
ACCESSED = dt.date(2021, 2, 15)


class FakeArchive(ArchiveService):
    """An archive that keeps captures in a list; capture URLs are ``https://toy.test/<time>/…``."""

    name = "toy"

    def __init__(self, *captures: tuple[str, str | None]) -> None:
        self.captures = [
            Capture(f"https://toy.test/{when}/{CITED}", when, CITED, status)
            for when, status in captures
        ]
        self.asked: list[dt.date | None] = []

    async def lookup(self, url: str, near: dt.date | None) -> Capture | None:
        self.asked.append(near)
        mine = [c for c in self.captures if c.original == url]
        if not mine:
            return None
        if near is None:
            return max(mine, key=lambda c: c.timestamp)
        midnight = dt.datetime.combine(near, dt.time(), tzinfo=dt.UTC)
        return min(mine, key=lambda c: abs(c.captured_at - midnight))

    def is_capture(self, url: str) -> bool:
        return url.startswith("https://toy.test/")

    def served(self, capture: Capture, final_url: str) -> Capture:
        when = final_url.removeprefix("https://toy.test/")[:14]
        if final_url == capture.url or not self.is_capture(final_url):
            return capture
        return dataclasses.replace(capture, url=final_url, timestamp=when)


class FakeWeb:
    """The fetch function: canned answers by URL; HTML bodies carry their title as text."""

    def __init__(self, pages: dict[str, tuple[int, str] | FetchResult]) -> None:
        self.pages = pages
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> FetchResult:
        self.fetched.append(url)
        page = self.pages.get(url, (404, "not here"))
        if isinstance(page, FetchResult):
            return page
        status, text = page
        return FetchResult(url, url, status, content_type="text/html", body=text.encode())


async def verify(fetch: FetchResult, title: str | None) -> TitleEvidence | None:
    """Title check: the body is the title, or ``?`` when it cannot be read."""
    text = fetch.body.decode()
    if text == "?" or title is None:
        return None
    return TitleEvidence(
        title, text == title, 100.0 if text == title else 10.0, "<title>", found=text
    )


def snapshot(when: str) -> str:
    return f"https://toy.test/{when}/{CITED}"


def rescue(
    archive: FakeArchive, web: FakeWeb, source: Source, since: dt.date | None = None
) -> ArchiveCopy | None:
    rescuer = ArchiveRescuer(archive, fetch=web.fetch, verify=verify)
    return asyncio.run(rescuer.rescue(source, since=since))


def cited(title: str | None = TITLE) -> Source:
    return make_source(CITED, title=title, accessed=ACCESSED)


# -- choosing and verifying ---------------------------------------------------------------------


def test_a_good_capture_before_the_citation_is_verified_after_one_lookup() -> None:
    archive = FakeArchive(("20210210093000", "200"))
    web = FakeWeb({snapshot("20210210093000"): (200, TITLE)})

    copy = rescue(archive, web, cited())

    assert copy == ArchiveCopy(
        url=snapshot("20210210093000"),
        timestamp="20210210093000",
        captured_status="200",
        verified=True,
        detail="the archive copy of 2021-02-10 shows the title (<title>)",
    )
    assert archive.asked == [ACCESSED]
    assert web.fetched == [snapshot("20210210093000")]


def test_a_later_capture_leads_to_a_second_lookup_a_year_earlier() -> None:
    archive = FakeArchive(("20210301000000", "200"), ("20190601000000", "200"))
    web = FakeWeb(
        {
            snapshot("20210301000000"): (200, "Domain parked"),
            snapshot("20190601000000"): (200, TITLE),
        }
    )

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert copy.timestamp == "20190601000000"
    assert copy.verified is True
    assert archive.asked == [ACCESSED, dt.date(2020, 2, 16)]
    assert web.fetched == [snapshot("20190601000000")]  # the earlier one ranks first


def test_a_capture_not_200_is_ranked_after_a_200() -> None:
    archive = FakeArchive(("20210214000000", "404"), ("20200310000000", "200"))
    web = FakeWeb(
        {snapshot("20210214000000"): (200, TITLE), snapshot("20200310000000"): (200, TITLE)}
    )

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert copy.timestamp == "20200310000000"
    assert copy.captured_status == "200"


def test_the_second_candidate_is_tried_when_the_first_fails_verification() -> None:
    archive = FakeArchive(("20210301000000", "200"), ("20190601000000", "200"))
    web = FakeWeb({snapshot("20210301000000"): (200, TITLE)})  # the earlier one is a 404

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert copy.timestamp == "20210301000000"
    assert copy.verified is True
    assert web.fetched == [snapshot("20190601000000"), snapshot("20210301000000")]


def test_only_a_parked_capture_is_returned_unverified_and_checked_once() -> None:
    archive = FakeArchive(("20230105000000", "200"))
    web = FakeWeb({snapshot("20230105000000"): (200, "Domain parked")})

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert copy.verified is False
    assert copy.detail == (
        "the archive copy of 2023-01-05 does not show the title; it is called 'Domain parked'"
    )
    assert len(archive.asked) == 2
    assert web.fetched == [snapshot("20230105000000")]


def test_an_unreadable_title_beats_a_wrong_one() -> None:
    archive = FakeArchive(("20210301000000", "200"), ("20190601000000", "200"))
    web = FakeWeb(
        {snapshot("20190601000000"): (200, "Domain parked"), snapshot("20210301000000"): (200, "?")}
    )

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert copy.timestamp == "20210301000000"
    assert copy.verified is None
    assert copy.detail == "the archive copy of 2021-03-01 answers, but its title cannot be read"


@pytest.mark.parametrize(
    ("answer", "verified", "detail"),
    [
        pytest.param(
            (503, "busy"), False, "the archive copy of 2021-02-10 answered 503", id="not-2xx"
        ),
        pytest.param(
            FetchResult(
                snapshot("20210210000000"),
                snapshot("20210210000000"),
                None,
                failure=Failure(FailureKind.TIMEOUT, "timed out after 5 s"),
            ),
            False,
            "the archive copy of 2021-02-10 could not be fetched: timed out after 5 s",
            id="fetch-failure",
        ),
    ],
)
def test_a_capture_that_cannot_be_played_back_is_not_verified(
    answer: tuple[int, str] | FetchResult, verified: bool, detail: str
) -> None:
    archive = FakeArchive(("20210210000000", "200"))
    web = FakeWeb({snapshot("20210210000000"): answer})

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert (copy.verified, copy.detail) == (verified, detail)


def test_without_a_title_a_reachable_capture_is_taken_unchecked() -> None:
    archive = FakeArchive(("20210210000000", "200"))
    web = FakeWeb({snapshot("20210210000000"): (200, "anything")})

    copy = rescue(archive, web, cited(title=None))

    assert copy is not None
    assert copy.verified is None
    assert copy.detail == "the archive copy of 2021-02-10 answers 200"


def test_the_capture_the_service_says_was_served_is_the_one_cited() -> None:
    archive = FakeArchive(("20210210000000", "302"))
    landed = snapshot("20210208000000")
    web = FakeWeb(
        {
            snapshot("20210210000000"): FetchResult(
                snapshot("20210210000000"), landed, 200, body=TITLE.encode()
            )
        }
    )

    copy = rescue(archive, web, cited())

    assert copy is not None
    assert (copy.url, copy.timestamp) == (landed, "20210208000000")
    assert copy.captured_status == "302"  # what the archive recorded for the looked-up capture


def test_no_capture_gives_none_and_fetches_nothing() -> None:
    archive = FakeArchive()
    web = FakeWeb({})

    assert rescue(archive, web, cited()) is None
    assert archive.asked == [ACCESSED]
    assert web.fetched == []


# -- dates --------------------------------------------------------------------------------------


def test_the_accessed_date_wins_over_first_seen() -> None:
    archive = FakeArchive(("20210210000000", "200"))
    web = FakeWeb({snapshot("20210210000000"): (200, TITLE)})

    rescue(archive, web, cited(), since=dt.date(2024, 5, 1))

    assert archive.asked == [ACCESSED]


def test_first_seen_is_used_without_an_accessed_date() -> None:
    archive = FakeArchive(("20180101000000", "200"), ("20220101000000", "200"))
    web = FakeWeb({snapshot("20180101000000"): (200, TITLE)})

    copy = rescue(archive, web, make_source(CITED, title=TITLE), since=dt.date(2018, 3, 1))

    assert copy is not None
    assert copy.timestamp == "20180101000000"
    assert archive.asked == [dt.date(2018, 3, 1)]


def test_without_any_date_the_newest_is_asked_then_a_year_before_it() -> None:
    archive = FakeArchive(("20220601000000", "404"), ("20210301000000", "200"))
    web = FakeWeb({snapshot("20210301000000"): (200, TITLE)})

    copy = rescue(archive, web, make_source(CITED, title=TITLE))

    assert copy is not None
    assert copy.timestamp == "20210301000000"
    assert archive.asked == [None, dt.date(2021, 6, 1)]


# -- values, registration, exports ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "timestamp"),
    [
        pytest.param(snapshot("20210210000000"), "2021", id="short-timestamp"),
        pytest.param(snapshot("20210210000000"), "20211399000000", id="impossible-timestamp"),
        pytest.param("javascript:alert(1)", "20210210000000", id="not-http"),
        pytest.param("https:///no-host", "20210210000000", id="no-host"),
    ],
)
def test_a_capture_with_a_bad_time_or_url_cannot_be_made(url: str, timestamp: str) -> None:
    with pytest.raises(ValueError, match="capture"):
        Capture(url, timestamp, CITED, "200")


def test_a_capture_knows_when_it_was_taken() -> None:
    capture = Capture(snapshot("20210210093000"), "20210210093000", CITED, None)
    assert capture.captured_at == dt.datetime(2021, 2, 10, 9, 30, tzinfo=dt.UTC)


def test_the_service_is_made_from_the_options() -> None:
    web = FakeWeb({})
    off = CheckOptions(archive_api=None)
    on = CheckOptions(archive_api="https://archive.test/available")

    assert make_service(off, fetch=web.fetch, cache=InMemoryArchiveCache()) is None
    service = make_service(on, fetch=web.fetch, cache=InMemoryArchiveCache())
    assert isinstance(service, WaybackService)
    assert service.api == "https://archive.test/available"
    with pytest.raises(OptionsError, match="unknown archive service 'nope'"):
        make_service(on, fetch=web.fetch, cache=InMemoryArchiveCache(), name="nope")


def test_a_second_service_is_registered_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    toy = FakeArchive(("20210210000000", "200"))
    monkeypatch.setitem(SERVICES, FakeArchive.name, lambda options, **_: toy)
    web = FakeWeb({snapshot("20210210000000"): (200, TITLE)})
    options = CheckOptions(archive_api="https://archive.test/available")

    service = make_service(options, fetch=web.fetch, cache=InMemoryArchiveCache(), name="toy")
    assert service is toy
    copy = asyncio.run(
        ArchiveRescuer(service, fetch=web.fetch, verify=verify).rescue(cited(), since=None)
    )

    assert copy is not None
    assert copy.verified is True
    assert service.is_capture(copy.url)


def test_the_archive_types_are_public() -> None:
    for name in ("ArchiveCopy", "ArchiveService", "Capture"):
        assert name in factlinks.__all__
