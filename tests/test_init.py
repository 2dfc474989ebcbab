"""Starting from documents: folders and stdin, ``factlinks init``, and ``check DOC``."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest

import factlinks
from factlinks._cli import main
from factlinks._extract import documents
from factlinks._extract.documents import (
    DEFAULT_INCLUDE,
    find_documents,
    is_document,
    matches,
    sniff_suffix,
)
from factlinks._extract.scaffold import cited_sources, registry_text, settings_block
from factlinks._files import create_atomically
from factlinks._registry.validate import SETTINGS_KEYS
from farm import Farm, Reply
from pdfgen import Link, column, make_laid_out_pdf, make_pdf

# -- a folder of documents --------------------------------------------------------------------

MARKDOWN = """# Brief

The study ([KfW 318](https://docs.example.org/kfw-318.pdf)) and the
[programme page](https://www.programme.example/ki/) say so.

```
curl https://code.example/not-a-citation
```
"""
HTML = (
    "<!DOCTYPE html><html><body><p>"
    '<a href="https://www.programme.example/ki/">Programme</a> '
    '<a href="https://docs.example.org/gone.html">Gone</a>'
    "</p></body></html>"
)
TEXT = "Eurostat: https://stats.example/ai-use-2023.html\n"
PDF_LINKS = ("https://docs.example.org/annex.pdf",)


def make_tree(root: Path) -> Path:
    """docs/ with Markdown, HTML, text and PDF, nested, plus what a walk must not read."""
    docs = root / "docs"
    (docs / "web" / "deep").mkdir(parents=True)
    (docs / "drafts").mkdir()
    (docs / "brief.md").write_text(MARKDOWN, "utf-8")
    (docs / "web" / "page.html").write_text(HTML, "utf-8")
    (docs / "web" / "deep" / "notes.txt").write_text(TEXT, "utf-8")
    (docs / "reading.pdf").write_bytes(make_pdf(["Reading list", "Annex"], links=PDF_LINKS))
    (docs / "drafts" / "draft.md").write_text("https://draft.example/x\n", "utf-8")
    (docs / "script.py").write_text("URL = 'https://code.example/py'\n", "utf-8")
    for skipped in (".git", "node_modules", "venv", ".hidden"):
        (docs / skipped).mkdir()
        (docs / skipped / "x.md").write_text(f"https://{skipped.strip('.')}.example/\n", "utf-8")
    (docs / "venv" / "pyvenv.cfg").write_text("home = /usr\n", "utf-8")
    (docs / ".secret.md").write_text("https://secret.example/\n", "utf-8")
    return docs


EXPECTED_URLS = [
    "https://docs.example.org/kfw-318.pdf",
    "https://www.programme.example/ki/",
    "https://draft.example/x",
    "https://docs.example.org/annex.pdf",
    "https://stats.example/ai-use-2023.html",
    "https://docs.example.org/gone.html",
]
"""In walk order: brief.md, drafts/draft.md, reading.pdf, web/page.html, web/deep/notes.txt."""


def relative(paths: tuple[Path, ...], root: Path) -> list[str]:
    return [path.relative_to(root).as_posix() for path in paths]


# -- finding documents ------------------------------------------------------------------------


def test_a_folder_is_walked_in_order_skipping_hidden_folders_node_modules_and_venvs(
    tmp_path: Path,
) -> None:
    docs = make_tree(tmp_path)
    found = find_documents([docs])
    assert relative(found.files, docs) == [
        "brief.md",
        "drafts/draft.md",
        "reading.pdf",
        "web/deep/notes.txt",
        "web/page.html",
    ]
    assert not found.stdin


def test_the_reports_of_an_earlier_check_are_no_documents(tmp_path: Path) -> None:
    # `check .` writes factlinks-report/ into the folder it reads: the next `check .` or
    # `init .` must not take those reports (which link every source) for a citing document.
    (tmp_path / "notes.md").write_text("[Our Annual Report](https://example.org/a)\n", "utf-8")
    reports = tmp_path / "factlinks-report"
    reports.mkdir()
    (reports / "report.md").write_text("- `a` (ok) — <https://example.org/a>\n", "utf-8")
    (reports / "report.html").write_text('<a href="https://example.org/a">a</a>', "utf-8")
    assert relative(find_documents([tmp_path]).files, tmp_path) == ["notes.md"]
    # Named on its own, a report is read as any file is.
    assert find_documents([reports / "report.md"]).files == (reports / "report.md",)


def test_a_report_folder_of_another_name_is_not_walked_when_named_to_skip(tmp_path: Path) -> None:
    # `check docs --out docs/rep`: the next run must not read docs/rep's reports either.
    (tmp_path / "notes.md").write_text("[Our Annual Report](https://example.org/a)\n", "utf-8")
    reports = tmp_path / "rep"
    reports.mkdir()
    (reports / "report.html").write_text('<a href="https://example.org/b">b</a>', "utf-8")
    assert relative(find_documents([tmp_path]).files, tmp_path) == ["notes.md", "rep/report.html"]
    found = find_documents([tmp_path], skip_folders=[reports, tmp_path / "missing"])
    assert relative(found.files, tmp_path) == ["notes.md"]


@pytest.mark.integration
def test_check_does_not_read_its_own_reports_wherever_out_puts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "brief.md").write_text("[Leitfaden KI](https://docs.example.org/kfw-318.pdf)\n")
    with Farm() as farm:
        serve(farm)
        args = [*check_args(farm, str(docs)), "--format", "json,md,html"]
        args[args.index("out")] = str(docs / "rep")
        assert main(args) == 0
        assert main(args) == 0  # the second run reads brief.md only, not rep/report.*
    report = json.loads((docs / "rep" / "report.json").read_text("utf-8"))
    assert [s["cited_in"] for s in report["sources"]] == [["brief"]]
    capsys.readouterr()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_walk_gives_no_named_pipe(tmp_path: Path) -> None:
    # Opening a FIFO blocks until a writer comes: a walk that gave one would hang the run.
    (tmp_path / "notes.md").write_text("https://example.org/a\n", "utf-8")
    os.mkfifo(tmp_path / "pipe.md")
    assert relative(find_documents([tmp_path]).files, tmp_path) == ["notes.md"]


NO_DRAFTS = ["brief.md", "reading.pdf", "web/deep/notes.txt", "web/page.html"]


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        pytest.param(None, ["drafts"], NO_DRAFTS, id="folder-by-name"),
        pytest.param(None, ["drafts/**"], NO_DRAFTS, id="folder-by-path"),
        pytest.param(["*.md"], [], ["brief.md", "drafts/draft.md"], id="include-replaces-default"),
        pytest.param(["*.MD", "*.py"], ["draft*"], ["brief.md", "script.py"], id="any-case"),
        pytest.param(["web/**/*.txt"], [], ["web/deep/notes.txt"], id="double-star-spans-folders"),
        pytest.param(["web/*.txt"], [], [], id="single-star-stays-in-one-folder"),
        pytest.param(
            None,
            ["*.pdf", "web/page.html"],
            ["brief.md", "drafts/draft.md", "web/deep/notes.txt"],
            id="exclude-file-by-name-and-path",
        ),
    ],
)
def test_include_and_exclude_globs(
    tmp_path: Path, include: list[str] | None, exclude: list[str], expected: list[str]
) -> None:
    docs = make_tree(tmp_path)
    errors: list[factlinks.DocumentError] = []
    found = find_documents([docs], include=include, exclude=exclude, on_error=errors.append)
    assert relative(found.files, docs) == expected
    assert [str(e) for e in errors] == (
        [] if expected else [f"{docs}: no documents in this folder (looked for web/*.txt)"]
    )


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("a/b/brief.md", ["*.md"], True),
        ("a/b/brief.MD", ["*.md"], True),
        ("a/b/brief.md", ["a/*.md"], False),
        ("a/b/brief.md", ["a/**/*.md"], True),
        ("brief.md", ["**/*.md"], True),
        ("a/b/brief.md", ["a/**"], True),
        ("brief.md", ["b[rx]ief.md"], True),
        ("brief.md", ["b[!r]ief.md"], False),
        ("brief.md", ["brie?.md"], True),
        ("brief.md", ["brief.m"], False),
        ("a+b.md", ["a+b.md"], True),
    ],
)
def test_glob_table(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected


def test_a_named_file_is_read_whatever_the_globs_and_each_file_once(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    script = docs / "script.py"
    found = find_documents([script, docs, docs / "brief.md", docs], exclude=["*.py", "*.md"])
    assert relative(found.files, docs) == [
        "script.py",
        "reading.pdf",
        "web/deep/notes.txt",
        "web/page.html",
        "brief.md",
    ]


def test_symbolic_link_loops_end_and_linked_folders_are_read_once(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "a").mkdir(parents=True)
    (docs / "a" / "x.md").write_text("https://a.example/\n", "utf-8")
    (docs / "a" / "loop").symlink_to(docs, target_is_directory=True)
    (docs / "b").symlink_to(docs / "a", target_is_directory=True)
    (docs / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    found = find_documents([docs], on_error=lambda error: None)
    assert relative(found.files, docs) == ["a/x.md", "dangling.md"]


def test_missing_paths_and_empty_folders_are_errors_that_name_them(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(factlinks.DocumentError, match="missing: cannot read: no such file"):
        find_documents(["missing"])
    errors: list[factlinks.DocumentError] = []
    found = find_documents(["missing", tmp_path / "empty", "-"], on_error=errors.append)
    assert found.files == ()
    assert found.stdin
    looked = ", ".join(DEFAULT_INCLUDE)
    assert [str(e) for e in errors] == [
        "missing: cannot read: no such file or folder",
        f"{tmp_path / 'empty'}: no documents in this folder (looked for {looked})",
    ]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        pytest.param(make_pdf(["x"]), "stdin", ".pdf", id="pdf-magic"),
        pytest.param(b"<!DOCTYPE html><p>x</p>", "stdin", ".html", id="doctype"),
        pytest.param(b"<p><a href='https://a.example/'>a</a></p>", "-", ".html", id="link"),
        pytest.param(b"# Title\n\ntext\n", "stdin", ".md", id="heading"),
        pytest.param(b"see [a](https://a.example/)\n", "stdin", ".md", id="md-link"),
        pytest.param(b"[a]: https://a.example/\n", "stdin", ".md", id="reference"),
        pytest.param(b"see <https://a.example/>\n", "stdin", ".md", id="autolink"),
        pytest.param(b"see https://a.example/ now\n", "stdin", ".txt", id="text"),
        pytest.param(b"# Title\n", "brief.txt", ".txt", id="name-wins"),
        pytest.param(b"plain", "brief.HTM", ".htm", id="name-any-case"),
    ],
)
def test_stdin_type_is_sniffed_from_the_bytes(data: bytes, name: str, expected: str) -> None:
    assert sniff_suffix(data, name) == expected


def test_what_check_reads_as_documents(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    (tmp_path / "sources.toml").write_text("", "utf-8")
    (tmp_path / "registry").write_text("[[source]]\n", "utf-8")
    (tmp_path / "report").write_bytes(make_pdf(["x"]))
    documents = ["-", docs, docs / "brief.md", docs / "reading.pdf", tmp_path / "report"]
    registries = [tmp_path / "sources.toml", tmp_path / "registry", tmp_path / "missing"]
    assert [is_document(p) for p in documents] == [True] * len(documents)
    assert [is_document(p) for p in registries] == [False] * len(registries)


# -- the registry init writes -----------------------------------------------------------------


def test_the_commented_settings_are_every_setting_at_its_default() -> None:
    block = settings_block()
    assert all(line.startswith("# ") for line in block.splitlines())
    uncommented = "\n".join(line[2:] for line in block.splitlines())
    settings = factlinks.parse_sources(uncommented).settings
    assert sorted(settings) == sorted(SETTINGS_KEYS)
    defaults = factlinks.CheckOptions()
    options = factlinks.parse_sources(uncommented).options()
    for key in SETTINGS_KEYS:
        if key not in ("canary_url", "contact"):  # no default: the block shows an example
            assert getattr(options, key) == getattr(defaults, key), key


def test_cited_sources_merge_the_documents_that_cite_a_url() -> None:
    cited = [
        factlinks.CitedUrl("https://a.example/x.pdf", "brief", "line 3"),
        factlinks.CitedUrl("https://b.example/y", "brief", "line 4"),
        factlinks.CitedUrl("https://a.example/x.pdf", "annex", "page 2 link"),
        factlinks.CitedUrl("https://a.example/x.pdf", "brief", "line 9"),
    ]
    sources, notes = cited_sources(cited, today=dt.date(2026, 12, 2))
    assert [(s.url, s.cited_in, s.kind.value) for s in sources] == [
        ("https://a.example/x.pdf", ("brief", "annex"), "pdf"),
        ("https://b.example/y", ("brief",), "any"),
    ]
    assert notes[sources[0].id] == (
        "Found by factlinks init in brief (line 3) on 2026-12-02.\nAlso cited in annex."
    )
    text = registry_text(sources, notes, ["brief.md", "annex.pdf"], today=dt.date(2026, 12, 2))
    assert factlinks.parse_sources(text, path="sources.toml").sources == tuple(sources)
    assert "# Also cited in annex.\n[[source]]" in text


def test_the_header_of_a_registry_written_elsewhere_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.md").write_text("[Our Annual Report](https://example.org/a)\n", "utf-8")
    assert main(["init", "notes.md", "-o", "regs/mine.toml"]) == 2  # no folder regs/
    (tmp_path / "regs").mkdir()
    assert main(["init", "notes.md", "-o", "regs/mine.toml"]) == 0
    assert "run 'factlinks check regs/mine.toml'" in capsys.readouterr().err
    text = (tmp_path / "regs" / "mine.toml").read_text("utf-8")
    assert "# 2. Run `factlinks check regs/mine.toml`" in text
    assert "--sources regs/mine.toml" in text
    assert "./sources.toml" not in text


def test_init_writes_a_commented_registry_of_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = make_tree(tmp_path)
    assert main(["init", str(docs), "--exclude", "drafts"]) == 0
    err = capsys.readouterr().err
    assert (
        "sources.toml: 5 source(s) from 4 document(s); read it, then run 'factlinks check'" in err
    )
    text = (tmp_path / "sources.toml").read_text("utf-8")
    registry = factlinks.load_sources(tmp_path / "sources.toml")
    expected = [url for url in EXPECTED_URLS if "draft" not in url]
    assert [s.url for s in registry] == expected
    assert {s.url: s.cited_in for s in registry}["https://www.programme.example/ki/"] == (
        "brief",
        "page",
    )
    assert text.startswith(f"# The sources cited in {docs}:\n# 5 URL(s), found by factlinks init")
    assert "# 2. Run `factlinks check`" in text
    assert settings_block() in text
    assert re.search(r"^\[settings\]", text, re.MULTILINE) is None  # commented out
    notes = re.findall(r"^# Found by factlinks init in (\w+) \(([^)]*)\)", text, re.MULTILINE)
    assert notes == [
        ("brief", "line 3 link"),
        ("brief", "line 4 link"),
        ("reading", "page 1 link"),
        ("notes", "line 1"),
        ("page", "<a href>"),
    ]
    assert "code.example" not in text  # code blocks and .py files are not read


def test_init_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = make_tree(tmp_path)
    existing = tmp_path / "sources.toml"
    existing.write_text("# mine\n", "utf-8")
    assert main(["init", str(docs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("factlinks: error: sources.toml exists already: --force replaces it")
    assert "factlinks extract DOC… --sources sources.toml --write" in err
    assert existing.read_text("utf-8") == "# mine\n"
    assert main(["init", str(docs), "--force"]) == 0
    assert len(factlinks.load_sources(existing)) == len(EXPECTED_URLS)
    other = tmp_path / "other.toml"
    assert main(["init", str(docs / "brief.md"), "-o", str(other)]) == 0
    assert f"then run 'factlinks check {other}'" in capsys.readouterr().err
    assert len(factlinks.load_sources(other)) == 2
    assert main(["init", str(docs), "-o", "sources.bib"]) == 2
    assert "init writes a sources.toml" in capsys.readouterr().err


def test_init_never_replaces_a_file_that_appeared_while_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reading a folder of PDFs takes a while; a registry written meanwhile is kept."""
    import factlinks._cli as cli

    docs = make_tree(tmp_path)
    read = cli.read_documents

    def read_while_another_writes(*args: Any, **kwargs: Any) -> Any:
        Path("sources.toml").write_text("# written meanwhile\n", "utf-8")
        return read(*args, **kwargs)

    monkeypatch.setattr(cli, "read_documents", read_while_another_writes)
    assert main(["init", str(docs)]) == 2
    assert "sources.toml exists already" in capsys.readouterr().err
    assert Path("sources.toml").read_text("utf-8") == "# written meanwhile\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "sources.toml"]


@pytest.mark.parametrize("exists", [False, True])
def test_creating_without_hard_links_still_refuses_an_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool
) -> None:
    def no_links(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "sources.toml"
    if exists:
        target.write_bytes(b"old")
        with pytest.raises(FileExistsError):
            create_atomically(target, b"new", 0o644)
    else:
        create_atomically(target, b"new", 0o644)
    assert target.read_bytes() == (b"old" if exists else b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["sources.toml"]


def test_init_names_unreadable_documents_and_writes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = make_tree(tmp_path)
    (docs / "web" / "broken.pdf").write_bytes(b"%PDF-" + bytes(range(256)))
    assert main(["init", str(docs), str(tmp_path / "missing.md")]) == 2
    err = capsys.readouterr().err
    assert f"factlinks: error: {docs / 'web' / 'broken.pdf'}: the PDF cannot be read (" in err
    assert f"factlinks: error: {tmp_path / 'missing.md'}: cannot read: no such file" in err
    assert "Traceback" not in err
    text = (tmp_path / "sources.toml").read_text("utf-8")
    assert "# 2 document(s) could not be read" in text
    assert [s.url for s in factlinks.load_sources("sources.toml")] == EXPECTED_URLS


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names must be Unicode")
def test_init_of_a_file_named_in_latin_1_writes_a_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A name that is not UTF-8 (an old archive unpacked) is surrogates in Python; the
    # registry, written as UTF-8, has the name with its undecodable bytes replaced.
    (tmp_path / "docs").mkdir()
    name = os.fsdecode(b"r\xe9sum\xe9.md")
    (tmp_path / "docs" / name).write_text("[Our Annual Report](https://example.org/a)\n")
    assert main(["init", "docs"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    (source,) = factlinks.load_sources("sources.toml")
    assert source.cited_in == ("r\ufffdsum\ufffd",)
    # Named on the command line (the header names it), and as the name of stdin.
    assert main(["init", f"docs/{name}", "-o", "named.toml"]) == 0
    assert "# The sources cited in docs/r\ufffdsum\ufffd.md:" in Path("named.toml").read_text()
    stdin = io.TextIOWrapper(io.BytesIO(b"https://example.org/b\n"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", stdin)
        assert main(["init", "-", "--name", name, "-o", "stdin.toml"]) == 0
    (source,) = factlinks.load_sources("stdin.toml")
    assert source.cited_in == ("r\ufffdsum\ufffd",)


def test_init_writes_nothing_when_no_document_can_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-" + bytes(range(256)))
    assert main(["init", "broken.pdf", "missing.md"]) == 2
    assert "no document could be read; sources.toml not written" in capsys.readouterr().err
    assert not (tmp_path / "sources.toml").exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "broken.pdf"]  # no temporary file left


def test_init_of_documents_without_urls_writes_an_empty_valid_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plain.md").write_text("# Nothing cited\n", "utf-8")
    assert main(["init", "plain.md"]) == 0
    assert "0 source(s) from 1 document(s)" in capsys.readouterr().err
    assert "# No URLs were found in these documents." in Path("sources.toml").read_text("utf-8")
    assert len(factlinks.load_sources("sources.toml")) == 0


# -- standard input -----------------------------------------------------------------------------


def stdin_of(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_extract_reads_stdin_as_markdown_by_its_bytes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_of(monkeypatch, MARKDOWN.encode())
    assert main(["extract", "-v", "-"]) == 0
    assert capsys.readouterr().out == (
        "https://docs.example.org/kfw-318.pdf\tstdin: line 3 link\n"
        "https://www.programme.example/ki/\tstdin: line 4 link\n"
    )  # the code block is left out: read as Markdown, not as text


def test_extract_reads_a_pdf_from_stdin_and_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_of(monkeypatch, make_pdf(["Annex"], links=PDF_LINKS))
    assert main(["extract", "-v", "-", "--name", "annual-report"]) == 0
    assert capsys.readouterr().out == f"{PDF_LINKS[0]}\tannual-report: page 1 link\n"


def test_unreadable_stdin_is_named_as_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_of(monkeypatch, b"%PDF-" + bytes(range(256)))
    assert main(["extract", "-"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("factlinks: error: <stdin>: the PDF cannot be read (")
    assert "factlinks-stdin-" not in err  # the temporary file is not what the user named


def _fed_pipe(path: Path, data: bytes) -> threading.Thread:
    """A named pipe at ``path`` that a thread fills with ``data`` once it is opened, as a
    shell's ``<(command)`` is (``/dev/fd/63``)."""
    os.mkfifo(path)

    def feed() -> None:
        with path.open("wb") as stream:
            stream.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return writer


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_named_pipe_is_read_once_as_standard_input_is_not_sniffed_and_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``factlinks check <(…)`` and ``extract <(…)``: sniffing the first bytes of a pipe used
    them up, so the document was read as nothing (exit 0, no URLs)."""
    pipe = tmp_path / "63"
    writer = _fed_pipe(pipe, MARKDOWN.encode())
    assert documents.is_document(pipe)  # a stream is a document, and is not read to tell
    assert main(["extract", "-v", str(pipe)]) == 0
    writer.join(5)
    assert capsys.readouterr().out == (
        "https://docs.example.org/kfw-318.pdf\t63: line 3 link\n"
        "https://www.programme.example/ki/\t63: line 4 link\n"
    )  # read whole and by its bytes (Markdown: the code block left out)
    pipe.unlink()
    writer = _fed_pipe(pipe, b"%PDF-" + bytes(range(256)))
    assert main(["extract", str(pipe)]) == 2
    writer.join(5)
    assert capsys.readouterr().err.startswith(f"factlinks: error: {pipe}: the PDF cannot be read")


def test_init_from_stdin_with_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_of(monkeypatch, HTML.encode())
    docs = make_tree(tmp_path)
    assert main(["init", "-", str(docs / "web" / "deep"), "--name", "landing.html"]) == 0
    registry = factlinks.load_sources("sources.toml")
    assert [(s.url, s.cited_in) for s in registry] == [
        ("https://stats.example/ai-use-2023.html", ("notes",)),
        ("https://www.programme.example/ki/", ("landing",)),
        ("https://docs.example.org/gone.html", ("landing",)),
    ]
    text = Path("sources.toml").read_text("utf-8")
    assert text.startswith(f"# The sources cited in landing.html, {docs / 'web' / 'deep'}:")
    capsys.readouterr()


def test_extract_lists_a_folder_and_compares_it_with_a_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = make_tree(tmp_path)
    assert main(["extract", str(docs)]) == 0
    assert capsys.readouterr().out.split() == EXPECTED_URLS
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[source]]\nid = "old"\nurl = "https://old.example/"\ncited_in = ["notes"]\n', "utf-8"
    )
    assert main(["extract", str(docs), "--exclude", "*.pdf", "--sources", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "cited but not registered (5):" in out
    assert "registered but no longer cited (1):\n  old\thttps://old.example/" in out
    (docs / "web" / "broken.pdf").write_bytes(b"%PDF-" + bytes(range(256)))
    assert main(["extract", str(docs), "--sources", str(registry), "--write"]) == 2
    err = capsys.readouterr().err
    assert f"{docs / 'web' / 'broken.pdf'}: the PDF cannot be read" in err
    assert f"not compared with {registry}: a document could not be read" in err
    assert len(factlinks.load_sources(registry)) == 1  # nothing written


# -- init, then check; and check DOC ------------------------------------------------------------


def serve(farm: Farm) -> None:
    """The hosts the documents of :func:`make_tree` cite."""
    farm.add_host(
        "docs.example.org",
        {
            "/kfw-318.pdf": Reply.pdf(make_pdf(["KfW Research 318"])),
            "/annex.pdf": Reply.pdf(make_pdf(["Annex"])),
        },
    )
    farm.add_host("www.programme.example", {"/ki/": Reply.html("<h1>KI</h1>", title="KI")})
    farm.add_host("stats.example", {"/ai-use-2023.html": Reply.html("AI use", title="AI use")})
    farm.add_host("draft.example", {"/x": Reply.html("draft", title="Draft")})


def check_args(farm: Farm, *paths: str) -> list[str]:
    return ["check", *paths, "--out", "out", "--no-archive", "--timeout", "5", *farm.remap_args()]


@pytest.mark.integration
def test_init_then_check_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = make_tree(tmp_path)
    assert main(["init", str(docs)]) == 0
    with Farm() as farm:
        serve(farm)
        code = main([*check_args(farm), "--format", "json,md,html,junit"])
    assert code == 1  # gone.html is dead
    report = json.loads(Path("out/report.json").read_text("utf-8"))
    statuses = {source["url"]: source["status"] for source in report["sources"]}
    assert statuses == {url: "dead" if "gone" in url else "ok" for url in EXPECTED_URLS}
    assert report["registry"] == "sources.toml"
    assert {p.name for p in Path("out").iterdir()} == {
        "report.json",
        "report.md",
        "report.html",
        "report.junit.xml",
    }
    assert Path(".factlinks/state.db").exists()  # a registry's check keeps its history
    assert "dead" in Path("out/report.md").read_text("utf-8")
    capsys.readouterr()


@pytest.mark.integration
def test_check_a_document_directly_leaves_no_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = make_tree(tmp_path)
    with Farm() as farm:
        serve(farm)
        code = main(check_args(farm, str(docs / "brief.md")))
        err = capsys.readouterr().err
        assert code == 0
        report = json.loads(Path("out/report.json").read_text("utf-8"))
        assert [(s["url"], s["status"]) for s in report["sources"]] == [
            ("https://docs.example.org/kfw-318.pdf", "ok"),
            ("https://www.programme.example/ki/", "ok"),
        ]
        assert report["registry"] is None  # no file: nothing to write back to
        assert not Path(".factlinks").exists()
        assert not Path("sources.toml").exists()
        assert "with a registry made in memory; no history kept (--state PATH keeps one)" in err
        assert f"factlinks init {docs / 'brief.md'}" in err
        # A folder and the PDF: the dead link fails the run; --state keeps a history.
        code = main([*check_args(farm, str(docs), "--exclude", "drafts"), "--state", "h.db"])
        err = capsys.readouterr().err
    assert code == 1
    assert "the history is in h.db" in err
    with factlinks.open_history("h.db") as history:
        assert history.runs() == 1
    report = json.loads(Path("out/report.json").read_text("utf-8"))
    assert {s["url"]: s["status"] for s in report["sources"]} == {
        url: "dead" if "gone" in url else "ok" for url in EXPECTED_URLS if "draft" not in url
    }
    assert {s["id"]: s["cited_in"] for s in report["sources"]}["programme-ki"] == ["brief", "page"]


@pytest.mark.integration
def test_check_stdin_and_an_unreadable_document_exits_2_after_checking_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_of(monkeypatch, TEXT.encode())
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-" + bytes(range(256)))
    with Farm() as farm:
        serve(farm)
        code = main(check_args(farm, "-", "broken.pdf"))
    err = capsys.readouterr().err
    assert code == 2
    assert "factlinks: error: broken.pdf: the PDF cannot be read (" in err
    report = json.loads(Path("out/report.json").read_text("utf-8"))
    assert [(s["url"], s["status"], s["cited_in"]) for s in report["sources"]] == [
        ("https://stats.example/ai-use-2023.html", "ok", ["stdin"])
    ]


def test_check_refuses_a_registry_with_documents_and_unreadable_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = make_tree(tmp_path)
    Path("sources.toml").write_text("", "utf-8")
    assert main(["check", "sources.toml", str(docs)]) == 2
    assert "sources.toml: a registry is checked on its own, not with documents" in (
        capsys.readouterr().err
    )
    assert main(["check", "sources.toml", "sources.toml"]) == 2
    assert "check takes one registry, not 2" in capsys.readouterr().err
    assert main(["check", str(docs / "brief.md"), "--only", "nope"]) == 2
    assert "--only: no source with id 'nope' in the documents" in capsys.readouterr().err
    assert main(["check", "missing.pdf"]) == 2
    err = capsys.readouterr().err
    assert "missing.pdf: cannot read: no such file or folder" in err
    assert "no document could be read; nothing checked" in err
    assert not Path("factlinks-report").exists()


def test_check_a_document_without_urls_reports_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("plain.md").write_text("# Nothing cited\n", "utf-8")
    assert main(["check", "plain.md", "--no-archive"]) == 0
    assert "factlinks: no URLs found in plain.md" in capsys.readouterr().err
    report = json.loads(Path("factlinks-report/report.json").read_text("utf-8"))
    assert report["sources"] == []
    assert not Path(".factlinks").exists()


# -- the library --------------------------------------------------------------------------------


def test_sources_from_documents_is_the_in_memory_registry(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    registry = factlinks.sources_from_documents([docs], exclude=["*.pdf"])
    assert isinstance(registry, factlinks.Registry)
    assert [s.url for s in registry] == [u for u in EXPECTED_URLS if "annex" not in u]
    assert registry.path is None
    assert registry.settings == {}
    with_code = factlinks.sources_from_documents([docs / "brief.md"], include_code=True)
    assert "https://code.example/not-a-citation" in [s.url for s in with_code]
    piped = factlinks.sources_from_documents(
        ["-"], stdin=io.BytesIO(TEXT.encode()), stdin_name="eurostat.txt"
    )
    assert [(s.url, s.cited_in) for s in piped] == [
        ("https://stats.example/ai-use-2023.html", ("eurostat",))
    ]


def test_sources_from_documents_raises_or_reports_what_it_cannot_read(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    with pytest.raises(factlinks.DocumentError, match=r"^-: no standard input to read here$"):
        factlinks.sources_from_documents(["-"])
    errors: list[factlinks.DocumentError] = []
    registry = factlinks.sources_from_documents(
        [tmp_path / "missing.md", docs / "brief.md"], on_error=errors.append
    )
    assert len(registry) == 2
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'missing.md'}: cannot read: no such file or folder"
    ]


def test_unreadable_folders_and_impossible_names_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the walk may not list (the tests run as root, so the refusal is arranged)."""
    docs = make_tree(tmp_path)
    listing = os.scandir

    def scandir(path: str) -> object:
        if Path(path) == docs / "web":
            raise PermissionError(13, "Permission denied", path)
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    errors: list[factlinks.DocumentError] = []
    found = find_documents([docs, "a\0b"], on_error=errors.append)
    assert relative(found.files, docs) == ["brief.md", "drafts/draft.md", "reading.pdf"]
    assert [str(e) for e in errors] == [
        f"{docs / 'web'}: cannot read: Permission denied",
        "'a\\x00b': cannot read: embedded null byte",
    ]


def test_stdin_over_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(documents, "MAX_STDIN_BYTES", 16)
    stdin_of(monkeypatch, b"https://a.example/" * 2)
    assert main(["init", "-"]) == 2
    err = capsys.readouterr().err
    assert "factlinks: error: <stdin>: too large (over 0 MiB)" in err
    assert not Path("sources.toml").exists()


def test_tomllib_reads_what_init_writes_byte_for_byte(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    assert main(["init", str(docs)]) == 0
    data = tomllib.loads(Path("sources.toml").read_text("utf-8"))
    assert set(data) == {"source"}
    assert [entry["url"] for entry in data["source"]] == EXPECTED_URLS


TITLED_MD = """# Brief

- [Künstliche Intelligenz im Mittelstand](https://docs.example.org/ki.pdf)
- [Leitfaden zur Datenstrategie für KMU](https://www.programme.example/leitfaden/)
"""
TITLED_PDF = make_laid_out_pdf(
    [
        column(
            [
                "Weitere Literatur",
                "",
                "Datenökonomie im Mittelstand",
                "",
                "Studie zur Robotik in der Pflege",
            ]
        )
    ],
    [
        [
            Link("https://docs.example.org/daten.pdf", 1),
            Link("https://docs.example.org/studie.pdf", 2),
        ]
    ],
)
"""A PDF whose reading list sets its links over the titles, as a typesetter does."""
TITLED_HTML = (
    "<!DOCTYPE html><html><body><ul>"
    '<li><a href="https://stats.example/monitor.html">KI-Monitor 2021: Status quo der '
    "KI-Nutzung</a></li></ul></body></html>"
)


@pytest.mark.integration
def test_init_then_check_confirms_or_demotes_the_titles_proposed_from_link_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The acceptance of issue 11: a folder of Markdown, HTML and PDF, init, then check."""
    docs = tmp_path / "docs"
    (docs / "web").mkdir(parents=True)
    (docs / "brief.md").write_text(TITLED_MD, "utf-8")
    (docs / "web" / "page.html").write_text(TITLED_HTML, "utf-8")
    (docs / "reading.pdf").write_bytes(make_pdf(["Reading list"], links=PDF_LINKS))
    (docs / "report.pdf").write_bytes(TITLED_PDF)
    assert main(["init", str(docs)]) == 0
    proposed = {s.url: s.proposed_title for s in factlinks.load_sources("sources.toml")}
    assert proposed == {
        "https://docs.example.org/ki.pdf": "Künstliche Intelligenz im Mittelstand",
        "https://www.programme.example/leitfaden/": "Leitfaden zur Datenstrategie für KMU",
        "https://docs.example.org/annex.pdf": None,
        "https://stats.example/monitor.html": "KI-Monitor 2021: Status quo der KI-Nutzung",
        "https://docs.example.org/daten.pdf": "Datenökonomie im Mittelstand",
        "https://docs.example.org/studie.pdf": "Studie zur Robotik in der Pflege",
    }
    with Farm() as farm:
        farm.add_host(
            "docs.example.org",
            {
                "/ki.pdf": Reply.pdf(make_pdf(["Künstliche Intelligenz im Mittelstand"])),
                "/annex.pdf": Reply.pdf(make_pdf(["Annex"])),
                "/daten.pdf": Reply.pdf(make_pdf(["Datenökonomie im Mittelstand", "2021"])),
                "/studie.pdf": Reply.pdf(make_pdf(["Jahresbericht 2021"])),
            },
        )
        farm.add_host("www.programme.example", {"/leitfaden/": Reply.html("x", title="Start")})
        farm.add_host(
            "stats.example",
            {"/monitor.html": Reply.html("x", title="KI-Monitor 2021: Status quo der KI-Nutzung")},
        )
        assert main(check_args(farm)) == 0
    report = json.loads(Path("out/report.json").read_text("utf-8"))
    assert {s["url"]: s["status"] for s in report["sources"]} == dict.fromkeys(proposed, "ok")
    settled = {s.url: s for s in factlinks.load_sources("sources.toml")}
    assert settled["https://docs.example.org/ki.pdf"].title == (
        "Künstliche Intelligenz im Mittelstand"
    )
    assert settled["https://stats.example/monitor.html"].title == (
        "KI-Monitor 2021: Status quo der KI-Nutzung"
    )
    assert settled["https://docs.example.org/daten.pdf"].title == "Datenökonomie im Mittelstand"
    for url, text in (
        ("https://www.programme.example/leitfaden/", "Leitfaden zur Datenstrategie für KMU"),
        ("https://docs.example.org/studie.pdf", "Studie zur Robotik in der Pflege"),
    ):
        demoted = settled[url]
        assert (demoted.title, demoted.proposed_title, demoted.citation) == (None, None, text)
    assert any("was not confirmed" in note for note in report["notes"])
    capsys.readouterr()
