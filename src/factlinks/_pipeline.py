"""The run: registry -> fetch -> inspect -> decide -> history -> report.

:func:`check_async` wires the stages. Sources are checked by a fixed number of workers (the
concurrency limit), never by an unbounded ``gather``; parsing runs in worker processes so
the event loop keeps fetching. The status of each source is decided by one pure function,
:func:`~factlinks._decide.decide`; the pipeline only fetches, inspects and records.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import os
import secrets
import traceback
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import httpx

from ._archive import ArchiveCache, ArchiveRescuer, InMemoryArchiveCache, make_service
from ._classify import is_site_root, judge_probe, sibling_url
from ._confirm import decide_with_proposal, looked_for, proposal_notes
from ._decide import Decision, Prior, decide, needs_parse
from ._doi.check import DoiChecker, contact_note
from ._doi.verdict import is_doi_url
from ._domains import registrable_domain
from ._errors import OfflineError, StateError
from ._fetch import Fetcher, make_client
from ._history import HistoryBackend, ResultRow, SourceHistory, StoredArchiveCache
from ._history.codec import encode_result
from ._hosts import HostTable
from ._inspect import sniff_format
from ._memo import Memo
from ._models import (
    DocFormat,
    DoiCheck,
    Failure,
    FailureKind,
    FetchResult,
    Inspection,
    Probe,
    Problem,
    ProblemKind,
    Report,
    Source,
    SourceResult,
    Status,
    TitleEvidence,
)
from ._options import CheckOptions
from ._parse import Parser
from ._persistence import conditional_headers, reuse_on_not_modified
from ._registry import Registry
from ._retry import Sleep
from ._robots import RobotsCache
from ._schedule import INTERNAL_ERROR, reused_result
from ._spool import ResultSpool
from ._text import MAX_DETAIL_CHARS, MAX_REASON_CHARS, clean_archive, clean_text
from ._version import __version__

__all__ = ["Runtime", "check", "check_async"]

Clock = Callable[[], dt.datetime]
ProgressHook = Callable[[SourceResult], None]
ReportHook = Callable[[Report], None]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a run depends on besides its options: passed in, never global.

    Every field has a default that suits a real run; tests pass a zero-wait ``sleep``, a
    fixed ``clock``, a thread-pool ``executor`` and ``strict=True``.

    Example::

        runtime = factlinks.Runtime(history=factlinks.open_history(".factlinks/state.db"))
        report = factlinks.check(registry, runtime=runtime)
    """

    client: httpx.AsyncClient | None = None
    """An ``httpx.AsyncClient`` to use (not closed by the run); by default one is made."""
    executor: concurrent.futures.Executor | None = None
    """Where documents are parsed; by default worker processes with time and memory limits."""
    sleep: Sleep = asyncio.sleep
    """The async sleep between retries."""
    clock: Clock = _utc_now
    """The wall clock (aware, UTC), for timestamps and ``Retry-After`` dates."""
    on_result: ProgressHook | None = None
    """Called with each result as it is ready (for progress displays)."""
    strict: bool = False
    """Re-raise unexpected exceptions instead of recording them as ``internal`` failures."""
    history: HistoryBackend | None = None
    """An open history: the schedule (which sources are due, :mod:`._schedule`), conditional
    requests, the persistence policy and change detection use it, and the run is recorded in
    it (unless the run finds the network offline)."""
    on_report: ReportHook | None = None
    """Called with the finished report *before* the run is recorded in the history; the CLI
    writes the report files here. If it raises, the run is not recorded and the exception
    propagates, so the history never holds a run whose reports were lost (and the next
    run's "new since last run" compares with a run somebody saw)."""
    spool_after: int = 5_000
    """A run of more sources than this keeps its results in a temporary file rather than in
    memory (the report's ``results`` is then a :class:`~factlinks.ResultStore` that reads
    each back when accessed): 100,000 sources take the memory of a few thousand."""
    environ: Mapping[str, str] | None = None
    """Where the values of the ``[[host]]`` headers are read from (each names a variable);
    ``None``: ``os.environ``."""


def check(
    sources: Iterable[Source],
    options: CheckOptions | None = None,
    runtime: Runtime | None = None,
) -> Report:
    """Check ``sources`` and return the report (a synchronous wrapper of :func:`check_async`).

    Example::

        registry = factlinks.load_sources("sources.toml")
        report = factlinks.check(registry)
        print(report.counts)

    The parameters are those of :func:`check_async`. Not for use inside a running event
    loop; there, ``await check_async(...)``.
    """
    reports: list[Report] = []

    async def run() -> None:
        # The report is handed out through ``reports``, not as the task's result: when
        # asyncio.run puts its SIGINT handler back, the signal module builds the repr of
        # the old handler, whose main task would then show its result: every source, at
        # a cost that grows with the list.
        reports.append(await check_async(sources, options, runtime))

    asyncio.run(run())
    return reports[0]


async def check_async(
    sources: Iterable[Source],
    options: CheckOptions | None = None,
    runtime: Runtime | None = None,
) -> Report:
    """Check ``sources`` and return the report.

    Parameters:
        sources: the sources, e.g. a :class:`Registry` from :func:`load_sources`.
        options: the run's options; by default the registry's ``[settings]`` over the defaults.
        runtime: the run's dependencies (client, executor, sleep, clock, progress hook,
            strictness, history); see :class:`Runtime`.

    Raises:
        OfflineError: no host answered at all; nothing can be said about the citations,
            and nothing is recorded.
        StateError: the history cannot be read or the run cannot be recorded (the message
            names the cause: disk full, read-only, I/O error, locked, corrupt).

    The order at the end of a run is fixed: the report is built, ``runtime.on_report`` is
    called (if given), and only then is the run recorded in ``runtime.history`` (if given),
    in one transaction. Anything that raises before the record leaves the history as it was.
    """
    runtime = runtime or Runtime()
    source_list = sources if isinstance(sources, Sequence) else list(sources)
    if options is None:
        options = sources.options() if isinstance(sources, Registry) else CheckOptions()
    registry_path = sources.path if isinstance(sources, Registry) else None
    registry_notes = sources.notes if isinstance(sources, Registry) else ()
    started = runtime.clock()
    # Before anything opens: a header whose variable is unset stops the run (OptionsError).
    hosts = HostTable(options.hosts, os.environ if runtime.environ is None else runtime.environ)
    http = runtime.client if runtime.client is not None else make_client(options)
    parser = Parser(options, runtime.executor)
    fetcher = Fetcher(http, options, sleep=runtime.sleep, clock=runtime.clock, hosts=hosts)
    run = _Run(options, runtime, fetcher, parser, _rescuer(options, runtime, fetcher, parser))
    try:
        checked = await _check_all(run, source_list, runtime.on_result)
        final = checked.results()
        notes = (
            *registry_notes,
            *await _network_notes(checked.tally, options, fetcher),
            *proposal_notes(checked.tally.proposals),
            *contact_note(checked.tally.dois, options),
        )
    finally:
        await parser.aclose()
        if runtime.client is None:
            await http.aclose()
    report = Report(
        results=final,
        started_at=started,
        finished_at=runtime.clock(),
        tool_version=__version__,
        fail_on=options.fail_on,
        registry=registry_path,
        notes=notes,
    )
    if runtime.on_report is not None:
        runtime.on_report(report)
    if runtime.history is not None:
        _record(runtime.history, report, checked.rows())
    return report


def _rescuer(
    options: CheckOptions, runtime: Runtime, fetcher: Fetcher, parser: Parser
) -> ArchiveRescuer | None:
    """The archive rescue of dead and drifted sources, when archive look-ups are on."""
    if options.archive_api is None:
        return None
    history = runtime.history
    cache: ArchiveCache = (
        StoredArchiveCache(history, options.archive_api)
        if history is not None
        else InMemoryArchiveCache()
    )

    async def verify(answer: FetchResult, title: str | None) -> TitleEvidence | None:
        return (await parser.parse(answer, title)).evidence

    service = make_service(options, fetch=fetcher.fetch, cache=cache)
    if service is None:
        return None
    return ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)


@dataclass(frozen=True, slots=True)
class _Checked:
    """One source's result and what the history knew of it before (for the record)."""

    result: SourceResult
    past: SourceHistory | None


@dataclass(slots=True)
class _Tally:
    """What the run's notes need of all results, gathered as they come in."""

    answered: bool = False
    """Some source got an HTTP answer, or failed for another reason than no network."""
    failed: list[tuple[str, Failure]] = field(default_factory=list)
    """(host, failure) of every fetch, while none answered."""
    settled: list[tuple[int, SourceResult]] = field(default_factory=list)
    """(registry index, result) of the results that settled a proposed title."""
    dois: int = 0
    """How many sources the DOI system was asked about."""
    witnesses: dict[str, Source] = field(default_factory=dict)
    """Up to :data:`_WITNESSES` sources whose ``ok`` verdict was reused, by registrable
    domain (:func:`_witnesses`)."""

    @property
    def proposals(self) -> list[SourceResult]:
        """The results that settled a proposed title, in registry order."""
        return [result for _, result in sorted(self.settled, key=lambda item: item[0])]

    def add(self, index: int, result: SourceResult) -> None:
        if result.proposal is not None:
            self.settled.append((index, result))
        self.dois += result.doi_check is not None
        reusable = result.reused is not None and result.status is Status.OK
        if reusable and len(self.witnesses) < _WITNESSES:
            source = result.source
            self.witnesses.setdefault(registrable_domain(source.host), source)
        if result.fetch is None or self.answered:
            return
        failure = result.fetch.failure
        if failure is None or not failure.kind.is_offline_sign:
            self.answered = True
            self.failed.clear()
        else:
            self.failed.append((result.source.host, failure))


class _Collected:
    """The results of a run as they come in: in memory, or for a large run in a spool."""

    def __init__(self, size: int, spool: bool) -> None:
        self.tally = _Tally()
        self._spool = ResultSpool(size) if spool else None
        self._items: list[_Checked | None] = [] if spool else [None] * size

    def put(self, index: int, item: _Checked) -> None:
        self.tally.add(index, item.result)
        if self._spool is None:
            self._items[index] = item
        else:
            self._spool.put(index, item.result, _row(item))

    def results(self) -> Sequence[SourceResult]:
        if self._spool is not None:
            return self._spool
        return tuple(item.result for item in self._items if item is not None)

    def rows(self) -> Iterator[ResultRow]:
        """The history rows of the run (skipped sources are not part of it)."""
        if self._spool is not None:
            yield from self._spool.rows()
            return
        for item in self._items:
            row = None if item is None else _row(item)
            if row is not None:
                yield row


def _row(item: _Checked) -> ResultRow | None:
    """The history row of ``item``; none for a skipped source or a reused verdict (the
    history holds real checks only)."""
    if item.result.status is Status.SKIPPED or item.result.reused is not None:
        return None
    return encode_result(item.result, item.past or SourceHistory())


async def _check_all(
    run: _Run, sources: Sequence[Source], on_result: ProgressHook | None
) -> _Collected:
    """Check ``concurrency`` sources at a time; results in registry order.

    A worker checks a source in a turn of the fetcher's (:meth:`Fetcher.turn`): there are
    more workers than turns, so a source whose retry waits lends its turn to the next one.
    """
    checked = _Collected(len(sources), spool=len(sources) > run.runtime.spool_after)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in _interleaved_by_host(sources):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            async with run.fetcher.turn():
                if queue.empty():
                    return
                index = queue.get_nowait()
                item = await run.check_one(sources[index])
                checked.put(index, item)
            if on_result is not None:
                on_result(item.result)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(run.fetcher.workers, max(1, len(sources)))):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        # The first worker's failure (strict mode, or an on_result callback that raised)
        # cancels the others; the caller gets that exception, not a group of one.
        raise group_error.exceptions[0] from None
    return checked


def _record(history: HistoryBackend, report: Report, rows: Iterable[ResultRow]) -> None:
    """Record the run in the history."""
    history.record_run(
        started_at=report.started_at,
        finished_at=report.finished_at,
        tool_version=report.tool_version,
        registry=report.registry,
        rows=rows,
    )


def _interleaved_by_host(sources: Iterable[Source]) -> Iterator[int]:
    """Source indices in round-robin order over their hosts.

    A registry is often sorted by host; checked in that order, every worker would queue on
    the same host's few slots while the other hosts sit idle. The indices are kept as
    arrays (8 bytes a source), not lists of Python ints.
    """
    by_host: dict[str, array[int]] = {}
    for index, source in enumerate(sources):
        by_host.setdefault(source.host, array("q")).append(index)
    columns = list(by_host.values())
    for row in range(max(map(len, columns), default=0)):
        for column in columns:
            if row < len(column):
                yield column[row]


async def _network_notes(tally: _Tally, options: CheckOptions, fetcher: Fetcher) -> tuple[str, ...]:
    """Stop when no source got any HTTP answer and every failure says "no network".

    "No such host" counts: a machine without DNS upstream (or behind filtering DNS) gets it
    for every name. Sources on at least ``offline_min_hosts`` registrable domains must have
    failed, so that a registry of two expired domains among live ones is still a report.
    With fewer domains the run needs a second signal: the ``canary_url`` if one is set
    (it fails too: offline; it answers: the hosts are down), else the kind of failure
    (resolvers that do not answer point at this machine). When neither tells, the report
    says so in a note. When the schedule reused verdicts, a few of the reused ``ok`` sources
    are asked too (:func:`_witnesses`) and count like the checked ones.

    Raises:
        OfflineError: the machine is offline; nothing is reported or recorded.
    """
    if tally.answered or not tally.failed:
        return ()
    witnesses = await _witnesses(tally, fetcher)
    if any(failure is None or not failure.kind.is_offline_sign for _, failure in witnesses):
        return ()  # a source verified before got through: online, the failing hosts are down
    fetched: list[tuple[str, Failure | None]] = [*tally.failed, *witnesses]
    failures = [failure for _, failure in fetched if failure is not None]
    hosts = {host for host, _ in fetched}
    domains = {registrable_domain(host) for host in hosts}
    kinds = sorted({f.kind.value for f in failures})
    seen = (
        f"{len(failures)} source{'s' if len(failures) != 1 else ''} on {len(hosts)} "
        f"host{'s' if len(hosts) != 1 else ''} in {len(domains)} "
        f"domain{'s' if len(domains) != 1 else ''} failed: {', '.join(kinds)}"
    )
    if len(domains) >= options.offline_min_hosts:
        raise OfflineError(f"no source could be reached: is this machine online? ({seen})")
    return await _second_signal(options, fetcher, seen, kinds)


async def _witnesses(tally: _Tally, fetcher: Fetcher) -> list[tuple[str, Failure | None]]:
    """A few sources whose ``ok`` verdict was reused (not due), fetched now, one per domain.

    When the schedule (:mod:`._schedule`) left only sources that failed before to be checked,
    their failing again says nothing of this machine's network; sources that answered last
    time do. Without them, an offline night would count towards ``dead``.
    """
    return [
        (source.host, (await fetcher.fetch(source.url, retries=False)).failure)
        for source in tally.witnesses.values()
    ]


_WITNESSES = 3
"""How many reused ``ok`` sources (on as many domains) are asked when every checked one
failed at the network level."""


async def _second_signal(
    options: CheckOptions, fetcher: Fetcher, seen: str, kinds: list[str]
) -> tuple[str, ...]:
    """Offline or not, for a run whose sources are all on one domain; see _network_notes."""
    if options.canary_url is not None:
        canary = await fetcher.fetch(options.canary_url, retries=False)
        if canary.failure is None:
            return (
                f"No source could be reached ({seen}), but the canary {options.canary_url} "
                "answered: this machine is online, so the hosts are down.",
            )
        if canary.failure.kind.is_offline_sign:
            raise OfflineError(
                f"no source could be reached and the canary {options.canary_url} failed too "
                f"({canary.failure.detail}): is this machine online? ({seen})"
            )
        return (
            f"No source could be reached ({seen}), and the canary {options.canary_url} "
            f"failed for another reason ({canary.failure.detail}): factlinks could not tell "
            "whether this machine is offline.",
        )
    if kinds == [FailureKind.DNS.value]:
        raise OfflineError(
            f"no source could be reached and no DNS server answered: is this machine online? "
            f"({seen})"
        )
    return (
        f"No source could be reached ({seen}). With every source on one domain, factlinks "
        "could not tell whether this machine is offline or the host is down; set "
        "canary_url in [settings] (or --canary-url) to a page that is always up to tell.",
    )


class _Run:
    """What the workers share for one run: options, fetcher, parser, rescuer, probe cache."""

    def __init__(
        self,
        options: CheckOptions,
        runtime: Runtime,
        fetcher: Fetcher,
        parser: Parser,
        rescuer: ArchiveRescuer | None,
    ) -> None:
        self.options = options
        self.runtime = runtime
        self.fetcher = fetcher
        self.parser = parser
        self.rescuer = rescuer
        self.dois = DoiChecker(fetcher.fetch, options.doi_resolver)
        self.robots = RobotsCache(fetcher.fetch)
        self._probes: Memo[str, FetchResult] = Memo()

    async def check_one(self, source: Source) -> _Checked:
        """Check one source; an unexpected exception becomes an ``internal`` failure."""
        if source.skip is not None:
            return self._skipped(source, f"Skipped: {source.skip}.")
        if self.options.only is not None and source.id not in self.options.only:
            return self._skipped(source, "Skipped: not selected by --only.")
        past: SourceHistory | None = None
        try:
            configured = await self._configured_skip(source)
            if configured is not None:
                return self._skipped(source, configured)
            if self.runtime.history is not None:
                past = self.runtime.history.history(source.id, source.url)
                reused = reused_result(source, past, self.options, now=self.runtime.clock())
                if reused is not None:  # not due: its last verdict stands (_schedule)
                    return _Checked(reused, past)
            result = await self._check(source, past)
            return _Checked(await self._rescue(result, past), past)
        except StateError:
            raise  # the history failed (disk full, corrupt): the run's problem, not the source's
        except Exception as exc:
            if self.runtime.strict:
                raise
            return _Checked(self._internal_error(source, exc), past)

    async def _configured_skip(self, source: Source) -> str | None:
        """Why the configuration skips ``source``: ``exclude``, or its host's ``skip`` or
        ``robots.txt`` (asked only when the host's table says ``robots = true``)."""
        pattern = self.options.excluded_by(source.url)
        if pattern is not None:
            return f"Skipped: the URL matches {pattern!r} of [settings] exclude."
        rule = self.fetcher.hosts.rule_for(source.url)
        if rule is None:
            return None
        if rule.skip is not None:
            return f"Skipped: {rule.skip} ([[host]] {rule.match!r})."
        if rule.robots:
            agent = rule.user_agent or self.options.request_user_agent
            forbidden = await self.robots.forbids(source.url, agent)
            if forbidden is not None:
                return f"Skipped: {forbidden}."
        return None

    def _internal_error(self, source: Source, exc: Exception) -> SourceResult:
        """A bug met while checking ``source``, recorded as a value so the run goes on."""
        detail = clean_text(f"{type(exc).__name__}: {exc}", MAX_DETAIL_CHARS)  # may quote the web
        return SourceResult(
            source=source,
            status=Status.UNVERIFIABLE,
            reason=f"{INTERNAL_ERROR}{detail}",
            checked_at=self.runtime.clock(),
            error=Failure(
                FailureKind.INTERNAL,
                detail,
                clean_text("".join(traceback.format_exception(exc)), 50_000, prose=False),
            ),
        )

    async def _rescue(self, result: SourceResult, past: SourceHistory | None) -> SourceResult:
        """Add an archive copy to a dead or drifted result (moved too, if asked)."""
        wanted = {Status.DEAD, Status.DRIFTED}
        if self.options.archive_moved:
            wanted.add(Status.MOVED)
        if self.rescuer is None or result.status not in wanted:
            return result
        since = past.first_seen if past is not None else None
        copy = clean_archive(await self.rescuer.rescue(result.source, since=since))
        return replace(result, archive=copy) if copy is not None else result

    def _skipped(self, source: Source, reason: str) -> _Checked:
        result = SourceResult(source, Status.SKIPPED, reason, checked_at=self.runtime.clock())
        return _Checked(result, None)

    async def _check(self, source: Source, past: SourceHistory | None) -> SourceResult:
        # The DOI system is asked while the landing page is fetched and read.
        asking = (
            None
            if source.doi is None
            else asyncio.ensure_future(self.dois.check(source.doi, source.title))
        )
        try:
            fetch, inspection, evidence = await self._landing(source, past)
            doi = None if asking is None else await asking
        finally:
            if asking is not None and not asking.done():
                asking.cancel()
            elif asking is not None and not asking.cancelled():
                asking.exception()  # retrieved, when the landing page's check raised first
        probe: Probe | None = None
        if fetch.ok and self._wants_probe(source, evidence, doi):
            probe = await self._probe(source.url, fetch)
        prior = (
            None
            if past is None
            else Prior(past, self.options.dead_after_runs, self.options.dead_after_days)
        )
        now = self.runtime.clock()
        decision, source, proposal = decide_with_proposal(
            source,
            fetch,
            inspection,
            evidence,
            probe,
            prior,
            now=now,
            decide=functools.partial(
                decide, doi=doi, accept=self.fetcher.hosts.accept_for(fetch.final_url)
            ),
        )
        result = _result(source, fetch, probe, decision, now)
        return replace(result, proposal=proposal, doi_check=doi)

    async def _landing(
        self, source: Source, past: SourceHistory | None
    ) -> tuple[FetchResult, Inspection | None, TitleEvidence | None]:
        """The cited URL fetched and, when it answered, read."""
        fetch = await self._fetch(source, past)
        if not fetch.ok:
            return fetch, None, None
        # A proposed title is looked for as the title; it spares no probe (_confirm).
        inspection, evidence = await self._inspect(looked_for(source), fetch)
        return fetch, inspection, evidence

    def _wants_probe(
        self, source: Source, evidence: TitleEvidence | None, doi: DoiCheck | None
    ) -> bool:
        """Whether a soft 404 must be ruled out: a deep link whose title was not found.

        A DOI the DOI system verified needs no probe, nor a DOI URL (the proxy's siblings are
        other DOIs: the handle API says whether this one is registered).
        """
        if not self.options.probe_soft_404 or is_site_root(source.url):
            return False
        if source.title is not None and evidence is not None and evidence.matched:
            return False
        return not (doi is not None and (doi.verified or is_doi_url(source)))

    async def _fetch(self, source: Source, past: SourceHistory | None) -> FetchResult:
        """GET the source, conditionally when the last check was good."""
        # A pending proposed title needs the document: no 304 for it.
        pending = source.proposed_title is not None
        validators = conditional_headers(past) if past is not None and not pending else {}
        fetch = await self.fetcher.fetch(source.url, headers=validators or None)
        if (
            fetch.status_code == 304
            and validators
            and reuse_on_not_modified(fetch, past or SourceHistory()) is None
        ):
            # Not modified, but not the page verified last time (the redirects changed):
            # ask again, unconditionally.
            fetch = await self.fetcher.fetch(source.url)
        return fetch

    async def _inspect(
        self, source: Source, fetch: FetchResult
    ) -> tuple[Inspection, TitleEvidence | None]:
        """What the body is and, when there is a title to look for, where it is."""
        if fetch.undecodable is not None:
            problem = Problem(ProblemKind.UNDECODABLE, fetch.undecodable)
            return Inspection(DocFormat.OTHER, problem=problem), None
        fmt = sniff_format(fetch.body, fetch.content_type)
        if not needs_parse(source, fmt):
            return Inspection(fmt), None
        parsed = await self.parser.parse(fetch, source.title)
        return parsed.inspection, parsed.evidence

    async def _probe(self, url: str, fetch: FetchResult) -> Probe:
        """Fetch a random sibling of ``url`` (once per directory and extension) and judge."""
        token = "factlinks-probe-" + secrets.token_hex(6)
        sibling = sibling_url(url, token)
        key = sibling.replace(token, "*")
        answer = await self._probes.once(key, lambda: self.fetcher.fetch(sibling, retries=False))
        return judge_probe(fetch, answer)


def _result(
    source: Source, fetch: FetchResult, probe: Probe | None, decision: Decision, now: dt.datetime
) -> SourceResult:
    return SourceResult(
        source=source,
        status=decision.status,
        reason=clean_text(decision.reason, MAX_REASON_CHARS),  # quotes URLs and titles
        checked_at=now,
        fetch=replace(fetch, body=b""),
        inspection=decision.inspection,
        title=decision.evidence,
        probe=probe,
        new_url=decision.new_url,
        history=decision.history,
    )
