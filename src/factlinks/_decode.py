"""``Content-Encoding`` decoded by hand, every layer bounded as it produces.

httpx decodes stacked encodings by giving the inner decoder the outer layer's whole output in
one call, so 30 KB of ``gzip, gzip`` on the wire became gigabytes before ``max_bytes`` could
cut anything. The fetcher therefore reads the raw stream and decodes it here: each layer is
asked for at most :data:`CHUNK` bytes at a time (zlib's ``max_length``; brotli's
``output_buffer_limit``, which stops growing its buffer once past it, so under two chunks),
and the caller stops pulling once it has enough. No layer ever holds more than about one
chunk of input and one of output, however the layers are stacked.

Supported codings: ``gzip`` (``x-gzip``; concatenated members too), ``deflate`` (zlib-wrapped
or raw, as servers send both), ``identity``, and ``br`` when the optional ``brotli`` package
(>= 1.1, which can bound its output) is installed. At most :data:`MAX_LAYERS` of them may be
stacked. Anything else cannot be decoded: :func:`open_decoder` raises
:class:`UndecodableError`, and so does :meth:`BodyDecoder.feed` for a corrupt stream and
:meth:`BodyDecoder.finish` for one that ends early. The error's message names the coding.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Iterator
from typing import Any, Protocol

__all__ = [
    "CHUNK",
    "MAX_LAYERS",
    "BodyDecoder",
    "UndecodableError",
    "accept_encoding",
    "open_decoder",
]

CHUNK = 64 * 1024
"""The most one layer is asked to produce at a time."""
MAX_LAYERS = 4
"""The most codings (``identity`` not counted) one answer may stack."""

_GZIP_MAGIC = b"\x1f\x8b"
_ALIASES = {"x-gzip": "gzip"}
_BROTLI_HINT = "install the optional brotli package: pip install 'factlinks[brotli]'"
_KNOWN_UNSUPPORTED = {
    "compress": "LZW ('compress') is not supported",
    "x-compress": "LZW ('x-compress') is not supported",
    "zstd": "zstd is not supported",
}


class UndecodableError(Exception):
    """The body cannot be decoded; the message says why and names the coding."""


class _Layer(Protocol):
    name: str

    def decompress(self, data: bytes, limit: int) -> bytes:
        """Take ``data`` in and give out at most about ``limit`` bytes (``b""``: needs input)."""

    @property
    def complete(self) -> bool:
        """True once the stream of this layer has ended properly."""


class _Zlib:
    """One gzip or deflate layer: zlib with ``max_length`` and the unconsumed rest kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._object: Any = None
        self._head = b""  # deflate: the first bytes, until zlib or raw can be told
        self._tail = b""
        self._ended = False

    @property
    def complete(self) -> bool:
        return self._ended

    def decompress(self, data: bytes, limit: int) -> bytes:
        data = self._tail + data
        if self._object is None:
            data = self._start(data)
            if self._object is None:
                return b""
        if self._ended:
            return self._next_member(data, limit)  # anything after the end of the stream
        try:
            out: bytes = self._object.decompress(data, limit)
        except zlib.error as exc:
            raise UndecodableError(f"the {self.name} data is corrupt ({exc})") from None
        self._tail = self._object.unconsumed_tail
        if self._object.eof:
            self._ended = True
            self._tail = b""
            rest: bytes = self._object.unused_data
            if not out:
                return self._next_member(rest, limit)
            self._tail = rest
        return out

    def _start(self, data: bytes) -> bytes:
        if self.name == "gzip":
            self._object = zlib.decompressobj(zlib.MAX_WBITS | 16)
            return data
        data, self._head = self._head + data, b""
        if len(data) < 2:
            self._head = data
            return b""
        wrapped = data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0
        self._object = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return data

    def _next_member(self, rest: bytes, limit: int) -> bytes:
        """A gzip stream may go on with another member; other trailing bytes are ignored."""
        self._tail = b""
        if self.name != "gzip" or not rest.startswith(_GZIP_MAGIC):
            return b""  # as httpx and browsers do: data after the end is not the page
        self._object, self._ended = zlib.decompressobj(zlib.MAX_WBITS | 16), False
        return self.decompress(rest, limit)


class _Brotli:
    """One ``br`` layer, bounded by ``output_buffer_limit``."""

    name = "br"

    def __init__(self, module: Any) -> None:
        self._error: type[Exception] = module.error
        self._object = module.Decompressor()
        self._held = b""  # input waiting while the decoder still has output to give

    @property
    def complete(self) -> bool:
        return bool(self._object.is_finished())

    def decompress(self, data: bytes, limit: int) -> bytes:
        self._held += data
        try:
            if self._held and self._object.can_accept_more_data():
                data, self._held = self._held, b""
            else:
                data = b""
            out: bytes = self._object.process(data, output_buffer_limit=limit)
        except self._error as exc:
            raise UndecodableError(f"the br data is corrupt ({exc})") from None
        if not out and self._held and self._object.can_accept_more_data():
            return self.decompress(b"", limit)
        return out


def _bounded_brotli() -> Any | None:
    """The ``brotli`` module when it is installed and can bound its output, else ``None``."""
    try:
        module = importlib.import_module("brotli")
    except ImportError:
        return None
    try:
        module.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:  # brotli < 1.1: no way to bound one call's output
        return None
    return module


def accept_encoding() -> str:
    """The ``Accept-Encoding`` the fetcher sends: the codings it can decode, bounded."""
    return "gzip, deflate, br" if _bounded_brotli() is not None else "gzip, deflate"


def _layer(token: str) -> _Layer:
    name = _ALIASES.get(token, token)
    if name in ("gzip", "deflate"):
        return _Zlib(name)
    if name == "br":
        module = _bounded_brotli()
        if module is None:
            raise UndecodableError(f"Content-Encoding 'br' cannot be decoded ({_BROTLI_HINT})")
        return _Brotli(module)
    known = _KNOWN_UNSUPPORTED.get(name)
    if known is not None:
        raise UndecodableError(f"Content-Encoding {known}")
    shown = repr(token[:40] + ("…" if len(token) > 40 else ""))
    raise UndecodableError(f"unknown Content-Encoding {shown}")


def open_decoder(header: str | None) -> BodyDecoder:
    """A decoder for a ``Content-Encoding`` header (``None``: not encoded).

    Tokens are case-insensitive and comma-separated; empty ones and ``identity`` are skipped.

    Raises:
        UndecodableError: a coding is unknown or not available, or too many are stacked.
    """
    tokens = [t.strip().lower() for t in (header or "").split(",")]
    codings = [t for t in tokens if t and t != "identity"]
    if len(codings) > MAX_LAYERS:
        raise UndecodableError(
            f"{len(codings)} stacked Content-Encodings (more than {MAX_LAYERS}) are refused"
        )
    # The header lists the codings in the order they were applied: decode the last first.
    return BodyDecoder([_layer(token) for token in reversed(codings)])


class BodyDecoder:
    """Decodes a raw body through its layers, at most :data:`CHUNK` bytes at a time."""

    def __init__(self, layers: list[_Layer]) -> None:
        self._layers = layers
        self._fed = False

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces that ``raw`` gives, each at most about :data:`CHUNK` bytes.

        Stop iterating once enough has come: nothing more is decoded until the next pull.
        """
        if not raw:
            return
        self._fed = True
        if not self._layers:
            for start in range(0, len(raw), CHUNK):
                yield raw[start : start + CHUNK]
            return
        yield from self._drain(0, raw)

    def _drain(self, index: int, data: bytes) -> Iterator[bytes]:
        layer = self._layers[index]
        while out := layer.decompress(data, CHUNK):
            data = b""
            if index + 1 == len(self._layers):
                yield out
            else:
                yield from self._drain(index + 1, out)

    def finish(self) -> None:
        """Check that every layer ended properly once the raw stream is over.

        An answer with no body at all is fine (servers label empty answers too).

        Raises:
            UndecodableError: a layer's stream ends early.
        """
        if not self._fed:
            return
        for layer in self._layers:
            if not layer.complete:
                raise UndecodableError(f"the {layer.name} data ends early (truncated)")
