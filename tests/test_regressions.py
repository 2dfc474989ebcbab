"""Regression tests for the findings of the first code review (issue 2).

Each test was written failing, against the behaviour it describes, before the fix.
Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import socket
import stat
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import httpx
import jsonschema
import pytest
import respx

import factlinks
from conftest import FIXED_NOW, SleepRecorder, make_source
from factlinks import (
    CheckOptions,
    DocFormat,
    FetchResult,
    Hop,
    Inspection,
    ProbeVerdict,
    RetryPolicy,
    Source,
    SourceResult,
    Status,
    TitleEvidence,
)
from factlinks._classify import classify, judge_probe
from factlinks._fetch import make_client
from farm import Host, Reply, closed_port

ONE_TRY = RetryPolicy(attempts=1)
TITLE = "Annual report on widget safety 2021"


def run_check(
    sources: list[Source],
    options: CheckOptions,
    *,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
    client: httpx.AsyncClient | None = None,
    strict: bool = True,
) -> factlinks.Report:
    async def go() -> factlinks.Report:
        if client is not None:
            return await factlinks.check_async(
                sources,
                options,
                runtime=factlinks.Runtime(
                    client=client, executor=executor, sleep=sleeps, clock=clock, strict=strict
                ),
            )
        async with make_client(options) as own:
            return await factlinks.check_async(
                sources,
                options,
                runtime=factlinks.Runtime(
                    client=own, executor=executor, sleep=sleeps, clock=clock, strict=strict
                ),
            )

    return asyncio.run(go())


# -- classification --------------------------------------------------------------------------

RECAPTCHA_FORM = (
    "<form action='/newsletter'><input name='email'>"
    "<div class='g-recaptcha' data-sitekey='6Lc'></div></form>"
)


def test_healthy_page_with_a_recaptcha_form_is_ok() -> None:
    url = "https://example.org/docs/report.html"
    body = (
        f"<!doctype html><html><head><title>{TITLE}</title></head>"
        f"<body><h1>{TITLE}</h1><p>Text.</p>{RECAPTCHA_FORM}</body></html>"
    ).encode()
    fetch = FetchResult(url, url, 200, content_type="text/html", body=body)
    evidence = TitleEvidence(TITLE, matched=True, score=100.0, where="<title>")
    verdict = classify(make_source(url, title=TITLE), fetch, Inspection(DocFormat.HTML), evidence)
    assert verdict.status is Status.OK, verdict.reason


def test_404_page_with_a_captcha_form_is_dead() -> None:
    url = "https://example.org/docs/report.pdf"
    body = (
        "<!doctype html><html><head><title>Not found</title></head>"
        f"<body><h1>Page not found</h1>{RECAPTCHA_FORM}</body></html>"
    ).encode()
    fetch = FetchResult(url, url, 404, content_type="text/html", body=body)
    assert classify(make_source(url), fetch).status is Status.DEAD


def test_404_as_a_directory_name_is_not_an_error_url() -> None:
    cited = "http://dserver.bundestag.de/btd/19/404/1940400.pdf"
    final = "https://dserver.bundestag.de/btd/19/404/1940400.pdf"
    fetch = FetchResult(
        cited,
        final,
        200,
        redirects=(Hop(cited, 301, final),),
        content_type="application/pdf",
        body=b"%PDF-1.4",
    )
    evidence = TitleEvidence("Drucksache 19/404", matched=True, score=100.0, where="page 1")
    verdict = classify(
        make_source(cited, title="Drucksache 19/404", kind="pdf"),
        fetch,
        Inspection(DocFormat.PDF),
        evidence,
    )
    assert verdict.status is Status.MOVED, verdict.reason


def _echo_404(path: str) -> bytes:
    return (
        "<!doctype html><html><head><title>Seite nicht gefunden</title></head><body>"
        "<h1>Fehler 404</h1>"
        f"<p>Die angeforderte Seite {path} wurde leider nicht gefunden.</p>"
        "<p>Bitte nutzen Sie die Suche.</p></body></html>"
    ).encode()


def test_soft_404_page_that_echoes_the_requested_path_is_detected() -> None:
    directory = "/SharedDocs/Downloads/DE/Publikationen/Digitale-Welt/"
    cited_url = f"https://www.example.de{directory}ki-im-mittelstand-studie.pdf"
    token = "factlinks-probe-0123456789ab"
    probe_url = f"https://www.example.de{directory}{token}.pdf"
    cited = FetchResult(
        cited_url,
        cited_url,
        200,
        content_type="text/html",
        body=_echo_404(f"{directory}ki-im-mittelstand-studie.pdf"),
    )
    probe = FetchResult(
        probe_url,
        probe_url,
        200,
        content_type="text/html",
        body=_echo_404(f"{directory}{token}.pdf"),
    )
    assert judge_probe(cited, probe).verdict is ProbeVerdict.SOFT_404


# -- fetching --------------------------------------------------------------------------------


def test_waiting_for_a_per_host_slot_does_not_count_towards_the_timeout(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.3)  # each request takes 0.3 s, well within the 0.5 s timeout
        return httpx.Response(200, text="fine")

    options = CheckOptions(
        timeout=0.5, per_host=1, concurrency=4, retry=ONE_TRY, probe_soft_404=False
    )
    sources = [make_source(f"https://a.test/docs/{n}.html", id=f"s{n}") for n in range(3)]
    with respx.mock() as router:
        router.get(url__regex=r"^https://a\.test/docs/\d\.html$").mock(side_effect=answer)
        report = run_check(sources, options, sleeps=sleeps, clock=clock, executor=executor)
    assert [r.status for r in report.results] == [Status.OK] * 3, [r.reason for r in report.results]


def test_check_leaves_the_callers_client_as_it_was(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    async def go() -> str | None:
        async with httpx.AsyncClient() as client:
            await factlinks.check_async(
                [make_source("https://a.test/", id="root")],
                CheckOptions(retry=ONE_TRY),
                runtime=factlinks.Runtime(
                    client=client, executor=executor, sleep=sleeps, clock=clock, strict=True
                ),
            )
            response = await client.get("https://a.test/old")
            location: str | None = response.headers.get("location")
            return location

    with respx.mock() as router:
        router.get("https://a.test/").mock(return_value=httpx.Response(200, text="home"))
        router.get("https://a.test/old").mock(
            return_value=httpx.Response(301, headers={"Location": "/new"})
        )
        assert asyncio.run(go()) == "/new"


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.integration
@pytest.mark.usefixtures("no_proxy_env")
def test_proxy_from_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    def no_dns(host: object, *args: object, **kwargs: object) -> object:
        if host in ("127.0.0.1", "localhost"):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "test guard: no name resolution here")

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # a regression must not reach DNS
    with Host("proxy.example", fallback=Reply.html("via proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("http_proxy", proxy.base_url)
        # Only the proxy can answer for this name; it is never resolved.
        url = "http://docs.example.test/docs/page.html"
        options = CheckOptions(retry=ONE_TRY, probe_soft_404=False, timeout=5)
        report = run_check(
            [make_source(url, id="p")], options, sleeps=sleeps, clock=clock, executor=executor
        )
        assert proxy.requests, report.results[0].reason
    assert report.results[0].status is Status.OK
    assert proxy.requests[0].path == url  # absolute-form request line, as proxies get it


def test_loopback_never_goes_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    with Host("direct.example", fallback=Reply.html("direct")) as host:
        options = CheckOptions(retry=ONE_TRY, probe_soft_404=False, timeout=5)
        report = factlinks.check([make_source(host.url("/page"), id="d")], options)
    assert report.results[0].status is Status.OK


# -- offline detection -----------------------------------------------------------------------


def _nxdomain(request: httpx.Request) -> httpx.Response:
    cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from cause


def test_expired_domains_are_reported_not_taken_for_an_offline_machine(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    sources = [
        make_source("https://expired-one.test/docs/a.pdf", id="a"),
        make_source("https://expired-two.test/docs/b.pdf", id="b"),
    ]
    with respx.mock() as router:
        router.get(url__regex=r"^https://expired-(one|two)\.test/").mock(side_effect=_nxdomain)
        report = run_check(
            sources, CheckOptions(retry=ONE_TRY), sleeps=sleeps, clock=clock, executor=executor
        )
    assert {r.status for r in report.results} <= {Status.UNREACHABLE, Status.DEAD}


# -- library API -----------------------------------------------------------------------------


class _Boom(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom")


def test_strict_reraises_the_original_exception(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=_Boom()) as client:
            await factlinks.check_async(
                [make_source("https://a.test/x", id="x")],
                CheckOptions(retry=ONE_TRY),
                runtime=factlinks.Runtime(
                    client=client, executor=executor, sleep=sleeps, clock=clock, strict=True
                ),
            )

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(go())


# -- reports ---------------------------------------------------------------------------------


def _report(*results: SourceResult) -> factlinks.Report:
    return factlinks.Report(
        results=results, started_at=FIXED_NOW, finished_at=FIXED_NOW, tool_version="0"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_report_files_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = factlinks.write_report(_report(), tmp_path, formats=["json", "md"])
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [0o644, 0o644]


def test_schema_accepts_an_added_optional_field() -> None:
    schema = json.loads(
        resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    )
    url = "https://example.org/docs/a.pdf"
    result = SourceResult(
        make_source(url),
        Status.OK,
        "Answers HTTP 200; no title to check.",
        FIXED_NOW,
        fetch=FetchResult(url, url, 200),
    )
    data = json.loads(factlinks.render_json(_report(result)))
    data["sources"][0]["archive"] = None
    jsonschema.validate(data, schema)


def test_markdown_does_not_render_markup_from_the_web() -> None:
    url = "https://example.org/docs/a.pdf"
    found = "![x](https://tracker.example/p.png) @octocat <img src=x>"
    result = SourceResult(
        make_source(url, title=TITLE),
        Status.DRIFTED,
        f"The expected title is not in the document; it now shows “{found}”.",
        FIXED_NOW,
        fetch=FetchResult(url, url, 200),
    )
    text = factlinks.render_markdown(_report(result))
    assert "![x](" not in text
    assert "<img" not in text
    assert " @octocat" not in text
