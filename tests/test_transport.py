"""The per-host connection pools and the host-interleaved checking order."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from factlinks import Source
from factlinks._pipeline import _interleaved_by_host
from factlinks._transport import PerHostTransport
from farm import Farm, Reply


def src(url: str) -> Source:
    return Source(id="s", url=url)


@pytest.mark.parametrize(
    ("urls", "order"),
    [
        pytest.param([], [], id="empty"),
        pytest.param(["https://a/1", "https://a/2", "https://b/1"], [0, 2, 1], id="two-hosts"),
        pytest.param(
            ["https://a/1", "https://a/2", "https://a/3", "https://b/1", "https://c/1"],
            [0, 3, 4, 1, 2],
            id="sorted-registry",
        ),
        pytest.param(
            ["https://a/1", "https://A/2", "https://b/1"], [0, 2, 1], id="host-case-folded"
        ),
    ],
)
def test_sources_are_checked_round_robin_over_hosts(urls: list[str], order: list[int]) -> None:
    assert _interleaved_by_host([src(u) for u in urls]) == order


@pytest.mark.integration
def test_one_pool_per_host_and_idle_pools_evicted() -> None:
    async def go(farm: Farm) -> tuple[list[int], int, int]:
        transport = PerHostTransport(per_host=2, max_pools=2)
        async with httpx.AsyncClient(transport=transport) as client:
            statuses = []
            for host in farm.hosts:
                for _ in range(2):
                    response = await client.get(host.url("/page"))
                    statuses.append(response.status_code)
            pools = len(transport._pools)
            busy = len(transport._busy)
        return statuses, pools, busy

    with Farm() as farm:
        for name in ("a.example", "b.example", "c.example"):
            farm.add_host(name, {"/page": Reply.html("hi")})
        statuses, pools, busy = asyncio.run(go(farm))
    assert statuses == [200] * 6
    assert pools == 2  # the third host's pool evicted the least recently used idle one
    assert busy == 0  # every response released its pool


@pytest.mark.integration
def test_streamed_response_keeps_its_pool_busy_until_closed() -> None:
    async def go(url: str) -> tuple[int, int]:
        transport = PerHostTransport(per_host=1, max_pools=1)
        async with httpx.AsyncClient(transport=transport) as client:
            request = client.build_request("GET", url)
            response = await client.send(request, stream=True)
            during = len(transport._busy)
            await response.aclose()
            return during, len(transport._busy)

    with Farm() as farm:
        host = farm.add_host("a.example", {"/x": Reply.html("x" * 10_000)})
        during, after = asyncio.run(go(host.url("/x")))
    assert (during, after) == (1, 0)
