"""CPU of the event loop for fetching URLs from a local farm, without parsing or reports.

Fetches ``--urls`` URLs (one in ten redirected once) from 20 loopback hosts through
:class:`factlinks._fetch.Fetcher` and prints the CPU time of the event-loop thread: a
narrower and steadier figure than ``crawl.py`` for changes to the fetching layers (it was
used to measure what a missing ``sniffio`` costs; see README.md).

    python benchmarks/fetch_loop.py --urls 2400
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from factlinks import CheckOptions, FetchResult
from factlinks._fetch import Fetcher, make_client
from farm import Farm, Host, Reply


async def fetch_all(hosts: list[Host], urls: int) -> tuple[int, list[FetchResult]]:
    options = CheckOptions(timeout=10, per_host=10, concurrency=50)
    async with make_client(options) as client:
        fetcher = Fetcher(client, options)
        workers = asyncio.Semaphore(50)

        async def one(number: int) -> FetchResult:
            path = f"/old{number % 10}" if number % 10 == 0 else f"/p{number % 20}"
            async with workers:
                return await fetcher.fetch(hosts[number % len(hosts)].url(path))

        results = await asyncio.gather(*(one(number) for number in range(urls)))
        return fetcher.requests, list(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2400)
    args = parser.parse_args()
    with Farm() as farm:
        hosts = []
        for number in range(20):
            routes = {f"/p{page}": Reply.html("x" * 2000) for page in range(20)}
            routes |= {f"/old{page}": Reply.redirect(f"/p{page}") for page in range(10)}
            hosts.append(farm.add_host(f"h{number}.example", routes))
        cpu, wall = time.thread_time(), time.perf_counter()
        requests, results = asyncio.run(fetch_all(hosts, args.urls))
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    ok = sum(result.status_code == 200 for result in results)
    print(f"{requests} requests, {ok} ok: event-loop CPU {cpu:.2f} s, wall {wall:.2f} s")


if __name__ == "__main__":
    main()
