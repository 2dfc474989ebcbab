"""Which sources a run checks, and which keep their last verdict: less work every night.

A nightly run over an unchanged registry need not fetch every source again. As
InternetArchiveBot schedules its checks, a source verified healthy is checked again only
after an interval, and a failing one on a shorter cadence that keeps the dead-after policy
(:mod:`factlinks._persistence`) as fast as checking every night would. A source that is not
due is not fetched at all: its last verdict is reported again, with the time it was made
(:attr:`~factlinks.SourceResult.checked_at`) and :attr:`~factlinks.SourceResult.reused` set,
and nothing of it is recorded in the history (a reused verdict is not a new check, so it
counts towards no failure streak).

The rules, all pure functions of the source, its :class:`~factlinks._history.SourceHistory`,
the :class:`~factlinks.CheckOptions` and the time:

- Every source is due when ``recheck_after_days`` is 0, when the run names its sources
  (``--only``), and for a source the history has not checked (a new one, or one whose URL
  changed: a new URL starts a new history).
- A source whose registry entry changed since its last check is due: the history keeps a
  fingerprint of the fields that shape a verdict
  (:func:`~factlinks._history.codec.entry_fingerprint`); a result stored without one (before
  schema 4) counts as changed. So is a source with a proposed title to settle, and one whose
  last check met a bug in factlinks (an internal error).
- Last verdict ``ok``: due once ``recheck_after_days`` have passed since that check.
- Any other verdict: due once :data:`FAILING_RECHECK_DAYS` have passed (or
  ``recheck_after_days``, if shorter). An ``unreachable`` one is also due on every run until it
  has failed ``dead_after_runs - 1`` runs in a row, and on every run once its failures span
  ``dead_after_days``: whenever a check could make it ``dead``, it is checked, so the schedule
  never delays a source crossing into ``dead``.
- Each interval is counted with :data:`SLACK` to spare, so that a nightly job that starts a
  little earlier than the night before still checks on the night the interval ends.
"""

from __future__ import annotations

import datetime as dt

from ._history import SourceHistory
from ._history.codec import entry_fingerprint
from ._history.interface import PastResult, StoredArchive
from ._models import ArchiveCopy, History, ReusedVerdict, Source, SourceResult, Status
from ._options import CheckOptions

__all__ = [
    "FAILING_RECHECK_DAYS",
    "INTERNAL_ERROR",
    "SLACK",
    "due_at",
    "is_due",
    "reused_result",
]

FAILING_RECHECK_DAYS = 3
"""Days between the checks of a source whose last verdict was not ``ok``."""
SLACK = dt.timedelta(hours=12)
"""How much earlier than its interval's end a source counts as due."""
INTERNAL_ERROR = "Internal error: "
"""How the reason of a check that met a bug begins (``_pipeline``): such a source is always due."""
_DAY = dt.timedelta(days=1)
_GOOD = (Status.OK, Status.MOVED)


def due_at(source: Source, past: SourceHistory, options: CheckOptions) -> dt.datetime | None:
    """When ``source`` is next due for a check; ``None``: it is due now, whatever the time.

    Parameters:
        source: the registry's entry, as this run has it.
        past: what the history knew of it before this run.
        options: the run's options (``recheck_after_days``, ``only``, the dead-after policy).

    Example::

        >>> due_at(source, SourceHistory(), CheckOptions()) is None  # never checked: due
        True
    """
    last = past.last
    if options.recheck_after_days == 0 or options.only is not None or last is None:
        return None
    if _changed(source, last) or source.proposed_title is not None:
        return None
    if last.status is Status.OK:
        return last.checked_at + options.recheck_after_days * _DAY - SLACK
    cadence = min(FAILING_RECHECK_DAYS, options.recheck_after_days)
    due = last.checked_at + cadence * _DAY - SLACK
    if last.status is not Status.UNREACHABLE:
        return due
    if len(past.failures) + 1 < options.dead_after_runs:
        return None  # its streak must grow as it would every night
    first = past.first_failure or last.checked_at
    return min(due, first + dt.timedelta(days=options.dead_after_days) - SLACK)


def _changed(source: Source, last: PastResult) -> bool:
    """True when the entry differs from the one last checked, or the history cannot tell
    (a result stored before the history kept fingerprints and reasons), or the last check
    met a bug (it said nothing about the citation: the run must fail until it is fixed)."""
    if last.entry_sha256 is None or last.reason is None:
        return True
    if last.reason.startswith(INTERNAL_ERROR):
        return True
    return last.entry_sha256 != entry_fingerprint(source)


def is_due(source: Source, past: SourceHistory, options: CheckOptions, *, now: dt.datetime) -> bool:
    """True when ``source`` must be checked in the run at ``now`` (see :func:`due_at`)."""
    due = due_at(source, past, options)
    return due is None or now >= due


def reused_result(
    source: Source, past: SourceHistory, options: CheckOptions, *, now: dt.datetime
) -> SourceResult | None:
    """The result that reports the last verdict again, when ``source`` is not due at ``now``;
    ``None`` when it is due (it must be checked).

    The result has the last check's status, reason, time (``checked_at``), title evidence and
    document (for ``ok``/``moved``), new URL and archive copy; no fetch; its history is what
    the history knew (``previous_status`` is the reused status: a reused verdict is never
    new, nor recovered); and :attr:`~factlinks.SourceResult.reused` says when it is due.
    """
    due = due_at(source, past, options)
    last = past.last
    if due is None or now >= due or last is None or last.reason is None:
        return None
    verification = last.verification if last.status in _GOOD else None
    good = past.last_good
    return SourceResult(
        source=source,
        status=last.status,
        reason=last.reason,
        checked_at=last.checked_at,
        inspection=verification.inspection if verification is not None else None,
        title=verification.title if verification is not None else None,
        new_url=verification.new_url if verification is not None else None,
        history=History(
            previous_status=last.status,
            first_failure=past.first_failure,
            consecutive_failures=len(past.failures),
            last_success=good.checked_at if good is not None else None,
            recent=past.recent[:-1],  # the runs before the check whose verdict this is
        ),
        archive=_archive(last.archive),
        reused=ReusedVerdict(due=due, http_status=last.http_status, final_url=last.final_url),
    )


def _archive(stored: StoredArchive | None) -> ArchiveCopy | None:
    if stored is None:
        return None
    return ArchiveCopy(
        url=stored.url,
        timestamp=stored.timestamp,
        captured_status=None,
        verified=stored.verified,
        detail=stored.detail,
    )
