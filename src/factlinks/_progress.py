"""Progress for the command line: a live bar on a terminal, a plain line every few seconds
otherwise (CI logs), nothing with ``--quiet``. The library itself never prints."""

from __future__ import annotations

import sys
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
    ) -> None:
        self.total = total
        self.done = 0
        self.failing = 0
        self.host = ""
        self._fail_on = fail_on
        self._stream = stream or sys.stderr
        self._clock = clock
        self._last = clock()
        self._quiet = quiet
        self._live = not quiet and self._stream.isatty()
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

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
        return self

    def __call__(self, result: SourceResult) -> None:
        self.done += 1
        self.failing += result.status in self._fail_on
        self.host = result.source.host
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done, failing=self.failing, host=self.host)
        elif not self._quiet and self._clock() - self._last >= PLAIN_INTERVAL:
            self._last = self._clock()
            self._print()

    def _print(self) -> None:
        print(
            f"factlinks: {self.done}/{self.total} checked, {self.failing} failing"
            + (f", last host {self.host}" if self.host else ""),
            file=self._stream,
            flush=True,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
