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
import itertools
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Futures by key, at most ``size`` finished ones kept (the oldest forgotten first;
    ``None``: every one)."""

    def __init__(self, size: int | None = 4096) -> None:
        self.size = size
        self._futures: OrderedDict[K, asyncio.Future[V]] = OrderedDict()

    async def once(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """What ``compute()`` gives for ``key``: computed by the first asker, shared with
        those who ask while it runs and after, as long as it is kept. An exception reaches
        every waiting asker and is not kept: a later one computes again."""
        future = self._futures.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.put(key, future)
            try:
                future.set_result(await compute())
            except BaseException as exc:
                self.forget(key)
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning
                raise
        return await asyncio.shield(future)

    def __len__(self) -> int:
        return len(self._futures)

    def get(self, key: K) -> asyncio.Future[V] | None:
        """The future for ``key``, if one is kept."""
        return self._futures.get(key)

    def put(self, key: K, future: asyncio.Future[V]) -> None:
        """Keep ``future`` for ``key``; forget the oldest finished ones beyond :attr:`size`."""
        self._futures[key] = future
        self._futures.move_to_end(key)
        if self.size is None:
            return
        excess = len(self._futures) - self.size
        if excess <= 0:
            return
        # Oldest first, stopping at the excess: the front of the order is finished answers
        # but for the few still running, so this looks at a handful of keys, not all.
        done = (k for k, f in self._futures.items() if f.done())
        for old in list(itertools.islice(done, excess)):
            del self._futures[old]

    def forget(self, key: K) -> None:
        """Forget ``key`` (e.g. an answer that failed and should be asked again)."""
        self._futures.pop(key, None)
