"""Shared fixtures: source factory, zero-wait sleep, fixed clock, in-process parser."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from factlinks import CheckOptions, Kind, RetryPolicy, Source

FIXED_NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


def make_source(
    url: str = "https://example.org/docs/report.pdf",
    *,
    id: str = "src",
    title: str | None = None,
    kind: Kind | str = Kind.ANY,
    **extra: Any,
) -> Source:
    """A :class:`Source` with defaults for everything the test does not care about."""
    return Source(id=id, url=url, title=title, kind=Kind(kind), **extra)


class SleepRecorder:
    """An async sleep that returns at once and remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Zero-wait sleep for retries; ``sleeps.calls`` lists the waits asked for."""
    return SleepRecorder()


@pytest.fixture
def clock() -> Callable[[], dt.datetime]:
    """A wall clock fixed at :data:`FIXED_NOW`."""
    return lambda: FIXED_NOW


@pytest.fixture
def executor() -> Iterator[concurrent.futures.Executor]:
    """Parse documents in a thread, so unit tests need no worker processes."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


@pytest.fixture
def options() -> CheckOptions:
    """Options for unit tests: short timeout, three attempts with real backoff values."""
    return CheckOptions(timeout=5, retry=RetryPolicy(attempts=3))


@pytest.fixture(autouse=True)
def _run_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder: default outputs (report, history) land there."""
    monkeypatch.chdir(tmp_path)
