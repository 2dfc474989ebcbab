"""Title candidates and text from HTML bytes, with beautifulsoup4 and lxml."""

from __future__ import annotations

import codecs
import re
import warnings

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning

from .._models import TitleCandidate

__all__ = ["MAX_BODY_CHARS", "html_candidates"]

MAX_BODY_CHARS = 200_000
"""Body text beyond this many characters is not searched."""

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
    ``None`` leaves the choice to detection (BOM, UTF-8, then windows-1252).
    """
    for label in (charset_from_header(content_type), _meta_charset(data)):
        if not label:
            continue
        try:
            name = codecs.lookup(label.strip()).name
        except LookupError:
            continue
        return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
    return None


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
    are not this page's title.
    """
    with warnings.catch_warnings():
        # XHTML pages parse fine as HTML; bs4 would warn that they look like XML.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(data, "lxml", from_encoding=html_encoding(data, content_type))
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
