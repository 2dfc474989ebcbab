"""The BibTeX registry format: a ``.bib`` file read into sources, its errors, and a real check.

The fixture ``fixtures/bibtex/refs.bib`` was written for these tests, shaped like biblatex's
example database and like Zotero exports (its header says so).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
from pathlib import Path

import pytest

from factlinks import RegistryError
from factlinks._cli import main
from factlinks._registry import FORMATS, BibtexFormat, Edit, format_for, load_sources
from factlinks._registry.bibtex import latex_to_text
from farm import Farm, Reply
from pdfgen import make_pdf

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bibtex" / "refs.bib"
BIB = BibtexFormat()


def parse(text: str, path: str = "refs.bib") -> list[tuple[str, str, str | None]]:
    return [(s.id, s.url, s.title) for s in BIB.parse(text, path=path)]


# -- choosing the format ----------------------------------------------------------------------


def test_a_bib_file_is_read_as_bibtex_by_suffix_and_by_content() -> None:
    text = "% refs\n@online{a, url = {https://a.example/}}\n"
    assert FORMATS["bibtex"] is format_for("refs.bib", text)
    assert isinstance(format_for("refs.bib"), BibtexFormat)
    assert isinstance(format_for("<string>", text), BibtexFormat)
    assert isinstance(format_for("refs.txt", text), BibtexFormat)
    assert not BIB.sniff('[[source]]\nid = "a"\nurl = "https://a.example/"\n')
    assert not BIB.sniff("mail me: a@b.example {x}\n")


# -- the fixture, entry by entry --------------------------------------------------------------


def test_the_fixture_maps_every_entry_with_a_url(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = load_sources(FIXTURE)
    assert registry.path == str(FIXTURE)
    assert [(s.id, s.citation, s.line) for s in registry] == [
        ("ctan", "CTAN", 8),
        ("kfw-2021", "kfw:2021", 18),
        ("knuth_1984", "Knuth_1984", 26),
        ("ueber-uns", "ueber-uns", 34),
        ("salam", "salam", 39),
        ("nobel", "nobel", 46),
        ("einstein", "einstein", 62),
    ]
    assert {s.cited_in for s in registry} == {("refs.bib",)}
    ctan = registry.get("ctan")
    assert ctan is not None
    assert (ctan.url, ctan.title, ctan.accessed) == (
        "https://www.ctan.example.org/",
        "CTAN: The Comprehensive TeX Archive Network",  # title and subtitle, as pandoc joins them
        dt.date(2006, 10, 1),
    )
    note = "refs.bib: 1 entry not checkable: aristotle:physics (line 54): no URL and no DOI."
    assert registry.notes == (note,)
    messages = [record.getMessage() for record in caplog.records]
    assert any(note in m for m in messages)
    assert any("refs.bib:68: entry 'einstein': 'urldate' '2005-06' is not a" in m for m in messages)


def test_authors_and_year_name_the_reference() -> None:
    registry = load_sources(FIXTURE)
    kfw, salam = registry.get("kfw-2021"), registry.get("salam")
    assert kfw is not None
    assert salam is not None
    assert kfw.authors == ("Kreditanstalt für Wiederaufbau",)
    assert salam.authors == ("Salam, Abdus",)
    assert salam.reference == "Salam: Weak and Electromagnetic Interactions"


def test_doi_field_and_doi_only_entries_are_checkable() -> None:
    text = r"""
@article{a, title = {A}, doi = {https://doi.org/10.1000/A\_b}, author = {Jan van der Berg and
  Ludwig van Beethoven and others}, date = {2006-10-01}}
@article{b, title = {B}, doi = {not a doi}, url = {https://b.example/}}
@article{c, title = {C}, url = {www.c.example/no-scheme}, doi = {10.1000/c}}
@article{d, title = {D}, url = {www.d.example/no-scheme}}
"""
    registry = BIB.parse(text, path="x.bib")
    a, b, c = registry
    assert (a.doi, a.url, a.year) == ("10.1000/A_b", "https://doi.org/10.1000/A_b", "2006")
    assert a.authors == ("van der Berg, Jan", "van Beethoven, Ludwig")
    assert a.reference == "van der Berg and van Beethoven (2006): A"
    assert (b.doi, b.url) == (None, "https://b.example/")
    assert (c.doi, c.url) == ("10.1000/c", "https://doi.org/10.1000/c")
    assert registry.notes == (
        "x.bib: 1 entry not checkable: d (line 6): field 'url': the URL must be http or "
        "https, not no scheme: 'www.d.example/no-scheme'.",
    )


def test_string_macros_and_latex_in_titles_become_text() -> None:
    registry = load_sources(FIXTURE)
    titles = {s.id: s.title for s in registry}
    assert titles["kfw-2021"] == "Jahresbericht der Straßenbauverwaltung"  # @string, {\ss}
    assert titles["ueber-uns"] == "Über uns \u2013 Geschichte & Auftrag"  # {\"U}, --, \&
    assert titles["einstein"] == "Zur Elektrodynamik bewegter Körper. ($E = mc^2$)"


def test_url_comes_from_howpublished_or_note_when_there_is_no_url_field() -> None:
    registry = load_sources(FIXTURE)
    urls = {s.id: s.url for s in registry}
    assert urls["knuth_1984"] == "https://docs.example.org/lp.html"  # Howpublished, any case
    assert urls["ueber-uns"] == "https://docs.example.org/gone.html"  # inside a note's text


_EPRINTS = """\
@article{baez, eprinttype = {arxiv}, eprint = {math/0307200v3}, title = {Higher Algebra}}
@online{kant, eprinttype = {JSTOR}, eprint = {2251123}, title = {Kritik}}
@article{pm, eprinttype = {pubmed}, eprint = {12345678}, title = {A Trial}}
@book{hdl, eprinttype = {hdl}, eprint = {2027/mdp.39015011532478}, title = {A Thesis}}
@book{gb, eprinttype = {googlebooks}, eprint = {4HIWAAAAYAAJ}, title = {Ästhetik}}
@misc{bibtex-style, archivePrefix = "arXiv", eprint = "1008.2849v1", title = {Old style}}
@misc{own-url, url = {https://own.example/}, eprinttype = {arxiv}, eprint = {1}, title = {U}}
@misc{unknown-kind, eprinttype = {ssrn}, eprint = {42}, title = {No link known}}
@misc{no-kind, eprint = {hep-th/9603067}, title = {No type given}}
"""


def test_an_eprint_of_a_known_type_is_read_as_biblatex_links_it() -> None:
    registry = BIB.parse(_EPRINTS, path="refs.bib")
    assert {s.id: s.url for s in registry} == {
        "baez": "https://arxiv.org/abs/math/0307200v3",
        "kant": "https://www.jstor.org/stable/2251123",
        "pm": "https://pubmed.ncbi.nlm.nih.gov/12345678/",
        "hdl": "https://hdl.handle.net/2027/mdp.39015011532478",
        "gb": "https://books.google.com/books?id=4HIWAAAAYAAJ",
        "bibtex-style": "https://arxiv.org/abs/1008.2849v1",
        "own-url": "https://own.example/",  # a url field comes first
    }
    assert any("unknown-kind" in note and "no-kind" in note for note in registry.notes)


def test_a_moved_eprint_gets_a_url_field_and_the_eprint_stays() -> None:
    text = "@article{baez,\n  eprinttype = {arxiv},\n  eprint     = {math/0307200v3},\n}\n"
    edit = Edit(
        "baez",
        "url",
        "https://arxiv.org/abs/math/0307200",
        old="https://arxiv.org/abs/math/0307200v3",
    )
    edited = BIB.apply_edits(text, [edit], path="refs.bib")
    assert edited == text.replace(
        "v3},\n}", "v3},\n  url        = {https://arxiv.org/abs/math/0307200},\n}"
    )
    assert BIB.parse(edited).get("baez").url == "https://arxiv.org/abs/math/0307200"  # type: ignore[union-attr]


def test_crossref_passes_on_url_and_urldate_but_not_the_title() -> None:
    salam = load_sources(FIXTURE).get("salam")
    assert salam is not None
    assert salam.url == "https://docs.example.org/nobel-8.pdf"
    assert salam.accessed == dt.date(1968, 5, 19)
    assert salam.title == "Weak and Electromagnetic Interactions"


def test_a_subtitle_follows_the_title_as_reference_managers_join_them() -> None:
    text = (
        "@online{ctan, title = {CTAN}, subtitle = {The {Comprehensive TeX Archive Network}},"
        " url = {https://ctan.example/}}\n"
        "@book{q, title = {Why?}, subtitle = {Because}, url = {https://q.example/}}\n"
        "@book{p, title = {Proceedings}, subtitle = {Of a Meeting}, url = {https://p.example/}}\n"
        "@inproceedings{c, crossref = {p}, title = {A Talk}}\n"
    )
    assert [title for _, _, title in parse(text)] == [
        "CTAN: The Comprehensive TeX Archive Network",
        "Why? Because",
        "Proceedings: Of a Meeting",
        "A Talk",  # the parent's subtitle is the child's booksubtitle, not its own
    ]


def test_a_crossref_cycle_or_a_missing_parent_ends() -> None:
    text = (
        "@misc{a, crossref = {b}}\n@misc{b, crossref = {a}, url = {https://b.example/}}\n"
        "@misc{c, crossref = {nowhere}, url = {https://c.example/}}\n"
    )
    assert parse(text) == [
        ("a", "https://b.example/", None),
        ("b", "https://b.example/", None),
        ("c", "https://c.example/", None),
    ]


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"{The {TeX}book}", "The TeXbook"),
        (r"M{\"u}ller \"Uber Stra{\ss}e", "Müller Über Straße"),
        (r"pages 1--2 and---so", "pages 1\u20132 and\u2014so"),
        (r"R\&D \& more", "R&D & more"),
        (r"On $\alpha$-stable laws", r"On $\alpha$-stable laws"),
        ("two\n   lines", "two lines"),
        (r"Ma{\~n}ana {\'e}t{\'e}", "Mañana été"),
        (r"methodology\hyphen independent, A\slash B", "methodology-independent, A/B"),
        (r"\hyphenation kept", "kept"),  # another command: pylatexenc drops it
        (r"Members of the {\TeX} Users Group", "Members of the TeX Users Group"),
        (r"\LaTeX\ and \BibTeX, \LaTeXe{} on \XeTeX", "LaTeX and BibTeX, LaTeX2e on XeTeX"),
        (r"The \TeX{}book; \AmS-\LaTeX; \eTeX", "The TeXbook; AMS-LaTeX; e-TeX"),
    ],
)
def test_latex_to_text(latex: str, text: str) -> None:
    assert latex_to_text(latex) == text


def test_entry_keys_become_valid_unique_ids_and_stay_as_citation() -> None:
    text = (
        "@misc{Smith:2020, url = {https://a.example/}}\n"
        "@misc{smith-2020, url = {https://b.example/}}\n"
        "@misc{Smith 2020?, url = {https://c.example/}}\n"
        "@misc{Müller:2020, url = {https://d.example/}}\n"
        "@misc{Ω, url = {https://e.example/}}\n"
    )
    registry = BIB.parse(text, path="refs.bib")
    assert [(s.id, s.citation) for s in registry] == [
        ("smith-2020", "Smith:2020"),
        ("smith-2020-2", "smith-2020"),
        ("smith-2020-3", "Smith 2020?"),
        ("muller-2020", "Müller:2020"),
        ("entry", "Ω"),
    ]


def test_text_without_a_file_name_has_no_cited_in() -> None:
    (source,) = BIB.parse("@misc{a, url = {https://a.example/}}")
    assert source.cited_in == ()


def test_an_empty_bib_file_is_an_empty_registry() -> None:
    assert len(BIB.parse("% nothing yet\n", path="refs.bib")) == 0


# -- what BibTeX and biber accept in real files -----------------------------------------------


def test_percent_comments_inside_entries_are_skipped() -> None:
    """As in biblatex-abnt's and windycity's example files: a commented-out field, and a
    comment after a field's ``},`` that used to swallow the next field (its URL)."""
    text = (
        "%@Abstract{Abstract:,\n  %Title = {},\n%}\n"
        "@book{james2008,\n  title = {The Ambassadors},\n"
        "%  edition = {rev. ed.},% alternative to below:\n"
        "  sortyear = {1910},% sort after james1909\n"
        "  url = {http://www.gutenberg.org/ebooks/432}\n}\n"
        "@misc{pct, url = {https://a.example/a%20b},\n  title = {100\\% sure}}\n"
    )
    registry = BIB.parse(text, path="refs.bib")
    assert [(s.id, s.url, s.line) for s in registry] == [
        ("james2008", "http://www.gutenberg.org/ebooks/432", 4),
        ("pct", "https://a.example/a%20b", 10),
    ]
    assert registry[1].title == "100% sure"


def test_a_field_given_twice_counts_once_the_first(caplog: pytest.LogCaptureFixture) -> None:
    text = "@misc{a,\n  year = {2001},\n  url = {https://a.example/},\n  year = {2002}\n}\n"
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        (source,) = BIB.parse(text, path="refs.bib")
    assert (source.url, source.year) == ("https://a.example/", "2001")
    assert "refs.bib:1: entry 'a': field 'year' given more than once" in caplog.text


def test_a_repeated_key_keeps_the_first_entry_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = (
        '@string{cup = "Cambridge"}\n@string{cup = "Oxford"}\n'
        "@misc{a, url = {https://a.example/}, publisher = cup}\n\n"
        "@misc{a, url = {https://b.example/}}\n"
    )
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = BIB.parse(text, path="refs.bib")
    assert [(s.id, s.url) for s in registry] == [("a", "https://a.example/")]
    assert registry.notes == (
        "refs.bib: 1 entry left out, their key repeated: a (line 5, first at line 3).",
    )
    assert "refs.bib:2: @string 'cup' defined again; the first definition counts" in caplog.text
    assert "refs.bib:5: entry 'a': the key of the entry at line 3 again; left out" in caplog.text


@pytest.mark.parametrize(
    ("data", "title", "said"),
    [
        pytest.param(
            b"@misc{a, title = {M\xfcller \x96 Stra\xdfe}, url = {https://a.example/}}\n",
            "Müller \u2013 Straße",
            "read as cp1252 as no encoding is declared",
            id="cp1252-undeclared",
        ),
        pytest.param(
            b"% Encoding: ISO8859_1\n\n@misc{a, title = {M\xfcller \x96}, url = {https://a.example/}}",
            "Müller \x96",
            "read as iso8859-1 as it declares",
            id="jabref-declared-latin-1",
        ),
        pytest.param(
            b"% Encoding: Cp1253\n@misc{a, title = {\xc1\xe8\xde\xed\xe1}, url = {https://a.example/}}",
            "Αθήνα",
            "read as cp1253 as it declares",
            id="jabref-declared-greek",
        ),
        pytest.param(
            b"% -*- coding: latin-1 -*-\n@misc{a, title = {\xe9t\xe9}, url = {https://a.example/}}",
            "été",
            "read as iso8859-1 as it declares",
            id="emacs-cookie",
        ),
        pytest.param(
            b"@misc{a, title = {x\x81y}, url = {https://a.example/}}",
            "x\x81y",
            "read as latin-1 as no encoding is declared",
            id="not-cp1252-either",
        ),
    ],
)
def test_a_bib_file_that_is_not_utf8_is_read_in_its_declared_or_a_legacy_encoding(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes, title: str, said: str
) -> None:
    path = tmp_path / "old.bib"
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        (source,) = load_sources(path)
        (again,) = BIB.load(path)
    assert (source.url, source.title) == ("https://a.example/", title)
    assert again == source
    assert f"{path}:" in caplog.text
    assert "not UTF-8 text" in caplog.text
    assert said in caplog.text


def test_a_utf8_bib_file_is_read_as_utf8_even_when_it_declares_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes(
        "% Encoding: ISO8859_1\n@misc{a, title = {Müller}, url = {https://a.example/}}".encode()
    )
    assert load_sources(path)[0].title == "Müller"


def test_only_bibtex_reads_legacy_encodings(tmp_path: Path) -> None:
    toml = tmp_path / "sources.toml"
    toml.write_bytes(b'[[source]]\nid = "a"\nurl = "https://a.example/"\ntitle = "M\xfcller"\n')
    with pytest.raises(RegistryError, match=r"sources\.toml:4: not UTF-8 text"):
        load_sources(toml)
    unnamed = tmp_path / "refs.txt"
    unnamed.write_bytes(b"@misc{a, title = {M\xfcller}, url = {https://a.example/}}")
    with pytest.raises(RegistryError, match=r"refs\.txt:1: not UTF-8 text"):
        load_sources(unnamed)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "@misc{ok, url = {https://a.example/}}\n@book{broken,\n  title = {Un{balanced}\n"
            "@misc{after, url = {https://b.example/}}\n",
            r"^refs\.bib:2: invalid BibTeX: .*broken|^refs\.bib:2: invalid BibTeX: .*closing",
            id="unbalanced-braces",
        ),
    ],
)
def test_malformed_input_names_file_line_entry_and_field(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as info:
        BIB.parse(text, path="refs.bib")
    assert info.value.path == "refs.bib"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        pytest.param(
            "@misc{Ftp:1,\n  title = {X},\n  url = {ftp://files.example/x.pdf},\n}\n",
            "Ftp:1 (line 3): field 'url': the URL must be http or https, not ftp",
            id="ftp-url",
        ),
        pytest.param(
            "@misc{n, note = {see \\url{mailto:a@b.example}}}\n",
            "n (line 1): field 'note': the URL must be http or https, not mailto",
            id="note-url",
        ),
        pytest.param(
            "@misc{w, url = {https://a.example/x y}}\n",
            "w (line 1): field 'url': the URL contains white space",
            id="white-space",
        ),
    ],
)
def test_an_entry_with_a_bad_url_is_listed_as_not_checkable(text: str, note: str) -> None:
    """One bad URL in a file a reference manager keeps does not stop the check of the rest:
    the entry is named, with the file, line and field, in the report's notes."""
    registry = BIB.parse(text + "@misc{good, url = {https://a.example/}}\n", path="refs.bib")
    assert [s.id for s in registry] == ["good"]
    assert len(registry.notes) == 1
    assert registry.notes[0].startswith(f"refs.bib: 1 entry not checkable: {note}")


def test_appends_are_refused_and_only_url_has_a_place() -> None:
    text = "@misc{a, url = {https://a.example/}}\n"
    with pytest.raises(RegistryError, match=r"write them to a sources\.toml"):
        BIB.append(text, list(BIB.parse(text)), path="refs.bib")
    assert BIB.holds("url")
    assert not BIB.holds("cited_url")
    assert not BIB.holds("archive_url")
    assert not BIB.holds_settings


# -- @string macros and # concatenation -------------------------------------------------------


def test_string_concatenation_is_resolved() -> None:
    text = (
        "@string{acm = {ACM}}\n"
        '@STRING{base = "https://a.example"}\n'
        '@string{deep = base # "/d"}\n'
        '@misc{x, title = acm # " Press", url = base # "/x"}\n'
        "@misc{y, title = {A} # jan # 1984, url = Deep # {/y}}\n"
        '@misc{z, title = "say {"}hi{"}", url = "https://a.example/z"}\n'
    )
    assert parse(text) == [
        ("x", "https://a.example/x", "ACM Press"),
        ("y", "https://a.example/d/y", "Ajan1984"),  # an undefined macro stands for its name
        ("z", "https://a.example/z", 'say "hi"'),
    ]


def test_a_macro_is_resolved_against_those_defined_before_it() -> None:
    text = (
        '@string{b = a # "/late"}\n'  # 'a' is not defined yet: it stands for its name
        '@string{a = "https://a.example"}\n'
        "@misc{x, url = a, note = b}\n"
    )
    assert parse(text) == [("x", "https://a.example", None)]


# -- writing URLs back (factlinks fix) --------------------------------------------------------

MOVED = "https://new.example/ctan?q=%41&x=a_b#top~"


def _changed_lines(old: str, new: str) -> list[str]:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_fix_changes_only_the_characters_of_the_url() -> None:
    text = FIXTURE.read_text("utf-8")
    edits = [
        Edit("ctan", "url", MOVED, old="https://www.ctan.example.org/"),
        Edit("knuth_1984", "url", "https://new.example/lp", old="https://docs.example.org/lp.html"),
        Edit("ueber-uns", "url", "https://new.example/u", old="https://docs.example.org/gone.html"),
    ]
    new = BIB.apply_edits(text, edits, path="refs.bib")
    assert _changed_lines(text, new) == [
        "-  url          = {https://www.ctan.example.org/},",
        f"+  url          = {{{MOVED}}},",  # %, #, _, & and ~ verbatim: biblatex's url is
        "-  Howpublished = {\\url{https://docs.example.org/lp.html}},",
        "+  Howpublished = {\\url{https://new.example/lp}},",
        "-  note         = {Zuletzt gesehen: \\url{https://docs.example.org/gone.html}},",
        "+  note         = {Zuletzt gesehen: \\url{https://new.example/u}},",
    ]
    back = (
        new.replace(MOVED, "https://www.ctan.example.org/")
        .replace("https://new.example/lp", "https://docs.example.org/lp.html")
        .replace("https://new.example/u", "https://docs.example.org/gone.html")
    )
    assert back == text  # every other byte as it was: comments, @string, layout
    urls = {s.id: s.url for s in BIB.parse(new)}
    assert urls["ctan"] == MOVED
    assert urls["knuth_1984"] == "https://new.example/lp"


@pytest.mark.parametrize(
    ("entry", "edited"),
    [
        pytest.param(
            '@misc{a, url = "https://a.example/"}',
            '@misc{a, url = "https://b.example/"}',
            id="quotes-stay-quotes",
        ),
        pytest.param(
            "@misc(a, url = { https://a.example/ })",
            "@misc(a, url = { https://b.example/ })",
            id="parentheses-and-inner-spaces",
        ),
        pytest.param(
            "@misc{a,\n\tURL={https://a.example/}\n}",
            "@misc{a,\n\tURL={https://b.example/}\n}",
            id="tab-and-upper-case-key",
        ),
    ],
)
def test_the_delimiters_and_spacing_of_the_value_stay(entry: str, edited: str) -> None:
    edit = Edit("a", "url", "https://b.example/", old="https://a.example/")
    assert BIB.apply_edits(entry + "\n", [edit], path="refs.bib") == edited + "\n"


def test_line_endings_and_a_byte_order_mark_stay() -> None:
    text = "\ufeff% c\r\n@misc{a,\r\n  url = {https://a.example/},\r\n}\r\n"
    edit = Edit("a", "url", "https://b.example/", old="https://a.example/")
    new = BIB.apply_edits(text, [edit], path="refs.bib")
    assert new == text.replace("https://a.example/", "https://b.example/")


@pytest.mark.parametrize(
    ("entry", "edited"),
    [
        pytest.param(
            "@article{d,\n  author       = {A, B},\n  doi          = {10.1000/182},\n}",
            "@article{d,\n  author       = {A, B},\n  doi          = {10.1000/182},\n"
            "  url          = {https://b.example/},\n}",
            id="aligned-with-trailing-comma",
        ),
        pytest.param(
            '@article{d,\r\n\tdoi="10.1000/182"\r\n}',
            '@article{d,\r\n\tdoi="10.1000/182",\r\n\turl="https://b.example/"\r\n}',
            id="no-trailing-comma-quotes-crlf",
        ),
        pytest.param(
            "@article{d, doi = {10.1000/182}}",
            "@article{d, doi = {10.1000/182}, url = {https://b.example/}}",
            id="one-line",
        ),
    ],
)
def test_an_entry_checked_by_its_doi_gets_a_url_field_laid_out_like_its_last(
    entry: str, edited: str
) -> None:
    for old in ("https://doi.org/10.1000/182", None):
        edit = Edit("d", "url", "https://b.example/", old=old)
        assert BIB.apply_edits(entry + "\n", [edit], path="refs.bib") == edited + "\n"
    assert BIB.parse(edited).get("d").url == "https://b.example/"  # type: ignore[union-attr]


_REFUSED_TEXT = FIXTURE.read_text("utf-8") + (
    '\n@string{base = "https://m.example"}\n'
    "@misc{macro, url = base}\n"
    '@misc{concat, url = base # "/x"}\n'
    '@misc{quoted, url = "https://q.example/"}\n'
    "@misc{child, crossref = {ueber-uns}}\n"
)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            Edit("macro", "url", "https://b.example/", old="https://m.example"),
            r"refs\.bib:\d+: entry 'macro': its url is given by the @string macro 'base'; "
            r"change it by hand to give url = \{https://b\.example/\}",
            id="macro",
        ),
        pytest.param(
            Edit("concat", "url", "https://b.example/", old="https://m.example/x"),
            r"entry 'concat': its url is given by a # concatenation \(base # \"/x\"\)",
            id="concatenation",
        ),
        pytest.param(
            Edit("salam", "url", "https://b.example/", old="https://docs.example.org/nobel-8.pdf"),
            r"refs\.bib:39: entry 'salam': its url is inherited by crossref from entry 'nobel' "
            r"\(line 50\); change that entry's url",
            id="crossref-url",
        ),
        pytest.param(
            Edit("child", "url", "https://b.example/", old="https://docs.example.org/gone.html"),
            r"entry 'child': its URL is in the 'note' of entry 'ueber-uns' \(line 36\)",
            id="crossref-note",
        ),
        pytest.param(
            Edit("ctan", "url", "https://b.example/", old="https://elsewhere.example/"),
            r"refs\.bib:12: entry 'CTAN': 'url' is 'https://www\.ctan\.example\.org/', not "
            r"'https://elsewhere\.example/' as planned; the file changed since",
            id="stale",
        ),
        pytest.param(
            Edit("ctan", "url", "https://b.example/{x", old="https://www.ctan.example.org/"),
            r"entry 'CTAN': the new URL has unbalanced braces",
            id="unbalanced-braces",
        ),
        pytest.param(
            Edit("quoted", "url", 'https://b.example/"', old="https://q.example/"),
            r"entry 'quoted': the new URL has a '\"', which ends a \"…\" value",
            id="quote-in-quotes",
        ),
        pytest.param(
            Edit("ctan", "url", "https://b.example/\\", old="https://www.ctan.example.org/"),
            r"the new URLs would make the file unreadable .*make these edits by hand: ctan: url",
            id="unreadable",
        ),
        pytest.param(
            Edit("ctan", "archive_url", "https://b.example/", old=None),
            r"entry 'ctan': a BibTeX entry has no place for 'archive_url'; add it by hand",
            id="other-key",
        ),
        pytest.param(
            Edit("ctan", "url", None, old="https://www.ctan.example.org/"),
            r"does not remove a URL",
            id="removal",
        ),
        pytest.param(
            Edit("nobody", "url", "https://b.example/", old=None),
            r"refs\.bib: no entry with id 'nobody'",
            id="unknown-id",
        ),
        pytest.param(
            Edit("aristotle-physics", "url", "https://b.example/", old=None),
            r"entry 'aristotle:physics' \(id 'aristotle-physics'\) has no URL and no DOI",
            id="not-a-source",
        ),
    ],
)
def test_an_edit_that_cannot_be_made_safely_is_refused(edit: Edit, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        BIB.apply_edits(_REFUSED_TEXT, [edit], path="refs.bib")


def test_two_edits_of_one_entry_are_refused() -> None:
    edit = Edit("ctan", "url", "https://b.example/", old="https://www.ctan.example.org/")
    with pytest.raises(RegistryError, match=r"entry 'ctan': two edits of its url"):
        BIB.apply_edits(_REFUSED_TEXT, [edit, edit], path="refs.bib")


def test_no_edits_leave_the_text_as_it_is() -> None:
    assert BIB.apply_edits(_REFUSED_TEXT, [], path="refs.bib") is _REFUSED_TEXT


# -- factlinks check refs.bib -----------------------------------------------------------------


@pytest.mark.integration
def test_check_a_bib_file_against_a_local_web(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes(FIXTURE.read_bytes())
    out = tmp_path / "out"
    with Farm() as farm:
        farm.add_host(
            "www.ctan.example.org",
            {"/": Reply.html("<h1>CTAN</h1>", title="CTAN: The Comprehensive TeX Archive Network")},
        )
        farm.add_host(
            "docs.example.org",
            {
                "/reports/annual-2021.pdf": Reply.pdf(
                    make_pdf(["Jahresbericht der Straßenbauverwaltung 2021"])
                ),
                "/lp.html": Reply.html("<h1>Literate Programming</h1>", title="Literate"),
                "/nobel-8.pdf": Reply.pdf(make_pdf(["Elementary Particle Theory"])),
                "/einstein-1905.html": Reply.html(
                    "<h1>Zur Elektrodynamik bewegter Körper. ($E = mc^2$)</h1>"
                ),
            },
        )
        argv = ["check", str(path), "--out", str(out), "--timeout", "3", "--no-archive"]
        code = main([*argv, "--format", "json", *farm.remap_args()])
    assert code == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    statuses = {s["id"]: s["status"] for s in report["sources"]}
    assert statuses == {
        "ctan": "ok",
        "kfw-2021": "ok",
        "knuth_1984": "ok",
        "ueber-uns": "dead",  # the farm answers 404
        "salam": "drifted",  # the crossref'd PDF holds the proceedings, not the paper
        "nobel": "ok",
        "einstein": "ok",
    }
    err = capsys.readouterr().err
    assert "not checkable: aristotle:physics" in err


# -- factlinks fix refs.bib -------------------------------------------------------------------


def _farm_with_a_move(farm: Farm) -> None:
    """The hosts of the fixture, where CTAN's page has moved for good (301)."""
    farm.add_host(
        "www.ctan.example.org",
        {
            "/": Reply.redirect("/new/", status=301),
            "/new/": Reply.html(
                "<h1>CTAN</h1>", title="CTAN: The Comprehensive TeX Archive Network"
            ),
        },
    )
    farm.add_host(
        "docs.example.org",
        {
            "/reports/annual-2021.pdf": Reply.pdf(
                make_pdf(["Jahresbericht der Straßenbauverwaltung 2021"])
            ),
            "/lp.html": Reply.html("<h1>Literate Programming</h1>", title="Literate"),
            "/nobel-8.pdf": Reply.pdf(make_pdf(["Elementary Particle Theory"])),
            "/einstein-1905.html": Reply.html("<h1>Zur Elektrodynamik bewegter Körper.</h1>"),
        },
    )


@pytest.mark.integration
def test_fix_apply_rewrites_the_moved_url_in_the_bib_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes(FIXTURE.read_bytes())
    text = FIXTURE.read_text("utf-8")
    state = tmp_path / "state.db"
    with Farm() as farm:
        _farm_with_a_move(farm)
        argv = ["check", str(path), "--state", str(state), "--out", str(tmp_path / "out")]
        assert main([*argv, "--timeout", "3", "--no-archive", "-q", *farm.remap_args()]) == 1
    capsys.readouterr()
    changed = [
        "-  url          = {https://www.ctan.example.org/},",
        "+  url          = {https://www.ctan.example.org/new/},",
    ]
    name = path.as_posix().lstrip("/")

    assert main(["fix", str(path), "--state", str(state)]) == 0  # a dry run: the diff only
    out, err = capsys.readouterr()
    assert out.startswith(f"--- a/{name}\n+++ b/{name}\n@@ ")
    assert [line for line in out.splitlines() if line[:1] in "+-"][2:] == changed
    assert "1 change(s) planned; run with --apply" in err
    assert path.read_text("utf-8") == text

    assert main(["fix", str(path), "--state", str(state), "--apply"]) == 0
    applied, err = capsys.readouterr()
    assert applied == out
    assert "1 change(s) written" in err
    assert _changed_lines(text, path.read_text("utf-8")) == changed

    assert main(["fix", str(path), "--state", str(state)]) == 0  # fixed: nothing left
    out, err = capsys.readouterr()
    assert out == ""
    assert "nothing to fix" in err


def test_a_comment_after_a_field_does_not_stop_fix() -> None:
    text = (
        "@Book{james2008,\n  title = {The Ambassadors},\n  sortyear = {1910},% sort after"
        " james1909\n  url = {http://www.gutenberg.org/ebooks/432}\n}\n"
    )
    edit = Edit(
        "james2008", "url", "https://g.example/432", old="http://www.gutenberg.org/ebooks/432"
    )
    edited = BIB.apply_edits(text, [edit], path="refs.bib")
    assert edited == text.replace("http://www.gutenberg.org/ebooks/432", "https://g.example/432")


_SEVERAL = """\
@Article{Anonymous:1999:CE,
  title =        "Calendar",
  URL =          "https://tug.org/calendar.html;
                 https://tug.org/TUGboat/tb20-1/tb20-1calendar.pdf",
  bibsource =    "http://www.math.utah.edu/pub/tex/bib/tugboat.bib",
}
@misc{spaced, url = {https://a.example/ https://b.example/}}
@misc{not-urls, url = {see https://a.example/}}
"""


def test_a_url_field_with_several_urls_is_checked_at_the_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = BIB.parse(_SEVERAL, path="tugboat.bib")
    assert [(s.id, s.url) for s in registry] == [
        ("anonymous-1999-ce", "https://tug.org/calendar.html"),
        ("spaced", "https://a.example/"),
    ]
    assert registry.notes[1] == (
        "tugboat.bib: 2 entries give several URLs in their url field; the first of each is "
        "checked: Anonymous:1999:CE (line 3); spaced (line 7)."
    )
    assert "not-urls (line 8)" in registry.notes[0]  # text around a URL: not a URL
    assert any(
        "tugboat.bib:3: entry 'Anonymous:1999:CE': field 'url' holds 2 URLs; the first is "
        "checked, not https://tug.org/TUGboat/tb20-1/tb20-1calendar.pdf" in r.getMessage()
        for r in caplog.records
    )
    edit = Edit(
        "anonymous-1999-ce", "url", "https://tug.org/cal/", old="https://tug.org/calendar.html"
    )
    edited = BIB.apply_edits(_SEVERAL, [edit], path="tugboat.bib")
    assert edited == _SEVERAL.replace("https://tug.org/calendar.html;", "https://tug.org/cal/;")


def test_quotes_inside_braces_inside_a_quoted_value_are_text_as_in_bibtex() -> None:
    text = (
        '@book{greene, title = "{The "Art", Band 3}",\n'
        '  remark = "{aus "optionalen" Kapitel, "the Art, Band 3".}",\n'
        '  url = "https://g.example/"}\n'
    )
    assert parse(text) == [("greene", "https://g.example/", 'The "Art", Band 3')]
    edit = Edit("greene", "url", "https://h.example/", old="https://g.example/")
    edited = BIB.apply_edits(text, [edit], path="refs.bib")
    assert edited == text.replace("https://g.example/", "https://h.example/")


def test_a_url_written_as_text_in_note_or_howpublished_is_the_url() -> None:
    text = (
        "@misc{xbow, title = {Crossbow}, note = {http://www.xbow.com}}\n"
        "@misc{said, howpublished = {Online at https://s.example/a/b.html.}, title = {S}}\n"
        "@misc{wins, note = {see https://bare.example/ or \\url{https://u.example/}}}\n"
        "@misc{path, note = {file://x and //not-a-url, ftp://f.example/}}\n"
    )
    assert [(s.id, s.url) for s in BIB.parse(text)] == [
        ("xbow", "http://www.xbow.com"),
        ("said", "https://s.example/a/b.html"),
        ("wins", "https://u.example/"),  # a \url{…} comes first
    ]
    edit = Edit("said", "url", "https://s.example/new", old="https://s.example/a/b.html")
    edited = BIB.apply_edits(text, [edit], path="refs.bib")
    assert edited == text.replace("https://s.example/a/b.html.", "https://s.example/new.")
