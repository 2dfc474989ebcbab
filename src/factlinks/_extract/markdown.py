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

The link text (``[text]``) is not kept: :class:`~factlinks.CitedUrl` has no field for it yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .interface import CitedUrl, parser_failure
from .text import decode
from .urls import urls_in_text, valid_url

__all__ = ["read_markdown", "read_markdown_with_code"]

_CODE_BLOCKS = frozenset({"code_block", "fence"})
_BREAKS = frozenset({"softbreak", "hardbreak"})


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
    return [cited for _, cited in sorted(found.items, key=lambda item: item[0])]


@dataclass(slots=True)
class _Found:
    """The URLs found so far, each with its line, for one document."""

    document: str
    include_code: bool
    items: list[tuple[int, CitedUrl]] = field(default_factory=list)
    """(line, URL): sorted by line at the end, as bare URLs are found paragraph by paragraph."""

    def add(self, line: int, url: str, where: str) -> None:
        if valid_url(url):
            self.items.append((line, CitedUrl(url, self.document, f"line {line}{where}")))

    def text(self, line: int, text: str) -> None:
        """The bare URLs in ``text``, which starts on ``line``, by the text rules."""
        for cited in urls_in_text(text, self.document):
            at = line - 1 + int(cited.where.removeprefix("line "))
            self.items.append((at, replace(cited, where=f"line {at}")))

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
            self.add(line, str(token.meta.get("url", "")), " reference")
        elif token.type == "html_block":
            self.html(line, token.content)
        elif token.type in _CODE_BLOCKS and self.include_code:
            self.text(line + (token.type == "fence"), token.content)

    def inline(self, line: int, children: list[Token]) -> None:
        """The URLs in one paragraph (heading, table cell): targets and bare URLs, in order."""
        pending: list[str] = []  # text not yet searched, from line `start`
        start = line
        depth = 0  # inside a link: its text is not searched
        for child in children:
            if child.type == "text" and not depth:
                pending.append(child.content)
                continue
            if child.type in _BREAKS:
                if not depth:
                    pending.append("\n")
                line += 1
                continue
            self.text(start, "".join(pending))
            pending, start = [], line
            depth += self.target(line, child)
        self.text(start, "".join(pending))

    def target(self, line: int, child: Token) -> int:
        """Reads one inline token other than text; returns how it changes the link depth."""
        if child.type == "link_open":
            self.add(line, str(child.attrGet("href") or ""), " link")
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
