"""Reports at size: bytes, write time, peak RSS and Chromium time-to-interactive (issue 13).

For 2,000, 20,000 and 100,000 synthetic sources of mixed statuses (and 2,000 dead ones with
long multibyte titles, the case that used to give a 1.4 MB ``report.md``), each report
format is written by a fresh subprocess with :func:`factlinks.write_report`, once with this
tree's writers and once with those of a reference revision (``main`` by default, extracted
with ``git archive`` into a temporary folder and put first on ``PYTHONPATH``). The child
prints the file's size, the seconds the write took, its peak RSS (``ru_maxrss``) and how much
of it writing added to the report already in memory. Then every ``report.html`` is opened in
headless Chromium (Debian's, driven by Playwright as ``tests/browser.py`` does): the time
from navigation until the first rows are drawn and the filters are shown, and until the search
box has answered (typing one source's id leaves one row).

Usage::

    .venv/bin/python benchmarks/report_scale.py [--sizes 2000,20000,100000]
        [--reference main] [--reference-sizes 2000,20000] [--no-browser]

Only the standard library, the package, and Playwright for the browser part.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FORMATS = ("md", "html", "json")
FILES = {"md": "report.md", "html": "report.html", "json": "report.json"}
WIDE = "Ünïcödé 日本語 🦉 «Studie» — "
MIX = (  # status, share in percent
    ("ok", 55),
    ("moved", 10),
    ("dead", 12),
    ("drifted", 8),
    ("blocked", 5),
    ("unreachable", 5),
    ("unverifiable", 3),
    ("skipped", 2),
)


def build(size: int, mix: str) -> Any:
    """A deterministic report of ``size`` sources (imports the factlinks on sys.path)."""
    from factlinks import (
        ArchiveCopy,
        Failure,
        FailureKind,
        FetchResult,
        History,
        Hop,
        Report,
        Source,
        SourceResult,
        Status,
        TitleEvidence,
    )

    rng = random.Random(13)
    now = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)
    statuses = [Status(name) for name, share in MIX for _ in range(share)]
    results = []
    for n in range(size):
        status = Status.DEAD if mix == "dead" else statuses[rng.randrange(len(statuses))]
        host = f"host{rng.randrange(500):03d}.example.org"
        long = mix == "dead"
        title = (WIDE * 12)[:290] if long else f"Annual report on topic {n} ({2000 + n % 25})"
        url = f"https://{host}/publications/{n // 100}/report-{n:06d}.pdf"
        if long:
            url += "?" + "ä=ö&" * 150
        source = Source(
            id=f"s{n:06d}",
            url=url,
            title=title,
            citation=f"Institute {n % 97}, {title}",
            cited_in=(f"document-{n % 20}",),
        )
        redirects: tuple[Hop, ...] = ()
        new_url = None
        if status is Status.MOVED:
            new_url = url.replace("/publications/", "/archive/")
            redirects = (Hop(url, 301, new_url),)
        failure = None
        code: int | None = {"dead": 404, "blocked": 403, "unreachable": None}.get(status.value, 200)
        if status is Status.UNREACHABLE:
            failure = Failure(FailureKind.TIMEOUT, "no answer within 30 s")
        fetch = FetchResult(
            url=url,
            final_url=new_url or url,
            status_code=code,
            redirects=redirects,
            content_type="application/pdf",
            bytes=rng.randrange(10_000, 5_000_000),
            elapsed_ms=rng.randrange(20, 3000),
            failure=failure,
        )
        evidence = TitleEvidence(
            expected=title,
            matched=status is not Status.DRIFTED,
            found=title if status is not Status.DRIFTED else "Publications overview",
            score=100.0 if status is not Status.DRIFTED else 41.5,
            where="page 1",
            snippet=title[:80],
        )
        archive = None
        if status is Status.DEAD and n % 2:
            archive = ArchiveCopy(
                url=f"https://web.archive.org/web/20210215093000/{url}",
                timestamp="20210215093000",
                captured_status="200",
                verified=True,
                detail="",
            )
        results.append(
            SourceResult(
                source=source,
                status=status,
                reason=f"{status.value}: the benchmark says so ({code}).",
                checked_at=now,
                fetch=None if status is Status.SKIPPED else fetch,
                title=None if status in (Status.SKIPPED, Status.UNREACHABLE) else evidence,
                new_url=new_url,
                archive=archive,
                history=History(previous_status=status, consecutive_failures=n % 4),
            )
        )
    return Report(
        results=tuple(results),
        started_at=now,
        finished_at=now + dt.timedelta(seconds=60),
        tool_version="bench",
    )


def child(size: int, mix: str, fmt: str, out: Path) -> None:
    """Build the report, write one format, print the figures as JSON."""
    import gc

    import factlinks

    started = time.perf_counter()
    report = build(size, mix)
    built = time.perf_counter() - started
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    factlinks.write_report(report, out, formats=[fmt])
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "bytes": (out / FILES[fmt]).stat().st_size,
                "seconds": seconds,
                "build_seconds": built,
                "peak_mib": peak / 2**20,
                "added_mib": (peak - before) / 2**20,
                "package": str(Path(factlinks.__file__).parent),
            }
        )
    )


def run_child(src: Path, size: int, mix: str, fmt: str, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, __file__, "--child", str(size), mix, fmt, str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed ({size} {mix} {fmt}):\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not figures["package"].startswith(str(src)):
        raise SystemExit(f"the child imported {figures['package']}, not the tree in {src}")
    return figures


def extract(revision: str, into: Path) -> Path:
    """The package of ``revision`` in ``into``; return the ``src`` folder to import it from."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "src/factlinks"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def interactive(page_path: Path, needle: str, timeout_s: float) -> tuple[float, float]:
    """Seconds until the first rows and filters show, and until a search has answered."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser import chromium

    url = page_path.resolve().as_uri()
    timeout = timeout_s * 1000
    with chromium() as browser:
        page = browser.context.new_page()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout)
        page.wait_for_function(
            "() => document.querySelector('#sources-table tbody tr') !== null"
            " && document.getElementById('filters') !== null"
            " && !document.getElementById('filters').hidden",
            timeout=timeout,
        )
        rows = time.perf_counter() - started
        page.fill("#f-text", needle, timeout=timeout)
        page.wait_for_function(
            "() => document.getElementById('count').textContent.startsWith('1 of ')",
            timeout=timeout,
        )
        searched = time.perf_counter() - started
        page.close()
    return rows, searched


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        size, mix, fmt, out = sys.argv[2:6]
        child(int(size), mix, fmt, Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--reference", default="main", help="git revision to compare with")
    parser.add_argument("--reference-sizes", default="2000,20000")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--browser-timeout", type=float, default=300.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    reference_sizes = {int(s) for s in args.reference_sizes.split(",") if s}
    cases = [("2000 dead, long", 2000, "dead")] + [(f"{n} mixed", n, "mixed") for n in sizes]
    rows: list[tuple[str, str, dict[str, dict[str, Any]], tuple[float, float] | None]] = []
    with tempfile.TemporaryDirectory(prefix="factlinks-report-scale-") as tmp:
        work = Path(tmp)
        trees = {"this tree": REPO / "src"}
        if reference_sizes:
            (work / "ref").mkdir()
            trees[args.reference] = extract(args.reference, work / "ref")
        for label, size, mix in cases:
            for name, src in trees.items():
                if name != "this tree" and size not in reference_sizes:
                    continue
                out = work / f"{name.replace(' ', '-')}-{size}-{mix}"
                figures = {fmt: run_child(src, size, mix, fmt, out) for fmt in FORMATS}
                tti = None
                if not args.no_browser and mix == "mixed":
                    needle = f"s{size // 2 + 1:06d}"
                    tti = interactive(out / "report.html", needle, args.browser_timeout)
                rows.append((label, name, figures, tti))
                print(f"... {label}, {name}: done", file=sys.stderr, flush=True)
    header = (
        "| sources | writer | report.md | report.html | report.json "
        "| write md / html / json | peak RSS md / html / json (added) "
        "| Chromium: rows shown / search answered |"
    )
    print(header)
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, name, figures, tti in rows:
        sizes_text = " | ".join(f"{figures[f]['bytes'] / 1e6:.2f} MB" for f in FORMATS)
        times = " / ".join(f"{figures[f]['seconds']:.2f}" for f in FORMATS)
        peaks = " / ".join(
            f"{figures[f]['peak_mib']:.0f} ({figures[f]['added_mib']:+.0f})" for f in FORMATS
        )
        browser = f"{tti[0]:.2f} s / {tti[1]:.2f} s" if tti else "—"
        print(f"| {label} | {name} | {sizes_text} | {times} s | {peaks} MiB | {browser} |")


if __name__ == "__main__":
    main()
