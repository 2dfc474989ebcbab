"""The command line, driven through ``main(argv)`` in a temporary folder."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import factlinks
from factlinks._cli import main
from farm import Farm, Reply, closed_port
from pdfgen import make_pdf, make_pdf_with_unmapped_font, make_pdf_without_text

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.integration
def test_offline_run_exits_3_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every host of the real registry remapped to a closed port: exit 3, nothing written."""
    out = tmp_path / "out"
    rule = rf"^https?://[^/]+ http://127.0.0.1:{closed_port()}"
    code = main(["check", str(REPO / "sources.toml"), "--out", str(out), "--remap", rule])
    err = capsys.readouterr().err
    assert code == 3
    assert "no source could be reached: is this machine online?" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_every_name_no_such_host_exits_3_with_the_offline_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's first command on a machine whose resolver says NXDOMAIN for every name.

    Before, this reported "23 unreachable", said no citation fails and exited 0: a false green
    that closed the nightly citation issue.
    """

    def nxdomain(host: object, *args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    out = tmp_path / "out"
    code = main(["check", str(REPO / "sources.toml"), "--out", str(out), "--state", "s.db"])
    err = capsys.readouterr().err
    assert code == 3
    assert "no source could be reached: is this machine online?" in err
    assert "no-such-host" in err
    assert not out.exists()
    with factlinks.open_history(tmp_path / "s.db") as history:
        assert history.runs() == 0  # nothing counts towards 'dead'


@pytest.mark.integration
def test_one_host_down_the_canary_tells_an_offline_machine_from_a_dead_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A one-host registry whose host refuses: the canary decides (issue 9, point 4)."""
    dead = f"http://127.0.0.1:{closed_port()}"
    registry = write(
        tmp_path,
        f'[[source]]\nid = "a"\nurl = "{dead}/a"\n\n[[source]]\nid = "b"\nurl = "{dead}/b"\n',
    )
    out = tmp_path / "out"
    args = ["check", str(registry), "--out", str(out), "--no-state", "--no-archive"]
    assert main([*args, "--canary-url", f"http://127.0.0.1:{closed_port()}/"]) == 3
    assert "the canary" in capsys.readouterr().err
    assert not out.exists()
    with Farm() as farm:
        canary = farm.add_host("canary.example", {"/": Reply.html("up")})
        assert main([*args, "--canary-url", canary.url("/")]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "answered: this machine is online, so the hosts are down" in report
    assert main(args) == 0  # no canary: a report that says it could not tell
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "could not tell whether this machine is offline or the host is down" in report


@pytest.mark.parametrize(
    "setting", ['canary_url = "ftp://x.org/"', 'canary_url = "https:///"', "canary_url = 1"]
)
def test_a_bad_canary_url_is_a_registry_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str
) -> None:
    registry = write(
        tmp_path, f'[settings]\n{setting}\n\n[[source]]\nid = "a"\nurl = "https://x.org/"\n'
    )
    assert main(["check", str(registry), "--no-state", "--no-archive"]) == 2
    assert "canary_url" in capsys.readouterr().err


def test_offline_run_as_a_process_has_no_traceback(tmp_path: Path) -> None:
    rule = rf"^https?://[^/]+ http://127.0.0.1:{closed_port()}"
    proc = subprocess.run(
        [sys.executable, "-m", "factlinks", "check", str(REPO / "sources.toml"), "--remap", rule],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 3
    assert "is this machine online?" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "factlinks-report").exists()


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        pytest.param(
            '[[source]]\nid = "a"\nurl = "ftp://x.org/f"\n', "must be http or https", id="ftp"
        ),
        pytest.param(
            '[[source]]\nid = "a"\nurl = "https://x.org/"\ntitel = "T"\n',
            "did you mean 'title'",
            id="typo",
        ),
        pytest.param('[[source]\nid = "a"\n', "invalid TOML", id="syntax"),
    ],
)
def test_bad_registry_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], registry: str, message: str
) -> None:
    path = write(tmp_path, registry)
    out = tmp_path / "out"
    assert main(["check", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert str(path) in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--format", "json,pdf"], "unknown format 'pdf'", id="format"),
        pytest.param(["--fail-on", "dead,gone"], "unknown status 'gone'", id="fail-on"),
        pytest.param(["--remap", "onlyonepart"], "REGEX REPLACEMENT", id="remap-shape"),
        pytest.param(["--remap", "([ x"], "invalid regular expression", id="remap-regex"),
        pytest.param(["--only", "nope"], "no source with id 'nope'", id="only"),
        pytest.param(["--concurrency", "0"], "concurrency must be at least 1", id="concurrency"),
        pytest.param(["--timeout", "-1"], "timeout must be a positive", id="timeout"),
        pytest.param(["--max-pages", "0"], "max_pages must be at least 1", id="max-pages"),
    ],
)
def test_bad_flags_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    path = write(tmp_path, '[[source]]\nid = "a"\nurl = "https://x.org/"\n')
    assert main(["check", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_registry_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_without_a_registry_says_how_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert capsys.readouterr().err == (
        "factlinks: error: sources.toml: no such file; to start, check documents directly "
        "(factlinks check DOC…) or write a registry from them (factlinks init DOC…)\n"
    )


def test_argparse_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--concurrency", "many"])
    assert exit_info.value.code == 2


EVERY_STATUS = """
[settings]
user_agent = "factlinks-test/1 (+https://example.org/contact)"

[[source]]
id = "ok-pdf"
url = "https://docs.example.org/reports/annual-2021.pdf"
title = "Jahresbericht 2021"
kind = "pdf"

[[source]]
id = "moved-page"
url = "https://docs.example.org/old/page.html"

[[source]]
id = "drifted-pdf"
url = "https://docs.example.org/reports/annual-2022.pdf"
title = "Jahresbericht 2022"
kind = "pdf"

[[source]]
id = "dead-404"
url = "https://docs.example.org/reports/gone.pdf"

[[source]]
id = "blocked-challenge"
url = "https://guarded.example.org/paper"

[[source]]
id = "unreachable-closed"
url = "https://down.example.org/x"

[[source]]
id = "unverifiable-scan"
url = "https://docs.example.org/reports/scan.pdf"
title = "Gescannter Bericht"
kind = "pdf"

[[source]]
id = "skipped-by-registry"
url = "https://docs.example.org/private"
skip = "intranet only"
"""

CHALLENGE = (
    "<html><head><title>Just a moment...</title></head>"
    "<body><div id='challenge-platform'></div></body></html>"
)


@pytest.mark.integration
def test_every_status_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, EVERY_STATUS)
    out = tmp_path / "out"
    with Farm() as farm:
        docs = farm.add_host(
            "docs.example.org",
            {
                "/reports/annual-2021.pdf": Reply.pdf(make_pdf(["Jahresbericht 2021"])),
                "/old/page.html": Reply.redirect("/new/page.html", 308),
                "/new/page.html": Reply.html("<h1>Neu</h1>", title="Neu"),
                "/reports/annual-2022.pdf": Reply.pdf(make_pdf(["Jahresbericht 2023"])),
                "/reports/scan.pdf": Reply.pdf(make_pdf_without_text()),
            },
        )
        farm.add_host("guarded.example.org", fallback=Reply.html(CHALLENGE, status=503))
        argv = ["check", str(path), "--out", str(out), "--timeout", "3", *farm.remap_args()]
        argv += ["--remap", farm.closed_port_rule("down.example.org")]
        code = main([*argv, "--format", "json"])
        report = json.loads((out / "report.json").read_text("utf-8"))
        md_after_first_run = (out / "report.md").exists()
        agents = {request.headers.get("user-agent") for request in docs.requests}
        # --only leaves the others skipped; --fail-on decides the exit code.
        only_code = main([*argv, "--only", "ok-pdf", "--only", "moved-page", "--fail-on", "moved"])
        only_report = json.loads((out / "report.json").read_text("utf-8"))
        passing_code = main([*argv, "--only", "ok-pdf", "--fail-on", "dead"])
    assert code == 1
    assert not md_after_first_run
    statuses = {s["id"]: s["status"] for s in report["sources"]}
    assert statuses == {
        "ok-pdf": "ok",
        "moved-page": "moved",
        "drifted-pdf": "drifted",
        "dead-404": "dead",
        "blocked-challenge": "blocked",
        "unreachable-closed": "unreachable",
        "unverifiable-scan": "unverifiable",
        "skipped-by-registry": "skipped",
    }
    assert agents == {"factlinks-test/1 (+https://example.org/contact)"}
    assert (out / "report.md").exists()  # written by the later runs (default formats)
    assert only_code == 1
    assert only_report["summary"]["by_status"] == {
        "ok": 1,
        "moved": 1,
        "drifted": 0,
        "dead": 0,
        "blocked": 0,
        "unreachable": 0,
        "unverifiable": 0,
        "skipped": 6,
    }
    assert passing_code == 0
    capsys.readouterr()


GARBLED = """
[[source]]
id = "word-ps-driver"
url = "https://docs.example.org/word.pdf"
title = "Künstliche Intelligenz im Mittelstand"

[[source]]
id = "gazette-cid"
url = "https://docs.example.org/gazette.pdf"
title = "Amtsblatt der Europäischen Union"

[[source]]
id = "cover-garbled-title-inside"
url = "https://docs.example.org/mixed.pdf"
title = "Jahresbericht 2023"
"""


@pytest.mark.integration
def test_unreadable_text_layers_are_unverifiable_not_drifted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A text layer of glyph names or script soup never makes a source drifted."""
    path = write(tmp_path, GARBLED)
    out = tmp_path / "out"
    glyphs = make_pdf_with_unmapped_font(
        ["\x01\x02\x03\x01\x04\x05"], title="Künstliche Intelligenz im Mittelstand"
    )
    gazette = make_pdf_with_unmapped_font(
        [[0x0391, 0x03B2, 0x1EAE, 0x1EB7, 0x20, 0x039E, 0x03C8, 0x1EEA]], kind="identity"
    )
    mixed = make_pdf_with_unmapped_font(
        ["Inhalt", [0x1F00, 0x1E01, 0x20, 0x1F10, 0x1E3F, 0x1F22]], kind="identity"
    )
    with Farm() as farm:
        farm.add_host(
            "docs.example.org",
            {
                "/word.pdf": Reply.pdf(glyphs),
                "/gazette.pdf": Reply.pdf(gazette),
                "/mixed.pdf": Reply.pdf(mixed),
            },
        )
        argv = ["check", str(path), "--out", str(out), "--format", "json", "--no-state"]
        code = main([*argv, "--timeout", "10", *farm.remap_args()])
    report = json.loads((out / "report.json").read_text("utf-8"))
    results = {s["id"]: s for s in report["sources"]}
    assert code == 0  # unverifiable warns, it does not fail the run
    assert {i: r["status"] for i, r in results.items()} == dict.fromkeys(results, "unverifiable")
    assert results["word-ps-driver"]["reason"] == (
        "The title cannot be checked: the text layer of page 1 cannot be read: its fonts have"
        " no Unicode map (it reads as raw character codes)."
    )
    assert "page 1 cannot be read" in results["gazette-cid"]["reason"]
    assert "unrelated scripts" in results["gazette-cid"]["reason"]
    assert "page 2 cannot be read" in results["cover-garbled-title-inside"]["reason"]
    capsys.readouterr()


def test_unwritable_report_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[[source]]\nid = "a"\nurl = "https://x.org/"\nskip = true\n')
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    assert main(["check", str(path), "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "cannot create" in err
    assert "Traceback" not in err
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder"


def test_markdown_report_goes_to_the_github_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[[source]]\nid = "a"\nurl = "https://x.org/"\nskip = "intranet"\n')
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check", str(path), "--out", str(tmp_path / "out"), "--format", "json"]) == 0
    text = summary.read_text("utf-8")
    assert text.startswith("earlier step\n# Citation health report")
    assert "`a` (skipped)" in text
    capsys.readouterr()


def test_plain_progress_lines_without_a_terminal() -> None:
    import io

    from conftest import FIXED_NOW
    from factlinks import Source, SourceResult, Status
    from factlinks._progress import Progress

    ticks = iter([0.0, 1.0, 6.0, 7.0])
    stream = io.StringIO()
    result = SourceResult(Source(id="a", url="https://a.example/x"), Status.DEAD, "gone", FIXED_NOW)
    with Progress(
        3, fail_on=frozenset({Status.DEAD}), stream=stream, clock=lambda: next(ticks), tick=None
    ) as bar:
        bar(result)  # 1 s after the start: nothing yet
        bar(result)  # 6 s: a line
    assert stream.getvalue() == "factlinks: 2/3 checked, 2 failing, last host a.example\n"
    quiet = io.StringIO()
    with Progress(1, fail_on=frozenset(), quiet=True, stream=quiet, clock=lambda: 100.0) as bar:
        bar(result)
    assert quiet.getvalue() == ""


def test_plain_progress_goes_on_while_no_result_comes_in() -> None:
    """A host that never answers made a CI log go silent for 365 s (issue 9)."""
    import io
    import threading

    from factlinks import Status
    from factlinks._progress import Progress

    now = [0.0]
    ticked = threading.Event()

    def clock() -> float:
        ticked.set()
        return now[0]

    stream = io.StringIO()
    with Progress(4, fail_on=frozenset({Status.DEAD}), stream=stream, clock=clock, tick=0.001):
        for moment in (3.0, 12.0, 30.0):
            now[0] = moment
            deadline = 0
            while stream.getvalue().count("\n") < int(moment > 5) + int(moment > 20):
                ticked.clear()
                assert ticked.wait(10), "the heartbeat stopped asking the clock"
                deadline += 1
                assert deadline < 10_000
    assert stream.getvalue().splitlines() == [
        "factlinks: 0/4 checked, 0 failing, no answer for 12 s",
        "factlinks: 0/4 checked, 0 failing, no answer for 30 s",
    ]


def test_junit_stays_valid_xml_with_control_characters_from_the_web() -> None:
    import datetime as dt
    from xml.etree import ElementTree

    import factlinks
    from factlinks._report.junit import render_junit

    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    source = factlinks.Source(id="a", url="https://a.example/", cited_in=("brief\x01",))
    result = factlinks.SourceResult(
        source, factlinks.Status.DRIFTED, "it now shows \u201cA\x0bB\x00\u201d", now
    )
    root = ElementTree.fromstring(render_junit(factlinks.Report((result,), now, now, "0")))
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None
    assert "A\ufffdB\ufffd" in (failure.get("message") or "")


def test_report_re_renders_a_saved_report_as_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[[source]]\nid = "a"\nurl = "https://x.org/"\nskip = "intranet"\n')
    out = tmp_path / "out"
    assert main(["check", str(path), "--out", str(out), "--format", "json", "--no-state"]) == 0
    assert not (out / "report.html").exists()
    assert main(["report", str(out / "report.json"), "--format", "html"]) == 0
    assert "Citation health report" in (out / "report.html").read_text("utf-8")
    assert main(["report", str(out / "report.json"), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "report.html").exists()
    (tmp_path / "bad.json").write_text('{"schema": "other/1"}', encoding="utf-8")
    assert main(["report", str(tmp_path / "bad.json")]) == 2
    assert main(["report", str(out / "report.json"), "--format", "pdf"]) == 2
    err = capsys.readouterr().err
    assert "not a factlinks.report/1 report" in err
    assert "Traceback" not in err
