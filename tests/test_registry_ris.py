"""The RIS registry format: records read into sources, their errors, the URL written back byte
for byte, and a real check and fix.

The fixture ``fixtures/ris/refs.ris`` was written for these tests (its README says how).
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
from factlinks._registry import FORMATS, Edit, RisFormat, format_for, load_sources
from farm import Farm, Reply
from pdfgen import make_pdf

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "ris" / "refs.ris"
RIS = RisFormat()


def record(*lines: str) -> str:
    return "\n".join(["TY  - ELEC", "ID  - a", *lines, "ER  - ", ""])


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


# -- choosing the format ----------------------------------------------------------------------


def test_a_ris_file_is_read_as_ris_by_suffix_and_by_content() -> None:
    text = FIXTURE.read_text("utf-8")
    assert format_for("refs.ris", text) is FORMATS["ris"]
    assert isinstance(format_for("REFS.RIS"), RisFormat)
    assert isinstance(format_for("<string>", text), RisFormat)
    assert isinstance(format_for("export.txt", "\ufeff\n\nTY - JOUR\nER  -\n"), RisFormat)
    assert not FORMATS["toml"].sniff(text)  # TOML takes any text it cannot rule out


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[[source]]\nid = 'a'\nurl = 'https://a.example/'\n", id="toml"),
        pytest.param("@misc{a, url = {https://a.example/}}\n", id="bibtex"),
        pytest.param("a\nb\nc\nd\ne\nTY  - JOUR\n", id="too-late"),
        pytest.param("TYPE  - JOUR\n", id="not-the-tag"),
        pytest.param('[{"type": "book", "id": "TY  - "}]', id="json"),
    ],
)
def test_other_text_is_not_taken_for_ris(text: str) -> None:
    assert not RIS.sniff(text)


# -- the fixture, record by record ------------------------------------------------------------


def test_the_fixture_maps_every_record_with_a_url_or_doi(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = load_sources(FIXTURE)
    assert registry.path == str(FIXTURE)
    assert [(s.id, s.citation, s.line) for s in registry] == [
        ("ctan", "CTAN", 1),
        ("kfw-2021", "kfw:2021", 10),
        ("knuth-1984", None, 19),  # no ID: first author and year
        ("ueber-uns", "ueber-uns", 31),
        ("einstein", "einstein", 55),
        ("knuth-1986", None, 68),
    ]
    assert {s.cited_in for s in registry} == {("refs.ris",)}
    by_id = {s.id: s for s in registry}
    ctan, kfw, knuth = by_id["ctan"], by_id["kfw-2021"], by_id["knuth-1984"]
    assert (ctan.url, ctan.title, ctan.accessed, ctan.year) == (
        "https://www.ctan.example.org/",
        "CTAN",
        dt.date(2006, 10, 1),  # Y2  - 2006/10/01/
        "2006",
    )
    # A UR holding a file: link and then the URL: the first http(s) one is taken.
    assert (kfw.url, kfw.title, kfw.authors, kfw.accessed) == (
        "https://docs.example.org/reports/annual-2021.pdf",
        "Jahresbericht der Straßenbauverwaltung",
        ("Kreditanstalt für Wiederaufbau",),
        dt.date(2021, 2, 15),  # Y2  - 2021-02-15 10:11:12
    )
    # T1, A1, Y1; of two UR lines the first.
    assert (knuth.url, knuth.title, knuth.authors, knuth.year, knuth.doi) == (
        "https://docs.example.org/lp.html",
        "Literate Programming",
        ("Knuth, Donald E.",),
        "1984",
        "10.1093/comjnl/27.2.97",
    )
    einstein = by_id["einstein"]
    assert (einstein.accessed, einstein.year) == (None, "1905")  # DA is not an access date
    texbook = by_id["knuth-1986"]
    assert (texbook.url, texbook.doi) == ("https://doi.org/10.5555/texbook", "10.5555/texbook")
    note = (
        "refs.ris: 3 entries not checkable: record #5 (line 37): no URL and no DOI; "
        "aristotle:physics (line 47): no URL and no DOI; gogh (line 79): field 'UR': the URL "
        "must be http or https, not ftp: 'ftp://files.example.org/letters.txt'."
    )
    assert registry.notes == (note,)
    messages = [r.getMessage() for r in caplog.records]
    assert any(note in m for m in messages)
    assert any("refs.ris:63: entry 'einstein': 'Y2' (access date) '2005//'" in m for m in messages)


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        pytest.param(("TI  - A", "T1  - B", "CT  - C"), "A", id="ti-first"),
        pytest.param(("T1  - B", "CT  - C"), "B", id="t1"),
        pytest.param(("CT  - C", "BT  - D"), "C", id="ct"),
        pytest.param(("BT  - The Book",), None, id="bt-of-a-chapter-is-not-its-title"),
        pytest.param(("TI  - Long", "  title, continued"), "Long title, continued", id="wrapped"),
    ],
)
def test_the_title_tags_in_order(lines: tuple[str, ...], title: str | None) -> None:
    [source] = RIS.parse(record("UR  - https://a.example/", *lines))
    assert source.title == title


def test_bt_is_the_title_of_a_book() -> None:
    text = "TY  - BOOK\nBT  - Physics\nUR  - https://a.example/\nER  - \n"
    assert RIS.parse(text)[0].title == "Physics"


@pytest.mark.parametrize(
    ("lines", "authors", "year"),
    [
        pytest.param(("AU  - A, B", "A1  - C, D", "ED  - E, F"), ("A, B", "C, D"), None, id="au"),
        pytest.param(("ED  - E, F", "A2  - G, H"), ("E, F", "G, H"), None, id="editors"),
        pytest.param(("PY  - 2014//", "Y1  - 1999"), (), "2014", id="py"),
        pytest.param(("Y1  - 1999/05/01/",), (), "1999", id="y1"),
        pytest.param(("DA  - 2003/07/",), (), "2003", id="da"),
    ],
)
def test_authors_and_year(
    lines: tuple[str, ...], authors: tuple[str, ...], year: str | None
) -> None:
    [source] = RIS.parse(record("UR  - https://a.example/", *lines))
    assert (source.authors, source.year) == (authors, year)


@pytest.mark.parametrize(
    ("y2", "date"),
    [
        pytest.param("2021/02/15/", dt.date(2021, 2, 15), id="ris-2011"),
        pytest.param("2021/2/15", dt.date(2021, 2, 15), id="no-trailing-slash"),
        pytest.param("2021-02-15", dt.date(2021, 2, 15), id="iso"),
        pytest.param("2021/02/15/10:11:12", dt.date(2021, 2, 15), id="with-time"),
        pytest.param("2021//", None, id="year-only"),
        pytest.param("2021/02/30/", None, id="no-such-day"),
        pytest.param("February 15, 2021", None, id="words"),
    ],
)
def test_y2_is_the_access_date(
    y2: str, date: dt.date | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        [source] = RIS.parse(record("UR  - https://a.example/", f"Y2  - {y2}"), path="r.ris")
    assert source.accessed == date
    warned = [r.getMessage() for r in caplog.records if "Y2" in r.getMessage()]
    assert len(warned) == (date is None)
    if warned:
        assert "r.ris:4: entry 'a': 'Y2' (access date)" in warned[0]


@pytest.mark.parametrize(
    ("ur", "url"),
    [
        pytest.param("https://a.example/x https://b.example/y", "https://a.example/x", id="two"),
        pytest.param("https://a.example/x;https://b.example/y", "https://a.example/x", id="semi"),
        pytest.param("doi:10.1000/x; HTTP://a.example/", "HTTP://a.example/", id="not-http-first"),
    ],
)
def test_the_first_http_url_of_a_ur_is_taken(ur: str, url: str) -> None:
    assert RIS.parse(record(f"UR  - {ur}"))[0].url == url


def test_ids_become_valid_unique_ids() -> None:
    text = (
        "TY  - BOOK\nID  - Knuth:1984\nUR  - https://a.example/\nER  - \n"
        "TY  - BOOK\nAU  - Knuth, D.\nPY  - 1984\nUR  - https://b.example/\nER  - \n"
        "TY  - BOOK\nUR  - https://c.example/\nER  - \n"
    )
    assert [(s.id, s.citation) for s in RIS.parse(text)] == [
        ("knuth-1984", "Knuth:1984"),
        ("knuth-1984-2", None),
        ("entry", None),
    ]


def test_crlf_one_space_tags_and_an_empty_file() -> None:
    text = "TY - JOUR\r\nTI - A\r\nUR - https://a.example/\r\nER -\r\n"
    [source] = RIS.parse(text, path="refs.ris")
    assert (source.url, source.title, source.cited_in) == ("https://a.example/", "A", ("refs.ris",))
    assert len(RIS.parse("", path="refs.ris")) == 0


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "TY  - JOUR\nUR  - https://a.example/\n",
            r"^refs\.ris:1: the record that starts here has no ER line$",
            id="no-er",
        ),
        pytest.param(
            "TY  - JOUR\nUR  - https://a.example/\n\nTY  - BOOK\nER  - \n",
            r"^refs\.ris:4: a new record \(TY\) before the ER of the record at line 1$",
            id="ty-in-a-record",
        ),
        pytest.param(
            "TY  - JOUR\nER  - \nAU  - Knuth, D.\n",
            r"^refs\.ris:3: tag 'AU' outside a record",
            id="stray-tag",
        ),
        pytest.param(
            "TY  - JOUR\nID  - a\nUR  - https://a.example/\nER  - \n"
            "TY  - JOUR\nID  - a\nUR  - https://b.example/\nER  - \n",
            r"^refs\.ris:6: entry 'a': field 'ID': duplicate ID \(also line 1\)$",
            id="duplicate-id",
        ),
    ],
)
def test_malformed_input_names_file_line_entry_and_field(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as info:
        RIS.parse(text, path="refs.ris")
    assert info.value.path == "refs.ris"


def test_a_bad_do_is_left_out_and_a_bad_url_with_a_doi_is_checked_by_the_doi(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="factlinks"):
        registry = RIS.parse(record("DO  - ISBN 0-201"), path="refs.ris")
        [source] = RIS.parse(
            record("UR  - http://a.example:99999/", "DO  - 10.1000/x"), path="r.ris"
        )
    assert len(registry) == 0
    assert registry.notes == ("refs.ris: 1 entry not checkable: a (line 1): no URL and no DOI.",)
    assert source.url == "https://doi.org/10.1000/x"
    messages = [r.getMessage() for r in caplog.records]
    assert any("refs.ris:3: entry 'a': field 'DO' is not a DOI" in m for m in messages)
    assert any("r.ris:3: entry 'a': field 'UR': the URL has an invalid port" in m for m in messages)


# -- writing the URL back ---------------------------------------------------------------------


def test_a_moved_url_changes_that_url_and_no_other_byte() -> None:
    text = FIXTURE.read_text("utf-8")
    edits = [
        Edit(
            "kfw-2021",
            "url",
            "https://new.example/kfw.pdf",
            old="https://docs.example.org/reports/annual-2021.pdf",
        ),
        Edit(
            "knuth-1984",
            "url",
            "https://docs.example.org/lp-new.html",
            old="https://docs.example.org/lp.html",
        ),
    ]
    new = RIS.apply_edits(text, edits, path="refs.ris")
    assert changed_lines(text, new) == [
        "-UR  - file:///home/me/Zotero/storage/annual-2021.pdf https://docs.example.org/reports/annual-2021.pdf",
        "+UR  - file:///home/me/Zotero/storage/annual-2021.pdf https://new.example/kfw.pdf",
        "-UR  - https://docs.example.org/lp.html",
        "+UR  - https://docs.example.org/lp-new.html",
    ]
    assert RIS.parse(new).get("kfw-2021").url == "https://new.example/kfw.pdf"  # type: ignore[union-attr]


def test_crlf_is_kept_and_a_record_without_a_url_gets_a_ur_line_before_er() -> None:
    text = "TY - BOOK\r\nID - a\r\nDO - 10.1000/x\r\nER -\r\n\r\nTY - BOOK\r\nID - b\r\nER -"
    edits = [
        Edit("a", "url", "https://a.example/", old="https://doi.org/10.1000/x"),
    ]
    new = RIS.apply_edits(text, edits)
    assert new == text.replace("ER -\r\n\r\n", "UR - https://a.example/\r\nER -\r\n\r\n", 1)
    ftp = record("UR  - ftp://a.example/x", "DO  - 10.1000/x")
    assert RIS.apply_edits(ftp, [Edit("a", "url", "https://b.example/", old=None)]) == ftp.replace(
        "ER  - ", "UR  - https://b.example/\nER  - "
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            Edit("a", "url", "https://new.example/", old="https://other.example/"),
            r"^refs\.ris:3: entry 'a': field 'UR': is 'https://a\.example/', not "
            r"'https://other\.example/' as planned",
            id="stale",
        ),
        pytest.param(
            Edit("zz", "url", "https://new.example/"),
            r"^refs\.ris: no record with id 'zz'",
            id="id",
        ),
        pytest.param(
            Edit("a", "archive_url", "https://web.archive.org/x"),
            r"^refs\.ris:1: entry 'a': a RIS record has no place for 'archive_url'",
            id="other-key",
        ),
        pytest.param(
            Edit("a", "url", "https://new.example/\nER  - ", old="https://a.example/"),
            r"^refs\.ris:1: entry 'a': field 'UR': cannot write",
            id="newline",
        ),
    ],
)
def test_edits_that_cannot_be_made_are_refused(edit: Edit, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        RIS.apply_edits(record("UR  - https://a.example/"), [edit], path="refs.ris")


def test_two_edits_of_one_url_and_appends_are_refused() -> None:
    text = record("UR  - https://a.example/")
    edit = Edit("a", "url", "https://new.example/", old="https://a.example/")
    with pytest.raises(RegistryError, match="two edits of its URL"):
        RIS.apply_edits(text, [edit, edit], path="refs.ris")
    assert RIS.apply_edits(text, []) == text
    with pytest.raises(RegistryError, match=r"cannot add records to a RIS file.*sources\.toml"):
        RIS.append(text, list(RIS.parse(text)), path="refs.ris")
    assert RIS.holds("url")
    assert not RIS.holds("cited_url")


# -- factlinks check refs.ris, factlinks fix --apply ------------------------------------------


@pytest.mark.integration
def test_check_and_fix_a_ris_file_against_a_local_web(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "refs.ris"
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
                "/lp.html": Reply.redirect("/lp-new.html"),
                "/lp-new.html": Reply.html("<h1>Literate Programming</h1>"),
                "/einstein-1905.html": Reply.html("<h1>Zur Elektrodynamik bewegter Körper</h1>"),
                "/texbook.html": Reply.html("<h1>The TeXbook</h1>"),
            },
        )
        farm.add_host(
            "doi.org",
            {"/10.5555/texbook": Reply.redirect("https://docs.example.org/texbook.html", 302)},
        )
        argv = ["check", str(path), "--out", str(out), "--timeout", "3", "--no-archive"]
        code = main([*argv, "--format", "json", *farm.remap_args()])
    assert code == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert {s["id"]: s["status"] for s in report["sources"]} == {
        "ctan": "ok",
        "kfw-2021": "ok",
        "knuth-1984": "moved",
        "ueber-uns": "dead",  # the farm answers 404
        "einstein": "ok",
        "knuth-1986": "ok",
    }
    assert "not checkable: record #5" in capsys.readouterr().err

    assert main(["fix", str(path), "--report", str(out / "report.json"), "--apply"]) == 0
    assert changed_lines(FIXTURE.read_text("utf-8"), path.read_text("utf-8")) == [
        "-UR  - https://docs.example.org/lp.html",
        "+UR  - https://docs.example.org/lp-new.html",
    ]
