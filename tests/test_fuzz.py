"""Fuzzing the inputs a user hands factlinks: registries and documents to extract URLs from.

The property is always the same: the call returns, or raises a :class:`factlinks.FactlinksError`
(``RegistryError``, ``DocumentError``), and prints nothing; the CLI exits 0, 1 or 2, never 3.
Inputs are TOML-ish fragments with random text in between, byte-level mutations of the
repository's registry and of the tests' PDFs and pages, and random bytes.

Every test is bounded: a fixed number of examples, a generous deadline per example, and
derandomised with no example database, so CI runs the same examples every time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import factlinks
from factlinks import DocumentError, RegistryError
from factlinks._cli import main
from factlinks._extract.html import read_html
from factlinks._extract.markdown import read_markdown, read_markdown_with_code
from factlinks._extract.pdf import read_pdf
from factlinks._extract.text import read_text
from factlinks._extract.urls import urls_in_text, valid_url
from factlinks._registry import parse_sources
from factlinks._registry.validate import url_problem
from malformed_docs import HOSTILE_HTML, HOSTILE_PDFS
from pdfgen import make_pdf

ROOT = Path(__file__).resolve().parent.parent


def fuzz(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings for one fuzz test: ``examples`` examples, the same ones every run."""
    return settings(
        max_examples=examples,
        deadline=10_000,  # ms per example: generous on a loaded machine, yet no hang passes
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,  # capsys/capfd: read after every example
        ],
    )


# -- registries -------------------------------------------------------------------------------

_TOML_FRAGMENTS = [
    "[[source]]\n",
    "[settings]\n",
    "[source]\n",
    "[[settings]]\n",
    "id = ",
    "url = ",
    "title = ",
    "kind = ",
    "cited_in = ",
    "accessed = ",
    "skip = ",
    "archive_url = ",
    "citation = ",
    "concurrency = ",
    "per_host = ",
    "timeout = ",
    "max_bytes = ",
    "max_redirects = ",
    "max_pages = ",
    "user_agent = ",
    "fail_on = ",
    "source = ",
    "settings = ",
    '"a"',
    '"kfw-318"',
    '"https://a.example/x.pdf"',
    '"http://[::1/x"',
    '"http://a:99999/"',
    '"http://a:-1/"',
    '"http://xn--a.\\u00fc/"',
    '"http://a.example/\\u0000"',
    '"javascript:alert(1)"',
    '"pdf"',
    '"dead"',
    '["dead", "ok"]',
    "[",
    "]",
    "{",
    "}",
    "[[",
    "]]",
    "=",
    ",",
    ".",
    '"',
    "'",
    "'''",
    '"""',
    "\\",
    "\\u",
    "\\ud800",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "#",
    "\x00",
    "\ufeff",
    "\ud800",
    "1979-05-27",
    "1979-02-30",
    "07:32:00",
    "1979-05-27T07:32:00+25:00",
    "1e400",
    "-0",
    "0x",
    "1" * 4_400,
    "99999999999999999999",
    "inf",
    "nan",
    "true",
    "false",
    "a.b.c",
    '"a".b',
    "[" * 2_000,
    "{a = " * 1_000,
]

toml_text = st.lists(
    st.one_of(st.sampled_from(_TOML_FRAGMENTS), st.text(max_size=8)), max_size=40
).map("".join)
"""Text built from pieces of TOML and of registries, with random text in between."""


def _check_registry_text(text: str) -> None:
    try:
        registry = parse_sources(text, path="fuzz.toml")
        registry.options()
    except RegistryError as exc:
        message = str(exc)
    else:
        assert all(url_problem(source.url) is None for source in registry)
        message = "fuzz.toml is valid"
    assert message.startswith("fuzz.toml")
    assert len(message) < 2_000


@fuzz(200)
@given(toml_text)
def test_registry_text_from_fragments(text: str) -> None:
    _check_registry_text(text)


_VALUES = st.one_of(
    st.sampled_from([f for f in _TOML_FRAGMENTS if f.startswith(('"', "[", "{", "1", "t", "f"))]),
    st.from_regex(r'"https?://[a-z\[\]:.%0-9-]{0,12}/[^"\\\n]{0,8}"', fullmatch=True),
    st.integers().map(str),
    st.floats(allow_nan=False).map(repr).filter(lambda r: "e" not in r or "." in r),
)
_KEYS = st.one_of(
    st.sampled_from([*factlinks._registry.validate.SOURCE_KEYS, "titel", "URL", "source"]),
    st.sampled_from(factlinks._registry.validate.SETTINGS_KEYS),
)


@st.composite
def structured_registry(draw: st.DrawFn) -> str:
    """A well-formed TOML file of tables and ``key = value`` lines of registry-like values."""
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        lines.append(draw(st.sampled_from(["[[source]]", "[settings]", "[[source]]"])))
        for _ in range(draw(st.integers(0, 6))):
            lines.append(f"{draw(_KEYS)} = {draw(_VALUES)}")
    return "\n".join(lines) + "\n"


@fuzz(200)
@given(structured_registry())
def test_structured_registries(text: str) -> None:
    _check_registry_text(text)


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each (position, length to cut, bytes to insert) applied."""
    out = bytearray(data)
    for position, cut, insert in edits:
        at = position % (len(out) + 1)
        out[at : at + cut] = insert
    return bytes(out)


_INSERTS = st.one_of(
    st.binary(max_size=6),
    st.sampled_from(
        [
            b"[",
            b"]",
            b"[[source]]\n",
            b'"',
            b"\n",
            b"\x00",
            b"\xff",
            b"\xef\xbb\xbf",
            b"\\u",
            b"http://[",
            b":99999",
            b"{",
            b"=",
            b"%PDF-",
            b"<<",
            b">>",
            b"obj",
            b"endobj",
            b"stream\n",
            b"endstream",
            b" 0 R",
            b"/Filter /FlateDecode",
            b"/Annots [",
            b"/URI (",
            b"<a href='",
            b"<base href='http://[",
            b"<?xml version='1.0'?>",
            b"<!--",
            b"&#xD800;",
        ]
    ),
)
edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 40), _INSERTS), max_size=12)
"""Byte-level mutations: where, how much to cut, what to put in."""

_REGISTRIES = [
    (ROOT / "sources.toml").read_bytes(),
    b'# factlinks registry\n\n[settings]\ntimeout = 10\nfail_on = ["dead"]\n\n'
    b'[[source]]\nid = "kfw-318"\nurl = "https://example.org/docs/report.pdf"\n'
    b'title = "K\xc3\xbcnstliche Intelligenz"\nkind = "pdf"\ncited_in = ["brief"]\n'
    b'accessed = 2021-02-15\narchive_url = "https://web.example/2021/x"\nskip = false\n',
    b'source = [{ id = "a", url = "https://a.example/" },\n'
    b'          { id = "b", url = "http://b.example" }]\n',
]


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz(250)
@given(st.sampled_from(_REGISTRIES), edits)
def test_mutated_registry_files(
    fuzz_dir: Path, base: bytes, changes: list[tuple[int, int, bytes]]
) -> None:
    path = fuzz_dir / "sources.toml"
    path.write_bytes(_mutate(base, changes))
    try:
        factlinks.load_sources(path).options()
    except RegistryError as exc:
        message = str(exc)
    else:
        message = f"{path} is valid"
    assert message.startswith(str(path))


@fuzz(40)
@given(st.sampled_from(_REGISTRIES), edits)
def test_the_cli_never_exits_3_on_a_mutated_registry(
    fuzz_dir: Path,
    capsys: pytest.CaptureFixture[str],
    base: bytes,
    changes: list[tuple[int, int, bytes]],
) -> None:
    """``extract --sources`` loads the registry without touching the network."""
    registry = fuzz_dir / "cli.toml"
    registry.write_bytes(_mutate(base, changes))
    document = fuzz_dir / "brief.md"
    document.write_text("https://a.example/x\n", encoding="utf-8")
    code = main(["extract", str(document), "--sources", str(registry)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    assert code == 0 or err.startswith(f"factlinks: error: {registry}")


# -- URLs -------------------------------------------------------------------------------------

url_text = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"(?i)https?://[^\s/]{0,16}(:-?[0-9]{0,6})?(/[^\s]{0,10})?", fullmatch=True),
    st.lists(
        st.sampled_from(
            [
                "http://",
                "https://",
                "[",
                "]",
                "::1",
                ":",
                "%",
                "@",
                "a",
                ".",
                "/",
                "xn--",
                "\u00fc",
                "\u2100",
                "\x00",
                "99999",
                "-1",
                "#",
                "?",
            ]
        ),
        max_size=12,
    ).map("".join),
)


@fuzz(300)
@given(url_text)
def test_a_url_the_registry_accepts_is_one_the_client_accepts(url: str) -> None:
    if url_problem(url) is None:
        assert httpx.URL(url).host
        assert valid_url(url)


@fuzz(100)
@given(
    st.lists(
        st.one_of(url_text, st.sampled_from([" ", "\n", ")", "(", ".", "<", ">"])), max_size=20
    ).map("".join)
)
def test_urls_in_text_are_valid(text: str) -> None:
    assert all(url_problem(c.url) is None for c in urls_in_text(text, "doc"))


# -- documents --------------------------------------------------------------------------------

_PDFS = [
    make_pdf(
        ["Quellen: https://www.kfw.de/PDF/Fokus-\nNr.-318.pdf", "Seite 2"],
        links=["https://www.acatech.de/publikation/ki/"],
        title="T",
        xmp_title="X",
    ),
    *HOSTILE_PDFS.values(),
]
_PAGES = [
    b"<html><head><base href='https://docs.example.org/a/'><title>t</title></head><body>"
    b"<a href='report.pdf'>r</a> <area href='https://x.example/p'> <a href='#top'>t</a>",
    *(page for page in HOSTILE_HTML.values() if len(page) < 20_000),
]


def _read_or_document_error(
    read: Callable[[bytes, str], list[factlinks.CitedUrl]], data: bytes
) -> None:
    try:
        found = read(data, "brief")
    except DocumentError:
        return
    assert all(valid_url(c.url) and c.document == "brief" for c in found)


@fuzz(150)
@given(st.sampled_from(_PDFS), edits)
def test_mutated_pdfs(
    capfd: pytest.CaptureFixture[str], base: bytes, changes: list[tuple[int, int, bytes]]
) -> None:
    _read_or_document_error(read_pdf, _mutate(base, changes))
    assert capfd.readouterr() == ("", "")


@fuzz(150)
@given(st.sampled_from(_PAGES), edits)
def test_mutated_pages(
    capfd: pytest.CaptureFixture[str], base: bytes, changes: list[tuple[int, int, bytes]]
) -> None:
    _read_or_document_error(read_html, _mutate(base, changes))
    assert capfd.readouterr() == ("", "")


_MARKDOWN = (
    b'# Brief\n\nSee [a [b]](https://a.example/x. "T") <https://b.example/> and\n'
    b"https://c.example/wrapped/\npart.html `https://code.example/` ![i](https://i.example/)\n\n"
    b"```\nhttps://fence.example/\n```\n\n<div><a href='https://h.example/'>h</a><![CDATA[x]]></div>\n\n"
    b"| a | [t][r] |\n|---|---|\n| https://cell.example/ | x |\n\n[r]: https://r.example/\n"
)


@fuzz(150)
@given(edits)
def test_mutated_markdown(
    capfd: pytest.CaptureFixture[str], changes: list[tuple[int, int, bytes]]
) -> None:
    for read in (read_markdown, read_markdown_with_code):
        _read_or_document_error(read, _mutate(_MARKDOWN, changes))
    assert capfd.readouterr() == ("", "")


@fuzz(200)
@given(st.binary(max_size=2_000))
def test_random_bytes_as_every_document_type(
    capfd: pytest.CaptureFixture[str], data: bytes
) -> None:
    for read in (read_pdf, read_html, read_text, read_markdown, read_markdown_with_code):
        _read_or_document_error(read, data)
        _read_or_document_error(read, b"%PDF-1.7\n" + data)
    assert capfd.readouterr() == ("", "")
