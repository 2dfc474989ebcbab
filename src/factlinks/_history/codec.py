"""The one codec of the history: a result becomes a :class:`ResultRow`, a row becomes columns.

Everything a backend stores is defined here once: the columns of a result
(:data:`RESULT_COLUMNS`), the row built from a :class:`~factlinks.SourceResult`
(:func:`encode_result`), and the JSON text of its verification and archive copy. Stored rows
are decoded by column *name* (:func:`decode_row`, :func:`decode_past`), so the order of the
columns in a table does not matter.

The JSON texts are those factlinks has always written: state databases of earlier versions
decode unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from .._errors import StateError
from .._models import (
    DocFormat,
    Inspection,
    Source,
    SourceResult,
    Status,
    TitleCandidate,
    TitleEvidence,
)
from .._text import (
    MAX_REASON_CHARS,
    clean_evidence,
    clean_inspection,
    clean_text,
    sendable_validator,
)
from .interface import PastResult, ResultRow, SourceHistory, StoredArchive, StoredVerification

__all__ = [
    "RESULT_COLUMNS",
    "decode_archive",
    "decode_past",
    "decode_row",
    "decode_verification",
    "encode_archive",
    "encode_result",
    "encode_row",
    "encode_verification",
    "entry_fingerprint",
    "registry_key",
]

RESULT_COLUMNS: tuple[str, ...] = (
    "source_id",
    "url",
    "status",
    "http_status",
    "final_url",
    "checked_at",
    "etag",
    "last_modified",
    "body_sha256",
    "text_sha256",
    "verification",
    "archive",
    "reason",
    "entry_sha256",
)
"""The columns of one stored result (besides the run it belongs to), in the order of
:class:`ResultRow`'s fields; a backend reads and writes them by these names."""


# -- a result becomes a row --------------------------------------------------------------------


def encode_result(result: SourceResult, previous: SourceHistory) -> ResultRow:
    """The history row of ``result`` (a 304 keeps the validators and body it confirmed).

    ``previous`` is what the history knew of the source before this run. Only validators
    that can be sent back are stored (:func:`~factlinks._text.sendable_validator`).
    """
    fetch = result.fetch
    reused = result.history is not None and result.history.not_modified is not None
    good = previous.last_good if reused else None
    headers = fetch.headers if fetch is not None else {}
    return ResultRow(
        source_id=result.id,
        url=result.url,
        status=result.status,
        checked_at=result.checked_at,
        http_status=fetch.status_code if fetch else None,
        final_url=fetch.final_url if fetch else None,
        etag=sendable_validator(good.etag if good else headers.get("etag")),
        last_modified=sendable_validator(
            good.last_modified if good else headers.get("last-modified")
        ),
        body_sha256=good.body_sha256 if good else (fetch.sha256 if fetch else None),
        text_sha256=result.inspection.text_sha256 if result.inspection else None,
        # A 304 confirmed the stored verification: keep it as it was, not the reused reason.
        verification=good.verification if good else _verification(result),
        archive=None
        if result.archive is None
        else StoredArchive(
            url=result.archive.url,
            timestamp=result.archive.timestamp,
            verified=result.archive.verified,
            detail=result.archive.detail,
        ),
        reason=result.reason,
        entry_sha256=entry_fingerprint(result.source),
    )


_VERDICT_FIELDS = ("url", "title", "proposed_title", "kind", "doi")
"""The fields of a registry entry that shape its check (the rest only name or place it)."""


def entry_fingerprint(source: Source) -> str:
    """``sha256:...`` of the fields of ``source`` that shape its verdict: URL, title,
    proposed title, kind and DOI. Citation, ``cited_in``, authors and the like do not
    change what a check finds, so editing them does not make a source due.
    """
    fields = {name: getattr(source, name) for name in _VERDICT_FIELDS}
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _verification(result: SourceResult) -> StoredVerification | None:
    if result.status not in (Status.OK, Status.MOVED):
        return None
    inspection = result.inspection
    return StoredVerification(
        status=result.status,
        reason=result.reason,
        new_url=result.new_url,
        title=result.title,
        inspection=None
        if inspection is None
        else Inspection(
            inspection.format,
            inspection.titles,
            pages=inspection.pages,
            text_sha256=inspection.text_sha256,
        ),
    )


# -- a row becomes columns and back ------------------------------------------------------------


def encode_row(row: ResultRow) -> dict[str, Any]:
    """The column values of ``row`` (text, integers and ``None``), keyed by column name."""
    return {
        "source_id": row.source_id,
        "url": row.url,
        "status": row.status.value,
        "http_status": row.http_status,
        "final_url": row.final_url,
        "checked_at": row.checked_at.isoformat(),
        "etag": row.etag,
        "last_modified": row.last_modified,
        "body_sha256": row.body_sha256,
        "text_sha256": row.text_sha256,
        "verification": encode_verification(row.verification),
        "archive": encode_archive(row.archive),
        "reason": row.reason,
        "entry_sha256": row.entry_sha256,
    }


def decode_row(columns: Mapping[str, Any]) -> ResultRow:
    """The row stored as ``columns`` (e.g. a :class:`sqlite3.Row`), read by name.

    Raises:
        StateError: a value cannot be decoded (an unknown status, broken JSON, ...).
    """
    try:
        return ResultRow(
            source_id=columns["source_id"],
            url=columns["url"],
            status=Status(columns["status"]),
            checked_at=dt.datetime.fromisoformat(columns["checked_at"]),
            http_status=columns["http_status"],
            final_url=columns["final_url"],
            etag=columns["etag"],
            last_modified=columns["last_modified"],
            body_sha256=columns["body_sha256"],
            text_sha256=columns["text_sha256"],
            verification=decode_verification(columns["verification"]),
            archive=decode_archive(columns["archive"]),
            reason=columns["reason"],
            entry_sha256=columns["entry_sha256"],
        )
    except (ValueError, TypeError) as exc:
        raise StateError(f"a stored result cannot be read: {exc}") from exc


def decode_past(columns: Mapping[str, Any]) -> PastResult:
    """The earlier result stored as ``columns``, with the id of its run in ``run_id``.

    Raises:
        StateError: a value cannot be decoded.
    """
    return PastResult.of(decode_row(columns), int(columns["run_id"]))


# -- the JSON texts ----------------------------------------------------------------------------


def encode_verification(verification: StoredVerification | None) -> str | None:
    """The JSON text of ``verification``."""
    if verification is None:
        return None
    title = verification.title
    inspection = verification.inspection
    return _json(
        {
            "status": verification.status.value,
            "reason": verification.reason,
            "new_url": verification.new_url,
            "title": None
            if title is None
            else {
                "expected": title.expected,
                "matched": title.matched,
                "score": title.score,
                "where": title.where,
                "snippet": title.snippet,
                "found": title.found,
            },
            "inspection": None
            if inspection is None
            else {
                "format": inspection.format.value,
                "titles": [[c.where, c.text] for c in inspection.titles],
                "pages": inspection.pages,
                "text_sha256": inspection.text_sha256,
            },
        }
    )


def decode_verification(text: str | None) -> StoredVerification | None:
    """The verification stored as the JSON ``text``.

    Its texts pass the web-text gate again: a database written by an earlier version may
    hold them as the web sent them (a 4 MB title, control characters).

    Raises:
        StateError: ``text`` is not such a verification.
    """
    if not text:
        return None
    try:
        stored = json.loads(text)
        title = stored.get("title")
        document = stored.get("inspection")
        return _cleaned(
            StoredVerification(
                status=Status(stored["status"]),
                reason=stored["reason"],
                new_url=stored.get("new_url"),
                title=None
                if not title
                else TitleEvidence(
                    expected=title["expected"],
                    matched=title["matched"],
                    score=title["score"],
                    where=title.get("where"),
                    snippet=title.get("snippet"),
                    found=title.get("found"),
                ),
                inspection=None
                if not document
                else Inspection(
                    DocFormat(document["format"]),
                    tuple(TitleCandidate(where, said) for where, said in document["titles"]),
                    pages=document.get("pages"),
                    text_sha256=document.get("text_sha256"),
                ),
            )
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"a stored verification cannot be read ({exc!r}): {text[:80]}") from exc


def _cleaned(stored: StoredVerification) -> StoredVerification:
    return dataclasses.replace(
        stored,
        reason=clean_text(stored.reason, MAX_REASON_CHARS),
        title=clean_evidence(stored.title),
        inspection=None if stored.inspection is None else clean_inspection(stored.inspection),
    )


def encode_archive(archive: StoredArchive | None) -> str | None:
    """The JSON text of ``archive``."""
    if archive is None:
        return None
    return _json(
        {
            "url": archive.url,
            "timestamp": archive.timestamp,
            "verified": archive.verified,
            "detail": archive.detail,
        }
    )


def decode_archive(text: str | None) -> StoredArchive | None:
    """The archive copy stored as the JSON ``text``.

    Raises:
        StateError: ``text`` is not such an archive copy.
    """
    if not text:
        return None
    try:
        stored = json.loads(text)
        return StoredArchive(
            url=stored["url"],
            timestamp=stored["timestamp"],
            verified=stored.get("verified"),
            detail=stored.get("detail", ""),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"a stored archive copy cannot be read ({exc!r}): {text[:80]}") from exc


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- for the other parts of factlinks ------------------------------------------------------------


def registry_key(registry: str | None) -> str | None:
    """How runs are told apart by registry: by its absolute path."""
    return None if registry is None else os.path.abspath(registry)
