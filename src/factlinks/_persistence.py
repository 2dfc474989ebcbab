"""What the history changes about a result: conditional requests, reuse on 304, the
persistence policy for failures, change detection, and the rows the history stores.

Pure functions of the result and the :class:`~factlinks._history.SourceHistory`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ._classify import new_url_of
from ._history import SourceHistory
from ._models import (
    DocFormat,
    FetchResult,
    History,
    Inspection,
    SourceResult,
    Status,
    TitleCandidate,
    TitleEvidence,
)

__all__ = [
    "Reused",
    "apply_policy",
    "conditional_headers",
    "result_row",
    "reuse_on_not_modified",
]


def conditional_headers(history: SourceHistory) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from the last good check, if it saw any."""
    good = history.last_good
    if good is None or good.verification is None or history.last is not good:
        return {}  # only a source that was good last time may be skipped
    headers = {}
    if good.etag:
        headers["If-None-Match"] = good.etag
    if good.last_modified:
        headers["If-Modified-Since"] = good.last_modified
    return headers


@dataclass(frozen=True, slots=True)
class Reused:
    """The previous verification, for a source whose server answered 304."""

    status: Status
    reason: str
    new_url: str | None
    evidence: TitleEvidence | None
    inspection: Inspection | None
    checked_at: dt.datetime


def reuse_on_not_modified(fetch: FetchResult, history: SourceHistory) -> Reused | None:
    """The last good verification, when ``fetch`` is a 304 answer to a conditional request."""
    good = history.last_good
    if fetch.status_code != 304 or good is None or good.verification is None:
        return None
    if fetch.final_url != good.final_url:
        return None  # the 304 came from another page (a new redirect): not what was verified
    stored = good.verification
    title = stored.get("title")
    evidence = TitleEvidence(**title) if title else None
    document = stored.get("inspection")
    inspection = (
        Inspection(
            DocFormat(document["format"]),
            tuple(TitleCandidate(w, t) for w, t in document["titles"]),
            pages=document["pages"],
            text_sha256=document["text_sha256"],
        )
        if document
        else None
    )
    when = good.checked_at
    return Reused(
        status=Status(stored["status"]),
        reason=f"Not modified since the check of {when:%Y-%m-%d}: {stored['reason']}",
        new_url=new_url_of(fetch.url, fetch) if stored["status"] == "moved" else None,
        evidence=evidence,
        inspection=inspection,
        checked_at=when,
    )


def apply_policy(
    status: Status,
    reason: str,
    *,
    history: SourceHistory,
    now: dt.datetime,
    inspection: Inspection | None,
    fetch: FetchResult | None,
    not_modified: dt.datetime | None,
    min_runs: int,
    min_days: float,
) -> tuple[Status, str, History]:
    """The status after the persistence policy, its reason, and the result's history.

    ``unreachable`` becomes ``dead`` once the source failed on at least ``min_runs``
    consecutive runs (this one included) spanning at least ``min_days`` days, as dead-link
    rescuers do to avoid false alarms from a host that is down for a night.
    """
    failing = status in (Status.UNREACHABLE, Status.DEAD)
    streak = len(history.failures) + 1 if failing else 0
    first_failure = (history.first_failure or now) if failing else None
    if status is Status.UNREACHABLE and first_failure is not None:
        days = (now - first_failure).total_seconds() / 86400
        if streak >= min_runs and days >= min_days:
            status = Status.DEAD
            reason = (
                f"Unreachable on {streak} runs in a row since {first_failure:%Y-%m-%d} "
                f"({days:.0f} days): {reason}"
            )
    good = history.last_good
    changed = False
    if status in (Status.OK, Status.MOVED) and good is not None and not_modified is None:
        before = (good.verification or {}).get("inspection") or {}
        now_text = inspection.text_sha256 if inspection is not None else None
        if now_text and before.get("text_sha256"):
            changed = now_text != before["text_sha256"]
        elif fetch is not None and fetch.sha256 and good.body_sha256:
            changed = fetch.sha256 != good.body_sha256
    last_success = now if status in (Status.OK, Status.MOVED) else None
    if last_success is None and good is not None:
        last_success = good.checked_at
    previous = Status(history.last.status) if history.last is not None else None
    return (
        status,
        reason,
        History(
            previous_status=previous,
            first_failure=first_failure,
            consecutive_failures=streak,
            last_success=last_success,
            changed=changed,
            not_modified=not_modified,
            recent=tuple(Status(s) for s in history.recent),
        ),
    )


def _verification(result: SourceResult) -> dict[str, Any] | None:
    if result.status not in (Status.OK, Status.MOVED):
        return None
    title = result.title
    inspection = result.inspection
    return {
        "status": result.status.value,
        "reason": result.reason,
        "new_url": result.new_url,
        "title": None
        if title is None
        else {
            "expected": title.expected,
            "matched": title.matched,
            "score": title.score,
            "where": title.where,
            "snippet": title.snippet,
            "found": title.found,
        },
        "inspection": None
        if inspection is None
        else {
            "format": inspection.format.value,
            "titles": [[c.where, c.text] for c in inspection.titles],
            "pages": inspection.pages,
            "text_sha256": inspection.text_sha256,
        },
    }


def result_row(result: SourceResult, previous: SourceHistory) -> dict[str, Any]:
    """The history row of ``result`` (a 304 keeps the validators and body it confirmed)."""
    fetch = result.fetch
    reused = result.history is not None and result.history.not_modified is not None
    good = previous.last_good
    headers = fetch.headers if fetch is not None else {}
    return {
        "source_id": result.id,
        "url": result.url,
        "status": result.status.value,
        "http_status": fetch.status_code if fetch else None,
        "final_url": fetch.final_url if fetch else None,
        "checked_at": result.checked_at.isoformat(),
        "etag": good.etag if reused and good else headers.get("etag"),
        "last_modified": good.last_modified if reused and good else headers.get("last-modified"),
        "body_sha256": good.body_sha256 if reused and good else (fetch.sha256 if fetch else None),
        "text_sha256": result.inspection.text_sha256 if result.inspection else None,
        # A 304 confirmed the stored verification: keep it as it was, not the reused reason.
        "verification": _json(good.verification if reused and good else _verification(result)),
        "archive": _json(
            None
            if result.archive is None
            else {
                "url": result.archive.url,
                "timestamp": result.archive.timestamp,
                "verified": result.archive.verified,
                "detail": result.archive.detail,
            }
        ),
    }


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
