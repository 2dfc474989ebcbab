"""Parsing in worker processes: limits per document, crash isolation, no repeated parsing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from factlinks import CheckOptions, FetchResult, Problem, ProblemKind
from factlinks._inspect import ParseRequest
from factlinks._parse import Parsed, Parser
from pdfgen import make_pdf

TITLE = "Jahresbericht der Beispielstiftung 2021"


def pdf_fetch(body: bytes) -> FetchResult:
    url = "https://docs.example.org/report.pdf"
    return FetchResult(
        url=url, final_url=url, status_code=200, body=body, content_type="application/pdf"
    )


def parse_all(options: CheckOptions, bodies: list[bytes], title: str = TITLE) -> list[Parsed]:
    async def go() -> list[Parsed]:
        parser = Parser(options)
        try:
            return [await parser.parse(pdf_fetch(body), title) for body in bodies]
        finally:
            await parser.aclose()

    return asyncio.run(go())


def test_worker_process_parses_and_is_reused() -> None:
    first, second = parse_all(
        CheckOptions(parse_workers=1),
        [make_pdf([TITLE]), make_pdf(["Anderer Bericht 2022"])],
    )
    assert first.evidence is not None
    assert first.evidence.matched
    assert first.evidence.where == "page 1"
    assert second.evidence is not None
    assert not second.evidence.matched
    assert second.inspection.problem is None


def test_a_document_over_the_time_limit_is_unverifiable_and_the_next_one_parses() -> None:
    slow, after = parse_all(
        CheckOptions(parse_workers=1, parse_timeout=0.001), [make_pdf([TITLE])] * 1
    ) + parse_all(CheckOptions(parse_workers=1), [make_pdf([TITLE])])
    assert slow.evidence is None
    assert slow.inspection.problem == Problem(
        ProblemKind.PARSE_TIMEOUT, "parsing took longer than 0.001 s"
    )
    assert after.evidence is not None
    assert after.evidence.matched


def test_a_document_over_the_memory_limit_kills_only_its_worker() -> None:
    balloon = b"%PDF-1.4\n" + b"0" * (192 * 1024 * 1024)
    options = CheckOptions(parse_workers=1, parse_memory=128 * 1024 * 1024)
    dead, alive = parse_all(options, [balloon, make_pdf([TITLE])])
    assert dead.evidence is None
    assert dead.inspection.problem is not None
    assert dead.inspection.problem.kind is ProblemKind.PARSER_DIED
    assert "memory" in dead.inspection.problem.detail
    assert alive.evidence is not None
    assert alive.evidence.matched


def test_memory_allocated_outside_python_is_watched_too() -> None:
    """PDFium inflates a content stream in C, where no MemoryError is raised: the worker's
    memory watch ends it at the resident limit, long before the stream's 1 GiB, and says so."""
    from hostile_farm import pdf_flate_bomb

    options = CheckOptions(parse_workers=1, parse_memory=256 * 1024**2)
    dead, alive = parse_all(options, [pdf_flate_bomb(TITLE), make_pdf([TITLE])])
    problem = dead.inspection.problem
    assert problem is not None
    assert problem.kind is ProblemKind.PARSER_DIED
    # Usually the watch ends the worker ("needs more than 256 MiB"); on a loaded machine the
    # address-space cap (256 MiB + 1 GiB) can stop PDFium's next doubling of its buffer first.
    assert problem.detail in (
        "the document needs more than 256 MiB of memory to parse",
        "the parser died on this document (too much memory?)",
    )
    assert alive.evidence is not None
    assert alive.evidence.matched


def test_the_same_bytes_are_parsed_once_per_run() -> None:
    calls: list[ParseRequest] = []

    class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(fn.__self__)
            return super().submit(fn, *args, **kwargs)

    body = make_pdf([TITLE])

    async def go() -> list[Parsed]:
        with CountingExecutor(max_workers=2) as pool:
            parser = Parser(CheckOptions(), pool)
            together = await asyncio.gather(*(parser.parse(pdf_fetch(body), TITLE) for _ in "ab"))
            again = await parser.parse(pdf_fetch(body), TITLE)
            other_title = await parser.parse(pdf_fetch(body), "Ganz anderer Titel")
            return [*together, again, other_title]

    results = asyncio.run(go())
    assert len(calls) == 2  # one per (bytes, title)
    assert results[0] == results[1] == results[2]
    assert results[3].evidence is not None
    assert not results[3].evidence.matched


@pytest.mark.integration
def test_a_library_script_needs_no_main_guard(tmp_path: Path) -> None:
    """Parse workers are our own processes: the caller's script is never re-imported."""
    tests = Path(__file__).resolve().parent
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(tests)!r})
            from farm import Host, Reply
            from pdfgen import make_pdf
            import factlinks

            print("script body ran")
            with Host("docs.example.org", {{"/r.pdf": Reply.pdf(make_pdf([{TITLE!r}]))}}) as host:
                url = "https://docs.example.org/r.pdf"
                source = factlinks.Source(id="r", url=url, title={TITLE!r}, kind="pdf")
                options = factlinks.CheckOptions(remap=(factlinks.Remap.parse(host.remap_rule()),))
                report = factlinks.check([source], options)
            print(report.results[0].status)
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["script", "body", "ran", "ok"]


@pytest.mark.integration
def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    """A worker whose parent died (SIGKILL: no clean-up) ends by itself."""
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, os, signal
            from factlinks import CheckOptions
            from factlinks._parse import WorkerPool

            async def main():
                pool = WorkerPool(1, 30, 0)
                worker = await pool._start()
                print(worker.process.pid, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)

            asyncio.run(main())
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    worker_pid = int(proc.stdout.split()[0])
    for _ in range(100):  # the worker checks on its parent every second
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker_pid, signal.SIGKILL)
        pytest.fail("the orphaned worker was still running after 10 s")


@pytest.mark.integration
def test_a_hostile_pdf_cannot_stall_the_run(tmp_path: Path) -> None:
    """A PDF that keeps pypdf busy is cut off at parse_timeout; the other sources go on."""
    import factlinks
    from farm import Farm, Reply
    from pdfgen import make_slow_pdf

    slow = make_slow_pdf(400_000, n_pages=5)
    assert len(slow) < 100_000  # small on the wire, seconds of work per page
    with Farm() as farm:
        host = farm.add_host(
            "docs.example.org",
            {
                "/slow.pdf": Reply.pdf(slow),
                "/good.pdf": Reply.pdf(make_pdf([TITLE])),
            },
        )
        sources = [
            factlinks.Source(id=name, url=f"https://docs.example.org/{name}.pdf", title=TITLE)
            for name in ("slow", "good")
        ]
        options = CheckOptions(
            parse_timeout=1.0,
            parse_workers=1,
            remap=(factlinks.Remap.parse(host.remap_rule()),),
        )
        report = factlinks.check(sources, options)
    slow_result, good_result = report.results
    assert slow_result.status is factlinks.Status.UNVERIFIABLE
    assert "parsing took longer than 1 s" in slow_result.reason
    assert good_result.status is factlinks.Status.OK
