"""PDF text that keeps URLs whole (issue 11): PDFium's text layer and character boxes, link
annotations as the truth, and the text a URL is cited with.

The PDFs are laid out as a typesetter sets them (``pdfgen.wrap``, ``pdfgen.column``): lines
filled to a width, URLs broken after ``/``, ``.`` or ``-``, link annotations over the words
they are set on, one per line piece.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import factlinks
from factlinks._extract.pdf import read_pdf
from pdfgen import Link, Placed, column, make_laid_out_pdf, make_pdf, text_width, wrap

REPO = Path(__file__).resolve().parent.parent
FACTSHEET = REPO / "examples" / "factsheet-ki.txt"
PROSE = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat."
)


def urls(data: bytes) -> list[str]:
    return [cited.url for cited in read_pdf(data, "brief")]


def one_page(lines: list[Placed], links: list[Link] | None = None) -> bytes:
    return make_laid_out_pdf([lines], [links or []])


# -- wrapped URLs: joined where the line reaches the block's edge, nowhere else --


URL = "https://www.example.org/wiki/Forschung/Studie_2021"


@pytest.mark.parametrize("width", range(170, 400, 12))
def test_a_url_wrapped_inside_running_text_is_joined_wherever_the_line_breaks(
    width: int,
) -> None:
    text = f"Die Studie ist im Netz zu finden, siehe {URL} und die Anleitung dort. {PROSE}"
    lines = wrap(text, width)
    assert not any(URL in line for line in lines[:-1]) or width > 300  # it did wrap (mostly)
    assert urls(one_page(column(lines))) == [URL]


def test_the_issue_example_see_www_example_dot_newline_org_wiki_page() -> None:
    lines = wrap(f"For details see https://www.example.org/wiki/Page and {PROSE}", 175)
    assert lines[0].endswith("https://www.example.")  # the break the issue shows
    assert lines[1].startswith("org/wiki/Page and")
    assert urls(one_page(column(lines))) == ["https://www.example.org/wiki/Page"]


def test_a_url_that_ends_short_of_the_edge_is_not_joined_with_the_next_line() -> None:
    lines = [*wrap(PROSE, 300), "See https://a.example/report/", "2019-10/summary of it all"]
    assert urls(one_page(column(lines))) == ["https://a.example/report/"]


def test_a_short_line_after_a_url_is_no_continuation() -> None:
    # "any following one-token line glued": the URL line ends far from the edge
    lines = [*wrap(PROSE, 300), "Quelle: https://a.example/bericht.pdf", "S.-12."]
    assert urls(one_page(column(lines))) == ["https://a.example/bericht.pdf"]


def test_a_footnote_number_and_url_are_not_glued_to_the_url_above() -> None:
    # the URL line reaches the right edge; the next line is footnote 7, glued to its URL
    lines = [
        "1 Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod",
        "2 The manual of the project, see chapter 3, at https://docs.example.org/manual/",
        "7http://example.org/other/page.html",
    ]
    width = text_width(lines[0], 8)
    assert abs(text_width(lines[1], 8) - width) < 0.1 * width
    assert urls(one_page(column(lines, size=8))) == [
        "https://docs.example.org/manual/",
        "http://example.org/other/page.html",
    ]


def test_a_list_item_below_a_url_is_no_continuation() -> None:
    lines = [
        "1. Open Secure Socket Layer (OpenSSL), http://www.openssl.org.",
        "2. RFC 3369: Cryptographic Message Syntax (CMS), http://www.ietf.org/rfc/rfc3852.txt",
        "3. RFC 5280: Internet X.509 Public Key Infrastructure Certificate and Certificate",
    ]
    assert urls(one_page(column(lines))) == [
        "http://www.openssl.org",
        "http://www.ietf.org/rfc/rfc3852.txt",
    ]


def test_a_scheme_alone_at_a_line_end_continues_on_the_next_line() -> None:
    lines = wrap(f"{PROSE} copyleft (https:// www.gnu.org/copyleft/copyleft.html), and", 300)
    lines = [line.replace("https:// ", "https://") for line in lines]
    split = ["free software (http:", "//luatex.org) itself, and so on"]
    found = urls(one_page(column([*lines, "", *split])))
    assert found == ["https://www.gnu.org/copyleft/copyleft.html", "http://luatex.org"]


HYPHENATED = [
    *wrap(PROSE, 330),
    "a membership application [http://www.x.org/wi-",
    "ki/Membership].",
]


def test_a_hyphen_at_the_line_end_inside_a_url_is_the_urls_own() -> None:
    # PDFium marks a hyphen at a line end before a letter (U+FFFE); LaTeX's url package and
    # word processors break a URL after a hyphen of its own
    assert urls(one_page(column(HYPHENATED))) == ["http://www.x.org/wi-ki/Membership"]


def test_a_producer_that_hyphenates_urls_like_words_loses_the_hyphen() -> None:
    data = make_laid_out_pdf([column(HYPHENATED)], producer="Apache FOP Version 2.5")
    assert urls(data) == ["http://www.x.org/wiki/Membership"]


def test_a_hyphen_after_a_slash_at_the_line_end_marks_the_break() -> None:
    # dblatex breaks a URL after "/" and sets a hyphen there
    lines = [
        *wrap(PROSE, 330),
        "Kapitel 13 (https://www.debian.org/doc/manuals/debian-faq/-",
        "contributing.de.html) (semi-offiziell)",
    ]
    assert urls(one_page(column(lines))) == [
        "https://www.debian.org/doc/manuals/debian-faq/contributing.de.html"
    ]


def test_a_url_a_word_processor_broke_before_a_percent_sign_is_joined() -> None:
    # Unicode line breaking (word processors) breaks before "%", not after "." or "_"
    line = "http://en.example.org/wiki/Page:A_Hebrew_and_English_Lexicon_%28Brown-Driver-Briggs"
    lines = [*wrap(PROSE, text_width(line, 10) + 48), line, "%29.djvu/25, where the number"]
    assert urls(one_page(column(lines))) == [
        "http://en.example.org/wiki/Page:A_Hebrew_and_English_Lexicon_%28Brown-Driver-Briggs%29.djvu/25"
    ]


def test_wrapped_urls_in_two_columns() -> None:
    left = wrap(f"Siehe https://www.example.org/wiki/Forschung/Studie_2021 und {PROSE}", 200)
    right = wrap(f"{PROSE} Die Liste: https://b.example.org/liste/eintraege.html ist lang.", 200)
    assert any(line.endswith(("/", ".")) and "://" in line for line in left + right)
    page = column(left, x=60) + column(right, x=320)
    assert urls(one_page(page)) == [URL, "https://b.example.org/liste/eintraege.html"]


# -- what the text layer lost or glued --


def test_a_word_space_the_text_layer_lost_ends_the_url() -> None:
    # the spaces are set as TJ offsets too small for PDFium to put a space in the text
    line = Placed(
        "Das Forum http://forum.example.org/)stelltWeb-Forenbereit.",
        72,
        700,
        10,
        gaps=((36, 120), (42, 120), (52, 120)),
    )
    assert urls(one_page([line])) == ["http://forum.example.org/"]


def test_a_tight_url_is_not_cut_by_its_own_kerning() -> None:
    line = Placed("Siehe http://forum.example.org/page.html dort", 72, 700, 10, gaps=((20, 40),))
    assert urls(one_page([line])) == ["http://forum.example.org/page.html"]


def test_two_urls_without_a_space_between_them_are_two() -> None:
    line = Placed("http://a.example/live/http://other.example.org/x", 72, 700, 10)
    assert urls(one_page([line])) == ["http://a.example/live/", "http://other.example.org/x"]


# -- link annotations are the truth --


def test_text_urls_that_are_broken_copies_of_an_annotated_url_are_dropped() -> None:
    target = "https://www.example.org/publikationen/studie-2021/bericht.pdf"
    lines = [
        *wrap(PROSE, 300),
        "Bericht: https://www.example.org/publikationen/",  # short: not joined
        "studie-2021/bericht.pdf und mehr",
        "Kurz: https://www.example.org/publ...richt.pdf",  # shortened for print
        "Geklebt: https://www.example.org/publikationen/studie-2021/bericht.pdfSiehe",
    ]
    page = column(lines)
    links = [Link(target, len(page) - 4), Link(target, len(page) - 3, 0, 23)]
    found = read_pdf(make_laid_out_pdf([page], [links]), "brief")
    assert [(c.url, c.where) for c in found] == [(target, "page 1 link")]


def test_a_home_page_link_does_not_swallow_the_deeper_urls_of_its_site() -> None:
    page = column(["Home", "See https://www.example.org/doc/manual.html for more"])
    found = urls(make_laid_out_pdf([page], [[Link("https://www.example.org/", 0)]]))
    assert found == ["https://www.example.org/", "https://www.example.org/doc/manual.html"]


def test_a_text_url_on_another_page_than_its_link_is_still_a_copy() -> None:
    target = "https://a.example/long/path/report.pdf"
    pages = [column(["Report"]), column(["https://a.example/long/path/rep"])]
    found = read_pdf(make_laid_out_pdf(pages, [[Link(target, 0)], []]), "brief")
    assert [c.url for c in found] == [target]


# -- the text a URL is cited with --


def test_the_text_under_a_link_split_over_two_lines_is_joined() -> None:
    target = "https://www.acatech.de/publikation/ki-im-mittelstand/"
    page = column(
        [
            "\u2022 acatech (2021):",
            "KI im Mittelstand \u2013 Potenziale erkennen, Transfor-",
            "mation meistern",
            "\u2022 BMWK (2021): Herausforderungen beim Einsatz",
        ]
    )
    links = [Link(target, 1), Link(target, 2)]
    [cited] = read_pdf(make_laid_out_pdf([page], [links]), "brief")
    assert cited.text == "KI im Mittelstand \u2013 Potenziale erkennen, Transformation meistern"


def test_a_link_over_the_printed_url_is_cited_with_its_entry() -> None:
    target = "https://www.mittelstand-digital.de/MD/Praxis/KI-Trainer/ki-trainer.html"
    page = column(
        [
            "\u2022 KI-Trainer Netzwerk der Mittelstand-Digital Zentren (BMWK):",
            "https://www.mittelstand-digital.de/MD/Praxis/KI-Trainer/",
            "ki-trainer.html",
            "",
            "\u2022 Something else",
        ]
    )
    links = [Link(target, 1), Link(target, 2)]
    [cited] = read_pdf(make_laid_out_pdf([page], [links]), "brief")
    assert cited.url == target
    assert cited.text == "KI-Trainer Netzwerk der Mittelstand-Digital Zentren (BMWK):"


def test_a_bare_url_is_cited_with_the_lines_of_its_paragraph() -> None:
    page = column(
        [
            "[3] Mustermann, E. (2020): Die Digitalisie-",
            "rung des Mittelstands. Berlin.",
            "https://a.example/studie.pdf",
            "",
            "[4] Next entry, https://b.example/next",
        ]
    )
    found = read_pdf(make_laid_out_pdf([page]), "brief")
    assert [(c.url, c.text) for c in found] == [
        (
            "https://a.example/studie.pdf",
            "Mustermann, E. (2020): Die Digitalisierung des Mittelstands. Berlin.",
        ),
        ("https://b.example/next", "Next entry,"),
    ]


# -- the seed fact sheet in its published form --


_URL_ONLY = re.compile(r"\s*https?://\S+\s*")
_CITED_AS = {  # the words a typesetter set the links of the fact sheet's first pages on
    "ec.europa.eu": "Eurostat 2021",
    "kfw.de": "KfW 2021",
    "gemeinsam-digital.de": "BVMW/Gemeinsam digital 2020",
    "bvdw.org": "BVDW/IW 2021 - KI-Monitor 2021",
    "digital-strategy.ec.europa.eu": "DESI 2021",
}
_LEADING = 11
_TOP = 760
_BOTTOM = 50


def _factsheet_lines() -> tuple[list[str], list[str]]:
    """The fact sheet's printed lines, and the link targets its text dump lists apart: the
    blocks of bare URLs after a blank line are the link annotations of the page before."""
    lines = FACTSHEET.read_text("utf-8").splitlines()
    printed: list[str] = []
    targets: list[str] = []
    block = False
    for index, line in enumerate(lines):
        block = bool(_URL_ONLY.fullmatch(line)) and (block or not lines[index - 1].strip())
        if block:
            targets.append(line.strip())
        else:
            printed.append(line.rstrip())
    return printed, targets


def _placements(printed: list[str]) -> list[list[Placed]]:
    """The printed lines set in pages of Helvetica 9 pt."""
    pages: list[list[Placed]] = [[]]
    y = _TOP
    for line in printed:
        if y < _BOTTOM:
            pages.append([])
            y = _TOP
        if line.strip():
            pages[-1].append(Placed(line, 50, y, 9))
        y -= _LEADING
    return pages


def _find(pages: list[list[Placed]], words: str, start: tuple[int, int]) -> tuple[int, int]:
    """The first (page, line) at or after ``start`` whose text holds ``words``."""
    for number in range(start[0], len(pages)):
        first = start[1] if number == start[0] else 0
        for index in range(first, len(pages[number])):
            if words in pages[number][index].text:
                return number, index
    raise AssertionError(f"{words!r} is not printed")


def _reading_list_links(
    pages: list[list[Placed]], links: list[list[Link]], targets: list[str]
) -> None:
    """Links over the title words of each reading-list entry, one per line piece."""
    at = _find(pages, "Weiterführende Literatur", (0, 0))
    for target in targets:
        number, index = _find(pages, "\u2022", (at[0], at[1]))
        line = pages[number][index].text
        year = re.search(r"\(\d{4}\):\s*", line)
        assert year is not None, line
        piece = index
        start = year.end() if year.end() < len(line.rstrip()) else None
        if start is None:  # the title starts on the next line
            piece, start = index + 1, 0
        while True:
            text = pages[number][piece].text
            begin = start + len(text[start:]) - len(text[start:].lstrip())
            links[number].append(Link(target, piece, begin, len(text.rstrip())))
            piece, start = piece + 1, 0
            if piece >= len(pages[number]) or "\u2022" in pages[number][piece].text:
                break
            if pages[number][piece].y < pages[number][piece - 1].y - _LEADING:
                break  # a blank line ends the entry
        at = (number, piece)


def _cited_links(pages: list[list[Placed]], links: list[list[Link]], targets: list[str]) -> None:
    """Links over the citations in the text ("KfW 2021"), in order, and over printed URLs,
    one per line piece."""
    positions: dict[str, tuple[int, int]] = {}
    for target in targets:
        host = re.sub(r"^www\.", "", target.split("/")[2])
        words = _CITED_AS.get(host, target.split("://")[1][:40])
        number, index = _find(pages, words, positions.get(host, (0, 0)))
        positions[host] = (number, index + 1)
        line = pages[number][index].text
        if host in _CITED_AS:
            begin = line.index(words)
            links[number].append(Link(target, index, begin, begin + len(words)))
            continue
        links[number].append(Link(target, index, line.index("http"), len(line.rstrip())))
        rest = pages[number][index + 1].text.strip() if index + 1 < len(pages[number]) else ""
        wrapped = (line.strip() + rest).replace(" ", "") in target
        if rest and "://" not in rest and wrapped:
            links[number].append(Link(target, index + 1))


def factsheet_pdf() -> tuple[bytes, dict[str, str]]:
    """The seed fact sheet as a typesetter publishes it: its text on pages, its link targets
    as annotations over the words that cite them (the reading list's over the titles), and
    for each reading-list target the first line of the title its entry shows."""
    printed, targets = _factsheet_lines()
    pages = _placements(printed)
    links: list[list[Link]] = [[] for _ in pages]
    reading = targets[-8:]  # the eight entries of "Weiterführende Literatur"
    _cited_links(pages, links, targets[:-8])
    cited_first = [len(page_links) for page_links in links]
    _reading_list_links(pages, links, reading)
    titles: dict[str, str] = {}
    for number, page_links in enumerate(links):
        for link in page_links[cited_first[number] :]:  # the reading list's own links
            if link.uri in reading:
                piece = pages[number][link.line].text[link.start : link.end]
                titles.setdefault(link.uri, piece)
    return make_laid_out_pdf(pages, links), titles


def registry_urls() -> set[str]:
    data = tomllib.loads((REPO / "sources.toml").read_text("utf-8"))
    return {source["url"] for source in data["source"]}


def test_the_published_fact_sheet_gives_exactly_its_23_urls(tmp_path: Path) -> None:
    data, _ = factsheet_pdf()
    document = tmp_path / "factsheet-ki.pdf"
    document.write_bytes(data)
    found = factlinks.extract_urls(document)
    assert len(found) == 23
    assert {c.url for c in found} == registry_urls()  # none broken, none missing


def test_the_published_fact_sheet_cites_its_reading_list_with_the_titles(tmp_path: Path) -> None:
    data, titles = factsheet_pdf()
    assert len(titles) == 8
    document = tmp_path / "factsheet-ki.pdf"
    document.write_bytes(data)
    cited = {c.url: c for c in factlinks.extract_urls(document)}
    for url, first_words in titles.items():
        assert cited[url].where.endswith(" link")
        title = " ".join(first_words.split())
        assert cited[url].text.startswith(title.rstrip("-")[: len(title) - 2]), (url, cited[url])
    kfw = cited[
        "https://www.kfw.de/PDF/Download-Center/Konzernthemen/Research/PDF-Dokumente-Fokus-"
        "Volkswirtschaft/Fokus-2021/Fokus-Nr.-318-Februar-2021-KI.pdf"
    ]
    # first cited as "KfW 2021" in the statistics, then by its title in the reading list:
    # the text that gives a title is the one kept, the first place stays
    assert kfw.text.startswith("Künstliche Intelligenz: hohe Wachstumschancen")
    assert kfw.where == "page 1 link"


def test_the_text_widths_of_the_generator_are_the_ones_pdfium_measures() -> None:
    import pypdfium2 as pdfium

    line = Placed("Ein Satz mit https://www.example.org/ und Umlauten: äöü ß", 72, 700, 10)
    pdf = pdfium.PdfDocument(one_page([line]))
    textpage = pdf[0].get_textpage()
    last = textpage.count_chars() - 1
    right = textpage.get_charbox(last, loose=True)[2]
    assert right == pytest.approx(72 + text_width(line.text, 10), abs=0.05)


class _TextLayer:
    """A text page as far as ``_text_urls`` reads it when the boxes do not fit the text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def get_text_range(self, errors: str = "ignore") -> str:
        return self.text

    def count_chars(self) -> int:
        return -1  # no geometry: the text rules alone


def test_a_url_set_in_small_capitals_of_an_expert_font_is_read_as_letters() -> None:
    from factlinks._extract.pdf import _text_urls

    small = "".join(chr(0xF761 + ord(c) - ord("a")) for c in "example")
    layer = _TextLayer(f"see https://www.{small}.org/ \uf732\uf730\uf732\uf731")
    found = _text_urls(layer, "page 1", False)  # type: ignore[arg-type]
    assert [c.url for c in found] == ["https://www.example.org/"]


def test_extract_write_gives_the_published_fact_sheet_s_reading_list_its_titles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11, point 3: ``extract --write`` on the fact sheet's PDF proposes, for each
    entry of its reading list, the title that entry prints (the KfW study is cited as "KfW
    2021" in the statistics first: the reading list's title is the one proposed)."""
    from factlinks._cli import main

    data, titles = factsheet_pdf()
    monkeypatch.chdir(tmp_path)
    Path("factsheet-ki.pdf").write_bytes(data)
    Path("sources.toml").write_text("# the fact sheet's citations\n", "utf-8")
    assert main(["extract", "factsheet-ki.pdf", "--sources", "sources.toml", "--write"]) == 0
    capsys.readouterr()
    sources = {s.url: s for s in factlinks.load_sources("sources.toml")}
    assert set(sources) == registry_urls()
    assert len(titles) == 8
    for url in titles:
        assert sources[url].proposed_title, (url, sources[url])
    published = tomllib.loads((REPO / "sources.toml").read_text("utf-8"))
    expected = {s["url"]: s.get("title") for s in published["source"]}
    kfw = next(url for url in titles if "kfw.de" in url)
    assert sources[kfw].proposed_title == expected[kfw]  # the registry's own title
    assert sources[kfw].citation == expected[kfw] + ")"  # the link's text, as printed


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(b"\\303\\274", id="utf-8-bytes-as-hyperref-writes-them"),
        pytest.param(b"\\374", id="not-utf-8-read-as-latin-1"),
    ],
)
def test_a_link_uri_in_utf_8_is_read_as_utf_8(stored: bytes) -> None:
    # A /URI string is bytes; LaTeX's hyperref and others store an IRI's UTF-8 bytes, so
    # Künstliche must not become KÃ¼nstliche (a URL that answers 404 every night).
    placeholder = "Z" * len(stored)
    data = make_pdf(["Reading list"], links=[f"https://a.example/wiki/K{placeholder}nstliche"])
    data = data.replace(placeholder.encode(), stored)
    assert urls(data) == ["https://a.example/wiki/Künstliche"]
