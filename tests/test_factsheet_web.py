"""End to end: ``factlinks check`` on a copy of the fact sheet's web, via the CLI."""

from __future__ import annotations

import io
import json
from collections import Counter
from contextlib import redirect_stdout
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

import factsheet_web
from factlinks._cli import main
from farm import Farm

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "sources.toml"


def load_schema() -> dict[str, Any]:
    text = resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@pytest.fixture(scope="module")
def factsheet_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """One run of the acceptance command over the whole fact sheet web."""
    out = tmp_path_factory.mktemp("report")
    stdout = io.StringIO()
    # As on a GitHub runner whose checkout is this repository: annotations on stdout, and
    # report.sarif's paths relative to the checkout.
    with Farm() as farm, pytest.MonkeyPatch.context() as env, redirect_stdout(stdout):
        env.setenv("GITHUB_ACTIONS", "true")
        env.setenv("GITHUB_WORKSPACE", str(REPO))
        env.delenv("GITHUB_STEP_SUMMARY", raising=False)
        factsheet_web.build(farm)
        argv = [
            "check",
            str(SOURCES),
            "--out",
            str(out),
            "--format",
            "json,md,html,junit,sarif",
            "--no-state",
            "--no-archive",
            "--timeout",
            "3",
            *factsheet_web.remap_args(farm),
        ]
        code = main(argv)
    report: dict[str, Any] = json.loads((out / "report.json").read_text("utf-8"))
    report["_markdown"] = (out / "report.md").read_text("utf-8")
    report["_junit"] = (out / "report.junit.xml").read_text("utf-8")
    report["_html"] = (out / "report.html").read_text("utf-8")
    report["_sarif"] = (out / "report.sarif").read_text("utf-8")
    report["_stdout"] = stdout.getvalue()
    return code, report


def test_exit_code_is_1_because_citations_fail(factsheet_run: tuple[int, dict[str, Any]]) -> None:
    code, report = factsheet_run
    assert code == 1
    assert report["passed"] is False


@pytest.mark.parametrize("source_id", sorted(factsheet_web.EXPECTED))
def test_every_citation_classified_right(
    factsheet_run: tuple[int, dict[str, Any]], source_id: str
) -> None:
    _, report = factsheet_run
    result = next(s for s in report["sources"] if s["id"] == source_id)
    expected = factsheet_web.EXPECTED[source_id]
    assert result["status"] == expected.status, (expected.why, result["reason"])
    assert result["new_url"] == expected.new_url
    assert result["reason"]


def test_report_names_web_urls_never_the_transport(
    factsheet_run: tuple[int, dict[str, Any]],
) -> None:
    _, report = factsheet_run
    text = json.dumps(report["sources"])
    assert "127.0.0.1" not in text
    cited = {
        line.split('"')[1]
        for line in SOURCES.read_text("utf-8").splitlines()
        if line.startswith("url =")
    }
    assert {s["url"] for s in report["sources"]} == cited


def test_relative_location_is_resolved_against_the_cited_url(
    factsheet_run: tuple[int, dict[str, Any]],
) -> None:
    _, report = factsheet_run
    eurostat = next(s for s in report["sources"] if s["id"] == "eurostat-isoc-e-esms")
    assert eurostat["redirects"] == [
        {
            "url": "https://ec.europa.eu/eurostat/cache/metadata/en/isoc_e_esms.htm",
            "status": 301,
            "location": factsheet_web.EUROSTAT_NEW,
        }
    ]
    assert eurostat["final_url"] == factsheet_web.EUROSTAT_NEW


def test_retries_and_evidence(factsheet_run: tuple[int, dict[str, Any]]) -> None:
    _, report = factsheet_run
    by_id = {s["id"]: s for s in report["sources"]}
    assert by_id["desi-2021-ict-env-survey"]["attempts"] == 2
    assert by_id["bmas-zukunftszentren"]["attempts"] == 2
    assert by_id["ki-transfer-plus-regionalzentren"]["error"]["kind"] == "timeout"
    assert by_id["ml2r-transfer"]["error"]["kind"] == "connect"
    kfw = by_id["kfw-fokus-318"]["title"]
    assert kfw["matched"] is True
    assert kfw["where"] == "page 1"
    assert "Wachstumschancen" in kfw["snippet"]
    wik = by_id["wik-kurzstudie-ki-im-mittelstand"]
    assert wik["document"]["format"] == "pdf"
    assert wik["content_type"] == "application/octet-stream"
    booklet = by_id["pls-booklet-kmu"]
    assert booklet["title"]["found"] == "KI in der Arbeitswelt"
    landing = by_id["bmwk-ki-geschaeftsmodellinnovationen"]
    assert "HTML page" in landing["reason"]
    assert by_id["sdil-sdi-c"]["probe"]["verdict"] == "soft-404"
    assert by_id["pls-vorreiter"]["probe"]["verdict"] == "alive"


def test_report_matches_schema_and_summary(factsheet_run: tuple[int, dict[str, Any]]) -> None:
    _, report = factsheet_run
    extras = {key: report.pop(key) for key in list(report) if key.startswith("_")}
    jsonschema.validate(report, load_schema())
    report.update(extras)
    counts = Counter(s["status"] for s in report["sources"])
    assert report["summary"]["by_status"] == {
        status: counts.get(status, 0) for status in report["summary"]["by_status"]
    }
    assert report["summary"]["total"] == 23
    assert report["summary"]["failing"] == counts["dead"] + counts["drifted"]


def test_markdown_puts_failing_problems_first(factsheet_run: tuple[int, dict[str, Any]]) -> None:
    _, report = factsheet_run
    markdown: str = report["_markdown"]
    dead = markdown.index("## Dead")
    drifted = markdown.index("## Drifted")
    moved = markdown.index("## Moved")
    healthy = markdown.index("Healthy and skipped")
    assert dead < drifted < moved < healthy
    assert factsheet_web.BMWK_NEW in markdown
    assert "Now: “KI in der Arbeitswelt”" in markdown  # what the drifted URL serves now
    assert "Title found in page 1:" in markdown  # the evidence of the moved BMWK PDF


def test_junit_has_one_case_per_source_and_fails_the_failing_ones(
    factsheet_run: tuple[int, dict[str, Any]],
) -> None:
    _, report = factsheet_run
    root = ElementTree.fromstring(report["_junit"])
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 23
    assert [suite.get("name") for suite in root.findall("testsuite")] == ["factsheet-ki"]
    failed = {case.get("name") for case in cases if case.find("failure") is not None}
    failing = {s["id"] for s in report["sources"] if s["status"] in ("dead", "drifted")}
    assert failed == failing
    assert root.get("failures") == str(len(failing)) == str(report["summary"]["failing"])
    warned = {
        case.get("name")
        for case in cases
        if (case.findtext("system-out") or "").startswith("WARNING moved")
    }
    assert warned == {s["id"] for s in report["sources"] if s["status"] == "moved"}


def test_all_four_formats_are_written(factsheet_run: tuple[int, dict[str, Any]]) -> None:
    _, report = factsheet_run
    assert report["_html"].startswith("<!DOCTYPE html>")
    assert "Citation health report" in report["_html"]


# -- issue 14, 3: SARIF and GitHub annotations ----------------------------------------------


def _registry_lines() -> list[str]:
    return SOURCES.read_text("utf-8").split("\n")


def _id_at(lines: list[str], line: int) -> str:
    """The id of the ``[[source]]`` table that starts at ``line`` (1-based) of sources.toml."""
    assert lines[line - 1].strip() == "[[source]]", lines[line - 1]
    for text in lines[line:]:
        if text.strip().startswith("id"):
            return text.split("=", 1)[1].strip().strip('"')
        assert not text.strip().startswith("["), "no id in the table"
    raise AssertionError("no id after the header")


def test_sarif_is_valid_and_every_result_is_on_its_line(
    factsheet_run: tuple[int, dict[str, Any]],
) -> None:
    _, report = factsheet_run
    schema_path = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
    sarif = json.loads(report["_sarif"])
    jsonschema.Draft4Validator(json.loads(schema_path.read_text("utf-8"))).validate(sarif)
    (run,) = sarif["runs"]
    problems = {s["id"]: s["status"] for s in report["sources"] if s["status"] not in ("ok",)}
    lines = _registry_lines()
    seen = {}
    for result in run["results"]:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "sources.toml", "uriBaseId": "%SRCROOT%"}
        source_id = _id_at(lines, physical["region"]["startLine"])
        assert source_id == result["properties"]["id"]
        seen[source_id] = result["ruleId"].removeprefix("factlinks/")
        assert result["level"] == ("error" if seen[source_id] in ("dead", "drifted") else "warning")
        related = [loc["logicalLocations"][0]["name"] for loc in result["relatedLocations"]]
        assert related == ["factsheet-ki"]
    assert seen == problems
    assert run["properties"]["truncated"] is False


def test_github_annotations_point_at_the_registry_lines(
    factsheet_run: tuple[int, dict[str, Any]],
) -> None:
    _, report = factsheet_run
    commands = report["_stdout"].splitlines()
    failing = [s["id"] for s in report["sources"] if s["status"] in ("dead", "drifted")]
    warned = [s["id"] for s in report["sources"] if s["status"] not in ("ok", "dead", "drifted")]
    errors = [c for c in commands if c.startswith("::error ")]
    warnings = [c for c in commands if c.startswith("::warning ")]
    assert len(errors) == min(len(failing), 10)
    assert len(warnings) == min(len(warned), 10)
    lines = _registry_lines()
    for command in errors + warnings:
        properties = dict(
            p.split("=", 1) for p in command.split(" ", 1)[1].split("::")[0].split(",")
        )
        assert properties["file"] == "sources.toml"
        source_id = _id_at(lines, int(properties["line"]))
        assert properties["title"].endswith(f"citation%3A {source_id}")
    left = len(failing) + len(warned) - len(errors) - len(warnings)
    notices = [c for c in commands if c.startswith("::notice")]
    assert len(notices) == (1 if left else 0)
