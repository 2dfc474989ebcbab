"""A hostile web on loopback: about a hundred cases of what strangers' servers can answer.

Issue 9, point 8. Every case is one cited URL on a host of its own (``<id>.hostile.example``,
remapped to a :class:`farm.Host` on 127.0.0.1), answered by a canned :class:`farm.Reply`, or
by a raw writer (:data:`farm.RawWriter`) where HTTP framing has to be broken. Every case is
bounded: a writer stops after :data:`CASE_SECONDS` seconds or :data:`CASE_BYTES` bytes, or
when the farm stops, whatever comes first; bodies of canned replies are at most a few MB.

``expect`` is the status factlinks must give where the contract defines it (DESIGN.md:
fetch failures are ``unreachable``, 404/410 ``dead``, 401/403/999 ``blocked``, a body cut at
``max_bytes`` or that cannot be decoded ``unverifiable``, ...); ``None`` where several are
defensible.

The cases, by class (ids):

- **slowloris**: ``slow-status-line`` (one byte a second), ``slow-headers`` (headers that
  never end), ``slow-body`` (Content-Length body, a byte a second), ``slow-chunks`` (a chunk a
  second, forever), ``silent`` (reads the request, says nothing), ``slow-but-in-time``.
- **endless bodies**: ``chunked-forever``, ``close-delimited-forever``, ``cl-lies-short``,
  ``cl-lies-long-close``, ``cl-lies-long-stall``, ``cl-huge-declared``.
- **compression**: ``gzip-bomb``, ``deflate-bomb``, ``raw-deflate-bomb``, ``gzip-chunked-bomb``
  (1 GiB of spaces each), ``gzip-bomb-nul``, ``deflate-bomb-nul`` (1 GiB of NUL bytes, which
  are slow and big to parse once cut at ``max_bytes``), ``gzip-ok``, ``gzip-corrupt``,
  ``gzip-gzip-bomb``, ``gzip-x3-bomb``, ``deflate-gzip-bomb`` (stacked: 2 GiB inside),
  ``br-no-brotli``, ``zstd-no-zstandard``, ``bogus-encoding``, ``gzip-identity-bogus``.
- **framing**: ``chunk-size-garbage``, ``chunk-size-negative``, ``chunk-size-huge``,
  ``cl-duplicate-same``, ``cl-conflicting``, ``cl-and-chunked``, ``http09``, ``garbage-status``,
  ``icy-status``, ``status-999``, ``reset-mid-body``, ``close-mid-headers``,
  ``header-bomb-100k``, ``header-line-1mb``, ``nul-in-header``, ``bare-lf``,
  ``early-hints-storm``, ``continue-forever``.
- **redirects**: ``redirect-loop``, ``redirect-self``, ``redirect-50-hops``,
  ``redirect-unique-forever``, ``redirect-relative``, ``redirect-protocol-relative``,
  ``redirect-backslash``, ``redirect-file``, ``redirect-javascript``, ``redirect-data``,
  ``redirect-ftp``, ``redirect-invalid-port``, ``redirect-empty``, ``redirect-payload-url``,
  ``redirect-markdown-url``, ``metadata-dotted``, ``metadata-decimal``, ``metadata-hex``,
  ``metadata-octal``, ``metadata-mapped-v6``, ``metadata-mapped-v6-hex``, ``link-local-v6``,
  ``metadata-aws-v6``, ``metadata-chain``, ``public-to-loopback``, ``public-to-localhost``,
  ``public-to-hex-loopback``, ``public-to-short-loopback``, ``location-latin1``.
- **TLS**: ``tls-valid`` (control), ``tls-self-signed``, ``tls-expired``, ``tls-wrong-host``,
  ``tls-plain-http``, ``tls-stalled-handshake``, ``tls-garbage-handshake``.
- **PDF**: ``pdf-lone-surrogate`` (ToUnicode to U+D800), ``pdf-huge-page-count``,
  ``pdf-deep-nesting``, ``pdf-encrypted``, ``pdf-javascript``, ``pdf-xfa``, ``pdf-xxe-xmp``,
  ``pdf-injection-title``, ``pdf-truncated``, ``pdf-flate-bomb``, ``pdf-as-html``.
- **HTML**: ``html-4mb-title``, ``html-control-title``, ``html-script-title``,
  ``html-img-onerror``, ``html-markdown-link``, ``html-markdown-breakout``,
  ``html-comment-opener``, ``html-table-breaker``, ``html-mention``, ``html-entities``,
  ``html-heading-injection``, ``html-og-payload``, ``html-javascript-links``,
  ``html-nested-divs``, ``html-meta-refresh-loop``, ``xml-xxe``, ``xhtml-xxe``,
  ``html-utf7``, ``html-5mb-a``, ``html-5mb-b``, ``html-drifted-payload``.
- **validators and retries**: ``etag-non-ascii``, ``last-modified-non-ascii``,
  ``retry-after-1e9``, ``retry-after-negative``, ``retry-after-9999``,
  ``retry-after-float``, ``always-503``.
- **controls**: ``ok-html``, ``ok-pdf``, ``gone-404``, ``gone-410``, ``blocked-401``,
  ``blocked-403``.

Payloads that could become active in a report set ``window.__pwned``, open an ``alert`` or
add an element with id ``pwned``; the word ``pwned`` marks every payload, so a test can look
for it in places where it must not be (a link target, a heading, raw HTML).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gzip
import io
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from farm import LOCALHOST, Farm, Host, Reply, Route, make_remap_rule
from pdfgen import _serialise, _stream, make_pdf

__all__ = [
    "CASES",
    "CASE_BYTES",
    "CASE_SECONDS",
    "FORBIDDEN_NETWORKS",
    "Case",
    "HostileFarm",
    "forbidden",
]

CASE_SECONDS = 40.0
"""The longest any raw writer keeps a connection busy (bounded in time)."""
CASE_BYTES = 64 * 2**20
"""The most bytes any raw writer sends on one connection (bounded in bytes)."""
DOMAIN = "hostile.example"
TARGET_TITLE = "Hostile farm redirect target"
PAYLOAD_JS = "window.__pwned=1"
SCRIPT = f"<script>{PAYLOAD_JS}</script>"
IMG = "<img src=x onerror=\"window.__pwned=1;document.body.id='pwned'\">"

FORBIDDEN_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
)
"""Link-local space and the well-known cloud-metadata addresses (AWS IPv6, Alibaba)."""


def forbidden(address: str) -> bool:
    """True when ``address`` (any spelling, IPv4-mapped IPv6 included) must never be connected."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").partition("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in FORBIDDEN_NETWORKS if ip.version == net.version)


# -- the farm's context: canary, certificates, helper hosts -----------------------------------


@dataclass
class Context:
    """What the cases are built from: the canary file and the farm's helper hosts."""

    canary: Path
    """A local file holding :attr:`token`; XXE and file: cases point at it."""
    token: str
    """A random token that must not appear in any report."""
    certs: Certificates
    target: Host
    """Answers every path with a page titled :data:`TARGET_TITLE`."""
    secret: Host
    """A "private" loopback service that a public name's redirect must not reach."""


# -- pages ------------------------------------------------------------------------------------


def title_of(case_id: str) -> str:
    """The title every case's registry entry expects (unless the case says otherwise)."""
    return f"Hostile farm case {case_id}"


def page(title: str, body: str = "", *, raw_title: bool = False) -> bytes:
    """A small HTML document; ``title`` is escaped unless ``raw_title``."""
    shown = title if raw_title else escape(title, quote=False)
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{shown}</title></head>\n'
        f"<body><h1>{shown}</h1>\n{body}\n<p>Some text of the cited page.</p></body></html>\n"
    ).encode()


def html(title: str, body: str = "", **kwargs: Any) -> Reply:
    return Reply(body=page(title, body, **kwargs), content_type="text/html; charset=utf-8")


# -- raw writers ------------------------------------------------------------------------------


def _send(conn: socket.socket, data: bytes) -> None:
    conn.sendall(data)


def head(status: str = "200 OK", headers: Mapping[str, str] | None = None) -> bytes:
    """A status line and headers (no Content-Length unless given), then the blank line."""
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{k}: {v}" for k, v in (headers or {"Content-Type": "text/html"}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def raw(data: bytes, then: str = "close", hold: float = CASE_SECONDS) -> Reply:
    """Send ``data`` verbatim, then ``close``, ``reset`` (RST) or ``hold`` the connection."""

    def write(conn: socket.socket, stopping: threading.Event) -> None:
        _send(conn, data)
        if then == "reset":
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        elif then == "hold":
            stopping.wait(hold)

    return Reply(raw=write)


def trickle(first: bytes, drip: Callable[[int], bytes], every: float = 1.0) -> Reply:
    """Send ``first``, then ``drip(n)`` every ``every`` seconds, within the case bounds."""

    def write(conn: socket.socket, stopping: threading.Event) -> None:
        _send(conn, first)
        started, sent, n = time.monotonic(), len(first), 0
        while time.monotonic() - started < CASE_SECONDS and sent < CASE_BYTES:
            if stopping.wait(every):
                return
            data = drip(n)
            _send(conn, data)
            sent, n = sent + len(data), n + 1

    return Reply(raw=write)


def flood(first: bytes, chunk: bytes) -> Reply:
    """Send ``first``, then ``chunk`` as fast as the client reads, up to :data:`CASE_BYTES`."""

    def write(conn: socket.socket, stopping: threading.Event) -> None:
        _send(conn, first)
        started, sent = time.monotonic(), len(first)
        while (
            sent < CASE_BYTES
            and time.monotonic() - started < CASE_SECONDS
            and not stopping.is_set()
        ):
            _send(conn, chunk)
            sent += len(chunk)

    return Reply(raw=write)


def encoded(body: bytes, encoding: str, *, extra: Mapping[str, str] | None = None) -> Reply:
    headers = {"Content-Encoding": encoding, **(extra or {})}
    return Reply(body=body, headers=headers, content_type="text/html; charset=utf-8")


# -- compression ------------------------------------------------------------------------------


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)`` (zlib's method)."""
    if len2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


_SEGMENT = 2**24
"""A bomb is this many zero bytes, compressed once and repeated (16 MiB, about 16 KB)."""


@functools.cache
def _segment(fill: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(fill * _SEGMENT) + compressor.flush(zlib.Z_FULL_FLUSH)


@functools.cache
def bomb(doublings: int, container: str = "gzip", fill: bytes = b" ") -> bytes:
    """``16 MiB * 2**doublings`` bytes of ``fill`` as ``gzip``, ``zlib`` or ``raw`` deflate.

    The deflate stream is one compressed segment repeated (each ends in a full flush, so
    every copy is the same bytes); the trailer's checksum is computed, not by reading the
    gigabytes but by combining CRCs (an Adler-32 of one repeated byte has a closed form), so
    a bomb of 4 GiB takes milliseconds to make and is valid to the last byte. Spaces are
    cheap to parse once cut at ``max_bytes``; NUL bytes are not (``gzip-bomb-nul``).
    """
    copies = 2**doublings
    size = _SEGMENT * copies
    deflate = _segment(fill) * copies + b"\x03\x00"  # the final, empty fixed block
    if container == "raw":
        return deflate
    if container == "zlib":
        byte, mod = fill[0], 65521
        a = (1 + size * byte) % mod
        b = (size + byte * size * (size + 1) // 2) % mod
        return b"\x78\xda" + deflate + ((b << 16) | a).to_bytes(4, "big")
    crc, length = zlib.crc32(fill * _SEGMENT), _SEGMENT
    for _ in range(doublings):
        crc, length = crc32_combine(crc, crc, length), length * 2
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + deflate + crc.to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")


SINGLE = 6
"""A single-layer bomb inflates to 16 MiB * 2**6 = 1 GiB (about 1 MB on the wire)."""
STACKED = 7
"""The inner layer of a stacked bomb inflates to 2 GiB (about 2 MB, a few KB outside): twice
the memory bound, so main's one-call inner decode breaks it."""


# -- PDFs -------------------------------------------------------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from raw object bodies (object 1 the catalog); see :func:`pdfgen._serialise`."""
    return _serialise(objects)


def _page_objects(content: bytes, font: bytes) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Title (x) >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R"
        b" >> >> /Contents 6 0 R >>",
        font,
        _stream(content),
    ]


_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def pdf_lone_surrogate(title: str) -> bytes:
    """Page text decoded through a ToUnicode CMap whose code <01> maps to U+D800."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Hostile def 1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"1 beginbfchar <01> <D800> endbfchar\n"
        b"1 beginbfrange <20> <7E> <0020> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    text = title.encode("ascii")
    content = b"BT /F1 12 Tf 72 700 Td (" + text + b") Tj 0 -14 Td <01> Tj ET"
    objects = _page_objects(
        content,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 7 0 R >>",
    )
    objects[2] = b"<< /Title <FEFFD800> >>"
    objects.append(_stream(cmap))
    return _pdf(objects)


def pdf_huge_page_count(title: str) -> bytes:
    """One real page; the page tree claims a million (and lists the page 2,000 times)."""
    objects = _page_objects(b"BT /F1 12 Tf 72 700 Td (" + title.encode() + b") Tj ET", _HELVETICA)
    objects[1] = b"<< /Type /Pages /Kids [" + b"4 0 R " * 2000 + b"] /Count 1000000 >>"
    return _pdf(objects)


def pdf_deep_nesting(depth: int = 100_000) -> bytes:
    """An object that is an array nested ``depth`` deep (recursive parsers overflow)."""
    objects = _page_objects(b"BT /F1 12 Tf 72 700 Td (deep) Tj ET", _HELVETICA)
    objects[2] = b"<< /Title (deep) /Deep " + b"[" * depth + b"]" * depth + b" >>"
    return _pdf(objects)


def pdf_encrypted(title: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page_ in PdfReader(io.BytesIO(make_pdf([title], title=title))).pages:
        writer.add_page(page_)
    writer.encrypt(user_password="pwned-secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_catalog(title: str, catalog_extra: bytes, extra_objects: list[bytes]) -> bytes:
    """A one-page PDF whose catalog gets ``catalog_extra`` (objects numbered from 7)."""
    objects = _page_objects(b"BT /F1 12 Tf 72 700 Td (" + title.encode() + b") Tj ET", _HELVETICA)
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>"
    objects += extra_objects
    return _pdf(objects)


def pdf_javascript(title: str) -> bytes:
    js = (
        b"<< /S /JavaScript /JS (app.alert\\('pwned'\\);"
        b" this.submitForm\\('http://169.254.169.254/'\\);) >>"
    )
    return pdf_with_catalog(
        title,
        b"/OpenAction 7 0 R /Names << /JavaScript 8 0 R >>",
        [
            js,
            b"<< /Names [(pwned) 7 0 R] >>",
        ],
    )


def pdf_xfa(title: str, canary: Path) -> bytes:
    xfa = (
        f'<?xml version="1.0"?><!DOCTYPE xdp [<!ENTITY leak SYSTEM "file://{canary}">]>'
        '<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><field name="pwned">'
        "<value><text>&leak;</text></value></field></subform></template></xdp:xdp>"
    ).encode()
    return pdf_with_catalog(title, b"/AcroForm << /Fields [] /XFA 7 0 R >>", [_stream(xfa)])


def pdf_xxe_xmp(title: str, canary: Path) -> bytes:
    xmp = (
        f'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f'<!DOCTYPE x [<!ENTITY leak SYSTEM "file://{canary}">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
        '<rdf:li xml:lang="x-default">&leak;</rdf:li></rdf:Alt></dc:title></rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()
    return pdf_with_catalog(
        title, b"/Metadata 7 0 R", [_stream(xmp, b" /Type /Metadata /Subtype /XML")]
    )


def pdf_flate_bomb(title: str) -> bytes:
    """A content stream that inflates to 1 GiB (about 1 MB in the file)."""
    data = bomb(SINGLE, "zlib")
    objects = _page_objects(b"", _HELVETICA)
    objects[5] = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + (b"\nendstream")
    )
    objects[2] = b"<< /Title (" + title.encode() + b") >>"
    return _pdf(objects)


# -- TLS --------------------------------------------------------------------------------------


@dataclass
class Certificates:
    """A test CA (made now, trusted through ``SSL_CERT_FILE``) and server contexts."""

    ca_file: Path
    contexts: dict[str, ssl.SSLContext] = field(default_factory=dict)

    @classmethod
    def make(cls, folder: Path) -> Certificates:
        """A CA plus: valid for 127.0.0.1, expired, for another host, and self-signed."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = dt.datetime.now(dt.UTC)

        def name(text: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

        def cert(
            subject: str,
            key: Any,
            issuer: tuple[str, Any] | None,
            *,
            ca: bool = False,
            days: tuple[int, int] = (-1, 30),
            san: x509.GeneralName | None = None,
        ) -> Any:
            builder = (
                x509.CertificateBuilder()
                .subject_name(name(subject))
                .issuer_name(name(issuer[0] if issuer else subject))
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now + dt.timedelta(days=days[0]))
                .not_valid_after(now + dt.timedelta(days=days[1]))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            )
            if san is not None:
                builder = builder.add_extension(x509.SubjectAlternativeName([san]), False)
            return builder.sign(issuer[1] if issuer else key, hashes.SHA256())

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = cert("hostile farm test CA", ca_key, None, ca=True)
        pem = serialization.Encoding.PEM
        ca_file = folder / "hostile-ca.pem"
        ca_file.write_bytes(ca_cert.public_bytes(pem))
        loopback = x509.IPAddress(ipaddress.ip_address(LOCALHOST))
        ca = ("hostile farm test CA", ca_key)
        made = cls(ca_file)
        for label, issuer, days, san in (
            ("valid", ca, (-1, 30), loopback),
            ("expired", ca, (-30, -1), loopback),
            ("wrong-host", ca, (-1, 30), x509.DNSName("someone-else.example")),
            ("self-signed", None, (-1, 30), loopback),
        ):
            key = ec.generate_private_key(ec.SECP256R1())
            leaf = cert(f"{label}.{DOMAIN}", key, issuer, days=days, san=san)
            pem_file = folder / f"{label}.pem"
            pem_file.write_bytes(
                key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                + leaf.public_bytes(pem)
            )
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(pem_file)
            made.contexts[label] = context
        return made


class Tarpit:
    """A TCP listener on 127.0.0.1 that accepts, reads and never answers (a stalled TLS
    handshake), or answers with ``reply`` bytes and closes; bounded by :data:`CASE_SECONDS`."""

    def __init__(self, reply: bytes | None = None) -> None:
        self._reply = reply
        self._sock = socket.create_server((LOCALHOST, 0))
        self.port: int = self._sock.getsockname()[1]
        self._stopping = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="tarpit").start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(CASE_SECONDS)
            conn.recv(65536)
            if self._reply is not None:
                conn.sendall(self._reply)
                return
            self._stopping.wait(CASE_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


# -- the cases --------------------------------------------------------------------------------

UNREACHABLE = frozenset({"unreachable"})
UNVERIFIABLE = frozenset({"unverifiable"})
OK = frozenset({"ok"})


@dataclass(frozen=True)
class Case:
    """One cited URL of the farm and what factlinks must make of it."""

    id: str
    kind: str
    """The class of hostility (``slowloris``, ``redirects``, ...)."""
    build: Callable[[Context], Route] | None
    """The route at ``/case`` on the case's own host (``None``: a TLS or tarpit case)."""
    expect: frozenset[str] | None
    """The statuses factlinks may give (``None``: not well defined)."""
    title: str | None = None
    """The expected title; ``None`` means :func:`title_of` (``""`` for no title at all)."""
    source_kind: str | None = None
    scheme: str = "https"
    tls: str | None = None
    """``valid``, ``expired``, ``wrong-host``, ``self-signed``, ``plain``, ``stall``,
    ``garbage``: a TLS case (served at the host's root path ``/case`` too)."""
    check: Callable[[dict[str, Any], Context], str | None] | None = None
    """A further check of the case's entry in report.json: a complaint, or ``None``."""

    @property
    def host(self) -> str:
        return f"{self.id}.{DOMAIN}"

    @property
    def heavy(self) -> bool:
        """True when the body that can reach a parser is large or built to be slow to parse."""
        return self.id in HEAVY

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}/case"

    @property
    def expected_title(self) -> str | None:
        if self.title == "":
            return None
        return self.title if self.title is not None else title_of(self.id)


HEAVY = frozenset(
    {
        "chunked-forever",
        "close-delimited-forever",
        "cl-huge-declared",
        "gzip-bomb",
        "gzip-bomb-nul",
        "deflate-bomb-nul",
        "deflate-bomb",
        "raw-deflate-bomb",
        "gzip-chunked-bomb",
        "gzip-gzip-bomb",
        "gzip-x3-bomb",
        "deflate-gzip-bomb",
        "pdf-huge-page-count",
        "pdf-deep-nesting",
        "pdf-flate-bomb",
        "html-4mb-title",
        "html-nested-divs",
        "html-5mb-a",
        "html-5mb-b",
    }
)
"""Cases whose body is megabytes, or made to keep a parser busy (see ``Case.heavy``)."""


Add = Callable[..., None]
"""``add(id, kind, build, expect, **fields)``: one :class:`Case` for the table."""


def _ok_page(case_id: str, body: str = "") -> Callable[[Context], Route]:
    return lambda ctx: html(title_of(case_id), body)


def _redirect(location: str, status: int = 302) -> Callable[[Context], Route]:
    return lambda ctx: Reply.redirect(location, status)


def _no_token(entry: dict[str, Any], ctx: Context) -> str | None:
    return "canary token in the result" if ctx.token in json.dumps(entry) else None


def _secret_untouched(entry: dict[str, Any], ctx: Context) -> str | None:
    hits = [r.path for r in ctx.secret.requests]
    return f"the private service was reached: {hits}" if hits else None


def _new_url_ascii(entry: dict[str, Any], ctx: Context) -> str | None:
    new = entry.get("new_url") or entry.get("final_url") or ""
    if not new.isascii():
        return f"non-ASCII URL from a non-UTF-8 Location (decoded as Latin-1?): {new!r}"
    if entry.get("new_url") and "%e9" not in new.lower():
        return f"new_url lost the raw byte 0xE9 of the Location: {new!r}"
    return None


def _slowloris(add: Add) -> None:
    never = lambda n: b"x"  # noqa: E731
    add("slow-status-line", "slowloris", lambda ctx: trickle(b"H", lambda n: b"T"), UNREACHABLE)
    add(
        "slow-headers",
        "slowloris",
        lambda ctx: trickle(b"HTTP/1.1 200 OK\r\n", lambda n: b"X-%d: y\r\n" % n),
        UNREACHABLE,
    )
    add(
        "slow-body",
        "slowloris",
        lambda ctx: trickle(
            head(headers={"Content-Type": "text/html", "Content-Length": "100000"}) + b"<html>",
            never,
        ),
        UNREACHABLE,
    )
    add(
        "slow-chunks",
        "slowloris",
        lambda ctx: trickle(
            head(headers={"Content-Type": "text/html", "Transfer-Encoding": "chunked"}),
            lambda n: b"1\r\nx\r\n",
        ),
        UNREACHABLE,
    )
    add("silent", "slowloris", lambda ctx: raw(b"", then="hold"), UNREACHABLE)
    add(
        "slow-but-in-time",
        "slowloris",
        lambda ctx: Reply(
            body=page(title_of("slow-but-in-time")), delay=1.0, content_type="text/html"
        ),
        OK,
    )


def _endless(add: Add) -> None:
    add(
        "chunked-forever",
        "endless",
        lambda ctx: flood(
            head(headers={"Content-Type": "text/html", "Transfer-Encoding": "chunked"})
            + b"6\r\n<html>\r\n",
            b"ffff\r\n" + b"a" * 0xFFFF + b"\r\n",
        ),
        UNVERIFIABLE,
    )
    add(
        "close-delimited-forever",
        "endless",
        lambda ctx: flood(
            head(headers={"Content-Type": "text/html", "Connection": "close"}) + b"<html>",
            b"b" * 65536,
        ),
        UNVERIFIABLE,
    )
    add(
        "cl-lies-short",
        "endless",
        lambda ctx: raw(
            head(headers={"Content-Type": "text/html", "Content-Length": "120"})
            + page(title_of("cl-lies-short"))
            + b"<p>" * 5000,
            then="close",
        ),
        None,
    )
    add(
        "cl-lies-long-close",
        "endless",
        lambda ctx: raw(
            head(headers={"Content-Type": "text/html", "Content-Length": "1000000"})
            + page(title_of("cl-lies-long-close")),
            then="close",
        ),
        UNREACHABLE,
    )
    add(
        "cl-lies-long-stall",
        "endless",
        lambda ctx: raw(
            head(headers={"Content-Type": "text/html", "Content-Length": "1000000"})
            + page(title_of("cl-lies-long-stall")),
            then="hold",
        ),
        UNREACHABLE,
    )
    add(
        "cl-huge-declared",
        "endless",
        lambda ctx: flood(
            head(headers={"Content-Type": "text/html", "Content-Length": str(10**15)}) + b"<html>",
            b"c" * 65536,
        ),
        UNVERIFIABLE,
    )


def _compression(add: Add) -> None:
    gz_bomb = bomb(SINGLE)
    add("gzip-bomb", "compression", lambda ctx: encoded(gz_bomb, "gzip"), UNVERIFIABLE)
    add(
        "deflate-bomb",
        "compression",
        lambda ctx: encoded(bomb(SINGLE, "zlib"), "deflate"),
        UNVERIFIABLE,
    )
    add(
        "raw-deflate-bomb",
        "compression",
        lambda ctx: encoded(bomb(SINGLE, "raw"), "deflate"),
        UNVERIFIABLE,
    )
    add(
        "gzip-chunked-bomb",
        "compression",
        lambda ctx: raw(
            head(
                headers={
                    "Content-Type": "text/html",
                    "Content-Encoding": "gzip",
                    "Transfer-Encoding": "chunked",
                }
            )
            + b"".join(
                b"%x\r\n%s\r\n" % (len(gz_bomb[i : i + 8192]), gz_bomb[i : i + 8192])
                for i in range(0, len(gz_bomb), 8192)
            )
            + b"0\r\n\r\n"
        ),
        UNVERIFIABLE,
    )
    add(
        "gzip-bomb-nul",
        "compression",
        lambda ctx: encoded(bomb(SINGLE, fill=b"\0"), "gzip"),
        UNVERIFIABLE,
    )
    add(
        "deflate-bomb-nul",
        "compression",
        lambda ctx: encoded(bomb(SINGLE, "zlib", fill=b"\0"), "deflate"),
        UNVERIFIABLE,
    )
    add(
        "gzip-ok",
        "compression",
        lambda ctx: encoded(gzip.compress(page(title_of("gzip-ok")), mtime=0), "gzip"),
        OK,
    )
    add(
        "gzip-corrupt",
        "compression",
        lambda ctx: encoded(b"\x1f\x8b\x08\x00garbage" * 50, "gzip"),
        frozenset({"unverifiable", "unreachable"}),
    )
    stacked = gzip.compress(bomb(STACKED), 9, mtime=0)
    add(
        "gzip-gzip-bomb",
        "compression",
        lambda ctx: encoded(stacked, "gzip, gzip"),
        UNVERIFIABLE,
    )
    add(
        "gzip-x3-bomb",
        "compression",
        lambda ctx: encoded(gzip.compress(stacked, mtime=0), "gzip, gzip, gzip"),
        UNVERIFIABLE,
    )
    add(
        "deflate-gzip-bomb",
        "compression",
        lambda ctx: encoded(zlib.compress(bomb(STACKED), 9), "gzip, deflate"),
        UNVERIFIABLE,
    )

    # A body that is plain HTML with the right title, but labelled with an encoding that
    # cannot be decoded here: parsing it as the page would be a guess (issue 9: "drifted").
    def plain(case_id: str) -> bytes:
        return page(title_of(case_id))

    add(
        "br-no-brotli",
        "compression",
        lambda ctx: encoded(b"\x8b\x05\x80" + plain("br-no-brotli"), "br"),
        UNVERIFIABLE,
    )
    add(
        "zstd-no-zstandard",
        "compression",
        lambda ctx: encoded(b"\x28\xb5\x2f\xfd" + plain("zstd-no-zstandard"), "zstd"),
        UNVERIFIABLE,
    )
    add(
        "bogus-encoding",
        "compression",
        lambda ctx: encoded(b"\x00\x01pwned" + plain("bogus-encoding"), "x-pwned"),
        UNVERIFIABLE,
    )
    add(
        "gzip-identity-bogus",
        "compression",
        lambda ctx: encoded(
            gzip.compress(plain("gzip-identity-bogus"), mtime=0), "gzip, identity, x-evil"
        ),
        UNVERIFIABLE,
    )


def _framing(add: Add) -> None:
    body = page("framing")
    cl = {"Content-Type": "text/html"}
    add(
        "chunk-size-garbage",
        "framing",
        lambda ctx: raw(head(headers={**cl, "Transfer-Encoding": "chunked"}) + b"zz\r\n" + body),
        UNREACHABLE,
    )
    add(
        "chunk-size-negative",
        "framing",
        lambda ctx: raw(head(headers={**cl, "Transfer-Encoding": "chunked"}) + b"-5\r\n" + body),
        UNREACHABLE,
    )
    add(
        "chunk-size-huge",
        "framing",
        lambda ctx: raw(
            head(headers={**cl, "Transfer-Encoding": "chunked"}) + b"ffffffffffffffffff\r\n" + body
        ),
        frozenset({"unreachable", "unverifiable"}),
    )
    add(
        "cl-duplicate-same",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
            b"Content-Length: %d\r\n\r\n"
            % (len(p := page(title_of("cl-duplicate-same"))), len(p))
            + p
        ),
        frozenset({"ok", "unreachable"}),
    )
    add(
        "cl-conflicting",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\n"
            b"Content-Length: 20\r\n\r\n" + body
        ),
        UNREACHABLE,
    )
    add(
        "cl-and-chunked",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
            % (len(p := page(title_of("cl-and-chunked"))), p)
        ),
        frozenset({"ok", "unreachable"}),
    )
    add("http09", "framing", lambda ctx: raw(page(title_of("http09"))), UNREACHABLE)
    add(
        "garbage-status",
        "framing",
        lambda ctx: raw(b"HTTP/1.1 abc pwned\r\n\r\n" + body),
        UNREACHABLE,
    )
    add("icy-status", "framing", lambda ctx: raw(b"ICY 200 OK\r\n\r\n" + body), UNREACHABLE)
    add("status-999", "framing", lambda ctx: Reply(status=999, body=body), frozenset({"blocked"}))
    add(
        "reset-mid-body",
        "framing",
        lambda ctx: raw(head(headers={**cl, "Content-Length": "100000"}) + body, then="reset"),
        UNREACHABLE,
    )
    add(
        "close-mid-headers",
        "framing",
        lambda ctx: raw(b"HTTP/1.1 200 OK\r\nContent-Ty"),
        UNREACHABLE,
    )
    add(
        "header-bomb-100k",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 200 OK\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
            + b"Content-Length: 0\r\n\r\n"
        ),
        UNREACHABLE,
    )
    add(
        "header-line-1mb",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 2**20 + b"\r\nContent-Length: 0\r\n\r\n"
        ),
        UNREACHABLE,
    )
    add(
        "nul-in-header",
        "framing",
        lambda ctx: raw(b"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n"),
        UNREACHABLE,
    )
    add(
        "bare-lf",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: %d\n\n"
            % len(p := page(title_of("bare-lf")))
            + p
        ),
        frozenset({"ok", "unreachable"}),
    )
    add(
        "early-hints-storm",
        "framing",
        lambda ctx: raw(
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n" * 2000
            + b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
            % len(p := page(title_of("early-hints-storm")))
            + p
        ),
        frozenset({"ok", "unreachable"}),
    )
    add(
        "continue-forever",
        "framing",
        lambda ctx: trickle(b"", lambda n: b"HTTP/1.1 100 Continue\r\n\r\n", every=0.05),
        UNREACHABLE,
    )


def _redirects(add: Add) -> None:
    add(
        "redirect-loop",
        "redirects",
        lambda ctx: {"/case": Reply.redirect("/b"), "/b": Reply.redirect("/case")},
        UNREACHABLE,
    )
    add("redirect-self", "redirects", _redirect("/case", 301), UNREACHABLE)
    add(
        "redirect-50-hops",
        "redirects",
        lambda ctx: {
            "/case": Reply.redirect("/hop/1"),
            **{f"/hop/{i}": Reply.redirect(f"/hop/{i + 1}") for i in range(1, 50)},
            "/hop/50": html(title_of("redirect-50-hops")),
        },
        UNREACHABLE,
    )
    add(
        "redirect-unique-forever",
        "redirects",
        lambda ctx: {"*": lambda req: Reply.redirect(req.path + "x")},
        UNREACHABLE,
    )
    add(
        "redirect-relative",
        "redirects",
        lambda ctx: {
            "/case": Reply.redirect("../there/./page?q=1"),
            "/there/page": html(title_of("redirect-relative")),
        },
        frozenset({"moved"}),
    )
    add(
        "redirect-protocol-relative",
        "redirects",
        _redirect(f"//target.{DOMAIN}/from-protocol-relative"),
        OK,
        title=TARGET_TITLE,
    )
    add(
        "redirect-backslash",
        "redirects",
        _redirect(f"/\\\\target.{DOMAIN}\\x"),
        None,
        title=TARGET_TITLE,
    )
    add(
        "redirect-file",
        "redirects",
        lambda ctx: Reply.redirect(f"file://{ctx.canary}"),
        UNREACHABLE,
        check=_no_token,
    )
    add(
        "redirect-javascript",
        "redirects",
        _redirect(f"javascript:{PAYLOAD_JS};alert('pwned')//"),
        UNREACHABLE,
    )
    add(
        "redirect-data",
        "redirects",
        _redirect(f"data:text/html,{SCRIPT}<b id=pwned>pwned</b>"),
        UNREACHABLE,
    )
    add("redirect-ftp", "redirects", _redirect("ftp://pwned.example/file"), UNREACHABLE)
    add("redirect-invalid-port", "redirects", _redirect("http://pwned.example:99999/"), UNREACHABLE)
    add(
        "redirect-empty", "redirects", lambda ctx: Reply(status=302, headers={"Location": ""}), None
    )
    add(
        "redirect-payload-url",
        "redirects",
        _redirect(f'https://target.{DOMAIN}/x"><script>{PAYLOAD_JS}</script><b id="pwned">', 301),
        frozenset({"moved"}),
        title=TARGET_TITLE,
    )
    add(
        "redirect-markdown-url",
        "redirects",
        _redirect(f"https://target.{DOMAIN}/y)](javascript:window.__pwned=1)<!--pwned", 301),
        frozenset({"moved"}),
        title=TARGET_TITLE,
    )
    for case_id, location in (
        ("metadata-dotted", "http://169.254.169.254/latest/meta-data/iam/"),
        ("metadata-decimal", "http://2852039166/latest/meta-data/"),
        ("metadata-hex", "http://0xa9fea9fe/latest/meta-data/"),
        ("metadata-octal", "http://0251.0376.0251.0376/latest/meta-data/"),
        ("metadata-mapped-v6", "http://[::ffff:169.254.169.254]/latest/meta-data/"),
        ("metadata-mapped-v6-hex", "http://[::ffff:a9fe:a9fe]/latest/meta-data/"),
        ("link-local-v6", "http://[fe80::a9fe:a9fe]/latest/meta-data/"),
        ("metadata-aws-v6", "http://[fd00:ec2::254]/latest/meta-data/"),
    ):
        add(
            case_id,
            "redirects",
            _redirect(location),
            frozenset({"blocked", "unreachable"}),
        )
    add(
        "metadata-chain",
        "redirects",
        lambda ctx: {
            "/case": Reply.redirect("/step"),
            "/step": Reply.redirect("http://169.254.169.254/"),
        },
        frozenset({"blocked", "unreachable"}),
    )
    for case_id, spelling in (
        ("public-to-loopback", "127.0.0.1"),
        ("public-to-localhost", "localhost"),
        ("public-to-hex-loopback", "0x7f000001"),
        ("public-to-short-loopback", "127.1"),
    ):
        add(
            case_id,
            "redirects",
            lambda ctx, s=spelling: Reply.redirect(f"http://{s}:{ctx.secret.port}/admin"),
            frozenset({"blocked", "unreachable"}),
            check=_secret_untouched,
        )
    add(
        "location-latin1",
        "redirects",
        lambda ctx: {
            "/case": raw(b"HTTP/1.1 301 Moved\r\nLocation: /caf\xe9\r\nContent-Length: 0\r\n\r\n"),
            "/caf%E9": html(title_of("location-latin1")),
            "/caf%e9": html(title_of("location-latin1")),
        },
        frozenset({"moved"}),
        check=_new_url_ascii,
    )


def _tls(add: Add) -> None:
    add("tls-valid", "tls", None, OK, tls="valid")
    for label in ("self-signed", "expired", "wrong-host"):
        add(f"tls-{label}", "tls", None, UNREACHABLE, tls=label)
    add("tls-plain-http", "tls", None, UNREACHABLE, tls="plain")
    add("tls-stalled-handshake", "tls", None, UNREACHABLE, tls="stall")
    add("tls-garbage-handshake", "tls", None, UNREACHABLE, tls="garbage")


def _pdfs(add: Add) -> None:

    def pdf(make: Callable[[Context, str], bytes]) -> Callable[[str], Callable[[Context], Route]]:
        return lambda cid: lambda ctx: Reply.pdf(make(ctx, title_of(cid)))

    pdfs: list[tuple[str, Callable[[Context, str], bytes], frozenset[str] | None]] = [
        ("pdf-lone-surrogate", lambda ctx, t: pdf_lone_surrogate(t), OK),
        ("pdf-huge-page-count", lambda ctx, t: pdf_huge_page_count(t), None),
        (
            "pdf-deep-nesting",
            lambda ctx, t: pdf_deep_nesting(),
            frozenset({"unverifiable", "drifted"}),
        ),
        ("pdf-encrypted", lambda ctx, t: pdf_encrypted(t), UNVERIFIABLE),
        ("pdf-javascript", lambda ctx, t: pdf_javascript(t), OK),
        ("pdf-xfa", lambda ctx, t: pdf_xfa(t, ctx.canary), OK),
        ("pdf-xxe-xmp", lambda ctx, t: pdf_xxe_xmp(t, ctx.canary), OK),
        (
            "pdf-injection-title",
            lambda ctx, t: make_pdf(
                [t], title=f"{t} {SCRIPT} {IMG} [x](javascript:{PAYLOAD_JS}) pwned"
            ),
            OK,
        ),
        ("pdf-truncated", lambda ctx, t: make_pdf([t] * 3, title=t)[:400], UNVERIFIABLE),
        ("pdf-flate-bomb", lambda ctx, t: pdf_flate_bomb(t), None),
    ]
    for case_id, make, expect in pdfs:
        add(case_id, "pdf", pdf(make)(case_id), expect, check=_no_token)
    add(
        "pdf-as-html",
        "pdf",
        lambda ctx: Reply(body=make_pdf([title_of("pdf-as-html")]), content_type="text/html"),
        OK,
    )


def _html(add: Add) -> None:
    t = title_of

    def titled(
        case_id: str,
        shown: str,
        expect: frozenset[str] | None = OK,
        title: str | None = None,
    ) -> None:
        add(
            case_id,
            "html",
            lambda ctx: html(shown, raw_title=True),
            expect,
            title=title,
        )

    add(
        "html-4mb-title",
        "html",
        lambda ctx: html(t("html-4mb-title") + " " + "long " * 800_000),
        None,
    )
    add(
        "html-control-title",
        "html",
        lambda ctx: html(
            t("html-control-title")
            + " \x1b[31mred\x1b[0m \x07bell \x00nul \u202eevil\u202c \x1b]0;pwned\x07"
        ),
        None,
    )
    titled("html-script-title", escape(f"{t('html-script-title')} {SCRIPT}"))
    titled("html-img-onerror", escape(f"{t('html-img-onerror')} {IMG}"))
    titled(
        "html-markdown-link",
        escape(
            f"{t('html-markdown-link')} [click](javascript:{PAYLOAD_JS}) ![i](http://pwned.example/p.png)"
        ),
    )
    titled(
        "html-markdown-breakout",
        escape(f"{t('html-markdown-breakout')} ](javascript:{PAYLOAD_JS}) pwned"),
    )
    titled("html-comment-opener", escape(f"{t('html-comment-opener')} <!-- pwned"))
    titled("html-table-breaker", escape(f"{t('html-table-breaker')} | pwned | x |\n|---|---|"))
    titled("html-mention", escape(f"{t('html-mention')} @pwned-user @everyone"))
    titled(
        "html-entities",
        f"{t('html-entities')} &amp;lt;script&amp;gt;pwned&amp;lt;/script&amp;gt;"
        " &#60;b id=pwned&#62;",
    )
    # Found but not the expected title: the payload is shown as "Now:" (drifted).
    titled(
        "html-drifted-payload",
        escape(f"pwned {SCRIPT} {IMG} [x](javascript:alert(1)) <!--"),
        frozenset({"drifted"}),
    )
    add(
        "html-heading-injection",
        "html",
        lambda ctx: html(
            t("html-heading-injection"),
            f"<meta property='og:title' content='x\n\n# pwned heading\n\n{escape(SCRIPT)}'>",
        ),
        OK,
    )
    add(
        "html-og-payload",
        "html",
        lambda ctx: Reply(
            body=(
                "<!DOCTYPE html><html><head>"
                f'<meta property="og:title" content="{escape(SCRIPT)} pwned">'
                f'<meta name="citation_title" content="{escape(IMG)} pwned">'
                "</head><body><p>no title element; pwned</p></body></html>"
            ).encode(),
            content_type="text/html",
        ),
        frozenset({"drifted"}),
    )
    add(
        "html-javascript-links",
        "html",
        _ok_page(
            "html-javascript-links",
            f'<a href="javascript:{PAYLOAD_JS}">x</a><img src=x onerror="{PAYLOAD_JS}">{SCRIPT}'
            '<iframe src="file:///etc/hostname"></iframe>',
        ),
        OK,
    )
    add("html-nested-divs", "html", _ok_page("html-nested-divs", "<div>" * 100_000), OK)
    add(
        "html-meta-refresh-loop",
        "html",
        _ok_page("html-meta-refresh-loop", '<meta http-equiv="refresh" content="0;url=/case">'),
        OK,
    )
    for case_id, ctype in (("xml-xxe", "application/xml"), ("xhtml-xxe", "application/xhtml+xml")):
        add(
            case_id,
            "html",
            lambda ctx, ctype=ctype, case_id=case_id: Reply(
                body=(
                    f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY leak SYSTEM "file://{ctx.canary}">]>'
                    '<html xmlns="http://www.w3.org/1999/xhtml">'
                    f"<head><title>{t(case_id)} &leak;</title>"
                    f"</head><body><p>&leak;</p></body></html>"
                ).encode(),
                content_type=ctype,
            ),
            None,
            check=_no_token,
        )
    add(
        "html-utf7",
        "html",
        lambda ctx: Reply(
            body=(
                '<html><head><meta charset="utf-7"><title>'
                + t("html-utf7")
                + " +ADw-script+AD4-window.+AF8AXw-pwned=1+ADw-/script+AD4-</title></head></html>"
            ).encode(),
            content_type="text/html; charset=utf-7",
        ),
        OK,
    )
    big = "".join(f"<div class=c{i}><span>w{i}</span></div>" for i in range(150_000))
    for case_id in ("html-5mb-a", "html-5mb-b"):
        add(
            case_id,
            "html",
            lambda ctx, cid=case_id: Reply(
                body=page(t(cid), big)[:4_900_000], content_type="text/html"
            ),
            OK,
        )


def _validators(add: Add) -> None:
    t = title_of
    add(
        "etag-non-ascii",
        "validators",
        lambda ctx: Reply(
            body=page(t("etag-non-ascii")),
            content_type="text/html",
            headers={"ETag": '"caf\u00e9-\u2603"'.encode().decode("latin-1")},
        ),
        OK,
    )
    add(
        "last-modified-non-ascii",
        "validators",
        lambda ctx: Reply(
            body=page(t("last-modified-non-ascii")),
            content_type="text/html",
            headers={"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT \u00e9"},
        ),
        OK,
    )
    for case_id, value in (
        ("retry-after-1e9", "1000000000"),
        ("retry-after-negative", "-1"),
        ("retry-after-9999", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ("retry-after-float", "1e400"),
    ):
        add(
            case_id,
            "validators",
            lambda ctx, v=value: Reply(status=429, headers={"Retry-After": v}, body=b"slow down"),
            UNREACHABLE,
        )
    add("always-503", "validators", lambda ctx: Reply(status=503, body=b"busy"), UNREACHABLE)


def _controls(add: Add) -> None:
    t = title_of
    add("ok-html", "controls", _ok_page("ok-html"), OK)
    add(
        "ok-pdf",
        "controls",
        lambda ctx: Reply.pdf(make_pdf([t("ok-pdf")], title=t("ok-pdf"))),
        OK,
        source_kind="pdf",
    )
    add("gone-404", "controls", lambda ctx: Reply.not_found(), frozenset({"dead"}))
    add("gone-410", "controls", lambda ctx: Reply(status=410, body=b"gone"), frozenset({"dead"}))
    add(
        "blocked-401",
        "controls",
        lambda ctx: Reply(status=401, body=b"auth"),
        frozenset({"blocked"}),
    )
    add(
        "blocked-403", "controls", lambda ctx: Reply(status=403, body=b"no"), frozenset({"blocked"})
    )


def _cases() -> list[Case]:
    made: list[Case] = []

    def add(*args: Any, **kwargs: Any) -> None:
        made.append(Case(*args, **kwargs))

    for section in (
        _slowloris,
        _endless,
        _compression,
        _framing,
        _redirects,
        _tls,
        _pdfs,
        _html,
        _validators,
        _controls,
    ):
        section(add)
    return made


CASES: tuple[Case, ...] = ()
"""Every case (built on first use by :func:`cases`: the bombs take a moment to compress)."""
_BUILT: list[Case] = []


def cases() -> list[Case]:
    """All cases, built once per process."""
    if not _BUILT:
        _BUILT.extend(_cases())
    return list(_BUILT)


# -- the farm ---------------------------------------------------------------------------------


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class HostileFarm:
    """The hosts for ``selected`` cases, started on loopback, and the registry for them.

    Use as a context manager; :attr:`remap` holds the ``--remap`` arguments and
    :meth:`write_registry` the ``sources.toml``.
    """

    def __init__(self, folder: Path, selected: list[Case]) -> None:
        self.folder = folder
        self.cases = selected
        self._farm = Farm()
        self._tarpits: list[Tarpit] = []
        self.token = "canary-" + secrets.token_hex(16)
        canary = folder / "canary.txt"
        canary.write_text(self.token + "\n", encoding="utf-8")
        certs = Certificates.make(folder)
        target = self._farm.add_host(f"target.{DOMAIN}", fallback=html(TARGET_TITLE))
        secret = self._farm.add_host("secret.internal", fallback=html("secret admin page pwned"))
        self.context = Context(canary, self.token, certs, target, secret)
        self.remap: list[str] = ["--remap", target.remap_rule()]
        for case in selected:
            self.remap += ["--remap", self._serve(case)]

    def _serve(self, case: Case) -> str:
        ctx = self.context
        if case.tls in ("stall", "garbage"):
            pit = Tarpit(None if case.tls == "stall" else b"\x16\x03\x01\x00\x05pwned" * 10)
            self._tarpits.append(pit)
            return make_remap_rule(case.host, f"https://{LOCALHOST}:{pit.port}")
        if case.tls is not None:
            tls = None if case.tls == "plain" else ctx.certs.contexts[case.tls]
            host = self._farm.add_host(case.host, {"/case": html(title_of(case.id))}, tls=tls)
            return make_remap_rule(case.host, f"https://{LOCALHOST}:{host.port}")
        assert case.build is not None
        route = case.build(ctx)
        routes = dict(route) if isinstance(route, dict) else {"/case": route}
        host = self._farm.add_host(case.host, routes, fallback=routes.pop("*", None))
        return host.remap_rule()

    def write_registry(self, path: Path) -> Path:
        """A ``sources.toml`` with one source per case."""
        lines: list[str] = []
        for case in self.cases:
            lines += ["[[source]]", f"id = {_toml(case.id)}", f"url = {_toml(case.url)}"]
            if case.expected_title is not None:
                lines.append(f"title = {_toml(case.expected_title)}")
            if case.source_kind is not None:
                lines.append(f"kind = {_toml(case.source_kind)}")
            lines += [f'cited_in = ["hostile-{case.kind}"]', ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def close(self) -> None:
        self._farm.stop()
        for pit in self._tarpits:
            pit.stop()

    def __enter__(self) -> HostileFarm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def running(folder: Path, selected: list[Case]) -> Iterator[HostileFarm]:
    """Start a :class:`HostileFarm` for ``selected`` and stop it afterwards."""
    farm = HostileFarm(folder, selected)
    try:
        yield farm
    finally:
        farm.close()
