"""``report.sarif`` (issue 14, 3): SARIF 2.1.0 for GitHub code scanning.

Every file is validated against the official SARIF 2.1.0 schema, committed with its
provenance in ``tests/fixtures/sarif/``. The fact sheet's web (the acceptance test: every
result on the right line of ``sources.toml``) is in ``test_factsheet_web.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import factlinks
from conftest import FIXED_NOW, make_source
from factlinks import ArchiveCopy, Report, Source, SourceResult, Status, load_report
from factlinks._cli import main
from factlinks._report import FORMATS, RenderFailure, write_report
from factlinks._report import sarif as sarif_module
from factlinks._report.findings import finding_statuses, repository_path
from factlinks._report.guard import NOT_RENDERED, collect
from factlinks._report.sarif import (
    MAX_SARIF_BYTES,
    MAX_SARIF_RESULTS,
    SRCROOT,
    fingerprint,
    render_sarif,
    rule_id,
)
from factlinks._spool import ResultSpool
from report_sample import sample_report

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "report.sarif"
SCHEMA_PATH = HERE / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text("utf-8"))
VALIDATOR = jsonschema.Draft4Validator(
    SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
)
WARNINGS = (Status.MOVED, Status.BLOCKED, Status.UNREACHABLE, Status.UNVERIFIABLE)


def validated(text: str) -> dict[str, Any]:
    """``text`` parsed, after checking it against the SARIF 2.1.0 schema."""
    data: dict[str, Any] = json.loads(text)
    VALIDATOR.validate(data)
    return data


def lined(report: Report) -> Report:
    """``report`` with each source at a line of its own in the registry (11, 21, ...)."""
    results = tuple(
        dataclasses.replace(r, source=dataclasses.replace(r.source, line=10 * i + 11, column=1))
        for i, r in enumerate(report.results)
    )
    return dataclasses.replace(report, results=results)


def report_of(results: Sequence[SourceResult], **changes: Any) -> Report:
    return Report(
        results=tuple(results),
        started_at=FIXED_NOW,
        finished_at=FIXED_NOW + dt.timedelta(seconds=3),
        tool_version="9.9.9",
        registry=changes.pop("registry", "sources.toml"),
        **changes,
    )


def result_of(status: Status, number: int, **source: Any) -> SourceResult:
    made = make_source(f"https://h{number % 7}.example.org/{number}", id=f"s{number}", **source)
    return SourceResult(made, status, f"Reason {number}.", FIXED_NOW)


def run_of(data: dict[str, Any]) -> dict[str, Any]:
    (run,) = data["runs"]
    result: dict[str, Any] = run
    return result


# -- the golden file and the schema -----------------------------------------------------------


def test_the_schema_is_the_committed_official_one() -> None:
    assert SCHEMA["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    readme = (SCHEMA_PATH.parent / "README.md").read_text("utf-8")
    import hashlib

    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() in readme
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_rendering_matches_the_golden_file(tmp_path: Path, update_golden: bool) -> None:
    rendered = render_sarif(lined(sample_report()), root=tmp_path).encode("utf-8")
    if update_golden:
        old = GOLDEN.read_bytes() if GOLDEN.exists() else None
        GOLDEN.write_bytes(rendered)
        if old != rendered:
            pytest.fail(f"rewrote {GOLDEN}; review the diff and run the tests again")
    assert rendered == GOLDEN.read_bytes(), f"{GOLDEN} differs (--update-golden)"


def test_the_golden_file_is_valid_sarif_with_a_result_per_problem() -> None:
    data = validated(GOLDEN.read_text("utf-8"))
    report = sample_report()
    run = run_of(data)
    assert data["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "factlinks"
    assert run["tool"]["driver"]["version"] == report.tool_version
    by_id = {r["properties"]["id"]: r for r in run["results"]}
    assert sorted(by_id) == sorted(r.id for r in report.problems)
    for result in report.problems:
        item = by_id[result.id]
        assert item["ruleId"] == f"factlinks/{result.status.value}"
        assert item["level"] == ("error" if result.status in report.fail_on else "warning")
        assert item["properties"]["url"] == result.url
    assert run["properties"]["truncated"] is False
    assert run["properties"]["listed"] == len(report.problems)


def test_results_come_most_severe_first() -> None:
    data = validated(render_sarif(sample_report()))
    results = run_of(data)["results"]
    levels = [r["level"] for r in results]
    assert levels == sorted(levels)  # "error" < "warning": every error before every warning
    orders = [(r["level"], Status(r["properties"]["status"]).order) for r in results]
    assert orders == sorted(orders)


def test_each_rule_carries_the_status_texts_of_the_markdown_report() -> None:
    report = sample_report()
    run = run_of(validated(render_sarif(report)))
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [
        rule_id(s) for s in sorted(finding_statuses(report), key=lambda s: s.order)
    ]
    for rule in rules:
        status = Status(rule["id"].removeprefix("factlinks/"))
        assert rule["help"]["text"] == status.action  # what report.md says to do
        assert status.action in rule["help"]["markdown"]
        assert rule["fullDescription"]["text"].startswith(status.description)
        assert rule["shortDescription"]["text"] == f"{status.label} citation"
        assert "helpUri" not in rule  # no published documentation to point at
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]


def test_fail_on_decides_the_levels_and_can_make_ok_a_finding() -> None:
    results = [result_of(s, i) for i, s in enumerate(Status)]
    report = report_of(results, fail_on=frozenset({Status.MOVED, Status.OK}))
    run = run_of(validated(render_sarif(report)))
    levels = {r["properties"]["status"]: r["level"] for r in run["results"]}
    assert levels == {
        "moved": "error",
        "ok": "error",
        "dead": "warning",
        "drifted": "warning",
        "blocked": "warning",
        "unreachable": "warning",
        "unverifiable": "warning",
    }
    assert [r["properties"]["status"] for r in run["results"][:2]] == ["moved", "ok"]


def test_a_healthy_report_has_no_results_and_is_still_valid() -> None:
    report = report_of([result_of(Status.OK, 1), result_of(Status.SKIPPED, 2)])
    run = run_of(validated(render_sarif(report)))
    assert run["results"] == []  # an upload of it closes the alerts of the last one
    assert run["invocations"][0]["executionSuccessful"] is True


# -- locations and fingerprints ----------------------------------------------------------------


def test_a_result_points_at_the_source_in_the_registry(tmp_path: Path) -> None:
    result = result_of(Status.DEAD, 1, cited_in=("factsheet-ki", "brief"))
    result = dataclasses.replace(
        result, source=dataclasses.replace(result.source, line=24, column=3)
    )
    registry = tmp_path / "docs" / "sources.toml"
    item = run_of(
        validated(render_sarif(report_of([result], registry=str(registry)), root=tmp_path))
    )["results"][0]
    (location,) = item["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "docs/sources.toml", "uriBaseId": SRCROOT},
        "region": {"startLine": 24, "startColumn": 3},
    }
    # the citing documents are named, never given a file or line the report does not know
    assert [loc["logicalLocations"] for loc in item["relatedLocations"]] == [
        [{"name": "factsheet-ki", "kind": "document"}],
        [{"name": "brief", "kind": "document"}],
    ]
    assert all("physicalLocation" not in loc for loc in item["relatedLocations"])


def test_a_relative_registry_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "site docs").mkdir()
    result = result_of(Status.DEAD, 1)
    report = report_of([result], registry="site docs/sources#1.toml")
    item = run_of(validated(render_sarif(report, root=tmp_path)))["results"][0]
    artifact = item["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "site%20docs/sources%231.toml", "uriBaseId": SRCROOT}
    assert "region" not in item["locations"][0]["physicalLocation"]  # no line: none claimed


def test_a_registry_outside_the_root_is_an_absolute_file_uri(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    outside = tmp_path / "elsewhere" / "sources.toml"
    report = report_of([result_of(Status.DEAD, 1)], registry=str(outside))
    item = run_of(validated(render_sarif(report, root=tmp_path / "repo")))["results"][0]
    artifact = item["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.resolve().as_uri()}


def test_documents_checked_directly_have_no_location() -> None:
    report = report_of([result_of(Status.DEAD, 1)], registry=None)
    item = run_of(validated(render_sarif(report)))["results"][0]
    assert item["locations"] == []


def test_symlinks_are_resolved_before_paths_are_made_relative(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "sources.toml").write_text("", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert repository_path(str(tmp_path / "link" / "sources.toml"), tmp_path) == (
        "real/sources.toml"
    )
    assert repository_path("/somewhere/else.toml", tmp_path) is None


def test_fingerprints_follow_the_source_not_the_line_or_the_run() -> None:
    def fingerprints(report: Report) -> dict[str, dict[str, str]]:
        results = run_of(validated(render_sarif(report)))["results"]
        return {r["properties"]["id"]: r["partialFingerprints"] for r in results}

    report = lined(sample_report())
    moved_down = dataclasses.replace(
        report,
        started_at=report.started_at + dt.timedelta(days=1),
        finished_at=report.finished_at + dt.timedelta(days=1),
        results=tuple(
            dataclasses.replace(
                r, source=dataclasses.replace(r.source, line=(r.source.line or 0) + 7)
            )
            for r in report.results
        ),
    )
    first = fingerprints(report)
    assert first == fingerprints(moved_down)
    assert len({f["primaryLocationLineHash"] for f in first.values()}) == len(first)
    dead = first["dead-404"]["primaryLocationLineHash"]
    assert dead == fingerprint(Status.DEAD, "dead-404")
    assert fingerprint(Status.DRIFTED, "dead-404") != dead  # another status: another alert


# -- GitHub's limits ---------------------------------------------------------------------------


def _big(count: int) -> list[SourceResult]:
    """``count`` findings, the failing ones last in registry order."""
    statuses = [*WARNINGS, Status.DRIFTED, Status.DEAD, Status.OK]
    return [result_of(statuses[i % len(statuses)], i) for i in range(count)]


def test_a_big_report_is_cut_to_what_github_keeps_the_worst_first() -> None:
    results = _big(30_000)  # more than the 25,000 GitHub accepts in a run
    report = report_of(results)
    text = render_sarif(report)
    data = json.loads(text)  # the cut one is validated below, on a smaller run
    run = run_of(data)
    findings = sum(r.status.is_problem for r in results)
    assert len(run["results"]) == MAX_SARIF_RESULTS
    errors = sum(r.status in report.fail_on for r in results)
    assert [r["level"] for r in run["results"]] == ["error"] * MAX_SARIF_RESULTS
    assert errors > MAX_SARIF_RESULTS  # so every one kept is an error, dead ones first
    statuses = [r["properties"]["status"] for r in run["results"]]
    assert statuses[: report.counts[Status.DEAD]] == ["dead"] * report.counts[Status.DEAD]
    assert run["properties"]["left_out"] == findings - MAX_SARIF_RESULTS
    assert run["properties"]["truncated"] is True
    (notice,) = [
        n
        for n in run["invocations"][0]["toolExecutionNotifications"]
        if n.get("descriptor", {}).get("id") == "factlinks/truncated"
    ]
    assert f"{findings - MAX_SARIF_RESULTS} more findings not listed" in notice["message"]["text"]
    assert len(text.encode("utf-8")) <= MAX_SARIF_BYTES
    assert len(gzip.compress(text.encode("utf-8"))) < 10 * 1000 * 1000


@pytest.mark.parametrize("max_bytes", [6_000, 9_000, 25_000])
def test_the_byte_limit_holds_and_the_cut_is_valid_sarif(max_bytes: int) -> None:
    report = report_of(_big(200))
    text = render_sarif(report, max_bytes=max_bytes)
    assert len(text.encode("utf-8")) <= max_bytes
    run = run_of(validated(text))
    listed = len(run["results"])
    assert 0 < listed < 200
    assert run["properties"]["listed"] == listed
    assert run["properties"]["left_out"] == sum(r.status.is_problem for r in report) - listed
    assert run["properties"]["limits"] == {"results": MAX_SARIF_RESULTS, "bytes": max_bytes}


def test_the_result_limit_is_a_parameter_and_notes_become_notifications() -> None:
    report = report_of(_big(40), notes=("No source answered; the host may be down.",))
    run = run_of(validated(render_sarif(report, max_results=3)))
    assert len(run["results"]) == 3
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0] == {
        "level": "warning",
        "message": {"text": "No source answered; the host may be down."},
    }
    assert "not listed here" in notes[1]["message"]["text"]


def test_a_source_cited_by_many_documents_names_ten() -> None:
    result = result_of(Status.DEAD, 1, cited_in=tuple(f"doc-{n}" for n in range(25)))
    item = run_of(validated(render_sarif(report_of([result]))))["results"][0]
    assert len(item["relatedLocations"]) == 10
    assert len(item["properties"]["cited_in"]) == 25


# -- streamed, read back, and guarded ---------------------------------------------------------


def test_a_spooled_report_renders_as_the_same_report_in_memory() -> None:
    report = lined(report_of(_big(300)))
    spool = ResultSpool(len(report.results))
    for index in reversed(range(len(report.results))):  # in any order, as checks finish
        spool.put(index, report.results[index])
    spooled = dataclasses.replace(report, results=spool)
    assert render_sarif(spooled) == render_sarif(report)
    spool.close()


def test_a_report_read_back_from_json_keeps_the_lines(tmp_path: Path) -> None:
    report = lined(sample_report())
    write_report(report, tmp_path, formats=["json", "sarif"])
    again = load_report(tmp_path / "report.json")
    assert [r.source.line for r in again.results] == [r.source.line for r in report.results]
    assert render_sarif(again) == (tmp_path / "report.sarif").read_text("utf-8")


def test_check_writes_report_sarif_and_report_re_renders_it(tmp_path: Path) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '# a comment\n\n[[source]]\nid = "a"\nurl = "https://x.org/"\nskip = "intranet"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    argv = ["check", "sources.toml", "--out", str(out), "--format", "json,sarif", "--no-state"]
    assert main(argv) == 0
    run = run_of(validated((out / "report.sarif").read_text("utf-8")))
    assert run["results"] == []
    assert run["properties"]["registry"] == "sources.toml"
    (out / "report.sarif").unlink()
    assert main(["report", str(out / "report.json"), "--format", "sarif,md"]) == 0
    assert (out / "report.sarif").exists()
    assert (out / "report.md").exists()
    assert "sarif" in FORMATS
    assert FORMATS["sarif"][0] == "report.sarif"


def test_a_source_that_cannot_be_rendered_is_listed_bare(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(result: SourceResult) -> str:
        if result.id == "s2":
            raise ValueError("boom")
        return f"fine {result.id}"

    monkeypatch.setattr(sarif_module, "_message", broken)
    failures: list[RenderFailure] = []
    report = report_of([result_of(Status.DEAD, 1), result_of(Status.DEAD, 2)])
    with collect(failures.append):
        run = run_of(validated(render_sarif(report)))
    assert [f.source_id for f in failures] == ["s2"]
    assert failures[0].format == "sarif"
    texts = [r["message"]["text"] for r in run["results"]]
    assert texts == ["fine s1", f"Dead citation s2: {NOT_RENDERED}"]
    assert run["results"][1]["partialFingerprints"]["primaryLocationLineHash"] == fingerprint(
        Status.DEAD, "s2"
    )


def test_web_text_cannot_break_the_file() -> None:
    source = Source("evil", 'https://x.org/"},{"a', cited_in=("doc\x00\u202e",))
    result = SourceResult(
        source,
        Status.MOVED,
        'Moved to "x"\n\x1b[31m\ud800',
        FIXED_NOW,
        new_url="https://y.org/\u2028",
        archive=ArchiveCopy("https://web.archive.org/web/2021/x", "2021", "200", True, "ok"),
    )
    item = run_of(validated(render_sarif(report_of([result]))))["results"][0]
    assert item["properties"]["url"] == 'https://x.org/"},{"a'
    assert "\x1b" not in item["message"]["text"]
    assert "Archive copy: https://web.archive.org/web/2021/x" in item["message"]["text"]
    assert factlinks.Status.MOVED.value == item["properties"]["status"]
