"""``report.json``: the machine-readable report, schema ``factlinks.report/1``.

The schema is ``factlinks/report.schema.json`` in the package and is documented in
``docs/report-schema.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from .._models import (
    DoiCheck,
    FailureKind,
    FetchResult,
    Hop,
    Report,
    ReusedVerdict,
    Shard,
    Source,
    SourceResult,
    Status,
)
from .guard import NOT_RENDERED, per_source

__all__ = ["SCHEMA_TAG", "iter_json", "render_json", "report_to_dict", "write_json"]

SCHEMA_TAG = "factlinks.report/1"


def _hops(hops: tuple[Hop, ...]) -> list[dict[str, Any]]:
    return [{"url": h.url, "status": h.status_code, "location": h.location} for h in hops]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _result(result: SourceResult) -> dict[str, Any]:
    source = result.source
    fetch: FetchResult | None = result.fetch
    inspection = result.inspection
    title = result.title
    return {
        "id": source.id,
        "url": source.url,
        "status": result.status.value,
        "reason": result.reason,
        "action": result.status.action,
        "http_status": fetch.status_code if fetch else None,
        "final_url": fetch.final_url if fetch else None,
        "redirects": _hops(fetch.redirects) if fetch else [],
        "new_url": result.new_url,
        "title": None
        if title is None and source.title is None
        else {
            "expected": source.title,
            "matched": title.matched if title else False,
            "found": title.found if title else None,
            "score": title.score if title else None,
            "where": title.where if title else None,
            "snippet": title.snippet if title else None,
        },
        "document": None
        if inspection is None
        else {
            "format": inspection.format.value,
            "title": inspection.display_title,
            "pages": inspection.pages,
            "problem": inspection.problem.detail if inspection.problem else None,
        },
        "probe": None
        if result.probe is None
        else {
            "url": result.probe.url,
            "http_status": result.probe.status_code,
            "final_url": result.probe.final_url,
            "similarity": result.probe.similarity,
            "verdict": result.probe.verdict.value,
        },
        "content_type": fetch.content_type if fetch else None,
        "bytes": fetch.bytes if fetch else None,
        "truncated": fetch.truncated if fetch else False,
        "elapsed_ms": fetch.elapsed_ms if fetch else None,
        "attempts": fetch.attempts if fetch else 0,
        "error": None
        if result.failure is None
        else {"kind": result.failure.kind.value, "message": result.failure.detail},
        "archive": None
        if result.archive is None
        else {
            "url": result.archive.url,
            "timestamp": result.archive.timestamp,
            "verified": result.archive.verified,
            "detail": result.archive.detail,
        },
        "doi_check": _doi_check(result.doi_check),
        "history": None
        if result.history is None
        else {
            "previous_status": result.history.previous_status.value
            if result.history.previous_status
            else None,
            "first_failure": _iso(result.history.first_failure),
            "consecutive_failures": result.history.consecutive_failures,
            "last_success": _iso(result.history.last_success),
            "changed": result.history.changed,
            "not_modified_since": _iso(result.history.not_modified),
            "recent": [status.value for status in result.history.recent],
        },
        "kind": source.kind.value,
        "citation": source.citation,
        "cited_in": list(source.cited_in),
        "accessed": _iso(source.accessed),
        **_naming(source),
        **_place(source),
        "checked_at": _iso(result.checked_at),
        "reused": _reused(result.reused),
    }


def _reused(reused: ReusedVerdict | None) -> dict[str, Any] | None:
    """Set when the source was not due: ``checked_at`` is when its verdict was made."""
    if reused is None:
        return None
    return {
        "due": _iso(reused.due),
        "http_status": reused.http_status,
        "final_url": reused.final_url,
    }


def _doi_check(check: DoiCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    title = check.title
    return {
        "doi": check.doi,
        "resolver": check.resolver,
        "registered": check.registered,
        "target": check.target,
        "expected_title": check.expected_title,
        "metadata_title": check.metadata_title,
        "title": None
        if title is None
        else {
            "matched": title.matched,
            "score": title.score,
            "where": title.where,
            "snippet": title.snippet,
            "found": title.found,
        },
        "verified": check.verified,
        "detail": check.detail,
    }


def _naming(source: Source) -> dict[str, Any]:
    """What names the cited work as a reference manager does; ``reference`` is derived."""
    return {
        "doi": source.doi,
        "authors": list(source.authors),
        "year": source.year,
        "proposed_title": source.proposed_title,
        "reference": source.reference,
    }


def _place(source: Source) -> dict[str, Any]:
    """Where the source starts in the registry file (``null``: not known), so that a report
    read back (``factlinks report``, ``merge``) still points at it."""
    return {"line": source.line, "column": source.column}


def _bare(result: SourceResult) -> dict[str, Any]:
    """A source whose details could not be rendered: who it is, its status, and why not."""
    source = result.source
    return {
        "id": source.id,
        "url": source.url,
        "status": result.status.value,
        "reason": NOT_RENDERED,
        "action": result.status.action,
        "http_status": None,
        "final_url": None,
        "redirects": [],
        "new_url": None,
        "title": None,
        "document": None,
        "probe": None,
        "content_type": None,
        "bytes": None,
        "truncated": False,
        "elapsed_ms": None,
        "attempts": 0,
        "error": {"kind": FailureKind.INTERNAL.value, "message": NOT_RENDERED},
        "archive": None,
        "history": None,
        "kind": source.kind.value,
        "citation": None,
        "cited_in": [],
        "accessed": None,
        "doi": None,
        "authors": [],
        "year": None,
        "proposed_title": None,
        "reference": None,
        **_place(source),
        "checked_at": _iso(result.checked_at),
        "reused": None,
    }


def _shard(shard: Shard) -> dict[str, Any]:
    """Which shard a report is of; written only for a shard's report."""
    return {
        "index": shard.index,
        "count": shard.count,
        "registry_sources": shard.registry_sources,
        "registry_digest": shard.registry_digest,
        "positions": list(shard.positions),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    return {**_head(report), "sources": [_source(r) for r in report.results]}


def _source(result: SourceResult) -> dict[str, Any]:
    return per_source("json", result, _result, _bare)


def _head(report: Report) -> dict[str, Any]:
    """Everything of :func:`report_to_dict` but the sources (which come last)."""
    counts = report.counts
    return {
        "schema": SCHEMA_TAG,
        "tool": {"name": "factlinks", "version": report.tool_version},
        "registry": report.registry,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "fail_on": sorted(s.value for s in report.fail_on),
        "passed": report.passed,
        "notes": list(report.notes),
        **({} if report.shard is None else {"shard": _shard(report.shard)}),
        "summary": {
            "total": len(report.results),
            "failing": len(report.failures),
            "by_status": {status.value: counts[status] for status in Status},
            "new_problems": [r.id for r in report.new_problems],
            "recovered": [r.id for r in report.recovered],
        },
        "documents": {
            name: {status.value: n for status, n in document.items() if n}
            for name, document in report.by_document().items()
        },
    }


def iter_json(report: Report) -> Iterator[str]:
    """``report.json`` in pieces, one source at a time: the text of :func:`render_json`.

    Only one source's data is held at a time, so a report of a million sources is written
    in the memory of one. The pieces joined are exactly ``json.dumps(report_to_dict(report),
    ensure_ascii=False, indent=2) + "\\n"``: the head is dumped with an empty ``sources``
    list that is then opened, and each source is dumped on its own and indented to its
    level (JSON text holds no newline but those of its layout).
    """
    head = json.dumps({**_head(report), "sources": []}, ensure_ascii=False, indent=2)
    if not report.results:
        yield head + "\n"
        return
    opening, closing = head.rsplit("[]", 1)
    yield opening + "["
    separator = "\n    "
    for result in report.results:
        text = json.dumps(_source(result), ensure_ascii=False, indent=2)
        yield separator + text.replace("\n", "\n    ")
        separator = ",\n    "
    yield "\n  ]" + closing + "\n"


def write_json(report: Report, out: IO[bytes]) -> None:
    """Write ``report.json`` to the binary stream ``out``, one source at a time."""
    for piece in iter_json(report):
        out.write(piece.encode("utf-8", "replace"))


def render_json(report: Report) -> str:
    """``report.json`` as text."""
    return "".join(iter_json(report))
