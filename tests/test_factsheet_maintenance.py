"""Issue 4 end to end on the fact sheet's web: history, 304 re-checks, archive rescue, fix."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

import factsheet_web
from factlinks._cli import main
from farm import Farm

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent


def _sources() -> dict[str, dict[str, Any]]:
    data = tomllib.loads((REPO / "sources.toml").read_text("utf-8"))
    return {source["id"]: source for source in data["source"]}


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two nightly runs with a history and a fake Wayback Machine, then `fix`."""
    tmp = tmp_path_factory.mktemp("nightly")
    registry = tmp / "sources.toml"
    shutil.copy(REPO / "sources.toml", registry)
    state = tmp / "state.db"
    sources = _sources()
    with Farm() as farm:
        factsheet_web.build(farm)
        factsheet_web.build_archive(
            farm,
            {s["url"]: (s.get("kind", "html"), s.get("title")) for s in sources.values()},
        )
        # 3 s as in test_factsheet_web: 1 s was hit by healthy loopback pages on a loaded machine
        base = ["check", str(registry), "--state", str(state), "--timeout", "3"]
        base += ["--recheck-after-days", "0"]  # the second night checks every source again
        base += ["--archive-api", factsheet_web.ARCHIVE_API, *factsheet_web.remap_args(farm)]
        requests_before = sum(len(h.requests) for h in farm.hosts)
        first_code = main([*base, "--out", str(tmp / "first")])
        requests_first = sum(len(h.requests) for h in farm.hosts) - requests_before
        second_code = main([*base, "--out", str(tmp / "second")])
        requests_second = sum(len(h.requests) for h in farm.hosts) - requests_first
        conditional = [
            r.path for h in farm.hosts for r in h.requests if "if-none-match" in r.headers
        ]
    first = json.loads((tmp / "first" / "report.json").read_text("utf-8"))
    second = json.loads((tmp / "second" / "report.json").read_text("utf-8"))
    original = registry.read_text("utf-8")
    fix_code = main(["fix", str(registry), "--state", str(state), "--apply"])
    fixed = registry.read_text("utf-8")
    return {
        "codes": (first_code, second_code, fix_code),
        "first": first,
        "second": second,
        "requests": (requests_first, requests_second),
        "conditional": conditional,
        "original": original,
        "fixed": fixed,
    }


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {source["id"]: source for source in report["sources"]}


def test_every_dead_source_gets_its_verified_archive_copy(nightly: dict[str, Any]) -> None:
    first = by_id(nightly["first"])
    dead = [s for s in first.values() if s["status"] == "dead"]
    assert len(dead) == 5
    for source in dead:
        assert source["archive"]["url"] == factsheet_web.snapshot_url(source["url"])
        assert source["archive"]["timestamp"] == factsheet_web.SNAPSHOT_TIME
        assert source["archive"]["verified"] is not False, source["archive"]
    # the titled one was checked against its title
    assert first["uni-saarland-ki-mittelstand-2019"]["archive"]["verified"] is True
    assert all(s["archive"] is None for s in first.values() if s["status"] == "ok")


def test_second_run_sends_conditional_requests_and_keeps_every_status(
    nightly: dict[str, Any],
) -> None:
    first, second = by_id(nightly["first"]), by_id(nightly["second"])
    assert {i: s["status"] for i, s in second.items()} == {i: s["status"] for i, s in first.items()}
    assert nightly["codes"][:2] == (1, 1)
    not_modified = {i for i, s in second.items() if s["http_status"] == 304}
    assert not_modified == {
        "kfw-fokus-318",
        "wik-kurzstudie-ki-im-mittelstand",
        "bmwk-ki-herausforderungen",
    }
    for source_id in not_modified:
        assert second[source_id]["bytes"] == 0
        assert second[source_id]["history"]["not_modified_since"] is not None
        assert second[source_id]["title"]["matched"] is True
    assert second["bmwk-ki-herausforderungen"]["new_url"] == factsheet_web.BMWK_NEW
    downloaded = [sum(s["bytes"] or 0 for s in r.values()) for r in (first, second)]
    assert downloaded[1] < downloaded[0]
    assert nightly["conditional"]  # the validators went out


def test_fix_moves_the_three_moved_urls_and_keeps_every_comment(nightly: dict[str, Any]) -> None:
    assert nightly["codes"][2] == 0
    original, fixed = nightly["original"].splitlines(), nightly["fixed"].splitlines()
    # Each move changes its url line and records the URL the fact sheet prints right after it.
    cited = [line for line in fixed if line.startswith("cited_url = ")]
    assert len(cited) == 3
    for line in cited:
        before = fixed[fixed.index(line) - 1]
        assert before.startswith("url = ")
    kept = [line for line in fixed if not line.startswith("cited_url = ")]
    assert len(original) == len(kept)
    changed = [(a, b) for a, b in zip(original, kept, strict=True) if a != b]
    assert [b for _, b in changed] == [
        f'url = "{factsheet_web.EUROSTAT_NEW}"',
        f'url = "{factsheet_web.PLS_VIDEOS_NEW}"',
        f'url = "{factsheet_web.BMWK_NEW}"',
    ]
    # What was cited is what the url lines said before.
    assert [line.replace("cited_url = ", "url = ", 1) for line in cited] == [a for a, _ in changed]
    comments = [line for line in original if line.lstrip().startswith("#")]
    assert comments == [line for line in fixed if line.lstrip().startswith("#")]
