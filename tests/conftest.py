"""Shared fixtures: source factory, zero-wait sleep, fixed clock, in-process parser, pipeline."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import factlinks
from factlinks import CheckOptions, Kind, Report, RetryPolicy, Source
from factlinks._fetch import make_client
from pg_server import PgServer, require_postgres

FIXED_NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files under tests/golden/ instead of comparing with them",
    )


def pytest_configure(config: pytest.Config) -> None:
    """The coverage floor (``--cov-fail-under`` in pyproject.toml) is for the whole suite.

    A run of chosen tests (file or node arguments, ``-k``, ``-m``, ``--lf``, ``--deselect``)
    or ``--collect-only`` still measures coverage but does not fail for it; ``--no-cov``
    skips measuring.
    """
    plugin = config.pluginmanager.get_plugin("_cov")  # pytest-cov's plugin object
    chosen = (
        config.args_source is not pytest.Config.ArgsSource.TESTPATHS
        or config.option.keyword
        or config.option.markexpr
        or config.option.deselect
        or config.getoption("lf", False)
        or config.option.collectonly
    )
    if plugin is not None and chosen and hasattr(plugin, "options"):
        plugin.options.cov_fail_under = None


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files are to be rewritten: ``--update-golden`` or
    ``FACTLINKS_UPDATE_GOLDEN=1``."""
    return bool(request.config.getoption("--update-golden")) or (
        os.environ.get("FACTLINKS_UPDATE_GOLDEN") == "1"
    )


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


class CheckRunner:
    """Runs :func:`factlinks.check_async` the way unit tests need it.

    Zero-wait sleep, the fixed clock, the in-process executor, ``strict=True`` by default, and
    a client made by :func:`factlinks._fetch.make_client` for the options unless one is given.
    Call it from synchronous tests; await :meth:`run_async` from inside an event loop (to use a
    client after the check, or one with a hand-made transport).
    """

    def __init__(
        self,
        sleeps: SleepRecorder,
        clock: Callable[[], dt.datetime],
        executor: concurrent.futures.Executor,
    ) -> None:
        self.sleeps = sleeps
        self.clock = clock
        self.executor = executor

    async def run_async(
        self,
        sources: list[Source],
        options: CheckOptions,
        *,
        client: httpx.AsyncClient | None = None,
        strict: bool = True,
    ) -> Report:
        """Check ``sources`` with ``options`` on ``client`` (or a client of our own)."""
        if client is None:
            async with make_client(options) as own:
                return await self.run_async(sources, options, client=own, strict=strict)
        return await factlinks.check_async(
            sources,
            options,
            runtime=factlinks.Runtime(
                client=client,
                executor=self.executor,
                sleep=self.sleeps,
                clock=self.clock,
                strict=strict,
            ),
        )

    def __call__(
        self, sources: list[Source], options: CheckOptions, *, strict: bool = True
    ) -> Report:
        """Check ``sources`` with ``options`` on a client of our own, in a new event loop."""
        return asyncio.run(self.run_async(sources, options, strict=strict))


@pytest.fixture
def run_check(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> CheckRunner:
    """The pipeline with the zero-wait sleep, fixed clock and executor (:class:`CheckRunner`)."""
    return CheckRunner(sleeps, clock, executor)


# -- history backends: the contract tests run on each ----------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    """One real PostgreSQL server for the session (:mod:`pg_server`); skipped without one."""
    require_postgres()
    with PgServer() as server:
        yield server


class Backend:
    """A history backend under test: fresh, empty histories of it, by location."""

    def __init__(self, name: str, fresh: Callable[[], str]) -> None:
        self.name = name
        self._fresh = fresh

    def location(self) -> str:
        """A new, empty history (a file path for SQLite, a new database's URL for PostgreSQL)."""
        return self._fresh()

    def __repr__(self) -> str:
        return self.name


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each history backend in turn; PostgreSQL gives every test databases of its own."""
    if request.param == "sqlite":
        names = iter(range(1, 1000))
        return Backend("sqlite", lambda: str(tmp_path / f"state-{next(names)}.db"))
    server: PgServer = request.getfixturevalue("postgres")
    return Backend("postgresql", server.create_database)
