"""``report.sarif`` at size: bytes, gzip bytes, results kept, write time, peak RSS (issue 14).

For the synthetic reports of ``report_scale.py`` (mixed statuses, a fixed seed; 2,000, 20,000
and 100,000 sources, and 2,000 dead ones with long multibyte titles and URLs), a fresh
subprocess writes ``report.sarif`` with :func:`factlinks.write_report`, from the report in
memory or (``--spool``) from a :class:`~factlinks._spool.ResultSpool` of its results, read
back one at a time as in a run of more than 5,000 sources. It prints the file's size, its
size gzip-compressed (what GitHub's 10 MB limit is about), how many results it lists and
leaves out, the seconds of the write and how much writing added to the peak RSS.

Usage::

    .venv/bin/python benchmarks/sarif_scale.py [--sizes 2000,20000,100000] [--spool]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report_scale import build  # noqa: E402  (the benchmark next to this one)


def child(size: int, mix: str, spool: bool, out: Path) -> None:
    """Build the report, write report.sarif, print the figures as JSON."""
    import dataclasses
    import gc

    import factlinks
    from factlinks._spool import ResultSpool

    report = build(size, mix)
    if spool:
        store = ResultSpool(len(report.results))
        for index, result in enumerate(report.results):
            store.put(index, result)
        report = dataclasses.replace(report, results=store)
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    factlinks.write_report(report, out, formats=["sarif"])
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    data = (out / "report.sarif").read_bytes()
    run = json.loads(data)["runs"][0]
    print(
        json.dumps(
            {
                "bytes": len(data),
                "gzip_bytes": len(gzip.compress(data)),
                "listed": run["properties"]["listed"],
                "left_out": run["properties"]["left_out"],
                "seconds": seconds,
                "added_mib": (peak - before) / 2**20,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--spool", action="store_true", help="write from a result spool")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, mix, spool, out = args.child
        child(int(size), mix, spool == "1", Path(out))
        return
    cases = [(2000, "dead")] + [(int(s), "mixed") for s in args.sizes.split(",")]
    columns = "sources | from | report.sarif | gzip | results listed / left out | write | added RSS"
    print(f"| {columns} |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for size, mix in cases:
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, __file__, "--child", str(size), mix]
            command += ["1" if args.spool else "0", folder]
            done = subprocess.run(
                command, capture_output=True, text=True, check=False, env=dict(os.environ)
            )
            if done.returncode != 0:
                raise SystemExit(f"child failed ({size} {mix}):\n{done.stderr}")
            f: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        label = f"{size} {'dead, long' if mix == 'dead' else 'mixed'}"
        print(
            f"| {label} | {'spool' if args.spool else 'memory'} | {f['bytes'] / 1e6:.2f} MB "
            f"| {f['gzip_bytes'] / 1e6:.2f} MB | {f['listed']:,} / {f['left_out']:,} "
            f"| {f['seconds']:.2f} s | +{f['added_mib']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
