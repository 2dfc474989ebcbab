"""History: the SQLite store, conditional re-checks, the persistence policy, change detection.

What a check reads from and writes to the history runs on every backend (the ``backend``
fixture: SQLite and a real PostgreSQL); the file lock and the schema in ``PRAGMA
user_version`` are SQLite's own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import factlinks
import factlinks._report.html
from conftest import Backend
from factlinks import (
    CheckOptions,
    HistoryBackend,
    HistoryStore,
    Remap,
    RetryPolicy,
    Source,
    Status,
    open_history,
)
from factlinks._cli import main
from factlinks._errors import StateError
from farm import Farm, Host, Reply, Request, closed_port
from html_page import rows_by_id
from pdfgen import make_pdf

TITLE = "Jahresbericht der Beispielstiftung 2021"
URL = "https://docs.example.org/reports/annual.pdf"
DAY0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


def run(
    store: HistoryBackend,
    sources: list[Source],
    host_rule: str,
    when: dt.datetime,
) -> factlinks.Report:
    # Every run checks every source (these tests are of the history, not of the schedule).
    options = CheckOptions(
        remap=(Remap.parse(host_rule),),
        retry=RetryPolicy(attempts=1),
        timeout=5,
        recheck_after_days=0,
    )
    return factlinks.check(
        sources, options, runtime=factlinks.Runtime(history=store, clock=lambda: when)
    )


# -- the store ---------------------------------------------------------------------------------


def test_schema_is_created_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.db"
    with HistoryStore(path) as store:
        assert store.runs() == 0
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    assert version == factlinks.HISTORY_SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="newer factlinks"), HistoryStore(path):
        pass


def test_a_corrupt_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="not a usable"), HistoryStore(path):
        pass


def test_a_second_run_on_the_same_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with HistoryStore(path), pytest.raises(StateError, match="another factlinks run"):
        HistoryStore(path).open()
    with HistoryStore(path) as again:  # released when the first closed
        assert again.runs() == 0


def test_the_cli_refuses_a_locked_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "a"\nurl = "https://a.example/"\nskip = true\n')
    with HistoryStore(tmp_path / "state.db"):
        code = main(["check", str(registry), "--state", str(tmp_path / "state.db")])
    assert code == 2
    assert "another factlinks run is using" in capsys.readouterr().err


# -- conditional re-checks -----------------------------------------------------------------------


def _pdf_with_validators(etag: str, body: bytes) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(status=304, headers={"ETag": etag})
        return Reply.pdf(body, {"ETag": etag, "Last-Modified": "Mon, 01 Feb 2021 10:00:00 GMT"})

    return answer


@pytest.mark.integration
def test_second_run_sends_conditional_requests_and_reuses_the_verification(
    tmp_path: Path, backend: Backend
) -> None:
    source = Source(id="annual", url=URL, title=TITLE, kind="pdf")
    with (
        Host(
            "docs.example.org",
            {"/reports/annual.pdf": _pdf_with_validators('"v1"', make_pdf([TITLE]))},
        ) as host,
        open_history(backend.location()) as store,
    ):
        first = run(store, [source], host.remap_rule(), DAY0)
        second = run(store, [source], host.remap_rule(), DAY0 + dt.timedelta(days=1))
        conditional = host.requests[-1].headers
    assert first.results[0].status is Status.OK
    assert "if-none-match" not in host.requests[0].headers
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == "Mon, 01 Feb 2021 10:00:00 GMT"
    result = second.results[0]
    assert result.status is Status.OK
    assert result.fetch is not None
    assert result.fetch.status_code == 304
    assert result.fetch.bytes == 0
    assert result.reason.startswith("Not modified since the check of 2026-11-01")
    assert result.title is not None
    assert result.title.where == "page 1"
    assert result.history is not None
    assert result.history.not_modified == DAY0


@pytest.mark.integration
def test_a_changed_document_that_keeps_its_title_is_marked_changed(
    tmp_path: Path, backend: Backend
) -> None:
    source = Source(id="annual", url=URL, title=TITLE, kind="pdf")
    versions = [Reply.pdf(make_pdf([TITLE, "Seite 2"])), Reply.pdf(make_pdf([TITLE, "Neu"]))]
    with (
        Host("docs.example.org", {"/reports/annual.pdf": versions}) as host,
        open_history(backend.location()) as store,
    ):
        run(store, [source], host.remap_rule(), DAY0)
        # The title is on page 1: only page 1 is read, whose text is unchanged ...
        same = run(store, [source], host.remap_rule(), DAY0 + dt.timedelta(days=1))
    assert same.results[0].status is Status.OK
    assert same.results[0].history is not None
    assert same.results[0].history.changed is False

    versions = [Reply.pdf(make_pdf([TITLE])), Reply.pdf(make_pdf([TITLE + "\nZweite Auflage"]))]
    with (
        Host("docs.example.org", {"/reports/annual.pdf": versions}) as host,
        open_history(backend.location()) as store,
    ):
        run(store, [source], host.remap_rule(), DAY0)
        changed = run(store, [source], host.remap_rule(), DAY0 + dt.timedelta(days=1))
    result = changed.results[0]
    assert result.status is Status.OK  # ... here page 1 itself changed
    assert result.history is not None
    assert result.history.changed is True


# -- persistence policy ------------------------------------------------------------------------


def test_unreachable_becomes_dead_only_after_three_runs_over_three_days(
    tmp_path: Path, backend: Backend
) -> None:
    source = Source(id="gone", url="https://down.example.org/page")
    rule = f"^https://down\\.example\\.org http://127.0.0.1:{closed_port()}"
    statuses = []
    with open_history(backend.location()) as store:
        for days in (0, 1, 2, 3.5):
            report = run(store, [source], rule, DAY0 + dt.timedelta(days=days))
            statuses.append(report.results[0].status)
    assert statuses == [
        Status.UNREACHABLE,
        Status.UNREACHABLE,
        Status.UNREACHABLE,  # three runs, but only two days
        Status.DEAD,  # four runs over 3.5 days
    ]
    result = report.results[0]
    assert result.history is not None
    assert result.history.consecutive_failures == 4
    assert result.history.first_failure == DAY0
    assert "Unreachable on 4 runs in a row since 2026-11-01" in result.reason
    assert result.history.recent == (Status.UNREACHABLE,) * 3
    page = factlinks._report.html.render_html(report)
    marks = rows_by_id(page)[result.id]["hi"]["m"]  # the page draws one mark per run
    assert marks == ["unreachable"] * 3 + ["dead"]  # the strip of earlier runs, and this one


@pytest.mark.integration
def test_new_problems_and_recovered_sources(tmp_path: Path, backend: Backend) -> None:
    sources = [
        Source(id="flaky", url="https://docs.example.org/a.html"),
        Source(id="breaks", url="https://docs.example.org/b.html"),
    ]
    routes = {
        "/a.html": [Reply.html("down", status=404), Reply.html("<h1>A</h1>")],
        "/b.html": [Reply.html("<h1>B</h1>"), Reply.html("gone", status=410)],
    }
    with Host("docs.example.org", routes) as host, open_history(backend.location()) as store:
        run(store, sources, host.remap_rule(), DAY0)
        report = run(store, sources, host.remap_rule(), DAY0 + dt.timedelta(days=1))
    assert [r.id for r in report.recovered] == ["flaky"]
    assert [r.id for r in report.new_problems] == ["breaks"]
    data = json.loads(factlinks.render_json(report))
    assert data["summary"]["recovered"] == ["flaky"]
    assert data["summary"]["new_problems"] == ["breaks"]
    markdown = factlinks.render_markdown(report)
    assert "**New since the last run (1):** `breaks` (dead)" in markdown
    assert "**Recovered since the last run (1):** `flaky` (ok)" in markdown


# -- a run killed half-way -----------------------------------------------------------------------


@pytest.mark.integration
def test_a_run_killed_half_way_loses_no_history(tmp_path: Path, backend: Backend) -> None:
    state = backend.location()
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[source]]\nid = "fast"\nurl = "https://fast.example.org/a.html"\n\n'
        '[[source]]\nid = "slow"\nurl = "https://slow.example.org/b.html"\n',
        encoding="utf-8",
    )
    with Farm() as farm:
        farm.add_host("fast.example.org", {"/a.html": Reply.html("<h1>A</h1>")})
        slow = farm.add_host("slow.example.org", {"/b.html": Reply.html("<h1>B</h1>")})
        argv = ["check", str(registry), "--state", state, "--out", str(tmp_path / "out")]
        argv += farm.remap_args()
        assert main(argv) == 0  # a complete first run
        with open_history(state) as store:
            assert store.runs() == 1
        slow.add("/b.html", Reply(body=b"<h1>B</h1>", content_type="text/html", delay=60.0))
        script = textwrap.dedent(
            f"""
            import sys
            from factlinks._cli import main
            sys.exit(main({[*argv, "--timeout", "120"]!r}))
            """
        )
        process = subprocess.Popen([sys.executable, "-c", script])
        try:
            deadline = time.monotonic() + 60
            while len(slow.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)  # wait until the second run is busy with the slow host
            assert len(slow.requests) >= 2
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        with open_history(state) as store:  # the lock (or the connection) died with it
            assert store.runs() == 1
            assert store.history("fast", "https://fast.example.org/a.html").last is not None
        slow.add("/b.html", Reply.html("<h1>B</h1>"))
        assert main(argv) == 0
        with open_history(state) as store:
            assert store.runs() == 2


def test_a_source_that_stays_moved_has_not_recovered() -> None:
    source = Source(id="m", url="https://a.example/old")

    def result(status: Status, previous: Status | None) -> factlinks.SourceResult:
        history = factlinks.History(previous_status=previous)
        return factlinks.SourceResult(source, status, "x", DAY0, history=history)

    def report(*results: factlinks.SourceResult) -> factlinks.Report:
        return factlinks.Report(results, DAY0, DAY0, "0")

    assert report(result(Status.MOVED, Status.MOVED)).recovered == ()
    assert report(result(Status.OK, Status.MOVED)).recovered != ()
    assert report(result(Status.DEAD, None)).new_problems == ()  # first seen: not "new"
    assert report(result(Status.DEAD, Status.OK)).new_problems != ()


# -- from the second review: 304 reuse after a redirect to a different URL ---------------------

LAST_MODIFIED = "Mon, 01 Feb 2021 10:00:00 GMT"


def _not_modified_if_asked(body: Reply) -> Callable[[Request], Reply]:
    """A static page that honours If-Modified-Since (as nginx/Apache do for static files)."""

    def answer(request: Request) -> Reply:
        if "if-modified-since" in request.headers or "if-none-match" in request.headers:
            return Reply(status=304, headers={"Last-Modified": LAST_MODIFIED})
        return body

    return answer


@pytest.mark.integration
def test_a_304_from_the_home_page_after_a_new_redirect_is_not_reused(
    tmp_path: Path, backend: Backend
) -> None:
    source = Source(id="annual", url="https://docs.example.org/reports/annual.html", title=TITLE)
    page = Reply.html(f"<h1>{TITLE}</h1>", title=TITLE, headers={"Last-Modified": LAST_MODIFIED})
    home = Reply.html("<h1>Willkommen</h1>", title="Beispielstiftung")
    with (
        Host(
            "docs.example.org",
            {
                "/reports/annual.html": [page, Reply.redirect("/", status=302)],
                "/": _not_modified_if_asked(home),
            },
        ) as host,
        open_history(backend.location()) as store,
    ):
        first = run(store, [source], host.remap_rule(), DAY0)
        second = run(store, [source], host.remap_rule(), DAY0 + dt.timedelta(days=1))
    assert first.results[0].status is Status.OK
    result = second.results[0]
    assert result.fetch is not None
    assert result.fetch.final_url == "https://docs.example.org/"
    # The citation now redirects to the home page: whatever the verdict, it is not a
    # reuse of last night's verification of another URL.
    assert result.history is not None
    assert result.history.not_modified is None
    assert result.status is not Status.OK


@pytest.mark.integration
def test_a_moved_source_whose_redirect_changed_gets_the_new_target(
    tmp_path: Path, backend: Backend
) -> None:
    source = Source(id="study", url="https://docs.example.org/old.html", title=TITLE)
    page = Reply.html(f"<h1>{TITLE}</h1>", title=TITLE, headers={"Last-Modified": LAST_MODIFIED})
    with (
        Host(
            "docs.example.org",
            {
                "/old.html": [Reply.redirect("/v2.html"), Reply.redirect("/v3.html")],
                "/v2.html": page,
                "/v3.html": _not_modified_if_asked(page),
            },
        ) as host,
        open_history(backend.location()) as store,
    ):
        first = run(store, [source], host.remap_rule(), DAY0)
        second = run(store, [source], host.remap_rule(), DAY0 + dt.timedelta(days=1))
    assert first.results[0].status is Status.MOVED
    assert first.results[0].new_url == "https://docs.example.org/v2.html"
    result = second.results[0]
    assert result.status is Status.MOVED
    # 'fix' would otherwise rewrite the registry to a URL that itself redirects now.
    assert result.new_url == "https://docs.example.org/v3.html"
