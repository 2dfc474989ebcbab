"""The first check of a proposed title: confirmed, kept as citation, or left for a later check.

``extract --write`` (and ``init``) give a source a ``proposed_title`` when the text the
document cites it with looks like a title. A proposal is a guess, so it never makes a source
``drifted``; the first check that reads the document settles it:

- **confirmed**: the document contains it (the title matcher that checks titles, with its
  normalisation and fuzzy score): it becomes the source's ``title``, and the result is the one
  a source with that title gets (so the next check, with the title in the registry, gives the
  same status);
- **kept as citation**: the document does not contain it, or its text cannot be read (no text
  layer, encrypted, too large): ``proposed_title`` is dropped, the text stays as ``citation``
  (it is written there when the source has none), and the status is the one a source without
  a title gets. The report says so in a note per source;
- **left for a later check**: the check read no document that could be the cited one (the
  source is ``dead``, ``blocked``, ``unreachable``, ``drifted`` by its kind, ``skipped``, or
  its body cannot be decoded): nothing changes.

Three functions, each usable on its own: :func:`decide_with_proposal` (the pipeline's hook:
the decision for one source), :func:`settled_sources` (the sources as the run left them, for
an in-memory registry such as ``check DOC.pdf``) and :func:`write_settled_titles` (the registry
file edited in place, only the keys of the settled sources, validated and atomic, as ``fix``
writes).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ._decide import Decision, Prior, decide
from ._errors import RegistryError
from ._models import FetchResult, Inspection, Probe, Source, SourceResult, Status, TitleEvidence
from ._registry import Edit, format_for, load_sources
from ._registry.interface import read_text

__all__ = [
    "SETTLING_STATUSES",
    "SettledTitles",
    "decide_with_proposal",
    "looked_for",
    "proposal_notes",
    "settled_sources",
    "title_edits",
    "write_settled_titles",
]

SETTLING_STATUSES = frozenset({Status.OK, Status.MOVED})
"""The statuses (of a source judged without its proposal) in which the document read is the
cited one, so a proposed title can be confirmed or dropped."""


def looked_for(source: Source) -> Source:
    """``source`` as the document is inspected for it: a pending ``proposed_title`` is looked
    for as its title. Any other source is returned as it is."""
    if source.proposed_title is None or source.title is not None:
        return source
    return replace(source, title=source.proposed_title)


def decide_with_proposal(
    source: Source,
    fetch: FetchResult,
    inspection: Inspection | None,
    evidence: TitleEvidence | None,
    probe: Probe | None,
    prior: Prior | None,
    *,
    now: dt.datetime,
    decide: Callable[..., Decision] = decide,
) -> tuple[Decision, Source, TitleEvidence | None]:
    """The decision for ``source``, the source as it stands after it, and the proposal's outcome.

    ``evidence`` is what looking for :func:`looked_for`'s title found. For a source without a
    proposal this is :func:`~factlinks._decide.decide` and ``(source, None)``. With one, see
    the module's rules; the outcome is the evidence when the proposal was settled (``matched``:
    confirmed), ``None`` when it waits for a later check. ``decide`` is the status decision
    to use (the pipeline passes its own).
    """
    if source.proposed_title is None or source.title is not None:
        return decide(source, fetch, inspection, evidence, probe, prior, now=now), source, None
    plain = decide(source, fetch, inspection, None, probe, prior, now=now)
    if evidence is None or plain.status not in SETTLING_STATUSES:
        return plain, source, None
    if evidence.matched:
        confirmed = replace(source, title=source.proposed_title, proposed_title=None)
        titled = decide(confirmed, fetch, inspection, evidence, probe, prior, now=now)
        return titled, confirmed, evidence
    citation = source.citation or source.proposed_title
    return plain, replace(source, proposed_title=None, citation=citation), evidence


def proposal_notes(results: Iterable[SourceResult]) -> tuple[str, ...]:
    """What the report says about the proposals a run settled: one note per proposal kept as
    citation, and one that lists the confirmed ones."""
    confirmed: list[str] = []
    notes: list[str] = []
    for result in results:
        outcome = result.proposal
        if outcome is None:
            continue
        if outcome.matched:
            confirmed.append(result.id)
            continue
        problem = result.inspection.problem if result.inspection is not None else None
        why = (
            f"its text cannot be read ({problem.detail})"
            if problem is not None
            else "it is not in the document" + _closest(outcome)
        )
        notes.append(
            f"{result.id}: the proposed title “{_short(outcome.expected)}” was not confirmed: "
            f"{why}; it is kept as the citation, and the source is checked without a title."
        )
    if confirmed:
        noun = "title" if len(confirmed) == 1 else "titles"
        notes.insert(
            0,
            f"{len(confirmed)} proposed {noun} confirmed (found in the document) and now "
            f"checked as the title: {', '.join(confirmed)}.",
        )
    return tuple(notes)


def _closest(evidence: TitleEvidence) -> str:
    if evidence.where and evidence.score >= 50:
        return f" (closest: {evidence.score:.0f} % in {evidence.where})"
    return ""


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def settled_sources(sources: Iterable[Source], results: Iterable[SourceResult]) -> list[Source]:
    """``sources`` with the proposals the run settled applied: a confirmed one is the
    ``title``, a dropped one the ``citation`` (if the source had none). For a registry that is
    no file (``check DOC.pdf``); a file is edited with :func:`write_settled_titles`.

    Example::

        report = factlinks.check(sources)
        sources = settled_sources(sources, report.results)
    """
    settled = {r.id: r.source for r in results if r.proposal is not None}
    return [settled.get(source.id, source) for source in sources]


def title_edits(
    sources: Iterable[Source],
    results: Iterable[SourceResult],
    *,
    holds: frozenset[str] | None = None,
) -> list[Edit]:
    """The registry edits that apply the proposals the run settled to ``sources`` (as the file
    has them now): ``proposed_title`` removed; ``title`` added (confirmed) or ``citation``
    added when the source has none (kept as citation). A source whose ``proposed_title``
    changed since the run is left alone. ``holds``: the keys the file's format can hold
    (default: all)."""
    by_id = {source.id: source for source in sources}
    edits: list[Edit] = []
    for result in results:
        outcome, source = result.proposal, by_id.get(result.id)
        if outcome is None or source is None or source.proposed_title != outcome.expected:
            continue
        edits.append(Edit(source.id, "proposed_title", None, old=source.proposed_title))
        key = "title" if outcome.matched else "citation"
        if (key == "title" or source.citation is None) and (holds is None or key in holds):
            edits.append(Edit(source.id, key, outcome.expected, old=None))
    return edits


@dataclass(frozen=True, slots=True)
class SettledTitles:
    """What :func:`write_settled_titles` changed in a registry file."""

    confirmed: tuple[str, ...] = ()
    """The ids whose proposed title is now their ``title``."""
    kept_as_citation: tuple[str, ...] = ()
    """The ids whose proposed title was dropped (its text kept as ``citation``)."""

    def __bool__(self) -> bool:
        return bool(self.confirmed or self.kept_as_citation)


def write_settled_titles(
    path: str | os.PathLike[str], results: Sequence[SourceResult]
) -> SettledTitles:
    """Apply the proposals the run settled to the registry file at ``path``.

    Only the keys of the settled sources change (``proposed_title`` removed, ``title`` or
    ``citation`` added where it stood); comments, layout and every other source stay byte for
    byte. The new text is validated and replaces the file atomically (as ``factlinks fix``
    writes). Nothing is written, and the file not even opened for writing, when no proposal
    was settled.

    Example::

        report = factlinks.check(registry)
        write_settled_titles(registry.path, report.results)

    Raises:
        RegistryError: the file cannot be read, parsed or written (a read-only file or
            checkout), or it changed since the run in a way the edits cannot follow.
    """
    from ._fix import write_fixed  # the safe write of fix (imports the report loader)

    if not any(result.proposal is not None for result in results):
        return SettledTitles()
    if os.path.exists(path) and not os.access(path, os.W_OK):
        name = os.fspath(path)
        raise RegistryError(f"{name}: the file is read-only", path=name)
    registry = load_sources(path)
    text = read_text(path)
    form = format_for(path, text)
    keys = frozenset(k for k in ("title", "citation") if form.holds(k))
    edits = title_edits(registry, results, holds=keys)
    if not edits:
        return SettledTitles()
    write_fixed(path, form.apply_edits(text, edits, path=os.fspath(path)))
    confirmed = tuple(e.source_id for e in edits if e.key == "title")
    kept = tuple(
        e.source_id for e in edits if e.key == "proposed_title" and e.source_id not in confirmed
    )
    return SettledTitles(confirmed, kept)
