"""One rich, deterministic :class:`factlinks.Report` for golden files and format tests.

:func:`sample_report` holds every status, a move with ``new_url`` after two redirects, title
evidence matched and unmatched, archive copies, history (previous status, a failure streak, a
recovery, a 304 reuse), a skipped and an unverifiable source, fetch failures with a kind,
unicode in titles, and Markdown, HTML and XML special characters in titles, citations and URLs.
Nothing in it depends on the clock, the machine or the network.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from factlinks import (
    ArchiveCopy,
    DocFormat,
    Failure,
    FailureKind,
    FetchResult,
    History,
    Hop,
    Inspection,
    Kind,
    Probe,
    ProbeVerdict,
    Report,
    Source,
    SourceResult,
    Status,
    TitleCandidate,
    TitleEvidence,
)

__all__ = ["SAMPLE_FINISHED", "SAMPLE_STARTED", "sample_report"]

SAMPLE_STARTED = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
SAMPLE_FINISHED = SAMPLE_STARTED + dt.timedelta(seconds=12, milliseconds=345)
_DAY = dt.timedelta(days=1)
_HOSTILE = "Home | <Widgets> & *more* [x](https://tracker.example/p) `code` @octocat ![i](j)"


def _fetch(
    url: str, status: int | None = 200, *, final_url: str = "", **fields: Any
) -> FetchResult:
    fields.setdefault("content_type", "text/html; charset=utf-8")
    fields.setdefault("bytes", 18_432)
    fields.setdefault("elapsed_ms", 120)
    return FetchResult(url, final_url or url, status, **fields)


def _ok() -> SourceResult:
    url = "https://www.bmwk.example/Redaktion/DE/Publikationen/ki-studie.pdf"
    title = "Künstliche Intelligenz im Mittelstand \u2013 Studie 2021 (Ü, ß, é, 日本)"
    return SourceResult(
        Source(
            id="bmwk-ki-studie",
            url=url,
            title=title,
            kind=Kind.PDF,
            citation="BMWK 2021, S. 12",
            cited_in=("Faktenblatt KI", "Brief <2026>"),
            accessed=dt.date(2021, 3, 1),
        ),
        Status.OK,
        "Answers HTTP 200 and shows the expected title (page 1).",
        SAMPLE_STARTED,
        fetch=_fetch(url, content_type="application/pdf", bytes=1_234_567, elapsed_ms=850),
        inspection=Inspection(
            DocFormat.PDF, (TitleCandidate("page 1", title), TitleCandidate("metadata", "ki")), 48
        ),
        title=TitleEvidence(title, True, 100.0, "page 1", title, title),
        history=History(
            previous_status=Status.DEAD,
            last_success=SAMPLE_STARTED,
            recent=(Status.OK, Status.DEAD),
        ),
    )


def _ok_not_modified() -> SourceResult:
    url = "https://example.org/reports/annual.html"
    title = "Annual report on widget safety 2021"
    return SourceResult(
        Source(
            id="annual-report", url=url, title=title, kind=Kind.HTML, cited_in=("Brief <2026>",)
        ),
        Status.OK,
        "Not modified since the last check (HTTP 304); the earlier verification stands.",
        SAMPLE_STARTED,
        fetch=_fetch(url, 304, bytes=0, elapsed_ms=35, sha256=None),
        title=TitleEvidence(title, True, 97.5, "<title>", f"{title}.", title),
        history=History(
            previous_status=Status.OK,
            last_success=SAMPLE_STARTED,
            changed=True,
            not_modified=SAMPLE_STARTED - _DAY,
            recent=(Status.OK, Status.OK, Status.OK),
        ),
    )


def _moved() -> SourceResult:
    old = "http://www.kfw.example/docs/report.pdf?a=1&b=2"
    middle = "https://www.kfw.example/docs/report.pdf?a=1&b=2"
    new = "https://assets.kfw.example/reports/widgets_2021(final).pdf"
    title = "Widget Safety Report"
    return SourceResult(
        Source(id="kfw-widgets", url=old, title=title, kind=Kind.PDF, cited_in=("Faktenblatt KI",)),
        Status.MOVED,
        f"Moved permanently (301, 308) to {new}; the title is still there.",
        SAMPLE_STARTED,
        fetch=_fetch(
            old,
            final_url=new,
            redirects=(Hop(old, 301, middle), Hop(middle, 308, new)),
            content_type="application/pdf",
            attempts=2,
        ),
        inspection=Inspection(DocFormat.PDF, (TitleCandidate("metadata", title),), 3),
        title=TitleEvidence(title, True, 100.0, "metadata", title, title),
        new_url=new,
        history=History(previous_status=Status.MOVED, last_success=SAMPLE_STARTED),
    )


def _drifted() -> SourceResult:
    url = "https://example.org/studies/widgets.html#section-2"
    title = "The *widget* study [2021] <draft> & notes"
    return SourceResult(
        Source(
            id="widget-study",
            url=url,
            title=title,
            kind=Kind.HTML,
            citation="Müller & Söhne (2021), `Widgets` | *vol. 2*",
            cited_in=("Faktenblatt KI",),
        ),
        Status.DRIFTED,
        f"The expected title is not in the document; it now shows “{_HOSTILE}”.",
        SAMPLE_STARTED,
        fetch=_fetch(url, final_url="https://example.org/studies/widgets.html"),
        inspection=Inspection(DocFormat.HTML, (TitleCandidate("<title>", _HOSTILE),)),
        title=TitleEvidence(title, False, 41.5, "<h1>", None, _HOSTILE),
        archive=ArchiveCopy(
            url="https://web.archive.org/web/20210215093000/https://example.org/studies/widgets.html",
            timestamp="20210215093000",
            captured_status="200",
            verified=True,
            detail="the archive copy of 2021-02-15 shows the title (<title>)",
        ),
        history=History(
            previous_status=Status.OK,
            first_failure=SAMPLE_STARTED,
            consecutive_failures=1,
            last_success=SAMPLE_STARTED - _DAY,
            recent=(Status.OK,),
        ),
    )


def _dead() -> SourceResult:
    url = "https://www.example.de/SharedDocs/Downloads/studie.pdf"
    probe = "https://www.example.de/SharedDocs/Downloads/factlinks-probe-0123456789ab.pdf"
    return SourceResult(
        Source(
            id="dead-soft-404",
            url=url,
            title="Digitalisierung der Wirtschaft",
            kind=Kind.PDF,
            cited_in=("Faktenblatt KI", "Brief <2026>"),
        ),
        Status.DEAD,
        "Answers HTTP 200, but a made-up sibling URL gets the same page: a soft 404.",
        SAMPLE_STARTED,
        fetch=_fetch(url),
        inspection=Inspection(DocFormat.HTML, (TitleCandidate("<title>", "Seite nicht gefunden"),)),
        title=TitleEvidence(
            "Digitalisierung der Wirtschaft", False, 12.0, None, None, "Seite nicht gefunden"
        ),
        probe=Probe(probe, 200, probe, (), 98.2, ProbeVerdict.SOFT_404),
        archive=ArchiveCopy(
            url="https://web.archive.org/web/20190412080910/https://www.example.de/SharedDocs/Downloads/studie.pdf",
            timestamp="20190412080910",
            captured_status=None,
            verified=None,
            detail="an archive copy of 2019-04-12 exists; its title cannot be read",
        ),
        history=History(
            previous_status=Status.DEAD,
            first_failure=SAMPLE_STARTED - 3 * _DAY,
            consecutive_failures=4,
            last_success=SAMPLE_STARTED - 4 * _DAY,
            recent=(Status.OK, Status.DEAD, Status.DEAD, Status.DEAD),
        ),
    )


def _dead_no_such_host() -> SourceResult:
    url = "https://expired-domain.example/paper.pdf"
    return SourceResult(
        Source(id="expired-domain", url=url),
        Status.DEAD,
        "The host name no longer exists (no-such-host).",
        SAMPLE_STARTED,
        fetch=_fetch(
            url,
            None,
            content_type=None,
            bytes=0,
            elapsed_ms=3,
            failure=Failure(FailureKind.NO_SUCH_HOST, "[Errno -2] Name or service not known"),
        ),
    )


def _blocked() -> SourceResult:
    url = "https://example.com/a_b*c/(x)?q=1&r=<2>&s=\"3\"&t='4'"
    return SourceResult(
        Source(id="blocked-403", url=url, title="Quotes \"double\" and 'single' & <tags>"),
        Status.BLOCKED,
        "Answers HTTP 403: the site refuses automated checks.",
        SAMPLE_STARTED,
        fetch=_fetch(url, 403, bytes=512, elapsed_ms=60),
    )


def _unreachable() -> SourceResult:
    url = "https://slow.example.net/report"
    return SourceResult(
        Source(id="slow-host", url=url, title="Slow report", cited_in=("Brief <2026>",)),
        Status.UNREACHABLE,
        "No answer within 20 s after 3 attempts (timeout).",
        SAMPLE_STARTED,
        fetch=_fetch(
            url,
            None,
            content_type=None,
            bytes=0,
            elapsed_ms=20_000,
            attempts=3,
            failure=Failure(FailureKind.TIMEOUT, "no answer within 20 s"),
        ),
        history=History(
            previous_status=Status.UNREACHABLE,
            first_failure=SAMPLE_STARTED - _DAY,
            consecutive_failures=2,
            recent=(Status.UNREACHABLE,),
        ),
    )


def _unverifiable() -> SourceResult:
    url = "https://example.org/scans/1998-annual.pdf"
    return SourceResult(
        Source(id="scanned-pdf", url=url, title="Jahresbericht 1998", kind=Kind.PDF),
        Status.UNVERIFIABLE,
        "Answers HTTP 200, but the PDF has no text layer (a scan): the title cannot be checked.",
        SAMPLE_STARTED,
        fetch=_fetch(url, content_type="application/pdf", bytes=2_048_000, truncated=True),
        inspection=Inspection(DocFormat.PDF, (), 12, "no text layer (scanned)"),
    )


def _skipped() -> SourceResult:
    return SourceResult(
        Source(
            id="paywalled",
            url="https://journal.example/article/10.1000/xyz_123",
            title="A paywalled article",
            skip="paywall; checked by hand every year",
            cited_in=("Faktenblatt KI",),
        ),
        Status.SKIPPED,
        "Skipped: paywall; checked by hand every year.",
        SAMPLE_STARTED,
    )


def sample_report() -> Report:
    """The shared sample: every status, in registry order, with fixed times and version."""
    return Report(
        results=(
            _ok(),
            _moved(),
            _drifted(),
            _dead(),
            _blocked(),
            _unreachable(),
            _unverifiable(),
            _skipped(),
            _ok_not_modified(),
            _dead_no_such_host(),
        ),
        started_at=SAMPLE_STARTED,
        finished_at=SAMPLE_FINISHED,
        tool_version="0.0.0+golden",
        registry="examples/sources.toml",
    )
