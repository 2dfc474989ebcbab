"""``report.sarif``: the findings as SARIF 2.1.0, for GitHub code scanning and SARIF viewers.

One result per finding (see :mod:`.findings`: every problem source, the failing ones as
``error``, the others as ``warning``), with

- a rule per status (``factlinks/dead``, ...) in ``tool.driver.rules``, whose descriptions and
  help are the status's own texts (:attr:`Status.description`, :attr:`Status.action`, the
  ones ``report.md`` shows);
- its location: the line (and column) where the source starts in the registry, the path
  relative to the repository (``uriBaseId`` ``%SRCROOT%``), or an absolute ``file:`` URI for a
  registry outside it; no location when the run had no registry file (documents checked
  directly). The documents that cite the source (``cited_in``) are named as logical related
  locations: the report knows their names, not their files or lines, so none is claimed;
- ``partialFingerprints`` that depend only on the rule and the source id, never on the line
  or the run, so an alert stays the same alert when the registry is edited around it.

Within GitHub's upload limits: code scanning rejects more than 25,000 results in a run and
keeps only 5,000 of them, and rejects a file over 10 MB gzip-compressed. The file holds at
most :data:`MAX_SARIF_RESULTS` results and :data:`MAX_SARIF_BYTES` bytes (uncompressed, so
compressed too), the most severe first; what was left out is counted in the run's
``properties`` and said in a tool notification. The file is written a result at a time, so a
spooled report is read back one source at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from .._models import Report, SourceResult, Status
from .._text import MAX_REASON_CHARS, clean_text
from .findings import (
    finding_count,
    finding_statuses,
    findings,
    level_of,
    message_parts,
    repository_path,
)
from .guard import NOT_RENDERED, per_source

__all__ = [
    "MAX_SARIF_BYTES",
    "MAX_SARIF_RESULTS",
    "SARIF_SCHEMA",
    "SARIF_VERSION",
    "SRCROOT",
    "fingerprint",
    "iter_sarif",
    "render_sarif",
    "rule_id",
    "write_sarif",
]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
"""The ``$schema`` GitHub's documentation names for SARIF 2.1.0."""
SRCROOT = "%SRCROOT%"
"""The ``uriBaseId`` of registry paths: the root of the repository (the checkout)."""
MAX_SARIF_RESULTS = 5_000
"""Results in one run at most: GitHub code scanning accepts 25,000 but keeps 5,000."""
MAX_SARIF_BYTES = 10_000_000
"""Bytes of ``report.sarif`` at most (UTF-8, uncompressed): GitHub rejects an upload over
10 MB gzip-compressed; uncompressed within 10 MB is within it compressed, with room left."""
MAX_CITING_DOCUMENTS = 10
"""Citing documents named per result at most (GitHub uses 10 locations of a result)."""
FINGERPRINT = "primaryLocationLineHash"
"""The ``partialFingerprints`` key GitHub code scanning reads (and the only one it reads)."""

_RESULTS = "\x00results\x00"
"""Stands for the results while the rest of the file is laid out (cannot occur in data:
:func:`json.dumps` writes it escaped, and the marker is looked for escaped)."""


def rule_id(status: Status) -> str:
    """``factlinks/dead``: the SARIF rule of a status."""
    return f"factlinks/{status.value}"


def fingerprint(status: Status, source_id: str) -> str:
    """A finding's identity across runs: the rule and the source id, hashed (32 hex digits).

    Independent of the line, the column, the message and the time of the run: an alert
    follows its source when the registry is edited, and a new status is a new alert.
    """
    digest = hashlib.sha256(f"{rule_id(status)}\x00{source_id}".encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


def _rule(status: Status, report: Report) -> dict[str, Any]:
    level = level_of(status, report.fail_on).value
    fails = "fails the run" if status in report.fail_on else "does not fail the run"
    return {
        "id": rule_id(status),
        "name": f"{status.label.replace(' ', '')}Citation",
        "shortDescription": {"text": f"{status.label} citation"},
        "fullDescription": {"text": f"{status.description} The status '{status}' {fails}."},
        "help": {
            "text": status.action,
            "markdown": f"**{status.label}**: {status.description}\n\n"
            f"**What to do:** {status.action}",
        },
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["citations", "link-rot"], "problem.severity": level},
    }


def _message(result: SourceResult) -> str:
    return f"{result.status.label} citation {result.id}: {' '.join(message_parts(result))}"


@dataclass(frozen=True, slots=True)
class _Run:
    """What every result of one SARIF run needs."""

    report: Report
    artifact: dict[str, str] | None
    """The registry's ``artifactLocation``; ``None``: the run had no registry file."""
    rules: dict[Status, int]
    """Each rule's index in ``tool.driver.rules``."""


def _location(result: SourceResult, run: _Run) -> list[dict[str, Any]]:
    """Where the source starts in the registry, as far as it is known."""
    if run.artifact is None:
        return []
    physical: dict[str, Any] = {"artifactLocation": dict(run.artifact)}
    source = result.source
    if source.line is not None:
        region = {"startLine": source.line}
        if source.column is not None:
            region["startColumn"] = source.column
        physical["region"] = region
    return [{"physicalLocation": physical}]


def _citing(result: SourceResult) -> list[dict[str, Any]]:
    """The citing documents, by name: logical locations (their files are not known)."""
    documents = result.source.cited_in[:MAX_CITING_DOCUMENTS]
    return [
        {
            "id": number,
            "logicalLocations": [{"name": clean_text(name, 300), "kind": "document"}],
            "message": {"text": f"cited in {clean_text(name, 300)}"},
        }
        for number, name in enumerate(documents, 1)
    ]


def _identity(result: SourceResult, run: _Run, message: str) -> dict[str, Any]:
    """What a result and its fallback share: rule, level, message, place and fingerprints."""
    status = result.status
    identity = fingerprint(status, result.id)
    return {
        "ruleId": rule_id(status),
        "ruleIndex": run.rules[status],
        "level": level_of(status, run.report.fail_on).value,
        "message": {"text": message},
        "locations": _location(result, run),
        "partialFingerprints": {FINGERPRINT: identity, "factlinksSource/v1": identity},
    }


def _result(result: SourceResult, run: _Run) -> dict[str, Any]:
    status = result.status
    item = _identity(result, run, _message(result))
    citing = _citing(result)
    if citing:
        item["relatedLocations"] = citing
    properties: dict[str, Any] = {"id": result.id, "url": result.url, "status": status.value}
    if result.new_url:
        properties["new_url"] = result.new_url
    if result.archive is not None:
        properties["archive_url"] = result.archive.url
    if result.source.cited_in:
        properties["cited_in"] = list(result.source.cited_in)
    item["properties"] = properties
    return item


def _bare(result: SourceResult, run: _Run) -> dict[str, Any]:
    """A finding whose details could not be rendered: its rule, level, place and a note."""
    status = result.status
    item = _identity(result, run, f"{status.label} citation {result.id}: {NOT_RENDERED}")
    item["properties"] = {"id": result.id, "url": result.url, "status": status.value}
    return item


def _rule_statuses(report: Report) -> list[Status]:
    """The statuses that have a rule: every finding status, worst first."""
    return sorted(finding_statuses(report), key=lambda s: s.order)


def _artifact(report: Report, root: str | os.PathLike[str]) -> dict[str, str] | None:
    """The registry's ``artifactLocation``: relative to ``root`` (``%SRCROOT%``), else an
    absolute ``file:`` URI; ``None`` without a registry file."""
    if report.registry is None:
        return None
    relative = repository_path(report.registry, root)
    if relative is not None:
        return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}
    return {"uri": Path(os.path.realpath(report.registry)).as_uri()}


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _notifications(report: Report, left_out: int, limits: str) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = [
        {"level": "warning", "message": {"text": clean_text(note, MAX_REASON_CHARS)}}
        for note in report.notes
    ]
    if left_out:
        notes.append(
            {
                "level": "warning",
                "descriptor": {"id": "factlinks/truncated"},
                "message": {
                    "text": f"{left_out} more finding{'s' if left_out != 1 else ''} not "
                    f"listed here, the least severe ones, to stay within GitHub's upload "
                    f"limits ({limits}); every source is in report.json and report.html."
                },
            }
        )
    return notes


def _document(
    report: Report, *, listed: int, left_out: int, max_results: int, max_bytes: int
) -> dict[str, Any]:
    """The SARIF log, its results stood for by :data:`_RESULTS`."""
    limits = f"{max_results:,} results, {max_bytes:,} bytes"
    levels = finding_count(report)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "factlinks",
                "version": report.tool_version,
                "rules": [_rule(status, report) for status in _rule_statuses(report)],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": _RESULTS,
        "invocations": [
            {
                "executionSuccessful": not report.internal_errors,
                "startTimeUtc": _utc(report.started_at),
                "endTimeUtc": _utc(report.finished_at),
                "toolExecutionNotifications": _notifications(report, left_out, limits),
            }
        ],
        "properties": {
            "registry": report.registry,
            "fail_on": sorted(s.value for s in report.fail_on),
            "passed": report.passed,
            "by_status": {status.value: n for status, n in report.counts.items()},
            "findings": {level.value: n for level, n in levels.items()},
            "listed": listed,
            "left_out": left_out,
            "truncated": left_out > 0,
            "limits": {"results": max_results, "bytes": max_bytes},
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _split(document: dict[str, Any]) -> tuple[str, str]:
    """The text before the results and after them."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    marker = json.dumps(_RESULTS)
    head, tail = text.split(marker)
    return head + "[", "\n]" + tail + "\n"


def iter_sarif(
    report: Report,
    *,
    root: str | os.PathLike[str] | None = None,
    max_results: int = MAX_SARIF_RESULTS,
    max_bytes: int = MAX_SARIF_BYTES,
) -> Iterator[str]:
    """``report.sarif`` in pieces: the head, a result per line, the tail.

    Parameters:
        root: the repository's root, what registry paths are made relative to
            (``%SRCROOT%``); default: the current working directory.
        max_results: list at most this many findings.
        max_bytes: the file's size at most, in UTF-8 bytes (the head and tail included).
    """
    rules = {status: index for index, status in enumerate(_rule_statuses(report))}
    run = _Run(report, _artifact(report, Path.cwd() if root is None else root), rules)
    total = sum(finding_count(report).values())
    limits = {"max_results": max_results, "max_bytes": max_bytes}
    head, _ = _split(_document(report, listed=0, left_out=0, **limits))
    _, worst = _split(_document(report, listed=total, left_out=total, **limits))
    left = max_bytes - len(head.encode("utf-8", "replace")) - len(worst.encode("utf-8", "replace"))
    yield head
    listed = 0
    for result in findings(report):
        if listed >= max_results:
            break
        item = per_source(
            "sarif", result, functools.partial(_result, run=run), functools.partial(_bare, run=run)
        )
        piece = ("\n" if listed == 0 else ",\n") + json.dumps(
            item, ensure_ascii=False, separators=(",", ":")
        )
        size = len(piece.encode("utf-8", "replace"))
        if size > left:
            break
        left -= size
        listed += 1
        yield piece
    _, tail = _split(_document(report, listed=listed, left_out=total - listed, **limits))
    yield tail


def write_sarif(
    report: Report,
    out: IO[bytes],
    *,
    root: str | os.PathLike[str] | None = None,
    max_results: int = MAX_SARIF_RESULTS,
    max_bytes: int = MAX_SARIF_BYTES,
) -> None:
    """Write ``report.sarif`` to the binary stream ``out``, a result at a time."""
    for piece in iter_sarif(report, root=root, max_results=max_results, max_bytes=max_bytes):
        out.write(piece.encode("utf-8", "replace"))


def render_sarif(
    report: Report,
    *,
    root: str | os.PathLike[str] | None = None,
    max_results: int = MAX_SARIF_RESULTS,
    max_bytes: int = MAX_SARIF_BYTES,
) -> str:
    """``report.sarif`` as text (see :func:`iter_sarif`).

    Example::

        sarif = render_sarif(report, root=".")  # for github/codeql-action/upload-sarif
    """
    return "".join(iter_sarif(report, root=root, max_results=max_results, max_bytes=max_bytes))
