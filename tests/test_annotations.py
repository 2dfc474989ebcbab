"""GitHub annotations (issue 14, 3): ``::error``/``::warning`` workflow commands for the first
findings, with the registry's file and line; printed by ``check`` and ``merge`` on a runner."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import FIXED_NOW, make_source
from factlinks import Report, SourceResult, Status, write_report
from factlinks._cli import main
from factlinks._registry import Registry
from factlinks._report.annotations import (
    MAX_ANNOTATIONS,
    escape_data,
    escape_property,
    github_annotations,
)
from factlinks._shard import select_shard
from farm import Farm, Reply


def _result(status: Status, number: int, line: int | None = None) -> SourceResult:
    source = make_source(f"https://x.example/{number}", id=f"s{number}")
    source = dataclasses.replace(source, line=line, column=1 if line else None)
    return SourceResult(source, status, f"Reason {number}.", FIXED_NOW)


def _report(results: Sequence[SourceResult], registry: str | None = "sources.toml") -> Report:
    return Report(tuple(results), FIXED_NOW, FIXED_NOW, "1.0", registry=registry)


def _parse(command: str) -> tuple[str, dict[str, str], str]:
    """``(level, properties, message)`` of a workflow command (properties still escaped)."""
    assert command.startswith("::")
    head, message = command[2:].split("::", 1)
    level, _, given = head.partition(" ")
    properties = dict(item.split("=", 1) for item in given.split(",")) if given else {}
    return level, properties, message


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        pytest.param("plain", "plain", "plain", id="plain"),
        pytest.param("100%", "100%25", "100%25", id="percent-first"),
        pytest.param("a\r\nb", "a%0D%0Ab", "a%0D%0Ab", id="line-ends"),
        pytest.param("a: b, c", "a: b, c", "a%3A b%2C c", id="colon-comma-in-properties"),
        pytest.param("%0A", "%250A", "%250A", id="an-escape-is-not-undone"),
    ],
)
def test_escaping_follows_the_workflow_command_rules(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_an_annotation_names_file_line_column_and_title() -> None:
    report = _report([_result(Status.DEAD, 1, line=17), _result(Status.MOVED, 2, line=30)])
    error, warning = github_annotations(report)
    level, properties, message = _parse(error)
    assert level == "error"
    assert properties == {
        "file": "sources.toml",
        "line": "17",
        "col": "1",
        "title": "Dead citation%3A s1",
    }
    assert message == ("Reason 1.%0AURL: https://x.example/1%0A" + escape_data(Status.DEAD.action))
    assert _parse(warning)[0] == "warning"
    assert _parse(warning)[1]["line"] == "30"


def test_ten_of_each_type_then_one_notice_with_the_rest(tmp_path: Path) -> None:
    results = [_result(Status.DEAD, n, line=n) for n in range(1, 16)]
    results += [_result(Status.BLOCKED, n, line=n) for n in range(16, 28)]
    results += [_result(Status.OK, n, line=n) for n in range(28, 40)]
    report = _report(results)
    commands = list(github_annotations(report, full_report=["out/report.md"]))
    levels = [_parse(c)[0] for c in commands]
    assert levels == ["error"] * MAX_ANNOTATIONS + ["warning"] * MAX_ANNOTATIONS + ["notice"]
    assert [_parse(c)[1]["line"] for c in commands[:3]] == ["1", "2", "3"]  # registry order
    notice = _parse(commands[-1])[2]
    assert notice.startswith("7 more findings not annotated (5 errors, 2 warnings;")
    assert notice.endswith("the full report is in out/report.md.")


def test_no_notice_when_everything_fits_and_nothing_for_a_healthy_run() -> None:
    report = _report([_result(Status.DEAD, 1, 1), _result(Status.OK, 2, 2)])
    assert [_parse(c)[0] for c in github_annotations(report)] == ["error"]
    assert list(github_annotations(_report([_result(Status.OK, 1, 1)]))) == []


def test_paths_are_relative_to_the_workspace_when_inside_it(tmp_path: Path) -> None:
    inside = _report([_result(Status.DEAD, 1, 3)], registry=str(tmp_path / "docs" / "s.toml"))
    (command,) = github_annotations(inside, workspace=tmp_path)
    assert _parse(command)[1]["file"] == "docs/s.toml"
    (command,) = github_annotations(inside, workspace=tmp_path / "other")
    assert _parse(command)[1]["file"] == escape_property(str(tmp_path / "docs" / "s.toml"))
    nowhere = _report([_result(Status.DEAD, 1)], registry=None)  # documents checked directly
    (command,) = github_annotations(nowhere)
    assert _parse(command)[1] == {"title": "Dead citation%3A s1"}


def test_web_text_cannot_end_the_command_or_start_another() -> None:
    result = _result(Status.DRIFTED, 1, 5)
    evil = "Now shows \u201cx\u201d\n::error file=.github/workflows/x.yml::owned\r%0A"
    result = dataclasses.replace(result, reason=evil, new_url="https://y.example/a,b:c")
    (command,) = github_annotations(_report([result]))
    assert "\n" not in command
    assert "\r" not in command
    level, properties, message = _parse(command)
    assert (level, properties["line"]) == ("error", "5")
    assert "::error" in message  # as text inside the message, after an escaped line end
    assert "%250A" in message  # the escape sequence the page sent stays literal


# -- from the command line ---------------------------------------------------------------------


def test_check_prints_annotations_on_a_runner_even_when_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    with Farm() as farm:
        host = farm.add_host("site.example", {"/ok": Reply.html("fine", title="fine")})
        entries = "".join(
            f'\n[[source]]\nid = "s{n}"\nurl = "{host.url(f"/gone/{n}")}"\n' for n in range(12)
        )
        registry = tmp_path / "sources.toml"
        registry.write_text(
            f'[[source]]\nid = "ok"\nurl = "{host.url("/ok")}"\n{entries}', encoding="utf-8"
        )
        args = ["check", "sources.toml", "--out", "out", "--no-state", "--no-archive"]
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
        assert main(args) == 1
        assert capsys.readouterr().out == ""  # not on a runner: nothing on stdout
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
        assert main([*args, "-q"]) == 1
    commands = capsys.readouterr().out.splitlines()
    assert [_parse(c)[0] for c in commands] == ["error"] * 10 + ["notice"]
    lines = registry.read_text("utf-8").split("\n")
    for command in commands[:-1]:
        properties = _parse(command)[1]
        assert properties["file"] == "sources.toml"
        number = int(properties["line"])
        assert lines[number - 1] == "[[source]]"
        assert lines[number].removeprefix('id = "').rstrip('"') in properties["title"]
    assert "2 more findings not annotated (2 errors;" in commands[-1]
    assert "out/report.json" in commands[-1]


def test_merge_prints_annotations_with_the_lines_read_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tuple(
        dataclasses.replace(make_source(f"https://h{n}.example/", id=f"s{n}"), line=4 * n + 1)
        for n in range(6)
    )
    registry = Registry(sources, path="sources.toml")
    folders = []
    for k in (1, 2):
        part = select_shard(registry, k, 2)
        results = tuple(
            SourceResult(s, Status.DEAD if int(s.id[1:]) % 2 else Status.OK, "Gone.", FIXED_NOW)
            for s in part.registry
        )
        shard = part.for_results([r.id for r in results])
        report = Report(
            results,
            FIXED_NOW,
            FIXED_NOW + dt.timedelta(seconds=1),
            "1.0",
            registry="sources.toml",
            shard=shard,
        )
        folders.append(str(write_report(report, tmp_path / f"shard-{k}", ["json"])[0]))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert main(["merge", str(tmp_path / "merged"), *folders, "--format", "json,sarif"]) == 1
    commands = capsys.readouterr().out.splitlines()
    found = {(_parse(c)[1]["line"], _parse(c)[1]["title"]) for c in commands}
    assert found == {(str(4 * n + 1), f"Dead citation%3A s{n}") for n in (1, 3, 5)}
