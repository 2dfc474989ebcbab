"""HTML documents: the targets of ``<a href>`` and ``<area href>``, resolved against ``<base>``."""

from __future__ import annotations

import warnings
from urllib.parse import urljoin

from .interface import CitedUrl, parser_failure
from .urls import valid_url

__all__ = ["read_html"]


def read_html(data: bytes, document: str) -> list[CitedUrl]:
    """The http(s) URLs an HTML page links to, in order; links within the page are left out.

    Prints nothing: the parser's warnings (markup that looks like a file name, XML read as
    HTML) are held back.

    Raises:
        DocumentError: the parser gave up on the document.
    """
    from bs4 import BeautifulSoup, Tag

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(data, "lxml")
            base_tag = soup.find("base", href=True)
            tags = [t for t in soup.find_all(["a", "area"], href=True) if isinstance(t, Tag)]
    except Exception as exc:  # lxml and bs4 on hostile markup
        raise parser_failure("the HTML cannot be parsed", exc) from exc
    base = str(base_tag["href"]).strip() if isinstance(base_tag, Tag) else ""
    found = []
    for tag in tags:
        href = str(tag["href"]).strip()
        if href.startswith("#"):
            continue  # a place on the same page, not a citation
        # An explicit target, as written (HTML strips only the white space around it): never
        # trimmed like a URL in prose, whose final "." or ")" may be the sentence's.
        url = _join(base, href)
        if valid_url(url):
            found.append(CitedUrl(url, document, f"<{tag.name} href>"))
    return found


def _join(base: str, href: str) -> str:
    """``href`` resolved against ``base``; a ``base`` that is no URL is left out."""
    try:
        return urljoin(base, href)
    except ValueError:  # a base such as "http://[::1" (bad brackets, bad port)
        return href
