"""The report formats ``json``, ``md`` and ``junit``: files, schema, inert Markdown."""

from __future__ import annotations

import json
import os
import stat
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import factlinks
from conftest import FIXED_NOW, make_source
from factlinks import FetchResult, SourceResult, Status

TITLE = "Annual report on widget safety 2021"


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
