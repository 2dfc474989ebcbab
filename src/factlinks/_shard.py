"""Cutting a registry into shards by registrable domain (``factlinks check --shard K/N``).

Every source gets a key: the registrable domain (eTLD+1, from the Public Suffix List) of its
URL's host, so ``www.kfw.de`` and ``kfw.de`` share one; an IP address or a host without a
registrable domain (``localhost``) is its own key. A source cited through a DOI resolver
(``https://doi.org/10.1000/x``) is keyed by the DOI's registrant prefix (``doi:10.1000``): its
landing page is on the publisher's site, which is the same for one prefix in practice, and is
not known before the DOI is resolved (the registry alone must decide the cut).

All sources of one key go into one shard, so the per-host limits of each shard hold across
shards. The cut is deterministic from the registry alone (each shard process reads the whole
registry and computes the same plan) and balanced by source count: the keys, largest first
(ties by key), each go to the shard with the fewest sources so far (ties: the lowest index).
That greedy "largest first" rule leaves no shard more than one key's sources above the
ideal size, or above the largest key when one key outweighs a shard.
"""

from __future__ import annotations

import hashlib
import heapq
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ._doi.names import DOI_HOSTS
from ._domains import registrable_domain
from ._errors import OptionsError
from ._models import Shard, Source
from ._registry import Registry

__all__ = [
    "JOB_INDEX_VARIABLE",
    "Sharded",
    "parse_shard",
    "registry_digest",
    "select_shard",
    "shard_key",
    "shard_note",
    "shard_plan",
]

JOB_INDEX_VARIABLE = "JOB_COMPLETION_INDEX"
"""What a Kubernetes indexed Job sets in each pod (``0`` to ``completions - 1``); with
``--shard auto/N`` it gives the shard, ``K = index + 1``."""

MAX_SHARDS = 10_000
"""A bound on ``N`` that no CI matrix or Job reaches (GitHub Actions: 256 jobs per run)."""


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``(K, N)`` from ``--shard K/N``; ``auto/N`` takes ``K`` from ``JOB_COMPLETION_INDEX``.

    Example::

        >>> parse_shard("2/4")
        (2, 4)
        >>> parse_shard("auto/4", {"JOB_COMPLETION_INDEX": "0"})
        (1, 4)

    Raises:
        OptionsError: not ``K/N`` with ``1 <= K <= N``, or ``auto`` without a valid index.
    """
    index_text, slash, count_text = text.strip().partition("/")
    count = _number(count_text) if slash else None
    if count is None or not 1 <= count <= MAX_SHARDS:
        raise OptionsError(
            f"--shard {text!r}: expected K/N, e.g. 1/4 (N a whole number from 1 to {MAX_SHARDS})"
        )
    if index_text.strip().lower() == "auto":
        return _job_index(text, count, os.environ if environ is None else environ), count
    index = _number(index_text)
    if index is None or not 1 <= index <= count:
        raise OptionsError(f"--shard {text!r}: K must be a whole number from 1 to {count}")
    return index, count


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _job_index(text: str, count: int, environ: Mapping[str, str]) -> int:
    raw = environ.get(JOB_INDEX_VARIABLE)
    if raw is None:
        raise OptionsError(
            f"--shard {text!r}: auto needs {JOB_INDEX_VARIABLE} (set by a Kubernetes indexed "
            "Job); elsewhere give the shard as K/N"
        )
    index = _number(raw)
    if index is None or index >= count:
        raise OptionsError(
            f"--shard {text!r}: {JOB_INDEX_VARIABLE}={raw!r} is not an index from 0 to "
            f"{count - 1} (the Job's completions must be {count})"
        )
    return index + 1


def shard_key(source: Source) -> str:
    """What keeps sources together in one shard: the registrable domain of the URL's host.

    Example::

        >>> shard_key(Source(id="a", url="https://www.kfw.de/x.pdf"))
        'kfw.de'
    """
    host = (urlsplit(source.url).hostname or "").rstrip(".")
    if host in DOI_HOSTS and source.doi is not None:
        return "doi:" + source.doi.split("/", 1)[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return registrable_domain(host) if host else source.url


def shard_plan(sources: Sequence[Source], count: int) -> list[int]:
    """The shard (``1`` to ``count``) of each source, in the order of ``sources``.

    Deterministic: the same sources in the same order give the same plan on every machine.
    """
    groups: dict[str, list[int]] = {}
    for position, source in enumerate(sources):
        groups.setdefault(shard_key(source), []).append(position)
    plan = [0] * len(sources)
    loads = [(0, index) for index in range(1, count + 1)]  # (sources so far, shard): a heap
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        load, index = heapq.heappop(loads)
        for position in groups[key]:
            plan[position] = index
        heapq.heappush(loads, (load + len(groups[key]), index))
    return plan


def registry_digest(sources: Sequence[Source]) -> str:
    """``sha256:…`` over the ids and URLs of ``sources`` in order: what tells shards of one
    registry from shards of another (or of an edited one)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(f"{source.id}\t{source.url}\n".encode("utf-8", "surrogatepass"))
    return "sha256:" + digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Sharded:
    """One shard of a registry: the registry of its sources, and what says which it is."""

    registry: Registry
    """The shard's sources (registry order) with the whole registry's settings, path, notes."""
    shard: Shard
    """Which shard; its ``positions`` are those of :attr:`registry`'s sources."""

    def for_results(self, ids: Sequence[str]) -> Shard:
        """:attr:`shard` with ``positions`` for results with ``ids`` (in their order)."""
        place = dict(zip((s.id for s in self.registry), self.shard.positions, strict=True))
        return replace(self.shard, positions=tuple(place[source_id] for source_id in ids))


def select_shard(registry: Registry, index: int, count: int) -> Sharded:
    """Shard ``index`` of ``count`` of ``registry`` (see the module's docstring for the cut).

    Example::

        part = factlinks.select_shard(factlinks.load_sources("sources.toml"), 2, 4)
        report = factlinks.check(part.registry)

    Raises:
        OptionsError: ``index`` is not from 1 to ``count``.
    """
    if not 1 <= count <= MAX_SHARDS or not 1 <= index <= count:
        raise OptionsError(f"shard {index}/{count}: K must be from 1 to N")
    sources = registry.sources
    plan = shard_plan(sources, count)
    positions = tuple(p for p, shard in enumerate(plan) if shard == index)
    shard = Shard(
        index=index,
        count=count,
        registry_sources=len(sources),
        registry_digest=registry_digest(sources),
        positions=positions,
    )
    part = replace(registry, sources=tuple(sources[p] for p in positions))
    return Sharded(registry=part, shard=shard)


def shard_note(shard: Shard) -> str:
    """The note a shard's reports carry (and a merge drops again)."""
    total = shard.registry_sources
    return (
        f"Shard {shard.index} of {shard.count}: {len(shard.positions)} of the registry's "
        f"{total} source{'' if total == 1 else 's'}, cut by registrable domain; "
        "'factlinks merge' combines the shards' reports into the whole run's."
    )
