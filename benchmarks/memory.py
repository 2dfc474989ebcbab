"""Peak memory of ``factlinks check`` per hostile input (issue 9, point 2).

For each input of ``tests/memory_farm.py`` (compression bombs of every layering, 5 MB pages,
tiny tags, undecodable encodings), one ``factlinks check`` runs as a subprocess over a
loopback farm serving that input alone; then one run over all of them at once. The RSS of
the whole process tree (main process and parse workers) is sampled from /proc every 10 ms
(``tests/rss.py``) and printed beside the same figure for a plain 100 KB page, measured in
the same invocation.

Usage::

    .venv/bin/python benchmarks/memory.py [--max-bytes N] [--timeout S]

Only the standard library plus ``tests/farm.py``; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from farm import Farm  # noqa: E402
from memory_farm import CASES, Case, serve, write_registry  # noqa: E402
from rss import TreeSampler  # noqa: E402


def run(
    cases: tuple[Case, ...], args: argparse.Namespace, workdir: Path
) -> tuple[float, float, int, list[str]]:
    """One check over ``cases``: peak tree RSS (MiB), wall seconds, processes, statuses."""
    registry = workdir / "sources.toml"
    out = workdir / "out"
    write_registry(registry, cases)
    with Farm() as farm:
        rule = serve(farm, cases)
        command = [sys.executable, "-m", "factlinks", "check", str(registry), "--out", str(out)]
        command += ["--format", "json", "--max-bytes", str(args.max_bytes)]
        command += ["--timeout", str(args.timeout), "--no-state", "--no-archive", "-q"]
        command += ["--remap", rule]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, stderr = process.communicate()
        sampler.stop()
        wall = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"factlinks exited with {process.returncode}:\n{stderr.decode()}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    statuses = [item["status"] for item in report["sources"]]
    return sampler.peak_bytes / 2**20, wall, sampler.peak_processes, statuses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-bytes", type=int, default=5_000_000)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args(argv)
    rows: list[tuple[str, float, float, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="factlinks-memory-") as tmp:
        for number, case in enumerate(CASES):
            workdir = Path(tmp) / str(number)
            workdir.mkdir()
            peak, wall, processes, statuses = run((case,), args, workdir)
            rows.append((case.name, peak, wall, processes, statuses[0]))
            print(f"  measured {case.name}", file=sys.stderr)
        workdir = Path(tmp) / "all"
        workdir.mkdir()
        peak, wall, processes, statuses = run(CASES, args, workdir)
        summary = ", ".join(f"{s} {statuses.count(s)}" for s in sorted(set(statuses)))
        rows.append((f"all {len(CASES)} at once", peak, wall, processes, summary))
    reference = rows[0][1]
    print(f"max_bytes {args.max_bytes:,}; peak tree RSS sampled every 10 ms")
    print("| input | peak tree RSS MiB | vs 100 KB page | processes | wall s | status |")
    print("|---|---:|---:|---:|---:|---|")
    for name, peak, wall, processes, status in rows:
        ratio = f"{peak / reference:.2f}x"
        print(f"| {name} | {peak:.0f} | {ratio} | {processes} | {wall:.1f} | {status} |")
    expected_ok = all(s == c.expected for s, c in zip(statuses, CASES, strict=True))
    over = max(row[1] for row in rows) >= 1024
    if over or not expected_ok:
        print("FAIL: a peak of 1 GiB or more, or an unexpected status", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
