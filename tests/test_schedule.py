"""The schedule: which sources a run checks, and which keep their last verdict.

Unit tests of the pure rules (:mod:`factlinks._schedule`) as tables, then whole runs on a
loopback host with a history (SQLite and PostgreSQL): the second night sends fewer requests,
a changed entry is checked again, a failing source keeps a 3-day cadence, the dead-after
policy is not delayed, ``--recheck-after-days 0`` checks everything, and the reports list
every source with its last verdict and when it was made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from bs4 import BeautifulSoup

import factlinks
import html_page
from browser import chromium
from conftest import Backend
from factlinks import (
    CheckOptions,
    HistoryBackend,
    OfflineError,
    OptionsError,
    PastResult,
    RegistryError,
    Remap,
    RetryPolicy,
    ReusedVerdict,
    Source,
    SourceHistory,
    Status,
    StoredArchive,
    StoredVerification,
    open_history,
)
from factlinks._cli import main
from factlinks._history.codec import entry_fingerprint
from factlinks._report.html import render_html
from factlinks._report.load import load_report
from factlinks._schedule import FAILING_RECHECK_DAYS, SLACK, due_at, is_due, reused_result
from farm import Host, Reply, closed_port, make_remap_rule
from report_sample import sample_report

DAY0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SOURCE = Source(id="s", url="https://docs.example.org/a", title="Annual report")


def past(
    *statuses: Status,
    source: Source = SOURCE,
    start: dt.datetime = DAY0,
    every: dt.timedelta = DAY,
    fingerprint: str | None = "same",
    reason: str | None = "as stored",
    at: list[dt.datetime] | None = None,
) -> SourceHistory:
    """The history of ``source`` after checks with ``statuses`` (oldest first), ``every``
    apart from ``start`` (or ``at`` those times); ``fingerprint="same"``: of ``source``."""
    entry = entry_fingerprint(source) if fingerprint == "same" else fingerprint
    times = at or [start + n * every for n in range(len(statuses))]
    results = [
        PastResult(
            run_id=n + 1,
            status=status,
            url=source.url,
            http_status=200 if status is Status.OK else 503,
            final_url=source.url,
            checked_at=times[n],
            etag=None,
            last_modified=None,
            body_sha256=None,
            text_sha256=None,
            verification=StoredVerification(status, "Title found.")
            if status in (Status.OK, Status.MOVED)
            else None,
            reason=reason,
            entry_sha256=entry,
        )
        for n, status in enumerate(statuses)
    ]
    return SourceHistory.from_results(results[::-1])


WEEK = CheckOptions()  # recheck_after_days = 7, dead after 3 runs spanning 3 days


# -- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "options", "expected"),
    [
        pytest.param(SourceHistory(), WEEK, None, id="never checked: due"),
        pytest.param(past(Status.OK), WEEK, DAY0 + 7 * DAY - SLACK, id="ok: after 7 days"),
        pytest.param(
            past(Status.OK),
            CheckOptions(recheck_after_days=30),
            DAY0 + 30 * DAY - SLACK,
            id="ok: after recheck_after_days",
        ),
        pytest.param(past(Status.OK), CheckOptions(recheck_after_days=0), None, id="0: every run"),
        pytest.param(
            past(Status.OK), CheckOptions(only=frozenset({"s"})), None, id="--only: checked"
        ),
        pytest.param(past(Status.DEAD), WEEK, DAY0 + 3 * DAY - SLACK, id="dead: after 3 days"),
        pytest.param(past(Status.MOVED), WEEK, DAY0 + 3 * DAY - SLACK, id="moved: 3 days"),
        pytest.param(past(Status.DRIFTED), WEEK, DAY0 + 3 * DAY - SLACK, id="drifted: 3 days"),
        pytest.param(
            past(Status.DEAD),
            CheckOptions(recheck_after_days=1),
            DAY0 + DAY - SLACK,
            id="failing: never slower than ok",
        ),
        pytest.param(
            past(Status.UNREACHABLE), WEEK, None, id="unreachable once: the streak must grow"
        ),
        pytest.param(
            past(Status.UNREACHABLE, Status.UNREACHABLE),
            WEEK,
            DAY0 + 3 * DAY - SLACK,
            id="unreachable twice: due when the failures span 3 days",
        ),
        pytest.param(
            past(Status.UNREACHABLE, Status.UNREACHABLE),
            CheckOptions(dead_after_days=10),
            DAY0 + DAY + 3 * DAY - SLACK,
            id="unreachable, long dead-after: the 3-day cadence",
        ),
        pytest.param(
            past(Status.OK, fingerprint="sha256:another entry"),
            WEEK,
            None,
            id="entry changed: due",
        ),
        pytest.param(
            past(Status.OK, fingerprint=None), WEEK, None, id="no fingerprint stored: due"
        ),
        pytest.param(past(Status.OK, reason=None), WEEK, None, id="no reason stored: due"),
        pytest.param(
            past(Status.UNVERIFIABLE, reason="Internal error: ZeroDivisionError: division by zero"),
            WEEK,
            None,
            id="the last check met a bug: due",
        ),
    ],
)
def test_when_a_source_is_due(
    history: SourceHistory, options: CheckOptions, expected: dt.datetime | None
) -> None:
    assert due_at(SOURCE, history, options) == expected


def test_a_pending_proposed_title_is_always_checked() -> None:
    proposing = Source(id="s", url=SOURCE.url, proposed_title="Annual report")
    assert due_at(proposing, past(Status.OK, source=proposing), WEEK) is None


def test_what_changes_the_fingerprint() -> None:
    base = entry_fingerprint(SOURCE)
    assert entry_fingerprint(dataclasses.replace(SOURCE, title="Other")) != base
    assert entry_fingerprint(dataclasses.replace(SOURCE, url="https://docs.example.org/b")) != base
    assert entry_fingerprint(dataclasses.replace(SOURCE, kind=factlinks.Kind.PDF)) != base
    assert entry_fingerprint(dataclasses.replace(SOURCE, doi="10.1000/182")) != base
    # What only names or places the source does not make it due.
    assert entry_fingerprint(dataclasses.replace(SOURCE, citation="KfW 2021")) == base
    assert entry_fingerprint(dataclasses.replace(SOURCE, cited_in=("sheet",))) == base
    assert base.startswith("sha256:")


@pytest.mark.parametrize(
    ("days", "due"),
    [(1, False), (6, False), (7, True), (8, True)],
)
def test_an_ok_source_on_the_nights_of_a_week(days: int, due: bool) -> None:
    # The nightly job may start a few minutes earlier than the night before.
    now = DAY0 + days * DAY - dt.timedelta(minutes=20)
    assert is_due(SOURCE, past(Status.OK), WEEK, now=now) is due


def test_unreachable_is_checked_so_that_it_turns_dead_as_early_as_every_night() -> None:
    """Simulate nights of an ever-unreachable source, with and without the schedule."""

    def nights_until_dead(options: CheckOptions) -> tuple[int, int]:
        checked: list[dt.datetime] = []  # the nights it was checked (unreachable each time)
        for night in range(20):
            now = DAY0 + night * DAY
            history = past(*[Status.UNREACHABLE] * len(checked), at=checked)
            if not is_due(SOURCE, history, options, now=now):
                continue
            streak = len(history.failures) + 1  # as apply_policy counts
            first = history.first_failure or now
            span = dt.timedelta(days=options.dead_after_days)
            if streak >= options.dead_after_runs and now - first >= span:
                return night, len(checked) + 1
            checked.append(now)
        raise AssertionError("never dead")

    for runs, days in [(3, 3.0), (2, 5.0), (5, 2.0), (1, 0.0)]:
        scheduled = CheckOptions(dead_after_runs=runs, dead_after_days=days)
        every_night = dataclasses.replace(scheduled, recheck_after_days=0)
        night, checks = nights_until_dead(scheduled)
        assert night == nights_until_dead(every_night)[0], (runs, days)
        assert checks <= nights_until_dead(every_night)[1]
    # Dead after 3 runs spanning 10 days: nights 0 and 1, then every 3 days, until night 10.
    long = CheckOptions(dead_after_days=10)
    assert nights_until_dead(long) == (10, 5)  # checked on nights 0, 1, 4, 7 and 10
    assert nights_until_dead(dataclasses.replace(long, recheck_after_days=0)) == (10, 11)


def test_the_reused_result_is_the_last_verdict() -> None:
    archive = StoredArchive("https://web.archive.org/web/2021/x", "20210101000000", True, "ok")
    history = past(Status.DEAD, Status.DEAD)
    last = dataclasses.replace(history.last, archive=archive, reason="Not found (404).")
    history = dataclasses.replace(history, last=last, failures=(*history.failures[:-1], last))
    now = last.checked_at + DAY
    result = reused_result(SOURCE, history, WEEK, now=now)
    assert result is not None
    assert result.status is Status.DEAD
    assert result.reason == "Not found (404)."
    assert result.checked_at == last.checked_at
    assert result.fetch is None
    assert result.archive is not None
    assert result.archive.url == archive.url
    assert result.reused == ReusedVerdict(
        due=last.checked_at + FAILING_RECHECK_DAYS * DAY - SLACK,
        http_status=503,
        final_url=SOURCE.url,
    )
    assert result.history is not None
    assert result.history.previous_status is Status.DEAD  # never "new since the last run"
    assert result.history.consecutive_failures == 2
    assert reused_result(SOURCE, history, WEEK, now=now + 3 * DAY) is None  # due: checked


def test_the_interval_is_an_option_a_setting_and_a_flag(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="recheck_after_days"):
        CheckOptions(recheck_after_days=-1)
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[settings]\nrecheck_after_days = 30\n[[source]]\nid = "a"\nurl = "https://a.example/"\n'
    )
    assert factlinks.load_sources(registry).options().recheck_after_days == 30
    registry.write_text('[settings]\nrecheck_after_days = -1\n[[source]]\nid = "a"\nurl = "x"\n')
    with pytest.raises(RegistryError, match="recheck_after_days"):
        factlinks.load_sources(registry)


# -- whole runs ---------------------------------------------------------------------------------

PAGES = {f"/page-{n}": f"Report number {n}" for n in range(4)}


def _web() -> Host:
    routes: dict[str, object] = {
        path: Reply.html("<h1>" + title + "</h1>", title=title) for path, title in PAGES.items()
    }
    routes["/gone"] = Reply.not_found()
    routes["/down"] = Reply(status=503)
    return Host("docs.example.org", routes)  # type: ignore[arg-type]


def _sources(**titles: str) -> list[Source]:
    sources = [
        Source(id=f"page-{n}", url=f"https://docs.example.org{path}", title=titles.get(path, title))
        for n, (path, title) in enumerate(PAGES.items())
    ]
    sources.append(Source(id="gone", url="https://docs.example.org/gone", title="Gone"))
    return sources


def _night(
    store: HistoryBackend,
    host: Host,
    sources: list[Source],
    when: dt.datetime,
    **options: object,
) -> tuple[factlinks.Report, list[str]]:
    """One run at ``when``: its report and the paths the host was asked for."""
    before = len(host.requests)
    settings = CheckOptions(
        remap=(Remap.parse(host.remap_rule()),),
        retry=RetryPolicy(attempts=1),
        timeout=5,
        probe_soft_404=False,
    ).replace(**options)
    report = factlinks.check(
        sources, settings, runtime=factlinks.Runtime(history=store, clock=lambda: when)
    )
    return report, [r.path for r in host.requests[before:]]


@pytest.mark.integration
def test_the_second_night_sends_fewer_requests_and_lists_every_source(backend: Backend) -> None:
    with _web() as host, open_history(backend.location()) as store:
        first, asked_first = _night(store, host, _sources(), DAY0)
        second, asked_second = _night(store, host, _sources(), DAY0 + DAY)
        runs = store.runs()
        one_source = store.history("page-0", "https://docs.example.org/page-0")
    assert sorted(asked_first) == sorted([*PAGES, "/gone"])
    assert asked_second == []  # nothing was due
    assert [r.id for r in second.results] == [r.id for r in first.results]
    for now, then in zip(second.results, first.results, strict=True):
        assert (now.status, now.reason, now.checked_at) == (
            then.status,
            then.reason,
            then.checked_at,
        )
        assert now.reused is not None
        assert then.reused is None
    assert second.results[0].reused == ReusedVerdict(
        DAY0 + 7 * DAY - SLACK, 200, host.real_url("/page-0")
    )
    assert second.results[0].title is not None
    assert second.results[0].title.matched
    assert second.counts[Status.DEAD] == 1
    assert not second.passed
    assert runs == 2  # the night was recorded ...
    assert len(one_source.recent) == 1  # ... but a reused verdict is not a new check


@pytest.mark.integration
def test_new_since_the_last_run_still_works_across_reused_nights(tmp_path: Path) -> None:
    with _web() as host, open_history(tmp_path / "state.db") as store:
        _night(store, host, _sources(), DAY0)
        _night(store, host, _sources(), DAY0 + DAY)
        host.add("/page-1", Reply.not_found())
        week, asked = _night(store, host, _sources(), DAY0 + 7 * DAY)
    assert sorted(asked) == sorted([*PAGES, "/gone"])  # every source due again
    assert [r.id for r in week.new_problems] == ["page-1"]
    assert all(r.reused is None for r in week.results)


@pytest.mark.integration
def test_a_changed_entry_is_checked_again_and_a_renamed_one_is_not(tmp_path: Path) -> None:
    with _web() as host, open_history(tmp_path / "state.db") as store:
        _night(store, host, _sources(), DAY0)
        changed = _sources(**{"/page-2": "Report number 2 (revised)"})
        changed[3] = dataclasses.replace(changed[3], citation="Report 3, cited by its new name")
        report, asked = _night(store, host, changed, DAY0 + DAY)
        asked_again = _night(store, host, changed, DAY0 + 2 * DAY)[1]
    assert asked == ["/page-2"]
    by_id = {r.id: r for r in report.results}
    assert by_id["page-2"].reused is None
    assert by_id["page-2"].status is Status.DRIFTED
    assert by_id["page-3"].reused is not None  # the citation does not shape the verdict
    assert by_id["page-3"].source.citation == "Report 3, cited by its new name"
    assert asked_again == []  # its new fingerprint was recorded with its check


@pytest.mark.integration
def test_only_checks_the_named_sources_even_when_not_due(tmp_path: Path) -> None:
    with _web() as host, open_history(tmp_path / "state.db") as store:
        _night(store, host, _sources(), DAY0)
        report, asked = _night(store, host, _sources(), DAY0 + DAY, only=frozenset({"page-0"}))
    assert asked == ["/page-0"]
    assert report.results[0].reused is None


@pytest.mark.integration
def test_a_failing_source_is_checked_every_three_days(tmp_path: Path) -> None:
    dead = [Source(id="gone", url="https://docs.example.org/gone", title="Gone")]
    with _web() as host, open_history(tmp_path / "state.db") as store:
        nights = [_night(store, host, dead, DAY0 + n * DAY)[1] for n in range(7)]
    assert [bool(asked) for asked in nights] == [True, False, False, True, False, False, True]


@pytest.mark.integration
def test_the_schedule_does_not_delay_dead(tmp_path: Path) -> None:
    down = [Source(id="down", url="https://docs.example.org/down")]
    statuses: dict[int, list[Status]] = {}
    asked: dict[int, list[bool]] = {}
    with _web() as host:
        for every in (0, 7):
            with open_history(tmp_path / f"state-{every}.db") as store:
                nights = [
                    _night(store, host, down, DAY0 + n * DAY, recheck_after_days=every)
                    for n in range(5)
                ]
            statuses[every] = [report.results[0].status for report, _ in nights]
            asked[every] = [bool(paths) for _, paths in nights]
    assert statuses[7] == statuses[0]
    assert statuses[0].index(Status.DEAD) == 3  # 3 runs spanning 3 days
    assert asked[7] == [True, True, False, True, False]  # night 2 spared; dead on night 3
    assert asked[0] == [True] * 5


@pytest.mark.integration
def test_the_command_line_reports_reused_verdicts_and_zero_checks_all(tmp_path: Path) -> None:
    with _web() as host:
        registry = tmp_path / "sources.toml"
        registry.write_text(
            "".join(
                f'[[source]]\nid = "{s.id}"\nurl = "{s.url}"\ntitle = "{s.title}"\n'
                for s in _sources()
            )
        )
        base = ["check", str(registry), "--state", str(tmp_path / "state.db"), "-q"]
        base += ["--no-archive", "--remap", host.remap_rule(), "--format", "json,md,html"]
        codes = []
        counts = []
        for night, extra in [("1", []), ("2", []), ("3", ["--recheck-after-days", "0"])]:
            before = len(host.requests)
            codes.append(main([*base, *extra, "--out", str(tmp_path / night)]))
            counts.append(len(host.requests) - before)
    assert codes == [1, 1, 1]  # the dead source fails every night, reused or not
    assert counts[1] == 0
    assert counts[2] == counts[0]
    data = json.loads((tmp_path / "2" / "report.json").read_text("utf-8"))
    schema = json.loads(
        resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    )
    jsonschema.validate(data, schema)
    first = json.loads((tmp_path / "1" / "report.json").read_text("utf-8"))
    assert len(data["sources"]) == 5
    for now, then in zip(data["sources"], first["sources"], strict=True):
        assert now["checked_at"] == then["checked_at"]
        assert now["reused"]["http_status"] == then["http_status"]
        assert then["reused"] is None
    assert load_report(tmp_path / "2" / "report.json").results[0].reused is not None
    markdown = (tmp_path / "2" / "report.md").read_text("utf-8")
    day = first["sources"][0]["checked_at"][:10]
    assert f"Last checked {day} (not due in this run)" in markdown  # the dead one
    assert f"`page-0` (ok) — <https://docs.example.org/page-0> (last checked {day})" in markdown
    assert '"ru":' in (tmp_path / "2" / "report.html").read_text("utf-8")
    third = json.loads((tmp_path / "3" / "report.json").read_text("utf-8"))
    assert all(s["reused"] is None for s in third["sources"])


# -- offline nights ---------------------------------------------------------------------------


def _offline_web() -> tuple[list[Source], list[Host]]:
    sources = [
        Source(id="a", url="https://docs.example.org/page-0", title="Report number 0"),
        Source(id="b", url="https://www.other.example/page-1", title="Report number 1"),
        Source(id="c", url="https://gone-host.example/x"),  # a closed port: connect fails
    ]
    hosts = [
        Host("docs.example.org", {"/page-0": Reply.html("x", title="Report number 0")}),
        Host("www.other.example", {"/page-1": Reply.html("x", title="Report number 1")}),
    ]
    return sources, hosts


def _rules(hosts: list[Host], *, online: bool) -> tuple[Remap, ...]:
    dead_end = f"http://127.0.0.1:{closed_port()}"
    rules = [
        Remap.parse(make_remap_rule(h.name, h.base_url if online else dead_end)) for h in hosts
    ]
    return (*rules, Remap.parse(make_remap_rule("gone-host.example", dead_end)))


def _checked(
    store: HistoryBackend, sources: list[Source], remap: tuple[Remap, ...], night: int
) -> factlinks.Report:
    options = CheckOptions(remap=remap, retry=RetryPolicy(attempts=1), timeout=5)
    clock = lambda: DAY0 + night * DAY  # noqa: E731
    return factlinks.check(sources, options, factlinks.Runtime(history=store, clock=clock))


@pytest.mark.integration
def test_an_offline_night_is_still_told_when_only_failing_sources_are_due(tmp_path: Path) -> None:
    sources, hosts = _offline_web()
    with hosts[0], hosts[1], open_history(tmp_path / "state.db") as store:
        first = _checked(store, sources, _rules(hosts, online=True), 0)
        asked = len(hosts[0].requests) + len(hosts[1].requests)
        with pytest.raises(OfflineError, match="is this machine online"):
            _checked(store, sources, _rules(hosts, online=False), 1)
        runs = store.runs()
        online = _checked(store, sources, _rules(hosts, online=True), 1)
        asked_online = len(hosts[0].requests) + len(hosts[1].requests) - asked
    assert [r.status for r in first.results] == [Status.OK, Status.OK, Status.UNREACHABLE]
    assert runs == 1  # the offline night recorded nothing: no step towards dead
    # Online, with only "c" due: two healthy sources answered as witnesses, and the night
    # is a night like any other ("c" unreachable again, the others reused).
    assert asked_online == 2
    assert [r.reused is not None for r in online.results] == [True, True, False]
    assert online.results[2].status is Status.UNREACHABLE
    assert online.results[2].history is not None
    assert online.results[2].history.consecutive_failures == 2


@pytest.mark.integration
def test_merge_records_the_real_checks_of_the_shards_only(tmp_path: Path) -> None:
    with _web() as host:
        with open_history(tmp_path / "merged.db") as merged:
            _night(merged, host, _sources(), DAY0)  # last night's merged history
        shutil.copy(tmp_path / "merged.db", tmp_path / "shard.db")  # each shard gets a copy
        with open_history(tmp_path / "shard.db") as shard:
            report, asked = _night(shard, host, _sources(), DAY0 + 3 * DAY)
    assert asked == ["/gone"]  # the dead one is due again; the healthy ones are not
    factlinks.write_report(report, tmp_path / "shard", formats=["json"])
    again = load_report(tmp_path / "shard" / "report.json")  # as merge reads a shard's
    assert sum(r.reused is not None for r in again.results) == 4
    with open_history(tmp_path / "merged.db") as target, open_history(tmp_path / "shard.db") as s:
        assert factlinks.merge_histories(target, [s], again) == 1
        healthy = target.history("page-0", "https://docs.example.org/page-0")
        gone = target.history("gone", "https://docs.example.org/gone")
        assert target.runs() == 2
    assert len(healthy.recent) == 1  # its reused verdict was not recorded as a second check
    assert len(gone.failures) == 2


def test_the_html_report_says_when_a_reused_verdict_was_made(tmp_path: Path) -> None:
    report = sample_report()  # ok-plain and blocked-403 are reused verdicts
    with chromium() as browser:
        dom = html_page.drawn(browser, tmp_path / "report.html", render_html(report))
    page = BeautifulSoup(dom, "html.parser")
    rows = {row["data-id"]: row for row in page.select("#sources-table > tbody > tr")}
    plain = rows["ok-plain"].get_text(" ")
    assert "Last checked" in plain
    assert "2026-11-23 03:00 UTC (verdict reused: not due again before 2026-11-29)" in plain
    assert "last checked 2026-11-24" in rows["blocked-403"].get_text(" ")  # in its runs
    assert "verdict reused" not in rows["ok-pdf"].get_text(" ")  # checked in this run
