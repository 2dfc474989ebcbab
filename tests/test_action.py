"""The composite action of ``action.yml``: its shell steps run here as a runner would run them.

The test reads ``action.yml``, takes the ``run:`` steps of the composite action in order and
runs each with bash as GitHub's runner does (``bash --noprofile --norc -eo pipefail``), with the
environment a runner gives a step: the step's ``env:`` mapping with its ``${{ }}`` expressions
resolved (inputs, earlier steps' outputs, ``github.action_path``), a fresh ``GITHUB_OUTPUT``
and ``GITHUB_STEP_SUMMARY`` per step, ``GITHUB_ACTION_PATH`` (this checkout) and
``RUNNER_TEMP``. After a failed step only steps marked ``always()`` would run; none of the
``run:`` steps is. The ``uses:`` steps (setup-python, the cache, the upload) are GitHub's own and
are left out; setup-python's ``python-path`` output is this interpreter.

The install step runs for real, once: it makes a virtual environment and pip installs this
checkout into it, kept offline by :mod:`offline_pip` (no index, no build isolation, the
dependencies from the test environment), so the steps run the factlinks that the install step
installed. The citations are checked against
a web server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline_pip import offline_pip_env

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"

pytestmark = pytest.mark.integration

PAGE = b"""<!doctype html><html><head><title>The kept page</title></head>
<body><h1>The kept page</h1><p>A document that is still where it was cited.</p></body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/page":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def registry(base: str, *, dead: bool) -> str:
    text = f'[[source]]\nid = "kept"\nurl = "{base}/page"\ntitle = "The kept page"\n'
    if dead:
        text += f'\n[[source]]\nid = "gone"\nurl = "{base}/gone"\ntitle = "A gone page"\n'
    return text


# --- a runner for the composite action's run steps ------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Run:
    """What one run of the action left: step outcomes, outputs, job summary."""

    outcomes: dict[str, str] = field(default_factory=dict)  # step id or name -> success/failure
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> outputs
    summary: str = ""
    logs: str = ""
    action_outputs: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return "failure" in self.outcomes.values()


def load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _resolve(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if m := re.fullmatch(r"inputs\.([\w-]+)", expression):
            return inputs[m.group(1)]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return outputs.get(m.group(1), {}).get(m.group(2), "")
        if expression == "github.action_path":
            return str(REPO)
        raise AssertionError(f"expression the test runner does not know: {expression}")

    return _EXPRESSION.sub(value, text)


def _read_outputs(path: Path) -> dict[str, str]:
    result: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            name, delimiter = line.split("<<", 1)
            body = []
            for item in lines:
                if item == delimiter:
                    break
                body.append(item)
            result[name] = "\n".join(body)
        elif line:
            name, _, val = line.partition("=")
            result[name] = val
    return result


class Runner:
    """Runs the action's ``run:`` steps; ``uses:`` steps are left out (module docstring)."""

    def __init__(self, base_env: dict[str, str], temp: Path) -> None:
        self.action = load_action()
        self.base_env = base_env
        self.temp = temp
        self.installed: dict[str, str] | None = None

    def inputs(self, given: dict[str, str]) -> dict[str, str]:
        declared = self.action["inputs"]
        unknown = set(given) - set(declared)
        assert not unknown, f"no such inputs: {unknown}"
        return {
            name: given.get(name, str(spec.get("default", ""))) for name, spec in declared.items()
        }

    def run(self, workspace: Path, given: dict[str, str], *, install: bool = False) -> Run:
        inputs = self.inputs(given)
        run = Run()
        runner_temp = workspace.parent / f"{workspace.name}-runner-temp"
        runner_temp.mkdir()
        for index, step in enumerate(self.action["runs"]["steps"]):
            key = str(step.get("id") or step["name"])
            if "uses" in step:
                if step.get("id") == "python":
                    run.outputs[key] = {"python-path": sys.executable}
                continue
            assert "if" not in step, "a run step with a condition: teach the runner about it"
            if run.failed:
                continue  # no run step is always(): skipped after a failure, as on GitHub
            if step.get("id") == "install" and not install:
                assert self.installed is not None, "the install step has not run yet"
                run.outputs[key] = dict(self.installed)
                continue
            self._step(index, step, key, inputs, run, workspace, runner_temp)
            if step.get("id") == "install" and run.outcomes[key] == "success":
                self.installed = run.outputs[key]
        run.action_outputs = {
            name: _resolve(str(spec["value"]), inputs, run.outputs)
            for name, spec in self.action["outputs"].items()
        }
        return run

    def _step(
        self,
        index: int,
        step: dict[str, Any],
        key: str,
        inputs: dict[str, str],
        run: Run,
        workspace: Path,
        runner_temp: Path,
    ) -> None:
        assert step["shell"] == "bash"
        files = runner_temp / f"step-{index}"
        files.mkdir()
        output, summary, script = files / "output", files / "summary", files / "script.sh"
        output.touch()
        summary.touch()
        script.write_text(str(step["run"]), encoding="utf-8")
        env = dict(self.base_env)
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_ACTION_PATH=str(REPO),
            GITHUB_WORKSPACE=str(workspace),
            RUNNER_TEMP=str(runner_temp),
        )
        for name, value in (step.get("env") or {}).items():
            env[name] = _resolve(str(value), inputs, run.outputs)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        run.logs += f"--- {key} (exit {done.returncode})\n{done.stdout}{done.stderr}"
        run.outcomes[key] = "success" if done.returncode == 0 else "failure"
        run.outputs[key] = _read_outputs(output)
        run.summary += summary.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """A runner whose install step has run, offline (module docstring)."""
    env = offline_pip_env(tmp_path_factory.mktemp("deps"), drop=["GITHUB_", "FACTLINKS_RUN_ID"])
    result = Runner(env, tmp_path_factory.mktemp("runner"))
    workspace = tmp_path_factory.mktemp("install") / "workspace"
    workspace.mkdir()
    # Only the install step: the registry does not exist, so the check step fails at once.
    run = result.run(workspace, {"sources": "missing.toml", "state": ""}, install=True)
    assert run.outcomes["install"] == "success", run.logs
    factlinks = Path(run.outputs["install"]["factlinks"])
    assert factlinks.is_file()
    assert factlinks.is_relative_to(workspace.parent), "the venv lives under RUNNER_TEMP"
    # The installed factlinks is the checkout's, not the test environment's.
    where = subprocess.run(
        [run.outputs["install"]["python"], "-c", "import factlinks; print(factlinks.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(workspace.parent), where
    return result


def _workspace(tmp_path: Path, web: str, *, dead: bool) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir(parents=True)
    (workspace / "sources.toml").write_text(registry(web, dead=dead), encoding="utf-8")
    return workspace


# --- the tests --------------------------------------------------------------------------------


def test_a_healthy_registry_passes_with_outputs_summary_and_reports(
    runner: Runner, web: str, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path, web, dead=False)
    run = runner.run(workspace, {})
    assert not run.failed, run.logs
    out = run.action_outputs
    assert out["exit-code"] == "0"
    assert out["ok"] == "1"
    assert out["failing"] == "0"
    for status in ("moved", "drifted", "dead", "blocked", "unreachable", "unverifiable"):
        assert out[status] == "0", status
    assert out["skipped"] == "0"
    reports = workspace / out["report-dir"]
    assert out["report-dir"] == "factlinks-report"
    names = {p.name for p in reports.iterdir()}
    assert {"report.json", "report.md", "report.html"} <= names
    assert any(name.endswith(".xml") for name in names), names  # junit
    # factlinks wrote the job summary itself: once, with the report.
    assert run.summary.count("kept") >= 1
    assert run.summary == (reports / "report.md").read_text(encoding="utf-8") + "\n"
    # The history is kept where the cache steps save it.
    assert (workspace / ".factlinks" / "state.db").is_file()


def test_failing_citations_with_fail_false_let_the_job_go_on(
    runner: Runner, web: str, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path, web, dead=True)
    run = runner.run(workspace, {"fail": "false", "formats": "md"})
    assert not run.failed, run.logs
    out = run.action_outputs
    assert out["exit-code"] == "1"
    assert (out["ok"], out["dead"], out["failing"]) == ("1", "1", "1")
    # json is added to the formats: the counts come from report.json.
    assert (workspace / "factlinks-report" / "report.json").is_file()
    assert "gone" in run.summary


def test_failing_citations_with_fail_true_fail_the_job_last(
    runner: Runner, web: str, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path, web, dead=True)
    run = runner.run(workspace, {"fail": "true", "report-dir": "out/reports", "state": ""})
    assert run.failed
    failed = [key for key, outcome in run.outcomes.items() if outcome == "failure"]
    last = str(runner.action["runs"]["steps"][-1]["name"])
    assert failed == [last], run.logs  # the check and the counts succeeded before it
    out = run.action_outputs
    assert (out["exit-code"], out["dead"], out["failing"]) == ("1", "1", "1")
    assert out["report-dir"] == "out/reports"
    assert (workspace / "out" / "reports" / "report.json").is_file()
    assert not (workspace / ".factlinks").exists(), "state empty: no history"


@pytest.mark.parametrize(
    "given",
    [
        {"args": "--no-such-option"},
        {"sources": "missing.toml"},
        {"args": "--only 'unbalanced"},
    ],
    ids=["unknown-option", "missing-registry", "unbalanced-quote"],
)
def test_a_usage_error_fails_whatever_fail_says(
    runner: Runner, web: str, tmp_path: Path, given: dict[str, str]
) -> None:
    workspace = _workspace(tmp_path, web, dead=False)
    run = runner.run(workspace, {"fail": "false", **given})
    assert run.outcomes["check"] == "failure", run.logs
    assert run.action_outputs["exit-code"] == "2"
    assert "counts" not in run.outcomes, "nothing runs after the failed check"


def test_extra_arguments_are_split_like_a_shell_and_never_run(
    runner: Runner, web: str, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path, web, dead=True)
    run = runner.run(workspace, {"args": "--only 'kept' --concurrency 2"})
    assert not run.failed, run.logs
    assert run.action_outputs["exit-code"] == "0"
    assert run.action_outputs["ok"] == "1"
    assert run.action_outputs["dead"] == "0"  # --only kept: the dead source was not checked

    hostile = '--only "$(touch pwned-1)" ; touch pwned-2 `touch pwned-3`'
    run = runner.run(_workspace(tmp_path / "hostile", web, dead=False), {"args": hostile})
    assert run.action_outputs["exit-code"] == "2", run.logs  # unknown id / stray arguments
    assert not list((tmp_path / "hostile").rglob("pwned-*"))


def test_every_input_reaches_a_script_through_env_only() -> None:
    action = load_action()
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"
        else:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_the_nightly_workflow_uses_the_action() -> None:
    nightly = yaml.safe_load((REPO / ".github" / "workflows" / "nightly.yml").read_text())
    uses = [
        step
        for job in nightly["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses") == "./"
    ]
    assert len(uses) == 1
    given = uses[0].get("with", {})
    assert set(given) <= set(load_action()["inputs"])
    assert given["fail"] == "false"  # failing citations go on to the issue job
