"""A loopback farm of many registrable domains, for sharding (tests/test_shard_farm.py).

:func:`registry` writes a registry of ``total`` sources over several hundred registrable
domains under real public suffixes (``co.uk``, ``com.au``, ``de``, and ``github.io`` from the
PSL's private section), each domain on one to three host names (``www.``, bare, ``docs.``),
with skewed sizes (one domain holds 120 sources, most hold one), in a shuffled order, plus a
few sources on an IP address. :func:`serve` starts :data:`SERVERS` loopback servers and
returns the ``--remap`` rules that send every host name to one of them: the host name becomes
the first segment of the path (``https://www.org7-s7.co.uk/ok/5`` is requested as
``http://127.0.0.1:PORT/www.org7-s7.co.uk/ok/5``), so one server answers for many hosts.

What a URL answers follows from its path, the same on every run:

| path | answer | status |
|---|---|---|
| ``/ok/N`` | a page titled ``Document N`` | ok |
| ``/gone/N`` | 404 | dead |
| ``/moved/N`` | 301 to ``/new/N``, a page titled ``Document N`` | moved |
| ``/drift/N`` | a page with another title | drifted |
| ``/soft/N`` | 302 to the home page | dead (soft 404) |
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from farm import Farm, Reply, Request

__all__ = ["SERVERS", "SUFFIXES", "registry", "serve"]

SERVERS = 16
"""Loopback servers behind the farm's host names (domain ``orgN-sJ`` is on server ``J``)."""
SUFFIXES = ("co.uk", "com.au", "de", "github.io")
_KINDS = ("ok", "ok", "ok", "ok", "ok", "gone", "moved", "drift", "soft", "ok")
_SIZES = [120, 80, 60, 40, 40, 30, 30] + [20] * 10 + [10] * 30 + [5] * 100
_PREFIXES = ("www.", "", "docs.")
IP_SOURCES = 10
"""How many sources are cited on ``127.0.0.1`` itself (one shard key, an IP address)."""


def _page(title: str) -> Reply:
    return Reply.html(
        f"<h1>{title}</h1><p>Text of the page, long enough to be read.</p>", title=title
    )


def _answer(request: Request) -> Reply:
    parts = request.path.split("?", 1)[0].strip("/").split("/")
    if len(parts) < 3:
        return _page("Home") if len(parts) == 1 else Reply.not_found()
    kind, number = parts[-2], parts[-1]
    replies = {
        "ok": lambda: _page(f"Document {number}"),
        "new": lambda: _page(f"Document {number}"),
        "moved": lambda: Reply.redirect(f"/new/{number}", 301),
        "drift": lambda: _page("A relaunched site: welcome"),
        "soft": lambda: Reply.redirect("/", 302),
    }
    make = replies.get(kind) if number.isdigit() else None  # a probe's random sibling: 404
    return make() if make else Reply.not_found()


@contextmanager
def serve() -> Iterator[tuple[list[str], int]]:
    """Start the farm; yield its ``--remap`` arguments and the port of server 0 (for the
    sources cited on the IP address)."""
    with Farm() as farm:
        rules: list[str] = []
        suffixes = "|".join(re.escape(s) for s in SUFFIXES)
        for server in range(SERVERS):
            host = farm.add_host(f"shard-farm-{server}", fallback=_answer)
            pattern = rf"^https?://([a-z0-9.-]*-s{server}\.(?:{suffixes}))(?::\d+)?(?=[/?#]|$)"
            rules += ["--remap", f"{pattern} {host.base_url}/\\1"]
        yield rules, farm.hosts[0].port


def registry(path: Path, total: int, *, ip_port: int, seed: int = 13) -> dict[str, str]:
    """Write a registry of ``total`` sources to ``path``; return each id's registrable domain
    (as the farm built it, independent of the code under test)."""
    entries: list[tuple[str, str]] = []  # (url, domain)
    sizes = list(_SIZES)
    sizes += [1] * max(0, total - IP_SOURCES - sum(sizes))
    for number, size in enumerate(sizes):
        suffix = SUFFIXES[number % len(SUFFIXES)]
        domain = f"org{number}-s{number % SERVERS}.{suffix}"
        for j in range(size):
            host = _PREFIXES[j % len(_PREFIXES)] + domain
            entries.append((f"https://{host}/{_KINDS[len(entries) % 10]}/{len(entries)}", domain))
    for _ in range(IP_SOURCES):
        entries.append((f"http://127.0.0.1:{ip_port}/ip/ok/{len(entries)}", "127.0.0.1"))
    entries = entries[:total]
    random.Random(seed).shuffle(entries)
    lines: list[str] = []
    domains: dict[str, str] = {}
    for index, (url, domain) in enumerate(entries):
        source_id = f"src-{index:05d}"
        number = url.rsplit("/", 1)[1]
        lines += ["[[source]]", f'id = "{source_id}"', f'url = "{url}"']
        lines += [f'title = "Document {number}"', ""]
        domains[source_id] = domain
    path.write_text("\n".join(lines), encoding="utf-8")
    return domains
