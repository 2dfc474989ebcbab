"""The CSL-JSON registry format: Zotero / Better BibTeX exports and doi.org items read into
sources, their errors, the URL written back byte for byte, and a real check and fix.

The fixture ``fixtures/csljson/refs.json`` was written for these tests (its README says how).
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
from factlinks._registry import FORMATS, CslJsonFormat, Edit, format_for, load_sources
from farm import Farm, Reply
from pdfgen import make_pdf

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "csljson" / "refs.json"
REPORT = HERE / "golden" / "report.json"
CSL = CslJsonFormat()


def item(**fields: object) -> str:
    return json.dumps([{"id": "a", "type": "webpage", **fields}], indent=2)


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


# -- choosing the format ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["refs.json", "refs.csljson", "My Library.csl.json", "REFS.JSON", "<string>"]
)
def test_csl_json_is_recognised_by_its_content(name: str) -> None:
    assert format_for(name, FIXTURE.read_text("utf-8")) is FORMATS["csl-json"]


@pytest.mark.parametrize("name", ["refs.csljson", "refs.csl.json"])
def test_a_csl_json_suffix_alone_chooses_the_format(name: str) -> None:
    assert isinstance(format_for(name), CslJsonFormat)
    with pytest.raises(RegistryError, match=rf"^{name}:2:1: invalid JSON: Expecting value"):
        load_text(name, "[\n")


def load_text(name: str, text: str) -> object:
    return format_for(name, text).parse(text, path=name)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"name": "factlinks", "version": "1.0", "type": "module"}', id="package"),
        pytest.param('{"type": "FeatureCollection", "features": []}', id="geojson"),
        pytest.param('[{"type": "Feature", "id": 1, "geometry": null}]', id="geojson-features"),
        pytest.param('[{"id": "kfw", "title": "KfW"}]', id="no-type"),
        pytest.param("[]", id="empty-array"),
        pytest.param('[1, {"type": "book", "id": "a"}]', id="first-not-an-object"),
        pytest.param('[{"type": "book", "id": "a"', id="broken"),
        pytest.param("@misc{a, url = {https://a.example/}}", id="bibtex"),
    ],
)
def test_other_json_is_not_taken_for_csl(text: str) -> None:
    assert not CSL.sniff(text)


def test_a_factlinks_report_is_not_a_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_bytes(REPORT.read_bytes())
    assert not CSL.sniff(report.read_text("utf-8"))
    with pytest.raises(RegistryError, match=r"report\.json: not a registry file: its content"):
        load_sources(report)
    assert main(["check", str(report), "--out", str(tmp_path / "out")]) == 2
    assert "report.json: not a registry file" in capsys.readouterr().err


def test_sniff_accepts_an_item_of_a_type_csl_does_not_list_with_title_and_doi() -> None:
    assert CSL.sniff('\ufeff  {"type": "posted-content", "title": "T", "DOI": "10.1/x"}')
    assert not CSL.sniff('{"type": "posted-content", "DOI": "10.1/x"}')


# -- the fixture, item by item ----------------------------------------------------------------


def test_the_fixture_maps_every_item_with_a_url_or_doi(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = load_sources(FIXTURE)
    assert registry.path == str(FIXTURE)
    assert [(s.id, s.citation, s.line, s.column) for s in registry] == [
        ("ctan", "CTAN", 2, 2),
        ("kfw-2021", "kfw:2021", 24, 2),
        ("knuth_1984", "Knuth_1984", 52, 2),
        ("ueber-uns", "ueber-uns", 74, 2),
        ("einstein", "einstein", 126, 2),
        ("8", "8", 154, 2),
    ]
    assert {s.cited_in for s in registry} == {("refs.json",)}
    by_id = {s.id: s for s in registry}
    ctan, kfw, knuth = by_id["ctan"], by_id["kfw-2021"], by_id["knuth_1984"]
    assert (ctan.url, ctan.title, ctan.accessed, ctan.year) == (
        "https://www.ctan.example.org/",
        "CTAN",
        dt.date(2006, 10, 1),  # date-parts may be strings
        "2006",
    )
    assert (kfw.title, kfw.authors, kfw.accessed) == (
        "Jahresbericht der Straßenbauverwaltung",
        ("Kreditanstalt für Wiederaufbau",),  # a literal name
        dt.date(2021, 2, 15),
    )
    assert (knuth.doi, knuth.url, knuth.authors, knuth.year) == (
        "10.1093/comjnl/27.2.97",
        "https://docs.example.org/lp.html",
        ("Knuth, Donald E.",),
        "1984",
    )
    assert by_id["ueber-uns"].accessed == dt.date(2020, 3, 1)  # {"raw": "2020-03-01"}
    assert by_id["einstein"].accessed is None  # [2005, 6]: not a full date
    texbook = by_id["8"]  # a numeric id, a DOI as a doi.org URL and no URL
    assert (texbook.doi, texbook.url) == ("10.5555/texbook", "https://doi.org/10.5555/texbook")
    note = (
        "refs.json: 3 entries not checkable: salam (line 83): no URL and no DOI; "
        "aristotle:physics (line 108): no URL and no DOI; gogh (line 177): field 'URL': the "
        "URL must be http or https, not ftp: 'ftp://files.example.org/letters.txt'."
    )
    assert registry.notes == (note,)
    messages = [record.getMessage() for record in caplog.records]
    assert any(note in m for m in messages)
    assert any(
        "refs.json:138: entry 'einstein': 'accessed' [2005, 6] is not a full" in m for m in messages
    )


def test_a_single_item_as_doi_org_returns_it() -> None:
    text = json.dumps(
        {
            "type": "article-journal",
            "DOI": "10.1093/COMJNL/27.2.97",
            "URL": "http://dx.doi.org/10.1093/comjnl/27.2.97",
            "title": "Literate Programming",
            "author": [{"given": "D. E.", "family": "Knuth", "sequence": "first"}],
            "issued": {"date-parts": [[1984, 2, 1]]},
        }
    )
    [source] = CSL.parse(text, path="item.json")
    assert (source.id, source.citation, source.line) == ("knuth-1984", None, 1)
    assert (source.doi, source.url, source.year) == (
        "10.1093/COMJNL/27.2.97",
        "http://dx.doi.org/10.1093/comjnl/27.2.97",
        "1984",
    )


@pytest.mark.parametrize(
    ("fields", "authors"),
    [
        pytest.param(
            {"author": [{"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"}]},
            ("van Gogh, Vincent",),
            id="particle",
        ),
        pytest.param(
            {"author": [{"family": "Aristotle"}, {"literal": "ACME Corp."}, "junk"]},
            ("Aristotle", "ACME Corp."),
            id="family-literal-and-junk",
        ),
        pytest.param(
            {"editor": [{"family": "Svartholm", "given": "Nils"}]},
            ("Svartholm, Nils",),
            id="editor-when-no-author",
        ),
        pytest.param({"author": [], "editor": [{"family": "E"}]}, ("E",), id="empty-author-list"),
    ],
)
def test_names_become_family_given(fields: dict[str, object], authors: tuple[str, ...]) -> None:
    [source] = CSL.parse(item(URL="https://a.example/", **fields))
    assert source.authors == authors


@pytest.mark.parametrize(
    ("accessed", "date"),
    [
        pytest.param({"date-parts": [[2021, 2, 15]]}, dt.date(2021, 2, 15), id="date-parts"),
        pytest.param({"date-parts": [["2021", "02", "15"]]}, dt.date(2021, 2, 15), id="strings"),
        pytest.param({"raw": "2021-02-15"}, dt.date(2021, 2, 15), id="raw"),
        pytest.param({"literal": "2021/2/15"}, dt.date(2021, 2, 15), id="literal"),
        pytest.param("2021-02-15T10:00:00Z", dt.date(2021, 2, 15), id="edtf-string"),
        pytest.param({"date-parts": [[2021]]}, None, id="year-only"),
        pytest.param({"date-parts": [[2021, 2, 30]]}, None, id="no-such-day"),
        pytest.param({"raw": "February 2021"}, None, id="words"),
        pytest.param({"season": 1}, None, id="no-date"),
    ],
)
def test_accessed_is_a_full_date_or_left_out_with_a_warning(
    accessed: object, date: dt.date | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        [source] = CSL.parse(item(URL="https://a.example/", accessed=accessed), path="r.json")
    assert source.accessed == date
    warned = [r.getMessage() for r in caplog.records if "accessed" in r.getMessage()]
    if date is None:
        assert len(warned) == 1
        assert "r.json:6: entry 'a': 'accessed'" in warned[0]
    else:
        assert warned == []


def test_issued_gives_the_year_from_parts_or_text() -> None:
    text = json.dumps(
        [
            {"id": "a", "type": "book", "URL": "https://a.example/", "issued": {"raw": "1998?"}},
            {"id": "b", "type": "book", "URL": "https://b.example/", "issued": "2006-10"},
            {"id": "c", "type": "book", "URL": "https://c.example/", "issued": {"season": 2}},
        ]
    )
    assert [s.year for s in CSL.parse(text)] == ["1998", "2006", None]


def test_ids_become_valid_unique_ids_and_items_without_one_get_author_year() -> None:
    text = json.dumps(
        [
            {"id": "Knuth:1984", "type": "book", "URL": "https://a.example/"},
            {"id": "knuth 1984", "type": "book", "URL": "https://b.example/"},
            {
                "type": "book",
                "URL": "https://c.example/",
                "author": [{"family": "Knuth", "given": "D."}],
                "issued": {"date-parts": [[1984]]},
            },
            {"type": "book", "URL": "https://d.example/", "title": "Über alles"},
            {"type": "book", "URL": "https://e.example/"},
            {"id": 1.5, "type": "book", "URL": "https://f.example/"},
        ]
    )
    registry = CSL.parse(text)
    assert [(s.id, s.citation) for s in registry] == [
        ("knuth-1984", "Knuth:1984"),
        ("knuth-1984-2", "knuth 1984"),
        ("knuth-1984-3", None),
        ("uber", None),
        ("entry", None),
        ("1.5", "1.5"),
    ]


def test_text_without_a_file_name_has_no_cited_in_and_an_empty_array_no_sources() -> None:
    [source] = CSL.parse(item(URL="https://a.example/"))
    assert source.cited_in == ()
    assert len(CSL.parse("[]\n", path="refs.json")) == 0


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '[\n  {"id": "a", "type": "book"}\n  {"id": "b"}\n]\n',
            r"^refs\.json:3:3: invalid JSON: Expecting ',' delimiter$",
            id="missing-comma",
        ),
        pytest.param('"just a string"', r"^refs\.json: not CSL-JSON: .* not str", id="scalar"),
        pytest.param(
            '[\n  {"id": "a", "type": "book", "URL": "https://a.example/"},\n  "b"\n]',
            r"^refs\.json:3: item #2 must be an object, not str 'b'$",
            id="item-not-an-object",
        ),
        pytest.param(
            '[{"id": "a", "type": "book",\n  "title": ["A", "B"]}]',
            r"^refs\.json:2: entry 'a': field 'title': must be a string, not an array$",
            id="title-not-a-string",
        ),
        pytest.param(
            '[{"id": "a", "type": "book",\n\n  "URL": 42}]',
            r"^refs\.json:3: entry 'a': field 'URL': must be a string, not int 42$",
            id="url-not-a-string",
        ),
        pytest.param(
            '[{"type": "book",\n  "id": true}]',
            r"^refs\.json:2: entry 'item #1': field 'id': must be a string or a number",
            id="id-not-a-string",
        ),
        pytest.param(
            '[{"id": "a", "type": "book", "author": {"family": "X"}}]',
            r"^refs\.json:1: entry 'a': field 'author': must be an array of names, not an obj",
            id="author-not-a-list",
        ),
        pytest.param(
            '[{"id": "a", "type": "book", "URL": "https://a.example/"},\n'
            ' {"id": "a", "type": "book", "URL": "https://b.example/"}]',
            r"^refs\.json:2: entry 'a': field 'id': duplicate id \(also line 1\)$",
            id="duplicate-id",
        ),
    ],
)
def test_malformed_input_names_file_line_entry_and_field(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as info:
        CSL.parse(text, path="refs.json")
    assert info.value.path == "refs.json"


def test_a_doi_that_is_not_a_doi_is_left_out_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = CSL.parse(item(DOI="ISBN 0-201-13447-0"), path="refs.json")
    assert len(registry) == 0
    assert registry.notes == ("refs.json: 1 entry not checkable: a (line 2): no URL and no DOI.",)
    assert any(
        "refs.json:5: entry 'a': field 'DOI' is not a DOI" in r.getMessage() for r in caplog.records
    )


def test_a_bad_url_with_a_doi_is_checked_by_the_doi(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        [source] = CSL.parse(item(URL="zotero://select/1", DOI="10.1000/182"), path="r.json")
    assert source.url == "https://doi.org/10.1000/182"
    assert any("r.json:5: entry 'a': field 'URL'" in r.getMessage() for r in caplog.records)


# -- writing the URL back ---------------------------------------------------------------------


def test_a_moved_url_changes_that_value_and_no_other_byte() -> None:
    text = FIXTURE.read_text("utf-8")
    new = CSL.apply_edits(
        text,
        [
            Edit(
                "knuth_1984",
                "url",
                "https://docs.example.org/lp-new.html",
                old="https://docs.example.org/lp.html",
            )
        ],
        path="refs.json",
    )
    assert changed_lines(text, new) == [
        '-\t\t"URL": "https://docs.example.org/lp.html",',
        '+\t\t"URL": "https://docs.example.org/lp-new.html",',
    ]
    assert CSL.parse(new).get("knuth_1984").url == "https://docs.example.org/lp-new.html"  # type: ignore[union-attr]


def test_escapes_and_layout_elsewhere_are_kept_and_the_new_value_is_escaped() -> None:
    text = (
        '[ {"id":"a","type":"webpage","title":"Caf\\u00e9 \\"Zur Post\\"",  "URL" :  '
        '"https:\\/\\/a.example\\/x" , "note":"\\t"} ]'
    )
    url = 'https://b.example/ä"q\\'
    new = CSL.apply_edits(text, [Edit("a", "url", url, old="https://a.example/x")])
    assert new == text.replace('"https:\\/\\/a.example\\/x"', json.dumps(url, ensure_ascii=False))
    [source] = CSL.parse(new)
    assert (source.url, source.title) == (url, 'Café "Zur Post"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[\n\t{\n\t\t"id": "a",\n\t\t"type": "book",\n\t\t"DOI": "10.1000/182"\n\t}\n]\n',
            '[\n\t{\n\t\t"id": "a",\n\t\t"type": "book",\n\t\t"DOI": "10.1000/182",\n'
            '\t\t"URL": "https://new.example/"\n\t}\n]\n',
            id="tabs",
        ),
        pytest.param(
            '[{"id":"a","type":"book","DOI":"10.1000/182"}]',
            '[{"id":"a","type":"book","DOI":"10.1000/182","URL":"https://new.example/"}]',
            id="compact",
        ),
        pytest.param(
            '{"id": "a"}', '{"id": "a", "URL": "https://new.example/"}', id="single-object"
        ),
        pytest.param(
            '[{}, {"id": "b"}]', '[{"URL": "https://new.example/"}, {"id": "b"}]', id="empty"
        ),
    ],
)
def test_an_item_without_a_url_gets_one_as_its_last_field(text: str, expected: str) -> None:
    source_id = "entry" if text.startswith("[{}") else "a"
    edit = Edit(source_id, "url", "https://new.example/", old=None)
    assert CSL.apply_edits(text, [edit]) == expected


def test_an_item_cited_by_its_doi_takes_a_move_of_its_doi_url() -> None:
    text = '[{"id": "a", "type": "book", "DOI": "10.1000/182"}]'
    edit = Edit("a", "url", "https://publisher.example/182", old="https://doi.org/10.1000/182")
    assert '"URL": "https://publisher.example/182"' in CSL.apply_edits(text, [edit])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            Edit("a", "url", "https://new.example/", old="https://other.example/"),
            r"^refs\.json:1: entry 'a': field 'URL': is 'https://a\.example/', not "
            r"'https://other\.example/' as planned",
            id="stale",
        ),
        pytest.param(
            Edit("zz", "url", "https://new.example/", old=None),
            r"^refs\.json: no item with id 'zz'",
            id="unknown-id",
        ),
        pytest.param(
            Edit("a", "archive_url", "https://web.archive.org/x", old=None),
            r"^refs\.json:1: entry 'a': a CSL item has no place for 'archive_url'",
            id="other-key",
        ),
        pytest.param(
            Edit("a", "url", None, old="https://a.example/"),
            r"^refs\.json:1: entry 'a': field 'URL': factlinks does not remove a URL",
            id="removal",
        ),
    ],
)
def test_edits_that_cannot_be_made_are_refused(edit: Edit, message: str) -> None:
    text = '[{"id": "a", "type": "book", "URL": "https://a.example/"}]'
    with pytest.raises(RegistryError, match=message):
        CSL.apply_edits(text, [edit], path="refs.json")


def test_two_edits_of_one_url_and_appends_are_refused() -> None:
    text = '[{"id": "a", "type": "book", "URL": "https://a.example/"}]'
    edit = Edit("a", "url", "https://new.example/", old="https://a.example/")
    with pytest.raises(RegistryError, match="two edits of its URL"):
        CSL.apply_edits(text, [edit, edit], path="refs.json")
    assert CSL.apply_edits(text, []) == text
    with pytest.raises(RegistryError, match=r"cannot add items to a CSL-JSON file.*sources\.toml"):
        CSL.append(text, list(CSL.parse(text)), path="refs.json")
    assert CSL.holds("url")
    assert not CSL.holds("cited_url")
    assert not CSL.holds("title")


# -- factlinks check refs.json, factlinks fix --apply -----------------------------------------


def _farm(farm: Farm) -> None:
    farm.add_host("www.ctan.example.org", {"/": Reply.html("<h1>CTAN</h1>", title="CTAN")})
    farm.add_host(
        "docs.example.org",
        {
            "/reports/annual-2021.pdf": Reply.pdf(
                make_pdf(["Jahresbericht der Straßenbauverwaltung 2021"])
            ),
            "/lp.html": Reply.redirect("/lp-new.html"),
            "/lp-new.html": Reply.html("<h1>Literate Programming</h1>", title="Literate"),
            "/einstein-1905.html": Reply.html("<h1>Zur Elektrodynamik bewegter Körper</h1>"),
            "/texbook.html": Reply.html("<h1>The TeXbook</h1>"),
        },
    )
    farm.add_host(
        "doi.org",
        {"/10.5555/texbook": Reply.redirect("https://docs.example.org/texbook.html", 302)},
    )


@pytest.mark.integration
def test_check_and_fix_a_csl_json_file_against_a_local_web(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "refs.json"
    path.write_bytes(FIXTURE.read_bytes())
    out = tmp_path / "out"
    with Farm() as farm:
        _farm(farm)
        argv = ["check", str(path), "--out", str(out), "--timeout", "3", "--no-archive"]
        code = main([*argv, "--format", "json", *farm.remap_args()])
    assert code == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    statuses = {s["id"]: s["status"] for s in report["sources"]}
    assert statuses == {
        "ctan": "ok",
        "kfw-2021": "ok",
        "knuth_1984": "moved",
        "ueber-uns": "dead",  # the farm answers 404
        "einstein": "ok",
        "8": "ok",
    }
    assert any("not checkable: salam" in note for note in report["notes"])
    assert "not checkable: salam" in capsys.readouterr().err
    assert path.read_bytes() == FIXTURE.read_bytes()  # check writes nothing into the file

    assert main(["fix", str(path), "--report", str(out / "report.json"), "--apply"]) == 0
    fixed = path.read_text("utf-8")
    assert changed_lines(FIXTURE.read_text("utf-8"), fixed) == [
        '-\t\t"URL": "https://docs.example.org/lp.html",',
        '+\t\t"URL": "https://docs.example.org/lp-new.html",',
    ]
    assert main(["fix", str(path), "--report", str(out / "report.json"), "--apply"]) == 0
    assert path.read_text("utf-8") == fixed  # fixed once: nothing left to do


def test_rich_text_markup_in_a_title_becomes_text() -> None:
    title = '<i>Homo sapiens</i> &amp; H<sub>2</sub>O: <span class="nocase">iPhone</span> a<b'
    registry = CSL.parse(item(id="r", URL="https://r.example/", title=title), path="refs.json")
    assert registry.get("r").title == "Homo sapiens & H2O: iPhone a<b"  # type: ignore[union-attr]
