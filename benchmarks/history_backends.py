"""Recording a run of 10,000 results: SQLite against PostgreSQL (issue 13, item 4).

Starts a PostgreSQL server of its own (``tests/pg_server.py``: initdb and pg_ctl in a
temporary folder, on 127.0.0.1; as root the server runs as the ``postgres`` user), then for
each backend and each repeat, on a fresh database: records one run of ``--results`` results
(``record_run``, one transaction), records the same run again as four shards of one run id,
one after another, and reads every source's history once (what a check asks per source).
Prints the median of ``--repeat`` runs for each.

The rows are what a nightly run stores: every one with validators and hashes, four in five
with a stored verification (title evidence and inspection), one in ten with an archive copy.

    python benchmarks/history_backends.py --results 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from factlinks import (  # noqa: E402
    DocFormat,
    Inspection,
    ResultRow,
    Status,
    StoredArchive,
    StoredVerification,
    TitleCandidate,
    TitleEvidence,
    open_history,
)
from pg_server import PgServer, missing  # noqa: E402

DAY0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
REGISTRY = "/srv/docs/sources.toml"


def make_rows(count: int) -> list[ResultRow]:
    """``count`` rows shaped like a nightly run's."""
    made = []
    for n in range(count):
        title = f"Jahresbericht der Beispielstiftung {2000 + n % 25} \u2013 Band {n}"
        good = n % 5 != 0
        made.append(
            ResultRow(
                source_id=f"source-{n:06d}",
                url=f"https://host{n % 200:03d}.example.org/reports/{n}.pdf",
                status=Status.OK if good else Status.DEAD,
                checked_at=DAY0 + dt.timedelta(milliseconds=n),
                http_status=200 if good else 404,
                final_url=f"https://host{n % 200:03d}.example.org/reports/{n}.pdf",
                etag=f'"{n:08x}"',
                last_modified="Mon, 01 Feb 2021 10:00:00 GMT",
                body_sha256=f"{n:064x}",
                text_sha256=f"{n * 7:064x}",
                verification=StoredVerification(
                    Status.OK,
                    "Title found on page 1.",
                    title=TitleEvidence(title, True, 100.0, "page 1", title, title),
                    inspection=Inspection(
                        DocFormat.PDF, (TitleCandidate("page 1", title),), pages=12
                    ),
                )
                if good
                else None,
                archive=StoredArchive(
                    f"https://web.archive.org/web/20210215093000/{n}", "20210215093000", True, "ok"
                )
                if n % 10 == 0
                else None,
            )
        )
    return made


def record(location: str, rows: list[ResultRow], run_id: str | None = None) -> float:
    """Seconds to record ``rows`` as one run (opening the history not counted)."""
    with open_history(location, run_id=run_id) as store:
        began = time.perf_counter()
        store.record_run(
            started_at=DAY0, finished_at=DAY0, tool_version="b", registry=REGISTRY, rows=rows
        )
        return time.perf_counter() - began


def as_shards(location: str, rows: list[ResultRow]) -> float:
    """Seconds to record ``rows`` as four shards of one run id, one after another."""
    return sum(record(location, rows[k::4], run_id="bench") for k in range(4))


def read_all(location: str, rows: list[ResultRow]) -> float:
    """Seconds to read every source's history once, as a check does."""
    with open_history(location) as store:
        began = time.perf_counter()
        for row in rows:
            store.history(row.source_id, row.url)
        return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    reason = missing()
    if reason is not None:
        print(f"cannot start PostgreSQL: {reason}", file=sys.stderr)
        return 2
    rows = make_rows(args.results)
    tasks: dict[str, Callable[[str, list[ResultRow]], float]] = {
        "record one run": record,
        "record it as 4 shards": as_shards,
        "read every history": read_all,
    }
    with PgServer() as server, tempfile.TemporaryDirectory() as folder:
        names = iter(range(1, 1000))
        fresh: dict[str, Callable[[], str]] = {
            "SQLite": lambda: str(Path(folder) / f"state-{next(names)}.db"),
            "PostgreSQL": server.create_database,
        }
        print(f"{args.results:,} results, median of {args.repeat}")
        print(f"{'':24} {'SQLite':>10} {'PostgreSQL':>11}")
        for task, run in tasks.items():
            cells = []
            for backend in fresh:
                times = []
                for _ in range(args.repeat):
                    location = fresh[backend]()
                    if task == "read every history":
                        record(location, rows)
                    times.append(run(location, rows))
                cells.append(statistics.median(times))
            print(f"{task:24} {cells[0]:>9.2f}s {cells[1]:>10.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
