"""Title candidates and text from PDF bytes: PDFium (pypdfium2) reads, pypdf fills in XMP.

PDFium (the PDF engine of Chromium, through pypdfium2) reads the Info dictionary and the text
of the pages: it is about ten times faster than pypdf on real documents and decodes CID fonts
and ToUnicode maps as browsers do (``benchmarks/pdf_engines.py`` measures both). pypdfium2 has
no access to the XMP packet, so pypdf reads ``dc:title`` there, and only when it can matter:
when the Info dictionary has no title, or when nothing else carried the expected one.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import re
import warnings
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

from .._models import DocFormat, Inspection, Problem, ProblemKind, TitleCandidate
from .garbage import is_garbage_title
from .match import text_fingerprint
from .readable import assess_text

__all__ = ["PdfDocument", "info_value", "page_text", "quiet_pypdf"]

# PDFium joins a word hyphenated across a line break into one, marked with U+FFFE where the
# hyphen and the break were, and ends lines with CR LF. Both are put back as they are printed
# (the matcher decides whether the hyphen belongs to the word, as for any other extractor).
_PAGE_TEXT_FIXES = str.maketrans(
    {
        "\ufffe": "-\n",
        "\r": None,
        # Adobe's private-use code points for small capitals and old-style figures (the
        # Adobe Glyph List's "asmall" ... "zsmall" at U+F761-F77A, "zerooldstyle" ...
        # "nineoldstyle" at U+F730-F739), used by expert fonts without a ToUnicode map.
        **{chr(0xF761 + n): chr(ord("a") + n) for n in range(26)},
        **{chr(0xF730 + n): chr(ord("0") + n) for n in range(10)},
    }
)
# Word's PDF export maps the ligatures of some fonts (Calibri, Cambria, the SIL fonts) to
# Latin letters of their own: "tt" to U+01A9, "ti" to U+019F ("HarmaƩan", "opƟonal"). They
# are only read as ligatures between lower-case letters, where the real letters never stand.
_WORD_LIGATURES = re.compile("(?<=[a-z])([\u01a9\u019f])(?=[a-z])")
_WORD_LIGATURE_TEXT = {"\u01a9": "tt", "\u019f": "ti"}
# The XeTeX and XeLaTeX logos draw a mirrored E; PDFium orders characters by position and puts
# the mirrored one after the next letter: "X TEEX", "X LE ATEX" (pypdf keeps drawing order).
UNMAPPED_SHARE = 0.5
"""A page is unreadable when at least this share of its characters has no Unicode mapping."""
_MIRRORED_LOGOS = (
    (re.compile(r"X ?TEEX"), "XeTeX"),
    (re.compile(r"X ?LE\s?ATEX"), "XeLaTeX"),
)


class PdfDocument:
    """A parsed PDF whose Info title is read at once and whose pages are read on demand.

    ``problem`` is set when the document cannot be verified (unparsable, encrypted, ...).
    """

    def __init__(self, data: bytes, *, max_pages: int) -> None:
        self.titles: list[TitleCandidate] = []
        self.pages = 0
        self.problem: Problem | None = None
        self._data = data
        self._max_pages = max_pages
        self._pdf: pdfium.PdfDocument | None = None
        self._xmp_read = False
        self._text_seen = False
        self._first_text = ""
        self._pages_read = 0
        self._texts: list[str] = []
        self.unreadable: list[tuple[int, str]] = []
        """Pages whose text layer is garbage (number, why), left out of what is searched."""
        self.first_page = ""
        """The text of page 1 once read (empty if it was unreadable as a whole)."""
        self._searched: list[int] = []
        try:
            pdf = pdfium.PdfDocument(data)
            self.pages = len(pdf)
            self._read_info(pdf)
        except pdfium.PdfiumError as exc:
            self.problem = _open_problem(exc)
            return
        self._pdf = pdf

    def _read_info(self, pdf: pdfium.PdfDocument) -> None:
        title = info_value(pdf, "Title").strip()
        producer = info_value(pdf, "Producer")
        if title and not is_garbage_title(title, producer=producer):
            self.titles.append(TitleCandidate("metadata", title))

    def xmp_titles(self) -> list[TitleCandidate]:
        """The XMP ``dc:title`` as a candidate, read (with pypdf) on the first call only."""
        if self._xmp_read or self._pdf is None:
            return []
        self._xmp_read = True
        title = _xmp_title(self._data)
        if title is None:
            return []
        return [TitleCandidate("xmp", title)]

    def page_texts(self) -> Iterator[TitleCandidate]:
        """The text of the first ``max_pages`` pages, one candidate per page, lazily."""
        if self._pdf is None:
            return
        for number in range(min(self._max_pages, self.pages)):
            self._pages_read += 1
            try:
                text = page_text(self._pdf, number)
            except pdfium.PdfiumError as exc:
                if number == 0 and not self.titles:
                    self.problem = Problem(
                        ProblemKind.UNREADABLE_PAGE, f"page 1 cannot be read ({exc})"[:300]
                    )
                continue
            candidate = self._take(number, text)
            if candidate is not None:
                yield candidate

    def _take(self, number: int, text: str) -> TitleCandidate | None:
        """Page ``number`` (0-based) read as ``text``: gated, kept, and a candidate if readable."""
        gate = assess_text(text)
        if gate.reason is not None:
            self.unreadable.append((number + 1, gate.reason))
            return None
        self._texts.append(text)
        self._searched.append(number)
        if number == 0:
            self.first_page = text
        if text.strip():
            self._text_seen = True
            if not self._first_text:
                self._first_text = text
        return TitleCandidate(f"page {number + 1}", text)

    def find_unmapped(self) -> None:
        """Add to :attr:`unreadable` the searched pages most of whose characters PDFium found
        no Unicode for: what they read as are the font's internal codes, which may well look
        like words ("Wkh Dqqxdo Uhsruw" for "The Annual Report"), so the text gate passes them.

        Called only when the title was not found (it costs a pass over each page's characters).
        """
        if self._pdf is None:
            return
        for number in self._searched:
            try:
                share = unmapped_share(self._pdf, number)
            except pdfium.PdfiumError:
                continue
            if share >= UNMAPPED_SHARE:
                why = f"its fonts have no Unicode map ({share:.0%} of its characters have none)"
                self.unreadable.append((number + 1, why))
        self.unreadable.sort()

    def finish(self) -> Inspection:
        """The inspection, after :meth:`page_texts` was consumed as far as needed."""
        problem = self.problem
        if problem is None and self._pages_read and not self._text_seen:
            problem = Problem(
                ProblemKind.NO_TEXT_LAYER,
                f"no text layer in the first {self._pages_read} page(s) (a scanned PDF?)",
            )
        titles = list(self.titles)
        if not titles:
            first = _first_line(self._first_text)
            if first:
                titles.append(TitleCandidate("page 1", first))
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
        return Inspection(
            DocFormat.PDF,
            tuple(titles),
            pages=self.pages,
            problem=problem,
            text_sha256=text_fingerprint("\n".join(self._texts)) if self._text_seen else None,
        )


def page_text(pdf: pdfium.PdfDocument, number: int) -> str:
    """The text of page ``number`` (0-based) as PDFium extracts it, with plain line breaks."""
    page = pdf[number]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range(errors="replace")
        finally:
            textpage.close()
    finally:
        page.close()
    return respell_logos(str(text).translate(_PAGE_TEXT_FIXES))


def unmapped_share(pdf: pdfium.PdfDocument, number: int) -> float:
    """The share of page ``number``'s characters that PDFium could not map to Unicode."""
    page = pdf[number]
    try:
        textpage = page.get_textpage()
        try:
            count = pdfium_c.FPDFText_CountChars(textpage)
            errors = sum(
                pdfium_c.FPDFText_HasUnicodeMapError(textpage, index) == 1 for index in range(count)
            )
        finally:
            textpage.close()
    finally:
        page.close()
    return errors / count if count > 0 else 0.0


def respell_logos(text: str) -> str:
    """``text`` with the XeTeX and XeLaTeX logos as PDFium extracts them spelled out, and
    Word's ligature letters (see ``_WORD_LIGATURES``) as the letters they stand for."""
    if "EX" in text:
        for logo, spelled in _MIRRORED_LOGOS:
            text = logo.sub(spelled, text)
    if "\u01a9" in text or "\u019f" in text:
        text = _WORD_LIGATURES.sub(lambda m: _WORD_LIGATURE_TEXT[m.group(1)], text)
    return text


def info_value(pdf: pdfium.PdfDocument, key: str) -> str:
    """The Info dictionary's ``key`` as text ("" when absent); undecodable UTF-16 (a lone
    surrogate) is replaced, not an error as in ``PdfDocument.get_metadata_value``."""
    name = (key + "\0").encode("ascii")
    size = pdfium_c.FPDF_GetMetaText(pdf, name, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDF_GetMetaText(pdf, name, buffer, size)
    return buffer.raw[: size - 2].decode("utf-16-le", errors="replace")


def _open_problem(exc: pdfium.PdfiumError) -> Problem:
    if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
        return Problem(
            ProblemKind.ENCRYPTED, "the PDF is encrypted and does not open without a password"
        )
    if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
        return Problem(ProblemKind.UNSUPPORTED, "the PDF uses an unsupported security handler")
    return Problem(ProblemKind.UNPARSABLE, f"the PDF cannot be parsed ({exc})"[:300])


def _xmp_title(data: bytes) -> str | None:
    """``dc:title`` of the document's XMP packet, if it has a usable one."""
    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(data), strict=False)
            xmp = reader.xmp_metadata
            dc_title = xmp.dc_title if xmp is not None else None
    except Exception:  # a damaged XMP packet only costs this candidate
        return None
    for value in (dc_title or {}).values():
        if value and value.strip() and not is_garbage_title(value):
            return str(value.strip())
    return None


def _first_line(text: str) -> str | None:
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 3]
    return " ".join(lines[:2])[:160] if lines else None


@contextlib.contextmanager
def quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's warnings and log messages about sloppy files (the library prints
    nothing; ``check`` and ``extract`` both read PDFs under this)."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
