"""PDF documents: the targets of link annotations, and URLs in the text layer of each page.

PDFium (pypdfium2, the engine ``check`` reads PDFs with) gives both: the link annotations
(``FPDFLink_Enumerate``) with their rectangles, and the text layer with a box for every
character. The boxes decide what the text alone cannot:

- whether a URL at a line end wrapped: only when its line reaches the right edge of its text
  block, so that the next line's first piece of URL did not fit (:meth:`_PageLayout.wrapped`);
- where a word space is that the text layer lost (``…example.org/)stelltWeb``): a gap
  between two character boxes (:meth:`_PageLayout.respace`);
- where a paragraph ends: a gap between lines, another column (:meth:`_PageLayout.new_entry`).

Annotation URIs are the truth where they exist: a text URL that is a prefix or a piece of an
annotated URL of the same document, or on the same page an extension of one, is the text
layer's broken copy of it and is not reported. A link's :attr:`CitedUrl.text` is the text
under its rectangle (the rectangles of one link split over several lines joined); when that is
only the printed URL, the reference entry the URL stands in.
"""

from __future__ import annotations

import ctypes
import itertools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .._errors import DocumentError
from .._inspect.pdf import info_value, respell_logos
from .interface import CitedUrl, parser_failure
from .urls import SOFT_HYPHEN, entry_text, urls_in_lines, valid_url

__all__ = ["MAX_PAGES", "read_pdf"]

MAX_PAGES = 2000
"""Pages after this many are not read."""

_Box = tuple[float, float, float, float]
"""left, bottom, right, top, in PDF points."""
_WORD_GAP = 0.08
"""A gap between two character boxes wider than this share of the line height is a space."""
_PARAGRAPH_GAP = 0.9
"""A gap between two lines taller than this share of the line height ends a paragraph."""
_WRAP_SLACK = 1.0
"""How much short of the room the next piece needs a wrapped line may end, in line heights
(justified lines stretch, typesetters differ in where they may break a URL)."""
_SAME_EDGE = 2.0
"""Lines that end less than this many points apart end at the same edge."""
_WINDOW = 8
"""Lines above and below a line that tell where its text block's right edge is."""
_FOP = "FOP"
"""In the Producer of PDFs made by Apache FOP, which hyphenates URLs like words."""
_EXPERT_FONT_CODES = str.maketrans(
    {
        **{chr(0xF761 + n): chr(ord("a") + n) for n in range(26)},
        **{chr(0xF730 + n): chr(ord("0") + n) for n in range(10)},
    }
)
"""Adobe's private-use code points for small capitals and old-style figures, as the letters
and digits they show (one for one, so the text still matches its character boxes)."""
_URL_START = re.compile(r"https?://", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\ufffe")
"""PDFium's line breaks, and its mark of a hyphenated line end (kept at the end of its line)."""


def read_pdf(data: bytes, document: str) -> list[CitedUrl]:
    """The URLs a PDF links to and shows, page by page (``page 3 link``, ``page 3``).

    Raises:
        DocumentError: the PDF is encrypted or cannot be parsed (what PDFium said about it).
    """
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise DocumentError("the PDF is encrypted") from exc
        raise parser_failure("the PDF cannot be read", exc) from exc
    except Exception as exc:  # a hostile file may make the binding raise anything
        raise parser_failure("the PDF cannot be read", exc) from exc
    try:
        hyphenates = _FOP in info_value(pdf, "Producer")
        pages = [_read_page(pdf, number, hyphenates) for number in range(min(len(pdf), MAX_PAGES))]
    finally:
        pdf.close()
    return _resolve(pages, document)


@dataclass(slots=True)
class _Page:
    """What one page gives: its links (URI, text under them) and the URLs of its text."""

    number: int
    links: list[tuple[str, str]] = field(default_factory=list)
    text_urls: list[CitedUrl] = field(default_factory=list)


def _read_page(pdf: pdfium.PdfDocument, index: int, hyphenates: bool) -> _Page:
    """Page ``index`` (0-based) read; a page PDFium cannot load gives nothing. ``hyphenates``:
    the producer hyphenates URLs like words (see :func:`.urls.urls_in_lines`)."""
    result = _Page(index + 1)
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return result
    try:
        textpage = page.get_textpage()
        try:
            result.links = _links(pdf, page, textpage)
            result.text_urls = _text_urls(textpage, f"page {index + 1}", hyphenates)
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        pass
    finally:
        page.close()
    return result


def _links(
    pdf: pdfium.PdfDocument, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage
) -> list[tuple[str, str]]:
    """The URI links of a page in order, each with the text under its rectangle; one link set
    as several annotations, one per line (each on the line below the one before), is one
    link, its texts joined."""
    links: list[tuple[str, list[str], _Box]] = []
    position = ctypes.c_int(0)
    link = pdfium_c.FPDF_LINK()
    while pdfium_c.FPDFLink_Enumerate(page.raw, ctypes.byref(position), ctypes.byref(link)):
        uri = _uri(pdf, link)
        rect = _rect(link)
        if not uri:
            continue
        under = _text_under(textpage, rect) if rect is not None else ""
        if links and links[-1][0] == uri and rect is not None and _below(links[-1][2], rect):
            links[-1] = (uri, [*links[-1][1], under], rect)
        else:
            links.append((uri, [under], rect or (0.0, 0.0, 0.0, 0.0)))
    return [(uri, entry_text(pieces)) for uri, pieces, _ in links]


def _uri(pdf: pdfium.PdfDocument, link: pdfium_c.FPDF_LINK) -> str:
    """The URI a link goes to, as set (never trimmed like prose), or "" if it is no URL."""
    action = pdfium_c.FPDFLink_GetAction(link)
    if not action or pdfium_c.FPDFAction_GetType(action) != pdfium_c.PDFACTION_URI:
        return ""
    size = pdfium_c.FPDFAction_GetURIPath(pdf.raw, action, None, 0)
    if size <= 1:
        return ""
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFAction_GetURIPath(pdf.raw, action, buffer, size)
    target = _uri_text(buffer.raw[: size - 1]).strip()
    return target if valid_url(target) else ""


def _uri_text(stored: bytes) -> str:
    """A /URI's bytes as text: UTF-8 when they are (hyperref and others store an IRI so),
    else Latin-1, byte for byte."""
    try:
        return stored.decode("utf-8")
    except UnicodeDecodeError:
        return stored.decode("latin-1")


def _rect(link: pdfium_c.FPDF_LINK) -> _Box | None:
    """The rectangle of a link annotation, normalised (left < right, bottom < top)."""
    rect = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDFLink_GetAnnotRect(link, ctypes.byref(rect)):
        return None
    left, right = sorted((rect.left, rect.right))
    bottom, top = sorted((rect.bottom, rect.top))
    return (left, bottom, right, top)


def _below(above: _Box, box: _Box) -> bool:
    """Whether ``box`` is on the line below ``above`` (the next piece of a wrapped link)."""
    height = max(above[3] - above[1], box[3] - box[1])
    return box[3] <= above[3] - 0.5 * height and above[1] - box[3] < height


def _text_under(textpage: pdfium.PdfTextPage, rect: _Box) -> str:
    """The text of the page inside ``rect``."""
    text = textpage.get_text_bounded(*rect, errors="replace")
    # the bounded text marks a hyphen at a line end with U+0002 where the page text has U+FFFE
    return respell_logos(str(text).replace("\x02", SOFT_HYPHEN))


def _text_urls(textpage: pdfium.PdfTextPage, where: str, hyphenates: bool) -> list[CitedUrl]:
    """The URLs of a page's text layer, with its geometry when the text matches the boxes."""
    text = str(textpage.get_text_range(errors="replace")).translate(_EXPERT_FONT_CODES)
    if not _URL_START.search(text):
        return []
    layout = _PageLayout(textpage, text) if len(text) == textpage.count_chars() else None
    if layout is None:
        lines = [respell_logos(text[start:end]) for start, end in _line_ranges(text)]
        return urls_in_lines(lines, "", where=where, hyphenates_urls=hyphenates)
    return urls_in_lines(
        layout.respaced(), "", where=where, layout=layout, hyphenates_urls=hyphenates
    )


def _line_ranges(text: str) -> list[tuple[int, int]]:
    """Where the lines of a page's text start and end; a hyphenated line keeps its mark."""
    ranges = []
    start = 0
    for brk in _LINE_BREAK.finditer(text):
        end = brk.end() if brk.group() == SOFT_HYPHEN else brk.start()
        ranges.append((start, end))
        start = brk.end()
    ranges.append((start, len(text)))
    return ranges


class _PageLayout:
    """The lines of a page's text layer with the boxes of their characters (PDFium's)."""

    def __init__(self, textpage: pdfium.PdfTextPage, text: str) -> None:
        self.textpage = textpage
        self.text = text
        self.ranges = _line_ranges(text)
        self._boxes: dict[int, _Box | None] = {}

    def respaced(self) -> list[str]:
        """The lines, with a space where a URL runs over a visible gap between characters."""
        return [self.respace(index) for index in range(len(self.ranges))]

    def respace(self, index: int) -> str:
        """Line ``index``, a space put in where a URL's characters show a word gap."""
        start, end = self.ranges[index]
        line = self.text[start:end]
        match = _URL_START.search(line)
        if match is None:
            return line
        box = self.box(index)
        height = box[3] - box[1] if box else 0.0
        if height <= 0:
            return line
        pieces = []
        last = 0
        previous = self._char_box(start + match.start())
        for at in range(match.start() + 1, len(line)):
            if line[at].isspace():
                previous = None
                continue
            current = self._char_box(start + at)
            if previous is not None and current is not None and _gap(previous, current, height):
                pieces.append(line[last:at])
                last = at
            previous = current
        pieces.append(line[last:])
        return " ".join(pieces)

    def _char_box(self, index: int) -> _Box | None:
        left, bottom, right, top = self.textpage.get_charbox(index, loose=True)
        return (left, bottom, right, top) if right > left else None

    def box(self, index: int) -> _Box | None:
        """The box around line ``index``'s characters, or ``None`` for an empty line."""
        if index not in self._boxes:
            start, end = self.ranges[index]
            self._boxes[index] = self._span_box(start, end - start)
        return self._boxes[index]

    def _span_box(self, start: int, count: int) -> _Box | None:
        if count <= 0:
            return None
        rects = [self.textpage.get_rect(n) for n in range(self.textpage.count_rects(start, count))]
        if not rects:
            return None
        return (
            min(r[0] for r in rects),
            min(r[1] for r in rects),
            max(r[2] for r in rects),
            max(r[3] for r in rects),
        )

    def _right_edge(self, index: int, box: _Box) -> float:
        """The right edge of the text block of line ``index``, from the lines around it that
        overlap it: where at least two of the longer half of them end (justified text), else
        the furthest (ragged text, code)."""
        low, high = max(0, index - _WINDOW), min(len(self.ranges), index + _WINDOW + 1)
        rights = [box[2]]
        for other in range(low, high):
            near = self.box(other)
            if other != index and near is not None and near[0] < box[2] and near[2] > box[0]:
                rights.append(near[2])
        rights.sort(reverse=True)
        median = rights[len(rights) // 2]
        for first, second in itertools.pairwise(rights):
            if first - second < _SAME_EDGE and second >= median:
                return first
        return rights[0]

    def wrapped(self, line: int, following: int, start: int, length: int) -> bool | None:
        """Whether ``line`` ends so near its block's right edge that the first ``length``
        characters from ``start`` of line ``following`` did not fit after it."""
        box = self.box(line)
        first = self.ranges[following][0] + start
        chunk = self._span_box(first, length)
        if box is None or chunk is None:
            return None
        gap = self._right_edge(line, box) - box[2]
        return gap < (chunk[2] - chunk[0]) + _WRAP_SLACK * (box[3] - box[1])

    def new_entry(self, line: int) -> bool:
        """Whether a gap above ``line`` (or a column change) starts a new paragraph."""
        if line == 0:
            return False
        above, box = self.box(line - 1), self.box(line)
        if above is None or box is None:
            return False
        height = max(box[3] - box[1], above[3] - above[1])
        if box[0] >= above[2] or box[2] <= above[0]:
            return True  # no horizontal overlap: another column
        return above[1] - box[3] > _PARAGRAPH_GAP * height or box[3] > above[3] + height


def _gap(before: _Box, after: _Box, height: float) -> bool:
    """Whether two character boxes on one line stand apart like two words."""
    return after[0] - before[2] > _WORD_GAP * height


def _resolve(pages: list[_Page], document: str) -> list[CitedUrl]:
    """The document's URLs: its links, and those text URLs that are no broken copy of one."""
    annotated = {uri for page in pages for uri, _ in page.links}
    linked = {_bare(uri) for uri in annotated}
    found: list[CitedUrl] = []
    for page in pages:
        on_page = [uri for uri, _ in page.links]
        for uri, under in page.links:
            text = under if not _only_url(under, uri) else _entry_of(uri, page.text_urls)
            found.append(CitedUrl(uri, document, f"page {page.number} link", text))
        for cited in page.text_urls:
            if _bare(cited.url) not in linked and not _copy_of_link(cited.url, annotated, on_page):
                found.append(CitedUrl(cited.url, document, cited.where, cited.text))
    return found


def _bare(url: str) -> str:
    """``url`` without its scheme and hyphens, for comparing a printed URL with a link's
    target (a typesetter's hyphen at a line end looks like one of the URL's own)."""
    return url.split("://", 1)[-1].replace("-", "")


def _only_url(text: str, uri: str) -> bool:
    """Whether the text under a link is (a piece of) its URL printed, not words."""
    compact = "".join(text.split())
    return not compact or _bare(compact) in _bare(uri) or "://" in compact


def _entry_of(uri: str, text_urls: list[CitedUrl]) -> str:
    """The entry text of the printed URL on the page that is ``uri`` (or a piece of it)."""
    bare = _bare(uri)
    for cited in text_urls:
        if _bare(cited.url) in bare or bare in _bare(cited.url):
            return cited.text
    return ""


def _copy_of_link(url: str, annotated: set[str], on_page: list[str]) -> bool:
    """Whether the text URL ``url`` is the text layer's broken copy of an annotated URL: a
    prefix or a piece of one, one shortened with an ellipsis, or an extension of one on the
    same page (glued text)."""
    bare = _bare(url)
    if any(bare in _bare(uri) for uri in annotated):
        return True
    head = re.split(r"\.\.\.|\u2026", bare, maxsplit=1)[0]
    if head != bare and any(_bare(uri).startswith(head) for uri in annotated):
        return True  # printed shortened ("blob/mas...r_audit.pdf"), linked in full
    return any(bare.startswith(_bare(uri)) and _deep(uri) for uri in on_page)


def _deep(uri: str) -> bool:
    """Whether ``uri`` has a path below the root (a home page link swallows no deeper URL)."""
    return urlsplit(uri).path.strip("/") != ""
