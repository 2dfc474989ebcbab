"""``load_report``: a saved report.json back into a typed Report, checked against the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import factlinks
from factlinks import ReportError, Status, load_report
from factlinks._report import FORMATS
from report_sample import sample_report

SCHEMA = json.loads(resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8"))


def sample_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(factlinks.render_json(sample_report()))
    return data


# --- the round trip ----------------------------------------------------------------------------


def test_the_sample_covers_every_status_and_optional_field() -> None:
    report = sample_report()
    assert set(report.counts) == set(Status)
    assert all(report.counts.values())
    for name in ("fetch", "inspection", "title", "probe", "new_url", "history", "archive"):
        assert any(getattr(r, name) is not None for r in report), name
    assert {r.archive.verified for r in report if r.archive} == {True, False, None}
    assert report.new_problems
    assert report.recovered


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_renders_the_same_from_the_saved_report(fmt: str) -> None:
    report = sample_report()
    render = FORMATS[fmt][1]
    loaded = load_report(json.loads(factlinks.render_json(report)))
    assert render(loaded) == render(report)


def test_a_path_or_the_parsed_data(tmp_path: Path) -> None:
    text = factlinks.render_json(sample_report())
    (tmp_path / "report.json").write_text(text, encoding="utf-8")
    for given in (tmp_path / "report.json", str(tmp_path / "report.json"), json.loads(text)):
        assert factlinks.render_json(load_report(given)) == text


def test_the_typed_report_holds_what_fix_reads() -> None:
    """``fix --report`` needs id, url, status, new_url, the archive copy and when it was checked."""
    report = sample_report()
    loaded = load_report(sample_data())
    for before, after in zip(report, loaded, strict=True):
        assert after.id == before.id
        assert after.url == before.url
        assert after.status is before.status
        assert after.new_url == before.new_url
        assert after.checked_at == before.checked_at
        assert after.source.title == before.source.title
        assert after.source.cited_in == before.source.cited_in
        if before.archive is None:
            assert after.archive is None
        else:
            assert after.archive is not None
            assert (after.archive.url, after.archive.timestamp, after.archive.verified) == (
                before.archive.url,
                before.archive.timestamp,
                before.archive.verified,
            )
    assert loaded.fail_on == report.fail_on
    assert loaded.passed is report.passed
    assert [r.id for r in loaded.problems] == [r.id for r in report.problems]


def test_statuses_carry_their_presentation_once() -> None:
    assert sorted(s.order for s in Status) == list(range(len(Status)))
    assert len({s.symbol for s in Status}) == len(Status)
    assert [s.value for s in sorted(Status, key=lambda s: s.order)][:3] == [
        "dead",
        "drifted",
        "moved",
    ]
    assert Status.OK.label == "OK"
    assert all(s.label and s.description for s in Status)


# --- what is not a report ----------------------------------------------------------------------


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"missing\.json: no such report file"):
        load_report(tmp_path / "missing.json")


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"schema": "factlinks.report/1",\n  oops}', encoding="utf-8")
    with pytest.raises(ReportError, match=r"report\.json:2:3: not a JSON report"):
        load_report(path)
    path.write_bytes(b'{"schema": "\xff"}')
    with pytest.raises(ReportError, match=r"report\.json: not a JSON report \(not UTF-8"):
        load_report(path)


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"report\.json: not a factlinks\.report/1 report"):
        load_report(_write(tmp_path, [1, 2]))


def test_a_missing_schema_tag(tmp_path: Path) -> None:
    data = sample_data()
    del data["schema"]
    with pytest.raises(ReportError, match=r"report\.json: .*\(no 'schema' tag\)"):
        load_report(_write(tmp_path, data))


def test_a_wrong_schema_version(tmp_path: Path) -> None:
    data = sample_data()
    data["schema"] = "factlinks.report/2"
    with pytest.raises(
        ReportError,
        match=r"report\.json: not a factlinks\.report/1 report \(schema 'factlinks\.report/2'\)",
    ):
        load_report(_write(tmp_path, data))


def _set(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "a score that is text": (
        _set(("sources", 2, "title", "score"), "high"),
        r"source 'drifted-landing' \(sources\[2\]\): 'title\.score' must be a number or null, "
        r"not 'high'",
    ),
    "an unknown status": (
        _set(("sources", 1, "status"), "mystery"),
        r"source 'moved-html' \(sources\[1\]\): 'status' must be one of 'ok', .*not 'mystery'",
    ),
    "a missing field": (
        _delete(("sources", 3, "reason")),
        r"source 'dead-404' \(sources\[3\]\): is missing the field 'reason'",
    ),
    "a hop that is not an object": (
        _set(("sources", 1, "redirects", 0), "301"),
        r"source 'moved-html' \(sources\[1\]\): 'redirects\[0\]' must be an object, not '301'",
    ),
    "a URL that is not http(s)": (
        _set(("sources", 0, "url"), "javascript:alert(1)"),
        r"source 'ok-pdf' \(sources\[0\]\): 'url' must be an http\(s\) URL",
    ),
    "an id that is a number": (
        _set(("sources", 4, "id"), 7),
        r"\(sources\[4\]\): 'id' must be a string, not 7",
    ),
    "a time that is not a time": (
        _set(("sources", 0, "checked_at"), "yesterday"),
        r"source 'ok-pdf' \(sources\[0\]\): 'checked_at' must be an ISO 8601 time",
    ),
    "a date that is not a date": (
        _set(("sources", 0, "accessed"), "2021-13-45"),
        r"source 'ok-pdf' \(sources\[0\]\): 'accessed' must be an ISO 8601 date",
    ),
    "a boolean count": (
        _set(("summary", "total"), True),
        r"report\.json: 'summary\.total' must be an integer, not True",
    ),
    "sources that are not a list": (
        _set(("sources",), {}),
        r"report\.json: 'sources' must be a list, not \{\}",
    ),
    "an unknown field in the document": (
        _set(("sources", 0, "document", "colour"), "blue"),
        r"source 'ok-pdf' \(sources\[0\]\): 'document' has an unknown field 'colour'",
    ),
    "fail_on twice": (
        _set(("fail_on",), ["dead", "dead"]),
        r"report\.json: 'fail_on' must not list an item twice",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_report_names_the_file_the_source_and_the_field(tmp_path: Path, case: str) -> None:
    change, message = BROKEN[case]
    data = sample_data()
    change(data)
    if "ISO 8601" not in message:  # the schema only annotates formats; the loader parses them
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, SCHEMA)
    with pytest.raises(ReportError, match=message) as raised:
        load_report(_write(tmp_path, data))
    assert str(raised.value).startswith(f"{tmp_path / 'report.json'}: ")


def test_a_history_time_that_is_not_a_time(tmp_path: Path) -> None:
    data = sample_data()
    data["sources"][3]["history"]["first_failure"] = "last week"
    with pytest.raises(
        ReportError,
        match=r"source 'dead-404' \(sources\[3\]\): 'history\.first_failure' must be an ISO 8601",
    ):
        load_report(_write(tmp_path, data))


@pytest.mark.parametrize("key", SCHEMA["$defs"]["source"]["required"])
def test_every_field_the_schema_requires_is_required(key: str) -> None:
    data = sample_data()
    del data["sources"][0][key]
    with pytest.raises(ReportError, match=rf"<report>: .*is missing the field '{key}'"):
        load_report(data)


def test_what_the_schema_accepts_loads() -> None:
    """Added fields are allowed where the schema allows them, and optional ones may be absent."""
    data = sample_data()
    data["sources"][0]["future_field"] = {"anything": [1]}
    data["future_top"] = True
    data["sources"][2]["archive"]["captured_status"] = "200"
    del data["sources"][0]["history"]["recent"]
    jsonschema.validate(data, SCHEMA)
    report = load_report(data)
    assert report.results[0].history is not None
    assert report.results[0].history.recent == ()
