"""What the history changes about a result: conditional requests, reuse on 304, the
persistence policy for failures, and change detection.

Pure functions of the result and the :class:`~factlinks._history.SourceHistory` (whose stored
verification :mod:`factlinks._history.codec` has already decoded). The rows the history
stores are built by :func:`factlinks._history.codec.encode_result`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ._classify import new_url_of
from ._history import SourceHistory
from ._models import (
    FetchResult,
    History,
    Inspection,
    Status,
    TitleEvidence,
)
from ._text import sendable_validator

__all__ = [
    "Reused",
    "apply_policy",
    "conditional_headers",
    "reuse_on_not_modified",
]


def conditional_headers(history: SourceHistory) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from the last good check, if it saw any.

    Only validators that can be sent are (a database of an earlier version may hold a
    Latin-1 ``ETag``, which no request can carry): a stored value never fails a request.
    """
    good = history.last_good
    if good is None or good.verification is None or history.last is not good:
        return {}  # only a source that was good last time may be skipped
    headers = {}
    etag, last_modified = sendable_validator(good.etag), sendable_validator(good.last_modified)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
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
    stored = good.verification  # decoded by the history's codec
    when = good.checked_at
    return Reused(
        status=stored.status,
        reason=f"Not modified since the check of {when:%Y-%m-%d}: {stored.reason}",
        new_url=new_url_of(fetch.url, fetch) if stored.status is Status.MOVED else None,
        evidence=stored.title,
        inspection=stored.inspection,
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
        before = good.verification.inspection if good.verification is not None else None
        before_text = before.text_sha256 if before is not None else None
        now_text = inspection.text_sha256 if inspection is not None else None
        if now_text and before_text:
            changed = now_text != before_text
        elif fetch is not None and fetch.sha256 and good.body_sha256:
            changed = fetch.sha256 != good.body_sha256
    last_success = now if status in (Status.OK, Status.MOVED) else None
    if last_success is None and good is not None:
        last_success = good.checked_at
    previous = history.last.status if history.last is not None else None
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
            recent=history.recent,
        ),
    )
