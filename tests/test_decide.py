"""The status decision as a pure table: :func:`factlinks._decide.decide`, no I/O at all.

Each row gives what a run found (fetch, inspection, title evidence, probe) and what the
history knew before (``prior``), and checks the decision: status, key words of the reason,
``new_url``, and what the result's history says. The end-to-end table (the same rules through
the real pipeline with respx) is ``tests/test_classify.py``; this one pins how the three
rules compose: the server's verdict, the reuse of a verification on 304, and the persistence
policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import make_source
from factlinks import (
    DocFormat,
    Failure,
    FailureKind,
    FetchResult,
    Hop,
    Inspection,
    Kind,
    Probe,
    ProbeVerdict,
    Source,
    Status,
    TitleCandidate,
    TitleEvidence,
)
from factlinks._decide import Prior, decide, needs_parse
from factlinks._history import PastResult, SourceHistory, StoredVerification

NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
URL = "https://example.org/docs/report.pdf"
NEW = "https://example.org/new/report.pdf"
TITLE = "Annual Report on Widget Safety 2025"


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def fetched(code: int | None = 200, **changes: Any) -> FetchResult:
    values: dict[str, Any] = {"url": URL, "final_url": URL, "status_code": code}
    values.update(changes)
    return FetchResult(**values)


def unreachable() -> FetchResult:
    return fetched(None, failure=Failure(FailureKind.TIMEOUT, "timed out"), attempts=3)


def found(matched: bool = True) -> TitleEvidence:
    return TitleEvidence(
        expected=TITLE,
        matched=matched,
        score=100.0 if matched else 20.0,
        where="page 1" if matched else None,
        snippet=TITLE if matched else None,
        found=None if matched else "Something else",
    )


PDF = Inspection(DocFormat.PDF, (TitleCandidate("page 1", TITLE),), pages=3, text_sha256="aa")
HTML = Inspection(DocFormat.HTML, (TitleCandidate("<title>", "Welcome"),))


def past(status: str, when: dt.datetime, **changes: Any) -> PastResult:
    values: dict[str, Any] = {
        "run_id": 1,
        "status": Status(status),
        "url": URL,
        "http_status": 200 if status in ("ok", "moved") else None,
        "final_url": URL,
        "checked_at": when,
        "etag": None,
        "last_modified": None,
        "body_sha256": None,
        "text_sha256": None,
        "verification": None,
    }
    values.update(changes)
    return PastResult(**values)


GOOD_VERIFICATION = StoredVerification(
    Status.OK,
    "Title found in page 1.",
    title=TitleEvidence(TITLE, matched=True, score=100.0, where="page 1", snippet=TITLE),
    inspection=Inspection(
        DocFormat.PDF, (TitleCandidate("page 1", TITLE),), pages=3, text_sha256="aa"
    ),
)


def good_history(**changes: Any) -> SourceHistory:
    good = past("ok", days_ago(1), etag='"v1"', verification=GOOD_VERIFICATION, **changes)
    return SourceHistory(
        last=good, last_good=good, first_seen=days_ago(30).date(), recent=(Status.OK,)
    )


def failing_history(*ages: float) -> SourceHistory:
    """A history whose current run of failures began ``ages`` days ago (oldest first)."""
    failures = tuple(past("unreachable", days_ago(age)) for age in ages)
    return SourceHistory(
        last=failures[-1] if failures else None,
        failures=failures,
        first_seen=days_ago(60).date(),
        recent=tuple(Status.UNREACHABLE for _ in ages),
    )


def prior(history: SourceHistory) -> Prior:
    return Prior(history, dead_after_runs=3, dead_after_days=3.0)


@dataclass(frozen=True)
class Row:
    why: str
    fetch: FetchResult
    status: Status
    words: tuple[str, ...] = ()
    source: Source = field(default_factory=lambda: make_source(URL, title=TITLE))
    inspection: Inspection | None = None
    evidence: TitleEvidence | None = None
    probe: Probe | None = None
    prior: Prior | None = None
    new_url: str | None = None
    consecutive: int | None = None
    changed: bool | None = None
    not_modified: bool = False


ROWS = [
    # -- no history: the server's verdict as it is ------------------------------------------
    Row("404 is dead", fetched(404), Status.DEAD, ("404",)),
    Row("title on page 1 is ok", fetched(), Status.OK, ("page 1",), inspection=PDF,
        evidence=found()),
    Row("moved: 301 then the title", fetched(final_url=NEW, redirects=(Hop(URL, 301, NEW),)),
        Status.MOVED, ("Permanently redirected",), inspection=PDF, evidence=found(),
        new_url=NEW),
    Row("title missing is drifted", fetched(), Status.DRIFTED, ("not in the document",),
        inspection=PDF, evidence=found(matched=False)),
    Row("PDF cited, HTML served is drifted", fetched(), Status.DRIFTED, ("HTML page",),
        source=make_source(URL, kind=Kind.PDF), inspection=HTML),
    Row("soft 404 by probe is dead", fetched(), Status.DEAD, ("Soft 404",),
        source=make_source(URL), inspection=HTML,
        probe=Probe(URL + "x", 200, URL + "x", (), 99.0, ProbeVerdict.SOFT_404)),
    Row("timeout is unreachable, nothing persists", unreachable(), Status.UNREACHABLE,
        ("Timed out", "3 attempts")),
    Row("304 without a history is not a reuse", fetched(304), Status.UNREACHABLE,
        ("Unexpected answer HTTP 304",)),
    # -- the persistence policy ---------------------------------------------------------------
    Row("first failure stays unreachable", unreachable(), Status.UNREACHABLE, ("Timed out",),
        prior=prior(SourceHistory()), consecutive=1),
    Row("third failure in 4 days becomes dead", unreachable(), Status.DEAD,
        ("Unreachable on 3 runs in a row", "Timed out"), prior=prior(failing_history(4, 2)),
        consecutive=3),
    Row("third failure within a day stays unreachable", unreachable(), Status.UNREACHABLE,
        ("Timed out",), prior=prior(failing_history(1, 0.5)), consecutive=3),
    Row("a 404 counts towards the streak", fetched(404), Status.DEAD, ("404",),
        prior=prior(failing_history(2)), consecutive=2),
    Row("recovery resets the streak", fetched(), Status.OK, ("page 1",), inspection=PDF,
        evidence=found(), prior=prior(failing_history(3, 2)), consecutive=0, changed=False),
    Row("changed text with the title still there", fetched(), Status.OK, ("page 1",),
        inspection=Inspection(DocFormat.PDF, PDF.titles, pages=3, text_sha256="bb"),
        evidence=found(), prior=prior(good_history()), consecutive=0, changed=True),
    # -- 304: the stored verification is reused, then the policy applies ---------------------
    Row("304 reuses the last good verification", fetched(304), Status.OK,
        ("Not modified since the check of 2026-11-25", "Title found in page 1"),
        prior=prior(good_history()), consecutive=0, changed=False, not_modified=True),
    Row("304 from another page is not a reuse", fetched(304, final_url=NEW), Status.UNREACHABLE,
        ("Unexpected answer HTTP 304",), prior=prior(good_history()), consecutive=1),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.why for row in ROWS])
def test_decide(row: Row) -> None:
    decision = decide(
        row.source, row.fetch, row.inspection, row.evidence, row.probe, row.prior, now=NOW
    )
    assert decision.status is row.status, decision.reason
    for word in row.words:
        assert word in decision.reason
    assert decision.new_url == row.new_url
    if row.prior is None:
        assert decision.history is None
        return
    history = decision.history
    assert history is not None
    if row.consecutive is not None:
        assert history.consecutive_failures == row.consecutive
    if row.changed is not None:
        assert history.changed is row.changed
    assert (history.not_modified is not None) is row.not_modified


def test_a_304_brings_back_the_stored_evidence_and_inspection() -> None:
    decision = decide(
        make_source(URL, title=TITLE), fetched(304), prior=prior(good_history()), now=NOW
    )
    assert decision.evidence is not None
    assert decision.evidence.matched
    assert decision.evidence.where == "page 1"
    assert decision.inspection == Inspection(
        DocFormat.PDF, (TitleCandidate("page 1", TITLE),), pages=3, text_sha256="aa"
    )


def test_the_policy_drops_new_url_when_it_changes_the_status() -> None:
    # A moved verdict never meets the policy's rewrite (only unreachable does), so new_url
    # survives; a dead one made of an unreachable streak has none to keep.
    moved = decide(
        make_source(URL),
        fetched(final_url=NEW, redirects=(Hop(URL, 308, NEW),)),
        inspection=HTML,
        prior=prior(failing_history(5, 4)),
        now=NOW,
    )
    assert (moved.status, moved.new_url) == (Status.MOVED, NEW)
    assert moved.history is not None
    assert moved.history.previous_status is Status.UNREACHABLE


@pytest.mark.parametrize(
    ("kind", "title", "fmt", "parse"),
    [
        (Kind.ANY, TITLE, DocFormat.HTML, True),
        (Kind.ANY, None, DocFormat.HTML, False),
        (Kind.PDF, None, DocFormat.HTML, True),  # to name what is served instead
        (Kind.PDF, None, DocFormat.PDF, False),
        (Kind.HTML, None, DocFormat.PDF, True),
        (Kind.HTML, None, DocFormat.HTML, False),
    ],
)
def test_needs_parse(kind: Kind, title: str | None, fmt: DocFormat, parse: bool) -> None:
    assert needs_parse(make_source(URL, title=title, kind=kind), fmt) is parse
