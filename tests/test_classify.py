"""The classification table: every status rule, run through the real pipeline with respx.

Each row mocks the cited URL (and whatever it redirects to) plus the random sibling that the
soft-404 probe asks for (its URL contains ``factlinks-probe-``), runs
:func:`factlinks.check_async` with ``strict=True`` and checks the status, the key words of
the reason, ``new_url`` and the evidence. No request leaves the process: respx answers every
request, and one it does not know fails the test.

The pure helpers of :mod:`factlinks._classify` get small tables of their own at the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx

import pdfgen
from conftest import CheckRunner, make_source
from factlinks import (
    CheckOptions,
    DocFormat,
    FailureKind,
    FetchResult,
    Hop,
    Inspection,
    OfflineError,
    ProbeVerdict,
    Report,
    RetryPolicy,
    Source,
    SourceResult,
    Status,
    TitleEvidence,
)
from factlinks._classify import (
    classify,
    find_challenge,
    is_site_root,
    judge_probe,
    new_url_of,
    sibling_url,
)
from factlinks._domains import registrable_domain

# -- helpers ---------------------------------------------------------------------------------

Reply = (
    httpx.Response
    | BaseException
    | type[BaseException]
    | Sequence[httpx.Response]
    | Callable[[httpx.Request], httpx.Response]
)
"""What a mocked URL answers: one response (every time), a sequence (one per call), an
exception to raise, or a function of the request."""

PROBE = re.compile(r"factlinks-probe-[0-9a-f]{12}")
TITLE = "Annual Report on Widget Safety 2025"
HOME = "https://example.org/"
DEEP_PDF = "https://example.org/docs/report.pdf"
DEEP_HTML = "https://example.org/docs/page.html"
UNCHECKED = "unchecked"
"""``Row.probe_verdict`` default: the row does not care whether a probe was made."""


def html(title: str | None = None, body: str = "", status: int = 200, **kwargs: Any) -> Reply:
    head = f"<title>{title}</title>" if title is not None else ""
    page = f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
    return httpx.Response(status, html=page, **kwargs)


def pdf(*pages: str, title: str | None = None) -> httpx.Response:
    content = pdfgen.make_pdf(list(pages), title=title)
    return httpx.Response(200, content=content, headers={"Content-Type": "application/pdf"})


def redirect(status: int, location: str) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


def status(code: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(code, **kwargs)


NOT_FOUND = status(404, text="not found")
REPORT_PDF = pdf(f"{TITLE}\nChapter 1: Widgets are safe.", title=TITLE)
CHALLENGE_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<div id='challenge-platform'>Checking your browser before accessing example.org.</div>"
    "</body></html>"
)


def hop_chain(request: httpx.Request) -> httpx.Response:
    """``/hop/N`` redirects to ``/hop/N+1``, for ever."""
    number = int(request.url.path.rsplit("/", 1)[1])
    return redirect(302, f"/hop/{number + 1}")


def install(route: respx.Route, reply: Reply) -> None:
    if isinstance(reply, httpx.Response):
        route.mock(return_value=reply)
    elif isinstance(reply, Sequence):
        route.mock(side_effect=list(reply))
    else:
        route.mock(side_effect=reply)


@dataclass(frozen=True)
class Row:
    source: Source
    routes: Mapping[str | re.Pattern[str], Reply]
    status: Status
    words: tuple[str, ...] = ()
    """Words the reason must contain (case-insensitive)."""
    probe: Reply = NOT_FOUND
    """What the random sibling answers."""
    new_url: str | None = None
    attempts: int | None = None
    failure: FailureKind | None = None
    probe_verdict: ProbeVerdict | str | None = UNCHECKED
    """The probe's verdict; ``None``: no probe was sent."""
    options: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[SourceResult], None] | None = None
    """Further assertions on the result."""


@dataclass
class Run:
    report: Report
    requested: list[str]
    """Every URL requested, in order (respx forgets its calls when the mock ends)."""
    probe_calls: int

    @property
    def result(self) -> SourceResult:
        assert len(self.report.results) == 1
        return self.report.results[0]


def run_routes(
    run_check: CheckRunner,
    sources: list[Source],
    routes: Mapping[str | re.Pattern[str], Reply],
    options: CheckOptions,
    *,
    probe: Reply = NOT_FOUND,
) -> Run:
    """Check ``sources`` through the real pipeline with every URL answered by respx."""
    with respx.mock(assert_all_called=False) as router:
        probe_route = router.get(url__regex=PROBE.pattern)
        install(probe_route, probe)
        for url, reply in routes.items():
            route = (
                router.get(url__regex=url.pattern)
                if isinstance(url, re.Pattern)
                else router.get(url)
            )
            install(route, reply)
        report = run_check(sources, options)
        requested = [str(call.request.url) for call in router.calls]
        return Run(report, requested, probe_route.call_count)


def only_request_was(url: str) -> Callable[[SourceResult], None]:
    def check(result: SourceResult) -> None:
        assert result.fetch is not None
        assert result.fetch.final_url == url

    return check


# -- the table -------------------------------------------------------------------------------


def _pdf_title_ok(result: SourceResult) -> None:
    assert result.title is not None
    assert result.title.matched
    assert result.title.where == "metadata"
    assert result.inspection is not None
    assert result.inspection.format is DocFormat.PDF
    assert result.inspection.pages == 1


def _html_title_ok(result: SourceResult) -> None:
    assert result.title is not None
    assert result.title.matched
    assert result.title.where == "<title>"
    assert result.title.score == 100.0


def _moved_hops(*expected: tuple[str, int, str]) -> Callable[[SourceResult], None]:
    def check(result: SourceResult) -> None:
        assert result.fetch is not None
        assert [(h.url, h.status_code, h.location) for h in result.fetch.redirects] == list(
            expected
        )
        assert result.title is not None
        assert result.title.matched

    return check


def _soft_404_identical(result: SourceResult) -> None:
    assert result.probe is not None
    assert result.probe.similarity == 100.0
    assert result.probe.status_code == 200
    assert "factlinks-probe-" in result.probe.url
    assert result.probe.url.startswith("https://example.org/docs/")
    assert result.probe.url.endswith(".html")


def _soft_404_same_end(result: SourceResult) -> None:
    assert result.probe is not None
    assert result.probe.final_url == "https://example.org/docs/search.html"
    assert result.probe.similarity is not None
    assert result.probe.similarity < 95
    assert result.fetch is not None
    assert result.fetch.final_url == result.probe.final_url


def _title_absent(found: str) -> Callable[[SourceResult], None]:
    def check(result: SourceResult) -> None:
        assert result.title is not None
        assert not result.title.matched
        assert result.title.expected == TITLE
        assert result.title.found == found

    return check


def _landing_page(result: SourceResult) -> None:
    assert result.inspection is not None
    assert result.inspection.format is DocFormat.HTML
    assert result.inspection.display_title == "Publications | Example Ministry"


def _cut_off(result: SourceResult) -> None:
    assert result.fetch is not None
    assert result.fetch.truncated
    assert result.fetch.bytes == 300
    assert result.inspection is not None
    assert result.inspection.problem is not None


def _hop_chain(result: SourceResult) -> None:
    assert result.fetch is not None
    assert len(result.fetch.redirects) == 11
    assert result.fetch.redirects[-1].location == "https://example.org/hop/11"


def _loop(result: SourceResult) -> None:
    assert result.fetch is not None
    assert result.fetch.final_url == "https://example.org/docs/a"
    assert [h.location for h in result.fetch.redirects] == [
        "https://example.org/docs/b",
        "https://example.org/docs/a",
    ] * 2


PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)

ROWS = [
    # -- ok ------------------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: REPORT_PDF},
            Status.OK,
            ("title found in metadata",),
            probe_verdict=None,
            attempts=1,
            check=_pdf_title_ok,
        ),
        id="ok-title-in-pdf",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML, title=TITLE),
            {DEEP_HTML: html(f"{TITLE} | Example Ministry", "<p>Text.</p>")},
            Status.OK,
            ("title found in <title>",),
            probe_verdict=None,
            check=_html_title_ok,
        ),
        id="ok-title-in-html-title",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML),
            {DEEP_HTML: html("Anything", "<p>Some page.</p>")},
            Status.OK,
            ("answers HTTP 200", "no title to check"),
            probe_verdict=ProbeVerdict.ALIVE,
        ),
        id="ok-no-title-probe-404-alive",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML, title=TITLE),
            {DEEP_HTML: [status(503), html(TITLE)]},
            Status.OK,
            ("title found",),
            attempts=2,
        ),
        id="ok-503-once-then-200",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: redirect(302, "/tmp/report-session.pdf"),
                "https://example.org/tmp/report-session.pdf": REPORT_PDF,
            },
            Status.OK,
            ("title found",),
            check=_moved_hops(
                (DEEP_PDF, 302, "https://example.org/tmp/report-session.pdf"),
            ),
        ),
        id="ok-302-temporary-redirect",
    ),
    pytest.param(
        Row(
            make_source(HOME),
            {HOME: html("Example Ministry", "<p>Sorry, nothing here.</p>")},
            Status.OK,
            ("no title to check",),
            probe=html("Example Ministry", "<p>Sorry, nothing here.</p>"),
            probe_verdict=None,
        ),
        id="ok-site-root-never-soft-404",
    ),
    # -- moved ---------------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: redirect(301, "https://files.example.net/2025/report.pdf"),
                "https://files.example.net/2025/report.pdf": REPORT_PDF,
            },
            Status.MOVED,
            ("permanently redirected to https://files.example.net/2025/report.pdf", "title found"),
            new_url="https://files.example.net/2025/report.pdf",
            check=_moved_hops((DEEP_PDF, 301, "https://files.example.net/2025/report.pdf")),
        ),
        id="moved-301-other-host",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: redirect(301, "../archive/report.pdf"),
                "https://example.org/archive/report.pdf": REPORT_PDF,
            },
            Status.MOVED,
            ("permanently redirected to https://example.org/archive/report.pdf",),
            new_url="https://example.org/archive/report.pdf",
            check=_moved_hops((DEEP_PDF, 301, "https://example.org/archive/report.pdf")),
        ),
        id="moved-301-relative-location",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: redirect(308, "https://example.org/pub/report.pdf"),
                "https://example.org/pub/report.pdf": REPORT_PDF,
            },
            Status.MOVED,
            ("permanently redirected",),
            new_url="https://example.org/pub/report.pdf",
        ),
        id="moved-308",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: redirect(301, "https://example.org/pub/report.pdf"),
                "https://example.org/pub/report.pdf": redirect(302, "/cdn/abc123.pdf"),
                "https://example.org/cdn/abc123.pdf": REPORT_PDF,
            },
            Status.MOVED,
            ("permanently redirected to https://example.org/pub/report.pdf",),
            new_url="https://example.org/pub/report.pdf",
            check=_moved_hops(
                (DEEP_PDF, 301, "https://example.org/pub/report.pdf"),
                ("https://example.org/pub/report.pdf", 302, "https://example.org/cdn/abc123.pdf"),
            ),
        ),
        id="moved-301-then-302-new-url-is-301-target",
    ),
    # -- dead ----------------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF),
            {DEEP_PDF: NOT_FOUND},
            Status.DEAD,
            ("404 Not Found",),
            attempts=1,
            probe_verdict=None,
        ),
        id="dead-404",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(410)},
            Status.DEAD,
            ("410 Gone",),
            attempts=1,
            probe_verdict=None,
        ),
        id="dead-410",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF),
            {DEEP_PDF: status(400)},
            Status.BLOCKED,
            ("HTTP 400", "browser"),
            attempts=1,
        ),
        id="blocked-other-4xx",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: redirect(301, "/"),
                HOME: html(f"Example Ministry \u2013 {TITLE}", "<p>Welcome.</p>"),
            },
            Status.DEAD,
            ("home page", HOME),
            check=only_request_was(HOME),
        ),
        id="dead-301-deep-link-to-home-page",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML),
            {
                DEEP_HTML: redirect(302, "/404.html"),
                "https://example.org/404.html": html("Oops", "<p>Gone.</p>"),
            },
            Status.DEAD,
            ("error page", "https://example.org/404.html"),
        ),
        id="dead-302-to-404-html",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML),
            {
                DEEP_HTML: redirect(302, "https://example.org/errors/notfound?from=page"),
                "https://example.org/errors/notfound?from=page": html("Oops"),
            },
            Status.DEAD,
            ("error page",),
        ),
        id="dead-302-to-notfound",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML),
            {DEEP_HTML: html("Page not found", "<p>Sorry, this page does not exist.</p>")},
            Status.DEAD,
            ("soft 404", "100 % identical"),
            probe=html("Page not found", "<p>Sorry, this page does not exist.</p>"),
            probe_verdict=ProbeVerdict.SOFT_404,
            check=_soft_404_identical,
        ),
        id="dead-soft-404-probe-gets-same-body",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML),
            {
                DEEP_HTML: redirect(302, "/docs/search.html"),
                "https://example.org/docs/search.html": [
                    html("Search", "<p>12 results for widget safety report annual 2025</p>"),
                    html("Nothing", "<ul><li>no results at all</li><li>try again</li></ul>"),
                ],
            },
            Status.DEAD,
            ("soft 404", "ends on the same page"),
            probe=redirect(302, "/docs/search.html"),
            probe_verdict=ProbeVerdict.SOFT_404,
            check=_soft_404_same_end,
        ),
        id="dead-probe-redirected-to-same-final-url",
    ),
    # -- drifted -------------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_HTML, title=TITLE),
            {DEEP_HTML: html("Quarterly Gadget Review", "<h1>Gadgets</h1>")},
            Status.DRIFTED,
            ("expected title is not in the document", "\u201cQuarterly Gadget Review\u201d"),
            probe_verdict=ProbeVerdict.ALIVE,
            check=_title_absent("Quarterly Gadget Review"),
        ),
        id="drifted-title-absent-probe-404",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE, kind="pdf"),
            {DEEP_PDF: html("Publications | Example Ministry", "<h1>Publications</h1>")},
            Status.DRIFTED,
            ("A PDF was cited", "now serves an HTML page", "Publications | Example Ministry"),
            check=_landing_page,
        ),
        id="drifted-pdf-cited-html-landing-page",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, kind="pdf"),
            {DEEP_PDF: html("Publications | Example Ministry", "<h1>Publications</h1>")},
            Status.DRIFTED,
            ("now serves an HTML page", "Publications | Example Ministry"),
            check=_landing_page,
        ),
        id="drifted-pdf-cited-html-landing-page-no-title",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE, kind="pdf"),
            {
                DEEP_PDF: pdf(
                    "Fishing Regulations for Lake Tahoe\nSeason dates.",
                    title="Fishing Regulations for Lake Tahoe",
                )
            },
            Status.DRIFTED,
            ("expected title is not in the document", "Fishing Regulations for Lake Tahoe"),
            probe_verdict=ProbeVerdict.ALIVE,
            check=_title_absent("Fishing Regulations for Lake Tahoe"),
        ),
        id="drifted-other-pdf-at-the-url",
    ),
    # -- blocked -------------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(401)},
            Status.BLOCKED,
            ("refuses the checker with HTTP 401",),
            attempts=1,
            probe_verdict=None,
        ),
        id="blocked-401",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(403, text="Forbidden")},
            Status.BLOCKED,
            ("refuses the checker with HTTP 403",),
            attempts=1,
        ),
        id="blocked-403",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(999)},
            Status.BLOCKED,
            ("HTTP 999",),
            attempts=1,
        ),
        id="blocked-999",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(503, html=CHALLENGE_PAGE)},
            Status.BLOCKED,
            ("bot challenge", "HTTP 503", "challenge-platform"),
            attempts=3,
            probe_verdict=None,
        ),
        id="blocked-503-cloudflare-just-a-moment",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {
                DEEP_PDF: status(
                    200,
                    html="<html><body>Verifying...</body></html>",
                    headers={"cf-mitigated": "challenge"},
                )
            },
            Status.BLOCKED,
            ("bot challenge", "HTTP 200", "cf-mitigated: challenge"),
        ),
        id="blocked-200-cf-mitigated-challenge",
    ),
    # -- unreachable ---------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(429)},
            Status.UNREACHABLE,
            ("429 Too Many Requests", "after 3 attempts"),
            attempts=3,
            probe_verdict=None,
        ),
        id="unreachable-429-always",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: status(503)},
            Status.UNREACHABLE,
            ("503 Service Unavailable", "after 3 attempts"),
            attempts=3,
        ),
        id="unreachable-503-always",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: httpx.ConnectError("[Errno 111] Connection refused")},
            Status.UNREACHABLE,
            ("connection refused", "after 3 attempts"),
            attempts=3,
            failure=FailureKind.CONNECT,
            probe_verdict=None,
        ),
        id="unreachable-connect-refused",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: httpx.ConnectError("[Errno -2] Name or service not known")},
            Status.UNREACHABLE,
            ("does not exist", "after 1 attempt."),
            attempts=1,
            failure=FailureKind.NO_SUCH_HOST,
        ),
        id="unreachable-no-such-host",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: httpx.ReadTimeout("timed out")},
            Status.UNREACHABLE,
            ("no complete answer within 5 s", "after 3 attempts"),
            attempts=3,
            failure=FailureKind.TIMEOUT,
        ),
        id="unreachable-read-timeout",
    ),
    pytest.param(
        Row(
            make_source("https://example.org/docs/a"),
            {
                "https://example.org/docs/a": redirect(302, "/docs/b"),
                "https://example.org/docs/b": redirect(301, "https://example.org/docs/a"),
            },
            Status.UNREACHABLE,
            ("redirect loop",),
            attempts=1,
            failure=FailureKind.REDIRECT_LOOP,
            check=_loop,
        ),
        id="unreachable-redirect-loop",
    ),
    pytest.param(
        Row(
            make_source("https://example.org/hop/0"),
            {re.compile(r"^https://example\.org/hop/\d+$"): hop_chain},
            Status.UNREACHABLE,
            ("more than 10 redirects",),
            attempts=1,
            failure=FailureKind.TOO_MANY_REDIRECTS,
            check=_hop_chain,
        ),
        id="unreachable-11-redirects-too-many",
    ),
    # -- unverifiable --------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE, kind="pdf"),
            {
                DEEP_PDF: httpx.Response(
                    200,
                    content=pdfgen.make_pdf_without_text(2),
                    headers={"Content-Type": "application/pdf"},
                )
            },
            Status.UNVERIFIABLE,
            ("title cannot be checked", "no text layer", "scanned"),
        ),
        id="unverifiable-scanned-pdf",
    ),
    pytest.param(
        Row(
            make_source(DEEP_HTML, title=TITLE),
            {
                DEEP_HTML: html(
                    "Example Ministry", "<p>" + "filler text " * 100 + f"</p><h2>{TITLE}</h2>"
                )
            },
            Status.UNVERIFIABLE,
            ("title cannot be checked", "cut off at max_bytes"),
            options={"max_bytes": 300},
            check=_cut_off,
        ),
        id="unverifiable-html-cut-off-at-max-bytes",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: REPORT_PDF},
            Status.UNVERIFIABLE,
            ("title cannot be checked", "PDF was cut off"),
            options={"max_bytes": 300},
            check=_cut_off,
        ),
        id="unverifiable-pdf-cut-off-at-max-bytes",
    ),
    pytest.param(
        Row(
            make_source("https://example.org/img/chart.png", title=TITLE),
            {
                "https://example.org/img/chart.png": httpx.Response(
                    200, content=PNG, headers={"Content-Type": "image/png"}
                )
            },
            Status.UNVERIFIABLE,
            ("title cannot be checked", "neither PDF nor HTML", "image/png"),
        ),
        id="unverifiable-image-png",
    ),
    # -- skipped -------------------------------------------------------------------------
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE, skip="paywalled since 2024"),
            {DEEP_PDF: REPORT_PDF},
            Status.SKIPPED,
            ("Skipped: paywalled since 2024.",),
            probe_verdict=None,
        ),
        id="skipped-skip-in-registry",
    ),
    pytest.param(
        Row(
            make_source(DEEP_PDF, title=TITLE),
            {DEEP_PDF: REPORT_PDF},
            Status.SKIPPED,
            ("not selected by --only",),
            options={"only": frozenset({"some-other-id"})},
            probe_verdict=None,
        ),
        id="skipped-not-in-only",
    ),
]


@pytest.mark.parametrize("row", ROWS)
def test_classification(
    row: Row,
    options: CheckOptions,
    run_check: CheckRunner,
    clock: Callable[[], dt.datetime],
) -> None:
    run = run_routes(
        run_check, [row.source], row.routes, options.replace(**row.options), probe=row.probe
    )
    result = run.result

    assert result.status is row.status, result.reason
    for word in row.words:
        assert word.lower() in result.reason.lower(), (word, result.reason)
    assert result.new_url == row.new_url
    assert result.checked_at == clock()
    if row.attempts is not None:
        assert result.fetch is not None
        assert result.fetch.attempts == row.attempts
    if row.failure is not None:
        assert result.fetch is not None
        assert result.fetch.failure is not None
        assert result.fetch.failure.kind is row.failure
        assert result.fetch.status_code is None
    if row.probe_verdict is None:
        assert result.probe is None
        assert run.probe_calls == 0
    elif row.probe_verdict != UNCHECKED:
        assert result.probe is not None
        assert result.probe.verdict is row.probe_verdict
        assert run.probe_calls == 1
    if row.status is Status.SKIPPED:
        assert result.fetch is None
        assert run.requested == []
    else:
        assert result.fetch is not None
        assert result.fetch.body == b""  # the report does not keep bodies
    if row.check is not None:
        row.check(result)


def test_only_checks_the_selected_sources(options: CheckOptions, run_check: CheckRunner) -> None:
    sources = [
        make_source(DEEP_PDF, id="wanted", title=TITLE),
        make_source("https://example.org/docs/other.pdf", id="other", title=TITLE),
    ]
    report = run_routes(
        run_check,
        sources,
        {DEEP_PDF: REPORT_PDF, "https://example.org/docs/other.pdf": REPORT_PDF},
        options.replace(only=frozenset({"wanted"})),
    )
    assert [(r.id, r.status) for r in report.report.results] == [
        ("wanted", Status.OK),
        ("other", Status.SKIPPED),
    ]
    assert report.requested == [DEEP_PDF]


# -- pure functions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://example.org", True, id="no-path"),
        pytest.param("https://example.org/", True, id="slash"),
        pytest.param("https://example.org/index.html", True, id="index-html"),
        pytest.param("https://example.org/default.aspx", True, id="default-aspx"),
        pytest.param("https://example.org/de/", True, id="language-root"),
        pytest.param("https://example.org/de", True, id="language-root-no-slash"),
        pytest.param("https://example.org/en-us/", True, id="language-region-root"),
        pytest.param("https://example.org/go/", False, id="two-letters-not-a-language"),
        pytest.param("https://example.org/js", False, id="script-folder-not-a-language"),
        pytest.param("https://example.org/de/index.html", True, id="language-index"),
        pytest.param("https://example.org/de/page", False, id="page-under-language"),
        pytest.param("https://example.org/docs/", False, id="directory"),
        pytest.param("https://example.org/docs/index.html", False, id="directory-index"),
        pytest.param("https://example.org/?q=1", False, id="root-with-query"),
        pytest.param("https://example.org/docs/report.pdf", False, id="deep-file"),
    ],
)
def test_is_site_root(url: str, expected: bool) -> None:
    assert is_site_root(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://h.test/a/b/report.pdf", "https://h.test/a/b/T.pdf", id="file-ext"),
        pytest.param("https://h.test/a/b/page.html?x=1#f", "https://h.test/a/b/T.html", id="query"),
        pytest.param("https://h.test/a/b/article", "https://h.test/a/b/T", id="no-extension"),
        pytest.param("https://h.test/a/b/x.verylongext", "https://h.test/a/b/T", id="long-ext"),
        pytest.param("https://h.test/a/.htaccess", "https://h.test/a/T", id="dotfile"),
        pytest.param("https://h.test/a/b/", "https://h.test/a/T/", id="directory"),
        pytest.param("https://h.test/a/", "https://h.test/T/", id="top-directory"),
        pytest.param("https://h.test/", "https://h.test/T", id="root"),
        pytest.param("http://h.test:8080/r.pdf", "http://h.test:8080/T.pdf", id="port-kept"),
    ],
)
def test_sibling_url(url: str, expected: str) -> None:
    assert sibling_url(url, "T") == expected


def test_sibling_url_random_token() -> None:
    first = sibling_url("https://h.test/a/report.pdf")
    second = sibling_url("https://h.test/a/report.pdf")
    assert re.fullmatch(r"https://h\.test/a/factlinks-[0-9a-f]{16}\.pdf", first)
    assert first != second


def _fetched(*hops: tuple[str, int, str]) -> FetchResult:
    final = hops[-1][2] if hops else DEEP_PDF
    return FetchResult(
        url=DEEP_PDF,
        final_url=final,
        status_code=200,
        redirects=tuple(Hop(*hop) for hop in hops),
    )


A = "https://example.org/a"
B = "https://example.org/b"
C = "https://example.org/c"


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        pytest.param((), None, id="no-redirect"),
        pytest.param(((DEEP_PDF, 301, A),), A, id="301"),
        pytest.param(((DEEP_PDF, 308, A),), A, id="308"),
        pytest.param(((DEEP_PDF, 302, A),), None, id="302-temporary"),
        pytest.param(((DEEP_PDF, 303, A),), None, id="303"),
        pytest.param(((DEEP_PDF, 307, A),), None, id="307"),
        pytest.param(((DEEP_PDF, 301, A), (A, 308, B)), B, id="301-308-last-permanent"),
        pytest.param(((DEEP_PDF, 301, A), (A, 302, B)), A, id="301-302-stops-at-temporary"),
        pytest.param(((DEEP_PDF, 302, A), (A, 301, B)), None, id="302-first-no-new-url"),
        pytest.param(((DEEP_PDF, 301, A), (A, 301, DEEP_PDF)), None, id="back-to-source"),
        pytest.param(((DEEP_PDF, 301, A), (A, 302, B), (B, 301, C)), A, id="only-leading-run"),
    ],
)
def test_new_url_of(hops: tuple[tuple[str, int, str], ...], expected: str | None) -> None:
    assert new_url_of(DEEP_PDF, _fetched(*hops)) == expected


def _answer(
    body: bytes,
    *,
    status_code: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    return FetchResult(
        url=DEEP_HTML,
        final_url=DEEP_HTML,
        status_code=status_code,
        content_type=content_type,
        headers=dict(headers or {}),
        body=body,
    )


@pytest.mark.parametrize(
    ("fetch", "expected"),
    [
        pytest.param(
            _answer(b"", headers={"cf-mitigated": "Challenge"}),
            "cf-mitigated: challenge",
            id="cf-mitigated-header",
        ),
        pytest.param(
            _answer(CHALLENGE_PAGE.replace("challenge-platform", "x").encode(), status_code=503),
            "<title>just a moment...</title>",
            id="just-a-moment-title",
        ),
        pytest.param(
            _answer(b"<html><script src='https://ct.captcha-delivery.com/c.js'></script></html>"),
            "captcha-delivery.com",
            id="datadome",
        ),
        pytest.param(
            _answer(b"<html><div id='challenge-platform'></div></html>", content_type=None),
            "challenge-platform",
            id="html-sniffed-without-content-type",
        ),
        pytest.param(_answer(b"<html><title>Report</title></html>"), None, id="plain-page"),
        pytest.param(
            _answer(b'{"note": "g-recaptcha"}', content_type="application/json"),
            None,
            id="not-html",
        ),
        pytest.param(
            _answer(b"<html><p>g-recaptcha</p>" + b"x" * 200_001 + b"</html>"),
            None,
            id="large-real-page",
        ),
        pytest.param(
            _answer(b"<html><p>g-recaptcha</p>" + b"x" * 200_001, status_code=403),
            "g-recaptcha",
            id="large-error-page",
        ),
    ],
)
def test_find_challenge(fetch: FetchResult, expected: str | None) -> None:
    assert find_challenge(fetch) == expected


# -- from the first review (issue 2): captcha forms, "404" in a path, echoing 404 pages --------

TITLE_2021 = "Annual report on widget safety 2021"
RECAPTCHA_FORM = (
    "<form action='/newsletter'><input name='email'>"
    "<div class='g-recaptcha' data-sitekey='6Lc'></div></form>"
)


def test_healthy_page_with_a_recaptcha_form_is_ok() -> None:
    url = "https://example.org/docs/report.html"
    body = (
        f"<!doctype html><html><head><title>{TITLE_2021}</title></head>"
        f"<body><h1>{TITLE_2021}</h1><p>Text.</p>{RECAPTCHA_FORM}</body></html>"
    ).encode()
    fetch = FetchResult(url, url, 200, content_type="text/html", body=body)
    evidence = TitleEvidence(TITLE_2021, matched=True, score=100.0, where="<title>")
    verdict = classify(
        make_source(url, title=TITLE_2021), fetch, Inspection(DocFormat.HTML), evidence
    )
    assert verdict.status is Status.OK, verdict.reason


def test_404_page_with_a_captcha_form_is_dead() -> None:
    url = "https://example.org/docs/report.pdf"
    body = (
        "<!doctype html><html><head><title>Not found</title></head>"
        f"<body><h1>Page not found</h1>{RECAPTCHA_FORM}</body></html>"
    ).encode()
    fetch = FetchResult(url, url, 404, content_type="text/html", body=body)
    assert classify(make_source(url), fetch).status is Status.DEAD


def test_404_as_a_directory_name_is_not_an_error_url() -> None:
    cited = "http://dserver.bundestag.de/btd/19/404/1940400.pdf"
    final = "https://dserver.bundestag.de/btd/19/404/1940400.pdf"
    fetch = FetchResult(
        cited,
        final,
        200,
        redirects=(Hop(cited, 301, final),),
        content_type="application/pdf",
        body=b"%PDF-1.4",
    )
    evidence = TitleEvidence("Drucksache 19/404", matched=True, score=100.0, where="page 1")
    verdict = classify(
        make_source(cited, title="Drucksache 19/404", kind="pdf"),
        fetch,
        Inspection(DocFormat.PDF),
        evidence,
    )
    assert verdict.status is Status.MOVED, verdict.reason


def _echo_404(path: str) -> bytes:
    return (
        "<!doctype html><html><head><title>Seite nicht gefunden</title></head><body>"
        "<h1>Fehler 404</h1>"
        f"<p>Die angeforderte Seite {path} wurde leider nicht gefunden.</p>"
        "<p>Bitte nutzen Sie die Suche.</p></body></html>"
    ).encode()


def test_soft_404_page_that_echoes_the_requested_path_is_detected() -> None:
    directory = "/SharedDocs/Downloads/DE/Publikationen/Digitale-Welt/"
    cited_url = f"https://www.example.de{directory}ki-im-mittelstand-studie.pdf"
    token = "factlinks-probe-0123456789ab"
    probe_url = f"https://www.example.de{directory}{token}.pdf"
    cited = FetchResult(
        cited_url,
        cited_url,
        200,
        content_type="text/html",
        body=_echo_404(f"{directory}ki-im-mittelstand-studie.pdf"),
    )
    probe = FetchResult(
        probe_url,
        probe_url,
        200,
        content_type="text/html",
        body=_echo_404(f"{directory}{token}.pdf"),
    )
    assert judge_probe(cited, probe).verdict is ProbeVerdict.SOFT_404


# -- from the first review (issue 2): expired domains, strict mode ----------------------------


def _nxdomain(request: httpx.Request) -> httpx.Response:
    cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from cause


def test_expired_domains_are_reported_not_taken_for_an_offline_machine(
    run_check: CheckRunner,
) -> None:
    sources = [
        make_source("https://expired-one.test/docs/a.pdf", id="a"),
        make_source("https://expired-two.test/docs/b.pdf", id="b"),
        make_source("https://alive.test/docs/c.html", id="c"),
    ]
    with respx.mock() as router:
        router.get(url__regex=r"^https://expired-(one|two)\.test/").mock(side_effect=_nxdomain)
        router.get(url__regex=r"^https://alive\.test/").mock(
            return_value=httpx.Response(200, html="<title>C</title>")
        )
        report = run_check(
            sources, CheckOptions(retry=RetryPolicy(attempts=1), probe_soft_404=False)
        )
    assert [r.status for r in report.results][:2] == [Status.UNREACHABLE, Status.UNREACHABLE]
    assert report.results[2].status is Status.OK


def test_no_such_host_for_every_name_is_an_offline_machine(run_check: CheckRunner) -> None:
    """A resolver that answers NXDOMAIN for every name (filtering DNS, no upstream)."""
    sources = [
        make_source("https://www.kfw.de/a.pdf", id="a"),
        make_source("https://ec.europa.eu/eurostat/b", id="b"),
    ]
    with respx.mock() as router:
        router.get(url__regex=r"^https://").mock(side_effect=_nxdomain)
        with pytest.raises(OfflineError, match=r"2 hosts in 2 domains failed: no-such"):
            run_check(sources, CheckOptions(retry=RetryPolicy(attempts=1)))


def test_hosts_of_one_registrable_domain_are_not_enough_to_call_a_machine_offline(
    run_check: CheckRunner,
) -> None:
    sources = [
        make_source("https://www.kfw.de/a.pdf", id="a"),
        make_source("https://research.kfw.de/b.pdf", id="b"),
    ]
    with respx.mock() as router:
        router.get(url__regex=r"^https://").mock(side_effect=_nxdomain)
        report = run_check(sources, CheckOptions(retry=RetryPolicy(attempts=1)))
    assert {r.status for r in report.results} == {Status.UNREACHABLE}
    assert len(report.notes) == 1
    assert "could not tell whether this machine is offline or the host is down" in (report.notes[0])
    assert "2 sources on 2 hosts in 1 domain failed: no-such-host" in report.notes[0]


def _no_dns_answer(request: httpx.Request) -> httpx.Response:
    cause = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution") from cause


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


ONE_DOMAIN = [
    make_source("https://www.kfw.de/a.pdf", id="a"),
    make_source("https://www.kfw.de/b.pdf", id="b"),
]


@pytest.mark.parametrize(
    ("canary", "message"),
    [
        pytest.param(_nxdomain, "the canary https://canary.test/ failed too", id="nxdomain"),
        pytest.param(_refused, "the canary https://canary.test/ failed too", id="refused"),
    ],
)
def test_one_domain_and_a_canary_that_fails_too_is_an_offline_machine(
    run_check: CheckRunner, canary: Callable[[httpx.Request], httpx.Response], message: str
) -> None:
    options = CheckOptions(retry=RetryPolicy(attempts=1), canary_url="https://canary.test/")
    with respx.mock() as router:
        router.get(url__regex=r"^https://www\.kfw\.de/").mock(side_effect=_nxdomain)
        route = router.get("https://canary.test/").mock(side_effect=canary)
        with pytest.raises(OfflineError, match=message):
            run_check(ONE_DOMAIN, options)
    assert route.call_count == 1


def test_one_domain_and_a_canary_that_answers_means_the_host_is_down(
    run_check: CheckRunner,
) -> None:
    options = CheckOptions(retry=RetryPolicy(attempts=1), canary_url="https://canary.test/")
    with respx.mock() as router:
        router.get(url__regex=r"^https://www\.kfw\.de/").mock(side_effect=_nxdomain)
        router.get("https://canary.test/").mock(return_value=httpx.Response(204))
        report = run_check(ONE_DOMAIN, options)
    assert {r.status for r in report.results} == {Status.UNREACHABLE}
    assert report.passed
    assert len(report.notes) == 1
    assert "the canary https://canary.test/ answered: this machine is online" in report.notes[0]


def test_one_domain_and_a_canary_that_cannot_be_asked_says_it_could_not_tell(
    run_check: CheckRunner,
) -> None:
    options = CheckOptions(retry=RetryPolicy(attempts=1), canary_url="https://canary.test/")
    with respx.mock() as router:
        router.get(url__regex=r"^https://www\.kfw\.de/").mock(side_effect=_refused)
        router.get("https://canary.test/").mock(
            return_value=httpx.Response(301, headers={"Location": "https://canary.test/"})
        )
        report = run_check(ONE_DOMAIN, options)
    assert "failed for another reason" in report.notes[0]
    assert "could not tell whether this machine is offline" in report.notes[0]


def test_one_domain_without_a_canary_and_no_dns_answer_is_an_offline_machine(
    run_check: CheckRunner,
) -> None:
    """No DNS server answered at all: that points at this machine, not at one host."""
    with respx.mock() as router:
        router.get(url__regex=r"^https://").mock(side_effect=_no_dns_answer)
        with pytest.raises(OfflineError, match="no DNS server answered"):
            run_check(ONE_DOMAIN, CheckOptions(retry=RetryPolicy(attempts=1)))


def test_a_source_that_answers_leaves_no_note(run_check: CheckRunner) -> None:
    with respx.mock() as router:
        router.get("https://www.kfw.de/a.pdf").mock(side_effect=_refused)
        router.get("https://www.kfw.de/b.pdf").mock(return_value=httpx.Response(404))
        report = run_check(ONE_DOMAIN, CheckOptions(retry=RetryPolicy(attempts=1)))
    assert report.notes == ()


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.kfw.de", "kfw.de"),
        ("KfW.DE.", "kfw.de"),
        ("ec.europa.eu", "europa.eu"),
        ("a.b.co.uk", "b.co.uk"),
        ("user.github.io", "user.github.io"),  # a private suffix: each user is a site
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("localhost", "localhost"),
        ("co.uk", "co.uk"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


class _Boom(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom")


def test_strict_reraises_the_original_exception(run_check: CheckRunner) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=_Boom()) as client:
            await run_check.run_async(
                [make_source("https://a.test/x", id="x")],
                CheckOptions(retry=RetryPolicy(attempts=1)),
                client=client,
                strict=True,
            )

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(go())
