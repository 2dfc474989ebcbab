"""The commands that need no network (``validate``, ``extract --strict``), the help texts and
the list of failing sources at the end of a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from factlinks import Status
from factlinks._cli import MAX_FAILING_LISTED, main
from factlinks._cli_help import EPILOGS
from farm import Farm, Reply

VALID = """\
[settings]
fail_on = ["dead"]

[[source]]
id = "kfw"
url = "https://www.kfw.de/studie.pdf"
cited_in = ["brief"]

[[source]]
id = "bmwk"
url = "https://www.bmwk.de/ki.html"
"""


def test_validate_a_valid_registry_exits_0_and_counts_its_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(VALID, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}: valid, 2 source(s)" in captured.err
    assert main(["validate", "-q", str(path)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            VALID + '\n[[source]]\nid = "kfw"\nurl = "https://x.org/"\n',
            ":13: source 'kfw': duplicate id",
        ),
        (
            VALID + '\n[[source]]\nid = "x"\nurl = "ftp://x.org/"\n',
            ":13: source 'x': 'url' must be",
        ),
        (
            VALID + '\n[[source]]\nid = "x"\nurl = "https://x.org/"\ntitel = "T"\n',
            "did you mean 'title'",
        ),
        (VALID.replace('["dead"]', '["gone"]'), "unknown status 'gone'"),
        ("[[source]\n", ":1:9: invalid TOML"),
    ],
    ids=["duplicate-id", "scheme", "unknown-key", "settings", "syntax"],
)
def test_validate_names_the_file_and_line_of_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    good = tmp_path / "good.toml"
    good.write_text(VALID, encoding="utf-8")
    bad = tmp_path / "sources.toml"
    bad.write_text(text, encoding="utf-8")
    assert main(["validate", str(bad), str(good)]) == 1  # every file is read, then exit 1
    captured = capsys.readouterr()
    assert captured.out.startswith(str(bad))
    assert expected in captured.out
    assert f"{good}: valid" in captured.err


def test_validate_reads_every_line_of_a_line_oriented_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .jsonl loads lazily; validate decodes every source, so a bad last line is found."""
    lines = [f'{{"id": "s{i}", "url": "https://e{i}.org/"}}' for i in range(50)]
    lines.append('{"id": "s50", "url": "javascript:alert(1)"}')
    path = tmp_path / "sources.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert f"{path}:51:" in capsys.readouterr().out


def test_validate_a_missing_registry_fails_and_defaults_to_sources_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    assert "sources.toml: no such file" in capsys.readouterr().out


def _strict_fixture(tmp_path: Path) -> Path:
    (tmp_path / "sources.toml").write_text(VALID, encoding="utf-8")
    doc = tmp_path / "brief.md"
    doc.write_text(
        "# Brief\n\nKfW: https://www.kfw.de/studie.pdf\n\nNew: <https://new.example.org/x>\n",
        encoding="utf-8",
    )
    return doc


def test_extract_strict_names_each_unregistered_url_at_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _strict_fixture(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["extract", "--strict", "brief.md"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "brief.md:5: https://new.example.org/x is cited but not registered\n"
    assert "1 cited URL(s) not registered in sources.toml" in captured.err
    doc.write_text("# Brief\n\nOnly https://www.kfw.de/studie.pdf\n", encoding="utf-8")
    assert main(["extract", "--strict", "brief.md"]) == 0  # bmwk uncited: not an error
    assert capsys.readouterr().out == ""


def test_extract_strict_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _strict_fixture(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["extract", "--strict", "missing.md"]) == 2
    assert "missing.md" in capsys.readouterr().err
    assert main(["extract", "--strict", "--write", "--sources", "sources.toml", "brief.md"]) == 2
    assert "does not --write" in capsys.readouterr().err
    assert main(["extract", "--strict", "--sources", "other.toml", "brief.md"]) == 2
    assert "other.toml: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(EPILOGS))
def test_every_command_help_has_examples_and_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:\n  factlinks " + command in out
    assert "exit codes:\n  0  " in out
    for line in out.split("examples:", 1)[1].splitlines():
        if line.startswith("  factlinks "):  # every example parses (no --help run here)
            argv = line.split("#", 1)[0].split()[1:]
            assert argv[0] == command


@pytest.mark.parametrize("command", ["check", "merge"])
def test_help_of_a_command_with_fail_on_lists_every_status(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "statuses (fail the run by default: drifted,dead):" in out
    for status in Status:
        assert f"\n  {status.value:<12}  {status.description}" in out


def test_fail_on_rejects_an_unknown_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(VALID, encoding="utf-8")
    assert main(["check", str(path), "--no-state", "--fail-on", "dead,gone"]) == 2
    err = capsys.readouterr().err
    assert "--fail-on" in err
    assert "'gone'" in err
    assert "unverifiable" in err  # the valid ones are named


@pytest.mark.integration
def test_the_failing_sources_are_listed_at_the_end_unless_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = MAX_FAILING_LISTED + 3
    entries = "".join(
        f'[[source]]\nid = "gone-{i}"\nurl = "https://docs.example.org/gone/{i}"\n\n'
        for i in range(count)
    )
    path = tmp_path / "sources.toml"
    path.write_text(
        entries + '[[source]]\nid = "fine"\nurl = "https://docs.example.org/"\n', encoding="utf-8"
    )
    with Farm() as farm:
        farm.add_host(
            "docs.example.org", {"/": Reply.html("<h1>Docs</h1>")}, Reply.html("no", status=404)
        )
        argv = ["check", str(path), "--no-state", "--no-archive", "--out", str(tmp_path / "o")]
        argv += farm.remap_args()
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert main([*argv, "-q"]) == 1
        quiet = capsys.readouterr().err
    assert f"failing ({count}):" in err
    assert "  dead         gone-0  https://docs.example.org/gone/0\n" in err
    assert f"gone-{MAX_FAILING_LISTED - 1}  " in err
    assert f"gone-{MAX_FAILING_LISTED}  " not in err
    assert "… and 3 more: see the reports" in err
    assert "fine" not in err.split("failing (", 1)[1]
    assert "failing" not in quiet
