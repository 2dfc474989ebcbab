"""A link farm for throughput benchmarks: many hosts on 127.0.0.1 ports, with known truth.

Run as a process of its own (``python benchmarks/scale_farm.py --hosts 200 --ports FILE``),
so that its work is not counted in the checker's CPU or memory. It listens on ``--hosts``
ports of 127.0.0.1 (one host each: every checker keys its pools and politeness on the origin)
and answers HTTP/1.1 with keep-alive from one asyncio loop, each answer after ``--latency-ms``.
It writes the ports to ``--ports`` once it listens; ``/__stats`` on any port answers how many
connections and requests it has served (that request not counted) and the CPU time it has
used, as does ``--stats`` on SIGTERM; ``/__stats?run=RUN`` adds when every tenth of that
run's cited URLs was first asked for (the 10th to the 90th percentile: the pace of a run's
middle) and the :func:`time.monotonic` of the run's first and last request.

What a URL answers follows from its number alone (:func:`kind_of`), so the benchmark writes
the registry and the truth with the same functions, without asking the farm. URLs look alike
(``/RUN/doc/TOKEN``); ``RUN`` keeps the state of one measurement (a 429's window) apart from
the next one on the same farm. The mix (per 100 URLs, see :data:`MIX`):

| kind | answer | truth |
|---|---|---|
| ``ok`` | 200 HTML titled ``Document N`` | ok |
| ``pdf`` | 200 PDF whose Info title is ``Document N`` | ok |
| ``temp`` | 302 to a page titled ``Document N`` | ok |
| ``chain`` | 302, 302, then the page | ok |
| ``moved301``, ``moved308`` | a permanent redirect to the page | moved |
| ``retry`` | 429 with ``Retry-After: 1`` for a second after its first request, then 200 | ok |
| ``slow`` | the page after 1.5 s | ok |
| ``gone404``, ``gone410`` | 404, 410 | dead |
| ``to404`` | 301 to a 404 | dead |
| ``soft`` | 302 to the host's home page | dead (soft 404) |
| ``loop`` | 302 back and forth between two URLs | unreachable |
| ``e500``, ``e503`` | 500, 503, always | unreachable |
| ``drift`` | 200 HTML with another title | drifted |

Every other path is a 404 (a soft-404 probe's random sibling too). Only the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import signal
import sys
import time
from pathlib import Path

BIND = "127.0.0.1"
"""The only address the farm listens on."""

MIX: dict[str, int] = {
    "ok": 50,
    "pdf": 5,
    "temp": 5,
    "chain": 3,
    "moved301": 4,
    "moved308": 2,
    "retry": 4,
    "slow": 1,
    "gone404": 6,
    "gone410": 3,
    "to404": 3,
    "soft": 4,
    "loop": 2,
    "e500": 3,
    "e503": 2,
    "drift": 3,
}
"""How many of every 100 URLs are of each kind."""
TRUTH = {
    "ok": "ok",
    "pdf": "ok",
    "temp": "ok",
    "chain": "ok",
    "moved301": "moved",
    "moved308": "moved",
    "retry": "ok",
    "slow": "ok",
    "gone404": "dead",
    "gone410": "dead",
    "to404": "dead",
    "soft": "dead",
    "loop": "unreachable",
    "e500": "unreachable",
    "e503": "unreachable",
    "drift": "drifted",
}
"""The verdict a correct checker gives for each kind."""
_TABLE = [kind for kind, count in MIX.items() for _ in range(count)]
RETRY_AFTER_S = 1
SLOW_S = 1.5


def kind_of(number: int) -> str:
    """The kind of URL number ``number`` (spread evenly, the same on every run)."""
    digest = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=8).digest()
    return _TABLE[int.from_bytes(digest, "big") % len(_TABLE)]


def host_of(number: int, hosts: int) -> int:
    """Which of ``hosts`` hosts serves URL number ``number``."""
    digest = hashlib.blake2b(number.to_bytes(8, "little"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % hosts


def token(number: int) -> str:
    """The last path segment of URL number ``number``: its number and a check digit pair."""
    check = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=2).hexdigest()
    return f"{number:x}{check}"


def number_of(text: str) -> int | None:
    """The number a :func:`token` stands for; ``None`` when it is no token of the farm."""
    if len(text) < 5:
        return None
    try:
        number = int(text[:-4], 16)
    except ValueError:
        return None
    return number if token(number) == text else None


def url(port: int, run: str, number: int) -> str:
    """The cited URL of number ``number`` in measurement ``run`` on the host at ``port``."""
    suffix = ".pdf" if kind_of(number) == "pdf" else ""
    return f"http://{BIND}:{port}/{run}/doc/{token(number)}{suffix}"


def title(number: int) -> str:
    """The title the registry cites for URL number ``number``."""
    return f"Document {number} on the scale farm"


# -- answers ------------------------------------------------------------------------------------


def _html(page_title: str) -> bytes:
    text = "A page of the scale farm, with enough text to be read as a document. " * 8
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{page_title}'
        f"</title></head><body><h1>{page_title}</h1><p>{text}</p></body></html>"
    ).encode()


def _pdf(pdf_title: str) -> bytes:
    text = pdf_title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 700 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (%s) >>" % text.encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for index, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (index, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        start,
    )
    return bytes(out)


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 308: "Permanent Redirect"}
_REASONS |= {404: "Not Found", 410: "Gone", 429: "Too Many Requests"}
_REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


def _response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _page(number: int) -> bytes:
    if kind_of(number) == "pdf":
        return _response(200, _pdf(title(number)), {"Content-Type": "application/pdf"})
    return _response(200, _html(title(number)), {"Content-Type": "text/html; charset=utf-8"})


def _redirect(status: int, location: str) -> bytes:
    body = b"<html><body>This document has moved.</body></html>"
    return _response(status, body, {"Location": location, "Content-Type": "text/html"})


def _plain(status: int) -> bytes:
    return _response(status, f"<html><body>{status}</body></html>".encode(), {})


class Farm:
    """What the farm answers, and what it has seen (connections, requests, 429 windows)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.connections = 0
        self.requests = 0
        self._first_asked: dict[tuple[str, int], float] = {}
        self._seen: dict[str, set[int]] = {}
        self._firsts: dict[str, list[float]] = {}
        """Per run, when each cited URL was first asked for (in arrival order, so sorted)."""
        self._last: dict[str, float] = {}
        """Per run, when its last request so far came (any path of the run)."""

    def stats(self, query: str) -> bytes:
        """Counts so far; with ``run=RUN``, also when that run's cited URLs were first asked
        for: every tenth of them, seconds after the first (the 10th to the 90th percentile is
        the steady part of a run, without its start and its tail of retries)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        counts: dict[str, object] = {"connections": self.connections, "requests": self.requests}
        counts["cpu"] = usage.ru_utime + usage.ru_stime
        run = query.removeprefix("run=") if query.startswith("run=") else None
        times = self._firsts.get(run or "", [])
        if times:
            tenths = [times[round(q * (len(times) - 1) / 10)] - times[0] for q in range(11)]
            counts["first_asked"] = {"urls": len(times), "deciles": tenths}
            counts["span"] = {"first": times[0], "last": self._last[run or ""]}
        return _response(200, json.dumps(counts).encode(), {"Connection": "close"})

    def answer(self, path: str) -> tuple[float, bytes]:
        """How long to wait before answering ``path``, and the answer."""
        if path.split("?", 1)[0] == "/__stats":
            return 0.0, self.stats(path.partition("?")[2])
        self.requests += 1
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 1:
            return self.latency, _response(200, _html("The home page of a farm host"))
        if len(parts) != 3:
            return self.latency, _plain(404)
        run, section, last = parts
        self._last[run] = time.monotonic()
        number = number_of(last.removesuffix(".pdf"))
        if number is None:
            return self.latency, _plain(404)
        return self._answer(run, section, number)

    def _answer(self, run: str, section: str, number: int) -> tuple[float, bytes]:
        kind = kind_of(number)
        base = f"/{run}"
        here = f"{base}/doc/{token(number)}"
        if section == "page":
            return self.latency, _page(number)
        if section == "hop":
            return self.latency, _redirect(302, f"{base}/page/{token(number)}")
        if section == "loop":
            return self.latency, _redirect(302, here)
        if section == "gone":
            return self.latency, _plain(404)
        if section != "doc":
            return self.latency, _plain(404)
        seen = self._seen.setdefault(run, set())
        if number not in seen:
            seen.add(number)
            self._firsts.setdefault(run, []).append(time.monotonic())
        return self._doc(kind, run, number)

    def _doc(self, kind: str, run: str, number: int) -> tuple[float, bytes]:
        page = f"/{run}/page/{token(number)}"
        simple: dict[str, bytes] = {
            "temp": _redirect(302, page),
            "chain": _redirect(302, f"/{run}/hop/{token(number)}"),
            "moved301": _redirect(301, page),
            "moved308": _redirect(308, page),
            "gone404": _plain(404),
            "gone410": _plain(410),
            "to404": _redirect(301, f"/{run}/gone/{token(number)}"),
            "soft": _redirect(302, "/"),
            "loop": _redirect(302, f"/{run}/loop/{token(number)}"),
            "e500": _plain(500),
            "e503": _plain(503),
            "drift": _response(200, _html("A relaunched site: welcome"), {}),
        }
        if kind in simple:
            return self.latency, simple[kind]
        if kind == "slow":
            return SLOW_S, _page(number)
        if kind == "retry":
            first = self._first_asked.setdefault((run, number), time.monotonic())
            if time.monotonic() - first < RETRY_AFTER_S:
                return self.latency, _response(429, b"slow down", {"Retry-After": "1"})
        return self.latency, _page(number)


class _Connection(asyncio.Protocol):
    """One keep-alive connection: requests in, answers out after their delay, in order."""

    def __init__(self, farm: Farm) -> None:
        self._farm = farm
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._farm.connections += 1

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while b"\r\n\r\n" in self._buffer:
            head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            delay, payload = self._farm.answer(line[1] if len(line) > 1 else "/")
            asyncio.get_running_loop().call_later(delay, self._send, payload)

    def _send(self, payload: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(hosts: int, latency: float, ports_file: Path, stats_file: Path | None) -> None:
    """Listen on ``hosts`` ports until SIGTERM; write the ports, then the counts."""
    farm = Farm(latency)
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(lambda: _Connection(farm), BIND, 0, backlog=1024)
        for _ in range(hosts)
    ]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    partial = ports_file.with_suffix(".part")
    partial.write_text(json.dumps(ports), encoding="utf-8")
    partial.replace(ports_file)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for server in servers:
        server.close()
    if stats_file is not None:
        counts = {"connections": farm.connections, "requests": farm.requests}
        stats_file.write_text(json.dumps(counts), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--ports", type=Path, required=True, help="where to write the ports")
    parser.add_argument("--stats", type=Path, help="where to write the counts on SIGTERM")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.hosts, args.latency_ms / 1000, args.ports, args.stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
