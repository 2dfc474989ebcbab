"""The hostile farm of ``tests/hostile_farm.py`` in one ``factlinks check`` (issue 9).

Runs the test suite's own hostile run (``tests/test_hostile.py``: every case, ``--state``,
all four formats, ``--timeout 5 --max-bytes 5000000``) ``--repeat`` times on fresh farms and
prints, per run, the wall time against the bound derived from the documented limits, the
peak RSS of the whole process tree against the 1 GiB budget, the statuses, and every
invariant that was broken. Exits 1 if any run broke one.

Usage::

    .venv/bin/python benchmarks/hostile.py --repeat 3

Nothing is sent anywhere but 127.0.0.1 (``tests/hostile_run.py`` refuses any other connect).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from hostile_farm import cases, forbidden, running  # noqa: E402
from test_hostile import MEMORY_LIMIT, check_farm, html_violations, violations  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh farm")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium checks")
    args = parser.parse_args(argv)
    selected = cases()
    walls: list[float] = []
    broken = 0
    print(f"hostile farm: {len(selected)} cases, one factlinks check each run")
    for number in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="factlinks-hostile-") as tmp:
            folder = Path(tmp)
            with running(folder, selected) as farm:
                run = check_farm(folder, farm)
                problems = violations(run)
                if not problems and not args.no_browser and "html" in run.reports:
                    problems += html_violations(run)
        walls.append(run.wall)
        statuses = Counter(entry["status"] for entry in run.results.values())
        print(f"run {number}:")
        share = run.wall / run.bound
        print(f"  wall seconds   {run.wall:.1f}  (bound {run.bound:.1f}: {share:.0%})")
        print(
            f"  peak tree RSS  {run.peak_rss / 2**20:.0f} MiB  "
            f"(budget {MEMORY_LIMIT / 2**20:.0f} MiB: {run.peak_rss / MEMORY_LIMIT:.0%})"
        )
        print(f"  exit code      {run.returncode}")
        print(f"  statuses       {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}")
        connects = [r for r in run.audit if r["event"] == "connect"]
        bad = sum(forbidden(r["address"]) for r in connects)
        print(f"  connects       {len(connects)} off loopback (refused), {bad} link-local/metadata")
        print(f"  invariants     {'all hold' if not problems else f'{len(problems)} broken'}")
        for problem in problems[:20]:
            print(f"  BROKEN: {problem}")
        broken += bool(problems)
    if len(walls) > 1:
        print(f"summary: wall median {statistics.median(walls):.1f} s over {len(walls)} runs")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
