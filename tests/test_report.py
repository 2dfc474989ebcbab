"""The report formats ``json``, ``md`` and ``junit``: golden files over one shared sample report.

:func:`report_sample.sample_report` (shared with the HTML and load tests) builds one
deterministic report with every status and every optional field; each format's rendering
of it is committed under ``tests/golden/`` (``report.json``, ``report.md``,
``report.junit.xml``) and compared byte for byte. When a format changes on purpose, rewrite
the files and review the diff::

    .venv/bin/python -m pytest tests/test_report.py --update-golden
    FACTLINKS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_report.py   # the same

A test that rewrites a golden file still fails, so an update never passes unseen.
The HTML report has tests of its own (``test_html_report.py``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import factlinks
from conftest import FIXED_NOW, make_source
from factlinks import ArchiveCopy, FetchResult, Report, SourceResult, Status, render_markdown
from factlinks._report import render_junit
from factlinks._report.html import render_html
from report_sample import sample_report

GOLDEN = Path(__file__).resolve().parent / "golden"
TITLE = "Annual report on widget safety 2021"

RENDERERS: dict[str, Callable[[Report], str]] = {
    "report.json": factlinks.render_json,
    "report.md": factlinks.render_markdown,
    "report.junit.xml": render_junit,
}


def _schema() -> dict[str, object]:
    text = resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


# -- golden files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendering_matches_the_golden_file(name: str, update_golden: bool) -> None:
    rendered = RENDERERS[name](sample_report()).encode("utf-8")
    path = GOLDEN / name
    if update_golden:
        old = path.read_bytes() if path.exists() else None
        path.write_bytes(rendered)
        if old != rendered:
            pytest.fail(f"rewrote {path}; review the diff and run the tests again")
    assert path.exists(), f"{path} is missing: run pytest with --update-golden"
    assert rendered == path.read_bytes(), f"{name} differs from {path} (--update-golden)"


def test_the_golden_json_follows_the_schema() -> None:
    data = json.loads((GOLDEN / "report.json").read_text("utf-8"))
    jsonschema.validate(data, _schema())
    counts = sample_report().counts
    assert data["summary"]["by_status"] == {status.value: n for status, n in counts.items()}


def test_the_golden_junit_parses_and_adds_up() -> None:
    root = ET.fromstring((GOLDEN / "report.junit.xml").read_bytes())
    report = sample_report()
    cases = root.findall("./testsuite/testcase")
    assert root.tag == "testsuites"
    assert sorted(str(c.get("name")) for c in cases) == sorted(r.id for r in report.results)
    assert len(cases) == int(root.get("tests", "")) == len(report.results)
    assert len(root.findall("./testsuite/testcase/failure")) == len(report.failures)
    assert int(root.get("failures", "")) == len(report.failures)
    assert len(root.findall("./testsuite/testcase/skipped")) == report.counts[Status.SKIPPED]
    urls = {
        c.get("name"): c.find("./properties/property[@name='url']").get("value")  # type: ignore[union-attr]
        for c in cases
    }
    assert urls == {r.id: r.url for r in report.results}  # special characters survive


def test_the_sample_has_every_status_and_every_kind_of_evidence() -> None:
    report = sample_report()
    assert all(n > 0 for n in report.counts.values()), report.counts
    results = report.results
    assert any(r.new_url and r.fetch and len(r.fetch.redirects) > 1 for r in results)
    assert any(r.title and r.title.matched for r in results)
    assert any(r.title and not r.title.matched for r in results)
    assert any(r.archive is not None for r in results)
    assert any(r.history and r.history.previous_status for r in results)
    assert any(r.history and r.history.consecutive_failures > 1 for r in results)
    assert any(r.fetch and r.fetch.failure for r in results)
    assert report.new_problems
    assert report.recovered


# -- from the first review (issue 2): permissions, schema, inert Markdown ----------------------


def _report(*results: SourceResult) -> factlinks.Report:
    return factlinks.Report(
        results=results, started_at=FIXED_NOW, finished_at=FIXED_NOW, tool_version="0"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_report_files_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = factlinks.write_report(_report(), tmp_path, formats=["json", "md"])
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [0o644, 0o644]


def test_schema_accepts_an_added_optional_field() -> None:
    schema = json.loads(
        resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    )
    url = "https://example.org/docs/a.pdf"
    result = SourceResult(
        make_source(url),
        Status.OK,
        "Answers HTTP 200; no title to check.",
        FIXED_NOW,
        fetch=FetchResult(url, url, 200),
    )
    data = json.loads(factlinks.render_json(_report(result)))
    data["sources"][0]["archive"] = None
    jsonschema.validate(data, schema)


def test_markdown_does_not_render_markup_from_the_web() -> None:
    url = "https://example.org/docs/a.pdf"
    found = "![x](https://tracker.example/p.png) @octocat <img src=x>"
    result = SourceResult(
        make_source(url, title=TITLE),
        Status.DRIFTED,
        f"The expected title is not in the document; it now shows “{found}”.",
        FIXED_NOW,
        fetch=FetchResult(url, url, 200),
    )
    text = factlinks.render_markdown(_report(result))
    assert "![x](" not in text
    assert "<img" not in text
    assert " @octocat" not in text


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        pytest.param("20210215093000", dt.datetime(2021, 2, 15, 9, 30, tzinfo=dt.UTC), id="full"),
        pytest.param("2019", dt.datetime(2019, 1, 1, tzinfo=dt.UTC), id="year"),
        pytest.param("201902", dt.datetime(2019, 2, 1, tzinfo=dt.UTC), id="month"),
        pytest.param("20190214", dt.datetime(2019, 2, 14, tzinfo=dt.UTC), id="day"),
    ],
)
def test_a_short_archive_timestamp_renders(timestamp: str, expected: dt.datetime) -> None:
    """The schema allows a Wayback timestamp cut short; Markdown used to crash on one."""
    copy = ArchiveCopy(
        url=f"https://web.archive.org/web/{timestamp}/https://example.org/",
        timestamp=timestamp,
        captured_status="200",
        verified=True,
        detail="test",
    )
    assert copy.captured_at == expected
    report = sample_report()
    dead = next(r for r in report.results if r.status is Status.DEAD)
    changed = dataclasses.replace(
        report,
        results=tuple(
            dataclasses.replace(r, archive=copy) if r is dead else r for r in report.results
        ),
    )
    assert f"{expected:%Y-%m-%d}" in render_markdown(changed)


def test_a_run_note_is_shown_first_in_every_report_and_read_back(tmp_path: Path) -> None:
    note = "No source could be reached (2 sources …). factlinks could not tell <b>why</b>."
    report = dataclasses.replace(sample_report(), notes=(note,))
    markdown = factlinks.render_markdown(report)
    assert markdown.index("> ⚠️ No source could be reached") < markdown.index("| status |")
    assert "<b>" not in markdown
    data = json.loads(factlinks.render_json(report))
    jsonschema.validate(data, _schema())
    assert data["notes"] == [note]
    html = render_html(report)
    assert "could not tell &lt;b&gt;why&lt;/b&gt;." in html
    path = tmp_path / "report.json"
    path.write_text(factlinks.render_json(report), encoding="utf-8")
    assert factlinks.load_report(path).notes == (note,)
    del data["notes"]  # a report written before notes existed
    path.write_text(json.dumps(data), encoding="utf-8")
    assert factlinks.load_report(path).notes == ()
