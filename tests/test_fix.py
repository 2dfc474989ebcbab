"""``factlinks fix`` as a library: plan from a saved report, edit with tomlkit, write atomically."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

import factlinks
from conftest import FIXED_NOW
from factlinks import (
    ArchiveCopy,
    FetchResult,
    Hop,
    RegistryError,
    ReportError,
    Source,
    SourceResult,
    Status,
)
from factlinks._cli import main
from factlinks._fix import (
    Fix,
    FixPlan,
    ReportedResult,
    apply_fixes,
    fit_plan,
    plan_fixes,
    results_from_data,
    results_from_report,
    unified_diff,
    write_fixed,
)
from factsheet_web import BMWK_NEW, EUROSTAT_NEW, PLS_VIDEOS_NEW
from farm import Farm, Reply

REPO_SOURCES = Path(__file__).resolve().parents[1] / "sources.toml"

REGISTRY = """\
# sources.toml - the citations of the widget fact sheet.
#
# Keep the ids stable: the history is keyed on them.

[settings]
timeout = 20  # seconds

# --- Statistics ---

[[source]]
id       = "moved-report"   # cited twice
url      = "https://old.example.org/reports/2021.pdf"  # as printed
title    = "Annual report on widget safety 2021"
kind     = "pdf"
cited_in = ["factsheet"]

# The ministry relaunched its site in 2024.
[[source]]
id = "dead-study"
url = 'https://ministry.example.org/study.pdf'
# the study's title as cited
title = "A study of widgets"
accessed = 2021-02-15

[[source]]
id = "dead-unverified"
url = "https://gone.example.org/page.html"   # nobody archived it well
citation = "Gone (2020)"

[[source]]
id = "drifted-page"
url = "https://drift.example.org/page"

[[source]]
id = "fine"
url = "https://fine.example.org/"
"""
MOVED_TO = "https://www.example.org/publications/widget-safety-2021.pdf"
SNAPSHOT = "https://web.archive.org/web/20210214000000/https://ministry.example.org/study.pdf"
BAD_SNAPSHOT = "https://web.archive.org/web/20230101000000/https://gone.example.org/page.html"
DRIFT_SNAPSHOT = "https://web.archive.org/web/20200101000000/https://drift.example.org/page"

STATUSES = {
    "moved-report": Status.MOVED,
    "dead-study": Status.DEAD,
    "dead-unverified": Status.DEAD,
    "drifted-page": Status.DRIFTED,
    "fine": Status.OK,
}
ARCHIVES: dict[str, dict[str, Any]] = {
    "dead-study": {"url": SNAPSHOT, "timestamp": "20210214000000", "verified": True},
    "dead-unverified": {"url": BAD_SNAPSHOT, "timestamp": "20230101000000", "verified": False},
    "drifted-page": {"url": DRIFT_SNAPSHOT, "timestamp": "20200101000000", "verified": None},
    "fine": {
        "url": "https://web.archive.org/web/20210101000000/https://fine.example.org/",
        "timestamp": "20210101000000",
        "verified": True,
    },
}


def _result(
    source: Source,
    status: Status,
    new_url: str | None = None,
    archive: dict[str, Any] | None = None,
) -> SourceResult:
    if status is Status.MOVED:
        assert new_url is not None
        fetch = FetchResult(source.url, new_url, 200, redirects=(Hop(source.url, 301, new_url),))
    elif status is Status.DEAD:
        fetch = FetchResult(source.url, source.url, 404)
    else:
        fetch = FetchResult(source.url, source.url, 200)
    copy = (
        None
        if archive is None
        else ArchiveCopy(
            url=archive["url"],
            timestamp=archive["timestamp"],
            captured_status="200",
            verified=archive["verified"],
            detail="test",
        )
    )
    return SourceResult(
        source, status, "test", FIXED_NOW, fetch=fetch, new_url=new_url, archive=copy
    )


def _save_report(
    folder: Path,
    registry: factlinks.Registry,
    statuses: dict[str, Status],
    new_urls: dict[str, str],
    archives: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Write report.json with the real renderer, archive copies included as a run has them."""
    results = tuple(
        _result(
            source,
            statuses.get(source.id, Status.OK),
            new_urls.get(source.id),
            (archives or {}).get(source.id),
        )
        for source in registry
    )
    report = factlinks.Report(
        results=results, started_at=FIXED_NOW, finished_at=FIXED_NOW, tool_version="0"
    )
    path = folder / "report.json"
    path.write_text(factlinks.render_json(report), encoding="utf-8")
    return path


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_bytes(REGISTRY.encode("utf-8"))
    return path


@pytest.fixture
def report_file(registry_file: Path) -> Path:
    registry = factlinks.load_sources(registry_file)
    return _save_report(
        registry_file.parent, registry, STATUSES, {"moved-report": MOVED_TO}, ARCHIVES
    )


def _changed(old: str, new: str) -> list[tuple[str, str]]:
    """The (old, new) pairs of lines that differ; both texts must have the same line count."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    return [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]


def _diff_body(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


# -- reading the report -----------------------------------------------------------------------


def test_results_are_read_back_from_a_rendered_report(report_file: Path) -> None:
    results = {r.id: r for r in results_from_report(report_file)}
    assert results["moved-report"] == ReportedResult(
        "moved-report",
        "moved",
        new_url=MOVED_TO,
        url="https://old.example.org/reports/2021.pdf",
    )
    study = results["dead-study"]
    assert (study.status, study.archive_url, study.archive_verified) == ("dead", SNAPSHOT, True)
    assert study.archive_timestamp == "20210214000000"
    assert results["dead-unverified"].archive_verified is False
    assert results["drifted-page"].archive_verified is None


def test_a_report_without_archive_objects_is_read(registry_file: Path) -> None:
    registry = factlinks.load_sources(registry_file)
    path = _save_report(registry_file.parent, registry, STATUSES, {"moved-report": MOVED_TO})
    results = results_from_report(path)
    assert all(r.archive_url is None and r.archive_verified is None for r in results)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param("factlinks.report/2", "schema 'factlinks.report/2'", id="future-version"),
        pytest.param(None, "no 'schema' tag", id="no-tag"),
        pytest.param("other.tool/1", "schema 'other.tool/1'", id="other-tool"),
    ],
)
def test_a_wrong_schema_tag_is_a_report_error(
    report_file: Path, schema: str | None, expected: str
) -> None:
    data = json.loads(report_file.read_text(encoding="utf-8"))
    if schema is None:
        del data["schema"]
    else:
        data["schema"] = schema
    report_file.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportError, match=re.escape("factlinks.report/1")) as caught:
        results_from_report(report_file)
    assert expected in str(caught.value)
    assert str(report_file) in str(caught.value)
    assert isinstance(caught.value, factlinks.FactlinksError)


def _one_source(**changes: Any) -> str:
    """A valid report.json of one dead source with an archive copy, then ``changes``."""
    source = Source(id="a", url="https://a.example/")
    copy = {"url": "https://a.example/", "timestamp": "20200101000000", "verified": True}
    report = factlinks.Report(
        results=(_result(source, Status.DEAD, archive=copy),),
        started_at=FIXED_NOW,
        finished_at=FIXED_NOW,
        tool_version="0",
    )
    data = json.loads(factlinks.render_json(report))
    for key, value in changes.items():
        target = data["sources"][0]
        *parents, last = key.split(".")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(None, "no such report file", id="missing"),
        pytest.param('{"schema": "factlinks.report/1", ', "not a JSON report", id="cut-off"),
        pytest.param("[1, 2]", "not an object", id="not-an-object"),
        pytest.param('{"schema": "factlinks.report/1"}', "is missing the field", id="empty"),
        pytest.param(
            _one_source(**{"archive.url": 7}),
            "source 'a' (sources[0]): 'archive.url' must be a string",
            id="archive-url-not-a-string",
        ),
        pytest.param(
            _one_source(**{"archive.verified": "yes"}),
            "'archive.verified' must be",
            id="verified-not-a-bool",
        ),
        pytest.param(_one_source(id=None), "sources[0]", id="no-id"),
    ],
)
def test_a_broken_report_is_a_report_error(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=re.escape(expected)):
        results_from_report(path)


# -- planning ---------------------------------------------------------------------------------


def test_moved_source_gets_its_new_url(registry_file: Path, report_file: Path) -> None:
    registry = factlinks.load_sources(registry_file)
    plan = plan_fixes(registry, results_from_report(report_file))
    assert list(plan) == [
        Fix(
            "moved-report",
            "url",
            "https://old.example.org/reports/2021.pdf",
            MOVED_TO,
            "moved: the old URL redirects here permanently",
        ),
        # The documents still print the old URL: extract must still know the source by it.
        Fix(
            "moved-report",
            "cited_url",
            None,
            "https://old.example.org/reports/2021.pdf",
            "the URL the documents cite",
        ),
    ]
    assert plan.skipped == ()


def test_archive_urls_only_with_archive_and_only_verified(
    registry_file: Path, report_file: Path
) -> None:
    registry = factlinks.load_sources(registry_file)
    results = results_from_report(report_file)
    assert all(fix.key in ("url", "cited_url") for fix in plan_fixes(registry, results))

    plan = plan_fixes(registry, results, archive=True)
    archive_fixes = {fix.source_id: fix for fix in plan if fix.key == "archive_url"}
    # verified True and verified unknown are used; verified False is not; 'ok' gets nothing.
    assert set(archive_fixes) == {"dead-study", "drifted-page"}
    assert archive_fixes["dead-study"].new == SNAPSHOT
    assert archive_fixes["dead-study"].old is None
    assert "2021-02-14" in archive_fixes["dead-study"].reason
    assert "(verified)" in archive_fixes["dead-study"].reason
    assert "not verified" in archive_fixes["drifted-page"].reason
    assert [(s.source_id, s.key, s.value) for s in plan.skipped] == [
        ("dead-unverified", "archive_url", BAD_SNAPSHOT)
    ]
    assert "failed verification" in plan.skipped[0].reason


def test_results_for_unknown_ids_are_ignored(registry_file: Path) -> None:
    registry = factlinks.load_sources(registry_file)
    results = [
        ReportedResult("not-in-registry", "moved", new_url=MOVED_TO),
        ReportedResult("gone-too", "dead", archive_url=SNAPSHOT, archive_verified=True),
    ]
    plan = plan_fixes(registry, results, archive=True)
    assert (list(plan), plan.skipped) == ([], ())


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        pytest.param(
            ReportedResult("moved-report", "moved", new_url=None),
            "no new URL",
            id="moved-without-new-url",
        ),
        pytest.param(
            ReportedResult("moved-report", "moved", new_url="javascript:alert(1)"),
            "not a valid http(s) URL",
            id="new-url-not-http",
        ),
        pytest.param(
            ReportedResult(
                "moved-report", "moved", new_url=MOVED_TO, url="https://elsewhere.example/"
            ),
            "no longer the one the report checked",
            id="registry-url-edited-since",
        ),
        pytest.param(
            ReportedResult("dead-study", "dead"),
            "no archive copy found",
            id="dead-without-snapshot",
        ),
        pytest.param(
            ReportedResult("dead-study", "dead", archive_url="ftp://archive.example/x"),
            "not a valid http(s) URL",
            id="snapshot-not-http",
        ),
    ],
)
def test_suggestions_that_are_not_applied_say_why(
    registry_file: Path, result: ReportedResult, reason: str
) -> None:
    plan = plan_fixes(factlinks.load_sources(registry_file), [result], archive=True)
    assert list(plan) == []
    assert len(plan.skipped) == 1
    assert reason in plan.skipped[0].reason


def test_an_archive_url_chosen_by_hand_is_not_replaced(tmp_path: Path) -> None:
    text = REGISTRY.replace(
        "accessed = 2021-02-15", 'accessed = 2021-02-15\narchive_url = "https://perma.cc/AB12"'
    )
    registry = factlinks.parse_sources(text)
    result = ReportedResult("dead-study", "dead", archive_url=SNAPSHOT, archive_verified=True)
    plan = plan_fixes(registry, [result], archive=True)
    assert list(plan) == []
    assert "already has another archive_url" in plan.skipped[0].reason


# -- editing ----------------------------------------------------------------------------------


def _url_fixes(plan: FixPlan) -> list[Fix]:
    """The fixes of ``plan`` without the ``cited_url`` a move records (its own test below)."""
    return [fix for fix in plan if fix.key != "cited_url"]


def test_a_move_records_the_cited_url_right_after_url(
    registry_file: Path, report_file: Path
) -> None:
    registry = factlinks.load_sources(registry_file)
    new = apply_fixes(registry_file, plan_fixes(registry, results_from_report(report_file)))
    assert _diff_body(unified_diff("sources.toml", REGISTRY, new)) == [
        '-url      = "https://old.example.org/reports/2021.pdf"  # as printed',
        f'+url      = "{MOVED_TO}"  # as printed',
        '+cited_url = "https://old.example.org/reports/2021.pdf"',
    ]


def test_only_the_moved_url_line_changes(registry_file: Path, report_file: Path) -> None:
    registry = factlinks.load_sources(registry_file)
    plan = _url_fixes(plan_fixes(registry, results_from_report(report_file)))
    new = apply_fixes(registry_file, plan)
    assert _changed(REGISTRY, new) == [
        (
            'url      = "https://old.example.org/reports/2021.pdf"  # as printed',
            f'url      = "{MOVED_TO}"  # as printed',
        )
    ]
    diff = unified_diff("sources.toml", REGISTRY, new)
    assert diff.startswith("--- a/sources.toml\n+++ b/sources.toml\n@@ ")
    assert _diff_body(diff) == [
        '-url      = "https://old.example.org/reports/2021.pdf"  # as printed',
        f'+url      = "{MOVED_TO}"  # as printed',
    ]
    assert registry_file.read_text(encoding="utf-8") == REGISTRY  # not written


def test_archive_url_goes_right_after_url_and_nothing_else_moves(
    registry_file: Path, report_file: Path
) -> None:
    registry = factlinks.load_sources(registry_file)
    plan = _url_fixes(plan_fixes(registry, results_from_report(report_file), archive=True))
    new = apply_fixes(registry_file, plan)
    old_lines, new_lines = REGISTRY.split("\n"), new.split("\n")
    added = [line for line in new_lines if line.startswith("archive_url")]
    assert added == [f'archive_url = "{SNAPSHOT}"', f'archive_url = "{DRIFT_SNAPSHOT}"']
    for line in added:
        assert new_lines[new_lines.index(line) - 1].startswith("url")
    # Take the added lines out again, and the rest is the old text but for the moved URL.
    kept = "\n".join(line for line in new_lines if not line.startswith("archive_url"))
    assert len(_changed(REGISTRY, kept)) == 1
    assert _diff_body(unified_diff("sources.toml", REGISTRY, new)) == [
        '-url      = "https://old.example.org/reports/2021.pdf"  # as printed',
        f'+url      = "{MOVED_TO}"  # as printed',
        f'+archive_url = "{SNAPSHOT}"',
        f'+archive_url = "{DRIFT_SNAPSHOT}"',
    ]
    assert len(new_lines) == len(old_lines) + 2
    fixed = {source.id: source for source in factlinks.parse_sources(new)}
    before = {source.id: source for source in registry}
    assert fixed["dead-study"] == dataclasses.replace(before["dead-study"], archive_url=SNAPSHOT)
    assert fixed["dead-unverified"] == before["dead-unverified"]


def test_fixing_twice_changes_nothing(registry_file: Path, report_file: Path) -> None:
    results = results_from_report(report_file)
    first = plan_fixes(factlinks.load_sources(registry_file), results, archive=True)
    assert len(first) == 4  # a move, the cited URL it records, two archive copies
    write_fixed(registry_file, apply_fixes(registry_file, first))
    second = plan_fixes(factlinks.load_sources(registry_file), results, archive=True)
    assert len(second) == 0
    assert not second
    assert apply_fixes(registry_file, second) == registry_file.read_text(encoding="utf-8")
    assert unified_diff(registry_file, REGISTRY, REGISTRY) == ""


def test_a_stale_plan_is_refused(registry_file: Path) -> None:
    fix = Fix("moved-report", "url", "https://somewhere.example/else.pdf", MOVED_TO, "moved")
    with pytest.raises(RegistryError, match="file changed since the plan"):
        apply_fixes(registry_file, [fix])
    with pytest.raises(RegistryError, match="no source with id 'nope'"):
        apply_fixes(registry_file, [Fix("nope", "url", None, MOVED_TO, "moved")])


def test_quoting_and_line_endings_survive(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    crlf = REGISTRY.replace("\n", "\r\n")
    path.write_bytes(crlf.encode("utf-8"))
    fixes = [
        Fix("dead-study", "url", "https://ministry.example.org/study.pdf", MOVED_TO, "moved"),
        Fix("dead-unverified", "archive_url", None, SNAPSHOT, "dead"),
    ]
    new = apply_fixes(path, fixes)
    assert f"url = '{MOVED_TO}'\r\n" in new  # a literal string stays literal
    assert "\r\n".join(line.rstrip("\r") for line in new.split("\n")) == new  # only CRLF
    assert f'archive_url = "{SNAPSHOT}"\r\n' in new
    # The diff ignores line endings, so the text may come from read_text().
    assert _diff_body(unified_diff(path, path.read_text(encoding="utf-8"), new)) == [
        "-url = 'https://ministry.example.org/study.pdf'",
        f"+url = '{MOVED_TO}'",
        f'+archive_url = "{SNAPSHOT}"',
    ]


def test_inline_source_tables_are_edited(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '# inline\nsource = [\n  { id = "a", url = "https://a.example/" },  # first\n]\n',
        encoding="utf-8",
    )
    new = apply_fixes(path, [Fix("a", "url", "https://a.example/", MOVED_TO, "moved")])
    assert new == f'# inline\nsource = [\n  {{ id = "a", url = "{MOVED_TO}" }},  # first\n]\n'


def test_unified_diff_marks_a_missing_final_newline() -> None:
    diff = unified_diff("/abs/sources.toml", 'url = "a"', 'url = "b"')
    assert diff.splitlines() == [
        "--- a/abs/sources.toml",
        "+++ b/abs/sources.toml",
        "@@ -1 +1 @@",
        '-url = "a"',
        "\\ No newline at end of file",
        '+url = "b"',
        "\\ No newline at end of file",
    ]


# -- writing ----------------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_write_fixed_is_atomic_and_keeps_the_mode(registry_file: Path, report_file: Path) -> None:
    registry_file.chmod(0o640)
    plan = plan_fixes(factlinks.load_sources(registry_file), results_from_report(report_file))
    text = apply_fixes(registry_file, plan)
    inode = registry_file.stat().st_ino
    write_fixed(registry_file, text)
    assert registry_file.read_text(encoding="utf-8") == text
    assert stat.S_IMODE(registry_file.stat().st_mode) == 0o640
    assert registry_file.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in registry_file.parent.iterdir()) == [
        "report.json",
        "sources.toml",
    ]


def test_write_fixed_refuses_an_invalid_registry(registry_file: Path) -> None:
    broken = REGISTRY.replace('url      = "https://old', 'url      = "ftp://old')
    with pytest.raises(RegistryError, match=r"refusing to write an invalid registry.*ftp"):
        write_fixed(registry_file, broken)
    assert registry_file.read_text(encoding="utf-8") == REGISTRY
    assert [p.name for p in registry_file.parent.iterdir()] == ["sources.toml"]


def test_write_fixed_keeps_a_byte_order_mark_and_follows_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.toml"
    target.write_bytes(b"\xef\xbb\xbf" + REGISTRY.encode("utf-8"))
    link = tmp_path / "sources.toml"
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError):  # pragma: no cover - no symlinks here
        pytest.skip("no symbolic links")
    new = apply_fixes(link, [Fix("fine", "url", "https://fine.example.org/", MOVED_TO, "m")])
    write_fixed(link, new)
    assert link.is_symlink()
    assert target.read_bytes() == b"\xef\xbb\xbf" + new.encode("utf-8")


# -- the repository's own registry ------------------------------------------------------------


def test_the_repository_registry_keeps_every_comment(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    shutil.copyfile(REPO_SOURCES, path)
    registry = factlinks.load_sources(path)
    moved = {
        "eurostat-isoc-e-esms": EUROSTAT_NEW,
        "pls-video-tutorials": PLS_VIDEOS_NEW,
        "bmwk-ki-herausforderungen": BMWK_NEW,
    }
    report = _save_report(tmp_path, registry, dict.fromkeys(moved, Status.MOVED), moved)
    plan = _url_fixes(plan_fixes(registry, results_from_report(report)))
    assert {fix.source_id: fix.new for fix in plan} == moved

    old = path.read_text(encoding="utf-8")
    new = apply_fixes(path, plan)
    changed = _changed(old, new)
    assert len(changed) == 3
    assert all(a.startswith("url = ") and b.startswith("url = ") for a, b in changed)
    assert sorted(b.removeprefix("url = ").strip('"') for _, b in changed) == sorted(moved.values())
    comments = [line for line in old.split("\n") if line.lstrip().startswith("#")]
    assert len(comments) > 10
    assert [line for line in new.split("\n") if line.lstrip().startswith("#")] == comments
    assert len(_diff_body(unified_diff(path, old, new))) == 6

    write_fixed(path, new)
    fixed = factlinks.load_sources(path)
    assert {s.id: s.url for s in fixed if s.id in moved} == moved
    assert [s.id for s in fixed] == [s.id for s in registry]


def test_results_from_data_takes_a_parsed_report() -> None:
    data = json.loads(_one_source(status="ok", archive=None))
    assert results_from_data(data) == [ReportedResult("a", "ok", url="https://a.example/")]


@pytest.mark.parametrize(
    ("url_line", "added"),
    [
        pytest.param('url = "https://a.example/"', 'archive_url = "{}"', id="plain"),
        pytest.param('url="https://a.example/"', 'archive_url="{}"', id="no-spaces"),
        pytest.param('url          = "https://a.example/"', 'archive_url  = "{}"', id="aligned"),
        pytest.param('  url = "https://a.example/"', '  archive_url = "{}"', id="indented"),
    ],
)
def test_a_new_archive_url_is_laid_out_like_url(tmp_path: Path, url_line: str, added: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nid = "a"\n{url_line}\nkind = "pdf"\n', encoding="utf-8")
    new = apply_fixes(path, [Fix("a", "archive_url", None, SNAPSHOT, "dead")])
    assert new == f'[[source]]\nid = "a"\n{url_line}\n{added.format(SNAPSHOT)}\nkind = "pdf"\n'


def test_a_plan_is_fitted_to_what_the_format_can_hold(registry_file: Path, tmp_path: Path) -> None:
    """A ``.bib`` holds ``url`` only: ``cited_url`` is dropped (it only records), an
    ``archive_url`` is skipped with what to do; ``sources.toml`` keeps the whole plan."""
    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{a, url = {https://a.example/}}\n", encoding="utf-8")
    plan = FixPlan(
        (
            Fix("a", "url", "https://a.example/", "https://b.example/", "moved"),
            Fix("a", "cited_url", None, "https://a.example/", "the URL the documents cite"),
            Fix("a", "archive_url", None, SNAPSHOT, "dead: archive copy"),
        )
    )
    fitted = fit_plan(bib, plan)
    assert [(f.key, f.new) for f in fitted] == [("url", "https://b.example/")]
    assert [(s.key, s.value) for s in fitted.skipped] == [("archive_url", SNAPSHOT)]
    assert fitted.skipped[0].reason == (
        "a bibtex registry has no place for 'archive_url'; add it by hand (dead: archive copy)"
    )
    assert apply_fixes(bib, fitted) == "@misc{a, url = {https://b.example/}}\n"
    assert fit_plan(registry_file, plan) == plan


# -- from the second review: fix --state reads "the last run", whatever it checked -------------

TITLE = "Jahresbericht der Beispielstiftung 2021"


def _moved_farm(farm: Farm) -> None:
    farm.add_host(
        "docs.example.org",
        {
            "/old.html": Reply.redirect("/new.html"),
            "/new.html": Reply.html(f"<h1>{TITLE}</h1>", title=TITLE),
            "/other.html": Reply.html("<h1>Other</h1>", title="Other"),
        },
    )


def _title(source_id: str) -> str:
    return TITLE if source_id == "study" else "Other"


def _registry(path: Path, entries: dict[str, str]) -> Path:
    text = "".join(
        f'[[source]]\nid = "{sid}"\nurl = "{url}"\ntitle = "{_title(sid)}"\n\n'
        for sid, url in entries.items()
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.integration
def test_fix_from_state_still_sees_moves_after_an_only_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = _registry(
        tmp_path / "sources.toml",
        {
            "study": "https://docs.example.org/old.html",
            "other": "https://docs.example.org/other.html",
        },
    )
    state = tmp_path / "state.db"
    with Farm() as farm:
        _moved_farm(farm)
        base = ["check", str(registry), "--state", str(state), "--no-archive", "-q"]
        base += ["--out", str(tmp_path / "out"), *farm.remap_args()]
        assert main(base) == 0  # study is moved
        assert main([*base, "--only", "other"]) == 0  # a quick re-check of one source
    capsys.readouterr()
    assert main(["fix", str(registry), "--state", str(state)]) == 0
    assert '+url = "https://docs.example.org/new.html"' in capsys.readouterr().out


@pytest.mark.integration
def test_fix_from_state_uses_the_last_run_of_this_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _registry(tmp_path / "a.toml", {"study": "https://docs.example.org/old.html"})
    second = _registry(tmp_path / "b.toml", {"other": "https://docs.example.org/other.html"})
    state = tmp_path / "state.db"
    with Farm() as farm:
        _moved_farm(farm)
        args = ["--state", str(state), "--no-archive", "-q", *farm.remap_args()]
        assert main(["check", str(first), "--out", str(tmp_path / "a"), *args]) == 0
        assert main(["check", str(second), "--out", str(tmp_path / "b"), *args]) == 0
    capsys.readouterr()
    assert main(["fix", str(first), "--state", str(state)]) == 0
    assert '+url = "https://docs.example.org/new.html"' in capsys.readouterr().out
