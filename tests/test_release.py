"""The release files: the sdist and the wheel hold what they must, and the wheel works alone.

``.ci/check-wheel`` is the check CI and release.yml run on the files ``python -m build`` makes
(the wheel installed into a fresh virtual environment with its dependencies from the registry,
then a real ``factlinks check`` against a web server on 127.0.0.1). Here it runs offline on
files built by the test environment's hatchling: pip may not use an index and finds the
dependencies on ``PYTHONPATH``, a folder of links to the test environment's packages without
factlinks (as in tests/test_precommit.py), so the factlinks that runs is the wheel's. And it
fails on a wheel that lacks its package data.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from offline_pip import offline_pip_env

REPO = Path(__file__).resolve().parent.parent
CHECK_WHEEL = REPO / ".ci" / "check-wheel"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return offline_pip_env(tmp_path_factory.mktemp("deps"), drop=["GITHUB_"])


def _check(dist: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK_WHEEL), str(dist)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_built_wheel_installed_alone_checks_a_local_web(
    dist: Path, offline_env: dict[str, str]
) -> None:
    done = _check(dist, offline_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests, LICENSE, schema and templates in" in done.stdout
    assert "package data in" in done.stdout
    assert "the wheel alone in a fresh venv: exit 1, {'kept': 'ok', 'gone': 'dead'}" in done.stdout


@pytest.mark.parametrize(
    "left_out",
    ["factlinks/py.typed", "factlinks/report.schema.json", "factlinks/_report/templates/"],
)
def test_a_wheel_without_its_package_data_fails(
    dist: Path, tmp_path: Path, offline_env: dict[str, str], left_out: str
) -> None:
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    shutil.copy(sdist, tmp_path)
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(tmp_path / wheel.name, "w") as copy:
        for item in source.infolist():
            if not item.filename.startswith(left_out):
                copy.writestr(item, source.read(item))
    done = _check(tmp_path, offline_env)
    assert done.returncode != 0
    assert "lacks" in done.stderr
    assert left_out.rstrip("/") in done.stderr or "report.html.j2" in done.stderr
