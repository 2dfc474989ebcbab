"""A run's "once per key" caches, bounded: asked once while it matters, not held forever.

The parser reads a document once however many sources serve the same bytes, and the probe
for soft 404s is fetched once per directory and extension. Kept for the whole run, those
answers grow with the registry (a parsed document's evidence per distinct page, 100,000 of
them at 100,000 sources). :class:`Memo` keeps every answer still being computed (so
concurrent askers share it) and the :attr:`Memo.size` most recently added finished ones;
an older answer is forgotten and, if asked for again, computed again.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Futures by key, at most ``size`` finished ones kept (the oldest forgotten first)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._futures: OrderedDict[K, asyncio.Future[V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._futures)

    def get(self, key: K) -> asyncio.Future[V] | None:
        """The future for ``key``, if one is kept."""
        return self._futures.get(key)

    def put(self, key: K, future: asyncio.Future[V]) -> None:
        """Keep ``future`` for ``key``; forget the oldest finished ones beyond :attr:`size`."""
        self._futures[key] = future
        self._futures.move_to_end(key)
        excess = len(self._futures) - self.size
        if excess <= 0:
            return
        for old in [k for k, f in self._futures.items() if f.done()][:excess]:
            del self._futures[old]

    def forget(self, key: K) -> None:
        """Forget ``key`` (e.g. an answer that failed and should be asked again)."""
        self._futures.pop(key, None)
