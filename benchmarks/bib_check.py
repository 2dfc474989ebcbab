#!/usr/bin/env python3
"""Check every real ``.bib`` of the corpus end to end on a local web and DOI system (issue 12).

What the held-out ``.bib`` of issue 12 is put through, on 53 files nobody here wrote: each
file is checked with ``factlinks check FILE.bib`` (in process, ``--no-archive``) while a
catch-all loopback host stands in for every host the file cites and a local DOI resolver
(``tests/doi_resolver.py``) for ``doi.org``. The web is made from the file itself: each URL
is given one outcome by a hash of it (a page showing the entry's title, a 404, a 301 to such a
page, a page with another title, a bot wall), each DOI one (registered with the entry's
title, not registered, registered with another title), so the verdict every source must get
is known. Sources whose URL or DOI is shared by entries with different titles are checked
but not scored (one page cannot answer both).

Per file it prints the sources ``load_sources`` gives, those in ``report.json``, the scored
ones, the verdicts that differ from the truth, and the time; then totals, the mismatches by
(expected, got) and the first few of them. Exit 1 when a check fails (exit code 2 or an
exception), when the report misses a source, or when a verdict differs.

Usage::

    python benchmarks/bib_check.py --corpus DIR [--only NAME ...] [--show N]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import html
import io
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import factlinks  # noqa: E402
from doi_resolver import DoiResolver, Registered  # noqa: E402
from factlinks._cli import main as cli  # noqa: E402
from factlinks._doi.names import doi_from_url  # noqa: E402
from farm import Host, Reply, Request  # noqa: E402

DEFAULT_CORPUS = HERE / "bib_corpus" / "build"
ENV_VAR = "FACTLINKS_BIB_CORPUS"
PAGE_OUTCOMES = ("ok", "ok", "dead", "moved", "drifted", "blocked")
DOI_OUTCOMES = ("registered", "registered", "unregistered", "other-title")
_WALL = "<title>Just a moment...</title><p>Checking your browser before accessing.</p>"
_OTHER = "A Page About Something Else Entirely"


def _pick(text: str, choices: tuple[str, ...]) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return choices[digest[0] % len(choices)]


def _key(url: str) -> str:
    """A URL as the catch-all host sees it after the remap: host (no user, no default port),
    path and query, percent-decoded."""
    parsed = httpx.URL(url)
    host = parsed.host if parsed.port in (None, 80, 443) else f"{parsed.host}:{parsed.port}"
    path, _, query = parsed.raw_path.decode("ascii").partition("?")
    return unquote(f"{host.lower()}{path}" + (f"?{query}" if query else ""))


@dataclass
class World:
    """The web and DOI system of one file, and the verdict each of its sources must get."""

    pages: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    """By :func:`_key`: the outcome and the titles to show."""
    dois: dict[str, Registered] = field(default_factory=dict)
    truth: dict[str, str] = field(default_factory=dict)
    """By source id; sources that cannot be scored are absent."""
    landing: dict[str, str] = field(default_factory=dict)
    """By source id: the page (:func:`_key`) its verdict depends on."""
    ambiguous: set[str] = field(default_factory=set)
    """Pages that are both cited and a DOI's landing page: their sources are not scored."""


def _world(registry: factlinks.Registry, landing: str) -> World:
    world = World()
    titles_by_url: dict[str, set[str | None]] = {}
    titles_by_doi: dict[str, set[str | None]] = {}
    for source in registry:
        if source.doi is None:
            titles_by_url.setdefault(_key(source.url), set()).add(source.title)
        else:
            titles_by_doi.setdefault(source.doi.lower(), set()).add(source.title)
    for source in registry:
        if source.doi is None:
            _page_source(world, source, titles_by_url[_key(source.url)])
        else:
            _doi_source(world, source, titles_by_doi[source.doi.lower()], landing)
    for key, page in list(world.landing.items()):
        if page in world.ambiguous:
            del world.truth[key]
    return world


def _page_source(world: World, source: factlinks.Source, titles: set[str | None]) -> None:
    key = _key(source.url)
    outcome = _pick(key, PAGE_OUTCOMES)
    if key.split("/", 1)[0] in ("doi.org", "dx.doi.org"):
        outcome = "dead"  # on the DOI proxy but not a DOI (99.9999/...): it answers 404
    if source.title is None and outcome == "drifted":
        outcome = "ok"  # nothing to drift from
    shown = sorted(t for t in titles if t)
    if key in world.pages and world.pages[key][0] == "blocked":
        world.ambiguous.add(key)  # a DOI's landing page too
    world.pages[key] = (outcome, shown)
    if len(titles) == 1:
        world.truth[source.id] = outcome
        world.landing[source.id] = key


def _doi_source(
    world: World, source: factlinks.Source, titles: set[str | None], landing: str
) -> None:
    assert source.doi is not None
    outcome = _pick(source.doi.lower(), DOI_OUTCOMES)
    if source.title is None and outcome == "other-title":
        outcome = "registered"
    target = source.url if doi_from_url(source.url) is None else f"{landing}/{quote(source.doi)}"
    if outcome != "unregistered":
        title = _OTHER if outcome == "other-title" else source.title
        world.dois[source.doi] = Registered(target, title)
    page = _key(source.url if doi_from_url(source.url) is None else target)
    if page in world.pages and world.pages[page][0] != "blocked":
        world.ambiguous.add(page)
    world.pages[page] = ("blocked", [])  # the publisher's bot wall
    truth = {"registered": "ok", "unregistered": "dead", "other-title": "drifted"}[outcome]
    if len(titles) == 1 and (source.title is not None or outcome != "registered"):
        world.truth[source.id] = truth
        world.landing[source.id] = page


def _page(titles: list[str]) -> str:
    heads = "".join(f"<h1>{html.escape(t)}</h1>" for t in titles)
    head = f"<title>{html.escape(titles[0])}</title>" if titles else ""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{heads}</body></html>"
    )


class CatchAll:
    """One loopback host standing in for every host: ``/_/HOST/PATH`` answers for ``HOST/PATH``."""

    def __init__(self) -> None:
        self.world = World()
        self.host = Host("catch-all.invalid", fallback=self.answer)

    def __enter__(self) -> CatchAll:
        self.host.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.host.stop()

    def answer(self, request: Request) -> Reply:
        target = unquote(request.path.removeprefix("/_/"))
        host, _, path = target.partition("/")
        target = f"{host.lower()}/{path}"  # http://host (no path) asks for host/
        moved = target.endswith("~moved")
        outcome, titles = self.world.pages.get(target.removesuffix("~moved"), ("dead", []))
        if outcome == "dead":
            return Reply.html("<h1>Not Found</h1>", status=404, title="404 Not Found")
        if outcome == "blocked":
            return Reply.html(_WALL, status=403)
        if outcome == "moved" and not moved:
            # relative to the cited host: factlinks maps it back onto that host, then here
            return Reply.redirect(f"/{quote(path, safe='/?=&;:@%+,')}~moved", status=301)
        if outcome == "drifted":
            return Reply.html(f"<h1>{_OTHER}</h1>", title=_OTHER)
        return Reply.html(_page(titles))

    def remap(self) -> str:
        """A remap rule sending every host but the DOI proxy's here."""
        skip = r"(?!(?:dx\.)?doi\.org(?:[:/?#]|$)|127\.0\.0\.1[:/])"
        host = r"(?:[^/?#@]*@)?([^/?#:]+)(?::(?:80|443)(?=[/?#]|$))?"  # no user, no port 80
        return rf"^https?://{skip}{host} {self.host.base_url}/_/\1"


@dataclass
class Row:
    name: str
    loaded: int = 0
    reported: int = 0
    scored: int = 0
    wrong: list[tuple[str, str, str, str]] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        yield


def check_file(path: Path, web: CatchAll, scratch: Path) -> Row:
    row = Row(path.name)
    started = time.monotonic()
    try:
        registry = factlinks.load_sources(path)
    except factlinks.FactlinksError as error:
        row.error = f"load: {error}"
        return row
    row.loaded = len(registry)
    if not registry:
        return row
    web.world = _world(registry, "https://landing.example")
    out = scratch / path.stem
    with DoiResolver(web.world.dois) as resolver, _quiet():
        argv = ["check", str(path), "--out", str(out), "--format", "json", "--no-state"]
        argv += ["--no-archive", "--timeout", "5", "--remap", web.remap()]
        argv += ["--doi-resolver", resolver.url, "--contact", "bench@example.org"]
        try:
            code = cli(argv)
        except Exception as error:  # a crash is what this benchmark is for
            code, row.error = 2, f"{type(error).__name__}: {error}"
    row.seconds = time.monotonic() - started
    if code not in (0, 1):
        row.error = row.error or f"exit code {code}"
        return row
    report = json.loads((out / "report.json").read_text("utf-8"))
    got = {s["id"]: s for s in report["sources"]}
    row.reported = sum(1 for source in registry if source.id in got)
    for key, expected in web.world.truth.items():
        row.scored += 1
        status = got[key]["status"] if key in got else "missing"
        if status != expected:
            row.wrong.append((key, expected, status, str(got.get(key, {}).get("reason", ""))))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", metavar="DIR")
    parser.add_argument("--only", nargs="*", default=None, metavar="NAME")
    parser.add_argument("--show", type=int, default=10, help="mismatches to print")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus or os.environ.get(ENV_VAR) or DEFAULT_CORPUS).resolve()
    names = [row["name"] for row in json.loads((corpus / "manifest.json").read_text("utf-8"))]
    logging.disable(logging.WARNING)
    rows: list[Row] = []
    print(f"{'file':42} {'loaded':>7} {'reported':>8} {'scored':>7} {'wrong':>6} {'s':>6}")
    with tempfile.TemporaryDirectory() as scratch, CatchAll() as web:
        for name in names:
            if args.only and name not in args.only:
                continue
            row = check_file(corpus / "files" / name, web, Path(scratch))
            rows.append(row)
            mark = "!" if row.wrong or row.reported != row.loaded else " "
            print(
                f"{mark}{name:41} {row.loaded:7} {row.reported:8} {row.scored:7} "
                f"{len(row.wrong):6} {row.seconds:6.2f}",
                flush=True,
            )
            if row.error:
                print(f"   {row.error}")
    wrong = [(row.name, *w) for row in rows for w in row.wrong]
    loaded = sum(r.loaded for r in rows)
    reported = sum(r.reported for r in rows)
    scored = sum(r.scored for r in rows)
    seconds = sum(r.seconds for r in rows)
    print(
        f"totals: files {len(rows)}, sources {loaded}, reported {reported}, scored {scored}, "
        f"wrong {len(wrong)}, {seconds:.1f} s checking "
        f"({loaded / max(seconds, 1e-9):.0f} sources/s)"
    )
    print("mismatches (expected -> got):", dict(Counter((w[2], w[3]) for w in wrong)))
    for name, key, expected, status, reason in wrong[: args.show]:
        print(f"  {name} {key}: {expected} -> {status}: {reason[:160]}")
    check_errors = [row for row in rows if row.error and not row.error.startswith("load:")]
    return 1 if wrong or check_errors or reported != loaded else 0


if __name__ == "__main__":
    sys.exit(main())
