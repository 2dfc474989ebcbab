"""A large run's results on disk (issue 13, point 1): the spool, and reports read from it.

A run of more than ``Runtime.spool_after`` sources keeps each result in a temporary file as
soon as it is ready, and its report reads them back one at a time. Everything a report says
and every file written from it must be what the same results held in memory give, and the
history must record the same rows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import functools
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest

import factlinks
import factsheet_web
from factlinks import Brief, Report, ResultStore, SourceResult, Status
from factlinks._history.codec import encode_result
from factlinks._history.interface import SourceHistory
from factlinks._memo import Memo
from factlinks._spool import ResultSpool
from farm import Farm
from report_sample import sample_report

REPO = Path(__file__).resolve().parent.parent


def _spooled(results: tuple[SourceResult, ...], order: list[int] | None = None) -> ResultSpool:
    spool = ResultSpool(len(results))
    for index in order if order is not None else range(len(results)):
        spool.put(index, results[index], encode_result(results[index], SourceHistory()))
    return spool


def _many(copies: int) -> tuple[SourceResult, ...]:
    """The sample's results repeated with distinct ids (and documents), in one order."""
    base = sample_report().results
    out = []
    for n in range(copies):
        for result in base:
            source = dataclasses.replace(
                result.source, id=f"{result.id}-{n}", cited_in=(f"doc-{n % 3}",)
            )
            out.append(dataclasses.replace(result, source=source))
    return tuple(out)


def test_results_put_in_any_order_read_back_in_registry_order() -> None:
    results = _many(3)
    order = list(reversed(range(len(results))))
    spool = _spooled(results, order)
    assert len(spool) == len(results)
    assert list(spool) == list(results)
    assert spool == results  # equal to the tuple it spools
    assert spool[5] == results[5]
    assert spool[-1] == results[-1]
    assert list(spool[2:7]) == list(results[2:7])
    assert spool.briefs() == [Brief.of(r) for r in results]
    assert [row.source_id for row in spool.rows()] == [results[i].id for i in order]


def test_pickled_spool_is_a_tuple_of_its_results() -> None:
    results = _many(1)
    spool = _spooled(results)
    assert pickle.loads(pickle.dumps(spool)) == results
    assert isinstance(pickle.loads(pickle.dumps(spool)), tuple)
    view = spool.subset([3, 1])
    assert pickle.loads(pickle.dumps(view)) == (results[3], results[1])


def test_an_incomplete_spool_says_so() -> None:
    results = _many(1)
    spool = ResultSpool(len(results))
    spool.put(0, results[0])
    assert not spool.complete
    with pytest.raises(LookupError, match="source 1 is not in the spool"):
        spool[1]
    with pytest.raises(ValueError, match="not complete"):
        spool.briefs()
    with pytest.raises(ValueError, match="in the spool already"):
        spool.put(0, results[0])


def test_records_past_the_write_buffer_read_back_whole() -> None:
    # Each result made about 100 KB large: the spool writes its buffer out many times, and
    # reads the unwritten tail from the buffer's flush.
    big = [
        dataclasses.replace(r, reason="x" * 100_000 + r.id) for r in _many(3)
    ]  # 33 results, 3.3 MB
    spool = _spooled(tuple(big), order=[*range(1, len(big)), 0])
    assert [r.reason[-8:] for r in spool] == [r.reason[-8:] for r in big]
    spool.close()


def _report(results: Any) -> Report:
    sample = sample_report()
    return dataclasses.replace(sample, results=results)


@pytest.mark.parametrize("fail_on", [None, frozenset({Status.DEAD})])
def test_a_report_over_a_spool_says_what_the_same_results_in_memory_say(
    fail_on: frozenset[Status] | None,
) -> None:
    results = _many(4)
    memory = _report(results)
    spooled = _report(_spooled(results, order=list(reversed(range(len(results))))))
    if fail_on is not None:
        memory = dataclasses.replace(memory, fail_on=fail_on)
        spooled = dataclasses.replace(spooled, fail_on=fail_on)
    assert isinstance(spooled.results, ResultStore)
    assert spooled.counts == memory.counts
    for name in ("problems", "failures", "internal_errors", "new_problems", "recovered"):
        mine, theirs = getattr(spooled, name), getattr(memory, name)
        assert not isinstance(mine, tuple)  # read back on access, not held
        assert [r.id for r in mine] == [r.id for r in theirs], name
        assert mine == theirs
    assert spooled.with_status(Status.DEAD, Status.OK) == memory.with_status(Status.DEAD, Status.OK)
    assert spooled.by_document() == memory.by_document()
    assert spooled.passed == memory.passed
    assert spooled == memory


def test_every_report_file_is_the_same_written_from_a_spool(tmp_path: Path) -> None:
    results = _many(4)
    formats = ["json", "md", "html", "junit"]
    factlinks.write_report(_report(results), tmp_path / "memory", formats=formats)
    factlinks.write_report(_report(_spooled(results)), tmp_path / "spool", formats=formats)
    for name in ("report.json", "report.md", "report.html", "report.junit.xml"):
        mine = (tmp_path / "spool" / name).read_bytes()
        assert mine == (tmp_path / "memory" / name).read_bytes(), name


def _run_fact_sheet(out: Path, state: Path, spool_after: int | None, monkeypatch: Any) -> int:
    import factlinks._cli as cli

    runtime = cli.Runtime
    if spool_after is not None:
        monkeypatch.setattr(cli, "Runtime", functools.partial(runtime, spool_after=spool_after))
    try:
        with Farm() as farm:
            factsheet_web.build(farm)
            return cli.main(
                [
                    "check",
                    str(REPO / "sources.toml"),
                    "--out",
                    str(out),
                    "--format",
                    "json,md,html,junit",
                    "--state",
                    str(state),
                    "--no-archive",
                    "--timeout",
                    "3",
                    *factsheet_web.remap_args(farm),
                ]
            )
    finally:
        monkeypatch.setattr(cli, "Runtime", runtime)


_TIMING = re.compile(
    r'"(started_at|finished_at|checked_at|elapsed_ms)": ("[^"]*"|\d+)|'
    r'(time|timestamp)="[^"]*"|\d+(\.\d+)? ?(ms|s)\b|'
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d| UTC)?"
)


def _untimed(text: str) -> str:
    return _TIMING.sub("<t>", text)


@pytest.mark.integration
def test_the_fact_sheet_checked_with_a_spool_gives_the_same_reports_and_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: dict[str, tuple[int, dict[str, Any], list[Any]]] = {}
    for name, after in (("memory", None), ("spool", 0)):
        out, state = tmp_path / name, tmp_path / f"{name}.db"
        code = _run_fact_sheet(out, state, after, monkeypatch)
        data = json.loads((out / "report.json").read_text("utf-8"))
        with factlinks.open_history(state) as history:
            rows = [
                (r.source_id, r.url, r.status, r.http_status, r.final_url, r.etag)
                for r in history.latest_results()
            ]
        runs[name] = (code, data, rows)
    (code, memory, memory_rows), (spool_code, spooled, spool_rows) = runs["memory"], runs["spool"]
    assert spool_code == code == 1
    assert [s["status"] for s in spooled["sources"]] == [s["status"] for s in memory["sources"]]
    assert spooled["summary"] == memory["summary"]
    assert sorted(spool_rows) == sorted(memory_rows)
    assert len(spool_rows) == len(memory["sources"]) - memory["summary"]["by_status"]["skipped"]
    for name in ("report.md", "report.junit.xml"):
        mine = (tmp_path / "spool" / name).read_text("utf-8")
        assert _untimed(mine) == _untimed((tmp_path / "memory" / name).read_text("utf-8"))


def test_a_small_run_keeps_its_results_in_memory() -> None:
    runtime = factlinks.Runtime()
    assert runtime.spool_after > 1000
    report = Report(
        results=(),
        started_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
        tool_version="t",
    )
    assert report.problems == ()


def test_a_memo_keeps_what_is_pending_and_the_newest_finished() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        memo: Memo[int, str] = Memo(size=3)
        pending = loop.create_future()
        memo.put(0, pending)
        for key in range(1, 6):
            done = loop.create_future()
            done.set_result(str(key))
            memo.put(key, done)
        assert len(memo) == 3
        assert memo.get(0) is pending  # still being computed: never forgotten
        assert memo.get(1) is None
        assert memo.get(3) is None
        assert [memo.get(k).result() for k in (4, 5)] == ["4", "5"]  # type: ignore[union-attr]
        memo.forget(4)
        assert memo.get(4) is None
        pending.cancel()

    asyncio.run(scenario())


def test_a_full_memo_looks_at_a_few_keys_per_answer_not_at_all_of_them() -> None:
    """Forgetting the oldest must not scan every kept answer on every put: at 100,000
    sources that was one pass over 4,096 futures per parsed page."""
    asked = 0

    class Counted(asyncio.Future[str]):
        def done(self) -> bool:
            nonlocal asked
            asked += 1
            return super().done()

    async def scenario() -> None:
        memo: Memo[int, str] = Memo(size=1000)
        running = [Counted() for _ in range(10)]  # still computing, at the oldest end
        for key, future in enumerate(running):
            memo.put(-1 - key, future)
        for key in range(5000):
            future = Counted()
            future.set_result(str(key))
            memo.put(key, future)
        assert len(memo) == 1000
        assert all(memo.get(-1 - key) is future for key, future in enumerate(running))
        assert memo.get(3999) is None
        assert memo.get(4010) is not None
        for future in running:
            future.cancel()

    asyncio.run(scenario())
    assert asked < 5000 * 20  # a full scan each time would be about 5,000,000


def test_the_parse_cache_is_bounded_and_still_shares_one_document(
    executor: concurrent.futures.Executor,
) -> None:
    from factlinks import CheckOptions, FetchResult
    from factlinks._parse import Parser

    async def scenario() -> None:
        parser = Parser(CheckOptions(), executor)
        parser._cache.size = 5
        for n in range(20):
            body = f"<title>Page {n}</title><p>text</p>".encode()
            url = f"https://a.test/{n}"
            fetch = FetchResult(url, url, 200, content_type="text/html", body=body)
            first, again = await asyncio.gather(
                parser.parse(fetch, f"Page {n}"), parser.parse(fetch, f"Page {n}")
            )
            assert first == again
            assert first.evidence is not None
            assert first.evidence.matched
        assert len(parser._cache) == 5
        await parser.aclose()

    asyncio.run(scenario())
