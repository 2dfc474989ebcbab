"""Hostile PDFs and HTML pages for the extract tests (built here, nothing downloaded).

Each PDF is a small file that once made pypdf raise something other than its own errors
(NotImplementedError, DependencyError, RecursionError, ...) or log warnings; each page is
markup that once made the HTML reader raise ValueError or beautifulsoup4 warn.
"""

from __future__ import annotations

import zlib

import pdfgen

__all__ = ["HOSTILE_HTML", "HOSTILE_PDFS", "garbled_pdf"]

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def _page(extra: bytes = b"") -> bytes:
    return (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R%s >>" % extra
    )


def _pdf(
    content: bytes, *, page: bytes = b"", pages: bytes = _PAGES, trailer: bytes = b""
) -> bytes:
    data = pdfgen._serialise([_CATALOG, pages, _page(page), content, _FONT])
    return data.replace(b"/Root 1 0 R", b"/Root 1 0 R" + trailer) if trailer else data


def garbled_pdf() -> bytes:
    """A valid PDF whose ``startxref`` points at the wrong byte: pypdf logs a warning."""
    data = pdfgen.make_pdf(["see https://a.example/garbled"])
    head, _, tail = data.rpartition(b"startxref\n")
    return head + b"startxref\n" + b"%d" % (int(tail.split(b"\n")[0]) + 7) + b"\n%%EOF\n"


_TEXT = _stream(b"BT /F1 12 Tf 72 720 Td (https://a.example/ok) Tj ET")

HOSTILE_PDFS: dict[str, bytes] = {
    "unknown-filter": _pdf(_stream(b"garbage", b" /Filter /Foo")),
    "jbig2-without-decoder": _pdf(_stream(b"\xff" * 50, b" /Filter /JBIG2Decode")),
    "lzw-garbage": _pdf(_stream(b"\xff" * 50, b" /Filter /LZWDecode")),
    "bad-predictor": _pdf(
        _stream(
            zlib.compress(b"\x05" * 100),
            b" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns -5 /Colors 99999 >>",
        )
    ),
    "encryption-v9": _pdf(
        _TEXT, trailer=b" /Encrypt << /Filter /Standard /V 9 /R 9 /O (x) /U (y) /P -1 >>"
    ),
    "public-key-encryption": _pdf(_TEXT, trailer=b" /Encrypt << /Filter /Adobe.PubSec /V 4 >>"),
    "encrypt-not-a-dict": _pdf(_TEXT, trailer=b" /Encrypt 5"),
    "nested-50000-arrays": _pdf(_TEXT, page=b" /X " + b"[" * 50_000 + b"]" * 50_000),
    "nested-20000-dicts": _pdf(_TEXT, page=b" /X " + b"<< /a " * 20_000 + b">>" * 20_000),
    "page-tree-loop": _pdf(_TEXT, pages=b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"),
    "page-tree-repeats": _pdf(
        _TEXT, pages=b"<< /Type /Pages /Kids [3 0 R 3 0 R 1 0 R] /Count 3 >>"
    ),
    "huge-page-count": _pdf(
        _TEXT, pages=b"<< /Type /Pages /Kids [3 0 R] /Count 1" + b"9" * 30 + b" >>"
    ),
    "annots-a-dict": _pdf(_TEXT, page=b" /Annots << /A 1 >>"),
    "uri-a-number": _pdf(_TEXT, page=b" /Annots [<< /A << /URI 5 >> >>]"),
    "uri-bad-brackets": _pdf(_TEXT, page=b" /Annots [<< /A << /URI (http://[::1/) >> >>]"),
    "annot-missing": _pdf(_TEXT, page=b" /Annots [99 0 R]"),
    "tounicode-surrogates": pdfgen._serialise(
        [
            _CATALOG,
            _PAGES,
            _page(),
            _stream(b"BT /F1 12 Tf (abc) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
            _stream(b"begincmap 1 beginbfrange <00> <ff> <d800> endbfrange endcmap"),
        ]
    ),
    "root-missing": pdfgen._serialise([_CATALOG]).replace(b"/Root 1 0 R", b"/Root 77 0 R"),
    "xref-garbage": b"%PDF-1.4\n1 0 obj << >> endobj\nxref\n0 99999999999\ntrailer "
    b"<< /Root 1 0 R >>\nstartxref\n9999999999999\n%%EOF",
    "xref-stream-garbage": b"%PDF-1.5\n1 0 obj << /Type /XRef /W [1 99 1] /Size 5 /Length 3 >> "
    b"stream\nabc\nendstream endobj\nstartxref\n9\n%%EOF",
    "garbled-startxref": garbled_pdf(),
    "magic-only": b"%PDF-",
    "binary-garbage": b"%PDF-1.7\n" + bytes(range(256)) * 64,
}
"""Name -> a hostile PDF."""

HOSTILE_HTML: dict[str, bytes] = {
    "base-with-bad-brackets": b"<base href='http://[x'><a href='p.html'>p</a>"
    b"<a href='https://a.example/ok'>ok</a>",
    "base-with-bad-port": b"<base href='http://a.example:99999/'><a href='p'>p</a>",
    "href-bad-brackets": b"<a href='http://[::1/x'>x</a><a href='//[::1'>y</a>"
    b"<a href='https://a.example/ok'>ok</a>",
    "href-bad-ports": b"<a href='http://a:-1/'>a</a><a href='http://a:99999/'>b</a>",
    "href-bad-idna": "<a href='http://xn--a.\u00fc/'>a</a><a href='http://\u2100/'>b</a>".encode(),
    "href-control-characters": b"<a href='http://a.example/\x00\x7f'>a</a>",
    "looks-like-a-url": b"https://a.example/only-a-url",
    "looks-like-a-file-name": b"index.html",
    "xml-document": b"<?xml version='1.0'?><rss><channel><link>https://a.example/</link>"
    b"</channel></rss>",
    "deeply-nested": b"<div>" * 100_000 + b"<a href='https://a.example/deep'>d</a>",
    "utf-16-bom-garbage": b"\xff\xfe<\x00a\x00 \x00h\x00r\x00e\x00f\x00>\x00\xd8\x00",
    "nul-bytes": b"<a href='https://a.example/\x00'>a</a>\x00" * 100,
    "binary-garbage": bytes(range(256)) * 64,
    "empty": b"",
}
"""Name -> a hostile HTML page."""
