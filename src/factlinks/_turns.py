"""Turns: how many sources are being worked on at once, lent while a source waits.

A run checks ``concurrency`` sources at a time. A source whose retry waits for its back-off
or for the ``Retry-After`` a server asked for sends nothing while it waits, so it lends its
turn to the next source and takes one back (before any new source) when the wait is over.
The requests in flight stay bounded by the fetcher's own semaphores (``concurrency`` in all,
``per_host`` per host); turns only decide which sources get to use them.

A turn belongs to the task that took it and to the tasks it starts (the DOI lookup that runs
beside the landing page): they share one :class:`_Hold` through a context variable, and the
turn is lent while any of them waits and none of them was already lending it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Turns"]

_Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class _Hold:
    """One source's turn: whether it is held now, and how many of its tasks are waiting."""

    turns: Turns
    held: bool = True
    waiting: int = 0
    taking: bool = False
    done: bool = False


_HOLD: contextvars.ContextVar[_Hold | None] = contextvars.ContextVar("factlinks_turn", default=None)


class Turns:
    """``size`` turns; sources coming back from a wait get a free turn before new ones.

    Parameters:
        size: how many turns there are (the run's concurrency).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._back: deque[asyncio.Future[None]] = deque()
        self._new: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        """Turns nobody holds now."""
        return self._free

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold a turn for the body (one source's check); it is lent while the source waits."""
        await self._take(self._new)
        hold = _Hold(self)
        token = _HOLD.set(hold)
        try:
            yield
        finally:
            _HOLD.reset(token)
            hold.done = True
            if hold.held:
                hold.held = False
                self._give()

    def lending(self, sleep: _Sleep) -> _Sleep:
        """``sleep`` that lends the caller's turn while it sleeps (as it is outside a turn)."""

        async def lend_while(seconds: float) -> None:
            hold = _HOLD.get()
            if hold is None or hold.turns is not self or hold.done:
                await sleep(seconds)
                return
            hold.waiting += 1
            if hold.held:
                hold.held = False
                self._give()
            try:
                await sleep(seconds)
            finally:
                hold.waiting -= 1
            await self._take_back(hold)

        return lend_while

    async def _take_back(self, hold: _Hold) -> None:
        """Take the source's turn back when the last of its waits is over."""
        if hold.waiting or hold.held or hold.taking or hold.done:
            return
        hold.taking = True
        try:
            await self._take(self._back)
            hold.held = True
        finally:
            hold.taking = False
        if hold.done:  # the source finished (cancelled) while it was taken back
            hold.held = False
            self._give()

    async def _take(self, queue: deque[asyncio.Future[None]]) -> None:
        if self._free > 0 and not self._back and (queue is self._back or not self._new):
            self._free -= 1
            return
        future = asyncio.get_running_loop().create_future()
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._give()  # handed over just as the waiter was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(future)
            raise

    def _give(self) -> None:
        """Hand a turn to the first waiter (coming back before new), or free it."""
        for queue in (self._back, self._new):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)
                    return
        self._free += 1
