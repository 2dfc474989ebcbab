"""The process tree of a run stays under 1 GiB on the worst inputs (issue 9, point 2).

``python -m factlinks check`` runs as a subprocess over a loopback farm serving compression
bombs of every layering and several 5 MB pages at once; the RSS of the whole tree (the
main process and its parse workers) is sampled from /proc every 10 ms.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from farm import Farm
from memory_farm import CASES, serve, write_registry
from rss import TreeSampler

GIB = 1 << 30

pytestmark = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")


def test_the_tree_of_a_hostile_run_stays_under_1_gib(tmp_path: Path) -> None:
    registry = tmp_path / "sources.toml"
    write_registry(registry)
    with Farm() as farm:
        rule = serve(farm)
        command = [sys.executable, "-m", "factlinks", "check", str(registry)]
        command += ["--out", str(tmp_path / "out"), "--format", "json,md"]
        command += ["--max-bytes", "5000000", "--timeout", "60", "--no-state", "--no-archive"]
        command += ["-q", "--remap", rule]
        with (tmp_path / "stderr.txt").open("w+", encoding="utf-8") as errors:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
            sampler = TreeSampler(process.pid)
            sampler.start()
            try:
                code = process.wait(timeout=900)
            finally:
                sampler.stop()
            errors.seek(0)
            stderr = errors.read()
    assert code in (0, 1), stderr
    assert sampler.samples > 10
    assert sampler.peak_bytes < GIB, f"peak tree RSS {sampler.peak_bytes / 2**20:.0f} MiB"
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    got = {item["url"].rsplit("/", 1)[1]: item for item in report["sources"]}
    for case in CASES:
        item = got[case.path.lstrip("/")]
        assert item["status"] == case.expected, (case.name, item["reason"])
        if case.expected == "unverifiable" and "bomb" in case.name:
            assert item["truncated"], case.name
            assert item["bytes"] == 5_000_000
    assert "'compress'" in got["unknown"]["reason"]
    assert "the br data is corrupt" in got["br-garbage"]["reason"]
