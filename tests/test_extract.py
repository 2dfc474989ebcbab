"""``factlinks extract``: the URLs a document cites, wrapped ones joined, each once."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

import factlinks
from factlinks import DocFormat
from factlinks._cli import main
from factlinks._extract import READERS, document_type, extract_urls, urls_in_text
from pdfgen import make_pdf

REPO = Path(__file__).resolve().parent.parent
FACTSHEET = REPO / "examples" / "factsheet-ki.txt"


def registry_urls() -> list[str]:
    data = tomllib.loads((REPO / "sources.toml").read_text("utf-8"))
    return [source["url"] for source in data["source"]]


def test_the_fact_sheet_gives_exactly_its_23_urls(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(FACTSHEET)]) == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == 23
    assert len(set(printed)) == 23  # no duplicate
    assert set(printed) == set(registry_urls())  # no fragment, nothing missing


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        pytest.param(
            "KI-Trainer (BMWK): \n https://www.mittelstand-digital.de/MD/Praxis/KI-Trainer/ \n"
            " ki-trainer.html\n\n\u2022 next",
            ["https://www.mittelstand-digital.de/MD/Praxis/KI-Trainer/ki-trainer.html"],
            id="wrapped-after-slash",
        ),
        pytest.param(
            "https://www.bmas.de/DE/Arbeit/Austausch- \n mit-der-Praxis/zentren.html\n",
            ["https://www.bmas.de/DE/Arbeit/Austausch-mit-der-Praxis/zentren.html"],
            id="wrapped-inside-a-hyphenated-word",
        ),
        pytest.param(
            "https://a.example/x.html\nhttps://b.example/y.html\n",
            ["https://a.example/x.html", "https://b.example/y.html"],
            id="next-line-is-another-url",
        ),
        pytest.param(
            "see https://a.example/\nand more text",
            ["https://a.example/"],
            id="next-line-is-prose",
        ),
        pytest.param(
            "https://a.example/report\n\nMittelstand-Studie.pdf",
            ["https://a.example/report"],
            id="blank-line-ends-a-url",
        ),
        pytest.param(
            "(see https://a.example/page.html). And <https://b.example/q?a=1>, "
            "https://en.example/wiki/Foo_(bar).",
            [
                "https://a.example/page.html",
                "https://b.example/q?a=1",
                "https://en.example/wiki/Foo_(bar)",
            ],
            id="punctuation-and-brackets-stripped",
        ),
        pytest.param(
            '[KfW](https://www.kfw.de/a.pdf "KfW") and https://www.kfw.de/a.pdf again',
            ["https://www.kfw.de/a.pdf", "https://www.kfw.de/a.pdf"],
            id="markdown-link",
        ),
        pytest.param("ftp://x.example/f and mailto:a@b.example", [], id="only-http"),
    ],
)
def test_urls_in_text(text: str, urls: list[str]) -> None:
    assert [c.url for c in urls_in_text(text, "doc")] == urls


def test_pdf_link_annotations_and_text(tmp_path: Path) -> None:
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(
        make_pdf(
            ["Quellen:\nhttps://www.kfw.de/PDF/Fokus-\nNr.-318.pdf", "Seite 2"],
            links=[
                "https://www.acatech.de/publikation/ki/",
                "https://www.kfw.de/PDF/Fokus-Nr.-318.pdf",
            ],
        )
    )
    found = factlinks.extract_urls(pdf)
    assert [(c.url, c.where) for c in found] == [
        ("https://www.acatech.de/publikation/ki/", "page 1 link"),
        ("https://www.kfw.de/PDF/Fokus-Nr.-318.pdf", "page 1 link"),
    ]
    assert {c.document for c in found} == {"brief"}


def test_html_links(tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    page.write_text(
        "<html><head><base href='https://docs.example.org/a/'></head><body>"
        "<a href='report.pdf'>r</a> <a href='https://x.example/p'>p</a> "
        "<a href='mailto:x@y.example'>m</a> <a href='#top'>t</a></body></html>",
        encoding="utf-8",
    )
    assert [c.url for c in factlinks.extract_urls(page)] == [
        "https://docs.example.org/a/report.pdf",
        "https://x.example/p",
    ]


def test_compare_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "brief.md"
    doc.write_text(
        "# Brief\n\n- [A](https://a.example/studie-2021.pdf)\n- https://b.example/seite\n",
        encoding="utf-8",
    )
    registry = tmp_path / "sources.toml"
    original = (
        "# Our citations; keep this comment.\n\n"
        "[[source]]\n"
        'id = "b"\nurl = "https://b.example/seite"\ncited_in = ["brief"]\n\n'
        "[[source]]  # gone from the brief\n"
        'id = "old"\nurl = "https://old.example/x"\ncited_in = ["brief"]\n'
    )
    registry.write_text(original, encoding="utf-8")

    assert main(["extract", str(doc), "--sources", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "cited but not registered (1):\n  https://a.example/studie-2021.pdf" in out
    assert "registered but no longer cited (1):\n  old\thttps://old.example/x" in out
    assert registry.read_text("utf-8") == original  # nothing written without --write

    assert main(["extract", str(doc), "--sources", str(registry), "--write"]) == 0
    text = registry.read_text("utf-8")
    assert text.startswith(original)  # appended: comments and formatting kept
    added = factlinks.load_sources(registry).get("a-studie-2021")
    assert added is not None
    assert added.url == "https://a.example/studie-2021.pdf"
    assert added.kind is factlinks.Kind.PDF
    assert added.cited_in == ("brief",)

    assert main(["extract", str(doc), "--sources", str(registry), "--write"]) == 0
    assert registry.read_text("utf-8") == text  # nothing new the second time


def test_generated_ids_are_unique(tmp_path: Path) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "a-report"\nurl = "https://a.example/x"\n', "utf-8")
    new = [
        factlinks.CitedUrl("https://a.example/report", "doc", "line 1"),
        factlinks.CitedUrl("https://www.a.example/2/report.html", "doc", "line 2"),
    ]
    ids = factlinks.add_to_registry(registry, new, today=dt.date(2026, 11, 26))
    assert ids == ["a-report-2", "a-report-3"]
    assert len(factlinks.load_sources(registry)) == 3


def test_unreadable_document_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path / "missing.pdf")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["extract", str(FACTSHEET), "--write"]) == 2
    assert "--write needs --sources" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        pytest.param(b"%PDF-1.7\n", "paper.bin", DocFormat.PDF, id="pdf-by-bytes"),
        pytest.param(b"  \n%PDF-1.4", "paper", DocFormat.PDF, id="pdf-after-white-space"),
        pytest.param(b"", "paper.PDF", DocFormat.PDF, id="pdf-by-name"),
        pytest.param(b"<html>", "page.htm", DocFormat.HTML, id="htm"),
        pytest.param(b"<html>", "page.XHTML", DocFormat.HTML, id="xhtml"),
        pytest.param(b"<html>", "page.txt", DocFormat.TEXT, id="html-bytes-named-txt-are-text"),
        pytest.param(b"[a](https://a.example/)", "notes.md", DocFormat.MARKDOWN, id="md"),
        pytest.param(b"", "notes.Markdown", DocFormat.MARKDOWN, id="markdown"),
        pytest.param(b"", "notes.mdown", DocFormat.MARKDOWN, id="mdown"),
        pytest.param(b"", "notes.mkd", DocFormat.MARKDOWN, id="mkd"),
        pytest.param(b"[a](https://a.example/)", "notes.txt", DocFormat.TEXT, id="md-named-txt"),
    ],
)
def test_document_type(data: bytes, name: str, expected: DocFormat) -> None:
    assert document_type(data, name) is expected


def test_extract_urls_reads_through_the_reader_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def fake(data: bytes, document: str) -> list[factlinks.CitedUrl]:
        cited = factlinks.CitedUrl(f"https://x.example/{len(data)}", document, "fake")
        return [cited, cited]

    monkeypatch.setitem(READERS, DocFormat.TEXT, fake)
    doc = tmp_path / "notes.txt"
    doc.write_bytes(b"12345")
    assert factlinks.extract_urls(doc) == [
        factlinks.CitedUrl("https://x.example/5", "notes", "fake")
    ]


@pytest.mark.parametrize(
    ("before", "joint"),
    [
        pytest.param('# head\n[[source]]\nid = "a"\nurl = "https://a.example/x"\n', "\n", id="nl"),
        pytest.param('[[source]]\nid = "a"\nurl = "https://a.example/x"', "\n", id="no-nl"),
        pytest.param('[[source]]\nid = "a"\nurl = "https://a.example/x"\n\n', "\n", id="blank"),
        pytest.param("", "\n\n", id="empty"),
    ],
)
def test_add_to_registry_writes_the_same_bytes_as_ever(
    tmp_path: Path, before: str, joint: str
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text(before, encoding="utf-8")
    new = [
        factlinks.CitedUrl('https://b.example/Stud"ie-ü.pdf', 'doc "x"', "page 3 link"),
        factlinks.CitedUrl("https://www.c.example/a/b.html?x=1", "doc", "line 2"),
    ]
    assert factlinks.add_to_registry(registry, new, today=dt.date(2026, 11, 26)) == [
        "b-stud-ie",
        "c-b",
    ]
    assert registry.read_bytes().decode("utf-8") == before + joint + (
        '# Added by factlinks extract from doc "x" (page 3 link) on 2026-11-26.\n'
        '[[source]]\nid = "b-stud-ie"\nurl = "https://b.example/Stud\\"ie-ü.pdf"\n'
        'kind = "pdf"\ncited_in = ["doc \\"x\\""]\n'
        "\n# Added by factlinks extract from doc (line 2) on 2026-11-26.\n"
        '[[source]]\nid = "c-b"\nurl = "https://www.c.example/a/b.html?x=1"\n'
        'cited_in = ["doc"]\n'
    )


# -- from the second review: PDF magic in text, fix then extract --write, bad annotations ------


def test_a_text_file_that_mentions_the_pdf_magic_is_read_as_text(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# Notes\n\nA PDF file starts with `%PDF-1.7`; see https://example.org/pdf-spec\n",
        encoding="utf-8",
    )
    assert [c.url for c in extract_urls(notes)] == ["https://example.org/pdf-spec"]


def _moved_report(path: Path, registry: Path, new_url: str) -> None:
    """Write ``path``: a real report in which the registry's one source moved to ``new_url``."""
    from factlinks import FetchResult, Hop, SourceResult, Status

    (source,) = factlinks.load_sources(registry)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    fetch = FetchResult(source.url, new_url, 200, redirects=(Hop(source.url, 301, new_url),))
    result = SourceResult(source, Status.MOVED, "moved", now, fetch=fetch, new_url=new_url)
    report = factlinks.Report(results=(result,), started_at=now, finished_at=now, tool_version="0")
    path.write_text(factlinks.render_json(report), encoding="utf-8")


def test_extract_write_does_not_re_add_a_url_that_fix_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "factsheet.txt"
    document.write_text("Studie: https://docs.example.org/old.html\n", encoding="utf-8")
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[source]]\nid = "study"\nurl = "https://docs.example.org/old.html"\n'
        'cited_in = ["factsheet"]\n',
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    _moved_report(report, registry, "https://docs.example.org/new.html")
    assert main(["fix", str(registry), "--report", str(report), "--apply"]) == 0
    (source,) = factlinks.load_sources(registry)
    assert source.url == "https://docs.example.org/new.html"
    assert source.cited_url == "https://docs.example.org/old.html"
    assert main(["extract", str(document), "--sources", str(registry), "--write"]) == 0
    ids = [s.id for s in factlinks.load_sources(registry)]
    assert ids == ["study"]
    capsys.readouterr()
    # Nor is the source reported as no longer cited, and a second move keeps the first URL.
    assert main(["extract", str(document), "--sources", str(registry)]) == 0
    assert "study" not in capsys.readouterr().out
    _moved_report(report, registry, "https://docs.example.org/newer.html")
    assert main(["fix", str(registry), "--report", str(report), "--apply"]) == 0
    (source,) = factlinks.load_sources(registry)
    assert (source.url, source.cited_url) == (
        "https://docs.example.org/newer.html",
        "https://docs.example.org/old.html",
    )


def test_a_pdf_with_a_malformed_link_annotation_is_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    page = writer.add_blank_page(100, 100)
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): NumberObject(3),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    buffer = io.BytesIO()
    writer.write(buffer)
    document = tmp_path / "brochure.pdf"
    document.write_bytes(buffer.getvalue())
    code = main(["extract", str(document)])
    assert code in (0, 2), capsys.readouterr().err
    assert "internal error" not in capsys.readouterr().err


# -- every bad document a clear DocumentError, read within limits, nothing printed (issue 9) --

from factlinks import DocumentError  # noqa: E402
from factlinks._extract import MAX_TEXT_BYTES, isolate  # noqa: E402
from factlinks._extract.html import read_html  # noqa: E402
from factlinks._extract.pdf import read_pdf  # noqa: E402
from factlinks._extract.text import read_text  # noqa: E402
from factlinks._extract.urls import strip_url, valid_url  # noqa: E402
from malformed_docs import HOSTILE_HTML, HOSTILE_PDFS  # noqa: E402
from pdfgen import make_slow_pdf  # noqa: E402


@pytest.mark.parametrize("data", HOSTILE_PDFS.values(), ids=HOSTILE_PDFS.keys())
def test_a_hostile_pdf_gives_urls_or_a_document_error(
    data: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    try:
        found = read_pdf(data, "brief")
    except DocumentError as exc:
        found = []
        message = str(exc)
    else:
        message = "the PDF was read"
    assert message.startswith("the PDF ")
    assert all(valid_url(c.url) for c in found)
    assert capfd.readouterr() == ("", "")  # warnings are errors here: none escaped either


@pytest.mark.parametrize("data", HOSTILE_HTML.values(), ids=HOSTILE_HTML.keys())
def test_a_hostile_page_gives_valid_urls_and_prints_nothing(
    data: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    found = read_html(data, "brief")
    assert all(valid_url(c.url) for c in found)
    assert capfd.readouterr() == ("", "")


def test_a_base_that_is_no_url_is_left_out() -> None:
    found = read_html(HOSTILE_HTML["base-with-bad-brackets"], "brief")
    assert [c.url for c in found] == ["https://a.example/ok"]  # 'p.html' stays relative


def test_urls_the_registry_would_refuse_are_not_extracted() -> None:
    text = "http://[::1/x http://a:99999/ http://xn--a.\u00fc/ https://a.example/ok"
    assert [c.url for c in urls_in_text(text, "doc")] == ["https://a.example/ok"]


def test_stripping_is_linear_in_the_closing_brackets() -> None:
    url = "https://a.example/x" + ")" * 300_000  # quadratic, this took hours
    assert strip_url(url) == "https://a.example/x"
    assert [c.url for c in urls_in_text(url + ". " + "(" * 300_000, "doc")] == [
        "https://a.example/x"
    ]


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        pytest.param("root.pdf", HOSTILE_PDFS["root-missing"], "cannot be read (", id="pdf"),
        pytest.param(
            "encrypted.pdf", HOSTILE_PDFS["encryption-v9"], "is encrypted", id="encrypted-pdf"
        ),
        pytest.param(
            "garbage.pdf", b"%PDF-" + bytes(range(256)), "cannot be read (", id="garbage-pdf"
        ),
    ],
)
def test_the_cli_names_the_file_and_exits_2(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], name: str, data: bytes, why: str
) -> None:
    document = tmp_path / name
    document.write_bytes(data)
    assert main(["extract", str(document)]) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err.startswith(f"factlinks: error: {document}: the PDF {why}")
    assert "Traceback" not in err


def test_hostile_pages_read_through_the_cli_exit_0(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    documents = []
    for name in ("base-with-bad-brackets", "looks-like-a-url", "xml-document"):
        documents.append(tmp_path / f"{name}.html")
        documents[-1].write_bytes(HOSTILE_HTML[name])
    assert main(["extract", *map(str, documents)]) == 0
    assert capfd.readouterr() == ("https://a.example/ok\n", "")


def test_a_pdf_that_keeps_the_parser_busy_is_cut_at_the_time_limit(tmp_path: Path) -> None:
    document = tmp_path / "slow.pdf"
    document.write_bytes(make_slow_pdf(200_000, 100))  # a minute of text extraction
    with pytest.raises(DocumentError, match=r"took longer than 0\.5 s") as info:
        extract_urls(document, parse_timeout=0.5)
    assert str(info.value).startswith(f"{document}: ")


def test_a_document_over_the_memory_limit_is_a_document_error(tmp_path: Path) -> None:
    document = tmp_path / "brief.html"
    document.write_bytes(b"<p><a href='https://a.example/x'>x</a></p>" * 200_000)
    # 50 MiB of address space is less than the worker already maps: the tree of 200,000
    # links cannot be built.
    with pytest.raises(DocumentError, match="memory") as info:
        extract_urls(document, parse_memory=50 * 1024**2)
    assert str(info.value).startswith(f"{document}: ")


def test_a_worker_that_does_not_start_is_a_document_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolate, "_WORKER_MODULE", "factlinks._no_such_module")
    document = tmp_path / "brief.html"
    document.write_bytes(b"<a href='https://a.example/'>a</a>")
    with pytest.raises(DocumentError, match=r"brief\.html: the parse worker did not start"):
        extract_urls(document)


def _reader_the_worker_cannot_import(data: bytes, document: str) -> list[factlinks.CitedUrl]:
    raise AssertionError("never called: the worker cannot import this module")


def test_a_failure_inside_the_worker_is_a_document_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(READERS, DocFormat.HTML, _reader_the_worker_cannot_import)
    document = tmp_path / "brief.html"
    document.write_bytes(b"<a href='https://a.example/'>a</a>")
    with pytest.raises(DocumentError, match=r"brief\.html: the document cannot be read \("):
        extract_urls(document)


def test_a_reader_that_cannot_go_to_a_worker_reads_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def local(data: bytes, document: str) -> list[factlinks.CitedUrl]:
        raise DocumentError("the PDF is upside down")

    monkeypatch.setitem(READERS, DocFormat.PDF, local)
    document = tmp_path / "brief.pdf"
    document.write_bytes(b"%PDF-1.7")
    with pytest.raises(DocumentError, match=r"^.*brief\.pdf: the PDF is upside down$"):
        extract_urls(document)


def test_the_worker_reads_the_file_and_reports_what_is_wrong(tmp_path: Path) -> None:
    missing = isolate.ReadRequest(str(tmp_path / "gone.pdf"), read_pdf, "gone")
    assert missing.run()[0] == "error"
    assert str(missing.run()[1]).startswith("cannot read: ")
    encrypted = tmp_path / "e.pdf"
    encrypted.write_bytes(HOSTILE_PDFS["encryption-v9"])
    assert isolate.ReadRequest(str(encrypted), read_pdf, "e").run() == (
        "error",
        "the PDF is encrypted",
    )


def test_a_text_document_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factlinks._extract, "MAX_TEXT_BYTES", 1_000)
    document = tmp_path / "notes.txt"
    document.write_text("https://a.example/\n" * 100, encoding="utf-8")
    with pytest.raises(DocumentError, match=r"notes\.txt: too large \(over 0 MiB of text\)"):
        extract_urls(document)
    assert MAX_TEXT_BYTES == 64 * 1024**2


def test_an_endless_document_is_cut_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    if not Path("/dev/zero").exists():  # pragma: no cover - POSIX only
        pytest.skip("no /dev/zero")
    monkeypatch.setattr(factlinks._extract, "MAX_TEXT_BYTES", 10_000)
    with pytest.raises(DocumentError, match="too large"):
        extract_urls("/dev/zero")


def test_a_document_name_with_a_nul_is_a_document_error() -> None:
    with pytest.raises(DocumentError, match="cannot read"):
        extract_urls("brief\x00.pdf")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xef\xbb\xbfhttps://a.example/bom\n", id="bom"),
        pytest.param(b"\xff\xfeh\x00t\x00t\x00p\x00", id="utf-16"),
        pytest.param(b"https://a.example/\x00x\n" + bytes(range(256)), id="nul-and-binary"),
        pytest.param(b"https://a.example/\xe9t\xe9\n", id="latin-1"),
    ],
)
def test_text_in_any_encoding_gives_valid_urls(data: bytes) -> None:
    assert all(valid_url(c.url) for c in read_text(data, "notes"))


def test_add_to_registry_with_a_url_that_is_none_raises_registry_error(tmp_path: Path) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text("", encoding="utf-8")
    bad = factlinks.CitedUrl("http://[::1/x", "doc", "line 1")
    with pytest.raises(factlinks.RegistryError, match="is not a valid URL"):
        factlinks.add_to_registry(registry, [bad])
    assert registry.read_text("utf-8") == ""


_SILENT_SCRIPT = """
import logging, sys, warnings
from pathlib import Path
import factlinks
from factlinks._extract.html import read_html
from factlinks._extract.pdf import read_pdf
sys.path.insert(0, sys.argv[1])
from malformed_docs import HOSTILE_HTML, HOSTILE_PDFS, garbled_pdf
import pypdf
pypdf.PdfReader(__import__("io").BytesIO(garbled_pdf()))  # pypdf does warn, through logging
sys.stderr.write("-- factlinks from here --\\n")
for data in HOSTILE_PDFS.values():
    try:
        read_pdf(data, "d")
    except factlinks.DocumentError:
        pass
for data in HOSTILE_HTML.values():
    read_html(data, "d")
for name, data in [("a.pdf", garbled_pdf()), ("b.html", HOSTILE_HTML["looks-like-a-url"])]:
    Path(sys.argv[2], name).write_bytes(data)
    factlinks.extract_urls(Path(sys.argv[2], name))
"""


def test_the_library_prints_nothing_when_logging_is_not_configured(tmp_path: Path) -> None:
    """No handler anywhere: pypdf's warnings would go to stderr through logging.lastResort."""
    import subprocess
    import sys

    tests = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", _SILENT_SCRIPT, tests, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pypdf_alone, ours = done.stderr.split("-- factlinks from here --\n")
    assert "startxref" in pypdf_alone  # pypdf on its own prints, through logging.lastResort
    assert ours == ""  # the same file and worse, read by factlinks: nothing
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("error", "why"),
    [
        pytest.param(RecursionError("deep"), "nested too deeply", id="recursion"),
        pytest.param(AssertionError(), "(AssertionError)", id="bare-assert"),
        pytest.param(NotImplementedError("LZW v9"), "(NotImplementedError: LZW v9)", id="todo"),
    ],
)
@pytest.mark.parametrize("kind", ["pdf", "html"])
def test_whatever_a_parser_raises_becomes_a_document_error(
    monkeypatch: pytest.MonkeyPatch, kind: str, error: Exception, why: str
) -> None:
    import bs4
    import pypdfium2

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(
        pypdfium2 if kind == "pdf" else bs4,
        "PdfDocument" if kind == "pdf" else "BeautifulSoup",
        fail,
    )
    read = read_pdf if kind == "pdf" else read_html
    with pytest.raises(DocumentError, match=re.escape(why)) as info:
        read(b"%PDF-1.7" if kind == "pdf" else b"<a href='https://a.example/'>", "brief")
    assert info.value.__cause__ is error


def test_an_href_that_is_no_url_against_a_base_that_is_none_is_left_out() -> None:
    page = b"<base href='http://[x'><a href='http://[y/'>y</a><a href='//a.example/ok'>ok</a>"
    assert [c.url for c in read_html(page, "brief")] == []  # '//a.example/ok' has no scheme


def test_an_href_is_read_as_a_url_parser_reads_it() -> None:
    # A space inside is percent-encoded and a line break taken out, as a browser does; a space
    # in the host leaves no URL.
    page = (
        b"<base href='http://b.example/dir/'><a href='page 4.html'>4</a>"
        b"<a href='http://a.example/Annual Report.pdf?q=a b'>r</a>"
        b"<a href='http://a.example/long/\n path'>w</a><a href='http://a b.example/'>h</a>"
    )
    assert [c.url for c in read_html(page, "brief")] == [
        "http://b.example/dir/page%204.html",
        "http://a.example/Annual%20Report.pdf?q=a%20b",
        "http://a.example/long/%20path",
    ]


def test_a_pdf_with_a_password_is_a_document_error(tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["https://a.example/x"]))))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    document = tmp_path / "secret.pdf"
    document.write_bytes(buffer.getvalue())
    with pytest.raises(DocumentError, match=r"secret\.pdf: the PDF is encrypted$"):
        extract_urls(document)


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (9, r"brief\.html: the parser died on this document \(too much memory\?\)"),
        (86, r"brief\.html: the document needs more than 384 MiB of memory to parse"),
    ],
    ids=["killed", "memory-watch"],
)
def test_a_worker_that_dies_on_the_document_is_a_document_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, says: str
) -> None:
    """A worker killed by the kernel, or ended by its memory watch (exit 86), says ready, then
    nothing: the pipe just ends, and the exit status tells which."""
    import subprocess
    import sys

    from factlinks._inspect.worker import READY, frame

    script = (
        f"import os, sys; sys.stdout.buffer.write({frame(READY)!r}); sys.stdout.flush(); "
        f"sys.stdin.buffer.read(); os._exit({status})"
    )

    def start(memory: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )

    monkeypatch.setattr(isolate, "_start", start)
    document = tmp_path / "brief.html"
    document.write_bytes(b"<a href='https://a.example/'>a</a>")
    with pytest.raises(DocumentError, match=says):
        extract_urls(document)


def test_explicit_targets_are_never_trimmed_like_prose(tmp_path: Path) -> None:
    """An href or a PDF link annotation is the target as set: its final "." or ")" stays,
    where the same URL in running text loses it (it may end the sentence)."""
    targets = ["https://a.example/v1.", "https://a.example/wiki/Foo_(bar))", "https://a.example/x'"]
    page = tmp_path / "links.html"
    page.write_text(
        "".join(f'<p><a href="{url}">x</a></p>' for url in targets)
        + "<p>see https://a.example/v1.</p>",
        encoding="utf-8",
    )
    assert [c.url for c in extract_urls(page)] == targets
    pdf = tmp_path / "links.pdf"
    pdf.write_bytes(make_pdf(["Links"], links=targets))
    assert [c.url for c in extract_urls(pdf) if c.where.endswith("link")] == targets
    text = tmp_path / "links.txt"
    text.write_text("see https://a.example/v1.\n", encoding="utf-8")
    assert [c.url for c in extract_urls(text)] == ["https://a.example/v1"]


# -- issue 11: URLs wrapped in running text, glued footnotes, the entry a bare URL stands in --


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        pytest.param(
            "For details see https://www.example.\norg/wiki/Page and the rest of it.",
            ["https://www.example.org/wiki/Page"],
            id="wrapped-inside-running-text-after-a-dot",
        ),
        pytest.param(
            "see https://a.example/Austausch-\nmit-der-Praxis/seite.html dort",
            ["https://a.example/Austausch-mit-der-Praxis/seite.html"],
            id="wrapped-inside-running-text-after-a-hyphen",
        ),
        pytest.param(
            "see https://a.example/page/\nand/or something else",
            ["https://a.example/page/"],
            id="a-slash-at-the-line-end-in-plain-text-is-an-end",
        ),
        pytest.param(
            "See the manual at https://docs.example.org/manual/\n7http://example.org/other\n",
            ["https://docs.example.org/manual/", "http://example.org/other"],
            id="a-footnote-number-and-url-are-not-glued-on",
        ),
        pytest.param(
            "copyleft (https://\nwww.gnu.org/copyleft/copyleft.html), and (http:\n//luatex.org)",
            ["https://www.gnu.org/copyleft/copyleft.html", "http://luatex.org"],
            id="a-scheme-alone-at-a-line-end",
        ),
        pytest.param(
            "Siehe https://de.example.org/wiki/Usenet.)\nnews:de.comp.text.tex (Deutsch)",
            ["https://de.example.org/wiki/Usenet"],
            id="a-closing-bracket-the-url-does-not-own-ends-it",
        ),
        pytest.param(
            "2. RFC 3369, http://www.ietf.org/rfc/rfc3852.txt\n3. RFC 5280, Profile",
            ["http://www.ietf.org/rfc/rfc3852.txt"],
            id="a-list-item-below-is-no-continuation",
        ),
        pytest.param(
            "the forum https://mrunix.example/forumdisplay.php?\nf=38\nand more",
            ["https://mrunix.example/forumdisplay.php?f=38"],
            id="a-query-wrapped-after-the-question-mark",
        ),
        pytest.param(
            "Forum https://tex.example.\ncom zu nennen.",
            ["https://tex.example.com"],
            id="a-host-wrapped-after-a-dot",
        ),
        pytest.param(
            "see https://a.example/x.\nNext sentence e.g. here",
            ["https://a.example/x"],
            id="a-capital-after-a-final-dot-is-a-new-sentence",
        ),
        pytest.param(
            "see http://search.example/Encode/ArabTeX.pm#\nDESCRIPTION. See also the rest",
            ["http://search.example/Encode/ArabTeX.pm#DESCRIPTION"],
            id="a-fragment-wrapped-after-the-hash",
        ),
        pytest.param(
            "the record https://db.example/show?id=\n12345 for details",
            ["https://db.example/show?id=12345"],
            id="a-query-value-wrapped-after-the-equals-sign",
        ),
        pytest.param(
            "Quelle: https://a.example/bericht.pdf\n2019-10.\n",
            ["https://a.example/bericht.pdf"],
            id="a-date-on-the-next-line-is-no-continuation",
        ),
        pytest.param(
            "https://a.example/archiv/\n2019/10/\n",
            ["https://a.example/archiv/2019/10/"],
            id="digits-after-a-slash-continue",
        ),
        pytest.param(
            "https://a.example/live/http://other.example.org/x",
            ["https://a.example/live/", "http://other.example.org/x"],
            id="two-urls-glued",
        ),
    ],
)
def test_urls_in_text_issue_11(text: str, urls: list[str]) -> None:
    assert [c.url for c in urls_in_text(text, "doc")] == urls


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        pytest.param(
            "\u2022 KI-Trainer Netzwerk der Mittelstand-Digital Zentren (BMWK): \n"
            " https://www.example.de/KI-Trainer/ \n ki-trainer.html\n\n\u2022 next",
            ["KI-Trainer Netzwerk der Mittelstand-Digital Zentren (BMWK):"],
            id="a-bullet-item",
        ),
        pytest.param(
            "[3] Mustermann, E. (2020): Die Digitalisie-\nrung des KI-\nMittelstands. "
            "https://a.example/s.pdf\n[4] Musterfrau, F.: Zweites, https://b.example/",
            [
                "Mustermann, E. (2020): Die Digitalisierung des KI-Mittelstands.",
                "Musterfrau, F.: Zweites,",
            ],
            id="numbered-references-hyphenation-joined",
        ),
        pytest.param(
            "Intro text.\n\nA paragraph that cites\nhttps://a.example/x in its middle.\n\nNext.",
            ["A paragraph that cites in its middle."],
            id="a-blank-line-ends-a-paragraph",
        ),
        pytest.param(
            "Heading\n\nhttps://a.example/1\nhttps://b.example/2\n Next section\n",
            ["", ""],
            id="a-list-of-bare-links-has-no-entries",
        ),
        pytest.param(
            "Weiterf\u00fchrende Links \u2022 Sammlung: \n https://a.example/1\n",
            ["Sammlung:"],
            id="a-heading-before-a-bullet-is-dropped",
        ),
    ],
)
def test_a_bare_url_is_cited_with_the_entry_it_stands_in(text: str, entries: list[str]) -> None:
    assert [c.text for c in urls_in_text(text, "doc")] == entries


def test_the_fact_sheet_urls_carry_their_entries() -> None:
    found = {c.url: c.text for c in extract_urls(FACTSHEET)}
    trainer = (
        "https://www.mittelstand-digital.de/MD/Navigation/DE/Praxis/KI-Trainer/ki-trainer.html"
    )
    assert found[trainer] == "KI-Trainer Netzwerk der Mittelstand-Digital Zentren (BMWK):"
    assert found["https://www.ml2r.de/transfer/"] == (
        "KI-Kompetenzzentren (BMBF) darunter KI-Kompetenzzentrum Maschinelles Lernen"
        " Rhein-Ruhr (ML2R):"
    )
    assert found["https://www.acatech.de/publikation/fb4-0-ki-in-kmu/"] == ""  # a bare list


# -- issue 11.3: the text a link is set on, and what extract --write proposes from it ----------


def test_html_links_carry_their_text() -> None:
    page = (
        "<html><body><p>Siehe <a href='https://a.example/ki.pdf'>Künstliche\n  Intelligenz "
        "im <b>Mittelstand</b></a>.</p>"
        "<ul><li>Müller, A. (2021): KI im Handwerk. KfW Research Nr. 318. "
        "<a href='https://b.example/318.pdf'>https://b.example/318.pdf</a></li></ul>"
        "<a href='https://c.example/'><img src='logo.png' alt='Plattform Lernende Systeme'></a>"
        "<map><area href='https://d.example/map' alt='Karte der KI-Zentren'></map>"
        "<a href='https://e.example/'></a></body></html>"
    ).encode()
    assert [(c.url, c.text) for c in read_html(page, "brief")] == [
        ("https://a.example/ki.pdf", "Künstliche Intelligenz im Mittelstand"),
        (
            "https://b.example/318.pdf",
            "Müller, A. (2021): KI im Handwerk. KfW Research Nr. 318. https://b.example/318.pdf",
        ),
        ("https://c.example/", "Plattform Lernende Systeme"),
        ("https://d.example/map", "Karte der KI-Zentren"),
        ("https://e.example/", ""),
    ]


def test_extract_write_proposes_titles_and_citations(tmp_path: Path) -> None:
    doc = tmp_path / "brief.html"
    doc.write_text(
        "<ul><li><a href='https://a.example/ki.pdf'>Künstliche Intelligenz im Mittelstand</a>"
        "</li><li>Mehr: <a href='https://b.example/more'>hier</a></li></ul>",
        encoding="utf-8",
    )
    registry = tmp_path / "sources.toml"
    registry.write_text("# ours\n", encoding="utf-8")
    assert main(["extract", str(doc), "--sources", str(registry), "--write"]) == 0
    text = registry.read_text("utf-8")
    assert text.startswith("# ours\n")
    with_title, without = factlinks.load_sources(registry)
    assert with_title.proposed_title == "Künstliche Intelligenz im Mittelstand"
    assert with_title.citation == "Künstliche Intelligenz im Mittelstand"
    assert with_title.title is None  # not checked as a title until a check confirms it
    assert without.proposed_title is None
    assert without.citation == "hier"
    assert "proposed_title is the link's text" in text  # the note says what happens next
    assert tomllib.loads(text)["source"][0]["proposed_title"] == with_title.proposed_title


def test_new_sources_proposes_from_the_text() -> None:
    from factlinks._extract.registry import new_sources

    cited = [
        factlinks.CitedUrl(
            "https://kfw.example/318.pdf",
            "factsheet-ki",
            "page 4 link",
            "• KfW Research Nr. 318 (2021): Künstliche Intelligenz: hohe Wachstumschancen, "
            "aber geringe Verbreitung im Mittelstand)",
        ),
        factlinks.CitedUrl("https://x.example/", "factsheet-ki", "line 3"),
    ]
    (kfw, bare), notes = new_sources(cited, (), today=dt.date(2026, 12, 2))
    assert kfw.proposed_title == (
        "Künstliche Intelligenz: hohe Wachstumschancen, aber geringe Verbreitung im Mittelstand"
    )
    assert kfw.citation is not None
    assert kfw.citation.startswith("KfW Research Nr. 318 (2021)")
    assert (bare.citation, bare.proposed_title) == (None, None)
    assert "proposed_title" in notes[kfw.id]
    assert "proposed_title" not in notes[bare.id]
