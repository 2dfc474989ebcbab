"""A rich sample :class:`~factlinks.Report`: every status and every optional field is set once.

Shared by the report tests (round trip through ``report.json``, every rendering).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from factlinks import (
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
    Problem,
    ProblemKind,
    Report,
    ReusedVerdict,
    Source,
    SourceResult,
    Status,
    TitleCandidate,
    TitleEvidence,
)
from factlinks._models import ArchiveCopy

T0 = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
BERLIN = dt.timezone(dt.timedelta(hours=1))


def _fetch(url: str, status: int | None = 200, **fields: Any) -> FetchResult:
    final_url = fields.pop("final_url", url)
    return FetchResult(url=url, final_url=final_url, status_code=status, **fields)


def sample_report() -> Report:
    """Every status, every optional field, three citing documents, a history and archives."""
    doc = "https://docs.example.org"
    results = (
        SourceResult(
            source=Source(
                id="ok-pdf",
                url=f"{doc}/annual-2021.pdf",
                title="Jahresbericht 2021",
                kind=Kind.PDF,
                citation="KfW 2021",
                cited_in=("brief", "factsheet"),
                accessed=dt.date(2021, 2, 15),
                authors=("KfW Research",),
                year="2021",
            ),
            status=Status.OK,
            reason="Answers HTTP 200; the title is on page 1.",
            checked_at=T0,
            fetch=_fetch(
                f"{doc}/annual-2021.pdf",
                content_type="application/pdf",
                bytes=48_213,
                elapsed_ms=87,
                attempts=2,
                sha256="ab" * 32,
            ),
            inspection=Inspection(
                format=DocFormat.PDF,
                titles=(TitleCandidate("metadata", "Jahresbericht 2021"),),
                pages=12,
                text_sha256="cd" * 32,
            ),
            title=TitleEvidence(
                expected="Jahresbericht 2021",
                matched=True,
                score=100.0,
                where="page 1",
                snippet="… Jahresbericht 2021 …",
                found="Jahresbericht 2021",
            ),
            history=History(
                previous_status=Status.DEAD,
                consecutive_failures=0,
                last_success=T0,
                changed=True,
                recent=(Status.OK, Status.DEAD),
            ),
        ),
        SourceResult(
            source=Source(
                id="moved-html",
                url=f"{doc}/old.html",
                title="Der Bericht",
                kind=Kind.HTML,
                cited_in=("brief",),
            ),
            status=Status.MOVED,
            reason="Permanently redirected to https://docs.example.org/new.html.",
            checked_at=T0 + dt.timedelta(seconds=1, microseconds=250_000),
            fetch=_fetch(
                f"{doc}/old.html",
                final_url=f"{doc}/new.html",
                redirects=(
                    Hop(f"{doc}/old.html", 301, f"{doc}/mid.html"),
                    Hop(f"{doc}/mid.html", 308, f"{doc}/new.html"),
                ),
                content_type="text/html; charset=utf-8",
                bytes=3_500_000,
                truncated=True,
                elapsed_ms=1_520,
            ),
            inspection=Inspection(
                format=DocFormat.HTML, titles=(TitleCandidate("<title>", "Der Bericht"),)
            ),
            title=TitleEvidence(
                expected="Der Bericht", matched=True, score=97.5, where="<title>", found=None
            ),
            new_url=f"{doc}/new.html",
            history=History(previous_status=Status.MOVED, last_success=T0 - dt.timedelta(days=1)),
        ),
        SourceResult(
            source=Source(
                id="drifted-landing",
                url=f"{doc}/study",
                title="The study",
                cited_in=("factsheet",),
                accessed=dt.date(2022, 5, 1),
                doi="https://doi.org/10.5555/study.2022",
                authors=("Müller, Anna", "Schmidt, Jan", "Weber, Eva"),
                year="2022a",
            ),
            status=Status.DRIFTED,
            reason="The expected title is not in the document; it now shows “Publications”.",
            checked_at=T0,
            fetch=_fetch(f"{doc}/study", content_type="text/html", bytes=900, elapsed_ms=40),
            inspection=Inspection(
                format=DocFormat.HTML, titles=(TitleCandidate("<h1>", "Publications"),)
            ),
            title=TitleEvidence(
                expected="The study", matched=False, score=41.25, found="Publications"
            ),
            probe=Probe(
                url=f"{doc}/factlinks-probe-0123456789ab",
                status_code=200,
                final_url=f"{doc}/",
                redirects=(),
                similarity=12.5,
                verdict=ProbeVerdict.INCONCLUSIVE,
            ),
            history=History(
                previous_status=Status.OK,
                first_failure=T0,
                consecutive_failures=1,
                last_success=T0 - dt.timedelta(days=1),
                recent=(Status.OK,),
            ),
            archive=ArchiveCopy(
                url=f"https://web.archive.org/web/20220501120000/{doc}/study",
                timestamp="20220501120000",
                captured_status="200",
                verified=True,
                detail="the archive copy of 2022-05-01 shows the title (<title>)",
            ),
        ),
        SourceResult(
            source=Source(
                id="dead-404",
                url=f"{doc}/gone.pdf",
                title="Gone",
                kind=Kind.PDF,
                authors=("Knuth, Donald E.", "Plass, Michael F."),
                year="1981",
            ),
            status=Status.DEAD,
            reason="The server answers 404 Not Found.",
            checked_at=T0,
            fetch=_fetch(f"{doc}/gone.pdf", 404, content_type="text/html", bytes=0),
            history=History(
                previous_status=Status.DEAD,
                first_failure=(T0 - dt.timedelta(days=3)).astimezone(BERLIN),
                consecutive_failures=4,
                recent=(Status.UNREACHABLE, Status.DEAD, Status.DEAD),
            ),
            archive=ArchiveCopy(
                url=f"https://web.archive.org/web/20210301/{doc}/gone.pdf",
                timestamp="20210301",
                captured_status=None,
                verified=False,
                detail="the archive copy does not show the title",
            ),
        ),
        SourceResult(
            source=Source(id="dead-soft", url=f"{doc}/deep/page", cited_in=("factsheet",)),
            status=Status.DEAD,
            reason="A soft 404: a random sibling URL gets the same page.",
            checked_at=T0,
            fetch=_fetch(f"{doc}/deep/page", content_type="text/html", bytes=100),
            inspection=Inspection(format=DocFormat.HTML, titles=(TitleCandidate("<title>", ""),)),
            probe=Probe(
                url=f"{doc}/deep/factlinks-probe-0123456789ab",
                status_code=None,
                final_url=f"{doc}/deep/factlinks-probe-0123456789ab",
                redirects=(),
                similarity=None,
                verdict=ProbeVerdict.SOFT_404,
            ),
            archive=ArchiveCopy(
                url=f"https://web.archive.org/web/20200101000000/{doc}/deep/page",
                timestamp="20200101000000",
                captured_status="200",
                verified=None,
                detail="the archive copy was not checked",
            ),
        ),
        SourceResult(  # not due in this run: the verdict of the check two days ago
            source=Source(id="blocked-403", url="https://paywall.example.com/x", citation="X"),
            status=Status.BLOCKED,
            reason="The server refuses the checker (403 Forbidden).",
            checked_at=T0 - dt.timedelta(days=2),
            history=History(previous_status=Status.BLOCKED, recent=(Status.BLOCKED,)),
            reused=ReusedVerdict(
                due=T0 + dt.timedelta(days=1) - dt.timedelta(hours=12),
                http_status=403,
                final_url="https://paywall.example.com/x",
            ),
        ),
        SourceResult(
            source=Source(
                id="unreachable-timeout",
                url="https://slow.example.net/r.pdf",
                proposed_title="Regional outlook",
                year="2020",
            ),
            status=Status.UNREACHABLE,
            reason="No answer within 30 s, 3 times.",
            checked_at=T0,
            fetch=_fetch(
                "https://slow.example.net/r.pdf",
                None,
                attempts=3,
                elapsed_ms=30_000,
                failure=Failure(FailureKind.TIMEOUT, "no answer within 30 s"),
            ),
            history=History(
                previous_status=None,
                not_modified=None,
                first_failure=T0,
                consecutive_failures=1,
            ),
        ),
        SourceResult(
            source=Source(id="unverifiable-scan", url=f"{doc}/scan.pdf", title="Scan"),
            status=Status.UNVERIFIABLE,
            reason="The PDF has no text layer; the title cannot be checked.",
            checked_at=T0,
            fetch=_fetch(f"{doc}/scan.pdf", content_type="application/pdf", bytes=5000),
            inspection=Inspection(
                format=DocFormat.PDF,
                pages=3,
                problem=Problem(ProblemKind.OTHER, "no text layer"),
            ),
            history=History(
                previous_status=Status.UNVERIFIABLE,
                not_modified=T0 - dt.timedelta(days=7),
                recent=(Status.UNVERIFIABLE,),
            ),
        ),
        SourceResult(
            source=Source(id="internal-bug", url=f"{doc}/bug.html"),
            status=Status.UNVERIFIABLE,
            reason="Internal error: ZeroDivisionError: division by zero",
            checked_at=T0,
            error=Failure(FailureKind.INTERNAL, "ZeroDivisionError: division by zero"),
        ),
        SourceResult(
            source=Source(
                id="skipped-one",
                url="https://intranet.example.org/",
                skip="internal",
                cited_in=("brief",),
            ),
            status=Status.SKIPPED,
            reason="Skipped: internal.",
            checked_at=T0,
        ),
        SourceResult(
            source=Source(id="ok-plain", url="https://example.org/plain.txt"),
            status=Status.OK,
            reason="Answers HTTP 200; no title to check.",
            checked_at=T0 - dt.timedelta(days=3),  # not due: reused
            inspection=Inspection(format=DocFormat.EMPTY),
            reused=ReusedVerdict(
                due=T0 + dt.timedelta(days=4) - dt.timedelta(hours=12),
                http_status=200,
                final_url="https://example.org/plain.txt",
            ),
        ),
    )
    return Report(
        results=results,
        started_at=T0,
        finished_at=T0 + dt.timedelta(seconds=42, microseconds=125_000),
        tool_version="9.9.9",
        fail_on=frozenset({Status.DEAD, Status.DRIFTED, Status.UNREACHABLE}),
        registry="sources.toml",
    )
