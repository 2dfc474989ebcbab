"""Archive rescue against a local stand-in for archive.org (availability API and snapshots).

The fake Wayback Machine answers the availability API the way the real one does: the capture
closest to ``timestamp`` (either direction), the newest without one, ``{}`` when it has none.
Its snapshots are served by a second farm host standing in for ``web.archive.org``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import FIXED_NOW, Backend, SleepRecorder, make_source
from factlinks import CheckOptions, RetryPolicy, Source, open_history
from factlinks._archive import (
    DEFAULT_ARCHIVE_API,
    ArchiveCache,
    ArchiveCopy,
    ArchiveRescuer,
    InMemoryArchiveCache,
    LookupAnswer,
    WaybackService,
)
from factlinks._fetch import Fetcher, make_client
from factlinks._history import StoredArchiveCache
from factlinks._inspect import analyse
from factlinks._models import FetchResult, TitleEvidence
from factlinks._options import Remap
from farm import Farm, Host, Reply, Request

pytestmark = pytest.mark.integration

CITED = "https://www.example.org/studies/ki-mittelstand.html"
TITLE = "Künstliche Intelligenz im Mittelstand: Verbreitung und Potenziale"
GOOD = Reply.html(f"<h1>{TITLE}</h1><p>Eine Studie.</p>", title=TITLE)
PARKED = Reply.html("<h1>example.org</h1><p>This domain is for sale.</p>", title="Domain parked")


@dataclass
class FakeWayback:
    """archive.org and web.archive.org on two farm hosts."""

    api: Host
    web: Host
    captures: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Original URL -> [(timestamp, status)]."""

    def capture(self, original: str, timestamp: str, reply: Reply, status: str = "200") -> str:
        """Archive ``reply`` as ``original`` at ``timestamp``; return the snapshot URL."""
        self.captures.setdefault(original, []).append((timestamp, status))
        self.web.add(f"/web/{timestamp}/{original}", reply)
        return f"http://web.archive.org/web/{timestamp}/{original}"

    def available(self, request: Request) -> Reply:
        """The availability API."""
        query = parse_qs(urlsplit(request.path).query)
        url = query["url"][0]
        captures = self.captures.get(url, [])
        if not captures:
            return _json({"url": url, "archived_snapshots": {}})
        if "timestamp" in query:
            wanted = _when(query["timestamp"][0].ljust(14, "0"))
            timestamp, status = min(captures, key=lambda c: abs(_when(c[0]) - wanted))
        else:
            timestamp, status = max(captures)
        closest = {
            "status": status,
            "available": True,
            "url": f"http://web.archive.org/web/{timestamp}/{url}",
            "timestamp": timestamp,
        }
        return _json({"url": url, "archived_snapshots": {"closest": closest}})

    @property
    def lookups(self) -> list[dict[str, list[str]]]:
        """The query parameters of every availability API request."""
        return [parse_qs(urlsplit(r.path).query) for r in self.api.requests]

    @property
    def snapshots_fetched(self) -> list[str]:
        """The paths of every snapshot request."""
        return [r.path for r in self.web.requests]


def _json(data: object, status: int = 200) -> Reply:
    return Reply(status, body=json.dumps(data).encode(), content_type="application/json")


def _when(timestamp: str) -> dt.datetime:
    return dt.datetime.strptime(timestamp, "%Y%m%d%H%M%S")


@pytest.fixture
def wayback() -> Iterator[FakeWayback]:
    with Farm() as farm:
        # web.archive.org first: the first matching remap rule wins.
        web = farm.add_host("web.archive.org")
        api = farm.add_host("archive.org")
        fake = FakeWayback(api, web)
        api.add("/wayback/available", fake.available)
        yield fake


async def verify(fetch: FetchResult, title: str | None) -> TitleEvidence | None:
    """What the pipeline passes: parse the body and look for the title."""
    _, evidence = analyse(
        fetch.body,
        fetch.content_type,
        truncated=fetch.truncated,
        expected_title=title,
        max_pages=5,
    )
    return evidence


def rescue(
    wayback: FakeWayback,
    source: Source,
    *,
    since: dt.date | None = None,
    cache: ArchiveCache | None = None,
) -> ArchiveCopy | None:
    """Run :meth:`ArchiveRescuer.rescue` with the real fetcher remapped onto the fake."""
    rules = (wayback.web.remap_rule(), wayback.api.remap_rule())
    options = CheckOptions(
        timeout=5,
        retry=RetryPolicy(attempts=2),
        remap=tuple(Remap.parse(rule) for rule in rules),
    )

    async def go() -> ArchiveCopy | None:
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, sleep=SleepRecorder(), clock=lambda: FIXED_NOW)
            service = WaybackService(
                api=DEFAULT_ARCHIVE_API,
                fetch=fetcher.fetch,
                cache=cache if cache is not None else InMemoryArchiveCache(),
            )
            rescuer = ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)
            return await rescuer.rescue(source, since=since)

    return asyncio.run(go())


def cited() -> Source:
    """The cited source: a title, accessed on 2021-02-15."""
    return make_source(CITED, title=TITLE, accessed=dt.date(2021, 2, 15))


# -- finding and verifying ------------------------------------------------------------------


def test_snapshot_near_the_citation_date_found_and_verified(wayback: FakeWayback) -> None:
    url = wayback.capture(CITED, "20210210093000", GOOD)

    copy = rescue(wayback, cited())

    assert copy == ArchiveCopy(
        url=url,
        timestamp="20210210093000",
        captured_status="200",
        verified=True,
        detail="the archive copy of 2021-02-10 shows the title (<title>)",
    )
    assert copy.captured_at == dt.datetime(2021, 2, 10, 9, 30, tzinfo=dt.UTC)
    # A good capture before the citation date needs no second look-up.
    assert wayback.lookups == [{"url": [CITED], "timestamp": ["20210215"]}]
    assert wayback.snapshots_fetched == [f"/web/20210210093000/{CITED}"]


def test_cited_url_is_encoded_as_one_query_parameter(wayback: FakeWayback) -> None:
    odd = "https://www.example.org/suche?q=KI Mittelstand&lang=de#teil-2"
    wayback.capture(odd, "20210101000000", GOOD)

    copy = rescue(wayback, make_source(odd, accessed=dt.date(2021, 2, 15)))

    assert copy is not None
    (request,) = wayback.api.requests
    query = urlsplit(request.path).query
    assert " " not in query
    assert "#" not in query
    assert parse_qs(query) == {"url": [odd], "timestamp": ["20210215"]}


def test_earlier_good_capture_preferred_over_a_later_closer_one(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210301120000", PARKED)  # 14 days after the citation
    earlier = wayback.capture(CITED, "20190601080000", GOOD)

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.url == earlier
    assert copy.verified is True
    # The second look-up asks one year before the citation date.
    assert [q.get("timestamp") for q in wayback.lookups] == [["20210215"], ["20200216"]]
    assert wayback.snapshots_fetched == [f"/web/20190601080000/{CITED}"]


def test_capture_not_200_at_the_citation_date_leads_to_an_earlier_200(
    wayback: FakeWayback,
) -> None:
    wayback.capture(CITED, "20210214000000", Reply.not_found(), status="404")
    earlier = wayback.capture(CITED, "20200310000000", GOOD)

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.url == earlier
    assert copy.captured_status == "200"
    assert copy.verified is True


def test_later_200_preferred_over_an_earlier_capture_that_was_not_200(
    wayback: FakeWayback,
) -> None:
    wayback.capture(CITED, "20210220000000", GOOD)
    wayback.capture(CITED, "20200601000000", Reply.redirect("/"), status="302")

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.timestamp == "20210220000000"
    assert copy.verified is True


def test_only_a_later_parked_capture_is_returned_unverified(wayback: FakeWayback) -> None:
    url = wayback.capture(CITED, "20230105000000", PARKED)

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.url == url
    assert copy.verified is False
    assert copy.detail == (
        "the archive copy of 2023-01-05 does not show the title; it is called 'Domain parked'"
    )
    # Asked once more for something earlier; the same capture came back and was checked once.
    assert len(wayback.lookups) == 2
    assert wayback.snapshots_fetched == [f"/web/20230105000000/{CITED}"]


def test_second_candidate_tried_when_the_first_fails_verification(
    wayback: FakeWayback,
) -> None:
    later = wayback.capture(CITED, "20210301000000", GOOD)
    wayback.capture(CITED, "20190601000000", Reply.not_found())  # cannot be played back

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.url == later
    assert copy.verified is True
    assert wayback.snapshots_fetched == [
        f"/web/20190601000000/{CITED}",
        f"/web/20210301000000/{CITED}",
    ]


def test_unplayable_snapshot_is_returned_as_not_verified(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210210000000", Reply(503, body=b"busy"))

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.verified is False
    assert copy.detail == "the archive copy of 2021-02-10 answered 503"


def test_without_title_a_reachable_snapshot_is_not_checked(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210210000000", PARKED)

    copy = rescue(wayback, make_source(CITED, accessed=dt.date(2021, 2, 15)))

    assert copy is not None
    assert copy.verified is None
    assert copy.detail == "the archive copy of 2021-02-10 answers 200"


def test_without_title_an_unreachable_snapshot_is_not_verified(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210210000000", Reply.not_found())

    copy = rescue(wayback, make_source(CITED, accessed=dt.date(2021, 2, 15)))

    assert copy is not None
    assert copy.verified is False


def test_wayback_redirect_to_another_capture_is_what_gets_cited(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210210000000", Reply.redirect(f"/web/20210208000000/{CITED}", 302))
    wayback.web.add(f"/web/20210208000000/{CITED}", GOOD)

    copy = rescue(wayback, cited())

    assert copy is not None
    assert copy.url == f"http://web.archive.org/web/20210208000000/{CITED}"
    assert copy.timestamp == "20210208000000"
    assert copy.verified is True


# -- dates --------------------------------------------------------------------------------


def test_no_date_asks_for_the_newest_capture(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20180101000000", GOOD)
    wayback.capture(CITED, "20220101000000", GOOD)

    copy = rescue(wayback, make_source(CITED, title=TITLE))

    assert copy is not None
    assert copy.timestamp == "20220101000000"
    assert wayback.lookups == [{"url": [CITED]}]


def test_first_seen_date_used_when_the_source_has_no_accessed_date(
    wayback: FakeWayback,
) -> None:
    wayback.capture(CITED, "20180101000000", GOOD)
    wayback.capture(CITED, "20220101000000", GOOD)

    copy = rescue(wayback, make_source(CITED, title=TITLE), since=dt.date(2018, 3, 1))

    assert copy is not None
    assert copy.timestamp == "20180101000000"
    assert wayback.lookups == [{"url": [CITED], "timestamp": ["20180301"]}]


def test_accessed_date_wins_over_first_seen(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210210000000", GOOD)

    rescue(wayback, cited(), since=dt.date(2024, 5, 1))

    assert wayback.lookups[0]["timestamp"] == ["20210215"]


def test_no_date_and_newest_capture_not_200_asks_a_year_before_it(
    wayback: FakeWayback,
) -> None:
    wayback.capture(CITED, "20220601000000", Reply.not_found(), status="404")
    wayback.capture(CITED, "20210301000000", GOOD)

    copy = rescue(wayback, make_source(CITED, title=TITLE))

    assert copy is not None
    assert copy.timestamp == "20210301000000"
    assert [q.get("timestamp") for q in wayback.lookups] == [None, ["20210601"]]


# -- no copy, bad answers, cache ------------------------------------------------------------


def test_no_snapshot_gives_none_and_is_cached(wayback: FakeWayback) -> None:
    cache = InMemoryArchiveCache()

    assert rescue(wayback, cited(), cache=cache) is None

    assert cache.answers == {
        (CITED, "20210215"): LookupAnswer(None, None, None, available=False),
    }
    assert wayback.snapshots_fetched == []


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(503, body=b"slow down"), id="503"),
        pytest.param(Reply(429, body=b"rate limited"), id="429"),
        pytest.param(_json({"archived_snapshots": {}}, status=404), id="json-but-404"),
        pytest.param(Reply.html("<h1>Maintenance</h1>"), id="html"),
        pytest.param(Reply(200, body=b'{"archived_snapshots": {"clo'), id="cut-off-json"),
        pytest.param(_json([]), id="json-list"),
        pytest.param(_json({"url": CITED}), id="no-archived-snapshots"),
        pytest.param(_json({"archived_snapshots": []}), id="snapshots-not-an-object"),
        pytest.param(
            _json({"archived_snapshots": {"closest": {"available": True}}}), id="closest-empty"
        ),
        pytest.param(
            _json(
                {
                    "archived_snapshots": {
                        "closest": {
                            "available": True,
                            "url": "javascript:alert(1)",
                            "timestamp": "20210210000000",
                            "status": "200",
                        }
                    }
                }
            ),
            id="non-http-snapshot-url",
        ),
        pytest.param(
            _json(
                {
                    "archived_snapshots": {
                        "closest": {
                            "available": True,
                            "url": f"http://web.archive.org/web/20211399000000/{CITED}",
                            "timestamp": "20211399000000",
                            "status": "200",
                        }
                    }
                }
            ),
            id="impossible-timestamp",
        ),
        pytest.param(Reply(200, body=b"[" * 100_000), id="deeply-nested"),
    ],
)
def test_bad_api_answer_gives_none_and_nothing_cached(wayback: FakeWayback, reply: Reply) -> None:
    wayback.api.add("/wayback/available", reply)
    cache = InMemoryArchiveCache()

    assert rescue(wayback, cited(), cache=cache) is None

    assert cache.answers == {}
    assert wayback.snapshots_fetched == []


def test_cached_answers_are_not_asked_again(wayback: FakeWayback) -> None:
    wayback.capture(CITED, "20210301000000", PARKED)
    wayback.capture(CITED, "20190601000000", GOOD)
    cache = InMemoryArchiveCache()

    first = rescue(wayback, cited(), cache=cache)
    asked = len(wayback.api.requests)
    second = rescue(wayback, cited(), cache=cache)

    assert asked == 2
    assert len(wayback.api.requests) == asked  # both look-ups came from the cache
    assert first == second
    assert second is not None
    assert second.verified is True
    # The snapshot itself is fetched and verified again: it is the run's evidence.
    assert len(wayback.snapshots_fetched) == 2


def test_the_history_keeps_archive_answers_for_the_next_run(
    wayback: FakeWayback, backend: Backend
) -> None:
    """The history's cache (each backend): a later run asks the archive nothing again."""
    wayback.capture(CITED, "20210301000000", PARKED)
    wayback.capture(CITED, "20190601000000", GOOD)
    location = backend.location()
    with open_history(location) as store:
        first = rescue(wayback, cited(), cache=StoredArchiveCache(store, "wayback"))
    asked = len(wayback.api.requests)
    with open_history(location) as store:
        second = rescue(wayback, cited(), cache=StoredArchiveCache(store, "wayback"))
    assert asked == 2
    assert len(wayback.api.requests) == asked
    assert first == second
    assert second is not None
    assert second.verified is True


def test_unreachable_archive_gives_none() -> None:
    with Farm() as farm:
        options = CheckOptions(
            timeout=5,
            retry=RetryPolicy(attempts=1),
            remap=(Remap.parse(farm.closed_port_rule("archive.org")),),
        )
        cache = InMemoryArchiveCache()

        async def go() -> ArchiveCopy | None:
            async with make_client(options) as client:
                fetcher = Fetcher(client, options, sleep=SleepRecorder(), clock=lambda: FIXED_NOW)
                service = WaybackService(api=DEFAULT_ARCHIVE_API, fetch=fetcher.fetch, cache=cache)
                rescuer = ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)
                return await rescuer.rescue(cited(), since=None)

        assert asyncio.run(go()) is None
        assert cache.answers == {}


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(LookupAnswer(None, None, None, available=False), id="not-available"),
        pytest.param(
            LookupAnswer(
                f"http://web.archive.org/web/20210210000000/{CITED}",
                "20210210000000",
                "200",
                available=True,
            ),
            id="available",
        ),
        pytest.param(
            LookupAnswer(
                f"http://web.archive.org/web/20210210000000/{CITED}",
                "20210210000000",
                None,
                available=True,
            ),
            id="no-status",
        ),
    ],
)
def test_lookup_answer_survives_a_json_round_trip(answer: LookupAnswer) -> None:
    stored = json.loads(json.dumps(answer.as_dict()))
    assert LookupAnswer.from_dict(stored) == answer


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="empty"),
        pytest.param({"available": "yes"}, id="available-not-bool"),
        pytest.param({"available": True, "url": None, "timestamp": None}, id="no-url"),
        pytest.param(
            {"available": True, "url": "http://web.archive.org/x", "timestamp": "2021"},
            id="short-timestamp",
        ),
        pytest.param(
            {
                "available": True,
                "url": "http://web.archive.org/x",
                "timestamp": "20210210000000",
                "status": 200,
            },
            id="status-not-a-string",
        ),
    ],
)
def test_lookup_answer_from_bad_dict_is_none(data: dict[str, object]) -> None:
    assert LookupAnswer.from_dict(data) is None
