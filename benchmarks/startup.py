"""Start-up of the processes factlinks runs: what a parse worker imports and what the main
process of ``check`` imports, beside the whole package with every parser (what both imported
before ``import factlinks`` and the readers became lazy) and a bare interpreter, in the same
run.

Each figure is the median wall time of ``--repeat`` fresh interpreters (``python -c``),
with the median of their peak RSS (each child's own ``ru_maxrss``). factlinks' modules are
byte-compiled first, as pip installs them (``benchmarks/installed.py``).

    python benchmarks/startup.py --repeat 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import installed  # benchmarks/installed.py: run as a script, its folder is on sys.path

CASES = {
    "bare interpreter": "pass",
    "parse worker (factlinks._inspect.worker and .analysis)": (
        "import factlinks._inspect.worker, factlinks._inspect.analysis"
    ),
    "import factlinks, then one name": "import factlinks; factlinks.Status",
    "the main process of check (factlinks._cli)": "import factlinks._cli",
    "the whole package with every parser (what factlinks._cli imported before)": (
        "import factlinks._cli, factlinks._inspect.analysis, factlinks._extract.html, "
        "factlinks._extract.markdown, factlinks._extract.pdf, bibtexparser, "
        "pylatexenc.latex2text"
    ),
}


def _measure(code: str, repeat: int) -> tuple[float, float]:
    times = []
    peaks = []
    for _ in range(repeat):
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code])
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
        times.append(time.perf_counter() - started)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"{code!r} exited with {child.returncode}")
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(times), statistics.median(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=15, help="interpreters per case")
    args = parser.parse_args()
    print(f"byte-compiled {installed.byte_compile()} (as pip installs it)")
    print(f"| process | median start-up (of {args.repeat}) | peak RSS |")
    print("|---|---:|---:|")
    for name, code in CASES.items():
        seconds, mib = _measure(code, args.repeat)
        print(f"| {name} | {seconds:.3f} s | {mib:.0f} MiB |")


if __name__ == "__main__":
    main()
