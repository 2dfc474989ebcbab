"""One ``factlinks check`` over the hostile farm (tests/hostile_farm.py), issue 9 point 8.

The run is a subprocess (``tests/hostile_run.py``) so that its process tree can be measured
on its own and an audit hook can watch (and refuse) every connection it tries. The
invariants are the issue's acceptance:

- every source appears in every report (json, md, junit, html);
- the run ends within :func:`time_bound`, derived from the documented limits;
- the process tree peaks under 1 GiB (sampled from /proc by tests/rss.py, as the benchmarks do);
- no connection to a link-local or cloud-metadata address is even attempted;
- no local file leaks (a canary token referenced by the XXE and file: cases);
- all four formats are valid, and no payload is active in the HTML report (Chromium) or
  the Markdown report (markdown-it-py), no control character reaches any report;
- each case gets the status the contract defines for it, where it defines one.
"""

from __future__ import annotations

import html.parser
import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from factlinks import RetryPolicy, load_report
from factlinks._options import CheckOptions
from hostile_farm import Case, HostileFarm, cases, forbidden, running
from rss import TreeSampler

pytestmark = [pytest.mark.hostile, pytest.mark.integration]

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 5.0
MAX_BYTES = 5_000_000
FORMATS = ("json", "md", "html", "junit")
MEMORY_LIMIT = 2**30
"""The process tree's peak RSS must stay under 1 GiB (issue 9, point 2)."""
ADDRESS_SPACE = 3 * 2**30
"""A safety net for the machine, not an invariant: the run's main process may not map more
than this (a stacked bomb on main fails with MemoryError instead of eating the machine)."""
FIELD_LIMIT = 256 * 1024
"""No text field of report.json may be longer (issue 9, point 1: every field bounded)."""
MARKDOWN_LIMIT = 2**20
"""report.md must fit GitHub's job summary (1 MiB)."""
LIGHT_PARSE = 1.0
"""Seconds allowed to parse a small document (they take milliseconds when idle)."""
FILE_NAMES = {
    "json": "report.json",
    "md": "report.md",
    "html": "report.html",
    "junit": "report.junit.xml",
}


def time_bound(selected: list[Case]) -> float:
    """The longest one run over ``selected`` may take, from the documented limits.

    - ``--concurrency`` is set to the number of sources and every case has a host of its
      own, so no source waits for a global or per-host slot: all start at once.
    - Fetching one source: ``attempts`` requests, each bounded by ``--timeout`` (the whole
      request, redirects and body included), plus the waits in between: the exponential
      backoff ``min(max_wait, initial_wait * 2**k) + jitter``. A ``Retry-After`` is honoured
      up to ``retry_after_cap``; the farm asks for none within the cap, and one above it
      ends the retries at once.
    - The soft-404 probe: one more request, without retries (one ``--timeout``).
    - Parsing: every document gets at most ``parse_timeout`` in one of ``W`` worker
      processes (``W`` = cores), and the documents queue on them. The ``H`` heavy cases
      (megabytes, or made to be slow) may each use the whole ``parse_timeout``:
      ``ceil(H / W) * parse_timeout``. Every other case is a body of at most a few dozen KB,
      allowed :data:`LIGHT_PARSE` seconds: ``ceil(L / W) * LIGHT_PARSE``.
    - Start-up of the interpreter and of the parse workers, and writing four reports: a
      fixed allowance of 30 s on this loaded machine.
    """
    policy = RetryPolicy()  # the CLI passes none, so these are the run's values
    waits = sum(
        min(policy.max_wait, policy.initial_wait * 2**k) + policy.jitter
        for k in range(policy.attempts - 1)
    )
    fetch = policy.attempts * TIMEOUT + waits
    probe = TIMEOUT
    workers = os.cpu_count() or 1
    heavy = sum(1 for case in selected if case.heavy)
    light = len(selected) - heavy
    parse = math.ceil(heavy / workers) * CheckOptions().parse_timeout
    parse += math.ceil(light / workers) * LIGHT_PARSE
    return 30.0 + fetch + probe + parse


@dataclass
class Run:
    """One ``factlinks check`` over a set of cases, and what was seen of it."""

    selected: list[Case]
    farm: HostileFarm
    out: Path
    state: Path
    returncode: int
    wall: float
    bound: float
    peak_rss: int
    stderr: str
    audit: list[dict[str, Any]]
    killed: str | None = None
    """Why the run was stopped before it ended (an invariant was already broken)."""
    reports: dict[str, bytes] = field(default_factory=dict)

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        data = json.loads(self.reports["json"])
        return {entry["id"]: entry for entry in data["sources"]}


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _watch(proc: subprocess.Popen[bytes], sampler: Any, started: float, bound: float) -> str | None:
    """Wait for the run; stop it (and its workers) as soon as it breaks the time or memory
    bound, since nothing it does after that can make it pass (and the machine is shared)."""
    why = None
    while proc.poll() is None:
        if sampler.peak_bytes >= MEMORY_LIMIT:
            why = f"stopped: the process tree passed {MEMORY_LIMIT / 2**20:.0f} MiB"
        elif time.monotonic() - started > bound:
            why = f"stopped: still running after its bound of {bound:.1f} s"
        if why is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.1)
    return why


def check_farm(folder: Path, farm: HostileFarm, *, only: list[str] | None = None) -> Run:
    """Run ``factlinks check`` (all four formats, --state) over ``farm``'s cases."""
    selected = farm.cases
    registry = farm.write_registry(folder / "sources.toml")
    out, state, audit = folder / "report", folder / "state.db", folder / "audit.jsonl"
    command = [sys.executable, str(REPO / "tests/hostile_run.py"), str(audit), "--"]
    command += ["check", str(registry), "--out", str(out), "--format", ",".join(FORMATS)]
    command += ["--state", str(state), "--timeout", f"{TIMEOUT:g}"]
    command += ["--max-bytes", str(MAX_BYTES), "--concurrency", str(len(selected) + 2)]
    command += ["--no-archive", "-v", *farm.remap]
    for source_id in only or ():
        command += ["--only", source_id]
    env = dict(os.environ, SSL_CERT_FILE=str(farm.context.certs.ca_file))
    env.pop("SSL_CERT_DIR", None)
    bound = time_bound(selected)
    with (folder / "stderr.txt").open("w+", encoding="utf-8", errors="replace") as errors:
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            preexec_fn=_limit_address_space,
            start_new_session=True,  # its own process group: the parse workers die with it
        )
        sampler = TreeSampler(proc.pid, interval=0.05)
        sampler.start()
        killed = _watch(proc, sampler, started, bound)
        returncode = proc.returncode
        wall = time.monotonic() - started
        sampler.stop()
        errors.seek(0)
        stderr = errors.read()
    records = []
    if audit.exists():
        records = [json.loads(line) for line in audit.read_text().splitlines() if line]
    run = Run(
        selected,
        farm,
        out,
        state,
        returncode,
        wall,
        bound,
        sampler.peak_bytes,
        stderr,
        records,
        killed,
    )
    for fmt, name in FILE_NAMES.items():
        path = out / name
        if path.exists():
            run.reports[fmt] = path.read_bytes()
    return run


# -- the invariants ---------------------------------------------------------------------------

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _bad_characters(text: str) -> set[str]:
    """Control characters (but tab and newline), C1 controls and bidi overrides, surrogates."""
    bad = set()
    for ch in set(text):
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in "\t\n\r") or ch in _BIDI or category == "Cs":
            bad.add(f"U+{ord(ch):04X}")
    return bad


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_reports_complete(run: Run) -> list[str]:
    problems = [f"no {fmt} report" for fmt in FORMATS if fmt not in run.reports]
    if problems:
        return [*problems, f"exit code {run.returncode}; stderr: {run.stderr[-2000:]}"]
    ids = {case.id for case in run.selected}
    texts = {fmt: run.reports[fmt].decode("utf-8", "replace") for fmt in FORMATS}
    missing = {
        "json": ids - set(run.results),
        "md": {i for i in ids if f"`{i}`" not in texts["md"]},
        "junit": ids
        - {c.get("name") for c in ET.fromstring(run.reports["junit"]).iter("testcase")},
        "html": {i for i in ids if i not in _html_text(texts["html"])},
    }
    return [f"{fmt} report lacks {sorted(gone)}" for fmt, gone in missing.items() if gone]


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(document: str) -> str:
    parser = _Text()
    parser.feed(document)
    parser.close()
    return " ".join(parser.parts)


def check_formats_valid(run: Run) -> list[str]:
    problems = []
    schema = json.loads((REPO / "src/factlinks/report.schema.json").read_text(encoding="utf-8"))
    data = json.loads(run.reports["json"])
    try:
        jsonschema.validate(data, schema)
        load_report(run.out / "report.json")
    except Exception as exc:
        problems.append(f"report.json is not valid: {type(exc).__name__}: {str(exc)[:300]}")
    try:
        ET.fromstring(run.reports["junit"])
    except ET.ParseError as exc:
        problems.append(f"report.junit.xml does not parse: {exc}")
    for fmt in ("md", "html"):
        try:
            run.reports[fmt].decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"report {fmt} is not UTF-8: {exc}")
    _html_text(run.reports["html"].decode("utf-8", "replace"))
    return problems


def check_sanitised_text(run: Run) -> list[str]:
    """No control or bidi characters in report.md, .html, .junit.xml or on the terminal."""
    problems = []
    for fmt in ("md", "html", "junit"):
        bad = _bad_characters(run.reports[fmt].decode("utf-8", "replace"))
        if bad:
            problems.append(f"report {fmt} holds {sorted(bad)}")
    bad = _bad_characters(run.stderr)
    if bad:
        problems.append(f"the terminal output holds {sorted(bad)}")
    return problems


def check_sanitised(run: Run) -> list[str]:
    """No control or bidi characters in any report or on the terminal; fields bounded."""
    problems = check_sanitised_text(run)
    for source_id, entry in run.results.items():
        strings = list(_strings(entry))
        bad = set().union(*map(_bad_characters, strings))
        if bad:
            problems.append(f"report.json, {source_id}: {sorted(bad)}")
        longest = max(map(len, strings))
        if longest > FIELD_LIMIT:
            problems.append(f"report.json, {source_id}: a text of {longest} characters")
    if len(run.reports["md"]) > MARKDOWN_LIMIT:
        problems.append(f"report.md has {len(run.reports['md'])} bytes, more than 1 MiB")
    return problems


def check_limits(run: Run) -> list[str]:
    problems = [run.killed] if run.killed else []
    if run.returncode not in (0, 1):
        problems.append(f"exit code {run.returncode}: {run.stderr[-1500:]}")
    if run.wall > run.bound:
        problems.append(f"the run took {run.wall:.1f} s, more than its bound {run.bound:.1f} s")
    if run.peak_rss >= MEMORY_LIMIT:
        problems.append(f"the process tree peaked at {run.peak_rss / 2**20:.0f} MiB")
    for source_id, entry in run.results.items():
        elapsed = entry.get("elapsed_ms") or 0
        # The deadline of a request is --timeout; allow for an event loop late to notice
        # on a loaded machine (this is a sanity bound, not a timing measurement).
        if elapsed > 3 * TIMEOUT * 1000:
            problems.append(f"{source_id}: one request took {elapsed} ms (--timeout {TIMEOUT:g})")
        error = entry.get("error") or {}
        if error.get("kind") == "internal":
            problems.append(f"{source_id}: internal error {error.get('message', '')[:200]}")
    return problems


def check_network(run: Run) -> list[str]:
    hits = [r for r in run.audit if r["event"] == "connect" and forbidden(r["address"])]
    return [f"connection attempted to {r['address']}:{r['port']}" for r in hits]


def check_no_leak(run: Run) -> list[str]:
    token = run.farm.token.encode()
    places = {f"report {fmt}": data for fmt, data in run.reports.items()}
    places["the terminal"] = run.stderr.encode()
    if run.state.exists():
        places["the state database"] = run.state.read_bytes()
    return [
        f"the canary file's token is in {where}" for where, data in places.items() if token in data
    ]


def check_statuses(run: Run) -> list[str]:
    problems = []
    results = run.results
    for case in run.selected:
        entry = results.get(case.id)
        if entry is None:
            continue
        if case.expect is not None and entry["status"] not in case.expect:
            reason = entry.get("reason", "")[:160]
            problems.append(
                f"{case.id}: {entry['status']} ({reason!r}), "
                f"expected {'/'.join(sorted(case.expect))}"
            )
        if case.check is not None:
            complaint = case.check(entry, run.farm.context)
            if complaint:
                problems.append(f"{case.id}: {complaint}")
    return problems


def check_markdown_inert(run: Run) -> list[str]:
    """Rendered as CommonMark: no payload becomes HTML, a link, an image or a heading."""
    from markdown_it import MarkdownIt

    problems = []
    renderer = MarkdownIt("commonmark").enable("table")
    # markdown-it drops javascript: links by itself; a renderer that does not (or a payload
    # that gets past its filter) must still find no link to anything but http(s) here.
    renderer.validateLink = lambda url: True
    tokens = renderer.parse(run.reports["md"].decode("utf-8", "replace"))
    allowed_html = ("<details>", "</details>", "<summary>")

    def walk(items: list[Any], heading: bool = False) -> None:
        for token in items:
            if token.type == "heading_open":
                heading = True
            elif token.type == "heading_close":
                heading = False
            content = token.content or ""
            if token.type in ("html_inline", "html_block") and not content.strip().startswith(
                allowed_html
            ):
                problems.append(f"raw HTML in report.md: {content[:120]!r}")
            if token.type == "image":
                problems.append(f"an image in report.md: {token.attrs}")
            href = str(token.attrs.get("href", "")) if token.attrs else ""
            if token.type == "link_open" and not href.startswith(("http://", "https://")):
                problems.append(f"a link to {href[:120]!r} in report.md")
            if heading and "pwned" in content.lower() and token.type == "inline":
                problems.append(f"a payload became a heading: {content[:120]!r}")
            if token.children:
                walk(token.children, heading)

    walk(tokens)
    return problems


INVARIANTS = (
    check_reports_complete,
    check_formats_valid,
    check_limits,
    check_network,
    check_no_leak,
    check_sanitised,
    check_markdown_inert,
    check_statuses,
)


def violations(run: Run) -> list[str]:
    """Everything the run did wrong (empty: all invariants hold)."""
    problems = check_reports_complete(run)
    if any("report lacks" not in p for p in problems):  # a report is missing altogether
        return problems + check_network(run) + check_limits_without_reports(run)
    for invariant in INVARIANTS[1:]:
        problems += invariant(run)
    return problems


def check_limits_without_reports(run: Run) -> list[str]:
    problems = [f"exit code {run.returncode}"]
    if run.killed:
        problems.append(run.killed)
    if run.peak_rss >= MEMORY_LIMIT:
        problems.append(f"the process tree peaked at {run.peak_rss / 2**20:.0f} MiB")
    return problems


def html_violations(run: Run) -> list[str]:
    """Open report.html in Chromium: no payload ran, no injected element or link exists.

    The report's own empty favicon (``data:,``) is the one ``data:`` URL it may hold.
    """
    from browser import chromium

    problems = []
    with chromium() as browser, browser.visit(run.out / "report.html") as seen:
        page = seen.page
        # the page draws 100 rows at a time; for print it draws every one
        page.emulate_media(media="print")
        page.wait_for_function(
            "n => document.querySelectorAll('#sources-table tbody tr').length >= n",
            arg=len(run.selected),
        )
        state = page.evaluate(
            """() => ({
                pwned: window.__pwned !== undefined,
                element: document.getElementById('pwned') !== null || document.body.id === 'pwned',
                javascriptLinks: [...document.querySelectorAll('[href],[src],[action]')]
                    .map(e => e.getAttribute('href') || e.getAttribute('src')
                        || e.getAttribute('action'))
                    .filter(v => /^\\s*(javascript|vbscript|data):/i.test(v) && v !== 'data:,'),
                handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                    .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
                injected: [...document.querySelectorAll('img,iframe,object,embed,svg,b#pwned')]
                    .length,
                text: document.body.innerText,
            })"""
        )
        if state["pwned"]:
            problems.append("a payload ran in report.html (window.__pwned is set)")
        if state["element"]:
            problems.append("an injected element with id 'pwned' exists in report.html")
        if state["javascriptLinks"]:
            problems.append(f"script URLs in report.html: {state['javascriptLinks'][:5]}")
        if state["handlers"]:
            problems.append(f"event handler attributes in report.html: {state['handlers'][:5]}")
        if state["injected"]:
            problems.append(
                f"{state['injected']} injected img/iframe/object elements in report.html"
            )
        if seen.dialogs:
            problems.append(f"report.html opened dialogs: {seen.dialogs[:3]}")
        if seen.foreign_requests:
            problems.append(f"report.html requested {seen.foreign_requests[:5]}")
        if seen.page_errors:
            problems.append(f"script errors in report.html: {seen.page_errors[:3]}")
        missing = [case.id for case in run.selected if case.id not in state["text"]]
        if missing:
            problems.append(f"report.html as rendered does not show {missing}")
    return problems


# -- the tests --------------------------------------------------------------------------------


def _failure_message(run: Run, problems: list[str]) -> str:
    return (
        f"{len(problems)} invariant(s) broken by one check over {len(run.selected)} hostile "
        f"cases ({run.wall:.1f} s of {run.bound:.1f} s, peak {run.peak_rss / 2**20:.0f} MiB, "
        f"exit {run.returncode}):\n  " + "\n  ".join(problems)
    )


@pytest.fixture(scope="module")
def farm_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The one run over every case (farm stopped after the module)."""
    folder = tmp_path_factory.mktemp("hostile")
    with running(folder, cases()) as farm:
        yield check_farm(folder, farm)


def test_the_farm_has_the_issues_classes() -> None:
    """About a hundred cases, every class of issue 9 point 8, each id unique."""
    selected = cases()
    ids = [case.id for case in selected]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 80
    kinds = {case.kind for case in selected}
    assert kinds >= {
        "slowloris",
        "endless",
        "compression",
        "framing",
        "redirects",
        "tls",
        "pdf",
        "html",
        "validators",
        "controls",
    }


def test_the_farm_documents_every_case() -> None:
    """The module docstring lists the cases by class: every id is named there."""
    import hostile_farm

    doc = hostile_farm.__doc__ or ""
    unnamed = [case.id for case in cases() if f"``{case.id}``" not in doc]
    assert not unnamed


def test_one_check_over_the_hostile_farm(farm_run: Run) -> None:
    """Every invariant of the issue's acceptance holds for the one run."""
    problems = violations(farm_run)
    assert not problems, _failure_message(farm_run, problems)


def test_no_payload_is_active_in_the_html_report(farm_run: Run) -> None:
    assert "html" in farm_run.reports, farm_run.stderr[-2000:]
    problems = html_violations(farm_run)
    assert not problems, "\n".join(problems)


def test_the_audit_hook_refuses_and_logs_what_leaves_loopback(tmp_path: Path) -> None:
    """The hook behind "no link-local connection" (called directly: installing it would be
    for the rest of this process): loopback passes, anything else is logged and refused,
    names are answered "no such host" unless they are address literals in any spelling."""
    import socket

    from hostile_run import _hook

    log_path = tmp_path / "audit.jsonl"
    with log_path.open("w", encoding="utf-8") as log:
        hook = _hook(log)
        hook("socket.connect", (None, ("127.0.0.1", 80)))
        hook("socket.connect", (None, "/run/some.sock"))
        hook("socket.getaddrinfo", ("127.0.0.1", 80, 0, 0, 0))
        hook("socket.getaddrinfo", ("0xa9fea9fe", 80, 0, 0, 0))  # numeric: reaches connect
        hook("socket.getaddrinfo", ("[::ffff:169.254.169.254]", 80, 0, 0, 0))
        hook("open", ("x",))
        with pytest.raises(ConnectionRefusedError):
            hook("socket.connect", (None, ("169.254.169.254", 80)))
        with pytest.raises(ConnectionRefusedError):
            hook("socket.connect", (None, ("::ffff:169.254.169.254", 80, 0, 0)))
        with pytest.raises(socket.gaierror):
            hook("socket.getaddrinfo", (b"metadata.google.internal", 80, 0, 0, 0))
    logged = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [r.get("address") or r.get("host") for r in logged] == [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "metadata.google.internal",
    ]
    assert all(forbidden(r["address"]) for r in logged if r["event"] == "connect")


def test_forbidden_addresses() -> None:
    for address in ("169.254.169.254", "::ffff:169.254.169.254", "[fe80::1]", "fd00:ec2::254"):
        assert forbidden(address), address
    for address in ("127.0.0.1", "::1", "10.0.0.1", "example.org", "100.100.100.201"):
        assert not forbidden(address), address


def test_a_run_that_breaks_a_bound_is_stopped(tmp_path: Path) -> None:
    """The watchdog stops a run (and its process group) once it is over its time bound."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    sampler = TreeSampler(proc.pid, interval=0.05)
    sampler.start()
    why = _watch(proc, sampler, time.monotonic(), 0.5)
    sampler.stop()
    assert why is not None
    assert "bound" in why
    assert proc.returncode is not None


RERUN = ("etag-non-ascii", "last-modified-non-ascii", "ok-html", "ok-pdf")
"""Cases whose answer only bites the night after: the validators stored by the first run
are sent back (``If-None-Match`` / ``If-Modified-Since``) by the second."""


def test_a_second_night_gives_the_same_verdicts(tmp_path: Path) -> None:
    """Two runs with one --state over an unchanged farm: the same statuses, every invariant."""
    selected = [case for case in cases() if case.id in RERUN]
    with running(tmp_path, selected) as farm:
        first = check_farm(tmp_path, farm)
        second = check_farm(tmp_path, farm)
    problems = violations(first) + violations(second)
    before = {i: e["status"] for i, e in first.results.items()}
    after = {i: e["status"] for i, e in second.results.items()}
    problems += [
        f"{i}: {before[i]} on the first night, {after.get(i)} on the second "
        f"({second.results[i]['reason'][:160]!r})"
        for i in before
        if after.get(i) != before[i]
    ]
    assert not problems, _failure_message(second, problems)


def _planted(tmp_path: Path, md: str, page: str) -> Run:
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    return Run(
        selected=[],
        farm=None,  # type: ignore[arg-type]
        out=tmp_path,
        state=tmp_path / "state.db",
        returncode=1,
        wall=1.0,
        bound=2.0,
        peak_rss=0,
        stderr="\x1b[31m",
        audit=[],
        reports={"md": md.encode(), "html": page.encode(), "junit": b"<testsuites/>"},
    )


def test_the_checks_catch_planted_payloads(tmp_path: Path) -> None:
    """The invariants can fail: a report with live payloads breaks each of them."""
    md = (
        "# Report\n\n## pwned heading\n\n<script>window.__pwned=1</script>\n\n"
        "- [x](javascript:window.__pwned=1) ![i](http://pwned.example/p.png)\n"
    )
    page = (
        '<!DOCTYPE html><html><body><p>report</p><img src=x onerror="window.__pwned=1">'
        '<a href="javascript:window.__pwned=1">x</a></body></html>'
    )
    run = _planted(tmp_path, md, page)
    found = " | ".join(check_markdown_inert(run))
    for what in ("raw HTML", "an image", "a link to 'javascript:", "became a heading"):
        assert what in found
    assert "the terminal output holds ['U+001B']" in check_sanitised_text(run)
    from browser import require_browser

    require_browser()
    found = " | ".join(html_violations(run))
    for what in ("window.__pwned is set", "script URLs", "event handler", "injected img"):
        assert what in found
