"""Title candidates and text from HTML bytes, with beautifulsoup4 and lxml."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

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


def charset_from_header(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, if any."""
    match = _CHARSET_RE.search(content_type or "")
    return match.group(1) if match else None


def html_candidates(
    data: bytes, content_type: str | None
) -> tuple[list[TitleCandidate], TitleCandidate]:
    """The title fields of an HTML page, and its body text as a last candidate.

    The charset comes from the header first; beautifulsoup then falls back to the ``<meta>``
    declaration and detection.
    """
    soup = BeautifulSoup(data, "lxml", from_encoding=charset_from_header(content_type))
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
    body = soup.body or soup
    text = body.get_text("\n")[:MAX_BODY_CHARS]
    return titles, TitleCandidate("body", text)
