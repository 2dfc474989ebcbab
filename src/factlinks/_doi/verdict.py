"""What a DOI check does to a source's verdict: one pure function, table-tested.

The landing page is fetched as for any source and classified first; then the DOI system has
its say (:func:`doi_verdict`):

- a DOI that is not registered is ``dead``, whatever the landing page did;
- a DOI whose metadata names another title is ``drifted``;
- a registered DOI whose metadata names the expected title (or with no title to look for) is
  verified: a landing page that refuses the checker (``blocked``, a publisher's bot wall), that
  cannot be read (``unverifiable``) or, when the cited URL *is* the DOI, that does not show
  the title (a script-built page) makes it ``ok``, and the reason says how it was verified.
  A landing page that is gone (``dead``) or down (``unreachable``) keeps its status: a reader
  following the DOI gets nowhere;
- when the DOI system could not tell, the landing page's verdict stands, and says so.
"""

from __future__ import annotations

from .._classify import Verdict
from .._models import DoiCheck, Source, Status
from .names import doi_from_url, doi_key

__all__ = ["doi_verdict", "is_doi_url"]

_VERIFIED_OVER = frozenset({Status.BLOCKED, Status.UNVERIFIABLE})
"""Landing-page statuses a verified DOI turns into ``ok``."""


def is_doi_url(source: Source) -> bool:
    """True when the cited URL is the source's DOI on the DOI proxy (``https://doi.org/…``)."""
    named = doi_from_url(source.url)
    return source.doi is not None and named is not None and doi_key(named) == doi_key(source.doi)


def doi_verdict(verdict: Verdict, check: DoiCheck, source: Source) -> Verdict:
    """``verdict`` (the landing page's) with what ``check`` (the DOI system's) adds."""
    doi = check.doi
    if check.registered is False:
        also = (
            ""
            if is_doi_url(source)
            else f" The cited URL itself gave: {verdict.reason} Correct or remove the DOI."
        )
        return Verdict(Status.DEAD, f"The DOI {doi} is not registered: {check.detail}.{also}")
    if check.other_title and check.title is not None:
        found = check.title.found or check.metadata_title
        return Verdict(
            Status.DRIFTED,
            f"The metadata of the DOI {doi} names another title: {found!r}, not the expected "
            f"{check.title.expected!r} ({check.detail}).",
        )
    if not check.verified:
        return Verdict(
            verdict.status, f"{verdict.reason} DOI {doi}: {check.detail}.", verdict.new_url
        )
    how = (
        "is registered and its metadata names the expected title"
        if check.expected_title is not None
        else "is registered"
    )
    if verdict.status in _VERIFIED_OVER or (
        verdict.status is Status.DRIFTED and is_doi_url(source)
    ):
        return Verdict(
            Status.OK,
            f"Verified through the DOI system: {doi} {how} ({check.detail}). The landing page "
            f"was not what verified it: {verdict.reason}",
        )
    return Verdict(verdict.status, f"{verdict.reason} The DOI {doi} {how}.", verdict.new_url)
