"""``report.html``: parsed (self-contained, counts, data block, escaping), then seen in Chromium.

The page holds its sources once, as JSON in a data block, and its script draws the table a
page of rows at a time; so the tests of the rows parse the page as Chromium drew it
(:func:`drawn`), and the tests of the file itself parse what factlinks wrote.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

import factsheet_web
import html_page
from browser import Chromium, Visit, chromium
from factlinks import (
    Failure,
    FailureKind,
    FetchResult,
    History,
    Hop,
    Report,
    Source,
    SourceResult,
    Status,
    TitleEvidence,
    load_report,
)
from factlinks._cli import main
from factlinks._models import ArchiveCopy
from factlinks._report.html import render_html, safe_href
from factlinks._report.json import render_json
from farm import Farm
from html_page import data_block
from report_sample import sample_report

REPO = Path(__file__).resolve().parent.parent
XSS = "<script>alert(1)</script>"
NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


# --- a hand-made report with hostile text from the web ------------------------------------


def _result(
    source_id: str,
    status: Status,
    *,
    url: str | None = None,
    reason: str | None = None,
    citation: str | None = None,
    cited_in: tuple[str, ...] = ("brief",),
    expected: str | None = None,
    http_status: int | None = 200,
    content_type: str = "text/html",
    redirects: tuple[Hop, ...] = (),
    failure: Failure | None = None,
    **fields: Any,
) -> SourceResult:
    """One result; the answer came from ``https://example.org/<id>`` whatever the URL is.

    ``expected`` is the source's title, ``title`` (in ``fields``) the title check.
    """
    source = Source(
        id=source_id,
        url=url or f"https://example.org/{source_id}",
        title=expected,
        citation=citation or f"Citation of {source_id}",
        cited_in=cited_in,
    )
    fetch = FetchResult(
        url=source.url,
        final_url=f"https://example.org/{source_id}",
        status_code=http_status,
        redirects=redirects,
        content_type=content_type,
        bytes=1200,
        elapsed_ms=40,
        failure=failure,
    )
    return SourceResult(
        source=source,
        status=status,
        reason=reason or f"{status.value} because the test says so.",
        checked_at=NOW,
        fetch=fetch,
        **fields,
    )


def hostile_report() -> Report:
    """Every kind of row, with markup and script URLs where the web could put them."""
    results = (
        _result(
            "healthy",
            Status.OK,
            expected="A title",
            title=TitleEvidence(
                expected="A title",
                matched=True,
                found="A title",
                score=100.0,
                where="<title>",
                snippet='A title "><img src=x onerror=alert(2)>',
            ),
        ),
        _result(
            "evil",
            Status.DEAD,
            url="javascript:alert(1)",
            reason=XSS,
            citation="</td></tr></table><script>alert(3)</script>",
            cited_in=("<b>doc</b>", "brief"),
            http_status=404,
            content_type='text/html"><script>alert(6)</script>',
            archive=ArchiveCopy(
                url="https://web.archive.org/web/20210215093000/https://example.org/evil",
                timestamp="20210215093000",
                captured_status="200",
                verified=True,
                detail="the copy shows <em>the title</em>",
            ),
            history=History(
                previous_status=Status.OK,
                first_failure=NOW,
                consecutive_failures=1,
                last_success=NOW - dt.timedelta(days=1),
            ),
        ),
        _result(
            "relocated",
            Status.MOVED,
            new_url="https://example.org/new",
            redirects=(Hop("https://example.org/relocated", 301, "https://example.org/new"),),
        ),
        _result("sneaky-move", Status.MOVED, new_url="java\tscript:alert(4)"),
        _result(
            "landing",
            Status.DRIFTED,
            expected="The study",
            title=TitleEvidence(
                expected="The study",
                matched=False,
                found="Publications <i>overview</i>",
                score=41.5,
            ),
        ),
        _result("refused", Status.BLOCKED, http_status=403),
        _result(
            "silent",
            Status.UNREACHABLE,
            http_status=None,
            failure=Failure(FailureKind.TIMEOUT, "no answer within 30 s"),
        ),
        _result(
            "scanned",
            Status.UNVERIFIABLE,
            archive=ArchiveCopy(
                url="data:text/html,<script>alert(5)</script>",
                timestamp="2021",
                captured_status=None,
                verified=None,
                detail="",
            ),
        ),
        _result("excluded", Status.SKIPPED, http_status=None, cited_in=()),
    )
    return Report(
        results=results,
        started_at=NOW,
        finished_at=NOW + dt.timedelta(seconds=12),
        tool_version="9.9.9",
        registry="sources.toml",
    )


def by_status(report: Report) -> dict[str, int]:
    return {status.value: n for status, n in report.counts.items()}


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def rows_of(soup: BeautifulSoup) -> list[Tag]:
    return soup.select("#sources-table > tbody > tr")


def tile_counts(soup: BeautifulSoup) -> dict[str, int]:
    return {
        str(tile["data-status"]): int(tile.select_one(".tile-count").get_text())  # type: ignore[union-attr]
        for tile in soup.select("button.tile[data-status]")
        if tile["data-status"] != "all"
    }


def _csp(soup: BeautifulSoup) -> str:
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert isinstance(meta, Tag)
    return str(meta["content"])


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with chromium() as running:
        yield running


def drawn(browser: Chromium, tmp_path: Path, report: Report, name: str = "report.html") -> str:
    """The page as Chromium shows it once its script ran: the DOM, serialised."""
    return html_page.drawn(browser, tmp_path / name, render_html(report))


# --- (a) the HTML itself -------------------------------------------------------------------


def check_self_contained(html: str) -> None:
    """Nothing is loaded: inline style and script only, http(s) only in the sources' cells."""
    soup = soup_of(html)
    assert not soup.select("link[rel~=stylesheet]")
    assert not soup.select("[src]"), "no element may load anything"
    assert not soup.select("iframe, object, embed, img, video, audio, base, form[action]")
    scripts = [s for s in soup.find_all("script") if s.get("type") != "application/json"]
    assert len(scripts) == 1
    assert not scripts[0].get("src")
    data = soup.select('script[type="application/json"]')
    assert len(data) == 1, "the sources are in the page once"
    styles = soup.find_all("style")
    assert len(styles) == 1
    assert not re.search(r"@import|url\(", styles[0].get_text())
    assert not soup.select("[style]"), "inline style attributes would need 'unsafe-hashes'"
    for tag in soup.find_all(True):
        for attribute in tag.attrs:
            assert not attribute.lower().startswith("on"), (tag.name, attribute)
    table = soup.select_one("#sources-table > tbody")
    assert table is not None
    for tag in soup.select("[href]"):
        href = str(tag["href"])
        if href.startswith("#"):
            continue
        if tag.name == "link":
            assert tag["rel"] == ["icon"]
            assert href == "data:,"
            continue
        assert re.match(r"https?://", href), href
        assert table in tag.parents, f"an http(s) link outside the sources' table: {href}"
    policy = _csp(soup)
    assert "default-src 'none'" in policy
    assert f"script-src {_sha256(scripts[0].get_text())}" in policy
    assert f"style-src {_sha256(styles[0].get_text())}" in policy
    assert "unsafe-inline" not in policy


def test_the_page_is_self_contained(browser: Chromium, tmp_path: Path) -> None:
    written = render_html(hostile_report())
    check_self_contained(written)
    assert not rows_of(soup_of(written)), "the rows are drawn from the data, not written twice"
    check_self_contained(drawn(browser, tmp_path, hostile_report()))


def test_tiles_count_every_status() -> None:
    report = hostile_report()
    soup = soup_of(render_html(report))
    assert tile_counts(soup) == by_status(report)
    everything = soup.select_one('button.tile[data-status="all"] .tile-count')
    assert everything is not None
    assert everything.get_text() == "9"
    # each tile names its status in words and has a symbol, not only a colour
    for tile in soup.select("button.tile[data-status]"):
        assert tile.select_one(".tile-label").get_text().strip()  # type: ignore[union-attr]
        assert tile.select_one(".tile-symbol").get_text().strip()  # type: ignore[union-attr]


def test_one_row_per_source_problems_first(browser: Chromium, tmp_path: Path) -> None:
    report = hostile_report()
    rows = rows_of(soup_of(drawn(browser, tmp_path, report)))
    assert sorted(str(r["data-status"]) for r in rows) == sorted(
        r.status.value for r in report.results
    )
    groups = [str(r["data-group"]) for r in rows]
    assert groups == sorted(groups, key=["failing", "warning", "healthy"].index)
    assert [str(r["data-status"]) for r in rows] == [
        "dead",
        "drifted",
        "moved",
        "moved",
        "unreachable",
        "blocked",
        "unverifiable",
        "ok",
        "skipped",
    ]
    # moved rows keep registry order among themselves
    assert [r["id"] for r in rows if r["data-status"] == "moved"] == [
        "source-relocated",
        "source-sneaky-move",
    ]


def test_the_table_is_a_real_table(browser: Chromium, tmp_path: Path) -> None:
    soup = soup_of(drawn(browser, tmp_path, hostile_report()))
    table = soup.select_one("#sources-table")
    assert table is not None
    assert table.caption is not None
    assert table.caption.get_text().strip()
    headers = table.select("thead th")
    assert headers
    assert all(th.get("scope") == "col" for th in headers)
    assert all(row.select_one("th[scope=row]") for row in rows_of(soup))
    sortable = table.select("thead th button[data-sort]")
    assert {b["data-sort"] for b in sortable} >= {"order", "id", "url"}
    assert table.select_one("thead th[aria-sort=ascending] button[data-sort=order]")
    count = soup.select_one("#count")
    assert count is not None
    assert count["aria-live"] == "polite"
    assert count.get_text() == "9 of 9 sources shown"
    for control in ("f-status", "f-host", "f-doc", "f-text"):
        assert soup.select_one(f"label[for={control}]"), control


def test_text_from_the_web_is_escaped_and_inert(browser: Chromium, tmp_path: Path) -> None:
    written = render_html(hostile_report())
    for html in (written, drawn(browser, tmp_path, hostile_report())):
        assert XSS not in html
        assert "<img" not in html
        assert "<em>" not in html
        assert "<b>doc</b>" not in html
        assert len(soup_of(html).find_all("script")) == 2  # the script and the data
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in written  # in the data
    html = drawn(browser, tmp_path, hostile_report())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # drawn as text
    soup = soup_of(html)
    evil = soup.select_one("#source-evil")
    assert evil is not None
    # shown as text, exactly as the web sent it
    assert XSS in evil.get_text()
    assert "</td></tr></table><script>alert(3)</script>" in evil.get_text()
    # the javascript: URL is shown, but is no link
    assert "javascript:alert(1)" in evil.get_text()
    hrefs = [str(a["href"]) for a in soup.select("[href]")]
    assert not [h for h in hrefs if re.match(r"\s*(javascript|data:text|vbscript)", h, re.I)]
    sneaky = soup.select_one("#source-sneaky-move")
    assert sneaky is not None
    assert not sneaky.select("a[href*=script]")
    scanned = soup.select_one("#source-scanned")
    assert scanned is not None
    assert "data:text/html" in scanned.get_text()
    assert not scanned.select("a[href^=data]")
    # the document's name is filter text and a button label, never markup
    options = [o.get_text() for o in soup.select("#f-doc option")]
    assert "<b>doc</b>" in options


def test_each_row_says_what_to_do(browser: Chromium, tmp_path: Path) -> None:
    soup = soup_of(drawn(browser, tmp_path, hostile_report()))

    def cell(source_id: str) -> Tag:
        found = soup.select_one(f"#source-{source_id} td.action")
        assert found is not None
        return found

    moved = cell("relocated")
    assert "Update the URL to" in moved.get_text()
    assert [a["href"] for a in moved.select("a")] == ["https://example.org/new"]
    dead = cell("evil")
    assert "Use the archive copy" in dead.get_text()
    assert [a["href"] for a in dead.select("a")] == [
        "https://web.archive.org/web/20210215093000/https://example.org/evil"
    ]
    assert "captured 2021-02-15" in dead.get_text()
    for manual in ("refused", "silent"):
        assert "Check manually" in cell(manual).get_text()
    assert "Nothing to do" in cell("healthy").get_text()


def test_evidence_redirects_and_history(browser: Chromium, tmp_path: Path) -> None:
    soup = soup_of(drawn(browser, tmp_path, hostile_report()))
    relocated = soup.select_one("#source-relocated details")
    assert relocated is not None
    hops = relocated.select("ol.hops li")
    assert len(hops) == 1
    assert "301" in hops[0].get_text()
    assert "https://example.org/new" in hops[0].get_text()
    healthy = soup.select_one("#source-healthy details")
    assert healthy is not None
    text = " ".join(healthy.get_text(" ").split())
    assert "Title expected A title" in text
    assert "Score 100 / 100" in text
    assert "Where <title>" in text
    landing = soup.select_one("#source-landing details")
    assert landing is not None
    assert "41.5 / 100" in landing.get_text()
    assert "does not match" in landing.get_text()
    marks = soup.select_one("#source-evil .marks")
    assert marks is not None
    assert marks["role"] == "img"
    assert marks["aria-label"] == "previous run: OK; this run: Dead"
    assert [m.get_text() for m in marks.select(".mark")] == ["\u2713", "\u2715"]
    assert "failing 1 run in a row" in soup.select_one("#source-evil").get_text()  # type: ignore[union-attr]
    assert "no history" in soup.select_one("#source-healthy").get_text()  # type: ignore[union-attr]
    changes = soup.select_one("section.changes")
    assert changes is not None
    assert "New problems (1)" in changes.get_text()
    assert changes.select_one('a[href="#source-evil"]')


def test_without_history_there_is_no_runs_column(browser: Chromium, tmp_path: Path) -> None:
    report = hostile_report()
    report = replace(report, results=tuple(replace(r, history=None) for r in report.results))
    soup = soup_of(drawn(browser, tmp_path, report))
    assert "Runs" not in [th.get_text() for th in soup.select("#sources-table thead th")]
    assert not soup.select(".marks")


def test_documents_table() -> None:
    soup = soup_of(render_html(hostile_report()))
    rows = soup.select("table.docs tbody tr")
    names = [r.select_one("th").get_text() for r in rows]  # type: ignore[union-attr]
    assert names == ["brief", "<b>doc</b>", "(no document)"]
    brief = [td.get_text() for td in rows[0].select("td")]
    assert brief[:2] == ["2", "7"]  # failing, problems
    assert brief[-1] == "8"  # total


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
        ("HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
        ("  https://example.org/ ", "https://example.org/"),
        ("javascript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("https://exa\nmple.org/", None),
        ("data:text/html,hi", None),
        ("file:///etc/passwd", None),
        ("//example.org/protocol-relative", None),
        ("/relative", None),
        ("ftp://example.org/", None),
        (None, None),
        (42, None),
    ],
)
def test_only_http_urls_become_links(url: object, href: str | None) -> None:
    assert safe_href(url) == href


def _model_report() -> Report:
    checked = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    moved = Source(
        id="moved-one", url="https://example.org/old", title="Study", cited_in=("brief",)
    )
    return Report(
        results=(
            SourceResult(
                source=moved,
                status=Status.MOVED,
                reason="Permanently redirected.",
                checked_at=checked,
                fetch=FetchResult(
                    url=moved.url,
                    final_url="https://example.org/new",
                    status_code=200,
                    redirects=(Hop(moved.url, 301, "https://example.org/new"),),
                    content_type="application/pdf",
                    bytes=2048,
                    elapsed_ms=12,
                ),
                title=TitleEvidence(
                    expected="Study", matched=True, score=97.5, where="page 1", snippet="Study"
                ),
                new_url="https://example.org/new",
            ),
            SourceResult(
                source=Source(id="gone", url="https://example.org/gone"),
                status=Status.DEAD,
                reason="The server answers 404 Not Found.",
                checked_at=checked,
            ),
        ),
        started_at=checked,
        finished_at=checked + dt.timedelta(seconds=3),
        tool_version="0.1.0",
    )


def test_a_saved_report_json_renders_the_same() -> None:
    report = _model_report()
    direct = render_html(report)
    assert render_html(load_report(json.loads(render_json(report)))) == direct
    check_self_contained(direct)
    assert [row["i"] for row in data_block(direct)["rows"]] == ["gone", "moved-one"]
    assert tile_counts(soup_of(direct)) == by_status(report)


def test_an_older_report_without_the_run_strip_still_renders(
    browser: Chromium, tmp_path: Path
) -> None:
    """A report.json written before ``history.recent`` existed shows the previous run only."""
    report = sample_report()
    full = soup_of(drawn(browser, tmp_path, report)).select_one("#source-dead-404 .marks")
    assert full is not None
    assert len(full.select(".mark")) == 4
    data = json.loads(render_json(report))
    for source in data["sources"]:
        if source["history"] is not None:
            del source["history"]["recent"]
    soup = soup_of(drawn(browser, tmp_path, load_report(data)))
    assert len(rows_of(soup)) == len(report)
    marks = soup.select_one("#source-dead-404 .marks")
    assert marks is not None
    assert marks["aria-label"] == "previous run: Dead; this run: Dead"


def test_the_template_ships_as_package_data() -> None:
    template = resources.files("factlinks._report").joinpath("templates", "report.html.j2")
    assert template.is_file()
    assert "Content-Security-Policy" in template.read_text("utf-8")


# --- (b) what a person sees in headless Chromium -------------------------------------------


@pytest.fixture(scope="module")
def factsheet_html(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The fact sheet's web checked end to end by the CLI, with its report.html.

    The check runs in a thread of its own: the browser of this module may already be running
    its event loop in this one.
    """
    out = tmp_path_factory.mktemp("html-report")
    with Farm() as farm, ThreadPoolExecutor(1) as thread:
        factsheet_web.build(farm)
        code = thread.submit(
            main,
            [
                "check",
                str(REPO / "sources.toml"),
                "--out",
                str(out),
                "--format",
                "json,html",
                "--no-state",
                "--no-archive",
                "--timeout",
                "1",
                *factsheet_web.remap_args(farm),
            ],
        ).result()
    assert code == 1
    data: dict[str, Any] = json.loads((out / "report.json").read_text("utf-8"))
    page = out / "report.html"
    # written by check from the Report; the saved report.json renders the very same page
    assert render_html(load_report(out / "report.json")) == page.read_text("utf-8")
    return page, data


def visible_rows(seen: Visit) -> list[str]:
    """The status of every row a person can see, top to bottom."""
    rows = seen.page.locator("#sources-table tbody tr:visible")
    return [str(rows.nth(i).get_attribute("data-status")) for i in range(rows.count())]


def assert_quiet(seen: Visit) -> None:
    """No script errors, no console errors, and not one request but the file itself."""
    assert seen.errors == []
    assert seen.foreign_requests == []
    assert set(seen.requests) == {seen.url}
    assert seen.dialogs == []


@pytest.mark.integration
def test_the_factsheet_report_parses_clean(factsheet_html: tuple[Path, dict[str, Any]]) -> None:
    page, data = factsheet_html
    html = page.read_text("utf-8")
    check_self_contained(html)
    soup = soup_of(html)
    assert tile_counts(soup) == data["summary"]["by_status"]
    rows = data_block(html)["rows"]
    assert len(rows) == data["summary"]["total"] == 23
    assert {row["i"] for row in rows} == {s["id"] for s in data["sources"]}


@pytest.mark.integration
def test_chromium_shows_the_numbers_per_status(
    browser: Chromium, factsheet_html: tuple[Path, dict[str, Any]]
) -> None:
    page, data = factsheet_html
    with browser.visit(page) as seen:
        shown = {
            status: int(
                seen.page.locator(f'button.tile[data-status="{status}"] .tile-count').inner_text()
            )
            for status in data["summary"]["by_status"]
        }
        assert shown == data["summary"]["by_status"]
        assert shown["dead"] == 5
        assert shown["ok"] == 10
        assert seen.page.locator("#filters").is_visible()  # the script ran and showed them
        assert seen.page.locator("#count").inner_text() == "23 of 23 sources shown"
        statuses = visible_rows(seen)
        assert Counter(statuses) == {s: n for s, n in shown.items() if n}
        assert statuses[:7] == ["dead"] * 5 + ["drifted"] * 2
        assert statuses[-10:] == ["ok"] * 10
    assert_quiet(seen)


@pytest.mark.integration
def test_filters_hide_rows_and_the_count_follows(
    browser: Chromium, factsheet_html: tuple[Path, dict[str, Any]]
) -> None:
    page, data = factsheet_html
    by_status = data["summary"]["by_status"]
    with browser.visit(page) as seen:
        p = seen.page
        p.select_option("#f-status", "dead")
        assert visible_rows(seen) == ["dead"] * by_status["dead"]
        assert p.locator("#count").inner_text() == f"{by_status['dead']} of 23 sources shown"
        assert p.locator('button.tile[data-status="dead"]').get_attribute("aria-pressed") == "true"

        p.select_option("#f-status", "problems")
        assert len(visible_rows(seen)) == 23 - by_status["ok"] - by_status["skipped"]

        p.locator('button.tile[data-status="moved"]').click()
        assert visible_rows(seen) == ["moved"] * by_status["moved"]
        assert p.locator("#f-status").input_value() == "moved"
        assert p.locator("#count").inner_text() == f"{by_status['moved']} of 23 sources shown"

        p.locator('button.tile[data-status="all"]').click()
        p.select_option("#f-host", label="www.plattform-lernende-systeme.de")
        pls = [s for s in data["sources"] if "//www.plattform-lernende-systeme.de/" in s["url"]]
        assert Counter(visible_rows(seen)) == Counter(s["status"] for s in pls)

        p.select_option("#f-host", "")
        p.fill("#f-text", "KfW Research")
        assert visible_rows(seen) == ["ok"]
        p.fill("#f-text", "no such citation anywhere")
        assert visible_rows(seen) == []
        assert p.locator("#empty").is_visible()
        assert p.locator("#count").inner_text() == "0 of 23 sources shown"

        p.locator("#filters button[type=reset]").click()
        p.wait_for_function("document.getElementById('count').textContent.startsWith('23 ')")
        assert len(visible_rows(seen)) == 23

        p.select_option("#f-doc", label="factsheet-ki")
        assert len(visible_rows(seen)) == 23
    assert_quiet(seen)


@pytest.mark.integration
def test_filters_work_from_the_keyboard(
    browser: Chromium, factsheet_html: tuple[Path, dict[str, Any]]
) -> None:
    page, data = factsheet_html
    drifted = data["summary"]["by_status"]["drifted"]
    with browser.visit(page) as seen:
        p = seen.page
        for name, control in [("Status", "f-status"), ("Host", "f-host"), ("Document", "f-doc")]:
            assert p.get_by_role("combobox", name=name, exact=True).get_attribute("id") == control
        assert p.get_by_role("searchbox", name="Search").get_attribute("id") == "f-text"
        assert p.get_by_role("status").inner_text() == "23 of 23 sources shown"
        p.get_by_label("Status", exact=True).focus()
        values = p.eval_on_selector_all("#f-status option", "os => os.map(o => o.value)")
        for _ in range(values.index("drifted")):
            p.keyboard.press("ArrowDown")
        assert p.locator("#f-status").input_value() == "drifted"
        assert visible_rows(seen) == ["drifted"] * drifted
        assert p.locator("#count").inner_text() == f"{drifted} of 23 sources shown"
        p.keyboard.press("Tab")
        assert p.evaluate("document.activeElement.id") == "f-host"
        p.keyboard.press("Tab")
        assert p.evaluate("document.activeElement.id") == "f-doc"
        p.keyboard.press("Tab")
        p.keyboard.type("bvdw")
        assert p.evaluate("document.activeElement.id") == "f-text"
        assert visible_rows(seen) == []  # bvdw is dead, not drifted
        p.keyboard.press("Enter")  # submitting the search form goes nowhere
        assert p.url == seen.url
        p.keyboard.press("Shift+Tab")
        p.keyboard.press("Shift+Tab")
        p.keyboard.press("Shift+Tab")
        assert p.evaluate("document.activeElement.id") == "f-status"
        p.keyboard.press("Home")
        assert visible_rows(seen) == ["dead"]

        p.fill("#f-text", "")
        tile = p.locator('button.tile[data-status="unreachable"]')
        tile.focus()
        p.keyboard.press("Enter")
        assert visible_rows(seen) == ["unreachable"] * data["summary"]["by_status"]["unreachable"]
        p.keyboard.press("Space")  # pressing the active tile again shows everything
        assert len(visible_rows(seen)) == 23
        assert tile.get_attribute("aria-pressed") == "false"
    assert_quiet(seen)


@pytest.mark.integration
def test_columns_sort(browser: Chromium, factsheet_html: tuple[Path, dict[str, Any]]) -> None:
    page, data = factsheet_html
    ids = sorted(s["id"] for s in data["sources"])
    with browser.visit(page) as seen:
        p = seen.page
        header = p.locator("#sources-table thead th", has=p.locator("button[data-sort=id]"))
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        shown = p.locator("#sources-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
        assert shown == ids
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "descending"
        shown = p.locator("#sources-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
        assert shown == ids[::-1]
        status = p.locator("#sources-table thead th", has=p.locator("button[data-sort=order]"))
        assert status.get_attribute("aria-sort") is None
        status.locator("button").click()
        assert status.get_attribute("aria-sort") == "ascending"
        assert visible_rows(seen)[:5] == ["dead"] * 5
    assert_quiet(seen)


@pytest.mark.integration
def test_phone_and_print(browser: Chromium, factsheet_html: tuple[Path, dict[str, Any]]) -> None:
    page, _ = factsheet_html
    with browser.visit(page, width=390, height=844) as seen:
        p = seen.page
        assert p.evaluate("document.documentElement.scrollWidth") <= 390
        header = p.locator("#sources-table thead").bounding_box()
        assert header is not None
        assert header["width"] <= 1
        assert (
            p.locator("#sources-table tbody tr").first.evaluate("r => getComputedStyle(r).display")
            == "block"
        )
        p.select_option("#f-status", "dead")
        p.emulate_media(media="print")
        # the page draws every row for print when the print media query starts to match
        p.wait_for_function("() => document.querySelectorAll('#sources-table tbody tr').length > 5")
        assert len(visible_rows(seen)) == 23  # print shows every row
        assert not p.locator("#filters").is_visible()
        assert p.locator("#sources-table dl.evidence").first.is_visible()  # details open
    assert_quiet(seen)


def test_hostile_text_stays_text_in_chromium(browser: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_report()), encoding="utf-8")
    with browser.visit(page) as seen:
        reason = seen.page.locator("#source-evil td[data-label=Reason]")
        assert reason.inner_text().startswith(XSS)
        assert seen.page.locator("script").count() == 2  # the page's script and its data
        assert seen.page.locator("script:not([type])").count() == 1
        assert seen.page.locator("img").count() == 0
        assert seen.page.locator("#count").inner_text() == "9 of 9 sources shown"
    assert_quiet(seen)


def test_the_watchdog_catches_a_page_that_loads_from_the_web(
    browser: Chromium, tmp_path: Path
) -> None:
    """The network check above would see a request, and the page would get nothing."""
    page = tmp_path / "leaky.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>x</title>"
        '<link rel="stylesheet" href="https://fonts.example.org/font.css"></head>'
        '<body><img src="http://tracker.example.org/pixel.png" alt=""></body></html>',
        encoding="utf-8",
    )
    with browser.visit(page) as seen:
        pass
    assert set(seen.foreign_requests) == {
        "https://fonts.example.org/font.css",
        "http://tracker.example.org/pixel.png",
    }


def test_dark_mode_renders(browser: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_report()), encoding="utf-8")
    with browser.visit(page, dark=True) as seen:
        background = seen.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)"
    assert_quiet(seen)


@pytest.mark.integration
def test_search_finds_a_source_by_its_reference(browser: Chromium, tmp_path: Path) -> None:
    """An editor types what the reference manager shows: an author, a year, a title, a DOI."""
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")
    with browser.visit(page) as seen:
        p = seen.page
        shown = p.locator("#source-dead-404 th[data-label=Source] .ref")
        assert shown.inner_text() == "Knuth and Plass (1981): Gone"
        for typed, statuses in [
            ("Plass", ["dead"]),
            ("knuth 1981", ["dead"]),
            ("Donald", ["dead"]),  # a given name: in the authors, not in the reference
            ("2022a", ["drifted"]),
            ("Müller et al.", ["drifted"]),
            ("10.5555/study.2022", ["drifted"]),
            ("Regional outlook", ["unreachable"]),  # the proposed title names it
            ("KfW Research (2021)", ["ok"]),
        ]:
            p.fill("#f-text", typed)
            assert visible_rows(seen) == statuses, typed
        p.fill("#f-text", "Plass 2022a")
        assert visible_rows(seen) == []
    assert_quiet(seen)


# --- at size: the data block, pages of rows, search over all of them ----------------------

BREAKERS = [
    "</script><script>alert(7)</script>",
    "</SCRIPT ><img src=x onerror=alert(8)>",
    "<!-- <script>",
    "line\u2028separator\u2029paragraph",
    "]]> --> <![CDATA[",
    '\\u003c/script> and \\" quotes \\',
    "Ünïcödé 🦉 日本語",
]


def breaker_report() -> Report:
    """Sources whose every text field tries to end the data block or the script."""
    results = []
    for n, text in enumerate(BREAKERS):
        result = _result(
            f"breaker-{n}",
            Status.DRIFTED,
            url=f"https://example.org/{n}?q={text}",
            reason=text,
            citation=text,
            cited_in=(text,),
            expected=text,
            title=TitleEvidence(expected=text, matched=False, found=text, score=10.0),
        )
        results.append(result)
    return Report(
        results=tuple(results),
        started_at=NOW,
        finished_at=NOW,
        tool_version="9.9.9",
    )


def test_the_data_block_cannot_be_broken_out_of() -> None:
    report = breaker_report()
    html = render_html(report)
    block_start = html.index('<script type="application/json" id="report-data">')
    block = html[block_start : html.index("</script>", block_start)]
    # nothing in the data ends the element, opens a comment, or is a raw line separator
    assert len(re.findall(r"</script", html, re.IGNORECASE)) == 2
    for marker in ("<!--", "</", "\u2028", "\u2029", "<", ">", "&"):
        assert marker not in block.split(">", 1)[1], marker
    check_self_contained(html)
    rows = {row["i"]: row for row in data_block(html)["rows"]}
    for n, text in enumerate(BREAKERS):
        row = rows[f"breaker-{n}"]
        assert row["re"] == row["ci"] == row["t"]["x"] == row["t"]["f"] == text
        assert row["u"] == f"https://example.org/{n}?q={text}"
    assert sorted(data_block(html)["documents"]) == sorted(BREAKERS)


def test_hostile_strings_stay_text_in_chromium(browser: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(breaker_report()), encoding="utf-8")
    with browser.visit(page) as seen:
        p = seen.page
        assert p.locator("#count").inner_text() == "7 of 7 sources shown"
        for n, text in enumerate(BREAKERS):
            row = p.locator(f"#source-breaker-{n}")
            reason = row.locator("td[data-label=Reason]").evaluate("td => td.firstChild.data")
            assert reason == text
            assert row.locator("th .sub").nth(0).inner_text() == text
        assert p.locator("img").count() == 0
        assert p.locator("script:not([type])").count() == 1
        p.fill("#f-text", "日本語")
        assert len(visible_rows(seen)) == 1
    assert_quiet(seen)


def many_report(count: int, *, new: int = 0) -> Report:
    """``count`` sources: every third dead, the rest ok; the first ``new`` newly dead."""
    results = []
    for n in range(count):
        status = Status.DEAD if n % 3 == 0 else Status.OK
        history = None
        if n < new and status is Status.DEAD:
            history = History(previous_status=Status.OK, consecutive_failures=1)
        results.append(
            _result(
                f"s{n:05d}",
                status,
                citation=f"Citation number {n}",
                cited_in=("brief",) if n % 2 else ("atlas",),
                http_status=404 if status is Status.DEAD else 200,
                history=history,
            )
        )
    return Report(results=tuple(results), started_at=NOW, finished_at=NOW, tool_version="9.9.9")


def drawn_ids(seen: Visit) -> list[str]:
    return seen.page.locator("#sources-table tbody tr").evaluate_all(
        "rs => rs.map(r => r.dataset.id)"
    )


def test_rows_come_a_page_at_a_time(browser: Chromium, tmp_path: Path) -> None:
    report = many_report(250)
    dead = [r.id for r in report.results if r.status is Status.DEAD]  # 84, problems first
    ok = [r.id for r in report.results if r.status is Status.OK]
    everything = dead + ok
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    with browser.visit(page) as seen:
        p = seen.page
        assert drawn_ids(seen) == everything[:100]
        assert p.locator("#count").inner_text() == "250 of 250 sources match; 1\u2013100 shown"
        pager = p.get_by_role("navigation", name="Pages of sources")
        assert pager.is_visible()
        assert pager.locator("#page-label").inner_text() == "Page 1 of 3"
        previous = pager.get_by_role("button", name="Previous")
        assert previous.get_attribute("aria-disabled") == "true"
        previous.focus()
        p.keyboard.press("Enter")  # nothing before the first page
        assert drawn_ids(seen) == everything[:100]
        pager.get_by_role("button", name="Next").click()
        assert drawn_ids(seen) == everything[100:200]
        assert p.locator("#count").inner_text() == "250 of 250 sources match; 101\u2013200 shown"
        next_button = pager.get_by_role("button", name="Next")
        next_button.focus()
        p.keyboard.press("Enter")  # from the keyboard too
        assert drawn_ids(seen) == everything[200:]
        assert next_button.get_attribute("aria-disabled") == "true"
        pager.get_by_role("button", name="First").click()
        assert drawn_ids(seen) == everything[:100]

        # search and filters reach every source, not only the page shown
        p.fill("#f-text", "citation number 249")
        assert drawn_ids(seen) == ["s00249"]
        assert p.locator("#count").inner_text() == "1 of 250 sources shown"
        assert not pager.is_visible()
        p.fill("#f-text", "")
        p.select_option("#f-status", "dead")
        assert drawn_ids(seen) == dead
        assert p.locator("#count").inner_text() == "84 of 250 sources shown"
        p.select_option("#f-status", "")
        p.select_option("#f-doc", label="brief")
        assert p.locator("#count").inner_text().startswith("125 of 250 sources match")

        # sorting orders all of them, then shows the first page
        p.locator("#filters button[type=reset]").click()
        p.wait_for_function("() => document.getElementById('count').textContent.startsWith('250 ')")
        p.locator("button[data-sort=id]").click()
        assert drawn_ids(seen) == sorted(everything)[:100]
        p.locator("button[data-sort=id]").click()
        assert drawn_ids(seen) == sorted(everything, reverse=True)[:100]
        pager.get_by_role("button", name="Last").click()
        assert drawn_ids(seen) == sorted(everything, reverse=True)[200:]
    assert_quiet(seen)


def test_a_link_to_a_row_on_another_page_shows_it(browser: Chromium, tmp_path: Path) -> None:
    """'Since the last run' links every new problem; the page with its row is drawn."""
    report = many_report(400, new=400)
    last_dead = [r.id for r in report.results if r.status is Status.DEAD][-1]
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    with browser.visit(page) as seen:
        p = seen.page
        changes = p.locator("section.changes")
        assert "New problems (134)" in changes.inner_text()
        p.select_option("#f-status", "ok")  # the row is filtered out, and not on this page
        changes.locator(f'a[href="#source-{last_dead}"]').click()
        row = p.locator(f"#source-{last_dead}")
        assert row.is_visible()
        assert p.locator("#f-status").input_value() == ""
        assert p.url.endswith(f"#source-{last_dead}")
    with browser.visit(page) as seen:  # a bookmark of the row opens its page
        seen.page.goto(f"{seen.url}#source-s00300")
        seen.page.reload()
        assert seen.page.locator("#source-s00300").is_visible()
    assert_quiet(seen)


def test_many_changes_are_linked_up_to_a_limit() -> None:
    from factlinks._report.html import MAX_LISTED_CHANGES

    report = many_report(3 * MAX_LISTED_CHANGES + 30, new=3 * MAX_LISTED_CHANGES + 30)
    soup = soup_of(render_html(report))
    changes = soup.select_one("section.changes")
    assert changes is not None
    assert len(changes.select("a[href^='#source-']")) == MAX_LISTED_CHANGES
    assert f"New problems ({MAX_LISTED_CHANGES + 10})" in changes.get_text()
    assert "and 10 more" in changes.get_text()
