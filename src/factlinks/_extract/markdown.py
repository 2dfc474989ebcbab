"""Markdown documents, read as Markdown (CommonMark, with GFM tables and strikethrough).

What a Markdown document cites, parsed with markdown-it-py:

- **links** ``[text](url "title")`` and reference links ``[text][ref]``: the destination;
- **autolinks** ``<https://…>``: the URL;
- **reference definitions** ``[ref]: url``: the URL, used by a link or not;
- **bare URLs** in text: found by the text rules (:func:`~factlinks._extract.urls.urls_in_text`:
  trailing punctuation stripped, a URL wrapped onto the next line joined);
- **HTML** inside Markdown (blocks and inline tags): the targets of its ``<a href>`` and
  ``<area href>``, as the HTML reader reads a page, but with the standard library's tolerant
  tokenizer (no tree: one BeautifulSoup tree per inline tag took 25 s for 20,000 links,
  this takes 4 s) and no ``<base>``: a Markdown document has none.

Left out: **images** (``![alt](src)``, ``<img src>``): a picture in a document is not a
source it cites; an image inside a link (a badge) leaves the link's target. Text *inside* a
link (``[https://a.example/](https://b.example/)``): the destination is what is cited. Code
spans and code blocks (indented or fenced): a URL in code is an example, not a citation,
unless ``include_code`` (``extract --include-code``), when they are read by the text rules.

Explicit targets (link and autolink destinations, reference definitions) are taken as
written, never trimmed like prose: ``[x](https://a.example/v1.)`` cites ``…/v1.``.
Destinations are not percent-encoded as markdown-it would for HTML output, so a URL reads
as the author wrote it, the same as the text rules find it. http(s) only, as everywhere.

Each URL comes with the text it is cited with (:attr:`~factlinks.CitedUrl.text`, white space
collapsed): a link's text (``[text](url)``, ``[text][ref]``; the ``alt`` of an image in it;
code spans as their text); for a bare URL, an autolink or a link whose text is a URL, the
text of its paragraph, list item or table cell (the reference entry it stands in); for a
reference definition, its title (``[ref]: url "Title"``) or else the text of a link that
uses it. URLs in code and in HTML come without text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .interface import CitedUrl, parser_failure
from .proposals import looks_like_url
from .text import decode
from .urls import link_target, urls_in_text, valid_url

__all__ = ["read_markdown", "read_markdown_with_code"]

_CODE_BLOCKS = frozenset({"code_block", "fence"})
_BREAKS = frozenset({"softbreak", "hardbreak"})
_MAX_ENTRY_CHARS = 2000
"""A paragraph is kept as a bare URL's text up to this many characters (a reference entry is
shorter)."""


class _AsWritten(MarkdownIt):
    """markdown-it that keeps link destinations as written (no percent-encoding, no IDNA)."""

    def normalizeLink(self, url: str) -> str:  # markdown-it's name
        """``url`` unchanged."""
        return url


def read_markdown(data: bytes, document: str) -> list[CitedUrl]:
    """The http(s) URLs a Markdown document cites, in order; code is left out.

    UTF-8, or else Windows-1252, as text.

    Raises:
        DocumentError: the parser gave up on the document.
    """
    return _read(data, document, include_code=False)


def read_markdown_with_code(data: bytes, document: str) -> list[CitedUrl]:
    """:func:`read_markdown`, code spans and code blocks included (read by the text rules)."""
    return _read(data, document, include_code=True)


def _read(data: bytes, document: str, *, include_code: bool) -> list[CitedUrl]:
    text = decode(data)
    # inline_definitions: reference definitions become tokens, in order, with their lines.
    parser = _AsWritten("commonmark", {"inline_definitions": True})
    parser.enable(["table", "strikethrough"])
    try:
        tokens = parser.parse(text)
    except Exception as exc:  # markdown-it on input it cannot handle
        raise parser_failure("the Markdown cannot be parsed", exc) from exc
    found = _Found(document, include_code)
    for token in tokens:
        found.block(token)
    return _texts_shared([cited for _, cited in sorted(found.items, key=lambda item: item[0])])


def _texts_shared(found: list[CitedUrl]) -> list[CitedUrl]:
    """``found`` with a URL that has no text given the first text another mention of it has
    (a reference definition at the end gets the text of the link that uses it)."""
    texts: dict[str, str] = {}
    for cited in found:
        if cited.text:
            texts.setdefault(cited.url, cited.text)
    return [
        replace(cited, text=texts[cited.url]) if not cited.text and cited.url in texts else cited
        for cited in found
    ]


def _plain(children: list[Token]) -> str:
    """The text of inline tokens as a reader sees it: text, code spans, image ``alt``s."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in _BREAKS:
            parts.append(" ")
    return " ".join("".join(parts).split())


def _link_texts(children: list[Token]) -> dict[int, str]:
    """The text of each link in ``children``, by the index of its ``link_open``."""
    texts: dict[int, str] = {}
    open_at: list[int] = []
    for index, child in enumerate(children):
        if child.type == "link_open":
            open_at.append(index)
        elif child.type == "link_close" and open_at:
            start = open_at.pop()
            texts[start] = _plain(children[start + 1 : index])
    return texts


@dataclass(slots=True)
class _Found:
    """The URLs found so far, each with its line, for one document."""

    document: str
    include_code: bool
    items: list[tuple[int, CitedUrl]] = field(default_factory=list)
    """(line, URL): sorted by line at the end, as bare URLs are found paragraph by paragraph."""

    def add(self, line: int, url: str, where: str, text: str = "") -> None:
        """Cites the link target ``url`` (as a URL parser reads it) if it is a URL to check."""
        url = link_target(url)
        if valid_url(url):
            self.items.append((line, CitedUrl(url, self.document, f"line {line}{where}", text)))

    def text(self, line: int, text: str, entry: str = "") -> None:
        """The bare URLs in ``text``, which starts on ``line``, by the text rules; each is
        cited with ``entry`` (its paragraph's text)."""
        for cited in urls_in_text(text, self.document):
            at = line - 1 + int(cited.where.removeprefix("line "))
            self.items.append((at, replace(cited, where=f"line {at}", text=entry)))

    def html(self, line: int, markup: str) -> None:
        """The link targets in HTML that starts on ``line``, as written."""
        for tag, href in _hrefs(markup):
            if not href.startswith("#"):
                self.add(line, href, f" <{tag} href>")

    def block(self, token: Token) -> None:
        line = token.map[0] + 1 if token.map else 0
        if token.type == "inline":
            self.inline(line, token.children or [])
        elif token.type == "definition":
            title = " ".join(str(token.meta.get("title") or "").split())
            self.add(line, str(token.meta.get("url", "")), " reference", title)
        elif token.type == "html_block":
            self.html(line, token.content)
        elif token.type in _CODE_BLOCKS and self.include_code:
            self.text(line + (token.type == "fence"), token.content)

    def inline(self, line: int, children: list[Token]) -> None:
        """The URLs in one paragraph (heading, table cell): targets and bare URLs, in order."""
        pending: list[str] = []  # text not yet searched, from line `start`
        start = line
        depth = 0  # inside a link: its text is not searched
        entry = _plain(children)[:_MAX_ENTRY_CHARS]  # what a bare URL here is cited with
        links = _link_texts(children)
        for index, child in enumerate(children):
            if child.type == "text" and not depth:
                pending.append(child.content)
                continue
            if child.type in _BREAKS:
                if not depth:
                    pending.append("\n")
                line += 1
                continue
            self.text(start, "".join(pending), entry)
            pending, start = [], line
            text = links.get(index, "")
            depth += self.target(line, child, entry if not text or looks_like_url(text) else text)
        self.text(start, "".join(pending), entry)

    def target(self, line: int, child: Token, text: str = "") -> int:
        """Reads one inline token other than text; returns how it changes the link depth.

        ``text`` is what a link opened here is cited with.
        """
        if child.type == "link_open":
            self.add(line, str(child.attrGet("href") or ""), " link", text)
            return 1
        if child.type == "link_close":
            return -1
        if child.type == "code_inline" and self.include_code:
            self.text(line, child.content)
        elif child.type == "html_inline":
            self.html(line, child.content)
        return 0


class _Hrefs(HTMLParser):
    """Collects the ``href`` of each ``<a>`` and ``<area>`` start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keeps ``(tag, href)`` of a link."""
        if tag in ("a", "area"):
            href = dict(attrs).get("href")
            if href:
                self.found.append((tag, href.strip()))

    handle_startendtag = handle_starttag


def _hrefs(markup: str) -> list[tuple[str, str]]:
    """``(tag, href)`` of the links in ``markup``, in order, up to a declaration the standard
    library's tokenizer gives up on (``<![ x``: it raises :class:`AssertionError`)."""
    parser = _Hrefs()
    try:
        parser.feed(markup)
        parser.close()
    except AssertionError:  # _markupbase on a malformed marked section
        pass
    return parser.found
