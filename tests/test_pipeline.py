"""The pipeline's per-source guard: a bug is recorded as a value, and the run goes on.

An exception that escapes the stages while one source is checked becomes that source's
``error`` (kind ``internal``, with the traceback), its status ``unverifiable``; every other
source is checked as usual. The report does not pass, the CLI names such sources, prints the
traceback with ``--debug`` and exits 3 after writing the reports. ``strict=True`` re-raises
instead (tested in ``test_classify.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import factlinks
from conftest import make_source
from factlinks import CheckOptions, FailureKind, RetryPolicy, Status
from factlinks._cli import main

ONE_TRY = RetryPolicy(attempts=1)


def _broken_decide(*args: Any, **kwargs: Any) -> Any:
    raise ZeroDivisionError("a bug in the status decision")


@pytest.fixture
def buggy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The status decision raises for the source whose URL contains ``/bug``."""
    import factlinks._pipeline as pipeline

    real = pipeline.decide

    def decide(source: factlinks.Source, *args: Any, **kwargs: Any) -> Any:
        if "/bug" in source.url:
            return _broken_decide()
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pipeline, "decide", decide)


def _mock(router: respx.MockRouter) -> None:
    router.get(url__regex=r"factlinks-probe-").mock(return_value=httpx.Response(404))
    router.get(url__regex=r"^https://a\.test/").mock(
        return_value=httpx.Response(200, html="<title>A page</title>")
    )


@pytest.mark.usefixtures("buggy")
def test_a_bug_is_an_internal_failure_of_that_source_only() -> None:
    sources = [
        make_source("https://a.test/bug/page", id="bug"),
        make_source("https://a.test/fine/page", id="fine"),
    ]
    options = CheckOptions(retry=ONE_TRY, probe_soft_404=False)
    with respx.mock(assert_all_called=False) as router:
        _mock(router)
        report = factlinks.check(sources, options)
    bug, fine = report.results
    assert report.internal_errors == (bug,)
    assert not report.failures
    assert report.passed is False  # a bug never passes as a healthy run
    assert fine.status is Status.OK
    assert fine.error is None
    assert bug.status is Status.UNVERIFIABLE
    assert bug.reason.startswith("Internal error: ZeroDivisionError")
    assert bug.error is not None
    assert bug.error.kind is FailureKind.INTERNAL
    assert bug.failure == bug.error
    assert bug.error.traceback is not None
    assert "ZeroDivisionError: a bug in the status decision" in bug.error.traceback
    data = json.loads(factlinks.render_json(report))
    by_id = {s["id"]: s for s in data["sources"]}
    assert by_id["bug"]["error"] == {
        "kind": "internal",
        "message": "ZeroDivisionError: a bug in the status decision",
    }
    assert by_id["fine"]["error"] is None


REGISTRY = """
[[source]]
id = "bug"
url = "https://a.test/bug/page"

[[source]]
id = "fine"
url = "https://a.test/fine/page"
"""


@pytest.mark.usefixtures("buggy")
@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_the_cli_names_internal_errors_and_shows_tracebacks_with_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], debug: list[str]
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    with respx.mock(assert_all_called=False) as router:
        _mock(router)
        code = main(["check", str(path), "--no-state", "--no-archive", *debug])
    err = capsys.readouterr().err
    assert code == 3  # a bug fails the run loudly, though unverifiable alone would not
    report = json.loads((tmp_path / "factlinks-report" / "report.json").read_text("utf-8"))
    assert report["passed"] is False
    assert "bug in factlinks (internal error: `bug` (unverifiable))" in (
        tmp_path / "factlinks-report" / "report.md"
    ).read_text("utf-8")
    assert "internal error while checking bug: ZeroDivisionError" in err
    if debug:
        assert "Traceback (most recent call last)" in err
        assert "raise ZeroDivisionError" in err
    else:
        assert "Traceback" not in err
        assert "--debug" in err


def test_debug_before_the_command_prints_the_traceback_of_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import factlinks._cli as cli

    def crash(args: Any) -> int:
        raise KeyError("boom")

    monkeypatch.setattr(cli, "_run_extract", crash)
    assert main(["--debug", "extract", str(tmp_path / "x.txt")]) == 3
    err = capsys.readouterr().err
    assert "internal error: KeyError" in err
    assert "Traceback (most recent call last)" in err
    assert main(["extract", str(tmp_path / "x.txt")]) == 3
    assert "Traceback" not in capsys.readouterr().err
