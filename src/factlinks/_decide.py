"""The status of one source, decided in one pure function.

:func:`decide` composes what used to be three separate steps: the server's verdict
(:func:`~factlinks._classify.classify`), the reuse of an earlier verification when the server
answers 304 Not Modified, and the history's persistence policy (``unreachable`` that lasts
becomes ``dead``) with its change detection. The pipeline only wires: it fetches, inspects,
probes, and hands everything to :func:`decide`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ._classify import Verdict, classify, serves_other_kind
from ._doi.verdict import doi_verdict
from ._history import SourceHistory
from ._models import (
    DocFormat,
    DoiCheck,
    FetchResult,
    History,
    Inspection,
    Probe,
    Source,
    Status,
    TitleEvidence,
)
from ._persistence import apply_policy, reuse_on_not_modified

__all__ = ["Decision", "Prior", "decide", "needs_parse", "serves_other_kind"]


@dataclass(frozen=True, slots=True)
class Prior:
    """What the history knew of a source before this run, and the policy that applies."""

    history: SourceHistory
    """The source's earlier results."""
    dead_after_runs: int
    """``unreachable`` on this many runs in a row (this one included) becomes ``dead`` ..."""
    dead_after_days: float
    """... once those runs also span this many days."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The status of a source with everything that justifies it."""

    status: Status
    """The final status, after the history had its say."""
    reason: str
    """One sentence for people: why this status."""
    new_url: str | None = None
    """For ``moved``: the URL to cite instead."""
    inspection: Inspection | None = None
    """What the document is (the stored one, when a 304 reused an earlier verification)."""
    evidence: TitleEvidence | None = None
    """Where the title was found, or the closest candidate (stored one on a 304)."""
    history: History | None = None
    """What earlier runs say, when a history is kept."""


def needs_parse(source: Source, fmt: DocFormat) -> bool:
    """True when the body must be parsed: a title to look for, or a kind to name."""
    return source.title is not None or serves_other_kind(source, fmt)


def decide(
    source: Source,
    fetch: FetchResult,
    inspection: Inspection | None = None,
    evidence: TitleEvidence | None = None,
    probe: Probe | None = None,
    prior: Prior | None = None,
    *,
    now: dt.datetime,
    doi: DoiCheck | None = None,
    accept: frozenset[int] = frozenset(),
) -> Decision:
    """Decide the status of ``source`` from this run's findings and its history.

    Parameters:
        source: the cited source.
        fetch: what fetching it gave (a 304 when a conditional request was answered so).
        inspection: what the body is, if it was parsed.
        evidence: where the expected title was found, if it was looked for.
        probe: the answer for a random sibling URL (soft-404 detection), if one was asked.
        prior: the history of the source and the persistence policy; ``None`` when no
            history is kept (then nothing is reused, nothing persists).
        now: the time of this check.
        doi: what the DOI system said of the source's DOI, if it was asked
            (:func:`~factlinks._doi.verdict.doi_verdict` says what that changes).
        accept: status codes the host that answered accepts as reachable (its
            ``[[host]] accept``); see :func:`~factlinks._classify.classify`.

    Example::

        >>> decide(source, FetchResult(url=u, final_url=u, status_code=404), now=now).status
        <Status.DEAD: 'dead'>
    """
    verdict, inspection, evidence, not_modified = _verdict(
        source, fetch, inspection, evidence, probe, prior, accept
    )
    if doi is not None:
        verdict = doi_verdict(verdict, doi, source)
    if prior is None:
        return Decision(verdict.status, verdict.reason, verdict.new_url, inspection, evidence)
    status, reason, history = apply_policy(
        verdict.status,
        verdict.reason,
        history=prior.history,
        now=now,
        inspection=inspection,
        fetch=fetch,
        not_modified=not_modified,
        min_runs=prior.dead_after_runs,
        min_days=prior.dead_after_days,
    )
    new_url = verdict.new_url if status is verdict.status else None
    return Decision(status, reason, new_url, inspection, evidence, history)


def _verdict(
    source: Source,
    fetch: FetchResult,
    inspection: Inspection | None,
    evidence: TitleEvidence | None,
    probe: Probe | None,
    prior: Prior | None,
    accept: frozenset[int] = frozenset(),
) -> tuple[Verdict, Inspection | None, TitleEvidence | None, dt.datetime | None]:
    """The server's verdict, or the reused one of an earlier check on a 304."""
    reused = reuse_on_not_modified(fetch, prior.history) if prior is not None else None
    if reused is None:
        verdict = classify(source, fetch, inspection, evidence, probe, accept=accept)
        return verdict, inspection, evidence, None
    verdict = Verdict(reused.status, reused.reason, reused.new_url)
    return verdict, reused.inspection, reused.evidence, reused.checked_at
