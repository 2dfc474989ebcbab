"""Title candidates and text from HTML bytes, with beautifulsoup4 and lxml."""

from __future__ import annotations

import codecs
import re
import warnings

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning

from .._models import TitleCandidate

__all__ = ["MAX_BODY_CHARS", "MAX_PARSE_BYTES", "html_candidates", "parse_prefix"]

MAX_BODY_CHARS = 200_000
"""Body text beyond this many characters is not searched."""
MAX_PARSE_BYTES = 500_000
"""Markup beyond this many bytes (the contents of scripts and styles not counted) is not parsed.

The title lives in ``<head>``, ``<h1>`` and the first part of the body; a parse tree costs
tens of times its markup (two 5 MB pages in parallel took over 1.5 GB), so a page is parsed
only up to here. ``MAX_BODY_CHARS`` of text fit in it unless the markup is dense.
"""
_SKIPPED_RE = re.compile(rb"<(script|style)\b", re.IGNORECASE)
_SKIPPED_END_RES = {
    b"script": re.compile(rb"</script\s*>", re.IGNORECASE),
    b"style": re.compile(rb"</style\s*>", re.IGNORECASE),
}

_META_TITLES = (
    ("property", "og:title", "og:title"),
    ("name", "citation_title", "citation_title"),
    ("name", "dc.title", "dc.title"),
    ("name", "twitter:title", "twitter:title"),
)
_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_NAV_NAMES_RE = re.compile(
    r"(?<![a-z])(nav|navbar|navigation|menu|sidebar|sphinxsidebar|breadcrumbs?|related|"
    r"footer|toc|skip-?links?)(?![a-z])"
)


def charset_from_header(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, if any."""
    match = _CHARSET_RE.search(content_type or "")
    return match.group(1) if match else None


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET_RE.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def html_encoding(data: bytes, content_type: str | None) -> str | None:
    """The charset to decode ``data`` with: the header's, else the ``<meta>`` declaration's.

    As browsers do (WHATWG Encoding), ``iso-8859-1`` and ``us-ascii`` mean ``windows-1252``.
    Without a usable declaration: ``None`` (the parser reads the BOM) when there is a byte
    order mark, else UTF-8 when the bytes are UTF-8, else windows-1252, the fallback of
    browsers in Western locales. (lxml, left to guess, read undeclared Latin-1 pages as
    UTF-8 with replacement characters: "Zus\ufffdtzliches".)
    """
    for label in (charset_from_header(content_type), _meta_charset(data)):
        if not label:
            continue
        try:
            name = codecs.lookup(label.strip()).name
        except LookupError:
            continue
        return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:  # not just a character cut off by max_bytes
            return "cp1252"
    return "utf-8"


def parse_prefix(data: bytes, limit: int | None = None) -> bytes:
    """What of ``data`` is parsed: scripts and styles left out, then cut at ``limit`` bytes.

    ``limit`` defaults to :data:`MAX_PARSE_BYTES`.

    One pass, linear in the size of ``data`` whatever it holds (an unclosed ``<script``
    ends the markup): the elements are found with fixed patterns, never a backtracking one.
    """
    limit = MAX_PARSE_BYTES if limit is None else limit
    if len(data) <= limit:
        return data
    kept: list[bytes] = []
    size = pos = 0
    while size < limit:
        opening = _SKIPPED_RE.search(data, pos)
        end = len(data) if opening is None else opening.start()
        kept.append(data[pos : min(end, pos + limit - size)])
        size += len(kept[-1])
        if opening is None:
            break
        closing = _SKIPPED_END_RES[opening.group(1).lower()].search(data, opening.end())
        if closing is None:
            break
        pos = closing.end()
    return b"".join(kept)


def _is_navigation(tag: Tag) -> bool:
    if tag.name in ("nav", "aside", "footer"):
        return True
    if str(tag.get("role", "")).lower() in ("navigation", "banner", "contentinfo"):
        return True
    names = " ".join([*tag.get_attribute_list("class"), str(tag.get("id", ""))]).lower()
    return bool(names) and bool(_NAV_NAMES_RE.search(names))


def html_candidates(
    data: bytes, content_type: str | None
) -> tuple[list[TitleCandidate], TitleCandidate]:
    """The title fields of an HTML page, and its body text as a last candidate.

    The body text leaves out scripts, styles and navigation (``<nav>``, ``<aside>``,
    ``<footer>``, menus, sidebars, breadcrumbs): the titles of sibling pages listed there
    are not this page's title. Only the first :data:`MAX_PARSE_BYTES` of markup are parsed
    (:func:`parse_prefix`), so the memory a page needs is bounded whatever its size.
    """
    with warnings.catch_warnings():
        # XHTML pages parse fine as HTML; bs4 would warn that they look like XML.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        markup = parse_prefix(data)
        soup = BeautifulSoup(markup, "lxml", from_encoding=html_encoding(data, content_type))
    titles: list[TitleCandidate] = []

    def add(where: str, text: str | None) -> None:
        if text and text.strip():
            titles.append(TitleCandidate(where, " ".join(text.split())))

    if soup.title is not None:
        add("<title>", soup.title.get_text(" "))
    for attribute, name, where in _META_TITLES:
        tag = soup.find("meta", attrs={attribute: re.compile(f"^{re.escape(name)}$", re.I)})
        if isinstance(tag, Tag):
            content = tag.get("content")
            add(where, content if isinstance(content, str) else None)
    for heading in soup.find_all("h1", limit=3):
        add("<h1>", heading.get_text(" "))
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for tag in soup.find_all(_is_navigation):
        if not tag.decomposed:
            tag.decompose()
    body = soup.body or soup
    text = body.get_text("\n")[:MAX_BODY_CHARS]
    return titles, TitleCandidate("body", text)
