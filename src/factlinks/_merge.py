"""Combining the shards of one run (``factlinks merge``): their reports, and their histories.

:func:`merge_reports` turns the :class:`~factlinks.Report` of every shard (``check --shard
K/N``) into the report one unsharded run would have given: the sources in registry order (each
shard's report records each result's place in the registry), the run's start and end the
earliest and latest of the shards', the notes of all shards once each (without the notes that
say which shard a report is). Counts, the summary and the pass/fail decision follow from the
results, as for any report.

:func:`merge_histories` does the same for the histories when each shard kept its own SQLite
file: it records the merged run in one history, through the history seam (so any backend can
be the target). With a shared history (PostgreSQL), each shard records its part there itself
and nothing is left to merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ._errors import ReportError, StateError
from ._history.interface import HistoryBackend, ResultRow
from ._models import Report, Shard, SourceResult, Status
from ._shard import shard_note

__all__ = ["merge_histories", "merge_reports"]


def merge_reports(reports: Sequence[Report], *, fail_on: frozenset[Status] | None = None) -> Report:
    """The report of the whole run whose shards gave ``reports`` (in any order).

    Example::

        shards = [factlinks.load_report(f"shard-{k}/report.json") for k in (1, 2, 3, 4)]
        report = factlinks.merge_reports(shards)

    Parameters:
        reports: one report per shard, every shard of the run exactly once.
        fail_on: the statuses that fail the merged run (default: the shards', which must
            agree).

    Raises:
        ReportError: a report is not a shard's, the shards are of different registries,
            counts or factlinks versions, a shard is missing or given twice, or (without
            ``fail_on``) the shards disagree on what fails the run.
    """
    shards = _shards(reports)
    first = reports[0]
    _check_same(reports, shards)
    _check_complete(shards)
    if fail_on is None:
        fail_on = _one_fail_on(reports)
    placed: list[tuple[int, SourceResult]] = []
    for report, shard in zip(reports, shards, strict=True):
        placed.extend(zip(shard.positions, report.results, strict=True))
    _check_disjoint(placed, shards[0].registry_sources)
    placed.sort(key=lambda item: item[0])
    own = {shard_note(shard) for shard in shards}
    notes = (note for report in sorted(reports, key=_index) for note in report.notes)
    return replace(
        first,
        results=tuple(result for _, result in placed),
        started_at=min(report.started_at for report in reports),
        finished_at=max(report.finished_at for report in reports),
        fail_on=fail_on,
        notes=tuple(dict.fromkeys(note for note in notes if note not in own)),
        shard=None,
    )


def _index(report: Report) -> int:
    return report.shard.index if report.shard else 0


def _shards(reports: Sequence[Report]) -> list[Shard]:
    if not reports:
        raise ReportError("nothing to merge: no shard reports given")
    shards: list[Shard] = []
    for number, report in enumerate(reports, 1):
        if report.shard is None:
            raise ReportError(
                f"report {number} is not a shard's report (it was not written by "
                "'factlinks check --shard K/N')"
            )
        if len(report.shard.positions) != len(report.results):
            raise ReportError(
                f"shard {report.shard.index}/{report.shard.count}: its report places "
                f"{len(report.shard.positions)} sources but holds {len(report.results)}"
            )
        shards.append(report.shard)
    return shards


def _check_same(reports: Sequence[Report], shards: Sequence[Shard]) -> None:
    """One registry, one N, one factlinks version: or the merge would be of unlike runs."""
    first, base = reports[0], shards[0]
    for report, shard in zip(reports[1:], shards[1:], strict=True):
        name = f"shard {shard.index}/{shard.count}"
        if shard.count != base.count:
            raise ReportError(
                f"{name} is of a run in {shard.count} shards, shard "
                f"{base.index}/{base.count} of one in {base.count}: merge the shards of one run"
            )
        if (shard.registry_digest, shard.registry_sources) != (
            base.registry_digest,
            base.registry_sources,
        ):
            raise ReportError(
                f"{name} checked another registry than shard {base.index}/{base.count} "
                f"({shard.registry_sources} sources, {shard.registry_digest[:19]}… against "
                f"{base.registry_sources}, {base.registry_digest[:19]}…): "
                "every shard must read the same registry file"
            )
        if report.tool_version != first.tool_version:
            raise ReportError(
                f"{name} ran factlinks {report.tool_version}, shard {base.index}/{base.count} "
                f"factlinks {first.tool_version}: run every shard with one version"
            )


def _check_complete(shards: Sequence[Shard]) -> None:
    count = shards[0].count
    seen: set[int] = set()
    for shard in shards:
        if shard.index in seen:
            raise ReportError(f"shard {shard.index}/{count} is given twice")
        seen.add(shard.index)
    missing = [index for index in range(1, count + 1) if index not in seen]
    if missing:
        names = ", ".join(f"{index}/{count}" for index in missing)
        raise ReportError(f"shard{'s' if len(missing) > 1 else ''} {names} missing")


def _one_fail_on(reports: Sequence[Report]) -> frozenset[Status]:
    first = reports[0]
    for report in reports[1:]:
        if report.fail_on != first.fail_on:
            a = ",".join(sorted(s.value for s in first.fail_on)) or "nothing"
            b = ",".join(sorted(s.value for s in report.fail_on)) or "nothing"
            raise ReportError(
                f"the shards fail on different statuses ({a} and {b}); give --fail-on to merge them"
            )
    return first.fail_on


def _check_disjoint(placed: Iterable[tuple[int, SourceResult]], total: int) -> None:
    """No place in the registry is taken twice and none is out of it."""
    taken: dict[int, str] = {}
    for position, result in placed:
        if not 0 <= position < total or position in taken:
            raise ReportError(
                f"source {result.id!r} is placed at {position} of {total} in the registry "
                + (f"where {taken[position]!r} is too" if position in taken else "(out of it)")
            )
        taken[position] = result.id


def merge_histories(
    target: HistoryBackend, shards: Sequence[HistoryBackend], report: Report
) -> int:
    """Record the merged ``report``'s run in ``target``, from the shards' own histories.

    Each shard history holds its part of the run (and whatever it held before: typically the
    merged history of the night before, copied to every shard). For each result of ``report``
    the row the shard recorded (same source, URL and ``checked_at``) is taken, so the target
    gets the run exactly as the shards stored it, validators and verifications included; it
    is recorded as one run, in one transaction (skipped sources and reused verdicts are not
    part of it, as in ``check``). Return how many results were recorded.

    Example::

        with open_history("state.db") as target, open_history("s1.db") as s1, ...:
            merge_histories(target, [s1, s2, s3, s4], merged_report)

    Raises:
        StateError: a result of ``report`` is in none of the shard histories (a shard's
            history is missing, or is of another run), or ``target`` holds this run already.
    """
    # As check does: skipped sources and reused verdicts (not new checks) are not recorded.
    recorded = [r for r in report.results if r.status is not Status.SKIPPED and r.reused is None]
    wanted = {(r.id, r.url, r.checked_at) for r in recorded}
    found: dict[tuple[str, str, object], ResultRow] = {}
    for shard in shards:
        for row in shard.latest_results(report.registry):
            key = (row.source_id, row.url, row.checked_at)
            if key in wanted:
                found[key] = row
    rows: list[ResultRow] = []
    for result in recorded:
        match = found.get((result.id, result.url, result.checked_at))
        if match is None:
            raise StateError(
                f"no shard history holds the result of {result.id!r} checked at "
                f"{result.checked_at.isoformat()}: give the history of every shard of this run"
            )
        rows.append(match)
    already = {(r.source_id, r.url, r.checked_at) for r in target.latest_results(report.registry)}
    if rows and all((r.source_id, r.url, r.checked_at) in already for r in rows):
        raise StateError("the target history holds this run already (merged before)")
    target.record_run(
        started_at=report.started_at,
        finished_at=report.finished_at,
        tool_version=report.tool_version,
        registry=report.registry,
        rows=rows,
    )
    return len(rows)
