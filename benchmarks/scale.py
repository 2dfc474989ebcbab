"""URLs per second and peak memory at 2,000 to 100,000 URLs: factlinks beside raw httpx.

One farm (``benchmarks/scale_farm.py``, a process of its own: ``--hosts`` hosts on 127.0.0.1
ports, ``--latency-ms`` per answer, a mix of redirects, 404/410, 5xx, 429 with Retry-After,
slow pages, loops, soft 404s and drifted titles) serves every measurement of one run. For
each size of ``--sizes``, ``--repeat`` times, side by side:

- **factlinks**: ``factlinks check sources.toml --no-state --no-archive --format json``
  (``sources.jsonl`` with ``--registry jsonl``, the line-oriented format for large registries)
  with ``--concurrency`` and ``--per-host``, as a subprocess; every verdict of its
  ``report.json`` is compared with the farm's truth;
- **raw httpx**: one ``GET`` per URL following redirects, no retries, ``--concurrency``
  workers on one ``httpx.AsyncClient``, as a subprocess (``scale.py raw``); its answers are
  read as verdicts the same way (it cannot tell a soft 404 or a drifted title).

factlinks' modules are byte-compiled first, as pip installs them (``benchmarks/installed.py``).
URL/s is URLs over the wall time of the whole process (start-up and reports included); peak
RSS is that of the whole process tree (sampled from /proc, :mod:`tests.rss`). The *steady*
URL/s is the pace of the run's middle as the farm saw it: 80 % of the URLs over the time
between the 10th and the 90th percentile of their first requests. It leaves out what does
not grow with the list (start-up, the first documents' wait for a parse worker, the last
sources' retries: about 3 s in all), so it tells whether the cost per URL grows with size.
Each run's line also says how long the process ran before the farm saw its first request and
after its last one (start-up; reports and shutdown), and ``--deciles`` when every tenth of
the URLs was first asked for.
The *ideal* URL/s is that of a checker with no CPU cost that does what factlinks must on this
farm (follow every hop, honour ``Retry-After``, back off before retrying a 5xx, probe for soft
404s) with the same slots, sources taken in list order and no slot held while waiting: an event
simulation of the farm's answers (:func:`ideal_seconds`), a bound no checker passes. Its own
URL/s grows with the list too, as the last sources' waits weigh less, so it tells how much of
the difference between sizes the farm makes and how much is the checker's. The medians of the
repeats are printed, with the farm's connection and request counts of factlinks' runs; each
run's line also says how much CPU the farm used (it shares the machine).

    python benchmarks/scale.py --sizes 2000,10000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import heapq
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

import installed  # noqa: E402
import scale_farm  # noqa: E402

from rss import TreeSampler  # noqa: E402


@dataclass(frozen=True)
class Measurement:
    """One checker's run over one list of URLs."""

    checker: str
    urls: int
    wall: float
    cpu: float
    rss_mib: float
    mismatches: int
    connections: int
    requests: int
    farm_cpu: float
    """CPU seconds the farm used while serving this run."""
    steady: float
    """URL/s in the middle of the run: the 10th to the 90th percentile of the cited URLs'
    first requests, as the farm saw them (no start-up, no tail of retries)."""
    lead: float
    """Seconds from the start of the process to the farm's first request of the run."""
    tail: float
    """Seconds from the farm's last request of the run to the end of the process."""
    tenths: tuple[float, ...]
    """Seconds from the first cited URL's first request to that of every tenth of them."""

    @property
    def rate(self) -> float:
        return self.urls / self.wall


@contextmanager
def farm(hosts: int, latency_ms: float, workdir: Path) -> Iterator[list[int]]:
    """Start the farm process; yield its ports; stop it."""
    ports_file = workdir / "ports.json"
    command = [sys.executable, str(HERE / "scale_farm.py"), "--hosts", str(hosts)]
    command += ["--latency-ms", str(latency_ms), "--ports", str(ports_file)]
    process = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 60
        while not ports_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the farm did not start")
            time.sleep(0.05)
        yield json.loads(ports_file.read_text(encoding="utf-8"))
    finally:
        process.terminate()
        process.wait(timeout=30)


def farm_counts(port: int) -> tuple[int, int, float]:
    """The farm's connections, requests and CPU seconds so far (asked on a connection of
    its own)."""
    counts = _farm_stats(port, "")
    return counts["connections"], counts["requests"], counts["cpu"]


def pace(
    port: int, entries: list[tuple[str, str, str]], started: float, ended: float
) -> tuple[float, float, float, tuple[float, ...]]:
    """The farm's view of one measurement's run (``entries``) of a process that ran from
    ``started`` to ``ended`` (:func:`time.monotonic`, which the farm's clock shares): URL/s
    between the 10th and the 90th percentile of the cited URLs' first requests, the seconds
    before the first request and after the last, and when every tenth of the URLs was first
    asked for."""
    run = urllib.parse.urlsplit(entries[0][1]).path.split("/")[1]
    stats = _farm_stats(port, f"?run={run}")
    asked, span = stats.get("first_asked"), stats.get("span")
    if not asked or not span or asked["deciles"][9] <= asked["deciles"][1]:
        return float("nan"), float("nan"), float("nan"), ()
    tenths = tuple(asked["deciles"])
    steady = 0.8 * (asked["urls"] - 1) / (tenths[9] - tenths[1])
    return steady, span["first"] - started, ended - span["last"], tenths


def _farm_stats(port: int, query: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/__stats{query}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        counts: dict[str, Any] = json.loads(answer.read())
    return counts


def plan(ports: list[int], run: str, size: int) -> list[tuple[str, str, str]]:
    """``(id, url, truth)`` of ``size`` URLs for measurement ``run``."""
    return [
        (
            f"s{number:06d}",
            scale_farm.url(ports[scale_farm.host_of(number, len(ports))], run, number),
            scale_farm.TRUTH[scale_farm.kind_of(number)],
        )
        for number in range(size)
    ]


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a TOML basic string


def write_registry(path: Path, entries: list[tuple[str, str, str]]) -> None:
    """A ``sources.toml``, or for a ``.jsonl`` path one JSON object per line."""
    lines = path.suffix == ".jsonl"
    with path.open("w", encoding="utf-8") as out:
        for source_id, url, _truth in entries:
            title = scale_farm.title(int(source_id[1:]))
            if lines:
                out.write(json.dumps({"id": source_id, "url": url, "title": title}) + "\n")
                continue
            out.write(f'[[source]]\nid = "{source_id}"\nurl = {toml_string(url)}\n')
            out.write(f"title = {toml_string(title)}\n\n")


@dataclass(frozen=True)
class Sample:
    """What one process cost: from when to when (:func:`time.monotonic`), its CPU seconds
    (its own and its children's), its peak tree RSS (MiB) and its exit code."""

    started: float
    ended: float
    cpu: float
    rss_mib: float
    code: int

    @property
    def wall(self) -> float:
        return self.ended - self.started


def sampled(command: list[str], stderr: Path) -> Sample:
    """Run ``command`` and measure it."""
    with stderr.open("w", encoding="utf-8") as errors:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = TreeSampler(process.pid, interval=0.05)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.monotonic()
        sampler.stop()
    cpu = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    return Sample(started, ended, cpu, sampler.peak_bytes / 2**20, code)


def factlinks_command() -> list[str]:
    script = Path(sys.executable).parent / "factlinks"
    return [str(script)] if script.exists() else [sys.executable, "-m", "factlinks"]


def run_factlinks(
    args: argparse.Namespace, entries: list[tuple[str, str, str]], workdir: Path, port: int
) -> Measurement:
    registry = workdir / f"sources.{args.registry}"
    out = workdir / "report"
    shutil.rmtree(out, ignore_errors=True)
    write_registry(registry, entries)
    command = [*factlinks_command(), "check", str(registry), "--out", str(out)]
    command += ["--format", "json", "--no-state", "--no-archive", "-q"]
    command += ["--concurrency", str(args.concurrency), "--per-host", str(args.per_host)]
    before = farm_counts(port)
    sample = sampled(command, workdir / "factlinks.err")
    after = farm_counts(port)
    if sample.code not in (0, 1):
        errors = (workdir / "factlinks.err").read_text(encoding="utf-8")
        raise SystemExit(f"factlinks exited with {sample.code}:\n{errors[-3000:]}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    verdicts = {source["id"]: source["status"] for source in report["sources"]}
    wrong = [(i, u, t, verdicts.get(i)) for i, u, t in entries if verdicts.get(i) != t]
    if wrong and args.show_mismatches:
        for item in wrong[: args.show_mismatches]:
            print("  factlinks mismatch:", *item, file=sys.stderr)
    return measured("factlinks", entries, sample, len(wrong), (before, after), port)


def run_httpx(
    args: argparse.Namespace, entries: list[tuple[str, str, str]], workdir: Path, port: int
) -> Measurement:
    urls, results = workdir / "urls.txt", workdir / "raw.jsonl"
    urls.write_text("".join(url + "\n" for _i, url, _t in entries), encoding="utf-8")
    command = [sys.executable, str(Path(__file__).resolve()), "raw", str(urls), str(results)]
    command += ["--concurrency", str(args.concurrency)]
    before = farm_counts(port)
    sample = sampled(command, workdir / "raw.err")
    after = farm_counts(port)
    if sample.code != 0:
        raise SystemExit(f"raw httpx exited with {sample.code}")
    answers = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    wrong = sum(
        answer["verdict"] != truth for answer, (_i, _u, truth) in zip(answers, entries, strict=True)
    )
    return measured("raw httpx", entries, sample, wrong, (before, after), port)


def measured(
    checker: str,
    entries: list[tuple[str, str, str]],
    sample: Sample,
    mismatches: int,
    counts: tuple[tuple[int, int, float], tuple[int, int, float]],
    port: int,
) -> Measurement:
    """One run's figures: the process's, and the farm's counts before and after it."""
    (connections, requests, farm_cpu), after = counts
    steady, lead, tail, tenths = pace(port, entries, sample.started, sample.ended)
    return Measurement(
        checker,
        len(entries),
        sample.wall,
        sample.cpu,
        sample.rss_mib,
        mismatches,
        after[0] - connections - 1,  # the stats request's own connection
        after[1] - requests,
        after[2] - farm_cpu,
        steady,
        lead,
        tail,
        tenths,
    )


# -- the raw client (a subprocess of its own) ---------------------------------------------------


def raw_verdict(status: int | None, permanent: bool) -> str:
    """What a raw client's answer says: all it can tell is the status and the hops."""
    if status is None or status >= 500 or status == 429:
        return "unreachable"
    if status in (404, 410):
        return "dead"
    if 200 <= status < 300:
        return "moved" if permanent else "ok"
    return "unreachable"


async def raw_check(urls: list[str], concurrency: int) -> list[dict[str, object]]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[dict[str, object]] = [{} for _ in urls]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(urls)):
        queue.put_nowait(index)
    async with httpx.AsyncClient(limits=limits, follow_redirects=True, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                try:
                    answer = await client.get(urls[index])
                except httpx.HTTPError:
                    results[index] = {"status": None, "verdict": raw_verdict(None, False)}
                    continue
                permanent = any(hop.status_code in (301, 308) for hop in answer.history)
                verdict = raw_verdict(answer.status_code, permanent)
                results[index] = {"status": answer.status_code, "verdict": verdict}

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def raw_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scale.py raw")
    parser.add_argument("urls", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    urls = args.urls.read_text(encoding="utf-8").split()
    results = asyncio.run(raw_check(urls, args.concurrency))
    args.out.write_text("".join(json.dumps(r) + "\n" for r in results), encoding="utf-8")
    return 0


# -- the ideal checker --------------------------------------------------------------------------


def scripts(entries: list[tuple[str, str, str]], latency: float) -> list[list[float]]:
    """What each URL of ``entries`` asks of a checker that does what factlinks must: seconds
    holding a slot (requests, one after another) alternating with seconds of waiting that
    hold none (``Retry-After``, back-off before a 5xx retry, without jitter).

    One request per answer takes ``latency`` (a slow page its 1.5 s); a redirect is followed
    hop by hop; a page whose title is not the cited one (a soft 404, a drifted title) is
    checked against a random sibling, once per host and run as factlinks' probe cache does.
    """
    from factlinks import RetryPolicy

    policy = RetryPolicy()
    failing = [latency]
    for retry in range(policy.attempts - 1):
        failing += [min(policy.max_wait, policy.initial_wait * 2.0**retry), latency]
    hops = {"temp": 2, "moved301": 2, "moved308": 2, "to404": 2, "soft": 2, "loop": 2, "chain": 3}
    probed: set[str] = set()
    out = []
    for source_id, url, _truth in entries:
        kind = scale_farm.kind_of(int(source_id[1:]))
        if kind in ("e500", "e503"):
            out.append(failing)
        elif kind == "retry":
            out.append([latency, float(scale_farm.RETRY_AFTER_S), latency])
        elif kind == "slow":
            out.append([scale_farm.SLOW_S])
        else:
            held = hops.get(kind, 1) * latency
            host = urllib.parse.urlsplit(url).netloc
            if kind in ("soft", "drift") and host not in probed:
                probed.add(host)
                held += latency
            out.append([held])
    return out


def ideal_seconds(plans: list[list[float]], concurrency: int) -> float:
    """The wall time of an ideal checker: no CPU time, ``concurrency`` slots, sources taken
    in list order, and a source whose wait is over goes before a new one. A slot is held
    for a run of requests and given up for a wait. (The per-host limit is left out, so this
    is a bound: no checker under these rules is faster.)"""
    events: list[tuple[float, int, int, int]] = []  # (when, order, source, next step)
    order = itertools.count()
    resumed: collections.deque[tuple[int, int]] = collections.deque()
    free, fresh, now = concurrency, 0, 0.0
    while True:
        while free and (resumed or fresh < len(plans)):
            if resumed:
                source, step = resumed.popleft()
            else:
                source, step, fresh = fresh, 0, fresh + 1
            free -= 1
            heapq.heappush(events, (now + plans[source][step], next(order), source, step + 1))
        if not events:
            return now
        now, _, source, step = heapq.heappop(events)
        if step % 2:  # a run of requests is over: the slot is free
            free += 1
            if step < len(plans[source]):
                heapq.heappush(events, (now + plans[source][step], next(order), source, step + 1))
        else:  # a wait is over: the source wants a slot again
            resumed.append((source, step))


# -- the benchmark ------------------------------------------------------------------------------


def median(runs: list[Measurement], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def print_table(
    results: dict[tuple[int, str], list[Measurement]], sizes: list[int], ideal: dict[int, float]
) -> None:
    print()
    print(
        "| URLs | factlinks URL/s | raw httpx URL/s | ratio | ideal URL/s | factlinks / ideal |",
        end="",
    )
    print(" factlinks peak tree RSS | raw httpx peak tree RSS | factlinks mismatches |", end="")
    print(" raw httpx mismatches | factlinks connections / requests |", end="")
    print(" steady URL/s factlinks / raw httpx |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        ours, raw = results[(size, "factlinks")], results[(size, "raw httpx")]
        rate, bound = median(ours, "rate"), size / ideal[size]
        print(
            f"| {size:,} | {rate:.0f} | {median(raw, 'rate'):.0f} | "
            f"{rate / median(raw, 'rate'):.2f} | {bound:.0f} | {rate / bound:.2f} | "
            f"{median(ours, 'rss_mib'):.0f} MiB | {median(raw, 'rss_mib'):.0f} MiB"
            f" | {max(r.mismatches for r in ours)} | {median(raw, 'mismatches'):.0f} | "
            f"{median(ours, 'connections'):.0f} / {median(ours, 'requests'):.0f} | "
            f"{median(ours, 'steady'):.0f} / {median(raw, 'steady'):.0f} |"
        )
    print_growth(results, sizes, ideal)


def print_growth(
    results: dict[tuple[int, str], list[Measurement]], sizes: list[int], ideal: dict[int, float]
) -> None:
    """Each size's URL/s against the smallest size's, for the whole run and its middle, and
    the ideal checker's."""
    first = sizes[0]
    for checker in ("factlinks", "raw httpx"):
        base = results[(first, checker)]
        for size in sizes[1:]:
            runs = results[(size, checker)]
            whole = median(runs, "rate") / median(base, "rate")
            steady = median(runs, "steady") / median(base, "steady")
            print(
                f"{checker} at {size:,} against {first:,}: {whole:.2f} of its URL/s over the "
                f"whole run, {steady:.2f} in the steady middle"
            )
    for size in sizes[1:]:
        growth = (size / ideal[size]) / (first / ideal[first])
        print(f"the ideal checker at {size:,} against {first:,}: {growth:.2f} of its URL/s")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["raw"]:
        return raw_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,10000,50000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=10)
    parser.add_argument("--checkers", default="factlinks,httpx")
    parser.add_argument(
        "--registry", choices=("toml", "jsonl"), default="toml", help="factlinks' registry format"
    )
    parser.add_argument("--show-mismatches", type=int, default=5, metavar="N")
    parser.add_argument(
        "--deciles",
        action="store_true",
        help="print when every tenth of each run's URLs was first asked for",
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    checkers = {"factlinks": run_factlinks, "httpx": run_httpx}
    names = args.checkers.split(",")
    chosen = [checkers[name] for name in names]
    if "factlinks" in names:
        print(f"byte-compiled {installed.byte_compile()} (as pip installs it)")
    results: dict[tuple[int, str], list[Measurement]] = {}
    ideal: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="factlinks-scale-") as tmp:
        workdir = Path(tmp)
        with farm(args.hosts, args.latency_ms, workdir) as ports:
            run = 0
            for size in sizes:
                for _ in range(args.repeat):
                    for check in chosen:
                        run += 1
                        entries = plan(ports, f"r{run}", size)
                        if size not in ideal:
                            plans = scripts(entries, args.latency_ms / 1000)
                            ideal[size] = ideal_seconds(plans, args.concurrency)
                        done = check(args, entries, workdir, ports[0])
                        results.setdefault((size, done.checker), []).append(done)
                        print(
                            f"{done.checker:>9} {size:>7,} URLs: {done.wall:7.1f} s "
                            f"{done.rate:6.0f} URL/s, CPU {done.cpu:6.1f} s, "
                            f"peak tree RSS {done.rss_mib:5.0f} MiB, "
                            f"{done.mismatches} mismatches, {done.connections} connections "
                            f"for {done.requests} requests, farm CPU {done.farm_cpu:.1f} s, "
                            f"steady {done.steady:.0f} URL/s, first request after "
                            f"{done.lead:.2f} s, exit {done.tail:.2f} s after the last",
                            flush=True,
                        )
                        if args.deciles:
                            at = ", ".join(f"{seconds:.2f}" for seconds in done.tenths)
                            print(f"  every tenth of the URLs first asked at: {at} s")
    if len(chosen) == 2:
        print_table(results, sizes, ideal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
