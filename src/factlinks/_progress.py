"""Progress for the command line: a live bar on a terminal, a plain line every few seconds
otherwise (CI logs), nothing with ``--quiet``. The library itself never prints."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ._models import SourceResult, Status

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["Progress"]

PLAIN_INTERVAL = 5.0
"""Seconds between two plain progress lines."""
HEARTBEAT_TICK = 1.0
"""How often, without a terminal, the progress looks whether a line is due although no result
came in: a host that never answers must not make a CI log go silent for minutes."""


class Progress:
    """Shows how a check run is going; use as a context manager, call with each result."""

    def __init__(
        self,
        total: int,
        *,
        fail_on: frozenset[Status],
        quiet: bool = False,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick: float | None = HEARTBEAT_TICK,
    ) -> None:
        self.total = total
        self.done = 0
        self.failing = 0
        self.host = ""
        self._fail_on = fail_on
        self._stream = stream or sys.stderr
        self._clock = clock
        self._last = self._last_result = clock()
        self._quiet = quiet
        self._live = not quiet and self._stream.isatty()
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker = (
            threading.Thread(target=self._heartbeat, args=(tick,), daemon=True)
            if tick is not None and not quiet and not self._live
            else None
        )

    def __enter__(self) -> Progress:
        if self._live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            bar = RichProgress(
                TextColumn("checking"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failing]} failing"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[host]}"),
                console=Console(file=self._stream),
                transient=True,
            )
            bar.start()
            self._task = bar.add_task("check", total=self.total, failing=0, host="")
            self._bar = bar
        if self._ticker is not None:
            self._ticker.start()
        return self

    def __call__(self, result: SourceResult) -> None:
        with self._lock:
            self.done += 1
            self.failing += result.status in self._fail_on
            self.host = result.source.host
            self._last_result = now = self._clock()
            if self._bar is not None and self._task is not None:
                self._bar.update(
                    self._task, completed=self.done, failing=self.failing, host=self.host
                )
            elif not self._quiet:
                self._line_if_due(now, waiting=False)

    def _heartbeat(self, tick: float) -> None:
        while not self._stopped.wait(tick):
            with self._lock:
                self._line_if_due(self._clock(), waiting=True)

    def _line_if_due(self, now: float, *, waiting: bool) -> None:
        if now - self._last < PLAIN_INTERVAL:
            return
        self._last = now
        line = f"factlinks: {self.done}/{self.total} checked, {self.failing} failing"
        if waiting:
            line += f", no answer for {now - self._last_result:.0f} s"
        elif self.host:
            line += f", last host {self.host}"
        print(line, file=self._stream, flush=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopped.set()
        if self._ticker is not None and self._ticker.is_alive():
            self._ticker.join()
        if self._bar is not None:
            self._bar.stop()
