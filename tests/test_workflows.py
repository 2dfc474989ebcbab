"""The GitHub Actions workflows: the nightly citation check and CI.

actionlint and zizmor (``.ci/lint-workflows``) check that the workflows are valid and safe; these
tests check that they do what the project promises: the nightly job runs ``factlinks check``,
keeps the history in the Actions cache, uploads the reports, reports failures in one issue and
proposes moved URLs in one pull request, with least-privilege permissions and actions pinned to
commit SHAs.

The workflows are read with a small parser for the block-style YAML subset they are written in
(mappings, sequences, plain and quoted scalars, ``|`` and ``>`` block scalars, ``[]``/``{}``
flow collections of scalars), so the tests need no YAML library. It refuses what it does not
understand instead of guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NIGHTLY = WORKFLOWS / "nightly.yml"
ACTION = ROOT / "action.yml"
RELEASE = WORKFLOWS / "release.yml"
CI = WORKFLOWS / "ci.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
CI_RUN = ROOT / ".ci" / "run"

STATE_DB = ".factlinks/state.db"
REPORT_DIR = "factlinks-report"


# --- a parser for the YAML subset of the workflows ----------------------------------------------


class YamlSubsetError(ValueError):
    """The text uses YAML that the small parser does not handle."""


_BLOCK_SCALAR = re.compile(r"^([|>])([+-]?)$")


def _strip_comment(text: str) -> str:
    """Remove a trailing ``# comment`` (a ``#`` after whitespace, outside quotes)."""
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == "\\" and quote == '"':
                continue
            if ch == quote and not (quote == '"' and i > 0 and text[i - 1] == "\\"):
                quote = ""
        elif ch in "'\"" and text[:i].rstrip()[-1:] in ("", ":", "-", "[", "{", ","):
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    if quote:
        raise YamlSubsetError(f"unterminated quoted scalar: {text!r}")
    return text.rstrip()


def _split_flow(inner: str) -> list[str]:
    items: list[str] = []
    current = ""
    quote = ""
    for ch in inner:
        if quote:
            current += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current += ch
        elif ch in "[]{}":
            raise YamlSubsetError(f"nested flow collection: [{inner}]")
        elif ch == ",":
            items.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        items.append(current.strip())
    return items


def _scalar(text: str) -> Any:
    """A flow value: every scalar stays a string (as YAML's base loader keeps them)."""
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise YamlSubsetError(f"bad double-quoted scalar: {text!r}")
        return json.loads(text)
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise YamlSubsetError(f"bad single-quoted scalar: {text!r}")
        return text[1:-1].replace("''", "'")
    if text == "{}":
        return {}
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(item) for item in _split_flow(text[1:-1])]
    if text[:1] in ("{", "[", "&", "*", "!", "%", "@", "`"):
        raise YamlSubsetError(f"unsupported YAML value: {text!r}")
    return text


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _split_key(content: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*):(?:\s+(.*))?$", content)
    if not match:
        raise YamlSubsetError(f"expected 'key: value', got {content!r}")
    return match.group(1), match.group(2) or ""


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.pos = 0

    def peek(self) -> tuple[int, str] | None:
        """The indent and content of the next line that is neither blank nor a comment."""
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            stripped = raw.strip()
            if stripped and not stripped.startswith("#"):
                indent = len(raw) - len(raw.lstrip(" "))
                if raw[indent] == "\t":
                    raise YamlSubsetError(f"line {self.pos + 1}: tab indentation")
                return indent, _strip_comment(stripped)
            self.pos += 1
        return None

    def document(self) -> Any:
        first = self.peek()
        if first is None:
            return None
        node = self.node(first[0])
        if self.peek() is not None:
            raise YamlSubsetError(f"line {self.pos + 1}: unexpected indentation")
        return node

    def node(self, indent: int) -> Any:
        nxt = self.peek()
        assert nxt is not None
        return self.sequence(indent) if _is_item(nxt[1]) else self.mapping(indent)

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while (nxt := self.peek()) is not None and nxt[0] == indent and not _is_item(nxt[1]):
            key, rest = _split_key(nxt[1])
            if key in result:
                raise YamlSubsetError(f"line {self.pos + 1}: duplicate key {key!r}")
            self.pos += 1
            result[key] = self.value(rest, indent)
        if nxt is not None and nxt[0] > indent:
            raise YamlSubsetError(f"line {self.pos + 1}: unexpected indentation")
        return result

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while (nxt := self.peek()) is not None and nxt[0] == indent and _is_item(nxt[1]):
            content = nxt[1][1:].lstrip()
            if not content:
                self.pos += 1
                items.append(self.value("", indent))
            elif re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*:(\s|$)", content):
                # "- key: value" opens a mapping whose keys line up with "key".
                column = indent + len(nxt[1]) - len(content)
                self.lines[self.pos] = " " * column + content
                items.append(self.mapping(column))
            else:
                self.pos += 1
                items.append(_scalar(content))
        return items

    def value(self, rest: str, indent: int) -> Any:
        style = _BLOCK_SCALAR.match(rest)
        if style:
            return self.block_scalar(style.group(1), style.group(2), indent)
        if rest:
            return _scalar(rest)
        nxt = self.peek()
        if nxt is None or nxt[0] < indent or (nxt[0] == indent and not _is_item(nxt[1])):
            return ""  # an empty value, as YAML's base loader reads it
        return self.node(nxt[0])

    def block_scalar(self, style: str, chomp: str, indent: int) -> str:
        body: list[str] = []
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            if raw.strip() and len(raw) - len(raw.lstrip(" ")) <= indent:
                break
            body.append(raw)
            self.pos += 1
        while body and not body[-1].strip():
            body.pop()
        if not body:
            return ""
        margin = min(len(line) - len(line.lstrip(" ")) for line in body if line.strip())
        lines = [line[margin:] for line in body]
        if style == "|":
            text = "\n".join(lines)
        else:  # folded: lines join with spaces, an empty line is a line break
            text = ""
            for line in lines:
                if not line:
                    text += "\n"
                elif text and not text.endswith("\n"):
                    text += " " + line
                else:
                    text += line
        return text if chomp == "-" else text + "\n"


def parse_yaml(text: str) -> Any:
    """Parse the block-style YAML subset the workflows are written in; scalars stay strings."""
    return _Parser(text).document()


# --- helpers ------------------------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    data = parse_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a mapping"
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    result = job.get("steps") or []
    assert isinstance(result, list)
    return result


def all_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in workflow["jobs"].items():
        for step in steps(job):
            yield name, step


def action(step: dict[str, Any]) -> str:
    """The action a step uses, without its ref: 'actions/cache/save'."""
    return str(step.get("uses", "")).split("@", 1)[0]


def job_script(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in steps(job))


def find_step(job: dict[str, Any], predicate: Any) -> int:
    for index, step in enumerate(steps(job)):
        if predicate(step):
            return index
    raise AssertionError("no such step")


@pytest.fixture(scope="module")
def nightly() -> dict[str, Any]:
    return load(NIGHTLY)


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load(CI)


@pytest.fixture(scope="module")
def composite() -> dict[str, Any]:
    """The composite action of action.yml, whose steps the nightly check job runs."""
    return load(ACTION)


def check_job(nightly: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job that runs this repository's action (``uses: ./``), which runs the check."""
    for name, job in nightly["jobs"].items():
        if any(step.get("uses") == "./" for step in steps(job)):
            return name, job
    raise AssertionError("no job of the nightly workflow uses the action (uses: ./)")


def action_step(job: dict[str, Any]) -> dict[str, Any]:
    return steps(job)[find_step(job, lambda s: s.get("uses") == "./")]


def action_steps(composite: dict[str, Any]) -> dict[str, Any]:
    """The composite action as a job, for the step helpers."""
    return {"steps": composite["runs"]["steps"]}


# --- the parser itself --------------------------------------------------------------------------


def test_parser_reads_the_subset() -> None:
    text = """\
# a comment
name: Demo # trailing comment
on:
  schedule:
    - cron: "0 3 * * *" # nightly
  workflow_dispatch:
permissions: {}
env:
  A: '#not a comment'
  B: [ "3.11", '3.12', 3.13 ]
jobs:
  one:
    steps:
      - name: Script
        run: |
          echo "a: b" # kept: inside a block scalar
          # also kept

          echo done
        if: >-
          always()
          && true
      - uses: actions/checkout@0123456789abcdef0123456789abcdef01234567 # v4
        with:
          persist-credentials: false
"""
    assert parse_yaml(text) == {
        "name": "Demo",
        "on": {"schedule": [{"cron": "0 3 * * *"}], "workflow_dispatch": ""},
        "permissions": {},
        "env": {"A": "#not a comment", "B": ["3.11", "3.12", "3.13"]},
        "jobs": {
            "one": {
                "steps": [
                    {
                        "name": "Script",
                        "run": (
                            'echo "a: b" # kept: inside a block scalar\n# also kept\n\necho done\n'
                        ),
                        "if": "always() && true",
                    },
                    {
                        "uses": "actions/checkout@0123456789abcdef0123456789abcdef01234567",
                        "with": {"persist-credentials": "false"},
                    },
                ]
            }
        },
    }


@pytest.mark.parametrize(
    "text",
    ["a: &anchor x\n", "a: {b: c}\n", "a: [[1]]\n", "a:\n  b: 1\n   c: 2\n", "a: 1\na: 2\n"],
)
def test_parser_refuses_what_it_does_not_know(text: str) -> None:
    with pytest.raises(YamlSubsetError):
        parse_yaml(text)


# --- the nightly workflow -----------------------------------------------------------------------


def test_nightly_runs_on_a_schedule_and_by_hand(nightly: dict[str, Any]) -> None:
    triggers = nightly["on"]
    assert isinstance(triggers, dict)
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert crons, "no cron schedule"
    for cron in crons:
        assert len(cron.split()) == 5, cron
    assert "workflow_dispatch" in triggers


def test_nightly_runs_factlinks_check_with_all_reports(
    nightly: dict[str, Any], composite: dict[str, Any]
) -> None:
    _, job = check_job(nightly)
    given = action_step(job)["with"]
    assert set(given["formats"].split(",")) >= {"json", "md", "html", "junit"}
    assert given["report-dir"] == REPORT_DIR
    # Exit code 1 (failing citations) goes on to the issue; 2 and 3 fail the job (the action).
    assert given["fail"] == "false"
    script = job_script(action_steps(composite))
    command = re.search(r"^\s*command=\(.*check\b.*$", script, re.MULTILINE)
    assert command is not None, "the action does not run factlinks check"
    assert '--out "$INPUT_REPORT_DIR"' in command.group(0)
    assert "exit-code=" in script
    assert "GITHUB_OUTPUT" in script
    assert "set +e" in script


def test_nightly_installs_factlinks(nightly: dict[str, Any], composite: dict[str, Any]) -> None:
    script = job_script(action_steps(composite))
    assert re.search(r'pip install .*"\$GITHUB_ACTION_PATH"', script), "the action's own ref"
    assert nightly["env"]["FACTLINKS_PACKAGE"] == ".", "this repository checks itself"


def test_nightly_restores_and_saves_the_state_database(
    nightly: dict[str, Any], composite: dict[str, Any]
) -> None:
    _, job = check_job(nightly)
    assert action_step(job)["with"]["state"] == STATE_DB
    assert composite["inputs"]["state"]["default"] == STATE_DB
    actions = action_steps(composite)
    check = find_step(actions, lambda s: "check" in str(s.get("run", "")) and "set +e" in s["run"])
    restore = find_step(actions, lambda s: action(s) == "actions/cache/restore")
    save = find_step(actions, lambda s: action(s) == "actions/cache/save")
    assert restore < check < save
    restore_with = steps(actions)[restore]["with"]
    save_with = steps(actions)[save]["with"]
    assert restore_with["path"] == save_with["path"] == "${{ inputs.state }}"
    # A key that changes on every run, and a prefix to restore the newest earlier copy.
    assert restore_with["key"] == save_with["key"]
    assert "github.run_id" in save_with["key"]
    prefixes = restore_with["restore-keys"].split()
    assert prefixes
    assert all(save_with["key"].startswith(prefix) for prefix in prefixes)


def test_nightly_uploads_the_report_folder(
    nightly: dict[str, Any], composite: dict[str, Any]
) -> None:
    _, job = check_job(nightly)
    given = action_step(job)["with"]
    assert given["artifact-name"] == "factlinks-report"
    actions = action_steps(composite)
    upload = steps(actions)[find_step(actions, lambda s: action(s) == "actions/upload-artifact")]
    assert upload["with"]["path"] == "${{ inputs.report-dir }}"
    assert upload["with"]["name"] == "${{ inputs.artifact-name }}"
    assert "always()" in upload["if"]
    # The issue and fix jobs read the action's outputs.
    outputs = job["outputs"]
    for name in ("exit-code", "failing", "moved"):
        assert outputs[name] == f"${{{{ steps.factlinks.outputs.{name} }}}}"
        assert name in composite["outputs"]


def test_nightly_keeps_one_citation_health_issue(nightly: dict[str, Any]) -> None:
    jobs = [job for job in nightly["jobs"].values() if "gh issue" in job_script(job)]
    assert len(jobs) == 1
    script = job_script(jobs[0])
    assert nightly["env"]["ISSUE_LABEL"] == "citation-health"
    for command in ("gh issue list", "gh issue create", "gh issue edit", "gh issue close"):
        assert command in script, command
    assert '--label "$ISSUE_LABEL"' in script


def test_nightly_proposes_moved_urls_in_one_pull_request(nightly: dict[str, Any]) -> None:
    check_name, _ = check_job(nightly)
    jobs = [job for job in nightly["jobs"].values() if "factlinks fix" in job_script(job)]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["needs"] == check_name
    assert "moved" in job["if"]
    script = job_script(job)
    assert re.search(rf"factlinks fix .*--report {REPORT_DIR}/report.json --apply", script)
    assert nightly["env"]["FIX_BRANCH"] == "factlinks/fix-moved-urls"
    for command in ("gh pr list", "gh pr create", "gh pr edit", "git push"):
        assert command in script, command
    assert "github-actions[bot]" in script
    downloads = [s for s in steps(job) if action(s) == "actions/download-artifact"]
    assert downloads
    assert downloads[0]["with"]["name"] == "factlinks-report"


def test_nightly_runs_never_overlap(nightly: dict[str, Any]) -> None:
    concurrency = nightly["concurrency"]
    assert concurrency["group"]
    assert "${{" not in concurrency["group"], "one group for every run, whatever the branch"
    assert concurrency["cancel-in-progress"] == "false"


def test_nightly_permissions_are_least_privilege(nightly: dict[str, Any]) -> None:
    assert nightly["permissions"] == {}
    for name, job in nightly["jobs"].items():
        permissions = job["permissions"]
        assert isinstance(permissions, dict), f"{name}: permissions must be listed one by one"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        script = job_script(job)
        if any(step.get("uses") == "./" for step in steps(job)):
            assert not writes, f"{name} runs the check and needs no write access"
        if writes & {"issues"}:
            assert "gh issue" in script
        if writes & {"contents", "pull-requests"}:
            assert "git push" in script
            assert "gh pr" in script
        assert writes <= {"issues", "contents", "pull-requests"}, f"{name}: {writes}"


# --- both workflows -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [NIGHTLY, CI, RELEASE, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_sha(path: Path) -> None:
    uses = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        # The one local reference, this repository's own action (uses: ./), needs no pin.
        if re.match(r"^\s*(- )?uses:", line) and not re.search(r"uses: \./(\s|$)", line)
    ]
    assert uses
    for line in uses:
        assert re.fullmatch(
            r"(- )?uses: [\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*", line
        ), f"{path.name}: not pinned to a commit SHA with a version comment: {line}"


@pytest.mark.parametrize("path", [NIGHTLY, CI, RELEASE], ids=lambda p: p.name)
def test_top_level_permissions_and_no_expressions_in_scripts(path: Path) -> None:
    workflow = load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level permissions"
    assert workflow["permissions"] in ({}, "read-all") or all(
        level in ("read", "none") for level in workflow["permissions"].values()
    )
    for job_name, step in all_steps(workflow):
        # Untrusted values reach scripts through env:, never through ${{ }} in the script.
        assert "${{" not in str(step.get("run", "")), f"{path.name}: {job_name}: {step}"
        if action(step) == "actions/checkout":
            assert step["with"]["persist-credentials"] == "false"


def test_ci_runs_the_quality_gates_on_python_311_to_313(ci: dict[str, Any]) -> None:
    assert {"push", "pull_request"} <= set(ci["on"])
    versions = set()
    for job in ci["jobs"].values():
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        versions |= set(matrix.get("python-version", []))
    assert {"3.11", "3.12", "3.13"} <= versions
    script = CI_RUN.read_text(encoding="utf-8")
    for command in (
        "ruff check .",
        "ruff format --check .",
        "mypy --strict src",
        "pytest",
        ".ci/lint-workflows",
    ):
        assert command in script, command


def test_ci_runs_ci_run_in_every_job_of_the_matrix(ci: dict[str, Any]) -> None:
    """One CI: GitHub runs .ci/run itself, so it cannot drift from what CI means here."""
    test_jobs = [job for job in ci["jobs"].values() if "python-version" in str(job)]
    assert test_jobs
    for job in test_jobs:
        assert "python-version" in job["strategy"]["matrix"]
        runs = [str(step.get("run", "")).strip() for step in steps(job)]
        assert ".ci/run" in runs, runs
        setup = find_step(job, lambda step: action(step) == "actions/setup-python")
        assert setup < runs.index(".ci/run")  # .ci/run's python3 is the matrix version
    for job_name, job in ci["jobs"].items():
        # Nothing runs the gates beside .ci/run, where they could skip or differ.
        assert not re.search(r"\b(pytest|ruff|mypy)\b", job_script(job)), job_name


def test_ci_run_requires_the_browser_and_runs_the_readme_command() -> None:
    script = CI_RUN.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert command in readme
    assert re.search(rf"^{re.escape(command)}$", script, re.MULTILINE)
    assert re.search(r"^export FACTLINKS_REQUIRE_BROWSER=1$", script, re.MULTILINE)
    assert script.index("FACTLINKS_REQUIRE_BROWSER=1") < script.index(command)
    assert "apt-get install -y -qq chromium" in script
    assert "sudo -n" in script  # GitHub's runners are not root
    assert "playwright install" not in script.replace("'playwright install'", "")


def test_dependabot_keeps_the_action_pins_current() -> None:
    config = load(DEPENDABOT)
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert "github-actions" in ecosystems


# --- the release --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    return load(RELEASE)


def test_release_runs_on_version_tags_only(release: dict[str, Any]) -> None:
    assert release["on"] == {"push": {"tags": ["v*"]}}


def test_release_builds_once_checks_and_publishes_the_same_files(release: dict[str, Any]) -> None:
    jobs = release["jobs"]
    build = job_script(jobs["build"])
    # The tag must be v + the package version.
    assert '"$GITHUB_REF_NAME" != "v$version"' in build
    assert "src/factlinks/_version.py" in build
    assert "python -m build --outdir dist" in build
    assert "twine check --strict dist/*" in build
    assert "python .ci/check-wheel dist" in build
    upload = steps(jobs["build"])[
        find_step(jobs["build"], lambda s: action(s) == "actions/upload-artifact")
    ]
    assert upload["with"]["name"] == "dist"
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert not job_script(publish).strip(), "the publish job runs nothing of its own"
    fetch = find_step(publish, lambda s: action(s) == "actions/download-artifact")
    download = steps(publish)[fetch]
    assert download["with"]["name"] == "dist"
    uses = [action(step) for step in steps(publish)]
    assert uses[-1] == "pypa/gh-action-pypi-publish"
    # Trusted publishing: no token or password anywhere.
    assert "password" not in steps(publish)[-1].get("with", {})
    assert "secrets." not in RELEASE.read_text(encoding="utf-8")


def test_release_permissions_are_least_privilege(release: dict[str, Any]) -> None:
    assert release["permissions"] == {}
    jobs = release["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert "environment" not in jobs["build"]


def test_ci_run_builds_and_checks_the_release_files() -> None:
    script = CI_RUN.read_text(encoding="utf-8")
    for command in (
        '.venv/bin/python -m build --outdir "$dist" .',
        '.venv/bin/twine check --strict "$dist"/*',
        '.venv/bin/python .ci/check-wheel "$dist"',
    ):
        assert re.search(rf"^{re.escape(command)}$", script, re.MULTILINE), command
    # The lint covers the composite action too.
    assert "action.yml" in (ROOT / ".ci" / "lint-workflows").read_text(encoding="utf-8")
