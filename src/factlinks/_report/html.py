"""``report.html``: one self-contained page that people read, sort and filter, at any size.

Rendered from a :class:`~factlinks.Report` (a saved ``report.json`` is read back with
:func:`~factlinks.load_report`); the groups, counts and actions are the report's, and the
labels and symbols are the statuses'. The page loads nothing: its style and script are inline and
a Content-Security-Policy allows exactly those two (by hash) and nothing else, so it opens
offline from a CI artifact.

The sources are in the page once, as compact JSON in a ``<script type="application/json">``
data block (never executed; ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\\uXXXX``
escapes, so no text from the web can end the block or open a comment); the page's script
renders one page of rows at a time, and filters, searches and sorts over all of them. So a
report of 100,000 sources opens in a browser in about a second instead of building a table
of 100,000 rows. The script puts every text in the page as text (``textContent``), never as
markup, and only ``http``/``https`` URLs become links (decided here, by :func:`safe_href`,
and checked again by the script).

The page is written in pieces (:func:`iter_html`, :func:`write_html`): one source's data at a
time, so writing it needs the memory of one source, not of the whole page.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import IO, Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from .._models import Hop, Report, SourceResult, Status
from .guard import NOT_RENDERED, per_source

__all__ = ["MAX_LISTED_CHANGES", "iter_html", "render_html", "safe_href", "write_html"]

_TEMPLATE = "report.html.j2"

MAX_LISTED_CHANGES = 200
""""Since the last run" links this many new problems (and recovered sources), then says how
many more; the table's filters still find every one."""

_MANUAL = frozenset({Status.BLOCKED, Status.UNREACHABLE, Status.UNVERIFIABLE})
_GROUPS = ("failing", "warning", "healthy")
_VERIFIED = {True: "shows the title", False: "does not show the title"}
_NO_DOCUMENT = "(no document)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HTTP = re.compile(r"https?://", re.IGNORECASE)
_JSON_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


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


def script_json(value: object) -> str:
    """``value`` as compact JSON that is safe inside an HTML ``<script>`` data block.

    Nothing in it can close the element (``</script>``), open a comment (``<!--``) or be
    read as a line terminator by an older script engine (U+2028, U+2029): those characters
    only occur inside JSON strings, where their ``\\uXXXX`` escapes mean the same.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for character, escape in _JSON_ESCAPES:  # str.replace: far faster than str.translate
        if character in text:
            text = text.replace(character, escape)
    return text


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


def _anchor(source_id: str) -> str:
    return "source-" + re.sub(r"[^A-Za-z0-9._-]", "_", source_id)


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _size(count: int) -> str:
    if count < 1000:
        return _plural(count, "byte")
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def _number(value: float) -> str:
    """``96.0`` as ``96``, ``87.25`` as ``87.2``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _put(row: dict[str, Any], key: str, value: object) -> None:
    """Set ``row[key]`` unless ``value`` is empty: the page reads a missing key as empty."""
    if value not in (None, "", False, [], {}):
        row[key] = value


def _link(row: dict[str, Any], key: str, url: str | None) -> None:
    """``url`` under ``key``, and under ``key + "h"`` its link when that is not ``url``
    itself: ``0`` for a URL that is no http(s) link."""
    if not url:
        return
    row[key] = url
    href = safe_href(url)
    if href != url:
        row[key + "h"] = href or 0


@dataclass(frozen=True, slots=True)
class _Context:
    """What places a row in the page's filters: indexes into the lists the page holds once."""

    fail_on: frozenset[Status]
    hosts: Mapping[str, int]
    documents: Mapping[str, int]
    new: frozenset[str]
    recovered: frozenset[str]


def _identity(result: SourceResult, context: _Context) -> dict[str, Any]:
    """Who the source is and where it goes in the filters: kept by the bare row of a source
    whose details could not be rendered, so nothing here may depend on web text."""
    source = result.source
    row: dict[str, Any] = {"i": source.id, "s": result.status.value}
    _link(row, "u", source.url)
    row["o"] = context.hosts.get(_host(source.url), 0)
    row["d"] = [context.documents.get(d, 0) for d in source.cited_in or (_NO_DOCUMENT,)]
    _put(row, "k", source.kind.value if source.kind.value != "any" else None)
    _put(row, "c", _when(result.checked_at))
    _put(row, "n", 1 if source.id in context.new else None)
    _put(row, "r", 1 if source.id in context.recovered else None)
    return row


def _row(result: SourceResult, context: _Context) -> dict[str, Any]:
    source = result.source
    row = _identity(result, context)
    _put(row, "ci", source.citation)
    _put(row, "rf", source.reference)
    _put(row, "ac", source.accessed.isoformat() if source.accessed else None)
    _put(row, "au", " ".join(source.authors))  # searched, not shown (the reference is)
    _put(row, "doi", source.doi)
    _put(row, "re", result.reason)
    _link(row, "nu", result.new_url)
    _put(row, "a", _action(result))
    _evidence(row, result)
    _put(row, "t", _title(result))
    _put(row, "hi", _history(result))
    _put(row, "ru", _day(result.reused.due) if result.reused is not None else None)  # not due
    return row


def _bare_row(result: SourceResult, context: _Context) -> dict[str, Any]:
    """A source whose details could not be rendered: its id, URL, status and a note."""
    return {**_identity(result, context), "re": NOT_RENDERED}


def _action(result: SourceResult) -> dict[str, Any] | None:
    """What the editor should do, when it takes a link: update, archive, or check manually.

    Without one (``None``) the page shows the status's action text."""
    status, archive = result.status, result.archive
    if result.new_url and status.is_problem:
        return {"k": "update"}  # to the row's new URL
    if archive is not None and archive.url and status.is_problem:
        action: dict[str, Any] = {"k": "archive"}
        _link(action, "u", archive.url)
        _put(action, "dt", _archive_date(archive.timestamp))
        action["v"] = "not verified" if archive.verified is None else _VERIFIED[archive.verified]
        _put(action, "tr", archive.verified is not False)
        _put(action, "de", archive.detail)
        return action
    if status in _MANUAL:
        return {"k": "manual"}  # the row's URL
    return None


def _history(result: SourceResult) -> dict[str, Any] | None:
    """The runs the report knows about (the last runs and this one) and what they say."""
    history, status = result.history, result.status
    if history is None:
        return None
    previous = history.previous_status
    recent = list(history.recent) or ([previous] if previous is not None else [])
    marks: dict[str, Any] = {"m": [s.value for s in (*recent, status)]}
    if previous is None:
        marks["fs"] = 1
    elif previous is not status:
        marks["pv"] = previous.value
    _put(marks, "f", max(history.consecutive_failures, 0))
    _put(marks, "ff", _day(history.first_failure))
    _put(marks, "ls", _day(history.last_success))
    _put(marks, "ch", 1 if history.changed else None)
    _put(marks, "nm", _day(history.not_modified))
    return marks


def _title(result: SourceResult) -> dict[str, Any] | None:
    """The title check; a title that was expected but not checked shows as not found."""
    evidence, expected = result.title, result.source.title
    if evidence is None and expected is None:
        return None
    title: dict[str, Any] = {"m": 1 if evidence and evidence.matched else 0}
    _put(title, "x", expected)
    if evidence is not None:
        _put(title, "f", evidence.found)
        _put(title, "sc", None if evidence.score is None else _number(evidence.score))
        _put(title, "w", evidence.where)
        _put(title, "sn", evidence.snippet)
    return title


def _evidence(row: dict[str, Any], result: SourceResult) -> None:
    """What the answer, the document and the probe say, as the page shows it."""
    fetch = result.fetch
    if fetch is not None:
        _put(row, "hs", fetch.status_code)
        if fetch.final_url != result.url:
            _link(row, "fu", fetch.final_url)
        _put(row, "rd", [_hop(hop) for hop in fetch.redirects])
        if fetch.failure is not None:
            row["er"] = [fetch.failure.kind.value, fetch.failure.detail]
        _put(row, "an", _answer(result))
    _put(row, "dc", _document(result))
    _put(row, "pb", _probe(result))


def _hop(hop: Hop) -> dict[str, Any]:
    entry: dict[str, Any] = {"s": str(hop.status_code)}
    _link(entry, "u", hop.url)
    _link(entry, "l", hop.location)
    return entry


def _document(result: SourceResult) -> str | None:
    """``pdf, 12 pages; no text layer``: what the document is, in one line."""
    inspection = result.inspection
    if inspection is None:
        return None
    parts = [inspection.format.value]
    if inspection.pages:
        parts.append(", " + _plural(inspection.pages, "page"))
    if inspection.display_title and _title(result) is None:
        parts.append(f", titled “{inspection.display_title}”")
    if inspection.problem:
        parts.append("; " + inspection.problem.detail)
    return "".join(parts)


def _probe(result: SourceResult) -> str | None:
    """``soft-404 (HTTP 200, 96% similar)``: what the soft-404 probe saw."""
    probe = result.probe
    if probe is None:
        return None
    if probe.status_code is None:
        return probe.verdict.value
    similar = f", {_number(probe.similarity)}% similar" if probe.similarity is not None else ""
    return f"{probe.verdict.value} (HTTP {probe.status_code}{similar})"


def _answer(result: SourceResult) -> str:
    """``HTTP 200 · text/html · 1.2 kB · 40 ms``: the answer in one line."""
    fetch = result.fetch
    assert fetch is not None
    answer = []
    if fetch.status_code is not None:
        answer.append(f"HTTP {fetch.status_code}")
    if fetch.content_type:
        answer.append(fetch.content_type)
    if fetch.bytes is not None:
        answer.append(_size(fetch.bytes) + (" (cut off)" if fetch.truncated else ""))
    if fetch.elapsed_ms is not None:
        answer.append(_duration(fetch.elapsed_ms))
    if fetch.attempts and fetch.attempts > 1:
        answer.append(f"{fetch.attempts} attempts")
    return " · ".join(answer)


def _csp_hash(text: str) -> markupsafe.Markup:
    """The Content-Security-Policy source expression that allows exactly ``text`` inline."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return markupsafe.Markup(f"'sha256-{digest}'")  # base64 and quotes: nothing to escape


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
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["csp_hash"] = _csp_hash
    environment.filters["plural"] = _plural
    environment.globals["known"] = frozenset(s.value for s in Status)
    return environment.from_string(text)


def _data(report: Report, context: _Context, hosts: list[str]) -> Iterator[markupsafe.Markup]:
    """The page's data block, one source at a time, problems first (the page's "Status" order).

    ``{"statuses": {value: [label, symbol, action, group]}, "hosts": [...], "documents":
    [...], "rows": [...]}``; a row's keys are read by the page's script (``report.html.j2``).
    """
    fail_on = context.fail_on
    statuses = {
        s.value: [s.label, s.symbol, s.action, _group(s, fail_on)]
        for s in sorted(Status, key=lambda s: _rank(s, fail_on))
    }
    head = {"statuses": statuses, "hosts": hosts, "documents": list(context.documents)}
    yield markupsafe.Markup(script_json(head)[:-1] + ',"rows":[')
    results = report.results
    ranks = {s: n for n, s in enumerate(sorted(Status, key=lambda s: _rank(s, fail_on)))}
    briefs = report.briefs()
    order = sorted(range(len(briefs)), key=lambda i: ranks[briefs[i].status])  # stable
    render = functools.partial(_row, context=context)
    bare = functools.partial(_bare_row, context=context)
    for n, index in enumerate(order):
        row = per_source("html", results[index], render, bare)
        yield markupsafe.Markup(("," if n else "") + script_json(row) + "\n")
    yield markupsafe.Markup("]}")


def _changes(results: Sequence[SourceResult]) -> dict[str, Any]:
    shown = list({r.id: r for r in results}.values())
    return {
        "items": [
            {"id": r.id, "anchor": _anchor(r.id), "label": r.status.label}
            for r in shown[:MAX_LISTED_CHANGES]
        ],
        "count": len(shown),
        "more": max(len(shown) - MAX_LISTED_CHANGES, 0),
    }


def iter_html(report: Report) -> Iterator[str]:
    """``report.html`` in pieces: the page around the data, and the data a source at a time.

    Example::

        with open("report.html", "w", encoding="utf-8") as out:
            out.writelines(iter_html(factlinks.load_report("factlinks-report/report.json")))
    """
    fail_on = report.fail_on
    counts = report.counts
    statuses = sorted(Status, key=lambda s: _rank(s, fail_on))
    hosts = sorted({_host(r.url) for r in report.results})
    by_document = {
        name: {status.value: n for status, n in document.items() if n}
        for name, document in report.by_document().items()
    }
    context = _Context(
        fail_on=frozenset(fail_on),
        hosts={host: i for i, host in enumerate(hosts)},
        documents={name: i for i, name in enumerate(by_document)},
        new=frozenset(r.id for r in report.new_problems),
        recovered=frozenset(r.id for r in report.recovered),
    )
    doc_statuses = [s.value for s in statuses if any(c.get(s) for c in by_document.values())]
    yield from _template().generate(
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
                "index": context.documents[name],
                "counts": document,
                "failing": sum(n for s, n in document.items() if s in fail_on),
                "problems": sum(n for s, n in document.items() if Status(s).is_problem),
                "total": sum(document.values()),
            }
            for name, document in by_document.items()
        ],
        doc_statuses=doc_statuses,
        new_problems=_changes(report.new_problems),
        recovered=_changes(report.recovered),
        with_history=any(r.history is not None for r in report.results),
        data=_data(report, context, hosts),
    )


def write_html(report: Report, out: IO[bytes]) -> None:
    """Write ``report.html`` to the binary stream ``out``, a source at a time."""
    for piece in iter_html(report):
        out.write(piece.encode("utf-8", "replace"))


def render_html(report: Report) -> str:
    """``report.html`` as text.

    Example::

        html = render_html(factlinks.load_report("factlinks-report/report.json"))
    """
    return "".join(iter_html(report))
