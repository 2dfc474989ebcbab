"""Parsing off the event loop: worker processes with a time and memory limit per document.

The default :class:`WorkerPool` runs ``python -m factlinks._inspect.worker`` processes (as many
as there are cores, started when first needed) and talks to them over pipes. A document that
takes longer than ``parse_timeout`` gets its worker killed and replaced; one that needs more
resident memory than ``parse_memory`` ends its worker by itself. Either way the document is reported
as unverifiable and the run goes on. Our own processes, not ``multiprocessing``, so the
caller's ``__main__`` is never re-imported and a library user needs no ``__main__`` guard.

The same bytes (with the same expected title) are parsed only once per run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from ._inspect import ParseRequest, sniff_format
from ._inspect.worker import READY, died, frame
from ._memo import Memo
from ._models import FetchResult, Inspection, Problem, ProblemKind, TitleEvidence
from ._options import CheckOptions
from ._text import clean_evidence, clean_inspection

__all__ = ["Parsed", "Parser"]

_WORKER_MODULE = "factlinks._inspect.worker"
Outcome = tuple[Inspection, TitleEvidence | None] | Problem
"""A parse result, or the reason there is none."""
_HEADER_SIZE = 4
_START_TIMEOUT = 60.0


class WorkerStartError(Exception):
    """A parse worker did not come up (its document is reported, the run goes on)."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """What parsing one body gave."""

    inspection: Inspection
    evidence: TitleEvidence | None


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, memory: int) -> _Worker:
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            _WORKER_MODULE,
            str(memory),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        worker = cls(process)
        # Start-up (imports) is not charged to the first document's time limit.
        try:
            ready = await asyncio.wait_for(worker.read(), _START_TIMEOUT)
        except TimeoutError:
            ready = None
        if ready != READY:
            await worker.stop(kill=True)
            raise WorkerStartError("the parse worker did not start")
        return worker

    async def read(self) -> bytes | None:
        """One answer frame, or ``None`` when the worker is gone."""
        stdout = self.process.stdout
        assert stdout is not None
        try:
            header = await stdout.readexactly(_HEADER_SIZE)
            return await stdout.readexactly(int.from_bytes(header, "big"))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def call(self, payload: bytes) -> bytes | None:
        """Send one request and wait for the answer; ``None`` when the worker died."""
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(frame(payload))
            await stdin.drain()
        except ConnectionError:
            return None
        return await self.read()

    async def stop(self, *, kill: bool = False) -> None:
        """End the worker: close its input (or kill it) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            if kill:
                self.process.kill()
            elif self.process.stdin is not None:
                self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


class WorkerPool:
    """Up to ``size`` worker processes; each document gets ``timeout`` seconds."""

    def __init__(self, size: int, timeout: float, memory: int) -> None:
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._timeout = timeout
        self._memory = memory

    async def run(self, request: ParseRequest) -> Outcome:
        """Parse in a worker: the result, or why there is none."""
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        async with self._slots:
            try:
                worker = self._idle.pop() if self._idle else await self._start()
            except WorkerStartError as exc:
                return Problem(ProblemKind.PARSER_DIED, str(exc))
            try:
                answer = await asyncio.wait_for(worker.call(payload), self._timeout)
            except TimeoutError:
                await self._retire(worker, kill=True)
                return Problem(
                    ProblemKind.PARSE_TIMEOUT, f"parsing took longer than {self._timeout:g} s"
                )
            except BaseException:
                await self._retire(worker, kill=True)
                raise
            if answer is None:
                await self._retire(worker, kill=True)
                why = died(worker.process.returncode, self._memory)
                return Problem(ProblemKind.PARSER_DIED, why)
            self._idle.append(worker)
        status, value = pickle.loads(answer)
        if status == "ok":
            inspection, evidence = value
            return (inspection, evidence)
        return Problem(ProblemKind.UNPARSABLE, f"the document cannot be parsed ({value})")

    async def _start(self) -> _Worker:
        worker = await _Worker.start(self._memory)
        self._all.add(worker)
        return worker

    async def _retire(self, worker: _Worker, *, kill: bool) -> None:
        self._all.discard(worker)
        await worker.stop(kill=kill)

    async def aclose(self) -> None:
        """Stop every worker."""
        workers, self._all, self._idle = list(self._all), set(), []
        await asyncio.gather(*(w.stop() for w in workers))


class Parser:
    """Parses bodies for one run: in the worker pool, or in an executor the caller gave.

    Parameters:
        options: ``max_pages``, ``parse_timeout``, ``parse_memory``, ``parse_workers``.
        executor: if given, documents are parsed there instead (tests pass a thread pool).
    """

    def __init__(
        self, options: CheckOptions, executor: concurrent.futures.Executor | None = None
    ) -> None:
        self._options = options
        self._executor = executor
        self._pool: WorkerPool | None = None
        self._cache: Memo[tuple[bytes, str | None, str | None, bool], Parsed] = Memo()

    async def parse(self, fetch: FetchResult, title: str | None) -> Parsed:
        """Inspect ``fetch.body`` and look for ``title``; never raises for a bad document."""
        key = (hashlib.sha256(fetch.body).digest(), title, fetch.content_type, fetch.truncated)
        return await self._cache.once(key, lambda: self._parse(fetch, title))

    async def _parse(self, fetch: FetchResult, title: str | None) -> Parsed:
        options = self._options
        request = ParseRequest(
            fetch.body, fetch.content_type, fetch.truncated, title, options.max_pages
        )
        if self._executor is not None:
            outcome = await self._in_executor(self._executor, request)
        else:
            if self._pool is None:
                self._pool = WorkerPool(
                    options.parse_workers or os.cpu_count() or 1,
                    options.parse_timeout,
                    options.parse_memory,
                )
            outcome = await self._pool.run(request)
        if isinstance(outcome, tuple):
            # What a worker found in a document is web text: it enters the model here.
            inspection, evidence = outcome
            return Parsed(clean_inspection(inspection), clean_evidence(evidence))
        fmt = sniff_format(fetch.body, fetch.content_type)
        return Parsed(clean_inspection(Inspection(fmt, problem=outcome)), None)

    async def _in_executor(
        self, executor: concurrent.futures.Executor, request: ParseRequest
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(executor, request.run), self._options.parse_timeout
            )
        except TimeoutError:
            return Problem(
                ProblemKind.PARSE_TIMEOUT,
                f"parsing took longer than {self._options.parse_timeout:g} s",
            )
        except Exception as exc:
            return Problem(
                ProblemKind.UNPARSABLE,
                f"the document cannot be parsed ({type(exc).__name__}: {exc})"[:300],
            )

    async def aclose(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            await self._pool.aclose()
