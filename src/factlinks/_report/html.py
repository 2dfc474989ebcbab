"""``report.html``: one self-contained page that people read, sort and filter.

Rendered from the ``report.json`` data (:func:`~factlinks._report.json.report_to_dict`), so a
saved report can be rendered again. The page loads nothing: its style and script are inline and
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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from .._errors import ReportError
from .json import SCHEMA_TAG

__all__ = ["render_html", "safe_href"]

_TEMPLATE = "report.html.j2"


@dataclass(frozen=True, slots=True)
class _StatusInfo:
    symbol: str
    """A glyph shown beside the label, so colour is never the only signal."""
    label: str
    description: str


_STATUSES: dict[str, _StatusInfo] = {
    "dead": _StatusInfo("\u2715", "Dead", "404, 410 or a soft 404: the document is gone."),
    "drifted": _StatusInfo("\u2260", "Drifted", "Answers, but no longer shows the cited title."),
    "moved": _StatusInfo("\u2192", "Moved", "Permanently redirected; the content is right."),
    "unreachable": _StatusInfo("\u21af", "Unreachable", "No usable answer after the retries."),
    "blocked": _StatusInfo("\u2298", "Blocked", "Refused to the checker, probably alive."),
    "unverifiable": _StatusInfo("?", "Unverifiable", "Answers, but the title cannot be checked."),
    "ok": _StatusInfo("\u2713", "OK", "Answers and shows the cited document."),
    "skipped": _StatusInfo("\u2013", "Skipped", "Excluded by configuration."),
}
_ORDER = tuple(_STATUSES)
_HEALTHY = frozenset({"ok", "skipped"})
_MANUAL = frozenset({"blocked", "unreachable", "unverifiable"})
_FALLBACK_ACTIONS = {
    "ok": "Nothing to do.",
    "moved": "Update the citation to the new URL.",
    "drifted": "Find where the cited document lives now, or cite an archived copy.",
    "dead": "Find the document's new address, or cite an archived copy.",
    "blocked": "Check the link in a browser; the site refuses automated checks.",
    "unreachable": "Check again later; the host did not answer.",
    "unverifiable": "Check by hand that the link still shows the cited document.",
    "skipped": "Nothing to do (excluded by configuration).",
}
_GROUPS = ("failing", "warning", "healthy")
_VERIFIED = {True: "shows the title", False: "does not show the title"}
_NO_DOCUMENT = "(no document)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HTTP = re.compile(r"https?://", re.IGNORECASE)


def _status_info(status: str) -> _StatusInfo:
    """What to show for ``status``; a status from a newer report still gets a label."""
    return _STATUSES.get(status) or _StatusInfo("\u2022", status.capitalize() or "?", "")


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


def _host(url: object) -> str:
    if not isinstance(url, str):
        return ""
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


def _when(value: object) -> str | None:
    """An ISO 8601 timestamp as ``YYYY-MM-DD HH:MM UTC``; other text as it is."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M}"


def _day(value: object) -> str | None:
    """An ISO 8601 date or time as ``YYYY-MM-DD``."""
    text = _when(value)
    return text[:10] if text and re.match(r"\d{4}-\d\d-\d\d", text) else text


def _archive_date(timestamp: object) -> str | None:
    """A Wayback timestamp ``YYYYMMDDhhmmss`` as ``YYYY-MM-DD``."""
    if isinstance(timestamp, str) and re.fullmatch(r"\d{8}\d*", timestamp):
        return f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
    return timestamp if isinstance(timestamp, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: object) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _fields(value: object, *names: str) -> dict[str, Any] | None:
    """``value``'s ``names`` (None where missing), or None when it is not an object."""
    if not isinstance(value, Mapping):
        return None
    return {name: value.get(name) for name in names}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _group(status: str, fail_on: frozenset[str]) -> str:
    if status in fail_on:
        return "failing"
    return "healthy" if status in _HEALTHY else "warning"


def _status_key(status: str, fail_on: frozenset[str]) -> tuple[int, int]:
    order = _ORDER.index(status) if status in _STATUSES else len(_ORDER)
    return _GROUPS.index(_group(status, fail_on)), order


def _action(source: Mapping[str, Any], status: str) -> dict[str, Any]:
    """What the editor should do, with the link that does it."""
    text = _text(source.get("action")) or _FALLBACK_ACTIONS.get(status, "")
    new_url = source.get("new_url")
    archive = _mapping(source.get("archive"))
    if new_url and status not in _HEALTHY:
        return {
            "kind": "update",
            "text": text,
            "label": "Update the URL to",
            "url": _text(new_url),
            "href": safe_href(new_url),
        }
    if archive.get("url") and status not in _HEALTHY:
        verified = archive.get("verified")
        return {
            "kind": "archive",
            "text": text,
            "label": "Use the archive copy",
            "url": _text(archive.get("url")),
            "href": safe_href(archive.get("url")),
            "date": _archive_date(archive.get("timestamp")),
            "verified": _VERIFIED[verified] if isinstance(verified, bool) else "not verified",
            "trusted": verified is not False,
            "detail": _text(archive.get("detail")),
        }
    if status in _MANUAL:
        return {
            "kind": "manual",
            "text": text,
            "label": "Check manually",
            "url": _text(source.get("url")),
            "href": safe_href(source.get("url")),
        }
    return {"kind": "none" if status in _HEALTHY else "fix", "text": text}


def _history(source: Mapping[str, Any], status: str) -> dict[str, Any] | None:
    """The marks for the runs the report knows about: the last runs and this one."""
    history = source.get("history")
    if not isinstance(history, Mapping):
        return None
    previous = history.get("previous_status")
    recent = [s for s in _sequence(history.get("recent")) if isinstance(s, str) and s]
    if not recent and isinstance(previous, str) and previous:
        recent = [previous]
    marks = [
        {
            "status": earlier,
            "info": _status_info(earlier),
            "run": "previous run" if ago == 1 else f"{ago} runs ago",
        }
        for ago, earlier in zip(range(len(recent), 0, -1), recent, strict=True)
    ]
    marks.append({"status": status, "info": _status_info(status), "run": "this run"})
    failures = history.get("consecutive_failures")
    return {
        "marks": marks,
        "first_seen": not previous,
        "failures": failures if isinstance(failures, int) and failures > 0 else 0,
        "first_failure": _day(history.get("first_failure")),
        "last_success": _day(history.get("last_success")),
        "changed": bool(history.get("changed")),
        "not_modified_since": _day(history.get("not_modified_since")),
        "status_changed": isinstance(previous, str) and bool(previous) and previous != status,
        "previous": previous if isinstance(previous, str) else None,
    }


def _hops(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    hops = []
    for item in _sequence(source.get("redirects")):
        hop = _mapping(item)
        hops.append(
            {
                "url": _text(hop.get("url")),
                "status": _text(hop.get("status")),
                "location": _text(hop.get("location")),
            }
        )
    return hops


def _row(
    index: int,
    source: Mapping[str, Any],
    fail_on: frozenset[str],
    hosts: Mapping[str, int],
    documents: Mapping[str, int],
    new: frozenset[str],
    recovered: frozenset[str],
) -> dict[str, Any]:
    status = _text(source.get("status")) or "unknown"
    url = _text(source.get("url"))
    host = _host(url)
    cited_in = [_text(d) for d in _sequence(source.get("cited_in"))] or [_NO_DOCUMENT]
    source_id = _text(source.get("id"))
    title = _fields(
        source.get("title"), "expected", "matched", "found", "score", "where", "snippet"
    )
    final_url = source.get("final_url")
    return {
        "index": index,
        "id": source_id,
        "anchor": "source-" + re.sub(r"[^A-Za-z0-9._-]", "_", source_id),
        "status": status,
        "info": _status_info(status),
        "group": _group(status, fail_on),
        "rank": _status_key(status, fail_on),
        "url": url,
        "href": safe_href(url),
        "host": host,
        "host_index": hosts[host],
        "doc_indexes": " ".join(str(documents[d]) for d in cited_in),
        "cited_in": cited_in,
        "citation": _text(source.get("citation")),
        "kind": _text(source.get("kind")),
        "accessed": _day(source.get("accessed")),
        "reason": _text(source.get("reason")),
        "action": _action(source, status),
        "http_status": source.get("http_status"),
        "final_url": _text(final_url) if final_url and final_url != url else "",
        "final_href": safe_href(final_url),
        "redirects": _hops(source),
        "title": title,
        "document": _fields(source.get("document"), "format", "title", "pages", "problem"),
        "probe": _fields(source.get("probe"), "http_status", "similarity", "verdict"),
        "error": _fields(source.get("error"), "kind", "message"),
        "content_type": _text(source.get("content_type")),
        "bytes": source.get("bytes"),
        "elapsed_ms": source.get("elapsed_ms"),
        "attempts": source.get("attempts"),
        "truncated": bool(source.get("truncated")),
        "history": _history(source, status),
        "checked_at": _when(source.get("checked_at")),
        "new": source_id in new,
        "recovered": source_id in recovered,
        "search": " ".join(
            part.lower()  # as the page's script lowers what is typed
            for part in (
                source_id,
                url,
                _text(source.get("citation")),
                _text(source.get("reason")),
                _text(_mapping(title).get("expected")),
                _text(_mapping(title).get("found")),
                _text(source.get("new_url")),
                " ".join(cited_in),
                status,
            )
            if part
        ),
    }


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
    environment.globals["known"] = frozenset(_STATUSES)
    return environment.from_string(text)


def render_html(data: Mapping[str, Any]) -> str:
    """``report.html`` as text, rendered from the ``report.json`` data.

    ``data`` is what :func:`report_to_dict` returns, or a saved ``report.json`` loaded
    with :func:`json.load`.

    Example::

        html = render_html(json.loads(Path("report.json").read_text("utf-8")))

    Raises:
        ReportError: ``data`` is not a ``factlinks.report/1`` report.
    """
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA_TAG:
        found = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise ReportError(f"not a {SCHEMA_TAG} report (schema: {found!r})")
    fail_on = frozenset(_text(s) for s in _sequence(data.get("fail_on")))
    summary = _mapping(data.get("summary"))
    sources = [_mapping(s) for s in _sequence(data.get("sources"))]
    by_status = {
        _text(k): v for k, v in _mapping(summary.get("by_status")).items() if isinstance(v, int)
    }
    unlisted = Counter(_text(s.get("status")) or "unknown" for s in sources)
    for status, count in unlisted.items():  # a status the summary does not list (newer tool)
        by_status.setdefault(status, count)
    statuses = sorted(by_status, key=lambda s: (*_status_key(s, fail_on), s))
    hosts = sorted({_host(s.get("url")) for s in sources})
    document_counts = {
        _text(name): {_text(k): v for k, v in _mapping(counts).items() if isinstance(v, int)}
        for name, counts in _mapping(data.get("documents")).items()
    }
    documents = list(document_counts)
    for source in sources:
        for name in [_text(d) for d in _sequence(source.get("cited_in"))] or [_NO_DOCUMENT]:
            if name not in documents:
                documents.append(name)
    new_ids = list(dict.fromkeys(_text(i) for i in _sequence(summary.get("new_problems"))))
    recovered_ids = list(dict.fromkeys(_text(i) for i in _sequence(summary.get("recovered"))))
    new, recovered = frozenset(new_ids), frozenset(recovered_ids)
    host_index = {host: i for i, host in enumerate(hosts)}
    document_index = {name: i for i, name in enumerate(documents)}
    rows = [
        _row(index, source, fail_on, host_index, document_index, new, recovered)
        for index, source in enumerate(sources)
    ]
    rows.sort(key=lambda row: (row["rank"], row["index"]))
    for order, row in enumerate(rows):
        row["order"] = order
    by_id = {row["id"]: row for row in rows}
    total = summary.get("total") if isinstance(summary.get("total"), int) else len(rows)
    failing = summary.get("failing")
    if not isinstance(failing, int):
        failing = sum(1 for row in rows if row["group"] == "failing")
    problems = sum(1 for row in rows if row["group"] != "healthy")
    started, finished = data.get("started_at"), data.get("finished_at")
    try:
        elapsed: float | None = (
            dt.datetime.fromisoformat(_text(finished)) - dt.datetime.fromisoformat(_text(started))
        ).total_seconds()
    except (TypeError, ValueError):
        elapsed = None
    doc_statuses = [s for s in statuses if any(c.get(s) for c in document_counts.values())]
    return _template().render(
        version=_text(_mapping(data.get("tool")).get("version")) or "(unknown version)",
        registry=_text(data.get("registry")),
        started_at=_when(started),
        finished_at=_when(finished),
        elapsed=elapsed,
        fail_on=sorted(fail_on, key=lambda s: _status_key(s, fail_on)),
        total=total,
        failing=failing,
        problems=problems,
        tiles=[
            {
                "status": status,
                "info": _status_info(status),
                "count": by_status[status],
                "group": _group(status, fail_on),
            }
            for status in statuses
        ],
        status_info=_status_info,
        hosts=hosts,
        documents=documents,
        document_table=[
            {
                "name": name,
                "index": document_index[name],
                "counts": counts,
                "failing": sum(n for s, n in counts.items() if s in fail_on),
                "problems": sum(n for s, n in counts.items() if s not in _HEALTHY),
                "total": sum(counts.values()),
            }
            for name, counts in document_counts.items()
        ],
        doc_statuses=doc_statuses,
        new_problems=[by_id.get(i) or {"id": i, "anchor": None} for i in new_ids],
        recovered=[by_id.get(i) or {"id": i, "anchor": None} for i in recovered_ids],
        rows=rows,
    )
