"""``report.md`` stays within a job summary's limit at any size; the writers stream.

GitHub takes at most 1 MiB of job summary per step. ``report.md`` of 2,000 dead sources used
to be 1.4 MB; now the sources that do not fit are left out, whole, after the problems, and
one line says how many and where the full report is (issue 13).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import factlinks
from factlinks import FetchResult, Report, Source, SourceResult, Status
from factlinks._report.markdown import MAX_MARKDOWN_BYTES, render_markdown
from factlinks._text import MAX_REASON_CHARS

NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
WIDE = "Ünïcödé 日本語 🦉 «quotes» — "  # 1 to 4 bytes a character


def _result(n: int, status: Status, *, long: bool) -> SourceResult:
    words = (WIDE * 12)[:290] if long else f"Study {n}"
    url = f"https://example.org/{n}/" + ("ä/" * 600 if long else "report.pdf")
    source = Source(
        id=f"s{n:06d}",
        url=url,
        title=words,
        citation=words,
        cited_in=(f"document {n % 7} {WIDE}",),
    )
    return SourceResult(
        source=source,
        status=status,
        reason=(f"The server answers 404. {WIDE}" * 40)[:MAX_REASON_CHARS] if long else "Gone.",
        checked_at=NOW,
        fetch=FetchResult(url=url, final_url=url, status_code=404, redirects=()),
    )


def report_of(count: int, *, long: bool = False, healthy_every: int = 0) -> Report:
    """``count`` sources: dead, drifted and blocked in turn (ok every ``healthy_every``)."""
    cycle = (Status.DEAD, Status.DRIFTED, Status.BLOCKED)
    results = tuple(
        _result(
            n,
            Status.OK if healthy_every and n % healthy_every == 0 else cycle[n % 3],
            long=long,
        )
        for n in range(count)
    )
    return Report(results=results, started_at=NOW, finished_at=NOW, tool_version="9.9.9")


def listed(markdown: str) -> list[str]:
    """The ids of the sources the report lists, in order."""
    return re.findall(r"^- \*{0,2}`(s\d{6})`", markdown, re.MULTILINE)


def left_out(markdown: str) -> int:
    found = re.search(r"\*\*… and (\d+) more sources?(?: \([^)]*\))? not listed here\*\*", markdown)
    return int(found.group(1)) if found else 0


def check_whole(markdown: str, report: Report, limit: int) -> None:
    """Within ``limit``; every source listed or counted; no row or character cut."""
    data = markdown.encode("utf-8")
    assert len(data) <= limit
    data.decode("utf-8", "strict")
    ids = listed(markdown)
    assert len(ids) == len(set(ids))
    assert len(ids) + left_out(markdown) == len(report.results)
    for line in markdown.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line
            assert line.count("|") >= 3, line
    assert markdown.count("<details>") == markdown.count("</details>")
    assert markdown.rstrip("\n").endswith("s._")  # the footer is always there


def test_2000_dead_sources_fit_a_job_summary() -> None:
    """The case of issue 13: 1.4 MB before, over GitHub's limit."""
    report = report_of(2000, long=True)
    markdown = render_markdown(report)
    check_whole(markdown, report, MAX_MARKDOWN_BYTES)
    assert MAX_MARKDOWN_BYTES < 2**20
    assert left_out(markdown) > 0
    assert (
        "the full report is in `report.html` and `report.json`, written with this one" in markdown
    )
    assert re.search(r"more sources \(all of them problems\) not listed", markdown)
    # problems first: the failing ones (dead, drifted) come before the warnings (blocked)
    ids = listed(markdown)
    statuses = [report.results[int(i[1:])].status for i in ids]
    assert statuses == sorted(statuses, key=lambda s: (s not in report.fail_on, s.order))


@pytest.mark.parametrize("limit", range(2_600, 12_000, 157))
def test_every_cut_leaves_whole_lines(limit: int) -> None:
    """Cut points sweep over headings, entries, the healthy block and multibyte text."""
    report = report_of(40, long=False, healthy_every=4)
    check_whole(render_markdown(report, max_bytes=limit), report, limit)


@pytest.mark.parametrize("limit", [4_000, 9_000, 20_000, 60_000])
def test_long_urls_and_titles_are_never_cut(limit: int) -> None:
    report = report_of(30, long=True, healthy_every=5)
    check_whole(render_markdown(report, max_bytes=limit), report, limit)


def test_the_left_out_line_counts_the_problems_among_them() -> None:
    report = report_of(60, healthy_every=2)  # 30 problems, 30 healthy
    markdown = render_markdown(report, max_bytes=4_000)
    problems_listed = sum(
        1 for i in listed(markdown) if report.results[int(i[1:])].status.is_problem
    )
    assert f"({30 - problems_listed} of them problems)" in markdown


def test_under_the_limit_nothing_is_left_out() -> None:
    report = report_of(30, healthy_every=4)
    markdown = render_markdown(report)
    assert left_out(markdown) == 0
    assert "not listed here" not in markdown
    assert len(listed(markdown)) == 30


def test_the_left_out_line_names_the_full_reports_written(tmp_path: Path) -> None:
    report = report_of(3000, long=True)
    factlinks.write_report(report, tmp_path / "a", formats=["md", "json"])
    text = (tmp_path / "a" / "report.md").read_text("utf-8")
    assert "the full report is in `report.json`, written with this one" in text
    factlinks.write_report(report, tmp_path / "b", formats=["md"])
    text = (tmp_path / "b" / "report.md").read_text("utf-8")
    assert "write the full report with `--format html,json`" in text
    assert (tmp_path / "b" / "report.md").stat().st_size <= MAX_MARKDOWN_BYTES


def test_lists_of_changes_and_documents_are_bounded() -> None:
    from factlinks import History
    from factlinks._report.markdown import MAX_DOCUMENT_ROWS, MAX_LISTED_IDS

    results = tuple(
        SourceResult(
            source=Source(id=f"s{n:06d}", url=f"https://example.org/{n}", cited_in=(f"doc{n}",)),
            status=Status.DEAD,
            reason="Gone.",
            checked_at=NOW,
            history=History(previous_status=Status.OK, consecutive_failures=1),
        )
        for n in range(MAX_DOCUMENT_ROWS + 20)
    )
    report = Report(results=results, started_at=NOW, finished_at=NOW, tool_version="9.9.9")
    markdown = render_markdown(report)
    new_line = next(line for line in markdown.splitlines() if line.startswith("**New since"))
    assert new_line.count("`s") == MAX_LISTED_IDS
    assert new_line.endswith(f" and {len(results) - MAX_LISTED_IDS} more")
    assert len(re.findall(r"^\| doc\d+ \|", markdown, re.MULTILINE)) == MAX_DOCUMENT_ROWS
    assert "_… and 20 more documents._" in markdown


def test_writing_streams(tmp_path: Path) -> None:
    """Writing the reports of 5,000 sources takes a fraction of one report's text."""
    report = report_of(5000, long=True)
    whole = len(factlinks.render_json(report))
    factlinks.write_report(report_of(10), tmp_path, formats=["json", "md", "html"])  # warm up
    tracemalloc.start()
    try:
        factlinks.write_report(report, tmp_path, formats=["json", "md", "html"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "report.json").stat().st_size > whole  # UTF-8: more bytes than chars
    assert peak < whole / 10, f"{peak:,} bytes for a {whole:,}-character report.json"
    assert json.loads((tmp_path / "report.json").read_text("utf-8"))["summary"]["total"] == 5000


def test_a_writer_that_fails_halfway_leaves_the_old_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed file is still staged: a failure after the first pieces replaces nothing."""
    import factlinks._report.html as html

    factlinks.write_report(report_of(10), tmp_path, formats=["json", "md", "html"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = html.iter_html

    def breaks(report: Report) -> Iterator[str]:
        pieces = real(report)
        yield next(pieces)
        raise RuntimeError("a bug halfway through the page")

    monkeypatch.setattr(html, "iter_html", breaks)
    with pytest.raises(RuntimeError, match="halfway"):
        factlinks.write_report(report_of(20), tmp_path, formats=["json", "md", "html"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary file
