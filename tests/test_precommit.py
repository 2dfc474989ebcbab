"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run by ``pre-commit try-repo`` against
this repository on fixture repositories: a clean one passes, a broken one fails with the file
and line.

pre-commit installs the hook's environment as it does for its users: a virtualenv, then
``pip install .`` from its copy of this repository, kept offline by :mod:`offline_pip` (no
index; the dependencies come from the test environment), so the hook runs the factlinks
pre-commit installed and not this checkout's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline_pip import offline_pip_env

REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]

REGISTRY = """\
[[source]]
id = "kfw"
url = "https://www.kfw.de/studie.pdf"
cited_in = ["brief"]
"""

BRIEF = "# Brief\n\nThe study: https://www.kfw.de/studie.pdf\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _fixture_repo(path: Path, registry: str, brief: str) -> Path:
    path.mkdir()
    _git(path, "init", "-q")
    (path / "sources.toml").write_text(registry, encoding="utf-8")
    (path / "brief.md").write_text(brief, encoding="utf-8")
    (path / "notes.py").write_text("URL = 'https://unregistered.example.org/'\n")
    _git(path, "add", ".")
    _git(path, "commit", "-q", "-m", "fixture")
    return path


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for pre-commit: its own home, and pip kept offline (module doc)."""
    env = offline_pip_env(tmp_path_factory.mktemp("deps"), drop=["PRE_COMMIT_"])
    env.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        VIRTUALENV_NO_DOWNLOAD="1",
        VIRTUALENV_PIP="embed",
        VIRTUALENV_SETUPTOOLS="none",
        VIRTUALENV_WHEEL="none",
    )
    return env


def _try_repo(repo: Path, hook: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    pre_commit = [sys.executable, "-m", "pre_commit"]
    return subprocess.run(
        [*pre_commit, "try-repo", str(REPO), hook, "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_both_hooks_pass_on_a_clean_repository(tmp_path: Path, offline_env: dict[str, str]) -> None:
    repo = _fixture_repo(tmp_path / "clean", REGISTRY, BRIEF)
    for hook in ("factlinks-validate", "factlinks-cited"):
        run = _try_repo(repo, hook, offline_env)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Passed" in run.stdout


def test_validate_fails_on_a_broken_registry_with_the_file_and_line(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    broken = REGISTRY + '\n[[source]]\nid = "kfw"\nurl = "https://x.org/"\n'
    repo = _fixture_repo(tmp_path / "broken", broken, BRIEF)
    run = _try_repo(repo, "factlinks-validate", offline_env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Failed" in run.stdout
    assert "sources.toml:6: source 'kfw': duplicate id (also line 1)" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_cited_fails_on_an_unregistered_url_with_the_file_and_line(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    brief = BRIEF + "\nAnd a new one: https://www.bmwk.de/ki.html\n"
    repo = _fixture_repo(tmp_path / "uncited", REGISTRY, brief)
    run = _try_repo(repo, "factlinks-cited", offline_env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "brief.md:5: https://www.bmwk.de/ki.html is cited but not registered" in run.stdout
    assert "notes.py" not in run.stdout  # code is not a document the hook reads
