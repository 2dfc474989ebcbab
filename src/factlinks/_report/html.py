"""``report.html``: one self-contained page that people read, sort and filter.

Rendered from a :class:`~factlinks.Report` (a saved ``report.json`` is read back with
:func:`~factlinks.load_report`); the groups, counts and actions are the report's, and the
labels and symbols are the statuses'. The page loads nothing: its style and script are inline and
a Content-Security-Policy allows exactly those two (by hash) and nothing else, so it opens
offline from a CI artifact. Every text that came from the web or the registry is escaped by
the template engine, and only ``http``/``https`` URLs become links.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Collection, Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from .._models import Report, SourceResult, Status
from .guard import NOT_RENDERED, per_source

__all__ = ["render_html", "safe_href"]

_TEMPLATE = "report.html.j2"


_MANUAL = frozenset({Status.BLOCKED, Status.UNREACHABLE, Status.UNVERIFIABLE})
_GROUPS = ("failing", "warning", "healthy")
_VERIFIED = {True: "shows the title", False: "does not show the title"}
_NO_DOCUMENT = "(no document)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HTTP = re.compile(r"https?://", re.IGNORECASE)


def safe_href(url: object) -> str | None:
    """``url`` if a browser can only read it as an http(s) link, else None.

    The check is on the exact string that goes into ``href``: it must start with
    ``http://`` or ``https://`` and hold no control characters (which browsers strip,
    so ``java\\tscript:`` would otherwise slip through).
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not _HTTP.match(url) or _CONTROL.search(url):
        return None
    return url


def _host(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


def _when(moment: dt.datetime | None) -> str | None:
    """A time as ``YYYY-MM-DD HH:MM UTC`` (``YYYY-MM-DD HH:MM`` when it has no zone)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M}"


def _day(moment: dt.datetime | None) -> str | None:
    """A time as ``YYYY-MM-DD`` (UTC)."""
    text = _when(moment)
    return text[:10] if text else None


def _archive_date(timestamp: str) -> str:
    """A Wayback timestamp ``YYYYMMDDhhmmss`` as ``YYYY-MM-DD``; anything else as it is."""
    if re.fullmatch(r"\d{8}\d*", timestamp):
        return f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
    return timestamp


def _group(status: Status, fail_on: Collection[Status]) -> str:
    if status in fail_on:
        return "failing"
    return "warning" if status.is_problem else "healthy"


def _rank(status: Status, fail_on: Collection[Status]) -> tuple[int, int]:
    """Where ``status`` goes: failing, then warnings, then healthy; the worst first in each."""
    return _GROUPS.index(_group(status, fail_on)), status.order


def _action(result: SourceResult) -> dict[str, Any]:
    """What the editor should do, with the link that does it."""
    status, text, archive = result.status, result.status.action, result.archive
    if result.new_url and status.is_problem:
        return {
            "kind": "update",
            "text": text,
            "label": "Update the URL to",
            "url": result.new_url,
            "href": safe_href(result.new_url),
        }
    if archive is not None and archive.url and status.is_problem:
        return {
            "kind": "archive",
            "text": text,
            "label": "Use the archive copy",
            "url": archive.url,
            "href": safe_href(archive.url),
            "date": _archive_date(archive.timestamp),
            "verified": "not verified" if archive.verified is None else _VERIFIED[archive.verified],
            "trusted": archive.verified is not False,
            "detail": archive.detail,
        }
    if status in _MANUAL:
        return {
            "kind": "manual",
            "text": text,
            "label": "Check manually",
            "url": result.url,
            "href": safe_href(result.url),
        }
    return {"kind": "fix" if status.is_problem else "none", "text": text}


def _history(result: SourceResult) -> dict[str, Any] | None:
    """The marks for the runs the report knows about: the last runs and this one."""
    history, status = result.history, result.status
    if history is None:
        return None
    previous = history.previous_status
    recent = list(history.recent) or ([previous] if previous is not None else [])
    marks = [
        {
            "status": earlier.value,
            "info": earlier,
            "run": "previous run" if ago == 1 else f"{ago} runs ago",
        }
        for ago, earlier in zip(range(len(recent), 0, -1), recent, strict=True)
    ]
    marks.append({"status": status.value, "info": status, "run": "this run"})
    return {
        "marks": marks,
        "first_seen": previous is None,
        "failures": max(history.consecutive_failures, 0),
        "first_failure": _day(history.first_failure),
        "last_success": _day(history.last_success),
        "changed": history.changed,
        "not_modified_since": _day(history.not_modified),
        "status_changed": previous is not None and previous is not status,
        "previous": previous.value if previous is not None else None,
    }


def _title(result: SourceResult) -> dict[str, Any] | None:
    """The title check; a title that was expected but not checked shows as not found."""
    evidence, expected = result.title, result.source.title
    if evidence is None and expected is None:
        return None
    return {
        "expected": expected,
        "matched": evidence.matched if evidence else False,
        "found": evidence.found if evidence else None,
        "score": evidence.score if evidence else None,
        "where": evidence.where if evidence else None,
        "snippet": evidence.snippet if evidence else None,
    }


def _evidence(result: SourceResult) -> dict[str, Any]:
    """What the answer, the document and the probe say."""
    fetch, inspection, probe = result.fetch, result.inspection, result.probe
    failure = fetch.failure if fetch else None
    final_url = fetch.final_url if fetch else None
    return {
        "http_status": fetch.status_code if fetch else None,
        "final_url": final_url if final_url and final_url != result.url else "",
        "final_href": safe_href(final_url),
        "redirects": [
            {"url": hop.url, "status": str(hop.status_code), "location": hop.location}
            for hop in (fetch.redirects if fetch else ())
        ],
        "document": None
        if inspection is None
        else {
            "format": inspection.format.value,
            "title": inspection.display_title,
            "pages": inspection.pages,
            "problem": inspection.problem.detail if inspection.problem else None,
        },
        "probe": None
        if probe is None
        else {
            "http_status": probe.status_code,
            "similarity": probe.similarity,
            "verdict": probe.verdict.value,
        },
        "error": None
        if failure is None
        else {"kind": failure.kind.value, "message": failure.detail},
        "content_type": (fetch.content_type if fetch else None) or "",
        "bytes": fetch.bytes if fetch else None,
        "elapsed_ms": fetch.elapsed_ms if fetch else None,
        "attempts": fetch.attempts if fetch else 0,
        "truncated": fetch.truncated if fetch else False,
    }


def _row(
    index: int,
    result: SourceResult,
    report: Report,
    hosts: Mapping[str, int],
    documents: Mapping[str, int],
    marked: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    source, status = result.source, result.status
    cited_in = list(source.cited_in) or [_NO_DOCUMENT]
    title = _title(result)
    return {
        **_identity(index, result, report, hosts, documents, marked),
        "citation": source.citation or "",
        "reference": source.reference or "",
        "accessed": source.accessed.isoformat() if source.accessed else None,
        "reason": result.reason,
        "action": _action(result),
        **_evidence(result),
        "title": title,
        "history": _history(result),
        "search": " ".join(
            part.lower()  # as the page's script lowers what is typed
            for part in (
                source.id,
                source.url,
                source.citation,
                source.reference,  # an editor looks a work up by author, year or title
                " ".join(source.authors),  # given names too, which the reference leaves out
                source.doi,
                result.reason,
                source.title if title else None,
                title["found"] if title else None,
                result.new_url,
                " ".join(cited_in),
                status.value,
            )
            if part
        ),
    }


def _bare_row(
    index: int,
    result: SourceResult,
    report: Report,
    hosts: Mapping[str, int],
    documents: Mapping[str, int],
    marked: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    """A source whose details could not be rendered: its id, URL, status and a note."""
    source, status = result.source, result.status
    return {
        **_identity(index, result, report, hosts, documents, marked),
        "citation": "",
        "reference": "",
        "accessed": None,
        "reason": NOT_RENDERED,
        "action": {"kind": "fix" if status.is_problem else "none", "text": status.action},
        "http_status": None,
        "final_url": "",
        "final_href": None,
        "redirects": [],
        "document": None,
        "probe": None,
        "error": None,
        "content_type": "",
        "bytes": None,
        "elapsed_ms": None,
        "attempts": 0,
        "truncated": False,
        "title": None,
        "history": None,
        "search": f"{source.id} {source.url} {status.value}".lower(),
    }


def _identity(
    index: int,
    result: SourceResult,
    report: Report,
    hosts: Mapping[str, int],
    documents: Mapping[str, int],
    marked: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    """What places a row in the table and its filters: kept by the bare row of a source
    whose details could not be rendered, so nothing here may depend on web text."""
    source, status = result.source, result.status
    cited_in = list(source.cited_in) or [_NO_DOCUMENT]
    host = _host(source.url)
    return {
        "index": index,
        "id": source.id,
        "anchor": "source-" + re.sub(r"[^A-Za-z0-9._-]", "_", source.id),
        "status": status.value,
        "info": status,
        "group": _group(status, report.fail_on),
        "rank": _rank(status, report.fail_on),
        "url": source.url,
        "href": safe_href(source.url),
        "host": host,
        "host_index": hosts.get(host, 0),
        "doc_indexes": " ".join(str(documents.get(d, 0)) for d in cited_in),
        "cited_in": cited_in,
        "kind": source.kind.value,
        "checked_at": _when(result.checked_at),
        "new": source.id in marked["new"],
        "recovered": source.id in marked["recovered"],
    }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _csp_hash(text: str) -> markupsafe.Markup:
    """The Content-Security-Policy source expression that allows exactly ``text`` inline."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return markupsafe.Markup(f"'sha256-{digest}'")  # base64 and quotes: nothing to escape


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _size(count: object) -> str:
    if not isinstance(count, int):
        return _text(count)
    if count < 1000:
        return _plural(count, "byte")
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def _number(value: object) -> str:
    """``96.0`` as ``96``, ``87.25`` as ``87.2``; anything else as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.1f}"
    return _text(value)


def _duration(ms: object) -> str:
    if not isinstance(ms, int | float):
        return _text(ms)
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


@functools.cache
def _template() -> jinja2.Template:
    """The page template, shipped as package data next to this module."""
    text = (
        resources.files("factlinks._report")
        .joinpath("templates", _TEMPLATE)
        .read_text(encoding="utf-8")
    )
    environment = jinja2.Environment(
        autoescape=True,
        extensions=["jinja2.ext.do"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["csp_hash"] = _csp_hash
    environment.filters["plural"] = _plural
    environment.filters["safe_href"] = safe_href
    environment.filters["size"] = _size
    environment.filters["duration"] = _duration
    environment.filters["number"] = _number
    environment.globals["known"] = frozenset(s.value for s in Status)
    return environment.from_string(text)


def render_html(report: Report) -> str:
    """``report.html`` as text.

    Example::

        html = render_html(factlinks.load_report("factlinks-report/report.json"))
    """
    fail_on = report.fail_on
    counts = report.counts
    statuses = sorted(Status, key=lambda s: _rank(s, fail_on))
    hosts = sorted({_host(r.url) for r in report.results})
    by_document = {
        name: {status.value: n for status, n in document.items() if n}
        for name, document in report.by_document().items()
    }
    host_index = {host: i for i, host in enumerate(hosts)}
    document_index = {name: i for i, name in enumerate(by_document)}
    new_ids = list(dict.fromkeys(r.id for r in report.new_problems))
    recovered_ids = list(dict.fromkeys(r.id for r in report.recovered))
    marked = {"new": frozenset(new_ids), "recovered": frozenset(recovered_ids)}
    rows = [
        per_source(
            "html",
            result,
            functools.partial(
                _row,
                index,
                report=report,
                hosts=host_index,
                documents=document_index,
                marked=marked,
            ),
            functools.partial(
                _bare_row,
                index,
                report=report,
                hosts=host_index,
                documents=document_index,
                marked=marked,
            ),
        )
        for index, result in enumerate(report.results)
    ]
    rows.sort(key=lambda row: (row["rank"], row["index"]))
    for order, row in enumerate(rows):
        row["order"] = order
    by_id = {row["id"]: row for row in rows}
    doc_statuses = [s.value for s in statuses if any(c.get(s) for c in by_document.values())]
    return _template().render(
        version=report.tool_version or "(unknown version)",
        registry=report.registry or "",
        notes=list(report.notes),
        started_at=_when(report.started_at),
        finished_at=_when(report.finished_at),
        elapsed=report.elapsed_s,
        fail_on=[s.value for s in sorted(fail_on, key=lambda s: _rank(s, fail_on))],
        total=len(report.results),
        failing=len(report.failures),
        problems=len(report.problems),
        tiles=[
            {
                "status": status.value,
                "info": status,
                "count": counts[status],
                "group": _group(status, fail_on),
            }
            for status in statuses
        ],
        status_info=Status,
        hosts=hosts,
        documents=list(by_document),
        document_table=[
            {
                "name": name,
                "index": document_index[name],
                "counts": document,
                "failing": sum(n for s, n in document.items() if s in fail_on),
                "problems": sum(n for s, n in document.items() if Status(s).is_problem),
                "total": sum(document.values()),
            }
            for name, document in by_document.items()
        ],
        doc_statuses=doc_statuses,
        new_problems=[by_id[i] for i in new_ids],
        recovered=[by_id[i] for i in recovered_ids],
        rows=rows,
    )
