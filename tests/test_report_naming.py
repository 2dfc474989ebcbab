"""Every report names a source as the reference manager does, next to its id (issue 12, 6).

``Source.reference`` ("Knuth and Plass (1981): Gone") is shown by ``report.md``,
``report.html``, ``report.junit.xml`` and ``check -v``; ``report.json`` carries what it is
made of (``doi``, ``authors``, ``year``, ``proposed_title``) and the reference itself, and
reads them back.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import factlinks
from factlinks import FetchResult, Report, ReportError, Source, SourceResult, Status, load_report
from factlinks._report.markdown import render_markdown
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


def test_a_doi_url_gives_the_source_its_doi_in_the_report() -> None:
    source = Source("d", "https://doi.org/10.1000/182", title="Handbook", year="2019")
    item = _data(_report(source))["sources"][0]
    assert (item["doi"], item["reference"]) == ("10.1000/182", "(2019): Handbook")
    assert "doi_check" not in item  # that key belongs to the DOI verification


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
