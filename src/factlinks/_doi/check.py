"""Ask the DOI system about a DOI: is it registered, where does it point, what is its title.

Two requests per DOI, both through the run's fetcher (its retries, limits and per-host slots,
its User-Agent with the contact address that Crossref's polite pool asks for):

- the handle API, ``RESOLVER/api/handles/DOI?type=URL``: ``responseCode`` 1 is a registered
  DOI with its URL, 200 a registered one without a URL value, and an HTTP 404 with
  ``responseCode`` 100 a DOI that is not registered (the DOI Foundation's proxy REST API);
- content negotiation, ``RESOLVER/DOI`` with ``Accept: application/vnd.citationstyles.csl+json``,
  which the resolver redirects to the registration agency (Crossref, DataCite, mEDRA) that
  answers with the DOI's metadata as CSL-JSON. An agency without content negotiation
  redirects to the landing page instead: no metadata, not an error.

The expected title is looked for in the metadata's title with the matcher documents use.
When the handle API gives no answer (a mirror without it, a failure) but the agency gives
metadata, the DOI is registered: an agency holds metadata only for the DOIs it registered.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .._inspect.match import match_title
from .._memo import Memo
from .._models import DoiCheck, FetchResult, TitleCandidate, TitleEvidence
from .._options import DEFAULT_DOI_RESOLVER, CheckOptions
from .._text import MAX_DETAIL_CHARS, clean_text
from .names import doi_key, doi_path, doi_url

__all__ = ["CSL_JSON", "METADATA_WHERE", "DoiChecker", "contact_note"]

CSL_JSON = "application/vnd.citationstyles.csl+json"
"""The media type of CSL-JSON, asked for by content negotiation."""
METADATA_WHERE = "doi metadata"
"""Where a title found in the DOI's metadata is said to be (a title field for the matcher)."""
_NOT_FOUND = 100
_FOUND = 1
_NO_VALUES = 200
_MAX_TITLE = 1000

_T = TypeVar("_T")
Fetch = Callable[..., Awaitable[FetchResult]]
"""``Fetcher.fetch``: ``(url, *, retries=True, headers=None) -> FetchResult``."""


class DoiChecker:
    """Checks DOIs on one resolver for one run.

    Example::

        checker = DoiChecker(fetcher.fetch, "https://doi.org")
        check = await checker.check("10.1000/182", "The DOI Handbook")
        check.registered, check.verified
    """

    def __init__(self, fetch: Fetch, resolver: str) -> None:
        self._fetch = fetch
        self.resolver = resolver.rstrip("/")
        self._asked: Memo[tuple[str, str], Any] = Memo(size=None)  # once per DOI and question

    async def check(self, doi: str, expected: str | None) -> DoiCheck:
        """Ask about ``doi``; look for ``expected`` in its metadata when it is registered.

        Each DOI is asked about once per run, however many sources cite it.
        """
        registered, target, said = await self._once("handle", doi, self._registration)
        if registered is False or expected is None:
            return DoiCheck(doi, self.resolver, registered, target, detail=said)
        title, how = await self._once("metadata", doi, self._metadata_title)
        if registered is None and title is not None:
            registered = True  # its agency has metadata for it: that is registration
            how += ", so it is registered"
        evidence: TitleEvidence | None = None
        if title is not None:
            evidence = match_title(expected, _candidates(title), display=title["title"])
        return DoiCheck(
            doi,
            self.resolver,
            registered,
            target,
            expected_title=expected,
            metadata_title=None if title is None else title["title"],
            title=evidence,
            detail=clean_text(f"{said}; {how}", MAX_DETAIL_CHARS),
        )

    async def _once(self, what: str, doi: str, ask: Callable[[str], Awaitable[_T]]) -> _T:
        """``ask(doi)``, or what it gave (or is giving) the first time it was asked."""
        result: _T = await self._asked.once((what, doi_key(doi)), lambda: ask(doi))
        return result

    async def _registration(self, doi: str) -> tuple[bool | None, str | None, str]:
        """Registered or not (or unknown), the URL it points at, and what the API said."""
        api = f"{self.resolver}/api/handles/{doi_path(doi)}?type=URL"
        answer = await self._fetch(api, headers={"Accept": "application/json"})
        if answer.failure is not None:
            return None, None, f"the handle API did not answer ({answer.failure.detail})"
        data = _json(answer)
        code = data.get("responseCode") if data is not None else None
        if answer.status_code == 404 and code == _NOT_FOUND:
            return False, None, f"the handle API at {self.resolver} answered: not registered"
        if answer.status_code == 200 and code in (_FOUND, _NO_VALUES) and data is not None:
            target = _target(data)
            where = f", resolving to {target}" if target else ", with no URL"
            return True, target, f"the handle API at {self.resolver} answered: registered{where}"
        return (
            None,
            None,
            f"the handle API at {self.resolver} gave no handle answer (HTTP {answer.status_code})",
        )

    async def _metadata_title(self, doi: str) -> tuple[dict[str, str] | None, str]:
        """The title parts of the DOI's CSL-JSON metadata, and how they were had."""
        answer = await self._fetch(doi_url(doi, self.resolver), headers={"Accept": CSL_JSON})
        if answer.failure is not None:
            return None, f"its metadata could not be read ({answer.failure.detail})"
        data = _json(answer) if answer.status_code == 200 else None
        if data is None:
            # An agency without content negotiation: doi.org sends the request to the page.
            ended = f"the request ended at {answer.final_url}, HTTP {answer.status_code}"
            return None, f"its registration agency gave no CSL-JSON metadata ({ended})"
        title = _title(data.get("title"))
        if title is None:
            return None, "its metadata has no title"
        parts = {"title": title}
        for key in ("subtitle", "original-title", "title-short"):
            value = _title(data.get(key))
            if value is not None:
                parts[key] = value
        return parts, f"its metadata ({answer.final_url}) names the title {title!r}"


def contact_note(asked: int, options: CheckOptions) -> tuple[str, ...]:
    """A note for a run that asked doi.org about ``asked`` DOIs without a contact address."""
    if not asked or options.contact is not None or options.doi_resolver != DEFAULT_DOI_RESOLVER:
        return ()
    return (
        f"{asked} DOI{'s were' if asked != 1 else ' was'} checked without a contact address: "
        'set contact = "you@example.org" in [settings] (or --contact) so that the DOI '
        "registration agencies can reach you, and Crossref serves the requests from its "
        "polite pool.",
    )


def _candidates(title: Mapping[str, str]) -> list[TitleCandidate]:
    """The metadata's titles to look in: with the subtitle, alone, the original, the short."""
    texts = []
    if "subtitle" in title:
        texts.append(f"{title['title']}: {title['subtitle']}")
    texts += [title[key] for key in ("title", "original-title", "title-short") if key in title]
    return [TitleCandidate(METADATA_WHERE, text) for text in texts]


def _json(answer: FetchResult) -> dict[str, Any] | None:
    """The answer's body as a JSON object, or ``None`` (HTML, garbage, an array)."""
    kind = (answer.content_type or "").lower()
    if "json" not in kind:
        return None
    try:
        data = json.loads(answer.body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _title(value: object) -> str | None:
    """A CSL title: a string, or (as some agencies write it) a list of strings."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str) and item.strip()), None)
    if not isinstance(value, str) or not value.strip():
        return None
    return clean_text(value, _MAX_TITLE)


def _target(data: Mapping[str, Any]) -> str | None:
    """The first URL value of a handle record."""
    values = data.get("values")
    if not isinstance(values, list):
        return None
    for value in values:
        if not isinstance(value, dict) or value.get("type") != "URL":
            continue
        inner = value.get("data")
        url = inner.get("value") if isinstance(inner, dict) else None
        if isinstance(url, str) and url.strip():
            return clean_text(url.strip(), MAX_DETAIL_CHARS, prose=False)
    return None
