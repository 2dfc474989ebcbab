"""Merging the shards of one run (``_merge.py``, ``factlinks merge``): reports and histories."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

import factlinks
from conftest import make_source
from factlinks import Report, ReportError, SourceResult, StateError, Status
from factlinks._cli import main
from factlinks._history.codec import encode_result
from factlinks._history.interface import SourceHistory
from factlinks._registry import Registry
from factlinks._shard import select_shard, shard_note

T0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
HOSTS = ["a.de", "b.de", "www.a.de", "c.de", "d.de", "b.de", "e.de", "c.de", "a.de"]
STATUSES = [Status.OK, Status.DEAD, Status.OK, Status.MOVED, Status.SKIPPED, Status.OK]


def _registry(hosts: list[str] = HOSTS) -> Registry:
    sources = tuple(make_source(f"https://{h}/{i}", id=f"s{i}") for i, h in enumerate(hosts))
    return Registry(sources, path="sources.toml")


def _result(position: int, source: factlinks.Source) -> SourceResult:
    status = STATUSES[position % len(STATUSES)]
    new_url = source.url + "/new" if status is Status.MOVED else None
    return SourceResult(
        source=source,
        status=status,
        reason=f"reason {position}",
        checked_at=T0 + dt.timedelta(seconds=position),
        new_url=new_url,
    )


def _whole(registry: Registry) -> Report:
    results = tuple(_result(p, s) for p, s in enumerate(registry))
    return Report(results, T0, T0 + dt.timedelta(minutes=9), "1.0", registry=registry.path)


def _shards(registry: Registry, count: int) -> list[Report]:
    """The reports the shards of one run would write (each with its shard note first)."""
    reports = []
    for k in range(1, count + 1):
        part = select_shard(registry, k, count)
        results = tuple(
            _result(p, s) for p, s in zip(part.shard.positions, part.registry, strict=True)
        )
        notes = (shard_note(part.shard), "the registry's note", f"note of shard {k}")
        reports.append(
            Report(
                results,
                started_at=T0 + dt.timedelta(minutes=k),
                finished_at=T0 + dt.timedelta(minutes=5 + k),
                tool_version="1.0",
                registry=registry.path,
                notes=notes,
                shard=part.for_results([r.id for r in results]),
            )
        )
    return reports


def test_merge_gives_the_whole_run() -> None:
    registry = _registry()
    reports = _shards(registry, 3)
    merged = factlinks.merge_reports(list(reversed(reports)))
    whole = _whole(registry)
    assert merged.results == whole.results  # registry order, every result as the shard had it
    assert merged.shard is None
    assert merged.started_at == T0 + dt.timedelta(minutes=1)
    assert merged.finished_at == T0 + dt.timedelta(minutes=8)
    assert merged.notes == (
        "the registry's note",
        "note of shard 1",
        "note of shard 2",
        "note of shard 3",
    )
    assert merged.counts == whole.counts
    assert merged.failures == whole.failures
    assert merged.registry == "sources.toml"


def test_merge_of_reports_read_back_from_json(tmp_path: Path) -> None:
    reports = _shards(_registry(), 2)
    paths = []
    for report in reports:
        folder = tmp_path / f"shard-{report.shard.index if report.shard else 0}"
        paths.extend(factlinks.write_report(report, folder, formats=["json"]))
    loaded = [factlinks.load_report(path) for path in paths]
    assert [r.shard for r in loaded] == [r.shard for r in reports]
    merged = factlinks.merge_reports(loaded)
    assert [r.id for r in merged.results] == [s.id for s in _registry()]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(lambda rs: rs[:2], "shard 3/3 missing", id="one-missing"),
        pytest.param(lambda rs: rs[:1], "shards 2/3, 3/3 missing", id="two-missing"),
        pytest.param(lambda rs: [*rs, rs[1]], "shard 2/3 is given twice", id="repeated"),
        pytest.param(lambda rs: [], "no shard reports given", id="none"),
        pytest.param(
            lambda rs: [*rs[:2], replace(rs[2], shard=None)],
            "report 3 is not a shard's report",
            id="not-a-shard",
        ),
        pytest.param(
            lambda rs: [*rs[:2], replace(rs[2], tool_version="2.0")],
            "ran factlinks 2.0",
            id="other-version",
        ),
        pytest.param(
            lambda rs: [*rs[:2], replace(rs[2], fail_on=frozenset({Status.DEAD}))],
            "fail on different statuses",
            id="other-fail-on",
        ),
        pytest.param(
            lambda rs: [*rs[:2], replace(rs[2], results=rs[2].results[1:])],
            "places 3 sources but holds 2",
            id="positions-do-not-fit",
        ),
    ],
)
def test_merge_errors(change: object, says: str) -> None:
    reports = _shards(_registry(), 3)
    assert callable(change)
    with pytest.raises(ReportError, match=says):
        factlinks.merge_reports(change(reports))


def test_shards_of_other_runs_are_refused() -> None:
    three = _shards(_registry(), 3)
    two = _shards(_registry(), 2)
    with pytest.raises(ReportError, match="is of a run in 2 shards"):
        factlinks.merge_reports([*three[:2], two[1]])
    edited = _shards(_registry([*HOSTS, "f.de"]), 3)
    with pytest.raises(ReportError, match="checked another registry"):
        factlinks.merge_reports([*three[:2], edited[2]])


def test_a_place_taken_twice_is_refused() -> None:
    reports = _shards(_registry(), 2)
    first, second = reports[0].shard, reports[1].shard
    assert first is not None
    assert second is not None
    clash = replace(first, positions=(second.positions[0], *first.positions[1:]))
    with pytest.raises(ReportError, match="is placed at"):
        factlinks.merge_reports([replace(reports[0], shard=clash), reports[1]])


def test_fail_on_given_settles_a_disagreement() -> None:
    reports = _shards(_registry(), 2)
    reports[1] = replace(reports[1], fail_on=frozenset({Status.DEAD}))
    merged = factlinks.merge_reports(reports, fail_on=frozenset({Status.DRIFTED}))
    assert merged.fail_on == frozenset({Status.DRIFTED})
    assert merged.passed


# -- histories -----------------------------------------------------------------------------------


def _record(path: Path, report: Report) -> None:
    with factlinks.open_history(path) as history:
        history.record_run(
            started_at=report.started_at,
            finished_at=report.finished_at,
            tool_version=report.tool_version,
            registry=report.registry,
            rows=[
                encode_result(r, SourceHistory())
                for r in report.results
                if r.status is not Status.SKIPPED
            ],
        )


def _latest(path: Path) -> list[tuple[str, str, Status, dt.datetime, str | None]]:
    with factlinks.open_history(path) as history:
        rows = history.latest_results("sources.toml")
    return sorted((r.source_id, r.url, r.status, r.checked_at, r.final_url) for r in rows)


def test_merge_histories_records_the_whole_run(tmp_path: Path) -> None:
    registry = _registry()
    reports = _shards(registry, 3)
    _record(tmp_path / "whole.db", _whole(registry))
    for k, report in enumerate(reports, 1):
        _record(tmp_path / f"s{k}.db", _whole(_registry(["old.de"])))  # an earlier night
        _record(tmp_path / f"s{k}.db", report)
    merged = factlinks.merge_reports(reports)
    paths = [tmp_path / f"s{k}.db" for k in (2, 3, 1)]
    with factlinks.open_history(tmp_path / "merged.db") as target:
        shards = [factlinks.open_history(p) for p in paths]
        try:
            # s4 is skipped: not part of the run, as check leaves it out
            assert factlinks.merge_histories(target, shards, merged) == 8
            with pytest.raises(StateError, match="holds this run already"):
                factlinks.merge_histories(target, shards, merged)
        finally:
            for shard in shards:
                shard.close()
        assert target.runs() == 1
    assert _latest(tmp_path / "merged.db") == _latest(tmp_path / "whole.db")


def test_merge_histories_needs_every_shard(tmp_path: Path) -> None:
    reports = _shards(_registry(), 2)
    _record(tmp_path / "s1.db", reports[0])
    merged = factlinks.merge_reports(reports)
    with (
        factlinks.open_history(tmp_path / "merged.db") as target,
        factlinks.open_history(tmp_path / "s1.db") as s1,
    ):
        with pytest.raises(StateError, match="no shard history holds the result of 's1'"):
            factlinks.merge_histories(target, [s1], merged)
        assert target.runs() == 0


# -- the command line ----------------------------------------------------------------------------


def _write_shards(tmp_path: Path, count: int) -> list[str]:
    folders = []
    for report in _shards(_registry(), count):
        assert report.shard is not None
        folder = tmp_path / f"shard-{report.shard.index}"
        factlinks.write_report(report, folder, formats=["json"])
        folders.append(str(folder))
    return folders


def test_cli_merge_writes_every_format_and_fails_like_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = _write_shards(tmp_path, 3)
    argv = ["merge", "out", *folders, "--format", "json,md,html,junit"]
    assert main(argv) == 1  # a dead source, and dead fails by default
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["report.html", "report.json", "report.junit.xml", "report.md"]
    data = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert "shard" not in data
    assert [s["id"] for s in data["sources"]] == [s.id for s in _registry()]
    assert "3 shards merged" in capsys.readouterr().err
    assert (
        main(["merge", "out2", folders[0] + "/report.json", *folders[1:], "--fail-on", "drifted"])
        == 0
    )


def test_cli_merge_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folders = _write_shards(tmp_path, 3)
    assert main(["merge", "out", *folders[:2]]) == 2
    assert "shard 3/3 missing" in capsys.readouterr().err
    assert main(["merge", "out", *folders, str(tmp_path / "nowhere")]) == 2
    assert "no such report file" in capsys.readouterr().err
    assert main(["merge", "out", *folders, "--state", "m.db"]) == 2
    assert "--state needs --shard-state" in capsys.readouterr().err
    assert main(["merge", "out", *folders, "--shard-state", "s.db"]) == 2
    assert "--shard-state needs --state" in capsys.readouterr().err
    assert main(["merge", "out", *folders, "--state", "m.db", "--shard-state", "s.db"]) == 2
    assert "--shard-state s.db: no such history file" in capsys.readouterr().err
    assert not Path("m.db").exists()


def test_cli_merge_exits_3_when_a_shard_met_a_bug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = _shards(_registry(), 2)
    first = reports[0]
    bug = factlinks.Failure(factlinks.FailureKind.INTERNAL, "boom")
    reports[0] = replace(first, results=(replace(first.results[0], error=bug), *first.results[1:]))
    folders = []
    for k, report in enumerate(reports, 1):
        factlinks.write_report(report, tmp_path / f"shard-{k}", formats=["json"])
        folders.append(str(tmp_path / f"shard-{k}"))
    assert main(["merge", "out", *folders, "--fail-on", "drifted"]) == 3
    assert f"internal error while checking {first.results[0].id}: boom" in capsys.readouterr().err
