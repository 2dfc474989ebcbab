"""Content-Encoding decoded layer by layer, each layer bounded (issue 9, point 2).

The decoder stage is tested through the fetcher with respx (the raw body is what respx
serves), and :mod:`factlinks._decode` directly for what only shows there.
"""

from __future__ import annotations

import asyncio
import gzip
import random
import sys
import tracemalloc
import types
import zlib
from collections.abc import AsyncIterator, Callable, Iterator

import brotli
import httpx
import pytest
import respx

from conftest import CheckRunner, SleepRecorder, make_source
from factlinks import CheckOptions, FetchResult, Kind, RetryPolicy, Status
from factlinks._classify import classify, judge_probe
from factlinks._decode import CHUNK, MAX_LAYERS, UndecodableError, accept_encoding, open_decoder
from factlinks._fetch import Fetcher, make_client

URL = "https://a.test/page"
PAGE = (
    b"<!DOCTYPE html><html><head><title>Stacked Encodings Report</title></head>"
    b"<body><h1>Stacked Encodings Report</h1>" + b"<p>Some text of the page.</p>" * 400
) + b"</body></html>"
OPTIONS = CheckOptions(timeout=5, retry=RetryPolicy(attempts=1))


def encode(data: bytes, coding: str) -> bytes:
    """``data`` with one coding applied (the names a test header uses)."""
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data)
    if coding == "deflate":  # zlib-wrapped, as the RFC says
        return zlib.compress(data)
    if coding == "raw-deflate":  # what many servers send as 'deflate'
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()
    if coding == "br":
        return bytes(brotli.compress(data))
    assert coding in ("identity", ""), coding
    return data


def encode_all(data: bytes, codings: list[str]) -> bytes:
    for coding in codings:  # in the order the header lists them: applied first to last
        data = encode(data, coding)
    return data


def fetch(
    content: bytes | Callable[[], AsyncIterator[bytes]],
    encoding: str | None,
    *,
    options: CheckOptions = OPTIONS,
) -> FetchResult:
    headers = {"Content-Type": "text/html"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding

    async def whole(data: bytes) -> AsyncIterator[bytes]:
        yield data  # a stream: httpx would decode bytes content eagerly, in the mock

    def answer(request: httpx.Request) -> httpx.Response:
        body = whole(content) if isinstance(content, bytes) else content()
        return httpx.Response(200, headers=headers, content=body)

    async def go() -> FetchResult:
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, sleep=SleepRecorder())
            return await fetcher.fetch(URL)

    with respx.mock() as router:
        router.get(URL).mock(side_effect=answer)
        return asyncio.run(go())


@pytest.mark.parametrize(
    ("header", "applied"),
    [
        pytest.param("gzip", ["gzip"], id="gzip"),
        pytest.param("x-gzip", ["gzip"], id="x-gzip"),
        pytest.param("GZIP", ["gzip"], id="upper-case"),
        pytest.param("deflate", ["deflate"], id="deflate-zlib-wrapped"),
        pytest.param("deflate", ["raw-deflate"], id="deflate-raw"),
        pytest.param("identity", [], id="identity"),
        pytest.param("gzip, gzip", ["gzip", "gzip"], id="gzip-gzip"),
        pytest.param("deflate, gzip", ["deflate", "gzip"], id="deflate-gzip"),
        pytest.param("gzip, deflate", ["gzip", "raw-deflate"], id="gzip-rawdeflate"),
        pytest.param("gzip, deflate, gzip", ["gzip", "deflate", "gzip"], id="gzip-deflate-gzip"),
        pytest.param("identity, gzip", ["gzip"], id="identity-gzip"),
        pytest.param("gzip, identity", ["gzip"], id="gzip-identity"),
        pytest.param("  gzip ,   Gzip  ", ["gzip", "gzip"], id="spaces-and-case"),
        pytest.param("gzip,,gzip", ["gzip", "gzip"], id="empty-token"),
        pytest.param(",", [], id="only-empty-tokens"),
        pytest.param("br", ["br"], id="br"),
        pytest.param("gzip, br", ["gzip", "br"], id="gzip-br"),
        pytest.param("br, deflate, gzip", ["br", "deflate", "gzip"], id="br-deflate-gzip"),
        pytest.param(
            ", ".join(["gzip"] * MAX_LAYERS), ["gzip"] * MAX_LAYERS, id="as-many-as-allowed"
        ),
    ],
)
def test_stacked_encodings_are_decoded(header: str, applied: list[str]) -> None:
    result = fetch(encode_all(PAGE, applied), header)
    assert result.undecodable is None
    assert result.body == PAGE
    assert result.bytes == len(PAGE)
    assert not result.truncated


def test_no_content_encoding_passes_the_body_through() -> None:
    big = PAGE * 40  # more than one chunk
    result = fetch(big, None)
    assert (result.body, result.undecodable, result.truncated) == (big, None, False)


@pytest.mark.parametrize(
    ("header", "named"),
    [
        pytest.param("compress", "'compress'", id="compress"),
        pytest.param("x-compress", "'x-compress'", id="x-compress"),
        pytest.param("zstd", "zstd", id="zstd"),
        pytest.param("gzip, sdch", "'sdch'", id="unknown-after-known"),
        pytest.param("x-gzip-but-not", "'x-gzip-but-not'", id="garbage-token"),
        pytest.param("\x1b[31mred", "'\\x1b[31mred'", id="control-characters-escaped"),
        pytest.param("a" * 100, "'" + "a" * 40 + "…'", id="long-token-cut"),
        pytest.param(
            ", ".join(["gzip"] * (MAX_LAYERS + 1)),
            f"{MAX_LAYERS + 1} stacked Content-Encodings (more than {MAX_LAYERS})",
            id="too-many-layers",
        ),
    ],
)
def test_encodings_that_cannot_be_decoded_are_named(header: str, named: str) -> None:
    result = fetch(encode(PAGE, "gzip"), header)
    assert result.undecodable is not None
    assert named in result.undecodable
    assert result.body == b""
    assert result.status_code == 200
    assert result.failure is None


@pytest.fixture
def no_brotli(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if brotli were not installed: ``import brotli`` raises ImportError."""
    monkeypatch.setitem(sys.modules, "brotli", None)


@pytest.mark.usefixtures("no_brotli")
def test_br_without_brotli_is_undecodable_and_says_what_to_install() -> None:
    result = fetch(encode(PAGE, "br"), "br")
    assert result.undecodable is not None
    assert "'br'" in result.undecodable
    assert "factlinks[brotli]" in result.undecodable
    assert result.body == b""


def test_brotli_that_cannot_bound_its_output_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class OldDecompressor:  # brotli < 1.1: process() takes no output_buffer_limit
        def process(self, data: bytes) -> bytes:
            return b""

    old = types.SimpleNamespace(Decompressor=OldDecompressor, error=Exception)
    monkeypatch.setitem(sys.modules, "brotli", old)
    result = fetch(encode(PAGE, "br"), "br")
    assert result.undecodable is not None
    assert "'br'" in result.undecodable
    assert accept_encoding() == "gzip, deflate"


def test_accept_encoding_offers_what_can_be_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        return httpx.Response(200, text="hi")

    async def go() -> None:
        async with make_client(OPTIONS) as client:
            await Fetcher(client, OPTIONS, sleep=SleepRecorder()).fetch(URL)

    with respx.mock() as router:
        router.get(URL).mock(side_effect=answer)
        asyncio.run(go())
        monkeypatch.setitem(sys.modules, "brotli", None)
        asyncio.run(go())
    assert seen == ["gzip, deflate, br", "gzip, deflate"]


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("header", "content", "named"),
    [
        pytest.param("gzip", PAGE, "the gzip data is corrupt", id="gzip-but-plain"),
        pytest.param("deflate", PAGE, "the deflate data is corrupt", id="deflate-but-plain"),
        pytest.param("br", PAGE, "the br data is corrupt", id="br-but-plain"),
        pytest.param(
            "gzip, gzip", encode(PAGE, "gzip"), "the gzip data is corrupt", id="one-layer-short"
        ),
        pytest.param(
            "gzip", truncated(encode(PAGE, "gzip")), "the gzip data ends early", id="gzip-cut"
        ),
        pytest.param(
            "deflate",
            truncated(encode(PAGE, "raw-deflate")),
            "the deflate data ends early",
            id="raw-deflate-cut",
        ),
        pytest.param(
            "deflate", truncated(encode(PAGE, "deflate")), "the deflate data ends", id="zlib-cut"
        ),
        pytest.param("deflate", b"x", "the deflate data ends early", id="deflate-one-byte"),
        pytest.param("br", truncated(encode(PAGE, "br")), "the br data ends early", id="br-cut"),
        pytest.param(
            "gzip, deflate",
            encode(truncated(encode(PAGE, "gzip")), "deflate"),
            "the gzip data ends early",
            id="inner-layer-cut",
        ),
        pytest.param(
            "gzip",
            encode(PAGE, "gzip")[:10] + b"\xff" * 50 + encode(PAGE, "gzip")[60:],
            "the gzip data is corrupt",
            id="gzip-garbled",
        ),
    ],
)
def test_corrupt_and_cut_streams_are_undecodable(header: str, content: bytes, named: str) -> None:
    result = fetch(content, header)
    assert result.undecodable is not None
    assert named in result.undecodable
    assert result.body == b""
    assert result.failure is None


def test_an_empty_body_labelled_gzip_is_just_empty() -> None:
    result = fetch(b"", "gzip")
    assert (result.body, result.undecodable) == (b"", None)


def test_concatenated_gzip_members_are_all_decoded() -> None:
    result = fetch(gzip.compress(b"first half, ") + gzip.compress(b"second half"), "gzip")
    assert result.body == b"first half, second half"


def test_bytes_after_the_end_of_a_gzip_stream_are_ignored() -> None:
    result = fetch(gzip.compress(b"the page") + b"trailing junk" * 10_000, "gzip")
    assert (result.body, result.undecodable) == (b"the page", None)


def zero_bomb(size: int, codings: list[str]) -> bytes:
    """``size`` zero bytes, encoded with ``codings`` without ever holding them decoded."""
    first, *rest = codings
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[first]
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    data = b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()
    return encode_all(data, rest)


@pytest.mark.parametrize(
    "codings",
    [
        pytest.param(["gzip"], id="gzip"),
        pytest.param(["raw-deflate"], id="raw-deflate"),
        pytest.param(["deflate", "gzip"], id="deflate-gzip"),
        pytest.param(["gzip", "gzip"], id="gzip-gzip"),
        pytest.param(["gzip", "gzip", "gzip"], id="gzip-x3"),
        pytest.param(["gzip", "br"], id="gzip-br"),
    ],
)
def test_a_bomb_of_any_layering_is_cut_at_max_bytes_in_bounded_memory(
    codings: list[str],
) -> None:
    """64 MB of zeros; at most max_bytes (plus a few chunks) may ever be held."""
    header = ", ".join("deflate" if c == "raw-deflate" else c for c in codings)
    bomb = zero_bomb(64 << 20, codings)
    assert len(bomb) < 2 << 20
    options = CheckOptions(timeout=30, max_bytes=200_000, retry=RetryPolicy(attempts=1))
    tracemalloc.start()
    try:
        result = fetch(bomb, header, options=options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.truncated
    assert result.undecodable is None
    assert result.body == bytes(200_000)
    # Before the fix, gzip-gzip decoded the inner layer whole: 64 MB and more.
    assert peak < len(bomb) * 3 + 200_000 * 3 + 20 * CHUNK


def test_a_streamed_bomb_stops_being_read_at_the_cut() -> None:
    """The raw stream is not read on once max_bytes are decoded (4 MB of noise, twice gzipped)."""
    sent = 0
    bomb = encode_all(random.Random(9).randbytes(4 << 20), ["gzip", "gzip"])

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(bomb), 1024):
            sent += 1024
            yield bomb[start : start + 1024]

    options = CheckOptions(timeout=30, max_bytes=100_000, retry=RetryPolicy(attempts=1))
    result = fetch(stream, "gzip, gzip", options=options)
    assert result.truncated
    assert result.bytes == 100_000
    assert sent < len(bomb) // 4


def pieces(decoder_header: str, raw: bytes, size: int) -> Iterator[bytes]:
    decoder = open_decoder(decoder_header.replace("raw-deflate", "deflate"))
    for start in range(0, len(raw), size):
        yield from decoder.feed(raw[start : start + size])
    decoder.finish()


@pytest.mark.parametrize("size", [1, 2, 7, 4096, 1 << 20])
@pytest.mark.parametrize("header", ["gzip, deflate", "deflate", "raw-deflate", "br, gzip"])
def test_any_split_of_the_raw_stream_gives_the_same_body(header: str, size: int) -> None:
    codings = [c.strip() for c in header.split(",")]
    raw = encode_all(PAGE * 30, codings)
    out = list(pieces(header, raw, size))
    assert b"".join(out) == PAGE * 30
    # zlib stops at max_length; brotli stops growing its buffer once past the limit.
    assert max(len(piece) for piece in out) <= 2 * CHUNK


def test_open_decoder_refuses_before_reading() -> None:
    with pytest.raises(UndecodableError, match="unknown Content-Encoding 'lzma'"):
        open_decoder("gzip, lzma")


# -- what the status says -------------------------------------------------------------------


def br_page(request: httpx.Request) -> httpx.Response:
    async def stream() -> AsyncIterator[bytes]:
        yield encode(PAGE, "br")

    headers = {"Content-Encoding": "br", "Content-Type": "text/html"}
    return httpx.Response(200, headers=headers, content=stream())


@pytest.mark.usefixtures("no_brotli")
@pytest.mark.parametrize("kind", [Kind.ANY, Kind.PDF, Kind.HTML])
def test_undecodable_is_unverifiable_never_drifted(kind: Kind, run_check: CheckRunner) -> None:
    """br without brotli used to be parsed as the page and called drifted."""
    source = make_source(url=URL, title="Stacked Encodings Report", kind=kind)
    with respx.mock() as router:
        # Every URL of the host, the soft-404 probe included, answers the same br page.
        router.get(url__startswith="https://a.test/").mock(side_effect=br_page)
        report = run_check([source], OPTIONS)
    (result,) = report.results
    assert result.status is Status.UNVERIFIABLE
    assert "Content-Encoding 'br'" in result.reason
    assert result.inspection is not None
    assert result.inspection.problem is not None
    assert result.inspection.problem.kind.value == "undecodable"


def test_classify_puts_undecodable_before_the_kind_and_without_a_title() -> None:
    fetched = FetchResult(URL, URL, 200, undecodable="unknown Content-Encoding 'zz'")
    verdict = classify(make_source(url=URL, kind=Kind.PDF), fetched)
    assert verdict.status is Status.UNVERIFIABLE
    assert verdict.reason == "The body cannot be read: unknown Content-Encoding 'zz'."


def test_an_undecodable_probe_proves_no_soft_404() -> None:
    cited = FetchResult(URL, URL, 200, body=b"", undecodable="unknown Content-Encoding 'zz'")
    probe = FetchResult(URL + "x", URL + "x", 200, body=b"", undecodable=cited.undecodable)
    assert judge_probe(cited, probe).verdict.value == "inconclusive"
    assert judge_probe(cited, FetchResult(URL, URL, 200)).verdict.value == "inconclusive"


def test_an_empty_piece_of_raw_stream_decodes_to_nothing() -> None:
    decoder = open_decoder("gzip")
    assert list(decoder.feed(b"")) == []
    decoder.finish()  # nothing fed: an empty body, not a cut one
