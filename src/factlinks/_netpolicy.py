"""The network policy: which addresses a run may connect to, checked twice.

Cited URLs are the user's choice, redirects are not: a page that strangers control can send
the checker anywhere, and on a cloud runner "anywhere" includes the instance's metadata
service, which hands out credentials. So:

- **link-local and cloud-metadata addresses are never connected to**: 169.254.0.0/16,
  fe80::/10 and the addresses and host names of :data:`METADATA_ADDRESSES` and
  :data:`METADATA_NAMES`, whatever the spelling (decimal, hex, octal, short forms,
  IPv4-mapped, -compatible, NAT64, 6to4 and Teredo IPv6, a zone id, a trailing dot, upper
  case, full-width digits, IDNA) and whatever the URL is remapped to;
- **a redirect into private space is refused** (loopback, RFC 1918, CGNAT, unique-local,
  unspecified, reserved: every :class:`Zone.PRIVATE` address) unless the run allows it
  (``allow_private``), the chain started in private space (the cited URL is a private
  address or its host resolved to one), or the hop is remapped (``--remap`` targets are the
  user's own choice).

The check runs twice. :func:`check_request` looks at the URL before anything is sent, so
the reason is clear and no DNS query goes out for a literal address. :class:`GuardedBackend`
looks at the address actually connected to: it resolves the host itself, refuses when any
address is not allowed and connects to the checked address (TLS still names the host), so
neither DNS rebinding nor a spelling the pre-check does not know gets around it. Through a
proxy the connection is the proxy's: only the pre-check applies there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import select
import socket
import typing
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

from ._models import Failure, FailureKind

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_NAMES",
    "POLICY_EXTENSION",
    "AddressRefused",
    "GuardedBackend",
    "Place",
    "PolicyTransport",
    "Zone",
    "check_request",
    "classify_address",
    "classify_host",
    "literal_address",
    "peer_zone",
    "starts_private",
    "use_backend",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES: dict[str, str] = {
    "169.254.169.254": "cloud metadata",  # AWS, GCP, Azure, OCI, OpenStack, DigitalOcean, ...
    "169.254.170.2": "AWS ECS task metadata",
    "169.254.170.23": "AWS EKS pod identity",
    "169.254.169.253": "AWS DNS resolver",
    "169.254.0.23": "Tencent Cloud metadata",
    "169.254.42.42": "Scaleway metadata",
    "100.100.100.200": "Alibaba Cloud metadata",
    "168.63.129.16": "Azure WireServer",
    "192.0.0.192": "Oracle Cloud metadata",
    "fd00:ec2::254": "AWS metadata, IPv6",
    "fd00:ec2::23": "AWS EKS pod identity, IPv6",
    "fd00:ec2::253": "AWS DNS resolver, IPv6",
    "fd20:ce::254": "GCP metadata, IPv6",
    "fd00:42::42": "Scaleway metadata, IPv6",
}
"""Cloud-metadata addresses, never connected to (most are link-local anyway; 100.100.100.200,
168.63.129.16, 192.0.0.192 and the IPv6 ones are not)."""

METADATA_NAMES: dict[str, str] = {
    "metadata": "GCP metadata",
    "metadata.google.internal": "GCP metadata",
    "metadata.goog": "GCP metadata",
    "instance-data": "AWS metadata",
    "instance-data.ec2.internal": "AWS metadata",
    "metadata.tencentyun.com": "Tencent Cloud metadata",
    "api.metadata.cloud.ibm.com": "IBM Cloud metadata",
    "metadata.platformequinix.com": "Equinix Metal metadata",
    "metadata.packet.net": "Equinix Metal metadata",
}
"""Host names of cloud-metadata services, never connected to (compared after lower-casing,
IDNA decoding and dropping trailing dots)."""

POLICY_EXTENSION = "factlinks.policy"
"""The request extension that says which pools a request may use: ``"strict"`` (private
addresses refused) or ``"permissive"`` (the default: only link-local and metadata refused)."""

_PEER = "factlinks.peer"


class Zone(IntEnum):
    """How far an address is from the public web; a higher zone is more restricted."""

    PUBLIC = 0
    PRIVATE = 1
    """Loopback, private networks, CGNAT, unique-local, unspecified, reserved: refused
    after a redirect from public space unless allowed."""
    FORBIDDEN = 2
    """Link-local and cloud metadata: never connected to."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a host or address is, and how to say so in a reason."""

    zone: Zone
    """How restricted it is."""
    what: str
    """A phrase for people, e.g. ``"a link-local address 169.254.169.254 (cloud metadata)"``."""


# -- addresses --------------------------------------------------------------------------------

_FORBIDDEN_NETWORKS: tuple[tuple[str, str], ...] = (
    ("169.254.0.0/16", "a link-local address"),
    ("fe80::/10", "a link-local address"),
)
_PRIVATE_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (CGNAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a local NAT64 address"),
    ("100::/64", "a discard address"),
    ("2001:db8::/32", "a documentation address"),
    ("fc00::/7", "a unique-local (private) address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
_NETWORKS = tuple(
    (ipaddress.ip_network(net), zone, what)
    for nets, zone in ((_FORBIDDEN_NETWORKS, Zone.FORBIDDEN), (_PRIVATE_NETWORKS, Zone.PRIVATE))
    for net, what in nets
)
_METADATA = {ipaddress.ip_address(a): label for a, label in METADATA_ADDRESSES.items()}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")


def classify_address(address: IPAddress) -> Place:
    """Where ``address`` is; an IPv4 address embedded in an IPv6 one counts as itself.

    Example::

        >>> classify_address(ipaddress.ip_address("::ffff:a9fe:a9fe")).zone
        <Zone.FORBIDDEN: 2>
    """
    own = _own_place(address)
    embedded = [_own_place(v4) for v4 in _embedded_ipv4(address)]
    worst = max([own, *embedded], key=lambda place: place.zone)
    if worst is own or worst.zone is Zone.PUBLIC:
        return own
    return Place(worst.zone, f"{worst.what}, embedded in {address}")


def _own_place(address: IPAddress) -> Place:
    label = _METADATA.get(address)
    for network, zone, what in _NETWORKS:
        if address.version == network.version and address in network:
            if label is not None:
                return Place(Zone.FORBIDDEN, f"{what} {address} ({label})")
            return Place(zone, f"{what} {address}")
    if label is not None:
        return Place(Zone.FORBIDDEN, f"a cloud-metadata address {address} ({label})")
    return Place(Zone.PUBLIC, f"a public address {address}")


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, compatible, NAT64, 6to4, Teredo."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (deprecated "compatible")
        found.append(low32)
    if address in _NAT64 or address in _SIIT:
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form a URL parser or resolver accepts; else ``None``.

    IPv6 with or without brackets and zone id; IPv4 as ``inet_aton`` reads it: one to four
    parts, each decimal, ``0x`` hex or ``0`` octal, the last filling the remaining bytes
    (``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``, ``169.254.43518``), with a
    trailing dot or not.
    """
    text = _normal(host)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    return _inet_aton(text.removesuffix("."))


def _normal(host: str) -> str:
    """``host`` percent-decoded, NFKC-normalised (full-width digits and dots) and lower-cased."""
    text = unicodedata.normalize("NFKC", unquote(host)).strip()
    for dot in ("\u3002", "\uff0e", "\uff61"):
        text = text.replace(dot, ".")
    return text.lower()


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_number(part) for part in parts]
    if any(value is None for value in values):
        return _platform_aton(text)
    numbers = [value for value in values if value is not None]
    head, last = numbers[:-1], numbers[-1]
    if any(value > 255 for value in head) or last >= 256 ** (5 - len(numbers)):
        return None
    total = last
    for index, value in enumerate(head):
        total += value << (8 * (3 - index))
    return ipaddress.IPv4Address(total)


def _number(part: str) -> int | None:
    try:
        if part[:2] == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        return int(part, 10) if part.isascii() and part.isdigit() else None
    except ValueError:
        return None


def _platform_aton(text: str) -> ipaddress.IPv4Address | None:
    """What the C library's ``inet_aton`` makes of ``text``, for forms not read above."""
    if not text or not text.isascii() or not text[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def classify_host(host: str) -> Place | None:
    """Where ``host`` is, when its name or spelling tells; ``None`` for a name DNS must answer.

    Example::

        >>> classify_host("METADATA.google.internal.").zone
        <Zone.FORBIDDEN: 2>
        >>> classify_host("www.kfw.de") is None
        True
    """
    address = literal_address(host)
    if address is not None:
        return classify_address(address)
    name = _idna_decoded(_normal(host).rstrip("."))
    label = METADATA_NAMES.get(name)
    if label is not None:
        return Place(Zone.FORBIDDEN, f"{name}, a cloud-metadata host name ({label})")
    if name == "localhost" or name.endswith(".localhost"):
        return Place(Zone.PRIVATE, f"{name}, a loopback name")
    return None


_host_place = functools.lru_cache(maxsize=4096)(classify_host)
""":func:`classify_host`, remembered: a run asks about the same few hosts again and again."""


def _idna_decoded(name: str) -> str:
    labels = []
    for label in name.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        labels.append(_normal(label))
    return ".".join(labels)


# -- the check on the URL ---------------------------------------------------------------------


def check_request(
    url: str, transport_url: str, *, private_ok: bool, redirected: bool
) -> Failure | None:
    """Why a request for ``url`` (sent to ``transport_url``) is refused; ``None`` if it is not.

    Link-local and metadata hosts are refused in either URL (a remap does not make them
    safe); a private transport address only when ``private_ok`` is false.
    """
    where = "redirect to" if redirected else "the URL points to"
    for place in (_place_of(url), _place_of(transport_url)):
        if place is not None and place.zone is Zone.FORBIDDEN:
            return Failure(FailureKind.POLICY, f"refused: {where} {place.what}")
    place = _place_of(transport_url)
    if not private_ok and place is not None and place.zone is Zone.PRIVATE:
        return Failure(FailureKind.POLICY, f"refused: {_private_reason(place.what)}")
    return None


def _private_reason(what: str) -> str:
    return (
        f"redirect from a public address to {what} "
        "(allowed by allow_private = true in [settings] or --allow-private)"
    )


@functools.lru_cache(maxsize=4096)
def _place_of(url: str) -> Place | None:
    """The most restricted place among the hosts that parsers read in ``url``.

    Asked three or four times for every request (the cited and the transport URL, the
    chain's start), so the answers are kept; a host's place is kept apart, for the next URL.
    """
    hosts: set[str] = set()
    with contextlib.suppress(ValueError):
        hosts.add(urlsplit(url).hostname or "")
    with contextlib.suppress(httpx.InvalidURL, ValueError, TypeError):
        hosts.add(httpx.URL(url).host)
    places = [place for host in hosts if host and (place := _host_place(host)) is not None]
    return max(places, key=lambda place: place.zone, default=None)


def starts_private(url: str) -> bool:
    """True when ``url`` itself names a private (or loopback) host."""
    place = _place_of(url)
    return place is not None and place.zone is Zone.PRIVATE


# -- the check on the connection --------------------------------------------------------------


class AddressRefused(httpcore.ConnectError):
    """The policy refused every address of a host; no connection was attempted."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows.

    It resolves the host itself, refuses the host when any of its addresses is link-local
    or metadata (or private, unless ``allow_private``), and connects to the checked
    addresses in the resolver's order. Streams it opens tell the zone they connected to
    (see :func:`peer_zone`).

    Parameters:
        allow_private: whether private and loopback addresses may be connected to.
        inner: the backend that makes the connections (default: httpcore's anyio backend).
    """

    def __init__(
        self, *, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._allow_private = allow_private
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host``, check every address, connect to the first that answers."""
        addresses = await self._resolve(host, port, timeout)
        zone = self._check(host, addresses)
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _PeerStream(stream, zone)
        assert error is not None  # getaddrinfo never answers an empty list
        raise error

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        addresses: list[IPAddress] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        return addresses

    def _check(self, host: str, addresses: list[IPAddress]) -> Zone:
        places = [classify_address(address) for address in addresses]
        worst = max(places, key=lambda place: place.zone)
        if worst.zone is Zone.FORBIDDEN:
            raise AddressRefused(f"refused: {host} resolves to {worst.what}")
        if worst.zone is Zone.PRIVATE and not self._allow_private:
            raise AddressRefused(f"refused: {_private_reason(f'{host}, {worst.what}')}")
        return worst.zone

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are local by definition: refused."""
        raise AddressRefused(f"refused: a Unix socket ({path})")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the inner backend does."""
        await self._inner.sleep(seconds)


class _PeerStream(httpcore.AsyncNetworkStream):
    """A stream that also answers :data:`_PEER`: the zone of the address it connected to.

    It also keeps the stream's socket: httpcore asks whether a pooled connection
    ``is_readable`` before every reuse, and anyio builds all of a stream's attributes (a
    ``getpeername`` call among them) for every such question.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream, zone: Zone) -> None:
        self._stream = stream
        self._zone = zone
        self._socket: socket.socket | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _PeerStream(stream, self._zone)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == _PEER:
            return self._zone
        if info in ("socket", "is_readable"):
            if self._socket is None:
                self._socket = self._stream.get_extra_info("socket")
            if self._socket is not None:
                return self._socket if info == "socket" else _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """Whether a read on ``sock`` would return at once (data, or the end of a closed one)."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        ready, _, _ = select.select([fd], [], [], 0)
        return bool(ready)
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return bool(poll.poll(0))


def peer_zone(response: httpx.Response) -> Zone | None:
    """The zone of the address ``response`` came from, when a :class:`GuardedBackend` knows it."""
    stream = response.extensions.get("network_stream")
    zone = None if stream is None else stream.get_extra_info(_PEER)
    return zone if isinstance(zone, Zone) else None


def use_backend(
    transport: httpx.AsyncHTTPTransport,
    backend: httpcore.AsyncNetworkBackend,
    limits: httpx.Limits,
    ssl_context: typing.Any,
) -> httpx.AsyncHTTPTransport:
    """``transport`` with its connection pool rebuilt on ``backend`` (direct connections only).

    httpx 0.28 takes no network backend (encode/httpx#3749 adds one), so the pool it built
    is replaced by an equal one that uses ``backend``.
    """
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )
    return transport


class PolicyTransport(httpx.AsyncBaseTransport):
    """Sends each request through the pools of its policy, so connections are never shared.

    A connection opened for a request that may reach private space must not carry a
    request that may not, so ``strict`` and ``permissive`` requests (the
    :data:`POLICY_EXTENSION` of the request) go through transports of their own.
    """

    def __init__(
        self, make: Callable[[httpcore.AsyncNetworkBackend], httpx.AsyncBaseTransport]
    ) -> None:
        self._permissive = make(GuardedBackend(allow_private=True))
        self._strict = make(GuardedBackend(allow_private=False))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the transport its policy names."""
        strict = request.extensions.get(POLICY_EXTENSION) == "strict"
        inner = self._strict if strict else self._permissive
        return await inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close both transports."""
        try:
            await self._permissive.aclose()
        finally:
            await self._strict.aclose()
