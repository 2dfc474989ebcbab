"""The network policy: the address classifier, the URL pre-check and the guarded backend.

Integration tests run a farm on 127.0.0.1 and record every ``socket.connect`` of the process
(an audit hook) and every DNS look-up (a patched ``socket.getaddrinfo``), so a test can show
that a refused target was never contacted. No test sends anything outside loopback: the
metadata addresses are refused before a connection, and names that "resolve" to them do so
only through the patched resolver.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import ipaddress
import json
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from conftest import SleepRecorder
from factlinks import CheckOptions, Remap, RetryPolicy, Status
from factlinks._cli import main
from factlinks._fetch import Fetcher, make_client
from factlinks._models import FailureKind, FetchResult
from factlinks._netpolicy import (
    METADATA_ADDRESSES,
    METADATA_NAMES,
    AddressRefused,
    GuardedBackend,
    Zone,
    check_request,
    classify_address,
    classify_host,
    literal_address,
    peer_zone,
)
from factlinks._registry import RegistryError, load_sources
from factlinks._transport import PerHostTransport
from farm import Farm, Host, Reply

F, P, U = Zone.FORBIDDEN, Zone.PRIVATE, Zone.PUBLIC
META = "a link-local address 169.254.169.254 (cloud metadata)"
HINT = "(allowed by allow_private = true in [settings] or --allow-private)"

# -- the classifier ---------------------------------------------------------------------------

SPELLINGS: list[tuple[str, Zone | None]] = [
    # the metadata address, every way a URL parser or inet_aton reads it
    ("169.254.169.254", F),
    ("169.254.169.254.", F),
    ("169.254.169.254..", None),
    ("2852039166", F),
    ("0xa9fea9fe", F),
    ("0XA9FEA9FE", F),
    ("0x00000000a9fea9fe", F),
    ("0251.0376.0251.0376", F),
    ("00251.00376.00251.00376", F),
    ("0xa9.0xfe.0xa9.0xfe", F),
    ("0xa9.254.0251.0xfe", F),
    ("169.254.43518", F),
    ("169.16689662", F),
    ("0xa9.16689662", F),
    ("%31%36%39.254.169.254", F),
    (
        "\uff11\uff16\uff19\uff0e\uff12\uff15\uff14\uff0e\uff11\uff16\uff19\uff0e\uff12\uff15\uff14",
        F,
    ),
    ("169\u3002254\u3002169\u3002254", F),
    # IPv6 spellings of it
    ("[::ffff:169.254.169.254]", F),
    ("::ffff:169.254.169.254", F),
    ("[::ffff:a9fe:a9fe]", F),
    ("[0:0:0:0:0:ffff:a9fe:a9fe]", F),
    ("[::169.254.169.254]", F),
    ("[::a9fe:a9fe]", F),
    ("[64:ff9b::a9fe:a9fe]", F),
    ("[64:ff9b::169.254.169.254]", F),
    ("[::ffff:0:a9fe:a9fe]", F),
    ("[2002:a9fe:a9fe::1]", F),
    ("[fd00:ec2::254]", F),
    ("[FD00:EC2:0::254]", F),
    ("[fd20:ce::254]", F),
    # other link-local and metadata addresses
    ("169.254.0.1", F),
    ("169.254.170.2", F),
    ("169.254.255.255", F),
    ("100.100.100.200", F),
    ("168.63.129.16", F),
    ("192.0.0.192", F),
    ("[fe80::1]", F),
    ("[fe80::1%25eth0]", F),
    ("fe80::1%eth0", F),
    ("[FE80::a9fe:a9fe]", F),
    ("[febf::1]", F),
    ("[::ffff:169.254.1.1]", F),
    # metadata names
    ("metadata.google.internal", F),
    ("METADATA.GOOGLE.INTERNAL", F),
    ("metadata.google.internal.", F),
    ("metadata.google.internal..", F),
    ("metadata", F),
    ("Metadata.", F),
    ("metadata.goog", F),
    ("instance-data", F),
    ("instance-data.ec2.internal", F),
    ("\uff4d\uff45\uff54\uff41\uff44\uff41\uff54\uff41.google.internal", F),
    ("\u24dc\u24d4\u24e3\u24d0\u24d3\u24d0\u24e3\u24d0", F),
    ("metadata%2Egoogle%2Einternal", F),
    # loopback and private space
    ("127.0.0.1", P),
    ("127.1", P),
    ("0x7f.1", P),
    ("0x7f000001", P),
    ("2130706433", P),
    ("017700000001", P),
    ("0177.0.0.1", P),
    ("127.255.255.254", P),
    ("0", P),
    ("0.0.0.0", P),
    ("0x0", P),
    ("[::]", P),
    ("[::1]", P),
    ("[0:0:0:0:0:0:0:1]", P),
    ("[::ffff:127.0.0.1]", P),
    ("[::ffff:7f00:1]", P),
    ("[64:ff9b::7f00:1]", P),
    ("10.0.0.1", P),
    ("10.255.255.255", P),
    ("172.16.0.1", P),
    ("172.31.255.255", P),
    ("192.168.1.1", P),
    ("100.64.0.1", P),
    ("100.127.255.254", P),
    ("198.18.0.1", P),
    ("224.0.0.1", P),
    ("255.255.255.255", P),
    ("[fc00::1]", P),
    ("[fd12:3456::1]", P),
    ("[fec0::1]", P),
    ("[ff02::1]", P),
    ("[2001:db8::1]", P),
    ("[::ffff:10.0.0.1]", P),
    ("localhost", P),
    ("LOCALHOST.", P),
    ("app.localhost", P),
    # public addresses
    ("8.8.8.8", U),
    ("1.1.1.1", U),
    ("172.32.0.1", U),
    ("100.128.0.1", U),
    ("169.253.255.255", U),
    ("169.255.0.1", U),
    ("[2606:4700:4700::1111]", U),
    ("[::ffff:8.8.8.8]", U),
    ("[64:ff9b::808:808]", U),
    # names DNS must answer
    ("www.kfw.de", None),
    ("host01.bench.example", None),
    ("metadata.example.org", None),
    ("metadata-google-internal", None),
    ("1.2.3.4.5", None),
    ("08.1.1.1", None),
    ("0x.0xg", None),
    ("example.0x7f", None),
    ("256.1.1.1", None),
    ("1.2.3.16777216", None),
    ("[::ffff:zz]", None),
    ("xn--nxasmq6b.example", None),
]


@pytest.mark.parametrize(("host", "zone"), SPELLINGS, ids=[h for h, _ in SPELLINGS])
def test_every_spelling_is_classified(host: str, zone: Zone | None) -> None:
    place = classify_host(host)
    assert (place.zone if place is not None else None) is zone


@pytest.mark.parametrize(
    "host",
    ["2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "[::ffff:a9fe:a9fe]"],
)
def test_every_spelling_of_the_metadata_address_is_named_in_the_reason(host: str) -> None:
    place = classify_host(host)
    assert place is not None
    assert "169.254.169.254 (cloud metadata)" in place.what
    assert place.what.startswith("a link-local address")


def test_every_documented_metadata_address_and_name_is_forbidden() -> None:
    for address in METADATA_ADDRESSES:
        place = classify_address(ipaddress.ip_address(address))
        assert place.zone is Zone.FORBIDDEN, address
        assert METADATA_ADDRESSES[address] in place.what
    for name in METADATA_NAMES:
        place = classify_host(name.upper() + ".")
        assert place is not None
        assert place.zone is Zone.FORBIDDEN, name
        assert place.what == f"{name}, a cloud-metadata host name ({METADATA_NAMES[name]})"


def test_a_punycode_label_is_compared_decoded() -> None:
    # "xn--mtadata-bya" is "métadata": not a metadata name, but decoded for the comparison.
    assert classify_host("xn--mtadata-bya.google.internal") is None
    assert literal_address("xn--mtadata-bya") is None
    # an undecodable label stays as it is
    assert classify_host("xn--a.example") is None


def test_embedded_addresses_name_both_spellings() -> None:
    place = classify_address(ipaddress.ip_address("64:ff9b::a9fe:a9fe"))
    assert place.what == (
        "a link-local address 169.254.169.254 (cloud metadata), embedded in 64:ff9b::a9fe:a9fe"
    )
    teredo = classify_address(ipaddress.ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
    assert teredo.zone is Zone.PRIVATE  # its client is 192.0.2.45, a documentation address
    public = classify_address(ipaddress.ip_address("::ffff:8.8.8.8"))
    assert public == classify_address(ipaddress.ip_address("::ffff:8.8.8.8"))
    assert public.zone is Zone.PUBLIC


def test_literal_addresses_are_read_as_the_resolver_reads_them() -> None:
    assert literal_address("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("127.0.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("[fe80::1%25eth0]") == ipaddress.ip_address("fe80::1")
    assert literal_address("www.kfw.de") is None
    for host in ("127.0.0.1", "0x7f.1", "2130706433", "0177.0.0.1", "127.1"):
        assert literal_address(host) == ipaddress.ip_address(socket.inet_aton(host))


# -- the URL pre-check ------------------------------------------------------------------------

CHECKS = [
    # (url, transport, private_ok, redirected, refused reason or None)
    (
        "http://169.254.169.254/latest/meta-data/",
        None,
        True,
        True,
        "refused: redirect to a link-local address 169.254.169.254 (cloud metadata)",
    ),
    (
        "http://0xa9fea9fe/",
        None,
        True,
        True,
        "refused: redirect to a link-local address 169.254.169.254 (cloud metadata)",
    ),
    (
        "http://169.254.169.254/",
        None,
        True,
        False,
        "refused: the URL points to a link-local address 169.254.169.254 (cloud metadata)",
    ),
    (
        "http://a@169.254.169.254/",
        None,
        True,
        True,
        "refused: redirect to a link-local address 169.254.169.254 (cloud metadata)",
    ),
    (
        "http://[::ffff:169.254.169.254]:80/",
        None,
        True,
        True,
        f"refused: redirect to {META}, embedded in ::ffff:a9fe:a9fe",
    ),
    (
        "http://metadata.google.internal./computeMetadata/v1/",
        None,
        True,
        True,
        "refused: redirect to metadata.google.internal, a cloud-metadata host name (GCP metadata)",
    ),
    # a remap does not make a metadata address safe, nor a remap target one
    (
        "https://host01.bench.example/",
        "http://169.254.169.254/",
        True,
        True,
        "refused: redirect to a link-local address 169.254.169.254 (cloud metadata)",
    ),
    (
        "http://169.254.169.254/",
        "http://127.0.0.1:8000/",
        True,
        True,
        "refused: redirect to a link-local address 169.254.169.254 (cloud metadata)",
    ),
    # private space: only when private_ok
    (
        "http://127.0.0.1:8000/x",
        None,
        False,
        True,
        f"refused: redirect from a public address to a loopback address 127.0.0.1 {HINT}",
    ),
    (
        "http://0x7f.1/x",
        None,
        False,
        True,
        f"refused: redirect from a public address to a loopback address 127.0.0.1 {HINT}",
    ),
    (
        "http://localhost:8000/x",
        None,
        False,
        True,
        f"refused: redirect from a public address to localhost, a loopback name {HINT}",
    ),
    ("http://127.0.0.1:8000/x", None, True, True, None),
    ("http://10.0.0.1/x", None, True, True, None),
    ("https://www.kfw.de/x", None, False, True, None),
    ("https://host01.bench.example/x", "http://127.0.0.1:8000/x", True, True, None),
    # unparseable URLs are left to the fetcher's own errors
    ("http://[::1/x", None, False, True, None),
]


@pytest.mark.parametrize(("url", "transport", "private_ok", "redirected", "reason"), CHECKS)
def test_the_url_pre_check(
    url: str, transport: str | None, private_ok: bool, redirected: bool, reason: str | None
) -> None:
    refused = check_request(url, transport or url, private_ok=private_ok, redirected=redirected)
    if reason is None:
        assert refused is None
    else:
        assert refused is not None
        assert refused.kind is FailureKind.POLICY
        assert refused.detail == reason


# -- the guarded backend ----------------------------------------------------------------------


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, address: str) -> None:
        self.address = address
        self.closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b"data"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written = buffer

    async def aclose(self) -> None:
        self.closed = True

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self.sni = server_hostname
        return self

    def get_extra_info(self, info: str) -> Any:
        return ("server", self.address) if info == "server_addr" else None


class _Recorder(httpcore.AsyncNetworkBackend):
    """Records connections instead of making them; ``fail`` lists addresses that refuse."""

    def __init__(self, fail: tuple[str, ...] = ()) -> None:
        self.connects: list[str] = []
        self.fail = fail
        self.slept: list[float] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append(host)
        if host in self.fail:
            raise httpcore.ConnectError(f"[Errno 111] Connection refused ({host})")
        return _Stream(host)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


Resolver = Callable[..., list[tuple[Any, ...]]]


def _answers(*addresses: str) -> Resolver:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        out = []
        for address in addresses:
            if ":" in address:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return out

    return getaddrinfo


def _connect(backend: GuardedBackend, host: str = "evil.example") -> httpcore.AsyncNetworkStream:
    return asyncio.run(backend.connect_tcp(host, 80, timeout=5))


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (
            ("169.254.169.254",),
            f"refused: evil.example resolves to {META}",
        ),
        (
            ("93.184.216.34", "169.254.169.254"),
            f"refused: evil.example resolves to {META}",
        ),
        (("fe80::1%eth0",), "refused: evil.example resolves to a link-local address fe80::1"),
        (
            ("::ffff:169.254.169.254",),
            f"refused: evil.example resolves to {META}, embedded in ::ffff:a9fe:a9fe",
        ),
        (
            ("100.100.100.200",),
            "refused: evil.example resolves to a shared (CGNAT) address 100.100.100.200 "
            "(Alibaba Cloud metadata)",
        ),
    ],
)
@pytest.mark.parametrize("allow_private", [True, False])
def test_the_backend_never_connects_to_forbidden_addresses(
    monkeypatch: pytest.MonkeyPatch, answers: tuple[str, ...], reason: str, allow_private: bool
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _answers(*answers))
    inner = _Recorder()
    with pytest.raises(AddressRefused) as refused:
        _connect(GuardedBackend(allow_private=allow_private, inner=inner))
    assert str(refused.value) == reason
    assert inner.connects == []


def test_private_answers_are_refused_only_by_a_strict_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _answers("10.1.2.3", "93.184.216.34"))
    strict = _Recorder()
    with pytest.raises(AddressRefused, match=r"to evil\.example, a private address 10\.1\.2\.3"):
        _connect(GuardedBackend(allow_private=False, inner=strict))
    assert strict.connects == []
    permissive = _Recorder()
    stream = _connect(GuardedBackend(allow_private=True, inner=permissive))
    assert permissive.connects == ["10.1.2.3"]
    assert stream.get_extra_info("factlinks.peer") is Zone.PRIVATE


def test_the_backend_connects_to_the_checked_address_and_falls_back_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo", _answers("2606:4700::1", "93.184.216.34", "93.184.216.34")
    )
    inner = _Recorder(fail=("2606:4700::1",))
    stream = _connect(GuardedBackend(allow_private=False, inner=inner))
    assert inner.connects == ["2606:4700::1", "93.184.216.34"]  # duplicates dropped
    assert stream.get_extra_info("server_addr") == ("server", "93.184.216.34")
    assert stream.get_extra_info("factlinks.peer") is Zone.PUBLIC

    async def use() -> tuple[bytes, Any]:
        await stream.write(b"GET / HTTP/1.1\r\n\r\n")
        tls = await stream.start_tls(None, server_hostname="evil.example")
        data = await tls.read(10)
        await tls.aclose()
        return data, tls

    data, tls = asyncio.run(use())
    assert data == b"data"
    assert tls.get_extra_info("factlinks.peer") is Zone.PUBLIC  # TLS keeps the peer's zone
    raw = tls._stream  # type: ignore[attr-defined]
    assert raw.sni == "evil.example"  # the certificate is checked against the name
    assert raw.closed


def test_the_backend_raises_the_last_connect_error_when_every_address_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _answers("93.184.216.34", "93.184.216.35"))
    inner = _Recorder(fail=("93.184.216.34", "93.184.216.35"))
    with pytest.raises(httpcore.ConnectError, match=r"refused \(93\.184\.216\.35\)"):
        _connect(GuardedBackend(allow_private=True, inner=inner))


def test_resolver_errors_keep_their_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    def nxdomain(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    with pytest.raises(httpcore.ConnectError) as error:
        _connect(GuardedBackend(allow_private=True, inner=_Recorder()))
    assert isinstance(error.value.__cause__, socket.gaierror)


def test_a_resolver_that_never_answers_is_a_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def slow() -> None:
        loop = asyncio.get_running_loop()
        never: asyncio.Future[list[Any]] = loop.create_future()

        async def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
            return await never

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
        backend = GuardedBackend(allow_private=True, inner=_Recorder())
        await backend.connect_tcp("slow.example", 80, timeout=0.01)

    with pytest.raises(httpcore.ConnectTimeout, match=r"resolving slow\.example timed out"):
        asyncio.run(slow())


def test_unix_sockets_are_refused_and_sleep_is_the_inner_one() -> None:
    inner = _Recorder()
    backend = GuardedBackend(allow_private=True, inner=inner)
    with pytest.raises(AddressRefused, match="a Unix socket"):
        asyncio.run(backend.connect_unix_socket("/var/run/docker.sock"))
    asyncio.run(backend.sleep(0.5))
    assert inner.slept == [0.5]


def test_peer_zone_is_unknown_for_foreign_responses() -> None:
    assert peer_zone(httpx.Response(200)) is None
    assert peer_zone(httpx.Response(200, extensions={"network_stream": _Stream("x")})) is None


def test_proxied_pools_keep_the_default_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp.example:3128")
    backend = GuardedBackend(allow_private=False)
    transport = PerHostTransport(2, network_backend=backend)
    proxied = transport._pool(("http", "www.kfw.de", None))
    direct = transport._pool(("http", "127.0.0.1", 8000))
    assert isinstance(proxied._pool, httpcore.AsyncHTTPProxy)
    assert proxied._pool._network_backend is not backend
    assert direct._pool._network_backend is backend


# -- on a loopback farm -----------------------------------------------------------------------

_RECORDING: list[list[Any]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _RECORDING:
        _RECORDING[-1].append(args[1])
        address = args[1]
        if not (isinstance(address, tuple) and ipaddress.ip_address(address[0]).is_loopback):
            # the safety net: even a broken policy cannot reach beyond loopback from here
            raise PermissionError(f"test: connection outside loopback refused: {address}")


_HOOKED: list[bool] = []


@pytest.fixture
def connects() -> Iterator[list[Any]]:
    """Every address the process passes to ``socket.connect`` while the test runs."""
    if not _HOOKED:  # an audit hook cannot be removed: install one for the session
        sys.addaudithook(_audit)
        _HOOKED.append(True)
    seen: list[Any] = []
    _RECORDING.append(seen)
    yield seen
    _RECORDING.remove(seen)


class FakeResolver:
    """A patched ``socket.getaddrinfo``: names answer from :attr:`answers`, look-ups are recorded.

    ``answers[name]`` is a list of addresses handed out one per look-up (the last repeats), so
    a name can be rebound between two look-ups. A name not in the table does not exist, so
    nothing is ever asked of a real resolver.
    """

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        numeric = _numeric(name)
        if numeric is not None:  # numeric hosts answer themselves, as the C library's do
            return _answers(numeric)(host, port)
        self.asked.append(name)
        queue = self.answers.get(name)
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return _answers(address)(host, port)


def _numeric(name: str) -> str | None:
    """The address the C library reads in ``name`` without asking DNS (``inet_aton`` forms)."""
    try:
        return str(ipaddress.IPv6Address(name.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(name))
    except OSError:
        return None


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """The process's resolver replaced by a :class:`FakeResolver`."""
    resolver = FakeResolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


def _loopback_only(connects: list[Any]) -> None:
    for address in connects:
        assert isinstance(address, tuple), address
        assert ipaddress.ip_address(address[0]).is_loopback, address


ONE_TRY = RetryPolicy(attempts=1)


def _fetch(
    url: str, options: CheckOptions, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> FetchResult:
    async def go() -> FetchResult:
        async with make_client(options) as client:
            return await Fetcher(client, options, sleep=sleeps, clock=clock).fetch(url)

    return asyncio.run(go())


def _remapped(*hosts: Host, **changes: Any) -> CheckOptions:
    rules = tuple(Remap.parse(host.remap_rule()) for host in hosts)
    return CheckOptions(timeout=10, retry=ONE_TRY, remap=rules, **changes)


METADATA_TARGETS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254./latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://0251.0376.0251.0376/latest/meta-data/",
    "http://169.254.43518/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1%25eth0]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./computeMetadata/v1/",
    "http://metadata/computeMetadata/v1/",
    "http://100.100.100.200/latest/meta-data/",
    "http://169.254.170.2/v2/credentials/",
    "http://user:pw@169.254.169.254:80/latest/",
    "//169.254.169.254/latest/meta-data/",
]


@pytest.mark.parametrize("target", METADATA_TARGETS)
def test_a_redirect_to_any_metadata_spelling_is_refused_without_a_connection(
    target: str,
    connects: list[Any],
    dns: FakeResolver,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    with Farm() as farm:
        page = farm.add_host("news.bench.example", {"/story": Reply.redirect(target, 302)})
        result = _fetch("https://news.bench.example/story", _remapped(page), sleeps, clock)
        assert [r.path for r in page.requests] == ["/story"]
    assert result.failure is not None
    assert result.failure.kind is FailureKind.POLICY
    assert result.failure.detail.startswith("refused: redirect to ")
    assert result.status_code is None
    assert len(result.redirects) == 1  # the hop is recorded; nothing of the target is fetched
    _loopback_only(connects)
    assert dns.asked == []  # no name of the target was even looked up


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "2852039166",
        "0xa9fea9fe",
        "0251.0376.0251.0376",
        "169.254.43518",
        "0xa9.0xfe.0xa9.0xfe",
        "::ffff:169.254.169.254",
        "::ffff:a9fe:a9fe",
        "64:ff9b::a9fe:a9fe",
        "fd00:ec2::254",
        "fe80::1%eth0",
        "100.100.100.200",
    ],
)
def test_the_connect_check_alone_refuses_every_numeric_spelling(
    dns: FakeResolver, host: str
) -> None:
    # Without the URL pre-check, the resolver reads the spelling and the backend refuses
    # the address it would connect to.
    inner = _Recorder()
    with pytest.raises(AddressRefused, match=rf"^refused: {re.escape(host)} resolves to a "):
        _connect(GuardedBackend(allow_private=True, inner=inner), host)
    assert inner.connects == []
    assert dns.asked == []


def test_dns_rebinding_to_the_metadata_address_is_refused_at_connect_time(
    connects: list[Any],
    dns: FakeResolver,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    # The cited name first resolves to the farm; the page closes the connection and
    # redirects to itself, and the second look-up answers the metadata address.
    again = Reply(302, headers={"Location": "/b", "Connection": "close"})
    with Farm() as farm:
        page = farm.add_host("rebind", {"/a": again, "/b": Reply.html("b", title="B")})
        dns.answers["rebind.example"] = ["127.0.0.1", "169.254.169.254"]
        result = _fetch(
            f"http://rebind.example:{page.port}/a",
            CheckOptions(timeout=10, retry=ONE_TRY),
            sleeps,
            clock,
        )
        assert [r.path for r in page.requests] == ["/a"]
    assert dns.asked == ["rebind.example", "rebind.example"]
    assert result.failure is not None
    assert result.failure.kind is FailureKind.POLICY
    assert result.failure.detail == (
        "refused: rebind.example resolves to a link-local address 169.254.169.254 (cloud metadata)"
    )
    _loopback_only(connects)


def test_a_cited_name_that_resolves_to_metadata_is_refused(
    connects: list[Any],
    dns: FakeResolver,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    dns.answers["imds.evil.example"] = ["169.254.169.254"]
    dns.answers["v6.evil.example"] = ["::ffff:169.254.169.254"]
    for name in ("imds.evil.example", "v6.evil.example"):
        result = _fetch(
            f"http://{name}/latest/meta-data/",
            CheckOptions(timeout=10, retry=ONE_TRY, allow_private=True),
            sleeps,
            clock,
        )
        assert result.failure is not None
        assert result.failure.kind is FailureKind.POLICY
        assert result.failure.detail.startswith(f"refused: {name} resolves to a link-local")
        assert result.attempts == 1  # a refusal is not retried
    assert connects == []


def _public_page_to_loopback(farm: Farm) -> tuple[Host, Host]:
    inner = farm.add_host("intranet", {"/secret": Reply.html("secret", title="Secret")})
    page = farm.add_host(
        "www.bench.example", {"/old": Reply.redirect(f"http://127.0.0.1:{inner.port}/secret")}
    )
    return page, inner


def test_a_public_to_loopback_redirect_is_refused_without_the_setting(
    connects: list[Any], sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with Farm() as farm:
        page, inner = _public_page_to_loopback(farm)
        result = _fetch("https://www.bench.example/old", _remapped(page), sleeps, clock)
        assert inner.requests == []
    assert result.failure is not None
    assert result.failure.kind is FailureKind.POLICY
    assert result.failure.detail.startswith(
        "refused: redirect from a public address to a loopback address 127.0.0.1"
    )
    assert "allow_private = true" in result.failure.detail


def test_a_public_to_loopback_redirect_is_followed_with_the_setting(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with Farm() as farm:
        page, inner = _public_page_to_loopback(farm)
        result = _fetch(
            "https://www.bench.example/old", _remapped(page, allow_private=True), sleeps, clock
        )
        assert [r.path for r in inner.requests] == ["/secret"]
    assert result.failure is None
    assert result.status_code == 200


def test_a_public_name_that_resolves_to_loopback_after_a_hop_is_refused(
    connects: list[Any],
    dns: FakeResolver,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
) -> None:
    with Farm() as farm:
        inner = farm.add_host("sneaky", {"/x": Reply.html("x", title="X")})
        dns.answers["sneaky.example"] = ["127.0.0.1"]
        page = farm.add_host(
            "www.bench.example",
            {"/old": Reply.redirect(f"http://sneaky.example:{inner.port}/x", 302)},
        )
        strict = _fetch("https://www.bench.example/old", _remapped(page), sleeps, clock)
        assert inner.requests == []
        allowed = _fetch(
            "https://www.bench.example/old", _remapped(page, allow_private=True), sleeps, clock
        )
        assert [r.path for r in inner.requests] == ["/x"]
    assert strict.failure is not None
    assert strict.failure.kind is FailureKind.POLICY
    assert strict.failure.detail.startswith(
        "refused: redirect from a public address to sneaky.example, a loopback address 127.0.0.1"
    )
    assert allowed.status_code == 200
    _loopback_only(connects)


def test_remapped_hosts_redirect_to_each_other(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    with Farm() as farm:
        two = farm.add_host("host02.bench.example", {"/new": Reply.html("n", title="New")})
        one = farm.add_host(
            "host01.bench.example",
            {"/old": Reply.redirect("https://host02.bench.example/new")},
        )
        result = _fetch("https://host01.bench.example/old", _remapped(one, two), sleeps, clock)
    assert result.failure is None
    assert result.status_code == 200
    assert result.final_url == "https://host02.bench.example/new"


def test_a_private_chain_may_stay_private(
    dns: FakeResolver, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    # Cited private URLs are the user's choice, and so are the private hops they lead to:
    # a loopback literal, and an intranet name whose first answer came from loopback.
    with Farm() as farm:
        sso = farm.add_host("sso", {"/login": Reply.html("in", title="Login")})
        wiki = farm.add_host(
            "wiki", {"/page": Reply.redirect(f"http://127.0.0.1:{sso.port}/login", 302)}
        )
        dns.answers["wiki.corp.example"] = ["127.0.0.1"]
        options = CheckOptions(timeout=10, retry=ONE_TRY)
        literal = _fetch(wiki.url("/page"), options, sleeps, clock)
        named = _fetch(f"http://wiki.corp.example:{wiki.port}/page", options, sleeps, clock)
        wiki.add("/imds", Reply.redirect("http://169.254.169.254/", 302))
        imds = _fetch(f"http://wiki.corp.example:{wiki.port}/imds", options, sleeps, clock)
    assert literal.status_code == 200
    assert named.status_code == 200
    assert imds.failure is not None
    assert imds.failure.detail.startswith("refused: redirect to a link-local address")


def test_a_client_passed_in_still_gets_the_url_pre_check(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    options = CheckOptions(timeout=10, retry=ONE_TRY)

    async def go() -> FetchResult:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(
                lambda r: httpx.Response(302, headers={"Location": "http://0xa9fea9fe/"})
            )
        ) as client:
            return await Fetcher(client, options, sleep=sleeps, clock=clock).fetch(
                "https://a.test/x"
            )

    result = asyncio.run(go())
    assert result.failure is not None
    assert result.failure.kind is FailureKind.POLICY


# -- settings, CLI and reports ----------------------------------------------------------------


def test_allow_private_is_a_registry_setting(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\nallow_private = true\n\n[[source]]\nid = "a"\nurl = "https://a.test/"\n'
    )
    assert load_sources(path).options().allow_private is True
    path.write_text('[settings]\nallow_private = "yes"\n')
    with pytest.raises(RegistryError, match="'allow_private' must be true or false"):
        load_sources(path)


def test_every_report_says_why_a_redirect_was_refused(
    tmp_path: Path, connects: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with Farm() as farm:
        inner = farm.add_host("intranet", {"/secret": Reply.html("secret", title="Secret")})
        page = farm.add_host(
            "www.bench.example",
            {
                "/imds": Reply.redirect("http://0xa9fea9fe/latest/meta-data/", 302),
                "/private": Reply.redirect(f"http://127.0.0.1:{inner.port}/secret", 302),
            },
        )
        registry = tmp_path / "sources.toml"
        registry.write_text(
            '[[source]]\nid = "imds"\nurl = "https://www.bench.example/imds"\n\n'
            '[[source]]\nid = "private"\nurl = "https://www.bench.example/private"\n'
        )
        argv = [
            "check",
            str(registry),
            "--no-state",
            "--no-archive",
            "--timeout",
            "10",
            "--format",
            "json,md,html,junit",
            "--remap",
            page.remap_rule(),
        ]
        code = main([*argv, "--out", str(tmp_path / "out")])
        assert inner.requests == []
        allowed_code = main([*argv, "--out", str(tmp_path / "allowed"), "--allow-private"])
        assert [r.path for r in inner.requests] == ["/secret"]
    assert code == 0  # unreachable warns; it does not fail the run on its own
    assert allowed_code == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    by_id = {r["id"]: r for r in report["sources"]}
    assert by_id["imds"]["status"] == Status.UNREACHABLE.value
    assert by_id["imds"]["error"]["kind"] == "policy"
    metadata = "a link-local address 169.254.169.254 (cloud metadata)"
    assert metadata in by_id["imds"]["error"]["message"]
    assert "from a public address to a loopback address" in by_id["private"]["error"]["message"]
    for name in ("report.md", "report.html", "report.junit.xml"):
        text = html.unescape((tmp_path / "out" / name).read_text()).replace("\\", "")
        assert metadata in text, name
        assert "from a public address to a loopback address" in text, name
    allowed = json.loads((tmp_path / "allowed" / "report.json").read_text())
    assert {r["id"]: r["status"] for r in allowed["sources"]}["private"] == "ok"
    _loopback_only(connects)
