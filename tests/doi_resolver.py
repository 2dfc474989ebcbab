"""A local DOI resolver that answers as doi.org does, and a registration agency behind it.

:class:`DoiResolver` runs two loopback hosts: ``doi.org`` and ``api.crossref.org``. The first
answers the three kinds of request factlinks makes, as the DOI Foundation's proxy does:

- ``GET /api/handles/DOI`` (the proxy REST API): HTTP 200 with ``responseCode`` 1 and the
  DOI's URL value for a registered DOI; HTTP 404 with ``responseCode`` 100 for one that is not;
- ``GET /DOI`` with ``Accept: application/vnd.citationstyles.csl+json`` (content
  negotiation): a 302 to the agency, which answers with the DOI's CSL-JSON; a DOI whose agency
  has no content negotiation is redirected to its landing page instead, as doi.org does;
- ``GET /DOI`` otherwise: a 302 to the registered URL; 404 "DOI Not Found" for an unknown DOI.

DOIs are looked up without ASCII case, and may be percent-encoded in the path, as on doi.org.

Example::

    handbook = Registered("http://127.0.0.1:8000/", "The DOI Handbook")
    with DoiResolver({"10.1000/182": handbook}) as doi:
        main(["check", ..., "--doi-resolver", doi.url])
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, unquote, urlsplit

from farm import Host, Reply, Request

__all__ = ["CSL_JSON", "DoiResolver", "Registered"]

CSL_JSON = "application/vnd.citationstyles.csl+json"


@dataclass(frozen=True)
class Registered:
    """A registered DOI: where it resolves, and the metadata its agency gives.

    ``title`` ``None`` with ``negotiable`` means metadata without a title; ``negotiable``
    ``False`` is an agency without content negotiation (doi.org then redirects to the landing
    page). ``metadata`` adds CSL-JSON fields (``subtitle``, ``author``, ...).
    """

    target: str
    title: str | None = None
    negotiable: bool = True
    metadata: Mapping[str, Any] = field(default_factory=dict)


class DoiResolver:
    """``doi.org`` and ``api.crossref.org`` on loopback, for the DOIs in ``dois``."""

    def __init__(self, dois: Mapping[str, Registered]) -> None:
        self._dois = {doi.lower(): (doi, entry) for doi, entry in dois.items()}
        self.resolver = Host("doi.org", fallback=self._resolve)
        self.agency = Host("api.crossref.org", fallback=self._metadata)

    def __enter__(self) -> Self:
        self.agency.start()
        self.resolver.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.resolver.stop()
        self.agency.stop()

    @property
    def url(self) -> str:
        """The resolver's base URL, for ``--doi-resolver``."""
        return self.resolver.base_url

    def add(self, doi: str, entry: Registered) -> None:
        """Register ``doi`` (or change what it says)."""
        self._dois[doi.lower()] = (doi, entry)

    def _lookup(self, path: str) -> tuple[str, tuple[str, Registered] | None]:
        name = unquote(urlsplit(path).path.lstrip("/"))
        return name, self._dois.get(name.lower())

    def _resolve(self, request: Request) -> Reply:
        if request.path.startswith("/api/handles/"):
            return self._handle(request.path.removeprefix("/api/handles"))
        name, found = self._lookup(request.path)
        if found is None:
            return Reply.html(
                f"<h1>DOI Not Found</h1><p>{name}</p>", status=404, title="Error: DOI Not Found"
            )
        doi, entry = found
        if CSL_JSON in request.headers.get("accept", "") and entry.negotiable:
            return Reply.redirect(
                self.agency.url(f"/v1/works/{quote(doi, safe='/')}/transform"), 302
            )
        return Reply.redirect(entry.target, 302)

    def _handle(self, path: str) -> Reply:
        name, found = self._lookup(path)
        if found is None:
            body = {"responseCode": 100, "handle": name}
            return Reply(404, body=json.dumps(body).encode(), content_type="application/json")
        doi, entry = found
        value = {"format": "string", "value": entry.target}
        body = {
            "responseCode": 1,
            "handle": doi,
            "values": [
                {"index": 1, "type": "URL", "data": value, "ttl": 86400},
                {"index": 100, "type": "HS_ADMIN", "data": {"format": "admin", "value": {}}},
            ],
        }
        return Reply(200, body=json.dumps(body).encode(), content_type="application/json")

    def _metadata(self, request: Request) -> Reply:
        path = urlsplit(request.path).path
        if not path.startswith("/v1/works/") or not path.endswith("/transform"):
            return Reply.not_found()
        _, found = self._lookup(path.removeprefix("/v1/works").removesuffix("/transform"))
        if found is None:
            return Reply(404, body=b"Resource not found.", content_type="text/plain")
        doi, entry = found
        item: dict[str, Any] = {
            "type": "article-journal",
            "DOI": doi,
            "URL": f"https://doi.org/{doi}",
        }
        if entry.title is not None:
            item["title"] = entry.title
        item.update(entry.metadata)
        return Reply(200, body=json.dumps(item).encode(), content_type=CSL_JSON)
