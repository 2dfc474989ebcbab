"""The run: registry -> fetch -> inspect -> classify -> report.

:func:`check_async` wires the stages. Sources are checked by a fixed number of workers (the
concurrency limit), never by an unbounded ``gather``; parsing runs in worker processes so
the event loop keeps fetching.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace

import httpx

from ._archive import ArchiveCache, ArchiveRescuer, InMemoryArchiveCache, make_service
from ._classify import Verdict, classify, is_site_root, judge_probe, sibling_url
from ._errors import OfflineError
from ._fetch import Fetcher, make_client
from ._history import HistoryStore, SourceHistory, StoredArchiveCache
from ._inspect import sniff_format
from ._models import (
    DocFormat,
    FetchResult,
    Inspection,
    Kind,
    Probe,
    Report,
    Source,
    SourceResult,
    Status,
    TitleEvidence,
)
from ._options import CheckOptions
from ._parse import Parser
from ._persistence import apply_policy, conditional_headers, result_row, reuse_on_not_modified
from ._registry import Registry
from ._retry import Sleep
from ._version import __version__

__all__ = ["check", "check_async"]

Clock = Callable[[], dt.datetime]
ProgressHook = Callable[[SourceResult], None]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check(
    sources: Iterable[Source],
    options: CheckOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    executor: concurrent.futures.Executor | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = _utc_now,
    on_result: ProgressHook | None = None,
    strict: bool = False,
    history: HistoryStore | None = None,
) -> Report:
    """Check ``sources`` and return the report (a synchronous wrapper of :func:`check_async`).

    Example::

        registry = factlinks.load_sources("sources.toml")
        report = factlinks.check(registry)
        print(report.counts)

    The parameters are those of :func:`check_async`. Not for use inside a running event
    loop; there, ``await check_async(...)``.
    """
    return asyncio.run(
        check_async(
            sources,
            options,
            client=client,
            executor=executor,
            sleep=sleep,
            clock=clock,
            on_result=on_result,
            strict=strict,
            history=history,
        )
    )


async def check_async(
    sources: Iterable[Source],
    options: CheckOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    executor: concurrent.futures.Executor | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = _utc_now,
    on_result: ProgressHook | None = None,
    strict: bool = False,
    history: HistoryStore | None = None,
) -> Report:
    """Check ``sources`` and return the report.

    Parameters:
        sources: the sources, e.g. a :class:`Registry` from :func:`load_sources`.
        options: the run's options; by default the registry's ``[settings]`` over the defaults.
        client: an ``httpx.AsyncClient`` to use (not closed here); by default one is made.
        executor: where documents are parsed; by default a process pool sized to the cores.
        sleep: the async sleep between retries (tests pass one that returns at once).
        clock: the wall clock, for timestamps and ``Retry-After`` dates.
        on_result: called with each result as it is ready (for progress displays).
        strict: re-raise unexpected exceptions instead of recording them on the result.
        history: an open :class:`HistoryStore`: conditional requests, the persistence policy
            and change detection use it, and the run is recorded in it (unless offline).

    Raises:
        OfflineError: no host answered at all; nothing can be said about the citations,
            and nothing is recorded.
    """
    source_list = list(sources)
    if options is None:
        options = sources.options() if isinstance(sources, Registry) else CheckOptions()
    registry_path = sources.path if isinstance(sources, Registry) else None
    started = clock()
    own_client = client is None
    http = client if client is not None else make_client(options)
    parser = Parser(options, executor)
    fetcher = Fetcher(http, options, sleep=sleep, clock=clock)
    run = _Run(options, fetcher, parser, clock, strict, history)
    if options.archive_api is not None:
        cache: ArchiveCache = (
            StoredArchiveCache(history, options.archive_api)
            if history is not None
            else InMemoryArchiveCache()
        )

        async def verify(answer: FetchResult, title: str | None) -> TitleEvidence | None:
            return (await parser.parse(answer, title)).evidence

        service = make_service(options, fetch=fetcher.fetch, cache=cache)
        run.rescuer = (
            ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)
            if service is not None
            else None
        )
    results: list[SourceResult | None] = [None] * len(source_list)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in _interleaved_by_host(source_list):
        queue.put_nowait(index)

    async def worker() -> None:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result = await run.check_one(source_list[index])
            results[index] = result
            if on_result is not None:
                on_result(result)

    try:
        workers = min(options.concurrency, max(1, len(source_list)))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        # The first worker's failure (strict mode, or an on_result callback that raised)
        # cancels the others; the caller gets that exception, not a group of one.
        raise group_error.exceptions[0] from None
    finally:
        fetcher.close()
        await parser.aclose()
        if own_client:
            await http.aclose()
    final = tuple(r for r in results if r is not None)
    _raise_if_offline(final, options)
    report = Report(
        results=final,
        started_at=started,
        finished_at=clock(),
        tool_version=__version__,
        fail_on=options.fail_on,
        registry=registry_path,
    )
    if history is not None:
        history.record_run(
            started_at=report.started_at,
            finished_at=report.finished_at,
            tool_version=report.tool_version,
            registry=registry_path,
            rows=[
                result_row(r, run.past.get(r.id, SourceHistory()))
                for r in final
                if r.status is not Status.SKIPPED
            ],
        )
    return report


def _interleaved_by_host(sources: list[Source]) -> list[int]:
    """Source indices in round-robin order over their hosts.

    A registry is often sorted by host; checked in that order, every worker would queue on
    the same host's few slots while the other hosts sit idle.
    """
    by_host: dict[str, list[int]] = {}
    for index, source in enumerate(sources):
        by_host.setdefault(source.host, []).append(index)
    columns = list(by_host.values())
    return [
        column[row]
        for row in range(max(map(len, columns), default=0))
        for column in columns
        if row < len(column)
    ]


def _raise_if_offline(results: tuple[SourceResult, ...], options: CheckOptions) -> None:
    failures = [r.fetch.failure for r in results if r.fetch is not None]
    if not failures or not all(f is not None and f.kind.is_network for f in failures):
        return
    hosts = {r.source.host for r in results if r.fetch is not None}
    if len(hosts) < options.offline_min_hosts:
        return
    kinds = sorted({f.kind.value for f in failures if f is not None})
    raise OfflineError(
        "no source could be reached: is this machine online? "
        f"({len(failures)} sources on {len(hosts)} hosts failed: {', '.join(kinds)}; "
        "nothing was reported)"
    )


class _Run:
    """The per-run state shared by the workers: fetcher, parser, probe cache."""

    def __init__(
        self,
        options: CheckOptions,
        fetcher: Fetcher,
        parser: Parser,
        clock: Clock,
        strict: bool,
        history: HistoryStore | None = None,
    ) -> None:
        self.options = options
        self.fetcher = fetcher
        self.parser = parser
        self.clock = clock
        self.strict = strict
        self.history = history
        self.past: dict[str, SourceHistory] = {}
        """What the history knew of each checked source before this run."""
        self.rescuer: ArchiveRescuer | None = None
        """Looks up archive copies, when archive look-ups are on."""
        self._probes: dict[str, asyncio.Future[FetchResult]] = {}

    async def check_one(self, source: Source) -> SourceResult:
        """Check one source; an unexpected exception becomes the result, unless strict."""
        if source.skip is not None:
            return self._skipped(source, f"Skipped: {source.skip}.")
        if self.options.only is not None and source.id not in self.options.only:
            return self._skipped(source, "Skipped: not selected by --only.")
        try:
            result = await self._check(source)
            return await self._rescue(result)
        except Exception as exc:
            if self.strict:
                raise
            return SourceResult(
                source=source,
                status=Status.UNVERIFIABLE,
                reason=f"Internal error: {type(exc).__name__}: {exc}"[:300],
                checked_at=self.clock(),
            )

    async def _rescue(self, result: SourceResult) -> SourceResult:
        """Add an archive copy to a dead or drifted result (moved too, if asked)."""
        wanted = {Status.DEAD, Status.DRIFTED}
        if self.options.archive_moved:
            wanted.add(Status.MOVED)
        if self.rescuer is None or result.status not in wanted:
            return result
        since = self.past.get(result.id, SourceHistory()).first_seen
        copy = await self.rescuer.rescue(result.source, since=since)
        return replace(result, archive=copy) if copy is not None else result

    def _skipped(self, source: Source, reason: str) -> SourceResult:
        return SourceResult(source, Status.SKIPPED, reason, checked_at=self.clock())

    async def _check(self, source: Source) -> SourceResult:
        past = SourceHistory()
        if self.history is not None:
            past = self.past[source.id] = self.history.history(source.id, source.url)
        validators = conditional_headers(past)
        fetch = await self.fetcher.fetch(source.url, headers=validators or None)
        reused = reuse_on_not_modified(fetch, past)
        if reused is None and fetch.status_code == 304 and validators:
            # Not modified, but not the page verified last time (the redirects changed):
            # ask again, unconditionally.
            fetch = await self.fetcher.fetch(source.url)
        if reused is not None:
            return self._remember(
                source,
                fetch,
                past,
                Verdict(reused.status, reused.reason, reused.new_url),
                inspection=reused.inspection,
                evidence=reused.evidence,
                not_modified=reused.checked_at,
            )
        inspection: Inspection | None = None
        evidence: TitleEvidence | None = None
        probe: Probe | None = None
        if fetch.ok:
            fmt = sniff_format(fetch.body, fetch.content_type)
            inspection = Inspection(fmt)
            kind_mismatch = (source.kind is Kind.PDF and fmt is not DocFormat.PDF) or (
                source.kind is Kind.HTML and fmt is DocFormat.PDF
            )
            if source.title is not None or kind_mismatch:
                parsed = await self.parser.parse(fetch, source.title)
                inspection, evidence = parsed.inspection, parsed.evidence
            if (
                self.options.probe_soft_404
                and not is_site_root(source.url)
                and not (evidence is not None and evidence.matched)
            ):
                probe = await self._probe(source.url, fetch)
        verdict = classify(source, fetch, inspection, evidence, probe)
        return self._remember(
            source, fetch, past, verdict, inspection=inspection, evidence=evidence, probe=probe
        )

    def _remember(
        self,
        source: Source,
        fetch: FetchResult,
        past: SourceHistory,
        verdict: Verdict,
        *,
        inspection: Inspection | None,
        evidence: TitleEvidence | None,
        probe: Probe | None = None,
        not_modified: dt.datetime | None = None,
    ) -> SourceResult:
        """The result, after the history had its say (persistence policy, changes)."""
        now = self.clock()
        status, reason, history = verdict.status, verdict.reason, None
        if self.history is not None:
            status, reason, history = apply_policy(
                status,
                reason,
                history=past,
                now=now,
                inspection=inspection,
                fetch=fetch,
                not_modified=not_modified,
                min_runs=self.options.dead_after_runs,
                min_days=self.options.dead_after_days,
            )
        return SourceResult(
            source=source,
            status=status,
            reason=reason,
            checked_at=now,
            fetch=replace(fetch, body=b""),
            inspection=inspection,
            title=evidence,
            probe=probe,
            new_url=verdict.new_url if status is verdict.status else None,
            history=history,
        )

    async def _probe(self, url: str, fetch: FetchResult) -> Probe:
        """Fetch a random sibling of ``url`` (once per directory and extension) and judge."""
        token = "factlinks-probe-" + secrets.token_hex(6)
        sibling = sibling_url(url, token)
        key = sibling.replace(token, "*")
        future = self._probes.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._probes[key] = future
            try:
                future.set_result(await self.fetcher.fetch(sibling, retries=False))
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning
                raise
        return judge_probe(fetch, await asyncio.shield(future))
