"""An in-memory history backend: what a second :class:`~factlinks.HistoryBackend` implements.

Shared by the history tests and ``test_architecture.py``; registered in one line
(``BACKENDS["memory"] = ...``) it drives ``factlinks check --state memory://...``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from factlinks import PastResult, ResultRow, SourceHistory


class MemoryHistory:
    """A history backend in a list: what a new backend implements."""

    def __init__(self, location: str = "") -> None:
        self.runs_: list[tuple[str | None, tuple[ResultRow, ...]]] = []
        self.answers: dict[tuple[str, str], dict[str, Any]] = {}
        self.closed = False

    def history(self, source_id: str, url: str) -> SourceHistory:
        past = [
            PastResult.of(row, run_id)
            for run_id, (_, rows) in enumerate(self.runs_, 1)
            for row in rows
            if (row.source_id, row.url) == (source_id, url)
        ]
        return SourceHistory.from_results(past[::-1])

    def record_run(
        self,
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        tool_version: str,
        registry: str | None,
        rows: Sequence[ResultRow],
    ) -> None:
        self.runs_.append((registry, tuple(rows)))

    def latest_results(self, registry: str | None = None) -> list[ResultRow]:
        latest: dict[str, ResultRow] = {}
        for run_registry, rows in self.runs_:
            if registry is None or run_registry == registry:
                latest.update((row.source_id, row) for row in rows)
        return list(latest.values())

    def runs(self) -> int:
        return len(self.runs_)

    def archive_answer(self, url: str, day: str) -> dict[str, Any] | None:
        return self.answers.get((url, day))

    def store_archive_answer(self, url: str, day: str, answer: dict[str, Any]) -> None:
        self.answers[url, day] = answer

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
