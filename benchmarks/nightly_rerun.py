"""Requests and bytes of a second nightly run against the first, on the fact sheet's web.

Starts the copy of the fact sheet's web (tests/factsheet_web.py) and a fake Wayback Machine
on 127.0.0.1, runs ``factlinks check`` twice on the repository's sources.toml with one history
database, and prints, per run, the requests the hosts received (retries, redirects, probes and
archive look-ups included) and the body bytes downloaded.

    python benchmarks/nightly_rerun.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import factsheet_web  # noqa: E402
from factlinks._cli import main  # noqa: E402
from farm import Farm  # noqa: E402


def main_() -> int:
    sources = tomllib.loads((ROOT / "sources.toml").read_text("utf-8"))["source"]
    with tempfile.TemporaryDirectory() as tmp, Farm() as farm:
        factsheet_web.build(farm, slow_seconds=10)
        factsheet_web.build_archive(
            farm, {s["url"]: (s.get("kind", "html"), s.get("title")) for s in sources}
        )
        base = ["check", str(ROOT / "sources.toml"), "--state", f"{tmp}/state.db", "-q"]
        base += ["--timeout", "3", "--archive-api", factsheet_web.ARCHIVE_API]
        base += factsheet_web.remap_args(farm)
        figures = []
        for night in ("first", "second"):
            before = sum(len(h.requests) for h in farm.hosts)
            main([*base, "--out", f"{tmp}/{night}"])
            requests = sum(len(h.requests) for h in farm.hosts) - before
            report = json.loads(Path(f"{tmp}/{night}/report.json").read_text("utf-8"))
            downloaded = sum(s["bytes"] or 0 for s in report["sources"])
            not_modified = sum(s["http_status"] == 304 for s in report["sources"])
            statuses = report["summary"]["by_status"]
            figures.append((night, requests, downloaded, not_modified, statuses))
    for night, requests, downloaded, not_modified, statuses in figures:
        counts = ", ".join(f"{n} {s}" for s, n in statuses.items() if n)
        print(
            f"{night} run: {requests} requests, {downloaded:,} body bytes of cited sources, "
            f"{not_modified} answered 304; {counts}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main_())
