"""The one gate for text that comes from the web: made safe to store, print and render.

Titles, snippets, header values, redirect targets, error details that quote a server and
archive answers are strangers' text. Before any of it becomes part of a result, it passes
through here:

- code points that no UTF-8 (or XML) writer accepts are replaced by U+FFFD: lone
  surrogates (U+D800-U+DFFF, which a PDF's ToUnicode map or a broken decoder can produce)
  and the noncharacters U+FFFE and U+FFFF;
- control characters are removed: C0 (NUL, BEL, ESC, ...) but tab and line ends, DEL, and
  C1 (U+0080-U+009F). What follows an ESC (``[31m``) stays as visible, inert text;
- the bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) are
  removed: they reorder whole spans of a line, in a terminal as in a report. The marks
  LRM, RLM and ALM (U+200E, U+200F, U+061C) are kept: they reorder nothing by themselves and
  right-to-left titles use them;
- prose (titles, snippets, details) has its whitespace collapsed to single spaces;
- every field is bounded: longer text is cut and ends with an ellipsis (``…``).

URLs are never cut into another URL: :func:`clean_url` only percent-encodes what cannot
stand in a URL, and a redirect to a URL longer than :data:`MAX_URL_CHARS` is refused by the
fetcher. :func:`clip` shortens a URL for display only, visibly (it ends with ``…``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from ._models import ArchiveCopy, Failure, FetchResult, Inspection, Problem, TitleEvidence

__all__ = [
    "ELLIPSIS",
    "MAX_DETAIL_CHARS",
    "MAX_HEADER_CHARS",
    "MAX_REASON_CHARS",
    "MAX_SEARCHED_TITLE_CHARS",
    "MAX_SNIPPET_CHARS",
    "MAX_TITLES",
    "MAX_TITLE_CHARS",
    "MAX_URL_CHARS",
    "clean_archive",
    "clean_evidence",
    "clean_fetch",
    "clean_headers",
    "clean_inspection",
    "clean_text",
    "clean_url",
    "clip",
    "sendable_validator",
    "url_from_header",
]

ELLIPSIS = "\u2026"
"""What ends a text that was cut."""
MAX_TITLE_CHARS = 300
"""A title candidate or the title a document shows now (``found``, ``Now:``)."""
MAX_SNIPPET_CHARS = 300
"""The excerpt around a title match."""
MAX_DETAIL_CHARS = 500
"""A failure's or a problem's detail (it may quote the server or the document)."""
MAX_REASON_CHARS = 1000
"""A result's reason: one sentence, which may name a URL and quote a title."""
MAX_HEADER_CHARS = 8192
"""One stored header value."""
MAX_SEARCHED_TITLE_CHARS = 2000
"""How much of one title field (``<title>``, ``og:title``, PDF ``/Title``, ...) is searched
for the expected title; the body text is searched on its own. Fuzzy matching a 4 MB
``<title>`` would take minutes."""
MAX_TITLES = 16
"""Title candidates kept per document."""
MAX_URL_CHARS = 8192
"""The longest redirect target followed (and archive copy kept). Most servers refuse a
request line longer than 8 KiB, so a longer URL cannot be fetched anyway; it is refused with
a reason rather than cut into another URL that ``fix --apply`` would write."""

_SCAN_FACTOR = 16
"""Text beyond ``limit * _SCAN_FACTOR`` characters is not looked at (a 4 MB ``<title>``)."""
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
"""Controls that are not whitespace (whitespace controls, \\x1c-\\x1f and NEL, become spaces)."""
_CONTROLS_KEEP_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_NOT_IN_URL = re.compile("[\x00-\x20\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_URL_TRIM = "".join(map(chr, range(0x21)))
"""Stripped from both ends of a URL: C0 controls and space (as the WHATWG URL parser does)."""


def clip(text: str, limit: int) -> str:
    """``text``, cut to at most ``limit`` characters with an ellipsis when it is longer."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def clean_text(text: str, limit: int, *, prose: bool = True) -> str:
    """``text`` made safe to store, print and render, at most ``limit`` characters.

    Example::

        >>> clean_text("\\x1b[31mRed\\u202e \\x00title\\ud800", 300)
        '[31mRed title\\ufffd'

    Parameters:
        text: text from the web.
        limit: the most characters the result may have; longer text ends with ``…``.
        prose: collapse every run of whitespace (line ends included) to one space and strip
            the ends; with ``False`` tabs and line ends are kept (a traceback).
    """
    scanned = text[: max(limit, 1) * _SCAN_FACTOR]
    cut = len(scanned) < len(text)
    scanned = _UNENCODABLE.sub("\ufffd", scanned)
    if prose:
        scanned = _SPACES.sub(" ", _CONTROLS.sub("", scanned)).strip()
    else:
        scanned = _CONTROLS_KEEP_LINES.sub("", scanned)
    if cut:  # what was not looked at is cut off too, visibly
        return (scanned[: limit - 1] if len(scanned) >= limit else scanned) + ELLIPSIS
    return clip(scanned, limit)


def clean_url(url: str) -> str:
    """``url`` with what cannot stand in a URL percent-encoded (as UTF-8); nothing else changed.

    Leading and trailing controls and spaces are stripped and tabs and line ends removed, as
    browsers do; other controls, spaces, DEL, C1 and bidi controls inside are encoded, and a
    lone surrogate becomes the encoding of U+FFFD. A valid URL is returned as it is.
    """
    url = url.strip(_URL_TRIM).replace("\t", "").replace("\n", "").replace("\r", "")
    if not _NOT_IN_URL.search(url):
        return url
    return _NOT_IN_URL.sub(_percent_encoded, url)


def _percent_encoded(match: re.Match[str]) -> str:
    char = _UNENCODABLE.sub("\ufffd", match.group())
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def url_from_header(raw: bytes) -> str:
    """The URL a ``Location`` header's bytes name, as the server meant it.

    UTF-8 is decoded; bytes that are not valid UTF-8 are percent-encoded as they are, which
    is what browsers request (``/caf\\xe9`` becomes ``/caf%E9``, never ``/café``).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in raw)
    return clean_url(text)


def clean_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header values from their bytes, names in lower case, each value bounded and clean.

    A value is ASCII, else UTF-8 if it is valid, else Latin-1 (the byte values as they are).
    Repeated names keep the first value.
    """
    headers: dict[str, str] = {}
    for name, value in raw:
        key = clean_text(name.decode("latin-1"), 256).lower()
        if key in headers:
            continue
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
        headers[key] = clean_text(text, MAX_HEADER_CHARS)
    return headers


def sendable_validator(value: str | None) -> str | None:
    """``value`` if it can go back to the server as ``If-None-Match``/``If-Modified-Since``.

    Only visible ASCII and spaces can be sent as a header value by every client; anything
    else (a Latin-1 ``ETag``, a line break) is dropped, so the next run asks without it.
    """
    if not value or len(value) > 1024 or not value.isascii() or not value.isprintable():
        return None
    return value


def _clean_failure(failure: Failure | None) -> Failure | None:
    if failure is None:
        return None
    return replace(
        failure,
        detail=clean_text(failure.detail, MAX_DETAIL_CHARS),
        traceback=None
        if failure.traceback is None
        else clean_text(failure.traceback, 50_000, prose=False),
    )


def clean_fetch(fetch: FetchResult) -> FetchResult:
    """``fetch`` with its ``Content-Type`` and failure detail made clean.

    Its URLs are the cited one and redirect targets, which the fetcher took from the
    ``Location`` bytes through :func:`url_from_header` (and bounded), and its headers
    went through :func:`clean_headers`: they stay as they are.
    """
    return replace(
        fetch,
        content_type=None if fetch.content_type is None else clean_text(fetch.content_type, 256),
        failure=_clean_failure(fetch.failure),
    )


def _clean_problem(problem: Problem | None) -> Problem | None:
    if problem is None:
        return None
    return Problem(problem.kind, clean_text(problem.detail, MAX_DETAIL_CHARS))


def clean_inspection(inspection: Inspection) -> Inspection:
    """``inspection`` with its title candidates and problem detail clean and bounded."""
    titles = []
    for candidate in inspection.titles[:MAX_TITLES]:
        text = clean_text(candidate.text, MAX_TITLE_CHARS)
        if text:
            titles.append(replace(candidate, where=clean_text(candidate.where, 64), text=text))
    return replace(inspection, titles=tuple(titles), problem=_clean_problem(inspection.problem))


def clean_evidence(evidence: TitleEvidence | None) -> TitleEvidence | None:
    """``evidence`` with where it matched, its snippet and the title found clean and bounded.

    ``expected`` is the registry's, not the web's, and stays as it is.
    """
    if evidence is None:
        return None
    return replace(
        evidence,
        where=None if evidence.where is None else clean_text(evidence.where, 64),
        snippet=None
        if evidence.snippet is None
        else clean_text(evidence.snippet, MAX_SNIPPET_CHARS),
        found=None if evidence.found is None else clean_text(evidence.found, MAX_TITLE_CHARS),
    )


def clean_archive(copy: ArchiveCopy | None) -> ArchiveCopy | None:
    """``copy`` with a clean URL and detail; ``None`` when its URL is too long to cite."""
    if copy is None:
        return None
    url = clean_url(copy.url)
    if len(url) > MAX_URL_CHARS:
        return None
    return replace(
        copy,
        url=url,
        captured_status=None
        if copy.captured_status is None
        else clean_text(copy.captured_status, 16),
        detail=clean_text(copy.detail, MAX_DETAIL_CHARS),
    )
