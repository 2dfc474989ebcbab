"""How a fetched body is read in a parse worker: its title candidates (HTML, PDF, text)
matched against the expected one.

Imported by the parse workers (through :meth:`factlinks._inspect.ParseRequest.run`), not by
the main process of ``check``, which sniffs formats but never parses: it does not pay for
importing BeautifulSoup, PDFium and pypdf.
"""

from __future__ import annotations

import dataclasses

from .._models import DocFormat, Inspection, Problem, ProblemKind, TitleCandidate, TitleEvidence
from .._text import MAX_SEARCHED_TITLE_CHARS, clean_text
from . import sniff_format
from .html import charset_from_header, html_candidates
from .match import match_title, text_fingerprint
from .pdf import PdfDocument
from .readable import unreadable_head

__all__ = ["analyse"]


def analyse(
    body: bytes,
    content_type: str | None,
    *,
    truncated: bool,
    expected_title: str | None,
    max_pages: int,
) -> tuple[Inspection, TitleEvidence | None]:
    """Inspect ``body`` and, if ``expected_title`` is given, look for it.

    PDF pages are read one at a time and reading stops once the title is found.
    """
    fmt = sniff_format(body, content_type)
    if fmt is DocFormat.PDF:
        return _analyse_pdf(body, truncated, expected_title, max_pages)
    if fmt is DocFormat.HTML:
        titles, text = html_candidates(body, content_type)
        titles = _searched(titles)
        inspection = Inspection(
            DocFormat.HTML, tuple(titles), text_sha256=text_fingerprint(text.text)
        )
        if expected_title is None:
            return inspection, None
        display = inspection.display_title
        evidence = match_title(expected_title, [*titles, text], display=display)
        if not evidence.matched and truncated:
            inspection = dataclasses.replace(
                inspection,
                problem=Problem(ProblemKind.TRUNCATED, "the page was cut off at max_bytes"),
            )
        return inspection, evidence
    if fmt is DocFormat.TEXT:
        charset = charset_from_header(content_type) or "utf-8"
        decoded = body.decode(charset if _known_codec(charset) else "utf-8", errors="replace")
        inspection = Inspection(DocFormat.TEXT)
        if expected_title is None:
            return inspection, None
        return inspection, match_title(expected_title, [TitleCandidate("body", decoded)])
    problem = (
        Problem(ProblemKind.EMPTY, "the answer is empty")
        if fmt is DocFormat.EMPTY
        else _unknown_type(content_type)
    )
    return Inspection(fmt, problem=problem), None


def _analyse_pdf(
    body: bytes, truncated: bool, expected_title: str | None, max_pages: int
) -> tuple[Inspection, TitleEvidence | None]:
    if truncated:
        problem = Problem(ProblemKind.TRUNCATED, "the PDF was cut off at max_bytes")
        return Inspection(DocFormat.PDF, problem=problem), None
    document = PdfDocument(body, max_pages=max_pages)
    document.titles = _searched(document.titles)
    if not document.titles:
        document.titles += _searched(document.xmp_titles())
    if expected_title is None or document.problem is not None:
        if document.problem is None:
            # Reachability only: read page 1 so the report can name the document.
            for _ in document.page_texts():
                break
        return _unreadable(document, document.finish(), matched=False), None
    evidence = match_title(expected_title, document.titles)
    if evidence.matched:
        # Metadata is a claim, not the document: a scan without a text layer stays
        # unverifiable even when its metadata names the right title.
        _read_until_text(document)
    else:
        evidence = _last_resorts(
            document, expected_title, _best_page(document, expected_title, evidence)
        )
    inspection = _unreadable(document, document.finish(), matched=evidence.matched)
    if not evidence.matched:
        evidence = dataclasses.replace(evidence, found=inspection.display_title)
    return inspection, evidence


def _last_resorts(document: PdfDocument, expected: str, best: TitleEvidence) -> TitleEvidence:
    """When no page carried the title: the XMP packet, read last and only now, when it can
    still change the verdict; then the pages whose characters have no Unicode map."""
    if best.matched:
        return best
    xmp = _searched(document.xmp_titles())
    if xmp:
        document.titles += xmp
        best = _better(best, match_title(expected, xmp))
    if not best.matched:
        document.find_unmapped()
    return best


def _searched(titles: list[TitleCandidate]) -> list[TitleCandidate]:
    """The title fields, each cut to what is searched (the page and body texts are not)."""
    bounded = (
        dataclasses.replace(c, text=clean_text(c.text, MAX_SEARCHED_TITLE_CHARS)) for c in titles
    )
    return [candidate for candidate in bounded if candidate.text]


def _unreadable(document: PdfDocument, inspection: Inspection, *, matched: bool) -> Inspection:
    """Make a document whose searched text could not all be read ``unreadable-text``.

    Pages whose text layer is garbage (:func:`.readable.assess_text`) are not searched. A title
    found on a readable page, or in the metadata of a document with at least one readable page,
    stands. Otherwise one unreadable searched page is enough: the title may be on it, so its
    absence proves nothing and the source is ``unverifiable``, never ``drifted``. The metadata
    cannot vouch for a document none of whose pages reads as text (as for a scan).
    """
    problem = inspection.problem
    if not matched and problem is None and not document.unreadable:
        return _unreadable_head(document, inspection)
    if not document.unreadable or (matched and problem is None):
        return inspection
    if problem is not None and problem.kind is not ProblemKind.NO_TEXT_LAYER:
        return inspection
    pages = [str(number) for number, _ in document.unreadable]
    where = f"page {pages[0]}" if len(pages) == 1 else f"pages {', '.join(pages)}"
    detail = f"the text layer of {where} cannot be read: {document.unreadable[0][1]}"
    return dataclasses.replace(inspection, problem=Problem(ProblemKind.UNREADABLE_TEXT, detail))


def _unreadable_head(document: PdfDocument, inspection: Inspection) -> Inspection:
    """A title not found, on a page 1 whose first lines do not all read as text, is not
    proof of drift either: the title may be the line that cannot be read."""
    head = unreadable_head(document.first_page)
    if head is None:
        return inspection
    number, reason = head
    detail = f"the text layer of page 1 cannot be read at line {number}, where a title stands: "
    return dataclasses.replace(
        inspection, problem=Problem(ProblemKind.UNREADABLE_TEXT, detail + reason)
    )


def _read_until_text(document: PdfDocument) -> None:
    """Read pages until one has readable text (so a scan is told from a document)."""
    for page in document.page_texts():
        if page.text.strip():
            return


def _best_page(document: PdfDocument, expected: str, best: TitleEvidence) -> TitleEvidence:
    """The first page that carries ``expected``, else the closest evidence seen."""
    for page in document.page_texts():
        best = _better(best, match_title(expected, [page]))
        if best.matched:
            return best
    return best


def _better(best: TitleEvidence, other: TitleEvidence) -> TitleEvidence:
    return other if other.matched or other.score > best.score else best


def _known_codec(name: str) -> bool:
    try:
        "".encode(name)
    except LookupError:
        return False
    return True


def _unknown_type(content_type: str | None) -> Problem:
    return Problem(
        ProblemKind.UNKNOWN_TYPE,
        f"the answer is neither PDF nor HTML ({content_type or 'no Content-Type'})",
    )
