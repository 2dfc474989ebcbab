"""HTML documents: the targets of ``<a href>`` and ``<area href>``, resolved against ``<base>``.

Each URL comes with the text it is cited with (:attr:`CitedUrl.text`): an ``<a>``'s text (the
``alt`` of the images in it when it has none), an ``<area>``'s ``alt``; for a link whose text
is a URL or empty, the text of the block it stands in (its ``<li>``, ``<p>``, table cell, …),
as a reference entry around a bare link. White space collapsed.
"""

from __future__ import annotations

import warnings
from urllib.parse import urljoin

from bs4 import Tag

from .interface import CitedUrl, parser_failure
from .proposals import looks_like_url
from .urls import link_target, valid_url

__all__ = ["read_html"]

_CODE = ["pre", "code"]
"""Elements whose links are left out: code, as the Markdown reader leaves code out."""


def read_html(data: bytes, document: str) -> list[CitedUrl]:
    """The http(s) URLs an HTML page links to, in order; links within the page are left out,
    so are links inside ``<pre>`` and ``<code>`` (code shows examples, it cites nothing).

    Prints nothing: the parser's warnings (markup that looks like a file name, XML read as
    HTML) are held back.

    Raises:
        DocumentError: the parser gave up on the document.
    """
    from bs4 import BeautifulSoup  # looked up when called (tests replace it)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(data, "lxml")
            base_tag = soup.find("base", href=True)
            tags = [t for t in soup.find_all(["a", "area"], href=True) if isinstance(t, Tag)]
    except Exception as exc:  # lxml and bs4 on hostile markup
        raise parser_failure("the HTML cannot be parsed", exc) from exc
    base = link_target(str(base_tag["href"])) if isinstance(base_tag, Tag) else ""
    found = []
    blocks: dict[int, str] = {}
    for tag in tags:
        href = link_target(str(tag["href"]))
        if href.startswith("#"):
            continue  # a place on the same page, not a citation
        if tag.find_parent(_CODE) is not None:
            continue  # a link in code is an example, as in Markdown
        # An explicit target, as written save the white space a URL parser removes or encodes:
        # never trimmed like a URL in prose, whose final "." or ")" may be the sentence's.
        url = _join(base, href)
        if valid_url(url):
            found.append(CitedUrl(url, document, f"<{tag.name} href>", _text_of(tag, blocks)))
    return found


_BLOCKS = ("li", "p", "td", "th", "dd", "dt", "blockquote", "figcaption", "caption")
_MAX_BLOCK_CHARS = 2000
"""The text of a block around a link is read up to this many characters (a reference entry
is shorter; a page laid out in one table cell is not read whole for every link)."""


def _text_of(tag: Tag, blocks: dict[int, str]) -> str:
    """What ``tag`` (an ``<a>`` or ``<area>``) is cited as; see the module's docstring.

    ``blocks`` holds the text of the blocks read so far (by ``id``): a block with many bare
    links is read once.
    """
    if tag.name == "area":
        return " ".join(str(tag.get("alt") or "").split())
    text = " ".join(tag.get_text(" ").split())
    if not text:
        alts = (str(img.get("alt") or "") for img in tag.find_all("img") if isinstance(img, Tag))
        text = " ".join(" ".join(alts).split())
    if text and not looks_like_url(text):
        return text
    block = tag.find_parent(_BLOCKS)
    if block is None:
        return text
    if id(block) not in blocks:
        blocks[id(block)] = " ".join(block.get_text(" ")[:_MAX_BLOCK_CHARS].split())
    return blocks[id(block)]


def _join(base: str, href: str) -> str:
    """``href`` resolved against ``base``; a ``base`` that is no URL is left out."""
    try:
        return urljoin(base, href)
    except ValueError:  # a base such as "http://[::1" (bad brackets, bad port)
        return href
