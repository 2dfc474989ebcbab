"""Requests and bytes of a second nightly run against the first.

Without arguments: starts the copy of the fact sheet's web (tests/factsheet_web.py) and a
fake Wayback Machine on 127.0.0.1, runs ``factlinks check`` twice on the repository's
sources.toml with one history database, and prints, per run, the requests the hosts received
(retries, redirects, probes and archive look-ups included) and the body bytes downloaded.

    python benchmarks/nightly_rerun.py

With ``--sources N``: a farm of its own on 127.0.0.1 (8 loopback servers standing in for 200
host names) with N sources, mostly healthy (85 % ok; 5 % dead, 3 % moved, 2 % drifted, 5 %
unreachable: 503 on every attempt); a first night, then a second night over the unchanged
registry with the clock a day later, one SQLite history. Prints the requests the servers
received and the body bytes they sent on each night, the ratios, and how many sources each
report lists (and how many of them with a reused verdict). Exits 1 unless the second night
sends at most a fifth of the first's requests and both reports list every source. Retry
waits are made instant (this counts requests, not seconds).

    python benchmarks/nightly_rerun.py --sources 10000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import threading
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import factlinks  # noqa: E402
import factsheet_web  # noqa: E402
from factlinks import Remap  # noqa: E402
from factlinks._cli import main  # noqa: E402
from farm import Farm, Reply, Request  # noqa: E402

SERVERS = 8
HOSTS = 200
_TEXT = "<p>" + "Text of the cited page, as long as a real one is. " * 80 + "</p>"


def _kind(number: int) -> str:
    """What source ``number`` answers: 85 ok, 5 gone, 3 moved, 2 drift, 5 down per 100."""
    bucket = number % 100
    for kind, upto in (("ok", 85), ("gone", 90), ("moved", 93), ("drift", 95)):
        if bucket < upto:
            return kind
    return "down"


def _answer(request: Request) -> Reply:
    parts = request.path.split("?", 1)[0].strip("/").split("/")  # host, kind, number
    kind, number = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    if not number.isdigit():
        return Reply.not_found()  # a soft-404 probe's random sibling
    page = {"ok": f"Document {number}", "new": f"Document {number}", "drift": "Welcome"}
    if kind in page:
        return Reply.html(f"<h1>{page[kind]}</h1>{_TEXT}", title=page[kind])
    if kind == "moved":
        return Reply.redirect(f"/new/{number}", 301)
    if kind == "down":
        return Reply.html("<h1>Service Unavailable</h1><p>Try again later.</p>", status=503)
    return Reply.not_found()


def _registry(path: Path, total: int) -> None:
    lines = ["[settings]", "concurrency = 32", "per_host = 4", ""]
    for number in range(total):
        host = f"site{number % HOSTS}-s{number % HOSTS % SERVERS}.example"
        lines += ["[[source]]", f'id = "src-{number:05d}"']
        lines += [f'url = "https://{host}/{_kind(number)}/{number}"']
        lines += [f'title = "Document {number}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


async def _instant(seconds: float) -> None:
    await asyncio.sleep(0)


def farm_nights(total: int) -> int:
    """Two nights over a registry of ``total`` sources; print the figures."""
    sent = {"bytes": 0}
    lock = threading.Lock()

    def answer(request: Request) -> Reply:
        reply = _answer(request)
        with lock:
            sent["bytes"] += len(reply.body)
        return reply

    figures = []
    with tempfile.TemporaryDirectory() as tmp, Farm() as farm:
        rules = []
        for server in range(SERVERS):
            host = farm.add_host(f"nightly-{server}", fallback=answer)
            pattern = rf"^https://(site\d+-s{server}\.example)(?=[/?#]|$)"
            rules.append(Remap.parse(f"{pattern} {host.base_url}/\\1"))
        _registry(Path(tmp, "sources.toml"), total)
        sources = factlinks.load_sources(Path(tmp, "sources.toml"))
        options = sources.options().replace(remap=tuple(rules), archive_api=None)
        with factlinks.open_history(Path(tmp, "state.db")) as history:
            for night, offset in (("first", dt.timedelta()), ("second", dt.timedelta(days=1))):
                requests = sum(len(h.requests) for h in farm.hosts)
                body = sent["bytes"]
                runtime = factlinks.Runtime(
                    history=history,
                    sleep=_instant,
                    clock=lambda offset=offset: dt.datetime.now(dt.UTC) + offset,
                )
                report = factlinks.check(sources, options, runtime)
                factlinks.write_report(report, Path(tmp, night), formats=["json"])
                listed = json.loads(Path(tmp, night, "report.json").read_text("utf-8"))
                figures.append(
                    (
                        night,
                        sum(len(h.requests) for h in farm.hosts) - requests,
                        sent["bytes"] - body,
                        len(listed["sources"]),
                        sum(s["reused"] is not None for s in listed["sources"]),
                        listed["summary"]["by_status"],
                    )
                )
    for night, requests, body, listed, reused, statuses in figures:
        counts = ", ".join(f"{n} {s}" for s, n in statuses.items() if n)
        print(
            f"{night} night: {requests:,} requests, {body:,} body bytes sent; "
            f"report lists {listed:,} sources ({reused:,} with a reused verdict): {counts}"
        )
    (_, req1, bytes1, listed1, _, by1), (_, req2, bytes2, listed2, _, by2) = figures
    print(f"second / first: requests {req2 / req1:.2f}, bytes {bytes2 / bytes1:.2f}")
    ok = req2 * 5 <= req1 and listed1 == listed2 == total and by1 == by2
    print(
        "target (second night <= 1/5 of the requests, every source listed, same statuses):",
        "met" if ok else "MISSED",
    )
    return 0 if ok else 1


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, help="a farm of this many sources instead")
    args = parser.parse_args()
    if args.sources:
        return farm_nights(args.sources)
    return factsheet_nights()


def factsheet_nights() -> int:
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
