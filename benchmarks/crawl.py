"""Crawl throughput benchmark for ``factlinks check`` (issue 2).

Starts a farm of local HTTP servers in a separate process (by default 2,000 URLs over 20 hosts,
each host on its own port on 127.0.0.1, every reply delayed by 50 ms), writes a ``sources.toml``
for it, runs ``factlinks check`` against it as a subprocess with one ``--remap`` rule per host,
and prints URLs per second and peak memory. The report is read back and compared with what the
farm was built to produce; any difference makes the benchmark exit non-zero.

Per host, every block of 20 URLs holds: 12 HTML pages (200; every other one with an expected
title), 3 small PDFs with an expected title (``kind = "pdf"``), 2 permanent redirects (one to
another path on the same host, one to another host), 2 URLs that answer 404 and one that
answers 503 once and then 200 (even blocks) or 410 (odd blocks). Unknown paths answer 404, so
the soft-404 probes are answered as a real host would.

Usage::

    /work/venv/bin/python benchmarks/crawl.py                 # the issue 2 setup
    /work/venv/bin/python benchmarks/crawl.py --repeat 3 --order grouped

Only the standard library is used, plus ``tests/farm.py`` and ``tests/pdfgen.py``. Nothing is
sent anywhere but 127.0.0.1. ``--serve`` is the farm process's own entry point.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from farm import Host, Reply, Request, Route, make_remap_rule  # noqa: E402
from pdfgen import make_pdf  # noqa: E402
from rss import TreeSampler  # noqa: E402

BLOCK = 20
"""URLs per repeating block of the per-host layout."""
PROBE_MARKER = "factlinks-probe-"
RETRY_INITIAL_WAIT = 0.5
"""factlinks' default ``RetryPolicy.initial_wait``: the least a 503-once URL waits to retry."""


# -- the plan: what every URL is and what the report must say about it -------------------------


@dataclass(frozen=True)
class Entry:
    """One cited URL of the farm and the verdict the benchmark expects for it."""

    id: str
    host: str
    path: str
    role: str
    """``html``, ``pdf``, ``redirect``, ``404``, ``503-once`` or ``410``."""
    expected: str
    """The status the report must give."""
    title: str | None = None
    """The expected title written to the registry."""
    kind: str | None = None
    """The registry ``kind``, if any."""
    new_url: str | None = None
    """For redirects: where the 301 leads (as the web names it)."""

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}"

    @property
    def probe_key(self) -> tuple[str, str, str] | None:
        """The (host, directory, extension) of the soft-404 probe this URL causes, if any.

        factlinks probes every deep link that answers 2xx unless its title matched, once per
        directory and extension (so soft 404s and drifted pages are probed too).
        """
        unmatched = self.role in ("soft-404", "drifted")  # answer 2xx, no title matched
        if not unmatched and (self.expected not in ("ok", "moved") or self.title is not None):
            return None
        directory, _, name = self.path.rpartition("/")
        return (self.host, directory, name[name.rfind(".") :] if "." in name else "")


def host_name(number: int) -> str:
    return f"host{number:02d}.bench.example"


MIXES = ("basic", "every-class")
"""``basic``: the issue 2 layout. ``every-class`` also has, in one block of six (counted over
hosts and blocks), the last URL answers 500 every time, in another it is on a
soft-404 directory (200 "not found" for any path), and in every third block a page whose
title changed (``drifted``)."""


def build_plan(urls: int, hosts: int, mix: str = "basic") -> list[Entry]:
    """The farm's URLs, host by host (deterministic, so both processes agree on it)."""
    if hosts < 1 or urls < hosts:
        raise SystemExit("need at least one host and at least one URL per host")
    plan: list[Entry] = []
    for h in range(1, hosts + 1):
        name = host_name(h)
        other = host_name(h % hosts + 1)
        count = urls // hosts + (1 if h <= urls % hosts else 0)
        for i in range(count):
            entry = _entry(h, name, other, i)
            plan.append(_every_class(entry, h, i) if mix == "every-class" else entry)
    return plan


def _every_class(entry: Entry, h: int, i: int) -> Entry:
    """``entry``, or in its place one of the classes the basic layout lacks."""
    slot, block = i % BLOCK, i // BLOCK
    page = f"page-{i:04d}.html"
    turn = (h + block) % 6  # by host too: at 50 URLs a host there are only 3 blocks
    if slot == BLOCK - 1 and turn == 3:
        return Entry(entry.id, entry.host, f"/failing/{page}", "500", "unreachable")
    if slot == BLOCK - 1 and turn == 5:
        return Entry(entry.id, entry.host, f"/soft/{page}", "soft-404", "dead")
    if slot == 11 and block % 3 == 0:
        title = f"Annual figures {i} of bench host {h:02d}"
        return Entry(entry.id, entry.host, f"/reports/changed/{page}", "drifted", "drifted", title)
    return entry


def _entry(h: int, name: str, other: str, i: int) -> Entry:
    slot, block = i % BLOCK, i // BLOCK
    ident = f"h{h:02d}-{i:04d}"
    page = f"page-{i:04d}.html"
    if slot < 12:
        title = f"Annual figures {i} of bench host {h:02d}" if slot % 2 == 0 else None
        return Entry(ident, name, f"/reports/s{slot % 5}/{page}", "html", "ok", title)
    if slot < 15:
        title = f"Bench study {i} of host {h:02d}: results and methods"
        return Entry(ident, name, f"/pdf/doc-{i:04d}.pdf", "pdf", "ok", title, kind="pdf")
    if slot < 17:
        target = name if slot == 15 else other
        new_url = f"https://{target}/new/h{h:02d}-{i:04d}.html"
        return Entry(ident, name, f"/old/{page}", "redirect", "moved", new_url=new_url)
    if slot < 19:
        return Entry(ident, name, f"/gone/{page}", "404", "dead")
    if block % 2 == 0:
        return Entry(ident, name, f"/busy/{page}", "503-once", "ok")
    return Entry(ident, name, f"/withdrawn/{page}", "410", "dead")


def _filler(seed: str) -> str:
    words = ("revenue", "survey", "method", "sample", "region", "growth", "index", "share")
    rng = random.Random(seed)
    return " ".join(rng.choice(words) for _ in range(120))


def _page(heading: str, seed: str, title: str | None = None) -> Reply:
    body = f"<h1>{heading}</h1>\n" + "".join(f"<p>{_filler(seed + str(n))}</p>\n" for n in range(3))
    return Reply.html(body, title=title or heading)


def build_routes(plan: Sequence[Entry]) -> dict[str, dict[str, Route]]:
    """Routes per host name for ``plan`` (PDFs are generated here, once per URL)."""
    routes: dict[str, dict[str, Route]] = {entry.host: {} for entry in plan}
    for entry in plan:
        table = routes[entry.host]
        if entry.role == "html":
            table[entry.path] = _page(entry.title or f"Page {entry.id}", entry.id)
        elif entry.role == "pdf":
            assert entry.title is not None
            text = f"{entry.title}\n\nA small generated report ({entry.id}).\n{_filler(entry.id)}"
            lines = [text[n : n + 90] for n in range(0, len(text), 90)]
            table[entry.path] = Reply.pdf(make_pdf(["\n".join(lines)], title=entry.title))
        elif entry.role == "redirect":
            assert entry.new_url is not None
            target_host, _, target_path = entry.new_url.removeprefix("https://").partition("/")
            target_path = "/" + target_path
            same_host = target_host == entry.host
            location = target_path if same_host else entry.new_url  # relative and absolute
            table[entry.path] = Reply.redirect(location, 301)
            routes[target_host][target_path] = _page(f"New home of {entry.id}", entry.id)
        elif entry.role in _FIXED:
            table[entry.path] = _FIXED[entry.role]
        elif entry.role == "503-once":
            busy = Reply(status=503, body=b"busy\n", content_type="text/plain; charset=utf-8")
            table[entry.path] = [busy, _page(f"Busy page {entry.id}", entry.id)]
        elif entry.role == "drifted":
            table[entry.path] = _page(f"Something else entirely {entry.id}", entry.id)
        # soft-404: the host's fallback, a 200 "not found" page for every path under /soft/
    return routes


_FIXED = {
    "404": Reply.not_found(),
    "410": Reply.html("<h1>Gone</h1>", status=410, title="Gone"),
    "500": Reply(status=500, body=b"oops\n", content_type="text/plain"),
}
"""The roles whose every URL gets the same reply."""


SOFT_404 = Reply.html(
    "<h1>Page not found</h1><p>Sorry, the page you requested could not be found.</p>",
    title="Page not found",
)


def _delayed(route: Route, delay: float) -> Route:
    if isinstance(route, Reply):
        return dataclasses.replace(route, delay=delay)
    if callable(route):
        raise TypeError("callable routes are not used by the benchmark")
    return [dataclasses.replace(reply, delay=delay) for reply in route]


def expected_requests(plan: Sequence[Entry]) -> int:
    """Requests factlinks must send: one per URL, plus redirect hops, retries and probes."""
    hops = sum(1 for e in plan if e.role == "redirect")
    retries = sum(1 for e in plan if e.role == "503-once") + 2 * sum(
        1
        for e in plan
        if e.role == "500"  # factlinks' default: 3 attempts
    )
    probes = {key for e in plan if (key := e.probe_key) is not None}
    return len(plan) + hops + retries + len(probes)


# -- the farm process -------------------------------------------------------------------------


class CountingHost(Host):
    """A farm host that also counts the TCP connections it accepts."""

    def __init__(self, name: str, routes: Mapping[str, Route], fallback: Route) -> None:
        super().__init__(name, routes, fallback)
        self.accepted = 0
        self._count_lock = threading.Lock()

    def _register(self, conn: socket.socket) -> bool:
        with self._count_lock:
            self.accepted += 1
        return super()._register(conn)


def serve(urls: int, hosts: int, latency: float, mix: str = "basic") -> int:
    """Run the farm until stdin closes; print the ports, then answer ``stats`` lines."""
    plan = build_plan(urls, hosts, mix)
    not_found = dataclasses.replace(Reply.not_found(), delay=latency)
    soft = dataclasses.replace(SOFT_404, delay=latency)

    def fallback(request: Request) -> Reply:
        return soft if request.path.startswith("/soft/") else not_found

    with contextlib.ExitStack() as stack:
        farm: list[CountingHost] = []
        for name, table in build_routes(plan).items():
            delayed = {path: _delayed(route, latency) for path, route in table.items()}
            farm.append(stack.enter_context(CountingHost(name, delayed, fallback)))
        print(json.dumps({host.name: host.port for host in farm}), flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                requests = [r for host in farm for r in host.requests]
                stats = {
                    "requests": len(requests),
                    "probes": sum(PROBE_MARKER in r.path for r in requests),
                    "methods": dict(Counter(r.method for r in requests)),
                    "connections": sum(host.accepted for host in farm),
                    "errors": sum(len(host.errors) for host in farm),
                    "cpu": _cpu_seconds(resource.RUSAGE_SELF),
                }
                print(json.dumps(stats), flush=True)
    return 0


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 2)


class FarmProcess:
    """The farm, running in its own Python process (so its threads have their own GIL)."""

    def __init__(self, urls: int, hosts: int, latency_ms: float, mix: str = "basic") -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--serve"]
        command += ["--urls", str(urls), "--hosts", str(hosts), "--latency-ms", str(latency_ms)]
        command += ["--mix", mix]
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._stdin: TextIO = self._proc.stdin  # type: ignore[assignment]
        self._stdout: TextIO = self._proc.stdout  # type: ignore[assignment]
        line = self._stdout.readline()
        if not line:
            self.close()
            raise SystemExit("the farm process did not start")
        self.ports: dict[str, int] = json.loads(line)

    def remap_rules(self) -> list[str]:
        return [make_remap_rule(n, f"http://127.0.0.1:{p}") for n, p in self.ports.items()]

    def stats(self) -> dict[str, Any]:
        self._stdin.write("stats\n")
        self._stdin.flush()
        result: dict[str, Any] = json.loads(self._stdout.readline())
        return result

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


# -- the registry -----------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def order_plan(plan: Sequence[Entry], order: str) -> list[Entry]:
    """The registry order: ``grouped`` by host, ``interleaved`` round robin, or ``shuffled``."""
    if order == "grouped":
        return list(plan)
    if order == "shuffled":
        shuffled = list(plan)
        random.Random(2).shuffle(shuffled)
        return shuffled
    by_host: dict[str, list[Entry]] = {}
    for entry in plan:
        by_host.setdefault(entry.host, []).append(entry)
    columns = list(by_host.values())
    return [col[n] for n in range(max(map(len, columns))) for col in columns if n < len(col)]


def write_registry(plan: Sequence[Entry], path: Path) -> None:
    lines = ["# Generated by benchmarks/crawl.py: the crawl benchmark's farm.", ""]
    for entry in plan:
        lines += [
            "[[source]]",
            f"id = {_toml_string(entry.id)}",
            f"url = {_toml_string(entry.url)}",
        ]
        if entry.title is not None:
            lines.append(f"title = {_toml_string(entry.title)}")
        if entry.kind is not None:
            lines.append(f"kind = {_toml_string(entry.kind)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


# -- measuring the checker --------------------------------------------------------------------


@dataclass
class Run:
    """The figures of one benchmark run."""

    urls: int
    wall: float
    check: float
    """Seconds between the report's ``started_at`` and ``finished_at`` (no start-up, no write)."""
    cpu: float
    """User plus system seconds of factlinks and the children it reaped."""
    max_rss_mib: float
    """The largest single process of the tree (``wait4`` ``ru_maxrss``)."""
    tree_rss_mib: float
    """The largest sampled sum of RSS over the whole process tree."""
    processes: int
    exit_code: int
    counts: dict[str, int]
    farm: dict[str, Any]
    mismatches: list[str]
    verdicts: dict[str, tuple[str, str, str | None, str]] = dataclasses.field(default_factory=dict)
    """Per source id: status, HTTP status, ``new_url`` and reason, to compare runs."""

    @property
    def urls_per_second(self) -> float:
        return self.urls / self.wall


def factlinks_command() -> list[str]:
    script = Path(sys.executable).parent / "factlinks"
    if script.exists():
        return [str(script)]
    found = shutil.which("factlinks")
    return [found] if found else [sys.executable, "-m", "factlinks"]


def run_once(args: argparse.Namespace, plan: Sequence[Entry], workdir: Path) -> Run:
    registry = workdir / "sources.toml"
    out = workdir / "report"
    shutil.rmtree(out, ignore_errors=True)
    write_registry(order_plan(plan, args.order), registry)
    farm = FarmProcess(args.urls, args.hosts, args.latency_ms, args.mix)
    try:
        command = [*factlinks_command(), "check", str(registry), "--out", str(out)]
        command += ["--format", "json", "--concurrency", str(args.concurrency)]
        command += ["--per-host", str(args.per_host), "--timeout", "10"]
        command += ["--no-state", "--no-archive", "-q"]
        for rule in farm.remap_rules():
            command += ["--remap", rule]
        if args.show_command:
            print("command:", subprocess.list2cmdline(command), file=sys.stderr)
        with (workdir / "stderr.txt").open("w+", encoding="utf-8") as errors:
            started = time.perf_counter()
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
            sampler = TreeSampler(proc.pid)
            sampler.start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            sampler.stop()
            proc.returncode = os.waitstatus_to_exitcode(status)
            errors.seek(0)
            stderr = errors.read()
        farm_stats = farm.stats()
    finally:
        farm.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"factlinks exited with {proc.returncode}:\n{stderr}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    started_at = dt.datetime.fromisoformat(report["started_at"])
    finished_at = dt.datetime.fromisoformat(report["finished_at"])
    counts = {k: v for k, v in report["summary"]["by_status"].items() if v}
    return Run(
        urls=len(plan),
        wall=wall,
        check=(finished_at - started_at).total_seconds(),
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mib=usage.ru_maxrss / 1024,
        tree_rss_mib=sampler.peak_bytes / 2**20,
        processes=sampler.peak_processes,
        exit_code=proc.returncode,
        counts=counts,
        farm=farm_stats,
        mismatches=compare(plan, report),
        verdicts={
            r["id"]: (r["status"], str(r.get("http_status")), r.get("new_url"), r["reason"])
            for r in report["sources"]
        },
    )


def run_differences(runs: Sequence[Run]) -> list[str]:
    """Every source whose verdict differs between the first run and a later one."""
    first = runs[0].verdicts
    differences = []
    for number, run in enumerate(runs[1:], start=2):
        for source_id in sorted(first.keys() | run.verdicts.keys()):
            a, b = first.get(source_id), run.verdicts.get(source_id)
            if a != b:
                differences.append(f"{source_id}: run 1 {a} != run {number} {b}")
    return differences


def compare(plan: Sequence[Entry], report: Mapping[str, Any]) -> list[str]:
    """Every way the report differs from what the farm was built to produce."""
    problems: list[str] = []
    expected = Counter(entry.expected for entry in plan)
    got = {k: v for k, v in report["summary"]["by_status"].items() if v}
    if got != dict(expected):
        problems.append(f"status counts {got} != expected {dict(expected)}")
    results = {r["id"]: r for r in report["sources"]}
    for entry in plan:
        result = results.get(entry.id)
        if result is None:
            problems.append(f"{entry.id}: missing from the report")
        elif result["status"] != entry.expected:
            problems.append(
                f"{entry.id} ({entry.role}): {result['status']} != {entry.expected}: "
                f"{result['reason']}"
            )
        elif entry.new_url is not None and result["new_url"] != entry.new_url:
            problems.append(f"{entry.id}: new_url {result['new_url']} != {entry.new_url}")
    return problems


# -- output -----------------------------------------------------------------------------------


def bounds(args: argparse.Namespace, plan: Sequence[Entry]) -> dict[str, float]:
    """Lower bounds on the check time from latency alone (no CPU time at all)."""
    latency = args.latency_ms / 1000
    slots = min(args.concurrency, args.hosts * args.per_host)
    requests = expected_requests(plan)
    retries = sum(1 for e in plan if e.role == "503-once")
    return {
        "naive": len(plan) * latency / (args.hosts * args.per_host),
        "requests": requests * latency / slots,
        "workers": (requests * latency + retries * RETRY_INITIAL_WAIT) / slots,
    }


def report_run(number: int, run: Run, expected: int) -> None:
    farm = run.farm
    print(f"run {number}:")
    print(f"  URLs                {run.urls}")
    print(f"  wall seconds        {run.wall:.2f}  (check itself: {run.check:.2f} s)")
    per_second = f"{run.urls_per_second:.0f}  (check itself: {run.urls / run.check:.0f})"
    print(f"  URLs per second     {per_second}")
    print(f"  CPU seconds         {run.cpu:.2f}  (factlinks and reaped children, user + sys)")
    print(f"  peak RSS            {run.max_rss_mib:.1f} MiB  (largest process, wait4)")
    print(f"  peak tree RSS       {run.tree_rss_mib:.1f} MiB  ({run.processes} processes, sampled)")
    print(f"  statuses            {', '.join(f'{k} {v}' for k, v in sorted(run.counts.items()))}")
    print(
        f"  farm requests       {farm['requests']}  (expected {expected}; "
        f"{farm['probes']} soft-404 probes; {farm['methods']})"
    )
    print(f"  farm connections    {farm['connections']}  (TCP connections accepted)")
    print(f"  farm CPU seconds    {farm['cpu']:.2f}  (the farm process, for comparison)")
    print(f"  exit code           {run.exit_code}")
    if farm["requests"] != expected:
        print(f"  NOTE: the farm served {farm['requests']} requests, {expected} were expected")
    for problem in run.mismatches[:20]:
        print(f"  MISMATCH: {problem}")
    if len(run.mismatches) > 20:
        print(f"  ... and {len(run.mismatches) - 20} more mismatches")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=2000, help="URLs in all (%(default)s)")
    parser.add_argument("--hosts", type=int, default=20, help="hosts (%(default)s)")
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="delay of every reply (%(default)s)"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="(%(default)s)")
    parser.add_argument("--per-host", type=int, default=10, help="(%(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh farm")
    parser.add_argument(
        "--order",
        choices=("shuffled", "interleaved", "grouped"),
        default="shuffled",
        help="order of the sources in the registry (%(default)s)",
    )
    parser.add_argument(
        "--mix", choices=MIXES, default="basic", help="the classes of URLs (%(default)s)"
    )
    parser.add_argument("--show-command", action="store_true", help="print the factlinks command")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.urls, args.hosts, args.latency_ms / 1000, args.mix)

    plan = build_plan(args.urls, args.hosts, args.mix)
    expected = expected_requests(plan)
    limits = bounds(args, plan)
    print(
        f"factlinks check: {len(plan)} URLs on {args.hosts} hosts, {args.latency_ms:g} ms "
        f"latency, --concurrency {args.concurrency} --per-host {args.per_host}, "
        f"{args.order} registry, {os.cpu_count()} cores"
    )
    print(
        f"bounds from latency alone: {limits['naive']:.2f} s (URLs only, per-host slots), "
        f"{limits['requests']:.2f} s ({expected} requests, usable slots), "
        f"{limits['workers']:.2f} s (plus the 503 retry waits)"
    )
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="factlinks-bench-") as tmp:
        for number in range(1, args.repeat + 1):
            run = run_once(args, plan, Path(tmp))
            report_run(number, run, expected)
            runs.append(run)
    if len(runs) > 1:
        walls = [r.wall for r in runs]
        print(
            f"summary: wall median {statistics.median(walls):.2f} s, best {min(walls):.2f} s; "
            f"URLs/s median {statistics.median(r.urls_per_second for r in runs):.0f}; "
            f"peak tree RSS max {max(r.tree_rss_mib for r in runs):.1f} MiB"
        )
        differences = run_differences(runs)
        print(f"verdicts that differ between runs: {len(differences)}")
        for line in differences[:20]:
            print(f"  DIFFERENT: {line}")
        if differences:
            print("FAILED: identical runs gave different verdicts", file=sys.stderr)
            return 1
    if any(r.mismatches for r in runs):
        print("FAILED: the report does not match the farm", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
