"""Make ``docs/report-screenshot.png``: the HTML report of the fact sheet's citations.

Runs two nightly checks of ``sources.toml`` against the local copy of the fact sheet's web
(``tests/factsheet_web.py``: real HTTP servers on 127.0.0.1, a fake Wayback Machine), so the
second report has a history and archive copies, renders its ``report.json`` to HTML and
photographs it in headless Chromium (``tests/browser.py``). Touches no network.

Usage (from the repository root)::

    python tools/report_screenshot.py [--out docs/report-screenshot.png] [--html report.html]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import factsheet_web  # noqa: E402
from browser import visit  # noqa: E402
from factlinks import load_report  # noqa: E402
from factlinks._cli import main as factlinks_main  # noqa: E402
from factlinks._report.html import render_html  # noqa: E402
from farm import Farm  # noqa: E402


def nightly_report(tmp: Path) -> dict[str, object]:
    """The report.json of the second of two nightly runs, with history and archive."""
    registry = Path("sources.toml")  # relative, as a user would type it (cwd is REPO)
    sources = tomllib.loads((REPO / registry).read_text("utf-8"))["source"]
    with Farm() as farm:
        factsheet_web.build(farm, slow_seconds=5)
        factsheet_web.build_archive(
            farm, {s["url"]: (s.get("kind", "html"), s.get("title")) for s in sources}
        )
        argv = ["check", str(registry), "--state", str(tmp / "state.db"), "--timeout", "1"]
        argv += ["--archive-api", factsheet_web.ARCHIVE_API, *factsheet_web.remap_args(farm)]
        argv += ["--format", "json", "--quiet"]
        for run in ("first", "second"):
            factlinks_main([*argv, "--out", str(tmp / run)])
    data: dict[str, object] = json.loads((tmp / "second" / "report.json").read_text("utf-8"))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report-screenshot.png")
    parser.add_argument("--html", type=Path, help="also keep the rendered report.html here")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    os.chdir(REPO)
    with tempfile.TemporaryDirectory(prefix="factlinks-shot-") as folder:
        tmp = Path(folder)
        html = tmp / "report.html"
        html.write_text(render_html(load_report(nightly_report(tmp))), encoding="utf-8")
        if args.html:
            args.html.write_text(html.read_text("utf-8"), encoding="utf-8")
        with visit(html, width=args.width, height=args.height) as seen:
            seen.page.screenshot(path=str(args.out), type="png")
            problems = seen.errors + seen.foreign_requests
    if problems:
        raise SystemExit(f"the page misbehaved: {problems}")
    print(f"{args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
