"""The worst inputs for memory, served by a loopback farm (issue 9, point 2).

Compression bombs of every layering, large and pathological HTML pages, and a plain 100 KB
page as the reference. Used by ``tests/test_memory_bound.py`` and ``benchmarks/memory.py``;
only the standard library (and ``tests/farm.py``).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from farm import Farm, Reply

__all__ = ["CASES", "HOST", "TITLE", "Case", "serve", "write_registry"]

HOST = "hostile.memory.example"
TITLE = "A Page Whose Title Is Checked"
_BLOCK = 1 << 20


def _zeros(size: int, wbits: int) -> bytes:
    """``size`` zero bytes compressed (zlib ``wbits``), never held decoded."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(_BLOCK)
    return b"".join(packer.compress(block) for _ in range(size // _BLOCK)) + packer.flush()


def _gzip_members(size: int) -> bytes:
    """``size`` zeros as a stream of identical 16 MB gzip members (cheap to build)."""
    member = _zeros(16 * _BLOCK, 31)
    return member * (size // (16 * _BLOCK))


def _html(size: int, seed: str) -> bytes:
    head = f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
    line = f"<p>{seed}: an ordinary paragraph of text on a large page.</p>\n"
    return (head + line * (size // len(line)) + "</body></html>").encode()


@dataclass(frozen=True)
class Case:
    """One input: its path on the farm, how it is served, and the status it must get."""

    name: str
    path: str
    build: Callable[[], Reply]
    expected: str
    """The status the report must give it."""


def _encoded(body: bytes, encoding: str) -> Reply:
    return Reply(body=body, headers={"Content-Encoding": encoding}, content_type="text/html")


GIB = 1 << 30
CASES: tuple[Case, ...] = (
    Case(
        "plain 100 KB page (reference)",
        "/plain",
        lambda: Reply.html(_html(100_000, "p").decode()),
        "ok",
    ),
    Case(
        "gzip,gzip bomb (1 GiB)",
        "/gzip-gzip",
        lambda: _encoded(gzip.compress(_gzip_members(GIB)), "gzip, gzip"),
        "unverifiable",
    ),
    Case(
        "gzip x3 bomb (4 GiB)",
        "/gzip-x3",
        lambda: _encoded(gzip.compress(gzip.compress(_gzip_members(4 * GIB))), "gzip, gzip, gzip"),
        "unverifiable",
    ),
    Case(
        "deflate bomb (256 MiB, raw)",
        "/deflate",
        lambda: _encoded(_zeros(GIB // 4, -15), "deflate"),
        "unverifiable",
    ),
    Case(
        "deflate,gzip bomb (256 MiB)",
        "/deflate-gzip",
        lambda: _encoded(gzip.compress(_zeros(GIB // 4, 15)), "deflate, gzip"),
        "unverifiable",
    ),
    *(
        Case(
            f"5 MB HTML page #{n}",
            f"/big-{n}",
            lambda n=n: Reply.html(_html(4_900_000, f"s{n}").decode()),
            "ok",
        )  # type: ignore[misc]
        for n in range(1, 5)
    ),
    Case(
        "700,000 tiny tags (5 MB)",
        "/tiny-tags",
        lambda: Reply.html(
            "<!DOCTYPE html><html><head><title>"
            + TITLE
            + "</title></head><body>"
            + "<b></b>" * 700_000
            + "</body></html>"
        ),
        "ok",
    ),
    Case(
        "br without a valid stream",
        "/br-garbage",
        lambda: _encoded(b"this is not brotli", "br"),
        "unverifiable",
    ),
    Case(
        "unknown Content-Encoding",
        "/unknown",
        lambda: _encoded(_html(100_000, "u"), "compress"),
        "unverifiable",
    ),
)


def serve(farm: Farm, cases: tuple[Case, ...] = CASES) -> str:
    """Add the host serving ``cases`` to ``farm``; return its ``--remap`` rule."""
    host = farm.add_host(HOST, {case.path: case.build() for case in cases})
    return host.remap_rule()


def write_registry(path: Path, cases: tuple[Case, ...] = CASES) -> None:
    """A ``sources.toml`` with one source per case, each with the expected title."""
    lines = []
    for number, case in enumerate(cases):
        lines += [
            "[[source]]",
            f'id = "case-{number:02d}"',
            f'url = "https://{HOST}{case.path}"',
            f'title = "{TITLE}"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
