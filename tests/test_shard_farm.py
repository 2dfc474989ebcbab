"""Issue 13, acceptance: ``--shard 1/4 … 4/4`` plus ``merge`` give the report of one run.

One registry of 2,000 sources over several hundred registrable domains (tests/shard_farm.py)
is checked once whole and once as four shards, against the same loopback farm; the merged
``report.json`` equals the whole run's but for timing fields (and the probe's random sibling
name), no registrable domain is in two shards, and the merged history holds the run the
whole run recorded. The shards' sizes are printed (``pytest -s``) and bounded.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

import factlinks
from factlinks._cli import main
from factlinks._domains import registrable_domain
from factlinks._shard import shard_plan

pytestmark = pytest.mark.integration

from shard_farm import registry, serve  # noqa: E402

TOTAL = 2000
SHARDS = 4
TIMING_SOURCE = ("elapsed_ms", "checked_at")
TIMING_RUN = ("started_at", "finished_at")
TIMING_HISTORY = ("first_failure", "last_success", "not_modified_since")
_TOKEN = re.compile(r"factlinks-(?:probe-)?[0-9a-f]{8,}")


def _untimed(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` without its timing fields (the run's start and end, each source's
    duration and time of check, the times in its history); the soft-404 probe's random
    sibling name made fixed."""
    data = {key: value for key, value in report.items() if key not in TIMING_RUN}
    sources = []
    for source in data["sources"]:
        source = {key: value for key, value in source.items() if key not in TIMING_SOURCE}
        probe, history = source["probe"], source["history"]
        if probe is not None:
            fixed = {key: _TOKEN.sub("TOKEN", probe[key] or "") for key in ("url", "final_url")}
            source["probe"] = {**probe, **fixed}
        if history is not None:
            source["history"] = {k: v for k, v in history.items() if k not in TIMING_HISTORY}
        sources.append(source)
    return {**data, "sources": sources}


def _rows(path: Path) -> list[tuple[Any, ...]]:
    with factlinks.open_history(path) as history:
        rows = history.latest_results()
    return sorted(
        (r.source_id, r.url, r.status, r.http_status, r.final_url, r.verification) for r in rows
    )


def test_four_shards_merged_equal_one_run(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    with serve() as (remap, ip_port):
        domains = registry(sources, TOTAL, ip_port=ip_port)
        common = ["--no-archive", "--per-host", "4", "--concurrency", "64", "-q", *remap]
        common += ["--format", "json,md,html,junit"]
        whole = ["check", str(sources), "--out", "whole", "--state", "whole.db"]
        assert main([*whole, *common]) == 1  # the farm has dead and drifted sources
        for k in range(1, SHARDS + 1):
            argv = ["check", str(sources), "--out", f"shard-{k}", "--state", f"shard-{k}.db"]
            assert main([*argv, "--shard", f"{k}/{SHARDS}", *common]) == 1
    shard_dirs = [f"shard-{k}" for k in (3, 1, 4, 2)]  # any order
    states = [arg for k in range(1, SHARDS + 1) for arg in ("--shard-state", f"shard-{k}.db")]
    argv = ["merge", "merged", *shard_dirs, "--format", "json,md,html,junit", "-q"]
    assert main([*argv, "--state", "merged.db", *states]) == 1

    whole_json = json.loads(Path("whole/report.json").read_text("utf-8"))
    merged_json = json.loads(Path("merged/report.json").read_text("utf-8"))
    assert whole_json["summary"]["total"] == TOTAL
    assert _untimed(merged_json) == _untimed(whole_json)
    assert {p.name for p in Path("merged").iterdir()} == {p.name for p in Path("whole").iterdir()}
    assert _rows(Path("merged.db")) == _rows(Path("whole.db"))

    shard_of: dict[str, int] = {}
    sizes = []
    for k in range(1, SHARDS + 1):
        shard = json.loads(Path(f"shard-{k}/report.json").read_text("utf-8"))
        assert shard["shard"]["index"] == k
        assert shard["notes"][0].startswith(f"Shard {k} of {SHARDS}:")
        sizes.append(len(shard["sources"]))
        for item in shard["sources"]:
            shard_of[item["id"]] = k
    assert len(shard_of) == TOTAL
    # No registrable domain in two shards: by the farm's own account of its domains ...
    spread: defaultdict[str, set[int]] = defaultdict(set)
    for source_id, k in shard_of.items():
        spread[domains[source_id]].add(k)
    assert all(len(ks) == 1 for ks in spread.values())
    # ... and by the PSL's, host by host.
    for item in whole_json["sources"]:
        host = item["url"].split("/")[2].split(":")[0]
        assert registrable_domain(host) == domains[item["id"]]
    largest = max(Counter(domains.values()).values())
    print(f"\n{len(spread)} registrable domains (largest {largest} sources); shards: {sizes}")
    assert max(sizes) - min(sizes) <= largest  # largest-first greedy: within one domain


def test_the_plan_is_the_shards_own(tmp_path: Path) -> None:
    """Each shard's report holds exactly the sources the plan gives it, in registry order."""
    sources = tmp_path / "sources.toml"
    registry(sources, 300, ip_port=9)
    loaded = factlinks.load_sources(sources)
    plan = shard_plan(loaded.sources, 3)
    for k in (1, 2, 3):
        part = factlinks.select_shard(loaded, k, 3)
        assert [s.id for s in part.registry] == [
            s.id for s, shard in zip(loaded, plan, strict=True) if shard == k
        ]
        assert list(part.shard.positions) == sorted(part.shard.positions)
