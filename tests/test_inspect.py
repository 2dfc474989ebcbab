"""Tests of body inspection: ``factlinks._inspect.analyse``, ``sniff_format`` and garbage titles."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from pypdf import PdfReader, PdfWriter

import pdfgen
from factlinks import DocFormat, Inspection, Problem, ProblemKind, TitleCandidate, TitleEvidence
from factlinks._inspect import analyse, sniff_format
from factlinks._inspect.garbage import is_garbage_title
from factlinks._inspect.html import html_encoding
from factlinks._inspect.pdf import PdfDocument, respell_logos

TITLE = "Künstliche Intelligenz im europäischen Mittelstand"
PDF = "application/pdf"
HTML_UTF8 = "text/html; charset=utf-8"


def run(
    body: bytes,
    content_type: str | None = PDF,
    *,
    title: str | None = TITLE,
    truncated: bool = False,
    max_pages: int = 5,
) -> tuple[Inspection, TitleEvidence | None]:
    return analyse(
        body, content_type, truncated=truncated, expected_title=title, max_pages=max_pages
    )


def html(head: str = "", body: str = "", *, encoding: str = "utf-8") -> bytes:
    page = f"<!DOCTYPE html>\n<html><head>{head}</head><body>{body}</body></html>"
    return page.encode(encoding)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- sniff_format --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(b"%PDF-1.7\n...", PDF, DocFormat.PDF, id="pdf"),
        pytest.param(b"%PDF-1.4\n...", "application/octet-stream", DocFormat.PDF, id="pdf-octet"),
        pytest.param(b"%PDF-1.4\n...", "text/html", DocFormat.PDF, id="pdf-as-html"),
        pytest.param(b"%PDF-1.4\n...", None, DocFormat.PDF, id="pdf-no-type"),
        pytest.param(b"\r\n" * 100 + b"%PDF-1.4", PDF, DocFormat.PDF, id="pdf-after-junk"),
        pytest.param(b"x" * 1100 + b"%PDF-1.4", None, DocFormat.OTHER, id="pdf-marker-too-late"),
        pytest.param(b"<p>hello</p>", "text/html", DocFormat.HTML, id="html"),
        pytest.param(b"hello", "TEXT/HTML; charset=UTF-8", DocFormat.HTML, id="html-by-header"),
        pytest.param(b"<html>", "application/xhtml+xml", DocFormat.HTML, id="xhtml"),
        pytest.param(b"<!DOCTYPE html><p>x", None, DocFormat.HTML, id="html-doctype"),
        pytest.param(b"\xef\xbb\xbf<!doctype html>", None, DocFormat.HTML, id="html-bom"),
        pytest.param(b"  \n<HTML><BODY>", "application/octet-stream", DocFormat.HTML, id="html-up"),
        pytest.param(b"<div>x</div>", "text/plain", DocFormat.HTML, id="markup-beats-text"),
        pytest.param(b"plain words", "text/plain", DocFormat.TEXT, id="text"),
        pytest.param(b"a,b\n1,2\n", "text/csv; charset=utf-8", DocFormat.TEXT, id="csv"),
        pytest.param(b'{"title": "KI"}', "application/json", DocFormat.OTHER, id="json"),
        pytest.param(b"\x89PNG\r\n\x1a\n\0\0", "image/png", DocFormat.OTHER, id="png"),
        pytest.param(b"\x89PNG\r\n\x1a\n\0\0", None, DocFormat.OTHER, id="png-no-type"),
        pytest.param(b"", "text/html", DocFormat.EMPTY, id="empty"),
        pytest.param(b" \r\n\t ", PDF, DocFormat.EMPTY, id="whitespace"),
    ],
)
def test_sniff_format(body: bytes, content_type: str | None, expected: DocFormat) -> None:
    assert sniff_format(body, content_type) is expected


# -- PDF -----------------------------------------------------------------------------------------


def test_pdf_title_in_info_metadata() -> None:
    inspection, evidence = run(pdfgen.make_pdf(["Inhalt"], title=TITLE))
    assert inspection.format is DocFormat.PDF
    assert inspection.pages == 1
    assert inspection.titles == (TitleCandidate("metadata", TITLE),)
    assert inspection.display_title == TITLE
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "metadata"
    assert evidence.score == 100.0
    assert evidence.found == TITLE


def test_pdf_title_only_in_xmp() -> None:
    inspection, evidence = run(pdfgen.make_pdf(["Inhalt"], xmp_title=TITLE))
    assert inspection.titles == (TitleCandidate("xmp", TITLE),)
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "xmp"


def test_pdf_info_title_comes_before_xmp_title() -> None:
    pdf = pdfgen.make_pdf(["Inhalt"], title=TITLE, xmp_title="KI-Studie")
    inspection, evidence = run(pdf)
    # The Info title carries the expected one: the XMP packet is not read at all.
    assert [candidate.where for candidate in inspection.titles] == ["metadata"]
    assert evidence is not None
    assert evidence.where == "metadata"
    inspection, evidence = run(pdf, title="KI-Studie")
    assert [candidate.where for candidate in inspection.titles] == ["metadata", "xmp"]
    assert inspection.display_title == TITLE
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "xmp"


def test_pdf_title_only_in_page_2_text() -> None:
    pdf = pdfgen.make_pdf(["Universität des Saarlandes\nStudie 2019", f"Vorwort\n{TITLE}"])
    inspection, evidence = run(pdf)
    assert inspection.problem is None
    assert inspection.pages == 2
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 2"
    assert evidence.found == TITLE
    assert evidence.snippet == f"Vorwort {TITLE}"


def test_pdf_title_wrapped_and_hyphenated_on_page_1() -> None:
    pdf = pdfgen.make_pdf(
        ["Künstliche Intelligenz im europä-\nischen Mittelstand \u2013 Status quo"]
    )
    _, evidence = run(pdf)
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 1"
    assert evidence.found == TITLE


@pytest.mark.parametrize(
    "garbage",
    [
        "Microsoft Word - x.docx",
        "Microsoft PowerPoint - Praesentation1",
        "untitled",
        "C:\\Users\\mueller\\Desktop\\studie.doc",
        "studie_final_v3.pdf",
    ],
)
def test_pdf_garbage_metadata_is_ignored_but_page_text_matches(garbage: str) -> None:
    pdf = pdfgen.make_pdf([f"{TITLE}\nStatus quo"], title=garbage, xmp_title=garbage)
    inspection, evidence = run(pdf)
    assert all(candidate.where not in ("metadata", "xmp") for candidate in inspection.titles)
    assert inspection.display_title == f"{TITLE} Status quo"
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 1"


def test_pdf_metadata_title_equal_to_producer_is_ignored() -> None:
    pdf = pdfgen.make_pdf([TITLE], title="Acrobat PDFMaker 20", producer="Acrobat PDFMaker 20")
    inspection, evidence = run(pdf)
    assert inspection.titles == (TitleCandidate("page 1", TITLE),)
    assert evidence is not None
    assert evidence.where == "page 1"


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/html", None])
def test_pdf_detected_by_its_bytes(content_type: str | None) -> None:
    inspection, evidence = run(pdfgen.make_pdf([TITLE]), content_type)
    assert inspection.format is DocFormat.PDF
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 1"


def test_pdf_without_text_layer() -> None:
    inspection, evidence = run(pdfgen.make_pdf_without_text(2))
    assert inspection.format is DocFormat.PDF
    assert inspection.pages == 2
    assert inspection.problem is not None
    assert "no text layer" in inspection.problem.detail
    assert "2 page(s)" in inspection.problem.detail
    assert inspection.titles == ()
    assert evidence is not None
    assert not evidence.matched


def test_pdf_without_text_layer_reachability_only() -> None:
    inspection, evidence = run(pdfgen.make_pdf_without_text(3), title=None, max_pages=1)
    assert evidence is None
    assert inspection.problem is not None
    assert "no text layer in the first 1 page(s)" in inspection.problem.detail


def test_pdf_cut_off() -> None:
    pdf = pdfgen.make_pdf([TITLE], title=TITLE)
    inspection, evidence = run(pdf[: len(pdf) // 2], truncated=True)
    assert inspection.format is DocFormat.PDF
    assert inspection.problem is not None
    assert "cut off" in inspection.problem.detail
    assert evidence is None


def test_pdf_cut_off_even_if_complete_bytes() -> None:
    inspection, evidence = run(pdfgen.make_pdf([TITLE], title=TITLE), truncated=True)
    assert inspection.problem is not None
    assert "cut off" in inspection.problem.detail
    assert evidence is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"%PDF-1.4\n" + bytes(range(256)) * 4, id="binary-garbage"),
        pytest.param(b"%PDF-1.4\nthis is not a pdf at all", id="text-garbage"),
        pytest.param(b"%PDF-", id="magic-only"),
    ],
)
def test_pdf_that_cannot_be_parsed(body: bytes) -> None:
    inspection, evidence = run(body)
    assert inspection.format is DocFormat.PDF
    assert inspection.problem is not None
    assert "cannot be parsed" in inspection.problem.detail
    assert len(inspection.problem.detail) <= 300
    assert evidence is None


def test_pdf_encrypted_with_a_password() -> None:
    pdf = encrypted(pdfgen.make_pdf([TITLE], title=TITLE), user_password="secret")
    inspection, evidence = run(pdf)
    assert inspection.problem is not None
    assert "encrypted" in inspection.problem.detail
    assert evidence is None


def test_pdf_encrypted_with_empty_password_is_read() -> None:
    pdf = encrypted(pdfgen.make_pdf([f"Vorwort\n{TITLE}"]), user_password="")
    inspection, evidence = run(pdf)
    assert inspection.problem is None
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 1"


def test_pdf_display_title_falls_back_to_first_lines_of_page_1() -> None:
    pdf = pdfgen.make_pdf(["S.1\nKfW Research\nFokus Volkswirtschaft\nNr. 318", "Seite zwei"])
    inspection, evidence = run(pdf, title="Ganz anderer Titel")
    assert inspection.titles == (TitleCandidate("page 1", "KfW Research Fokus Volkswirtschaft"),)
    assert inspection.display_title == "KfW Research Fokus Volkswirtschaft"
    assert evidence is not None
    assert not evidence.matched
    assert evidence.found == "KfW Research Fokus Volkswirtschaft"


def test_pdf_display_title_is_capped() -> None:
    pdf = pdfgen.make_pdf(["A" * 120 + "\n" + "B" * 120])
    inspection, _ = run(pdf, title=None)
    assert inspection.display_title is not None
    assert len(inspection.display_title) == 160


def test_pdf_metadata_title_is_preferred_for_display() -> None:
    pdf = pdfgen.make_pdf(["Erste Seite mit Text"], title="KI-Monitor 2021")
    inspection, evidence = run(pdf, title="KI-Monitor 2022")
    assert inspection.display_title == "KI-Monitor 2021"
    assert evidence is not None
    assert not evidence.matched
    assert evidence.found == "KI-Monitor 2021"


def test_pdf_reachability_only_names_the_document() -> None:
    pdf = pdfgen.make_pdf(["Erste Zeile des Dokuments\nZweite Zeile\nDritte Zeile", "Seite 2"])
    inspection, evidence = run(pdf, title=None)
    assert evidence is None
    assert inspection.problem is None
    assert inspection.pages == 2
    assert inspection.display_title == "Erste Zeile des Dokuments Zweite Zeile"


@pytest.mark.parametrize(
    ("max_pages", "matched", "where"),
    [
        pytest.param(2, False, None, id="title-beyond-max-pages"),
        pytest.param(3, True, "page 3", id="title-within-max-pages"),
        pytest.param(50, True, "page 3", id="max-pages-beyond-document"),
    ],
)
def test_pdf_max_pages(max_pages: int, matched: bool, where: str | None) -> None:
    pdf = pdfgen.make_pdf(["Deckblatt der Studie", "Inhaltsverzeichnis", f"Kapitel 1\n{TITLE}"])
    inspection, evidence = run(pdf, max_pages=max_pages)
    assert inspection.pages == 3
    assert evidence is not None
    assert evidence.matched is matched
    if matched:
        assert evidence.where == where
    else:
        assert evidence.where in ("page 1", "page 2"), "page 3 must not be read"
        assert evidence.found == "Deckblatt der Studie"
        assert inspection.problem is None or "page(s)" not in inspection.problem.detail


def test_pdf_reading_stops_at_the_page_with_the_title(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    page_texts = PdfDocument.page_texts

    def recording(self: PdfDocument) -> Iterator[TitleCandidate]:
        for page in page_texts(self):
            read.append(page.where)
            yield page

    monkeypatch.setattr(PdfDocument, "page_texts", recording)
    pdf = pdfgen.make_pdf(["Deckblatt", TITLE, "Seite 3", "Seite 4"])
    inspection, evidence = run(pdf)
    assert evidence is not None
    assert evidence.where == "page 2"
    assert read == ["page 1", "page 2"]
    assert inspection.problem is None


def test_pdf_best_near_miss_across_pages() -> None:
    pdf = pdfgen.make_pdf(["Deckblatt", "KI-Monitor 2022 der Wirtschaft", "Anhang"])
    _, evidence = run(pdf, title="KI-Monitor 2021")
    assert evidence is not None
    assert not evidence.matched
    assert evidence.where == "page 2"


def test_pdf_matched_by_metadata_reports_no_text_layer_problem() -> None:
    inspection, evidence = run(pdfgen.make_pdf(["Seite mit Text"], title=TITLE))
    assert evidence is not None
    assert evidence.matched
    assert inspection.problem is None


# -- text layers that cannot be read -------------------------------------------------------------

GLYPHS = "\x01\x02\x03\x04\x05\x01\x06\x07"  # extracts as /g0003/g0004/...
GREEK_VIETNAMESE = [0x0391, 0x03B2, 0x1EAE, 0x1EB7, 0x20, 0x039E, 0x03C8, 0x1EEA, 0x20, 0x1EA4]


def garbled(pages: list[str | list[int]], *, title: str | None = None) -> bytes:
    kind = "glyph-names" if all(isinstance(page, str) for page in pages) else "identity"
    return pdfgen.make_pdf_with_unmapped_font(pages, kind=kind, title=title)


@pytest.mark.parametrize(
    ("pdf", "says"),
    [
        pytest.param(garbled([GLYPHS]), "no Unicode map", id="glyph-names"),
        pytest.param(garbled([GLYPHS], title=TITLE), "no Unicode map", id="glyph-names-metadata"),
        pytest.param(garbled([GREEK_VIETNAMESE]), "unrelated scripts", id="cid-identity"),
        pytest.param(
            garbled([GREEK_VIETNAMESE], title=TITLE), "unrelated scripts", id="cid-metadata"
        ),
    ],
)
def test_pdf_unreadable_text_layer_is_a_problem_whatever_the_metadata(
    pdf: bytes, says: str
) -> None:
    inspection, evidence = run(pdf)
    assert inspection.problem is not None
    assert inspection.problem.kind is ProblemKind.UNREADABLE_TEXT
    assert inspection.problem.detail.startswith("the text layer of page 1 cannot be read: ")
    assert says in inspection.problem.detail
    assert evidence is not None
    # The garbage is not offered as what the document shows.
    assert "/g0" not in (inspection.display_title or "")
    assert "Ắ" not in (inspection.display_title or "")


def test_pdf_every_unreadable_page_is_named() -> None:
    inspection, _ = run(garbled([GLYPHS, GLYPHS, GLYPHS]), max_pages=2)
    assert inspection.problem is not None
    assert inspection.problem.detail.startswith("the text layer of pages 1, 2 cannot be read")


def test_pdf_unreadable_page_1_but_title_on_readable_page_2() -> None:
    inspection, evidence = run(garbled([GREEK_VIETNAMESE, f"{TITLE}\nEinleitung"]))
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 2"
    assert inspection.problem is None


def test_pdf_metadata_match_stands_when_a_later_page_reads() -> None:
    inspection, evidence = run(garbled([GREEK_VIETNAMESE, "Einleitung"], title=TITLE))
    assert evidence is not None
    assert evidence.matched
    assert inspection.problem is None


def test_pdf_title_absent_from_readable_pages_but_one_page_unreadable() -> None:
    """The title may be on the page that cannot be read: unverifiable, not drifted."""
    inspection, evidence = run(garbled(["Inhalt und Vorwort", GREEK_VIETNAMESE, "Anhang"]))
    assert evidence is not None
    assert not evidence.matched
    assert inspection.problem is not None
    assert inspection.problem.kind is ProblemKind.UNREADABLE_TEXT
    assert "page 2 cannot be read" in inspection.problem.detail
    assert inspection.display_title == "Inhalt und Vorwort"


def test_pdf_unreadable_and_blank_pages() -> None:
    inspection, _ = run(garbled([GREEK_VIETNAMESE, [0x20]]))
    assert inspection.problem is not None
    assert inspection.problem.kind is ProblemKind.UNREADABLE_TEXT


def test_pdf_unreadable_reachability_only() -> None:
    inspection, evidence = run(garbled([GLYPHS]), title=None)
    assert evidence is None
    assert inspection.problem is not None
    assert inspection.problem.kind is ProblemKind.UNREADABLE_TEXT
    assert inspection.display_title is None


def test_pdf_readable_wrong_document_stays_without_a_problem() -> None:
    """A readable document without the title is still drifted (no problem set)."""
    pdf = pdfgen.make_pdf(["Vorwort: Straße, Größe, Übung - 5 µm", "Inhalt . . . . . 3"])
    inspection, evidence = run(pdf, title="Anderes Dokument")
    assert inspection.problem is None
    assert evidence is not None
    assert not evidence.matched


# -- HTML ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "body", "where"),
    [
        pytest.param(f"<title>{TITLE}</title>", "<p>x</p>", "<title>", id="title"),
        pytest.param(f"<title>\n  {TITLE}\n</title>", "", "<title>", id="title-whitespace"),
        pytest.param("<title>Startseite</title>", f"<h1>{TITLE}</h1>", "<h1>", id="h1"),
        pytest.param(
            f'<meta property="og:title" content="{TITLE}">', "<p>x</p>", "og:title", id="og"
        ),
        pytest.param(
            f'<meta name="citation_title" content="{TITLE}">', "", "citation_title", id="citation"
        ),
        pytest.param(f'<meta name="DC.Title" content="{TITLE}">', "", "dc.title", id="dc-title"),
        pytest.param(
            f'<meta name="twitter:title" content="{TITLE}">', "", "twitter:title", id="twitter"
        ),
        pytest.param(
            "<title>Publikationen</title>",
            f"<nav>Start</nav><main><p>Neu:</p><p><a href='/x.pdf'>{TITLE}</a></p></main>",
            "body",
            id="body-text",
        ),
    ],
)
def test_html_title_found(head: str, body: str, where: str) -> None:
    inspection, evidence = run(html(head, body), HTML_UTF8)
    assert inspection.format is DocFormat.HTML
    assert inspection.problem is None
    assert evidence is not None
    assert evidence.matched, evidence
    assert evidence.where == where
    assert evidence.found == TITLE


def test_html_title_candidates_in_order() -> None:
    head = (
        "<title>Seite</title>"
        '<meta property="og:title" content="OG">'
        '<meta name="citation_title" content="Citation">'
    )
    body = "<h1>Eins</h1><h1>  </h1><h1>Zwei\n  Drei</h1><h1>Vier</h1><h1>Fünf</h1>"
    inspection, evidence = run(html(head, body), HTML_UTF8, title=None)
    assert evidence is None
    assert inspection.titles == (
        TitleCandidate("<title>", "Seite"),
        TitleCandidate("og:title", "OG"),
        TitleCandidate("citation_title", "Citation"),
        TitleCandidate("<h1>", "Eins"),
        TitleCandidate("<h1>", "Zwei Drei"),
    )
    assert inspection.display_title == "Seite"
    assert inspection.pages is None


def test_html_unmatched_reports_display_title() -> None:
    inspection, evidence = run(
        html("<title>Seite nicht gefunden</title>", "<p>Leider ist die Seite weg.</p>"),
        HTML_UTF8,
    )
    assert inspection.problem is None
    assert evidence is not None
    assert not evidence.matched
    assert evidence.found == "Seite nicht gefunden"


def test_html_script_and_style_are_not_searched() -> None:
    body = f"<script>var t = '{TITLE}';</script><style>/* {TITLE} */</style><p>Nichts</p>"
    _, evidence = run(html("<title>Start</title>", body), HTML_UTF8)
    assert evidence is not None
    assert not evidence.matched


def test_html_charset_from_header() -> None:
    body = html(f"<title>{TITLE}</title>", encoding="iso-8859-1")
    inspection, evidence = run(body, "text/html; charset=iso-8859-1")
    assert inspection.display_title == TITLE
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "<title>"
    assert evidence.score == 100.0


def test_html_charset_from_quoted_header_value() -> None:
    body = html(f"<title>{TITLE}</title>", encoding="iso-8859-1")
    inspection, _ = run(body, 'text/html; charset="ISO-8859-1"', title=None)
    assert inspection.display_title == TITLE


@pytest.mark.parametrize(
    "meta",
    [
        pytest.param('<meta charset="iso-8859-1">', id="meta-charset"),
        pytest.param(
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
            id="meta-http-equiv",
        ),
    ],
)
def test_html_charset_from_meta(meta: str) -> None:
    body = html(f"{meta}<title>{TITLE} \u2013 Status quo</title>", encoding="cp1252")
    inspection, evidence = run(body, "text/html")
    assert inspection.display_title is not None
    assert inspection.display_title.startswith(TITLE)
    assert evidence is not None
    assert evidence.matched
    assert evidence.score == 100.0


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        pytest.param("iso-8859-1", b"", id="latin-1"),
        pytest.param("cp1252", b"", id="windows-1252"),
        pytest.param("utf-8", b"", id="utf-8"),
        pytest.param("utf-8", b"\xef\xbb\xbf", id="utf-8-bom"),
    ],
)
def test_html_without_any_declared_charset_is_read_as_browsers_read_it(
    encoding: str, prefix: bytes
) -> None:
    """LaTeX2HTML pages declare no charset; lxml read Latin-1 ones as UTF-8 with U+FFFD."""
    title = "Zusätzliches für Übersetzer \u2013 Größen"
    if encoding == "iso-8859-1":
        title = title.replace("\u2013", "-")
    body = prefix + html(f"<title>{title}</title>", f"<h1>{title}</h1>", encoding=encoding)
    inspection, evidence = run(body, "text/html", title=title)
    assert inspection.display_title == title
    assert evidence is not None
    assert evidence.matched


def test_html_cut_inside_a_utf8_character_is_still_utf8() -> None:
    body = html("<title>Größe</title>", "<p>Maß", encoding="utf-8")[:-1]
    assert html_encoding(body + "ß".encode()[:1], "text/html") == "utf-8"
    assert html_encoding(b"<p>Gr\xf6\xdfe und mehr Text", None) == "cp1252"


def test_html_header_charset_beats_meta() -> None:
    body = html(f'<meta charset="utf-8"><title>{TITLE}</title>', encoding="iso-8859-1")
    inspection, _ = run(body, "text/html; charset=iso-8859-1", title=None)
    assert inspection.display_title == TITLE


def test_html_cut_off_without_match_is_a_problem() -> None:
    inspection, evidence = run(html("<title>Start</title>", "<p>Anfang"), HTML_UTF8, truncated=True)
    assert inspection.problem is not None
    assert "cut off" in inspection.problem.detail
    assert evidence is not None
    assert not evidence.matched


def test_html_cut_off_with_match_is_fine() -> None:
    inspection, evidence = run(html(f"<title>{TITLE}</title>"), HTML_UTF8, truncated=True)
    assert inspection.problem is None
    assert evidence is not None
    assert evidence.matched


def test_html_without_expected_title() -> None:
    inspection, evidence = run(html("<title>Start</title>"), HTML_UTF8, title=None)
    assert inspection.format is DocFormat.HTML
    assert inspection.titles == (TitleCandidate("<title>", "Start"),)
    assert inspection.problem is None
    assert evidence is None


def test_html_landing_page_with_one_word_of_the_title_does_not_match() -> None:
    _, evidence = run(
        html("<title>Mittelstand</title>", "<h1>Mittelstand</h1><p>Willkommen</p>"),
        HTML_UTF8,
        title="KI im Mittelstand",
    )
    assert evidence is not None
    assert not evidence.matched


# -- other formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"", "text/html", id="empty"),
        pytest.param(b"   \r\n  ", "text/html", id="whitespace"),
        pytest.param(b"", PDF, id="empty-pdf"),
        pytest.param(b"", None, id="empty-no-type"),
    ],
)
def test_empty_body(body: bytes, content_type: str | None) -> None:
    inspection, evidence = run(body, content_type)
    assert inspection == Inspection(
        DocFormat.EMPTY, problem=Problem(ProblemKind.EMPTY, "the answer is empty")
    )
    assert evidence is None


@pytest.mark.parametrize(
    ("body", "content_type", "named"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png", "image/png", id="png"),
        pytest.param(b"PK\x03\x04zipdata", "application/zip", "application/zip", id="zip"),
        pytest.param(b"\x89PNG\r\n\x1a\n", None, "no Content-Type", id="no-type"),
    ],
)
def test_other_format(body: bytes, content_type: str | None, named: str) -> None:
    inspection, evidence = run(body, content_type)
    assert inspection.format is DocFormat.OTHER
    assert inspection.problem == Problem(
        ProblemKind.UNKNOWN_TYPE, f"the answer is neither PDF nor HTML ({named})"
    )
    assert evidence is None


def test_plain_text_body() -> None:
    inspection, evidence = run(f"Studie\n{TITLE}\n".encode(), "text/plain")
    assert inspection == Inspection(DocFormat.TEXT)
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "body"


def test_plain_text_charset_from_header() -> None:
    body = TITLE.encode("iso-8859-1")
    _, evidence = run(body, "text/plain; charset=iso-8859-1")
    assert evidence is not None
    assert evidence.score == 100.0


def test_plain_text_unknown_charset_falls_back_to_utf8() -> None:
    _, evidence = run(TITLE.encode(), "text/plain; charset=x-no-such-codec")
    assert evidence is not None
    assert evidence.score == 100.0


def test_plain_text_without_expected_title() -> None:
    assert run(b"hello", "text/plain", title=None) == (Inspection(DocFormat.TEXT), None)


# -- garbage titles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "",
        "  ",
        "ab",
        "Untitled",
        "  untitled  ",
        "UNBENANNT",
        "sans titre",
        "Title",
        "Titel",
        "Document",
        "Dokument",
        "No title",
        "Microsoft Word",
        "Microsoft Word - x.docx",
        "Microsoft Word - Studie KI im Mittelstand.doc",
        "Microsoft PowerPoint - Folien",
        "Microsoft Excel - Tabelle1.xlsx",
        "bericht.pdf",
        "KI_Studie_final_v3.docx",
        "Folien.PPTX",
        "paper.tex",
        "index.html",
        "layout.indd",
        "C:\\Users\\mueller\\Desktop\\studie.doc",
        "d:\\temp\\x",
        "/home/user/studie.txt",
        "---",
        "\u2026",
        "***",
        "12345",
    ],
)
def test_garbage_titles(title: str) -> None:
    assert is_garbage_title(title)


@pytest.mark.parametrize(
    "title",
    [
        TITLE,
        "KI-Monitor 2021",
        "Fokus Nr. 318",
        "Industrie 4.0",
        "KI im Mittelstand",
        "Untitled Document Analysis: A Study",
        "Microsoft und die KI",
        "Word - Fachbegriffe",
        "Titel der Studie",
        "Dokumentation der KI-Landkarte",
        "2021 in Zahlen",
        "PDF-Dokumente im Netz",
        "Studie über .docx-Dateien im Mittelstand",
        "ABC",
    ],
)
def test_real_titles_are_not_garbage(title: str) -> None:
    assert not is_garbage_title(title)


@pytest.mark.parametrize(
    ("title", "producer", "garbage"),
    [
        pytest.param("Acrobat PDFMaker 20", "Acrobat PDFMaker 20", True, id="equal"),
        pytest.param("acrobat pdfmaker 20 ", " Acrobat PDFMaker 20", True, id="case-space"),
        pytest.param("KI im Mittelstand", "Acrobat PDFMaker 20", False, id="different"),
        pytest.param("KI im Mittelstand", "", False, id="no-producer"),
    ],
)
def test_title_equal_to_producer_is_garbage(title: str, producer: str, garbage: bool) -> None:
    assert is_garbage_title(title, producer=producer) is garbage


def test_html_navigation_is_not_evidence() -> None:
    body = (
        b"<html><head><title>Docs</title></head><body>"
        b"<nav><a href='a.html'>Logging Cookbook</a></nav>"
        b"<div class='sphinxsidebar'><p>Previous topic: Logging Cookbook</p></div>"
        b"<main><h1>Logging HOWTO</h1><p>Basic tutorial.</p></main>"
        b"<footer>Logging Cookbook</footer></body></html>"
    )
    _, sibling = analyse(
        body, "text/html", truncated=False, expected_title="Logging Cookbook", max_pages=5
    )
    _, own = analyse(
        body, "text/html", truncated=False, expected_title="Logging HOWTO", max_pages=5
    )
    assert sibling is not None
    assert not sibling.matched
    assert own is not None
    assert own.matched


def test_latin1_label_decodes_as_windows_1252() -> None:
    body = "<html><head><meta charset='iso-8859-1'><title>KI \u2013 Status quo</title>".encode(
        "cp1252"
    )
    inspection, _ = analyse(body, "text/html", truncated=False, expected_title=None, max_pages=1)
    assert inspection.display_title == "KI \u2013 Status quo"


def test_xhtml_with_xml_prolog_parses_without_warnings() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Handbuch</title></head>'
        b"<body><h1>Handbuch</h1></body></html>"
    )
    _, evidence = analyse(
        body, "application/xhtml+xml", truncated=False, expected_title="Handbuch", max_pages=1
    )
    assert evidence is not None
    assert evidence.matched


def test_scan_whose_metadata_names_the_title_is_still_unverifiable() -> None:
    data = pdfgen.make_pdf_without_text(2)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_metadata({"/Title": TITLE})
    out = io.BytesIO()
    writer.write(out)
    inspection, evidence = analyse(
        out.getvalue(), "application/pdf", truncated=False, expected_title=TITLE, max_pages=5
    )
    assert evidence is not None
    assert evidence.matched  # the metadata claims it ...
    assert inspection.problem is not None  # ... but there is no text to confirm it
    assert "no text layer" in inspection.problem.detail


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_encrypted_pdf_that_opens_with_an_empty_password_is_read(algorithm: str) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdfgen.make_pdf([TITLE]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    inspection, evidence = analyse(
        out.getvalue(), "application/pdf", truncated=False, expected_title=TITLE, max_pages=5
    )
    assert inspection.problem is None
    assert evidence is not None
    assert evidence.matched
    assert evidence.where == "page 1"


def test_pdf_xetex_logo_with_its_mirrored_e_reads_as_xetex() -> None:
    # PDFium orders characters by position: the mirrored E comes out after the T ("X TEEX").
    for before, after, title in [
        ("About ", "", "About XeTeX"),
        ("Arab", " notes", "ArabXeTeX notes"),
    ]:
        _, evidence = run(pdfgen.make_pdf_with_xetex_logo(before, after), title=title)
        assert evidence is not None
        assert evidence.matched, (title, evidence)
        assert evidence.where == "page 1"


@pytest.mark.parametrize(
    ("extracted", "spelled"),
    [
        ("About X TEEX\nJonathan Kew", "About XeTeX\nJonathan Kew"),
        ("in Arabic script with X LE\nATEX", "in Arabic script with XeLaTeX"),
        ("ArabX TEEX", "ArabXeTeX"),
        ("TEX and LATEX and EXIT", "TEX and LATEX and EXIT"),
        ("TEXT EXAMPLE", "TEXT EXAMPLE"),
        ("HarmaƩan Features: opƟonal", "Harmattan Features: optional"),
        ("ƟƩ Ʃa aƟ", "ƟƩ Ʃa aƟ"),
    ],
)
def test_respell_logos(extracted: str, spelled: str) -> None:
    assert respell_logos(extracted) == spelled


def test_pdf_adobe_small_caps_and_old_style_figures_read_as_letters_and_digits() -> None:
    # An expert font without ToUnicode: PDFium gives Adobe's private-use code points.
    from factlinks._inspect.pdf import _PAGE_TEXT_FIXES

    extracted = "The \uf773\uf769\uf76d\uf775\uf772\uf767\uf768 package, version \uf730.\uf731b"
    assert extracted.translate(_PAGE_TEXT_FIXES) == "The simurgh package, version 0.1b"


MIXED = "".join(map(chr, [*GREEK_VIETNAMESE, 0x20, 0x0392, 0x1EB0]))
BODY = "Ein Bericht über die Lage\nder Wirtschaft im Jahr 2024\nmit vielen Worten im Text"


def test_pdf_title_line_in_an_unmapped_font_on_a_readable_page_is_unverifiable() -> None:
    """The body reads, the big first line does not: the title may be that line."""
    head = [*GREEK_VIETNAMESE, 0x20, 0x0392, 0x1EB0]
    inspection, evidence = run(pdfgen.make_pdf_with_unmapped_title(head, BODY))
    assert evidence is not None
    assert not evidence.matched
    assert inspection.problem is not None
    assert inspection.problem.kind is ProblemKind.UNREADABLE_TEXT
    assert inspection.problem.detail.startswith(
        "the text layer of page 1 cannot be read at line 1, where a title stands: "
    )
    # What can be read is still searched: a title in the body is found.
    inspection, evidence = run(
        pdfgen.make_pdf_with_unmapped_title(head, BODY), title="Ein Bericht über die Lage"
    )
    assert evidence is not None
    assert evidence.matched
    assert inspection.problem is None


@pytest.mark.parametrize(
    "first_lines",
    [
        "Annual Report 2023\n" + BODY,
        "• • •\nAnnual Report 2023\n" + BODY,  # too short to judge on its own
    ],
    ids=["plain", "bullets"],
)
def test_pdf_readable_first_lines_keep_a_wrong_title_drifted(first_lines: str) -> None:
    inspection, evidence = run(pdfgen.make_pdf([first_lines]))
    assert evidence is not None
    assert not evidence.matched
    assert inspection.problem is None


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Δx and μm in 2023\n" + BODY, None),  # one Greek letter in a Latin line is text
        ("経済レポート 2023 年版\n" + BODY, None),
        ("Report\n" * 5 + MIXED, None),  # line 6: below where a title stands
        ("Report\n" + MIXED + "\n" + BODY, 2),
        ("/g0003/g0004/g0005\n" + BODY, 1),
        ("\ue001\ue002\ue003\ue004\n" + BODY, 1),
    ],
)
def test_unreadable_head(text: str, verdict: int | None) -> None:
    from factlinks._inspect.readable import unreadable_head

    head = unreadable_head(text)
    assert (head[0] if head else None) == verdict


def test_pdf_font_codes_that_look_like_words_are_unreadable_not_drifted() -> None:
    """A font without a Unicode map whose codes happen to be letters: the text gate sees words
    ("Wkh Dqqxdo ..."), PDFium knows none of them has a Unicode mapping."""
    pdf = pdfgen.make_pdf_with_unmapped_font(["Wkh Dqqxdo Uhsruw ri wkh Frpsdqb 2023"])
    inspection, evidence = run(pdf, title="The Annual Report of the Company 2023")
    assert evidence is not None
    assert not evidence.matched
    assert inspection.problem == Problem(
        ProblemKind.UNREADABLE_TEXT,
        "the text layer of page 1 cannot be read: its fonts have no Unicode map "
        "(100% of its characters have none)",
    )
    # A title in those codes is still found: the tolerance only applies to what is missing.
    _, evidence = run(pdf, title="Wkh Dqqxdo Uhsruw")
    assert evidence is not None
    assert evidence.matched


def test_pdf_page_with_mapped_fonts_stays_drifted() -> None:
    inspection, evidence = run(pdfgen.make_pdf(["The Annual Report of the Company 2023"]))
    assert evidence is not None
    assert not evidence.matched
    assert inspection.problem is None
