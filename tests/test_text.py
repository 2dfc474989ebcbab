"""Web text is sanitised once where it enters the model, and every report survives it."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

import factlinks
from factlinks import _text
from factlinks._cli import main
from factlinks._history import SourceHistory
from factlinks._history.interface import PastResult, ResultRow, StoredVerification
from factlinks._persistence import conditional_headers
from factlinks._report import html as html_report
from factlinks._report import json as json_report
from factlinks._report import junit as junit_report
from factlinks._report import markdown as markdown_report
from factlinks._report.guard import NOT_RENDERED
from factlinks._text import (
    ELLIPSIS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
    clean_headers,
    clean_text,
    clean_url,
    sendable_validator,
    url_from_header,
)
from farm import Farm, Reply
from pdfgen import _serialise, _stream, make_pdf

FORMATS = ["--format", "json,md,junit,html"]
HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What no report and no terminal line may contain."""


# -- the gate itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("Caf\ud800 report", "Caf\ufffd report", id="lone-high-surrogate"),
        pytest.param("\udfffx", "\ufffdx", id="lone-low-surrogate"),
        pytest.param("a\ufffeb\uffff", "a\ufffdb\ufffd", id="noncharacters"),
        pytest.param("\x1b[31mRed\x1b[0m", "[31mRed[0m", id="ansi-escape"),
        pytest.param("bell\x07 nul\x00 del\x7f", "bell nul del", id="bel-nul-del"),
        pytest.param("c1\x85\x9b2J", "c1 2J", id="c1-controls"),  # NEL is whitespace
        pytest.param("abc\u202edcba\u202c", "abcdcba", id="rlo-pdf"),
        pytest.param("x\u2066y\u2069\u202a", "xy", id="isolates-embeddings"),
        pytest.param("\u05e9\u200f\u05dc\u200e", "\u05e9\u200f\u05dc\u200e", id="rlm-lrm-kept"),
        pytest.param("  two\n\tlines\r\n  ", "two lines", id="whitespace-collapsed"),
        pytest.param("Künstliche Intelligenz", "Künstliche Intelligenz", id="plain-unchanged"),
    ],
)
def test_clean_text_makes_web_text_safe(raw: str, clean: str) -> None:
    assert clean_text(raw, 300) == clean
    clean.encode("utf-8")  # always encodable


@pytest.mark.parametrize("size", [301, 5_000, 4_000_000], ids=["just-over", "5k", "4mb"])
def test_clean_text_bounds_with_an_ellipsis(size: int) -> None:
    text = clean_text("x" * size, MAX_TITLE_CHARS)
    assert len(text) == MAX_TITLE_CHARS
    assert text.endswith(ELLIPSIS)


def test_clean_text_marks_text_it_did_not_look_at() -> None:
    # 4 MB of spaces after a short title: not all of it is scanned, and the cut shows.
    assert clean_text("Title" + " " * 4_000_000 + "tail", 300) == "Title" + ELLIPSIS
    assert clean_text("x" * 300, 300) == "x" * 300


def test_clean_text_keeps_lines_when_not_prose() -> None:
    assert clean_text("a\n\tb\x1b\x00\n", 100, prose=False) == "a\n\tb\n"


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        pytest.param("https://a.test/x?q=1#f", "https://a.test/x?q=1#f", id="valid-unchanged"),
        pytest.param("https://a.test/été", "https://a.test/été", id="iri-unchanged"),
        pytest.param(" \x00https://a.test/x \t", "https://a.test/x", id="ends-stripped"),
        pytest.param("https://a.test/a b", "https://a.test/a%20b", id="space"),
        pytest.param("https://a.test/x\x1b[2J", "https://a.test/x%1B[2J", id="escape"),
        pytest.param("https://a.test/\u202egpj.exe", "https://a.test/%E2%80%AEgpj.exe", id="rlo"),
        pytest.param("https://a.test/\ud800", "https://a.test/%EF%BF%BD", id="surrogate"),
        pytest.param("https://a.test/a\r\nb", "https://a.test/ab", id="line-break-removed"),
    ],
)
def test_clean_url_encodes_only_what_cannot_stand_in_a_url(raw: str, url: str) -> None:
    assert clean_url(raw) == url
    assert clean_url(url) == url  # idempotent


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        pytest.param(b"/caf\xe9", "/caf%E9", id="latin-1-bytes-percent-encoded"),
        pytest.param(b"/\xc3\xa9t\xc3\xa9", "/\u00e9t\u00e9", id="utf-8-decoded"),
        pytest.param(b"/\xc3\xa9\xff", "/%C3%A9%FF", id="mixed-invalid-all-raw"),
        pytest.param(b" /plain ", "/plain", id="ascii"),
    ],
)
def test_a_location_is_read_as_the_server_meant_it(raw: bytes, url: str) -> None:
    assert url_from_header(raw) == url


def test_headers_are_decoded_per_value_and_bounded() -> None:
    headers = clean_headers(
        [
            (b"ETag", b'"caf\xe9"'),
            (b"X-Utf8", b"\xc3\xa9"),
            (b"X-Long", b"y" * 20_000),
            (b"X-Ctl", b"a\x1bb"),
            (b"etag", b"second"),
        ]
    )
    assert headers["etag"] == '"caf\u00e9"'  # Latin-1 where not UTF-8; the first one kept
    assert headers["x-utf8"] == "\u00e9"  # not mojibake because another header is Latin-1
    assert len(headers["x-long"]) == _text.MAX_HEADER_CHARS
    assert headers["x-ctl"] == "ab"


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ('W/"abc"', 'W/"abc"'),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ('"caf\u00e9"', None),
        ('"a\r\nX-Injected: 1"', None),
        ("", None),
        (None, None),
        ("x" * 2000, None),
    ],
)
def test_only_sendable_validators_are_kept(value: str | None, sent: str | None) -> None:
    assert sendable_validator(value) == sent


def test_a_stored_unsendable_validator_is_never_sent() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    verification = StoredVerification(factlinks.Status.OK, "fine", None, None, None)
    row = ResultRow(
        "s",
        "https://a.test/",
        factlinks.Status.OK,
        now,
        200,
        "https://a.test/",
        '"caf\u00e9"',
        "Mi\u00e9, 21 Oct",
        None,
        None,
        verification,
        None,
    )
    past = SourceHistory.from_results([PastResult.of(row, 1)])
    assert conditional_headers(past) == {}


# -- hostile documents through the parse workers -------------------------------------------------


def _pdf_with_to_unicode(text: bytes, mapping: dict[int, str]) -> bytes:
    """A one-page PDF whose font's ToUnicode CMap maps byte codes to ``mapping``'s UTF-16."""
    chars = "\n".join(f"<{code:02X}> <{utf16}>" for code, utf16 in mapping.items())
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CMapName /Hostile def\n1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(mapping)} beginbfchar\n{chars}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode("ascii")
    return _serialise(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
            _stream(b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 7 0 R >>",
            _stream(cmap),
        ]
    )


SURROGATE_PDF = _pdf_with_to_unicode(b"Annual X Report Y", {0x58: "D800", 0x59: "DFFF"})
ESCAPE_PDF = _pdf_with_to_unicode(b"Annual X Report Y", {0x58: "001B", 0x59: "202E"})

BAD_TITLE = "\x1b[31mRed\x1b[0m \x07Bell\u202eRLO\u202c\x00Nul \x9bC1"
INJECTION = (
    "<img src=x onerror=alert(1)> ![t](https://tracker.test/p.png) [x](javascript:alert(1)) "
    "@someone <script>alert(2)</script> | table | `code` &amp;"
)


def _sources(farm_sources: list[tuple[str, str, str | None]]) -> str:
    out = []
    for source_id, url, title in farm_sources:
        out.append(f'[[source]]\nid = "{source_id}"\nurl = "{url}"')
        if title is not None:
            out.append(f"title = {json.dumps(title)}")
        out.append("")
    return "\n".join(out)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]


def _assert_clean_reports(out: Path) -> dict[str, str]:
    texts = {}
    for name in ("report.json", "report.md", "report.junit.xml", "report.html"):
        text = (out / name).read_text("utf-8")  # strict: every file is valid UTF-8
        assert not HOSTILE.search(text), (name, HOSTILE.search(text))
        texts[name] = text
    factlinks.load_report(out / "report.json")  # valid against the schema
    ET.fromstring(texts["report.junit.xml"].encode("utf-8"))
    return texts


@pytest.mark.integration
def test_hostile_titles_reach_no_report_and_no_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = "Huge " + "title " * 700_000  # a 4 MB <title>
    with Farm() as farm:
        farm.add_host(
            "hostile.test",
            {
                "/surrogate.pdf": Reply.pdf(SURROGATE_PDF),
                "/escape.pdf": Reply.pdf(ESCAPE_PDF),
                "/controls.html": Reply.html("<p>body</p>", title=BAD_TITLE),
                "/inject.html": Reply.html("<p>body</p>", title=INJECTION),
                "/huge.html": Reply.html("<p>body</p>", title=huge),
                "/h1.html": Reply.html(f"<h1>{'H' * 3_000_000}</h1>", title="Short"),
                "/ok.pdf": Reply.pdf(make_pdf(["Healthy Report"], title="Healthy Report")),
            },
        )
        sources = [
            ("surrogate", "https://hostile.test/surrogate.pdf", "Annual Report"),
            ("surrogate-no-title", "https://hostile.test/surrogate.pdf", None),
            ("escape", "https://hostile.test/escape.pdf", "Something else"),
            ("controls", "https://hostile.test/controls.html", "Something else"),
            ("inject", "https://hostile.test/inject.html", "Something else"),
            ("huge", "https://hostile.test/huge.html", "Something else"),
            ("huge-no-title", "https://hostile.test/huge.html", None),
            ("h1", "https://hostile.test/h1.html", "Something else"),
            ("ok", "https://hostile.test/ok.pdf", "Healthy Report"),
        ]
        registry = tmp_path / "sources.toml"
        registry.write_text(_sources(sources), encoding="utf-8")
        out = tmp_path / "out"
        argv = ["check", str(registry), "--out", str(out), "--no-archive", "--no-state", "-v"]
        code = main([*argv, *FORMATS, "--timeout", "20", *farm.remap_args()])
    captured = capsys.readouterr()
    assert code == 1  # drifted sources fail the run; no internal error
    texts = _assert_clean_reports(out)
    assert not HOSTILE.search(captured.err + captured.out)
    report = json.loads(texts["report.json"])
    by_id = {s["id"]: s for s in report["sources"]}
    assert set(by_id) == {source_id for source_id, _, _ in sources}
    assert by_id["ok"]["status"] == "ok"
    assert "\ufffd" in by_id["surrogate"]["title"]["found"]
    assert by_id["surrogate-no-title"]["status"] == "ok"
    assert (
        by_id["controls"]["title"]["found"] == "[31mRed[0m BellRLO\ufffdNul C1"
    )  # lxml: NUL is U+FFFD
    for source in ("huge", "h1"):
        found = by_id[source]["title"]["found"]
        assert len(found) <= MAX_TITLE_CHARS
    assert by_id["huge"]["title"]["found"].endswith(ELLIPSIS)
    # Every report small: bounded by the per-field limits, not by the page.
    per_source = 4 * MAX_TITLE_CHARS + _text.MAX_REASON_CHARS + 2 * _text.MAX_DETAIL_CHARS + 4096
    for name, text in texts.items():
        limit = 60_000 + len(sources) * per_source * (3 if name == "report.html" else 1)
        assert len(text.encode("utf-8")) < limit, (name, len(text))
    # No markup from a title is active in the Markdown or the HTML report.
    markdown = texts["report.md"]
    assert "<img" not in markdown
    assert "<script" not in markdown
    assert "![" not in markdown
    assert "@someone" not in markdown
    assert "](javascript" not in markdown
    parser = _Elements()
    parser.feed(texts["report.html"])
    assert "img" not in parser.tags
    assert parser.tags.count("script") == 2  # the page's own script and its data block only
    assert not [name for name in parser.attributes if name.startswith("on")]
    assert "javascript:" not in " ".join(parser.links)


# -- redirects: the Location bytes -----------------------------------------------------------------


@pytest.mark.integration
def test_a_non_utf8_location_is_the_url_the_server_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = Reply.html("<p>x</p>", title="Moved Page")
    long_location = "/" + "l" * (MAX_URL_CHARS + 10)
    with Farm() as farm:
        host = farm.add_host(
            "moved.test",
            {
                # http.server writes header values as Latin-1: these are the raw bytes.
                "/latin": Reply(301, {"Location": "/caf\xe9"}),
                "/utf8": Reply(301, {"Location": "/\xc3\xa9t\xc3\xa9"}),
                "/control": Reply(301, {"Location": "/x\x1b[2Jy"}),
                "/long": Reply(301, {"Location": long_location}),
                "/caf%E9": page,
                "/%C3%A9t%C3%A9": page,
                "/x%1B[2Jy": page,
            },
        )
        registry = tmp_path / "sources.toml"
        registry.write_text(
            _sources(
                [
                    ("latin", "https://moved.test/latin", "Moved Page"),
                    ("utf8", "https://moved.test/utf8", "Moved Page"),
                    ("control", "https://moved.test/control", "Moved Page"),
                    ("long", "https://moved.test/long", "Moved Page"),
                ]
            ),
            encoding="utf-8",
        )
        out = tmp_path / "out"
        argv = ["check", str(registry), "--out", str(out), "--no-archive", "--no-state"]
        code = main([*argv, *FORMATS, *farm.remap_args()])
        paths = [request.path for request in host.requests]
    assert code == 0
    texts = _assert_clean_reports(out)
    by_id = {s["id"]: s for s in json.loads(texts["report.json"])["sources"]}
    assert by_id["latin"]["new_url"] == "https://moved.test/caf%E9"
    assert by_id["utf8"]["new_url"] == "https://moved.test/\u00e9t\u00e9"
    assert by_id["control"]["new_url"] == "https://moved.test/x%1B[2Jy"
    assert {"/caf%E9", "/%C3%A9t%C3%A9", "/x%1B[2Jy"} <= set(paths)
    assert all(by_id[i]["status"] == "moved" for i in ("latin", "utf8", "control"))
    # An over-long target is refused with its reason, never cut into another URL.
    assert by_id["long"]["status"] == "unreachable"
    assert by_id["long"]["new_url"] is None
    assert f"at most {MAX_URL_CHARS}" in by_id["long"]["error"]["message"]
    assert len(by_id["long"]["redirects"][0]["location"]) == MAX_URL_CHARS
    # fix --apply writes the URL the server meant.
    capsys.readouterr()
    assert main(["fix", str(registry), "--report", str(out / "report.json"), "--apply"]) == 0
    fixed = registry.read_text("utf-8")
    assert "https://moved.test/caf%E9" in fixed
    assert "https://moved.test/\u00e9t\u00e9" in fixed


# -- validators that cannot be sent ---------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("etag", "last_modified"),
    [
        pytest.param('"caf\xe9"', None, id="latin-1-etag"),
        pytest.param('"\xc3\xa9t\xc3\xa9"', None, id="utf-8-etag"),
        pytest.param(None, "Mi\xe9, 21 Okt 2015 07:28:00 GMT", id="latin-1-last-modified"),
        pytest.param('"ok"', "Mi\xe9, 21 Okt", id="good-etag-bad-date"),
    ],
)
def test_a_non_ascii_validator_never_makes_a_source_flap(
    tmp_path: Path, etag: str | None, last_modified: str | None
) -> None:
    headers = {}
    if etag is not None:
        headers["ETag"] = etag
    if last_modified is not None:
        headers["Last-Modified"] = last_modified
    with Farm() as farm:
        host = farm.add_host(
            "etag.test", {"/doc.html": Reply.html("<p>x</p>", title="Stable", headers=headers)}
        )
        registry = tmp_path / "sources.toml"
        registry.write_text(
            _sources([("doc", "https://etag.test/doc.html", "Stable")]), encoding="utf-8"
        )
        state = tmp_path / "state.db"
        statuses = []
        for run in range(3):
            out = tmp_path / f"out{run}"
            argv = ["check", str(registry), "--out", str(out), "--no-archive"]
            argv += ["--recheck-after-days", "0"]  # every run asks the server again
            assert main([*argv, "--state", str(state), *farm.remap_args()]) == 0
            report = json.loads((out / "report.json").read_text("utf-8"))
            statuses.append(report["sources"][0]["status"])
        sent = [request.headers for request in host.requests]
    assert statuses == ["ok", "ok", "ok"]
    for request in sent:
        assert request.get("if-none-match") in (None, '"ok"')
        assert "if-modified-since" not in request
    if etag == '"ok"':
        assert sent[-1].get("if-none-match") == '"ok"'  # the sendable one still goes out


# -- one source's rendering fails: the others are still reported ----------------------------------


def _raise_for(module: object, name: str, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = getattr(module, name)

    def broken(*args: object, **kwargs: object) -> object:
        result = next(a for a in (*args, *kwargs.values()) if isinstance(a, factlinks.SourceResult))
        if result.id == bad:
            raise RuntimeError("renderer bug \x1b[31m for this source")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, broken)


@pytest.mark.integration
@pytest.mark.parametrize(
    "broken",
    [
        pytest.param([(markdown_report, "_line")], id="markdown"),
        pytest.param([(json_report, "_result")], id="json"),
        pytest.param([(html_report, "_row")], id="html"),
        pytest.param([(junit_report, "_case")], id="junit"),
        pytest.param(
            [
                (markdown_report, "_line"),
                (json_report, "_result"),
                (html_report, "_row"),
                (junit_report, "_case"),
            ],
            id="all-four",
        ),
    ],
)
def test_a_source_that_cannot_be_rendered_costs_only_its_details(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    broken: list[tuple[object, str]],
) -> None:
    for module, name in broken:
        _raise_for(module, name, "bad", monkeypatch)
    with Farm() as farm:
        farm.add_host(
            "docs.test",
            {
                "/a.html": Reply.html("<p>x</p>", title="Page A"),
                "/gone.html": Reply.not_found(),
                "/b.html": Reply.html("<p>x</p>", title="Page B"),
            },
        )
        registry = tmp_path / "sources.toml"
        ids = [("a", "/a.html", "Page A"), ("bad", "/gone.html", None), ("b", "/b.html", "Page B")]
        registry.write_text(
            _sources([(i, f"https://docs.test{p}", t) for i, p, t in ids]), encoding="utf-8"
        )
        out = tmp_path / "out"
        argv = ["check", str(registry), "--out", str(out), "--no-archive", "--no-state"]
        code = main([*argv, *FORMATS, *farm.remap_args()])
    err = capsys.readouterr().err
    assert code == 3
    assert "internal error while rendering bad" in err
    texts = _assert_clean_reports(out)
    for text in texts.values():
        for source_id in ("a", "bad", "b"):
            assert source_id in text
    report = json.loads(texts["report.json"])
    assert [s["id"] for s in report["sources"]] == ["a", "bad", "b"]
    bad = report["sources"][1]
    assert bad["status"] == "dead"
    assert bad["url"] == "https://docs.test/gone.html"
    for name, module in (
        ("report.md", markdown_report),
        ("report.json", json_report),
        ("report.html", html_report),
        ("report.junit.xml", junit_report),
    ):
        if any(m is module for m, _ in broken):
            # The note in place of the details (JSON escapes nothing in it; HTML neither).
            assert NOT_RENDERED.split(" (")[0] in texts[name], name
    if any(m is json_report for m, _ in broken):
        assert bad["error"]["kind"] == "internal"  # a report read back fails the run too
        assert not factlinks.load_report(out / "report.json").passed


def test_write_report_without_a_callback_still_writes_every_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    results = tuple(
        factlinks.SourceResult(
            factlinks.Source(i, f"https://a.test/{i}"), factlinks.Status.OK, "fine", now
        )
        for i in ("one", "bad", "two")
    )
    report = factlinks.Report(results, now, now, "test")
    _raise_for(markdown_report, "_line", "bad", monkeypatch)
    _raise_for(json_report, "_result", "bad", monkeypatch)
    failures: list[factlinks.RenderFailure] = []
    factlinks.write_report(report, tmp_path / "a", ["json", "md"], on_render_error=failures.append)
    assert [(f.source_id, f.format) for f in failures] == [("bad", "json")]  # md lists ok only
    assert failures[0].detail == "RuntimeError: renderer bug [31m for this source"
    factlinks.write_report(report, tmp_path / "b", ["json"])  # no callback: no raise
    data = json.loads((tmp_path / "b" / "report.json").read_text("utf-8"))
    assert [s["id"] for s in data["sources"]] == ["one", "bad", "two"]


def test_a_surrogate_that_got_past_the_gate_costs_one_character(tmp_path: Path) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    result = factlinks.SourceResult(
        factlinks.Source("s", "https://a.test/"), factlinks.Status.DEAD, "Gone \ud800 here", now
    )
    report = factlinks.Report((result,), now, now, "test")
    paths = factlinks.write_report(report, tmp_path, ["json", "md", "junit", "html"])
    assert len(paths) == 4
    for path in paths:
        assert "Gone" in path.read_text("utf-8")
