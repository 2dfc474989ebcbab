"""Generate small, valid PDF files for tests (standard library only).

The files are deliberately simple: one standard Type 1 font (Helvetica, WinAnsiEncoding, so
German umlauts, ``ß`` and the en dash work), uncompressed content streams, a classic cross
reference table with correct byte offsets and a trailer with ``/Size``, ``/Root``, ``/Info`` and
``/ID``. The output is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as _escape_xml

__all__ = [
    "Link",
    "Placed",
    "column",
    "link_rect",
    "make_laid_out_pdf",
    "make_pdf",
    "make_pdf_with_unmapped_font",
    "make_pdf_without_text",
    "make_slow_pdf",
    "text_width",
    "wrap",
]

_PAGE_WIDTH = 612  # US Letter, in points
_PAGE_HEIGHT = 792
_MARGIN = 72
_FONT_SIZE = 12
_LEADING = 14

_XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">{title}</rdf:li>
    </rdf:Alt>
   </dc:title>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

# Fonts without a ToUnicode map, as a Word document printed through a PostScript driver (glyphs
# named /g0003, /g0004, ...) or a CID font with Identity-H encoding and no Unicode map (each
# two-byte glyph id is read as a code point) leave them.
_GLYPH_NAMES_FONT = (
    b"<< /Type /Font /Subtype /Type1 /BaseFont /ABCDEF+Calibri /Encoding << /Type /Encoding"
    b" /Differences [1 %s] >> >>" % b" ".join(b"/g%04d" % (3 + code) for code in range(255))
)
_IDENTITY_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /MS-Mincho /Encoding /Identity-H"
    b" /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /MS-Mincho"
    b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>] >>"
)


def _literal(data: bytes) -> bytes:
    """A PDF literal string; ``( ) \\`` and bytes outside printable ASCII are escaped."""
    out = bytearray(b"(")
    for byte in data:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 0x20 <= byte < 0x7F:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    out += b")"
    return bytes(out)


def _text_string(text: str) -> bytes:
    """A PDF text string: a literal when ASCII, else UTF-16BE with BOM in hex form."""
    if text.isascii():
        return _literal(text.encode("ascii"))
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _encode_line(line: str) -> bytes:
    try:
        return line.encode("cp1252")
    except UnicodeEncodeError as exc:
        bad = line[exc.start : exc.end]
        raise ValueError(f"character {bad!r} cannot be shown with WinAnsiEncoding") from exc


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(content), extra, content)


def _text_content(text: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ops = [
        b"BT",
        b"/F1 %d Tf" % _FONT_SIZE,
        b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN),
    ]
    for index, line in enumerate(lines):
        if index:
            ops.append(b"0 -%d Td" % _LEADING)
        ops.append(_literal(_encode_line(line)) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops)


def _rectangle_content() -> bytes:
    width = _PAGE_WIDTH - 2 * _MARGIN
    height = _PAGE_HEIGHT - 2 * _MARGIN
    return b"q\n0.6 g\n%d %d %d %d re\nf\nQ" % (_MARGIN, _MARGIN, width, height)


def _build(
    contents: Sequence[bytes],
    *,
    with_font: bool,
    title: str | None,
    xmp_title: str | None,
    producer: str | None,
    compress: bool = False,
    links: Sequence[str] = (),
    font_dict: bytes = _HELVETICA,
    rect_links: Sequence[Sequence[tuple[str, tuple[float, ...]]]] = (),
) -> bytes:
    # Object numbers: 1 catalog, 2 page tree, 3 info, then optional font and metadata, then a
    # page object and its content stream per page.
    objects: list[bytes] = [b"", b"", b""]

    def new_object(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    info = b""
    if title is not None:
        info += b" /Title " + _text_string(title)
    if producer is not None:
        info += b" /Producer " + _text_string(producer)
    objects[2] = b"<<" + info + b" >>"

    resources = b"<< >>"
    if with_font:
        fonts = b"/F1 %d 0 R" % new_object(font_dict)
        if (
            font_dict != _HELVETICA and not rect_links
        ):  # F2: Helvetica, for the readable pages of a mixed file
            fonts += b" /F2 %d 0 R" % new_object(_HELVETICA)
        resources = b"<< /Font << %s >> >>" % fonts

    catalog_extra = b""
    if xmp_title is not None:
        xmp = _XMP_TEMPLATE.format(title=_escape_xml(xmp_title)).encode("utf-8")
        metadata = new_object(_stream(xmp, b" /Type /Metadata /Subtype /XML"))
        catalog_extra = b" /Metadata %d 0 R" % metadata

    annots = _link_annotations(links, new_object)

    kids: list[int] = []
    for index, content in enumerate(contents):
        if compress:
            content_ref = new_object(_stream(zlib.compress(content, 9), b" /Filter /FlateDecode"))
        else:
            content_ref = new_object(_stream(content))
        kids.append(
            new_object(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources %s"
                b" /Contents %d 0 R%s >>"
                % (
                    _PAGE_WIDTH,
                    _PAGE_HEIGHT,
                    resources,
                    content_ref,
                    (annots if index == 0 else b"")
                    + _rect_annotations(rect_links, index, new_object),
                )
            )
        )

    objects[0] = b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog_extra
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )

    return _serialise(objects)


def _rect_annotations(
    rect_links: Sequence[Sequence[tuple[str, tuple[float, ...]]]],
    index: int,
    new_object: Callable[[bytes], int],
) -> bytes:
    """The ``/Annots`` of page ``index``: one link annotation per (URI, rectangle)."""
    if index >= len(rect_links) or not rect_links[index]:
        return b""
    refs = [
        new_object(
            b"<< /Type /Annot /Subtype /Link /Rect [%s] /Border [0 0 0]"
            b" /A << /S /URI /URI %s >> >>"
            % (b" ".join(b"%.2f" % v for v in rect), _literal(uri.encode("ascii")))
        )
        for uri, rect in rect_links[index]
    ]
    return b" /Annots [%s]" % b" ".join(b"%d 0 R" % ref for ref in refs)


def _link_annotations(links: Sequence[str], new_object: Callable[[bytes], int]) -> bytes:
    """One link annotation object per URL (stacked down the page); the page's ``/Annots``."""
    if not links:
        return b""
    refs = []
    for number, url in enumerate(links):
        y = _PAGE_HEIGHT - _MARGIN - 20 * (number + 1)
        refs.append(
            new_object(
                b"<< /Type /Annot /Subtype /Link /Rect [%d %d %d %d] /Border [0 0 0]"
                b" /A << /S /URI /URI %s >> >>"
                % (_MARGIN, y, _MARGIN + 200, y + 12, _literal(url.encode("ascii")))
            )
        )
    return b" /Annots [%s]" % b" ".join(b"%d 0 R" % ref for ref in refs)


def _serialise(objects: Sequence[bytes]) -> bytes:
    """The file: header, the objects numbered from 1, the cross-reference table, the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)

    xref_offset = len(out)
    size = len(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    file_id = hashlib.sha256(out).hexdigest()[:32].upper().encode("ascii")
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R /ID [<%s> <%s>] >>\n" % (
        size,
        file_id,
        file_id,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def make_pdf(
    pages: Sequence[str],
    *,
    title: str | None = None,
    xmp_title: str | None = None,
    producer: str | None = None,
    links: Sequence[str] = (),
) -> bytes:
    """Return a PDF with one page per entry of ``pages``.

    Each page's text is drawn in Helvetica 12pt, one text line per line of the string. Text must
    be encodable as cp1252 (WinAnsiEncoding), otherwise :class:`ValueError` is raised. ``title``
    and ``producer`` go into the document information dictionary; ``xmp_title`` becomes the
    ``dc:title`` (``x-default``) of an XMP metadata stream on the catalog. ``links`` become
    link annotations (``/URI`` actions) on the first page.
    """
    if isinstance(pages, str):
        raise TypeError("pages must be a sequence of strings, not a string")
    if not pages:
        raise ValueError("a PDF needs at least one page")
    contents = [_text_content(text) for text in pages]
    return _build(
        contents,
        with_font=True,
        title=title,
        xmp_title=xmp_title,
        producer=producer,
        links=links,
    )


def make_pdf_with_unmapped_font(
    pages: Sequence[str | Sequence[int]],
    *,
    kind: str = "glyph-names",
    title: str | None = None,
) -> bytes:
    """Return a PDF whose text is drawn in a font without a Unicode map (no ``/ToUnicode``).

    ``kind="glyph-names"``: a simple font whose encoding names its glyphs ``/g0003``, ``/g0004``
    ...; each page is a string whose characters (code points 1-255) pick glyphs, so the text
    extracts as glyph names. ``kind="identity"``: a CID font with ``Identity-H`` encoding; each
    page is a sequence of glyph ids (0-65535), which extract as the code points of those
    numbers (``[0x0391, 0x1EAE]`` reads "ΑẮ"). A page given as a plain ``str`` in ``identity``
    mode is drawn in Helvetica instead, so readable and unreadable pages can be mixed.
    """
    if kind not in ("glyph-names", "identity"):
        raise ValueError(f"unknown kind {kind!r}")
    contents = []
    for page in pages:
        if kind == "identity" and isinstance(page, str):
            contents.append(_text_content(page).replace(b"/F1 ", b"/F2 ", 1))
            continue
        if kind == "identity":
            shown = b"<" + b"".join(b"%04X" % glyph for glyph in page) + b">"
        else:
            shown = _literal(bytes(ord(char) for char in page))
        contents.append(
            b"BT\n/F1 %d Tf\n%d %d Td\n%s Tj\nET"
            % (_FONT_SIZE, _MARGIN, _PAGE_HEIGHT - _MARGIN, shown)
        )
    font = _GLYPH_NAMES_FONT if kind == "glyph-names" else _IDENTITY_FONT
    return _build(
        contents, with_font=True, title=title, xmp_title=None, producer=None, font_dict=font
    )


def make_pdf_without_text(n_pages: int = 1) -> bytes:
    """Return a PDF whose pages only show a filled rectangle (like a scan without OCR)."""
    if n_pages < 1:
        raise ValueError("a PDF needs at least one page")
    contents = [_rectangle_content()] * n_pages
    return _build(contents, with_font=False, title=None, xmp_title=None, producer=None)


def make_slow_pdf(operators: int, n_pages: int = 1, *, title: str | None = None) -> bytes:
    """Return a small PDF whose pages each draw ``operators`` text operators.

    The content streams are compressed, so the file stays a few kilobytes while text
    extraction has to walk every operator: a stand-in for a hostile document that keeps a
    parser busy.
    """
    ops = b"BT\n/F1 %d Tf\n%d %d Td\n" % (_FONT_SIZE, _MARGIN, _PAGE_HEIGHT - _MARGIN)
    content = ops + b"(x) Tj\n" * operators + b"ET"
    return _build(
        [content] * n_pages,
        with_font=True,
        title=title,
        xmp_title=None,
        producer=None,
        compress=True,
    )


def make_pdf_with_xetex_logo(before: str = "About ", after: str = "") -> bytes:
    """Return a PDF whose one line shows ``before`` + the XeTeX logo + ``after``, drawn as the
    logo macro of XeTeX draws it: X, an E mirrored by a text matrix with a negative x scale
    (so it is drawn leftwards from its origin), T, a lowered E, X (Helvetica's advances)."""
    size, y = _FONT_SIZE, _PAGE_HEIGHT - _MARGIN
    x = _MARGIN + 0.5 * size * len(before)
    glyphs = [  # (x scale, x, y offset, text)
        (1, _MARGIN, 0, _encode_line(before)),
        (1, x, 0, b"X"),
        (-1, x + (2 * 0.667 + 0.2) * size, 0, b"E"),  # its right edge overhangs the T
        (1, x + 2 * 0.667 * size - 2, 0, b"T"),
        (1, x + (2 * 0.667 + 0.5) * size, -3, b"E"),
        (1, x + (3 * 0.667 + 0.5) * size, 0, b"X" + _encode_line(after)),
    ]
    ops = [
        b"BT /F1 %d Tf %d 0 0 1 %.1f %d Tm %s Tj ET" % (size, scale, left, y + dy, _literal(text))
        for scale, left, dy, text in glyphs
    ]
    return _build([b"\n".join(ops)], with_font=True, title=None, xmp_title=None, producer=None)


def make_pdf_with_unmapped_title(glyphs: Sequence[int], body: str) -> bytes:
    """Return a one-page PDF whose first line is drawn in a CID font without a Unicode map
    (``Identity-H``: ``glyphs`` extract as the code points of those numbers, as for
    :func:`make_pdf_with_unmapped_font`) and whose ``body`` below it is plain Helvetica."""
    shown = b"<" + b"".join(b"%04X" % glyph for glyph in glyphs) + b">"
    head = b"BT\n/F1 %d Tf\n%d %d Td\n%s Tj\nET" % (
        _FONT_SIZE * 2,
        _MARGIN,
        _PAGE_HEIGHT - _MARGIN,
        shown,
    )
    rest = _text_content(body).replace(b"/F1 ", b"/F2 ", 1)
    rest = rest.replace(
        b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN),
        b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN - 3 * _LEADING),
        1,
    )
    return _build(
        [head + b"\n" + rest],
        with_font=True,
        title=None,
        xmp_title=None,
        producer=None,
        font_dict=_IDENTITY_FONT,
    )


# -- laid-out pages: lines where a typesetter puts them, links over the words they are set on --

_HELVETICA_WIDTHS = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
        (
            278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
            *[556] * 10, 278, 278, 584, 584, 584, 556, 1015,
            667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667,
            778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333,
            556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556,
            556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
        ),
        strict=True,
    )
)  # fmt: skip
"""Helvetica's advance widths (its AFM file), in thousandths of the font size."""
_OTHER_WIDTHS = {"\u2022": 350, "\u2013": 556, "\u2014": 1000, "ß": 611, "Ä": 667, "Ö": 778}


def char_width(char: str) -> int:
    """The advance width of ``char`` in Helvetica, in thousandths of the font size (the widths
    the laid-out PDFs declare, so a viewer places every character where this says)."""
    if char in _HELVETICA_WIDTHS:
        return _HELVETICA_WIDTHS[char]
    return _OTHER_WIDTHS.get(char, 722 if char.isupper() else 556)


def text_width(text: str, size: float) -> float:
    """The width of ``text`` set in Helvetica at ``size`` points."""
    return sum(char_width(char) for char in text) * size / 1000


def _declared_widths_font() -> bytes:
    widths = [
        char_width(bytes([code]).decode("cp1252", errors="replace")) for code in range(32, 256)
    ]
    return (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding"
        b" /FirstChar 32 /LastChar 255 /Widths [%s] >>" % b" ".join(b"%d" % w for w in widths)
    )


@dataclass(frozen=True, slots=True)
class Placed:
    """One line of text at a position: its baseline starts at (``x``, ``y``)."""

    text: str
    x: float
    y: float
    size: float = 10.0
    gaps: tuple[tuple[int, int], ...] = ()
    """(character index, thousandths of the size): space put before that character with a
    ``TJ`` offset, no space character in the text (how some producers set word spaces)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link annotation over characters ``start`` to ``end`` of line ``line`` of a page."""

    uri: str
    line: int
    start: int = 0
    end: int | None = None


def column(
    lines: Sequence[str],
    *,
    x: float = _MARGIN,
    top: float = _PAGE_HEIGHT - _MARGIN,
    size: float = 10.0,
    leading: float | None = None,
) -> list[Placed]:
    """``lines`` set one under the other from ``top``; an empty line leaves a line's gap."""
    step = leading if leading is not None else size * 1.2
    placed = []
    y = top
    for line in lines:
        if line.strip():
            placed.append(Placed(line, x, y, size))
        y -= step
    return placed


def wrap(text: str, width: float, size: float = 10.0) -> list[str]:
    """``text`` broken into lines at most ``width`` points wide, as a typesetter fills them:
    at spaces, and a URL (a word with ``://``) that does not fit is broken after the last
    ``/``, ``.``, ``-``, ``_``, ``?``, ``&``, ``=`` or ``#`` that still fits on the line (as
    LaTeX's url package does); a word longer than a line is broken the same way."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while True:
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size) <= width:
                line = candidate
                break
            room = width - text_width(f"{line} " if line else "", size)
            cut = _break_point(word, room, size) if "://" in word or not line else 0
            if cut:
                lines.append(f"{line} {word[:cut]}" if line else word[:cut])
                word = word[cut:]
            else:
                lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return lines


_URL_BREAKS = "/.-_?&=#"
"""The characters after which ``wrap`` breaks a URL (LaTeX's url package's, and ``-``)."""


def _break_point(word: str, room: float, size: float) -> int:
    """Where ``word`` may be broken so that its first part fits into ``room`` points: after
    the last of :data:`_URL_BREAKS` that fits, else 0 (it does not fit at all)."""
    fits = 0
    while fits < len(word) and text_width(word[: fits + 1], size) <= room:
        fits += 1
    for at in range(fits, 0, -1):
        if word[at - 1] in _URL_BREAKS and at < len(word):
            return at
    return 0


def link_rect(line: Placed, start: int = 0, end: int | None = None) -> tuple[float, ...]:
    """The rectangle over characters ``start`` to ``end`` of ``line``, as a typesetter sets a
    link: from below the baseline to above the capitals."""
    stop = len(line.text) if end is None else end
    left = line.x + _advance(line, start)
    right = line.x + _advance(line, stop)
    return (left, line.y - 0.25 * line.size, right, line.y + 0.9 * line.size)


def _advance(line: Placed, stop: int) -> float:
    """How far from ``line.x`` character ``stop`` of ``line`` starts."""
    gaps = sum(amount for at, amount in line.gaps if at <= stop and at < len(line.text))
    return text_width(line.text[:stop], line.size) + gaps * line.size / 1000


def _shown(line: Placed) -> bytes:
    """The ``TJ`` array of ``line``: its text, with the offsets of its ``gaps``."""
    parts = []
    last = 0
    for at, amount in sorted(line.gaps):
        parts.append(_literal(_encode_line(line.text[last:at])) + b" %d" % -amount)
        last = at
    parts.append(_literal(_encode_line(line.text[last:])))
    return b" ".join(parts)


def make_laid_out_pdf(
    pages: Sequence[Sequence[Placed]],
    links: Sequence[Sequence[Link]] = (),
    *,
    title: str | None = None,
    producer: str | None = None,
) -> bytes:
    """Return a PDF whose pages show the ``Placed`` lines (Helvetica with declared widths) and
    carry the link annotations of ``links`` (one list per page), each over the characters of
    its line it names."""
    contents = []
    for page in pages:
        ops = [
            b"BT /F1 %.2f Tf 1 0 0 1 %.2f %.2f Tm [%s] TJ ET"
            % (line.size, line.x, line.y, _shown(line))
            for line in page
        ]
        contents.append(b"\n".join(ops) or b"% empty")
    annotations = [
        [(link.uri, link_rect(page[link.line], link.start, link.end)) for link in page_links]
        for page, page_links in zip(
            pages, list(links) + [[]] * (len(pages) - len(links)), strict=False
        )
    ]
    return _build(
        contents,
        with_font=True,
        title=title,
        xmp_title=None,
        producer=producer,
        font_dict=_declared_widths_font(),
        rect_links=annotations,
    )
