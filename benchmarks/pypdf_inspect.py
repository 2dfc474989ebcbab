"""The reference engine of ``title_accuracy.py --engine pypdf``: factlinks' PDF reader as it was
before PDFium (commit d30b2e8, ``src/factlinks/_inspect/pdf.py``), pypdf for everything.

Kept so the speed and accuracy of the two engines are measured side by side, in one run, on
the same corpus and machine. ``xmp_titles`` exists for the interface of today's reader: this
one reads the XMP title at once, with the Info title. It subclasses today's reader only to
share ``finish``; it never opens a document with PDFium.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from factlinks._inspect import pdf as pdfium_reader
from factlinks._inspect.garbage import is_garbage_title
from factlinks._inspect.pdf import quiet_pypdf
from factlinks._models import Problem, ProblemKind, TitleCandidate

__all__ = ["PdfDocument"]


class PdfDocument(pdfium_reader.PdfDocument):
    """A parsed PDF whose title fields are read at once and whose pages are read on demand.

    ``problem`` is set when the document cannot be verified (unparsable, encrypted, ...).
    ``finish`` is today's (the same for both engines).
    """

    def __init__(self, data: bytes, *, max_pages: int) -> None:
        self._pdf = None
        self.first_page = ""
        self.titles: list[TitleCandidate] = []
        self.pages = 0
        self.problem: Problem | None = None
        self._max_pages = max_pages
        self._reader: PdfReader | None = None
        self._text_seen = False
        self._first_text = ""
        self._pages_read = 0
        self._texts: list[str] = []
        self.unreadable: list[tuple[int, str]] = []
        """Pages whose text layer is garbage (number, why), left out of what is searched."""
        try:
            with quiet_pypdf():
                reader = PdfReader(io.BytesIO(data), strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    self.problem = Problem(
                        ProblemKind.ENCRYPTED,
                        "the PDF is encrypted and does not open without a password",
                    )
                    return
                self.pages = len(reader.pages)
                self._read_titles(reader)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            self.problem = Problem(
                ProblemKind.UNPARSABLE,
                f"the PDF cannot be parsed ({type(exc).__name__}: {exc})"[:300],
            )
            return
        except NotImplementedError as exc:
            self.problem = Problem(
                ProblemKind.UNSUPPORTED, f"the PDF uses an unsupported feature ({exc})"[:300]
            )
            return
        self._reader = reader

    def _read_titles(self, reader: PdfReader) -> None:
        info = reader.metadata
        if info is not None and info.title:
            title = str(info.title).strip()
            if not is_garbage_title(title, producer=str(info.producer or "")):
                self.titles.append(TitleCandidate("metadata", title))
        try:
            xmp = reader.xmp_metadata
            dc_title = xmp.dc_title if xmp is not None else None
        except Exception:
            dc_title = None
        if dc_title:
            for value in dc_title.values():
                if value and value.strip() and not is_garbage_title(value):
                    self.titles.append(TitleCandidate("xmp", value.strip()))
                    break

    def xmp_titles(self) -> list[TitleCandidate]:
        """Nothing more: the XMP title was read with the Info title."""
        return []

    def page_texts(self) -> Iterator[TitleCandidate]:
        """The text of the first ``max_pages`` pages, one candidate per page, lazily."""
        if self._reader is None:
            return
        for number in range(min(self._max_pages, self.pages)):
            self._pages_read += 1
            try:
                with quiet_pypdf():
                    text = self._reader.pages[number].extract_text() or ""
            except Exception as exc:
                if number == 0 and not self.titles:
                    self.problem = Problem(
                        ProblemKind.UNREADABLE_PAGE, f"page 1 cannot be read ({type(exc).__name__})"
                    )
                continue
            candidate = self._take(number, text)
            if candidate is not None:
                yield candidate
