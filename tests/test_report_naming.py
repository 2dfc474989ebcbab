"""Every report names a source as the reference manager does, next to its id (issue 12, 6).

``Source.reference`` ("Knuth and Plass (1981): Gone") is shown by ``report.md``,
``report.html``, ``report.junit.xml`` and ``check -v``; ``report.json`` carries what it is
made of (``doi``, ``authors``, ``year``, ``proposed_title``) and the reference itself, and
reads them back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bs4 import BeautifulSoup

import factlinks
from browser import Chromium, chromium
from factlinks import FetchResult, Report, ReportError, Source, SourceResult, Status, load_report
from factlinks._cli import main
from factlinks._report.html import render_html
from factlinks._report.junit import render_junit
from factlinks._report.markdown import MAX_REFERENCE_CHARS, render_markdown
from farm import Farm, Reply
from html_page import drawn, rows_by_id
from report_sample import sample_report

SCHEMA = json.loads(resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8"))
NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
NAMING = ("doi", "authors", "year", "proposed_title", "reference")


def _report(source: Source, status: Status = Status.DEAD) -> Report:
    fetch = FetchResult(source.url, source.url, 404 if status is Status.DEAD else 200)
    result = SourceResult(source, status, "The server answers 404 Not Found.", NOW, fetch=fetch)
    return Report(
        results=(result,),
        started_at=NOW,
        finished_at=NOW,
        tool_version="9.9.9",
        fail_on=frozenset({Status.DEAD}),
    )


def _data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(factlinks.render_json(report))
    return data


def _by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in data["sources"]}


# -- each format names the source -------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator[Chromium]:
    """Per test: a running browser's event loop in this thread would stop ``check``."""
    with chromium() as running:
        yield running


def test_every_format_names_the_source_next_to_its_id(browser: Chromium, tmp_path: Path) -> None:
    report = sample_report()
    markdown = render_markdown(report)
    assert "- **`dead-404`** · Knuth and Plass \\(1981\\): Gone — <https://" in markdown
    assert "- `ok-pdf` (ok) · KfW Research \\(2021\\): Jahresbericht 2021 — <https://" in markdown
    assert "- **`dead-soft`** — <https://" in markdown  # no authors, no year: the id alone

    soup = BeautifulSoup(drawn(browser, tmp_path / "r.html", render_html(report)), "html.parser")
    cell = soup.select_one("#source-drifted-landing th[data-label=Source]")
    assert cell is not None
    assert [s.get_text() for s in cell.select(".ref")] == ["Müller et al. (2022a): The study"]
    bare = soup.select_one("#source-dead-soft th[data-label=Source]")
    assert bare is not None
    assert not bare.select(".ref")

    cases = {c.get("name"): c for c in ET.fromstring(render_junit(report)).iter("testcase")}
    drifted = cases["drifted-landing"]
    properties = {p.get("name"): p.get("value") for p in drifted.iter("property")}
    assert properties["reference"] == "Müller et al. (2022a): The study"
    assert properties["doi"] == "10.5555/study.2022"
    failure = drifted.find("failure")
    assert failure is not None
    assert "\nReference: Müller et al. (2022a): The study\n" in (failure.text or "")
    assert "reference" not in {p.get("name") for p in cases["dead-soft"].iter("property")}

    sources = _by_id(_data(report))
    assert sources["dead-404"]["authors"] == ["Knuth, Donald E.", "Plass, Michael F."]
    assert sources["dead-404"]["year"] == "1981"
    assert sources["dead-404"]["reference"] == "Knuth and Plass (1981): Gone"
    assert sources["drifted-landing"]["doi"] == "10.5555/study.2022"  # bare, from the URL form
    assert sources["unreachable-timeout"]["proposed_title"] == "Regional outlook"
    assert sources["unreachable-timeout"]["reference"] == "(2020): Regional outlook"
    assert {k: sources["dead-soft"][k] for k in NAMING} == dict.fromkeys(NAMING) | {"authors": []}


def test_a_doi_url_gives_the_source_its_doi_in_the_report() -> None:
    source = Source("d", "https://doi.org/10.1000/182", title="Handbook", year="2019")
    item = _data(_report(source))["sources"][0]
    assert (item["doi"], item["reference"]) == ("10.1000/182", "(2019): Handbook")
    assert item["doi_check"] is None  # a result without a DOI check: the key is null


# -- report.json: the schema and the round trip ---------------------------------------------


def test_the_round_trip_keeps_what_names_each_source() -> None:
    report = sample_report()
    data = _data(report)
    jsonschema.validate(data, SCHEMA)
    loaded = load_report(data)
    for before, after in zip(report, loaded, strict=True):
        for name in NAMING:
            assert getattr(after.source, name) == getattr(before.source, name), (before.id, name)
    assert factlinks.render_json(loaded) == factlinks.render_json(report)


def test_a_report_written_before_sources_were_named_still_loads(tmp_path: Path) -> None:
    data = _data(sample_report())
    for item in data["sources"]:
        for name in NAMING:
            del item[name]
    jsonschema.validate(data, SCHEMA)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_report(path)
    assert all(r.source.reference is None for r in loaded)
    assert all((r.source.doi, r.source.authors, r.source.year) == (None, (), None) for r in loaded)
    assert "· " not in render_markdown(loaded)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("doi", "not a doi", r"'doi' must be a string or null, not 'not a doi'"),
        ("doi", 182, r"'doi' must be a string or null, not 182"),
        ("authors", "Knuth, Donald E.", r"'authors' must be a list, not 'Knuth, Donald E\.'"),
        ("authors", ["Knuth", 7], r"'authors\[1\]' must be a string, not 7"),
        ("authors", [""], r"'authors\[0\]' must be a string, not ''"),
        ("year", 1981, r"'year' must be a string or null, not 1981"),
        ("reference", ["Knuth"], r"'reference' must be a string or null"),
    ],
)
def test_a_bad_naming_field_names_the_source_and_the_field(
    field: str, value: object, message: str
) -> None:
    data = _data(sample_report())
    data["sources"][3][field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(ReportError, match=r"source 'dead-404' \(sources\[3\]\): " + message):
        load_report(data)


# -- the reference is registry text: escaped and bounded --------------------------------------

HOSTILE = Source(
    "hostile",
    "https://example.org/h",
    title="Title " + "long " * 200,
    authors=("![x](https://tracker.example/p.png) @team <b>bold</b> | cell",),
    year="<script>alert(1)</script>",
)


def test_markdown_shows_the_reference_as_inert_text_and_cut_short() -> None:
    markdown = render_markdown(_report(HOSTILE))
    (line,) = [line for line in markdown.splitlines() if "`hostile`" in line]
    assert "![x](" not in line
    assert "@team" not in line
    assert "<b>" not in line
    assert "<script>" not in line
    assert "\\| cell" in line
    named = line.split(" · ", 1)[1].rsplit(" — <", 1)[0]
    assert named.endswith("…")
    assert len(re.sub(r"\\(.)|&[a-z0-9#]+;", "x", named)) == MAX_REFERENCE_CHARS


def test_a_long_reference_keeps_the_markdown_report_short() -> None:
    """A thousand healthy sources with long references: one short line each."""
    sources = [
        dataclasses.replace(HOSTILE, id=f"s{i}", authors=("Family, Given",), year="2020")
        for i in range(1000)
    ]
    report = dataclasses.replace(
        _report(HOSTILE, Status.OK),
        results=tuple(
            SourceResult(s, Status.OK, "Answers.", NOW, fetch=FetchResult(s.url, s.url, 200))
            for s in sources
        ),
    )
    markdown = render_markdown(report)
    lines = [line for line in markdown.splitlines() if line.startswith("- `s")]
    assert len(lines) == 1000
    assert max(len(line) for line in lines) < 200


def test_html_shows_the_reference_escaped(browser: Chromium, tmp_path: Path) -> None:
    html = drawn(browser, tmp_path / "r.html", render_html(_report(HOSTILE)))
    assert "<script>alert(1)</script>" not in html
    assert "<b>bold</b>" not in html
    soup = BeautifulSoup(html, "html.parser")
    reference = soup.select_one("#source-hostile .ref")
    assert reference is not None
    assert reference.get_text().startswith("![x](https://tracker.example/p.png) @team <b>bold")
    assert not reference.find_all(True)  # text, no elements


def test_html_search_holds_authors_year_title_and_doi() -> None:
    """The page searches what it holds of each source: the authors and the DOI too."""
    rows = rows_by_id(render_html(sample_report()))
    dead, drifted = rows["dead-404"], rows["drifted-landing"]
    assert dead["rf"] == "Knuth and Plass (1981): Gone"
    assert "Donald E." in dead["au"]  # a given name, which the reference leaves out
    assert "(2022a)" in drifted["rf"]
    assert drifted["doi"] == "10.5555/study.2022"
    assert [i for i, row in rows.items() if "Plass" in row.get("au", "")] == ["dead-404"]


# -- check, end to end ------------------------------------------------------------------------

BIB = r"""
@book{knuth_1984,
  author = {Knuth, Donald E.},
  title = {Literate Programming},
  year = {1984},
  url = {https://docs.example.org/lp.html},
}
@report{kfw,
  author = {{Kreditanstalt für Wiederaufbau}},
  title = {Jahresbericht 2021},
  date = {2021-06},
  url = {https://docs.example.org/gone.pdf},
}
@online{plain,
  title = {Plain page},
  url = {https://docs.example.org/plain.html},
}
"""


@pytest.mark.integration
def test_check_names_each_source_in_its_log_and_every_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "refs.bib"
    registry.write_text(BIB, encoding="utf-8")
    out = tmp_path / "out"
    with Farm() as farm:
        farm.add_host(
            "docs.example.org",
            {
                "/lp.html": Reply.html("<h1>Literate Programming</h1>", title="Literate"),
                "/plain.html": Reply.html("<h1>Plain page</h1>", title="Plain page"),
            },
        )
        code = main(
            [
                "check",
                str(registry),
                "--out",
                str(out),
                "--format",
                "json,md,html,junit",
                "--no-state",
                "--no-archive",
                "--timeout",
                "3",
                "-v",
                *farm.remap_args(),
            ]
        )
    assert code == 1
    err = capsys.readouterr().err
    assert re.search(r"ok +knuth_1984 \(Knuth \(1984\): Literate Programming\)  ", err)
    assert re.search(r"dead +kfw \(Kreditanstalt für Wiederaufbau \(2021\): Jahresbericht", err)
    assert re.search(r"ok +plain  ", err)
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert _by_id(data)["knuth_1984"]["reference"] == "Knuth (1984): Literate Programming"
    markdown = (out / "report.md").read_text("utf-8")
    assert "- **`kfw`** · Kreditanstalt für Wiederaufbau \\(2021\\): Jahresbericht 2021" in markdown
    assert "Knuth (1984): Literate Programming" in (out / "report.html").read_text("utf-8")
    assert 'name="reference" value="Knuth (1984): Literate Programming"' in (
        out / "report.junit.xml"
    ).read_text("utf-8")
    assert render_html(load_report(out / "report.json")) == (out / "report.html").read_text("utf-8")
