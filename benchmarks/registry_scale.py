"""Registries at size: load time, one pass over every source, and peak RSS (issue 13).

Writes JSON Lines and CSV registries of 10,000, 100,000 and 1,000,000 synthetic sources (and a
``sources.toml`` of 10,000 and 100,000 as the reference: that format holds every source as an
object) into a temporary folder. Each is loaded by a fresh subprocess with
:func:`factlinks.load_sources`, which then iterates every source once. The child reports the
seconds each step took, its RSS after ``import factlinks`` and its peak RSS (``ru_maxrss``),
and, for a line-oriented registry, the bytes its offsets, lines and id digests take.

Usage::

    .venv/bin/python benchmarks/registry_scale.py [--sizes 10000,100000,1000000]
        [--toml-sizes 10000,100000] [--keep DIR]

Only the standard library and the package.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
def rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
import factlinks
from factlinks._registry.lines import LineSources
imported = rss_mib()
t0 = time.perf_counter()
registry = factlinks.load_sources(sys.argv[1])
t1 = time.perf_counter()
loaded = rss_mib()
count = sum(1 for _ in registry)
t2 = time.perf_counter()
last = registry.get(registry[-1].id) if len(registry) else None
sources = registry.sources
print(json.dumps({
    "sources": len(registry),
    "iterated": count,
    "found_last": last is not None,
    "load_s": t1 - t0,
    "iterate_s": t2 - t1,
    "import_rss_mib": imported,
    "loaded_rss_mib": loaded,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "kept_mib": sources.nbytes() / 1024**2 if isinstance(sources, LineSources) else None,
}))
"""


def source(number: int) -> dict[str, Any]:
    """A synthetic source: 2,000 hosts, a title, a document citing it, an access date."""
    return {
        "id": f"src-{number:07d}",
        "url": f"https://host-{number % 2000:04d}.example.org/reports/{number}/document.pdf",
        "title": f"Annual report number {number} on the state of things",
        "cited_in": [f"chapter-{number % 12}"],
        "accessed": "2021-02-15",
    }


def write_jsonl(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            out.write(json.dumps(source(number), ensure_ascii=False) + "\n")


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,url,title,cited_in,accessed\r\n")
        for number in range(count):
            s = source(number)
            out.write(f"{s['id']},{s['url']},{s['title']},{s['cited_in'][0]},{s['accessed']}\r\n")


def write_toml(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            s = source(number)
            out.write(
                f'[[source]]\nid = "{s["id"]}"\nurl = "{s["url"]}"\ntitle = "{s["title"]}"\n'
                f'cited_in = ["{s["cited_in"][0]}"]\naccessed = {s["accessed"]}\n\n'
            )


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "toml": write_toml}


def measure(path: Path) -> dict[str, Any]:
    """Load and iterate ``path`` in a fresh interpreter; what the child reported."""
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode:
        raise SystemExit(f"{path}: the child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--toml-sizes", default="10000,100000")
    parser.add_argument("--keep", help="write the registries here and keep them")
    args = parser.parse_args(argv)
    plan = [("toml", int(n)) for n in args.toml_sizes.split(",") if n]
    plan += [(form, int(n)) for n in args.sizes.split(",") if n for form in ("jsonl", "csv")]
    with tempfile.TemporaryDirectory(prefix="factlinks-registry-") as temp:
        folder = Path(args.keep or temp)
        folder.mkdir(parents=True, exist_ok=True)
        print(
            "| format | sources | file MiB | load s | iterate s | RSS after import MiB "
            "| peak RSS MiB | peak - import MiB | kept MiB |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for form, count in plan:
            path = folder / f"sources-{count}.{form}"
            WRITERS[form](path, count)
            got = measure(path)
            if not got["sources"] == got["iterated"] == count or not got["found_last"]:
                raise SystemExit(f"{path}: read {got}, not {count} sources")
            kept = f"{got['kept_mib']:.1f}" if got["kept_mib"] is not None else "—"
            print(
                f"| {form} | {count:,} | {path.stat().st_size / 1024**2:.1f} "
                f"| {got['load_s']:.2f} | {got['iterate_s']:.2f} "
                f"| {got['import_rss_mib']:.1f} | {got['peak_rss_mib']:.1f} "
                f"| {got['peak_rss_mib'] - got['import_rss_mib']:.1f} | {kept} |",
                flush=True,
            )
            if not args.keep:
                path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
