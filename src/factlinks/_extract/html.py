"""HTML documents: the targets of ``<a href>`` and ``<area href>``, resolved against ``<base>``."""

from __future__ import annotations

import warnings
from urllib.parse import urljoin

from .interface import CitedUrl
from .urls import strip_url, valid_url

__all__ = ["read_html"]


def read_html(data: bytes, document: str) -> list[CitedUrl]:
    """The http(s) URLs an HTML page links to, in order; links within the page are left out."""
    from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(data, "lxml")
    base_tag = soup.find("base", href=True)
    base = str(base_tag["href"]) if isinstance(base_tag, Tag) else ""
    found = []
    for tag in soup.find_all(["a", "area"], href=True):
        if not isinstance(tag, Tag):
            continue
        href = str(tag["href"]).strip()
        if href.startswith("#"):
            continue  # a place on the same page, not a citation
        url = strip_url(urljoin(base, href))
        if valid_url(url):
            found.append(CitedUrl(url, document, f"<{tag.name} href>"))
    return found
