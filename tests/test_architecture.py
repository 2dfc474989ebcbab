"""Every seam takes a second implementation in one line, and a full check and fix run on it.

The implementations are written here, each as small as its interface allows:

- a registry *format* (:class:`LinesFormat`, a tab-separated ``.links`` file): load, edit in
  place, append; registered with ``FORMATS["links"] = LinesFormat()``;
- an archive *service* (:class:`ToyArchive`) that knows its captures without asking an API;
  registered with ``SERVICES["toy"] = ...`` and chosen by ``--archive-service toy``;
- a history *backend* (:class:`memory_history.MemoryHistory`); registered with
  ``BACKENDS["memory"] = ...`` and chosen by ``--state memory://nightly``;
- a report *format* (CSV); registered with ``FORMATS["csv"] = ("report.csv", render)`` and
  chosen by ``--format csv``.

One test drives all four together through the command line, on a loopback web: two nightly
``check`` runs, then ``fix --archive --apply`` from the history, which rewrites the ``.links``
file through the format's own editor.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import factlinks._archive as archive_seam
import factlinks._history as history_seam
import factlinks._registry as registry_seam
import factlinks._report as report_seam
from factlinks import (
    ArchiveService,
    Capture,
    HistoryBackend,
    Registry,
    RegistryError,
    RegistryFormat,
    Report,
    Source,
    Status,
)
from factlinks._cli import main
from factlinks._registry import Edit
from factlinks._registry.validate import source_from_table
from farm import Farm, Reply
from memory_history import MemoryHistory

pytestmark = pytest.mark.integration

# -- a second registry format -----------------------------------------------------------------

_COLUMNS = ("id", "url", "title", "archive_url")


class LinesFormat(RegistryFormat):
    """One source per line: ``id<TAB>url[<TAB>title[<TAB>archive_url]]``; ``#`` comments."""

    name = "links"
    suffixes = (".links",)

    def sniff(self, text: str) -> bool:
        return all("\t" in line for line in _content_lines(text))

    def parse(self, text: str, *, path: str | Any = "<string>") -> Registry:
        name = str(path)
        sources = tuple(
            source_from_table(_table(line), index, name, line=number, column=1)
            for index, (number, line) in enumerate(_numbered(text))
        )
        return Registry(sources, path=name)

    def holds(self, key: str) -> bool:
        return key in _COLUMNS

    def apply_edits(self, text: str, edits: Sequence[Edit], *, path: str | Any = "<string>") -> str:
        lines = text.split("\n")
        for edit in edits:
            if edit.key not in _COLUMNS[1:]:
                raise RegistryError(f"{path}: a .links file has no key {edit.key!r}")
            number = next(
                (n for n, line in _numbered(text) if _table(line)["id"] == edit.source_id), None
            )
            if number is None:
                raise RegistryError(f"{path}: no source {edit.source_id!r}")
            fields = lines[number - 1].split("\t")
            fields += [""] * (len(_COLUMNS) - len(fields))
            column = _COLUMNS.index(edit.key)
            if (fields[column] or None) != edit.old:
                raise RegistryError(f"{path}: {edit.source_id}.{edit.key} changed meanwhile")
            fields[column] = edit.value or ""
            lines[number - 1] = "\t".join(fields).rstrip("\t")
        return "\n".join(lines)

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | Any = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        added = "".join(f"{s.id}\t{s.url}\t{s.title or ''}".rstrip("\t") + "\n" for s in sources)
        return text + ("" if text.endswith("\n") or not text else "\n") + added


def _content_lines(text: str) -> Iterator[str]:
    return (line for _, line in _numbered(text))


def _numbered(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip() and not line.startswith("#"):
            yield number, line


def _table(line: str) -> dict[str, str]:
    return {key: value for key, value in zip(_COLUMNS, line.split("\t"), strict=False) if value}


# -- a second archive service -----------------------------------------------------------------

CAPTURE_TIME = "20200601120000"


class ToyArchive(ArchiveService):
    """An archive that keeps a capture of every page at ``https://toy-archive.example/``."""

    name = "toy"

    def __init__(self) -> None:
        self.asked: list[tuple[str, dt.date | None]] = []

    async def lookup(self, url: str, near: dt.date | None) -> Capture | None:
        self.asked.append((url, near))
        return Capture(
            url=f"https://toy-archive.example/{CAPTURE_TIME}/{quote(url, safe='')}",
            timestamp=CAPTURE_TIME,
            original=url,
            status="200",
        )

    def is_capture(self, url: str) -> bool:
        return url.startswith("https://toy-archive.example/")


# -- a second report format -------------------------------------------------------------------


def render_csv(report: Report) -> str:
    """One row per source: id, status, new URL, archive copy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "status", "new_url", "archive"])
    for result in report.results:
        copy = result.archive.url if result.archive is not None else ""
        writer.writerow([result.id, result.status.value, result.new_url or "", copy])
    return out.getvalue()


# -- the web and the registry -----------------------------------------------------------------

REGISTRY = """\
# Citations of the annual brief, one per line (id, url, title, archive copy).
moved-report\thttps://docs.example/2021/report.html\tWidget Safety Report 2021
gone-study\thttps://docs.example/studies/gone.html\tThe Gone Study
fine\thttps://docs.example/about.html
"""


def _web(farm: Farm) -> None:
    farm.add_host(
        "docs.example",
        {
            "/2021/report.html": Reply.redirect("/publications/report-2021.html", 301),
            "/publications/report-2021.html": Reply.html(
                "<h1>Widget Safety Report 2021</h1>", title="Widget Safety Report 2021"
            ),
            "/about.html": Reply.html("<p>About us</p>", title="About"),
        },
    )
    farm.add_host(
        "toy-archive.example",
        fallback=Reply.html("<h1>The Gone Study</h1>", title="The Gone Study"),
    )


@pytest.fixture
def seams(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The four second implementations, each registered in one line."""
    archive = ToyArchive()
    memory = MemoryHistory()
    monkeypatch.setitem(registry_seam.FORMATS, "links", LinesFormat())
    monkeypatch.setitem(archive_seam.SERVICES, "toy", lambda options, **_: archive)
    monkeypatch.setitem(history_seam.BACKENDS, "memory", lambda location, run_id: memory)
    monkeypatch.setitem(report_seam.FORMATS, "csv", ("report.csv", render_csv))
    return {"archive": archive, "history": memory}


def test_a_nightly_check_and_fix_run_on_four_second_implementations(
    tmp_path: Path, seams: dict[str, Any]
) -> None:
    registry = tmp_path / "brief.links"
    registry.write_text(REGISTRY, encoding="utf-8")
    out = tmp_path / "out"
    with Farm() as farm:
        _web(farm)
        argv = [
            "check",
            str(registry),
            "--out",
            str(out),
            "--format",
            "json,csv",
            "--state",
            "memory://nightly",
            "--archive-service",
            "toy",
            "--archive-api",
            "https://toy-archive.example/api",
            "--timeout",
            "5",
            "--recheck-after-days",  # the second night checks again
            "0",
            *farm.remap_args(),
        ]
        assert main(argv) == 1  # the gone study is dead
        assert main(argv) == 1  # the second night sees the first in the history

    # The registry format: sources read from the .links file, with their lines.
    loaded = registry_seam.load_sources(registry)
    assert [(s.id, s.line) for s in loaded] == [("moved-report", 2), ("gone-study", 3), ("fine", 4)]

    # The report format: the CSV is written next to the JSON, from the same Report.
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text(encoding="utf-8"))))
    assert {r["id"]: r["status"] for r in rows} == {
        "moved-report": "moved",
        "gone-study": "dead",
        "fine": "ok",
    }
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_id = {s["id"]: s for s in data["sources"]}
    assert by_id["moved-report"]["new_url"] == "https://docs.example/publications/report-2021.html"

    # The archive service: asked for the dead source only, its capture verified by title.
    archive: ToyArchive = seams["archive"]
    assert {url for url, _ in archive.asked} == {"https://docs.example/studies/gone.html"}
    copy = by_id["gone-study"]["archive"]
    assert copy["url"].startswith("https://toy-archive.example/20200601120000/")
    assert copy["verified"] is True

    # The history backend: two runs recorded; the second knows the first.
    history: MemoryHistory = seams["history"]
    assert isinstance(history, HistoryBackend)
    assert history.runs() == 2
    assert by_id["gone-study"]["history"]["previous_status"] == "dead"
    assert by_id["gone-study"]["history"]["consecutive_failures"] == 2

    # fix, from the history, through the format's editor: only the two fields change.
    code = main(["fix", str(registry), "--state", "memory://nightly", "--archive", "--apply"])
    assert code == 0
    fixed = registry.read_text(encoding="utf-8").split("\n")
    assert fixed[0] == REGISTRY.split("\n")[0]  # the comment is kept
    assert fixed[1] == (
        "moved-report\thttps://docs.example/publications/report-2021.html"
        "\tWidget Safety Report 2021"
    )
    assert (
        fixed[2]
        == f"gone-study\thttps://docs.example/studies/gone.html\tThe Gone Study\t{copy['url']}"
    )
    assert fixed[3] == "fine\thttps://docs.example/about.html"
    after = registry_seam.load_sources(registry)
    assert after.get("gone-study") is not None
    assert after.get("gone-study").archive_url == copy["url"]  # type: ignore[union-attr]
    assert [r.status for r in history.latest_results(str(registry))] == [
        Status.MOVED,
        Status.DEAD,
        Status.OK,
    ]


def test_an_unknown_archive_service_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "a"\nurl = "https://a.example/"\n', encoding="utf-8")
    code = main(["check", str(registry), "--no-state", "--archive-service", "nope"])
    assert code == 2
    assert "unknown archive service 'nope' (known: wayback)" in capsys.readouterr().err
