"""The sharded nightly example (``.github/workflows/nightly-matrix.yml``, docs/scale.md).

actionlint and zizmor (``.ci/lint-workflows``) check it like the other workflows; these tests
check what it promises: N matrix shards of ``factlinks check --shard K/N`` that each upload
their report and history, and a merge job whose script, run here with bash on real shard
artifacts, merges them into one report set and one history.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import factlinks
from test_merge import _record, _registry, _shards, _whole
from test_workflows import WORKFLOWS, action, all_steps, load, steps

MATRIX = WORKFLOWS / "nightly-matrix.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load(MATRIX)


def _step(job: dict[str, Any], needle: str) -> dict[str, Any]:
    return next(step for step in steps(job) if needle in str(step.get("run", "")))


def test_every_action_is_pinned_and_scripts_take_no_expressions(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*(- )?uses:", line):
            assert re.fullmatch(r"\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line)
    for job_name, step in all_steps(workflow):
        assert "${{" not in str(step.get("run", "")), f"{job_name}: {step}"
        if action(step) == "actions/checkout":
            assert step["with"]["persist-credentials"] == "false"
    for job in workflow["jobs"].values():
        assert all(level == "read" for level in job["permissions"].values())


def test_the_matrix_runs_every_shard_and_uploads_it(workflow: dict[str, Any]) -> None:
    check = workflow["jobs"]["check"]
    assert check["strategy"]["fail-fast"] == "false"
    assert check["strategy"]["matrix"]["shard"] == ["1", "2", "3", "4"]  # plain scalars
    step = _step(check, "factlinks check")
    assert step["env"]["SHARD"] == "${{ matrix.shard }}/${{ strategy.job-total }}"
    assert '--shard "$SHARD"' in step["run"]
    assert "cp .factlinks/state.db shard-report/state.db" in step["run"]
    upload = next(s for s in steps(check) if action(s) == "actions/upload-artifact")
    assert upload["with"]["name"] == "factlinks-shard-${{ matrix.shard }}"
    assert upload["with"]["path"] == "shard-report/"
    merge = workflow["jobs"]["merge"]
    assert merge["needs"] == "check"
    download = next(s for s in steps(merge) if action(s) == "actions/download-artifact")
    assert download["with"] == {"pattern": "factlinks-shard-*", "path": "shards"}
    restore = [s for s in steps(merge) if action(s) == "actions/cache/restore"]
    save = [s for s in steps(merge) if action(s) == "actions/cache/save"]
    assert restore[0]["with"]["path"] == save[0]["with"]["path"] == ".factlinks/state.db"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_merge_script_merges_the_downloaded_shards(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    """The merge job's script, as written, on the layout download-artifact leaves."""
    registry = _registry()
    for report in _shards(registry, 3):
        assert report.shard is not None
        folder = tmp_path / "shards" / f"factlinks-shard-{report.shard.index}"
        factlinks.write_report(report, folder, formats=["json"])
        _record(folder / "state.db", report)
    script = _step(workflow["jobs"]["merge"], "factlinks merge")["run"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr  # exit 1 of merge is a warning, not a failure
    assert "::warning title=factlinks::Citations in a failing status" in done.stdout
    data = json.loads((tmp_path / "factlinks-report" / "report.json").read_text("utf-8"))
    assert [s["id"] for s in data["sources"]] == [s.id for s in registry]
    assert len(list((tmp_path / "factlinks-report").iterdir())) == 4
    _record(tmp_path / "whole.db", _whole(registry))
    with (
        factlinks.open_history(tmp_path / ".factlinks" / "state.db") as merged,
        factlinks.open_history(tmp_path / "whole.db") as whole,
    ):
        assert merged.runs() == 1
        key = lambda row: row.source_id  # noqa: E731
        assert sorted(merged.latest_results(), key=key) == sorted(whole.latest_results(), key=key)
