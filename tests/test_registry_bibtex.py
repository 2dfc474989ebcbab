"""The BibTeX registry format: a ``.bib`` file read into sources, its errors, and a real check.

The fixture ``fixtures/bibtex/refs.bib`` was written for these tests, shaped like biblatex's
example database and like Zotero exports (its header says so).
"""

from __future__ import annotations

import datetime as dt
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
        "CTAN",
        dt.date(2006, 10, 1),
    )
    messages = [record.getMessage() for record in caplog.records]
    assert any("1 entry without a URL, not checkable: aristotle:physics" in m for m in messages)
    assert any("'einstein': 'urldate' '2005-06' is not a date" in m for m in messages)


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


def test_crossref_passes_on_url_and_urldate_but_not_the_title() -> None:
    salam = load_sources(FIXTURE).get("salam")
    assert salam is not None
    assert salam.url == "https://docs.example.org/nobel-8.pdf"
    assert salam.accessed == dt.date(1968, 5, 19)
    assert salam.title == "Weak and Electromagnetic Interactions"


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


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "@misc{a, url = {https://a.example/}}\n\n@misc{a, url = {https://b.example/}}\n",
            r"^refs\.bib:3: entry 'a': duplicate entry key \(also line 1\)$",
            id="duplicate-key",
        ),
        pytest.param(
            "@misc{ok, url = {https://a.example/}}\n@book{broken,\n  title = {Un{balanced}\n"
            "@misc{after, url = {https://b.example/}}\n",
            r"^refs\.bib:2: invalid BibTeX: .*broken|^refs\.bib:2: invalid BibTeX: .*closing",
            id="unbalanced-braces",
        ),
        pytest.param(
            "@misc{Ftp:1,\n  title = {X},\n  url = {ftp://files.example/x.pdf},\n}\n",
            r"^refs\.bib:3: entry 'Ftp:1': field 'url': the URL must be http or https, not ftp",
            id="ftp-url",
        ),
        pytest.param(
            "@misc{n, note = {see \\url{mailto:a@b.example}}}\n",
            r"^refs\.bib:1: entry 'n': field 'note': the URL must be http or https, not mailto",
            id="note-url",
        ),
        pytest.param(
            "@misc{w, url = {https://a.example/x y}}\n",
            r"^refs\.bib:1: entry 'w': field 'url': the URL contains white space",
            id="white-space",
        ),
    ],
)
def test_malformed_input_names_file_line_entry_and_field(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as info:
        BIB.parse(text, path="refs.bib")
    assert info.value.path == "refs.bib"


def test_edits_and_appends_are_refused_with_what_to_do() -> None:
    text = "@misc{a, url = {https://a.example/}}\n"
    edit = Edit("a", "url", "https://new.example/", old="https://a.example/")
    with pytest.raises(RegistryError, match=r"make these edits by hand: a: url = 'https://new"):
        BIB.apply_edits(text, [edit], path="refs.bib")
    with pytest.raises(RegistryError, match=r"write them to a sources\.toml"):
        BIB.append(text, list(BIB.parse(text)), path="refs.bib")
    assert BIB.holds("url")
    assert not BIB.holds("cited_url")


# -- factlinks check refs.bib -----------------------------------------------------------------


@pytest.mark.integration
def test_check_a_bib_file_against_a_local_web(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes(FIXTURE.read_bytes())
    out = tmp_path / "out"
    with Farm() as farm:
        farm.add_host("www.ctan.example.org", {"/": Reply.html("<h1>CTAN</h1>", title="CTAN")})
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
