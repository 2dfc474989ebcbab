"""Per-host settings on real loopback servers: a header configured for one host is received
by that host and by no other, across cross-host redirects; ``robots.txt``; ``User-Agent``.

Two ways to have two host names on one machine: servers reached as ``127.0.0.1`` and as
``localhost`` (no remap: the names are the ones on the wire), and :mod:`farm` hosts that
stand in for real names through ``remap`` (the names are the ones the web gives).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Callable, Sequence

import pytest

import factlinks
from conftest import SleepRecorder, make_source
from factlinks import CheckOptions, HostSettings, Remap, Report, RetryPolicy, Source, Status
from farm import Host, Reply

SECRET_A = "token-for-a-only-7f3e"
SECRET_B = "token-for-b-only-91c2"
PAGE = Reply(
    200,
    body=b"<html><head><title>Page</title></head><body>Page</body></html>",
    content_type="text/html; charset=utf-8",
)


def _check(
    sources: Sequence[Source],
    options: CheckOptions,
    environ: dict[str, str],
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> Report:
    base = CheckOptions(timeout=10, retry=RetryPolicy(attempts=1), probe_soft_404=False)
    changes = {name: getattr(options, name) for name in ("hosts", "remap", "exclude")}
    return asyncio.run(
        factlinks.check_async(
            list(sources),
            base.replace(**changes),
            runtime=factlinks.Runtime(
                executor=executor, sleep=sleeps, clock=clock, strict=True, environ=environ
            ),
        )
    )


def _headers_seen(host: Host, name: str) -> list[str | None]:
    return [request.headers.get(name.lower()) for request in host.requests]


def test_a_header_reaches_its_host_and_no_other_across_redirects_on_loopback_names(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    """127.0.0.1 redirects to localhost and back: each name gets its own header only."""
    with Host("one.test") as one, Host("two.test") as two:
        one.add("/start", Reply.redirect(f"http://localhost:{two.port}/middle", 302))
        two.add("/middle", Reply.redirect(f"http://127.0.0.1:{one.port}/end", 302))
        one.add("/end", PAGE)
        two.add("/direct", PAGE)
        options = CheckOptions(
            hosts=(
                HostSettings("127.0.0.1", headers={"X-Token": "TOKEN_A"}),
                HostSettings("localhost", headers={"X-Token-B": "TOKEN_B"}),
            )
        )
        report = _check(
            [
                make_source(f"http://127.0.0.1:{one.port}/start", id="chain"),
                make_source(f"http://localhost:{two.port}/direct", id="direct"),
            ],
            options,
            {"TOKEN_A": SECRET_A, "TOKEN_B": SECRET_B},
            sleeps,
            clock,
            executor,
        )
        assert [r.status for r in report.results] == [Status.OK, Status.OK]
        assert [r.path for r in one.requests] == ["/start", "/end"]
        assert _headers_seen(one, "X-Token") == [SECRET_A, SECRET_A]
        assert _headers_seen(one, "X-Token-B") == [None, None]
        assert sorted(r.path for r in two.requests) == ["/direct", "/middle"]
        assert _headers_seen(two, "X-Token") == [None, None]
        assert _headers_seen(two, "X-Token-B") == [SECRET_B, SECRET_B]
        for request in two.requests:
            assert SECRET_A not in repr(request.headers)


def test_a_header_for_a_real_name_does_not_follow_a_redirect_to_another_name(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    """Farm hosts for www.a.test and cdn.b.test; only *.a.test is configured."""
    with Host("www.a.test") as a, Host("cdn.b.test") as b:
        a.add("/doc", Reply.redirect("https://cdn.b.test/doc", 301))
        b.add("/doc", PAGE)
        options = CheckOptions(
            remap=(Remap.parse(a.remap_rule()), Remap.parse(b.remap_rule())),
            hosts=(HostSettings("*.a.test", headers={"Authorization": "A_AUTH"}),),
        )
        report = _check(
            [make_source("https://www.a.test/doc")],
            options,
            {"A_AUTH": f"Bearer {SECRET_A}"},
            sleeps,
            clock,
            executor,
        )
        assert report.results[0].status is Status.MOVED
        assert _headers_seen(a, "Authorization") == [f"Bearer {SECRET_A}"]
        assert _headers_seen(b, "Authorization") == [None]


def test_a_host_user_agent_is_sent_to_that_host_only(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    with Host("www.a.test") as a, Host("www.b.test") as b:
        a.add("/", PAGE)
        b.add("/", PAGE)
        options = CheckOptions(
            remap=(Remap.parse(a.remap_rule()), Remap.parse(b.remap_rule())),
            hosts=(HostSettings("www.a.test", user_agent="Mozilla/5.0 (compatible; Test)"),),
        )
        _check(
            [
                make_source("https://www.a.test/", id="a"),
                make_source("https://www.b.test/", id="b"),
            ],
            options,
            {},
            sleeps,
            clock,
            executor,
        )
        assert _headers_seen(a, "User-Agent") == ["Mozilla/5.0 (compatible; Test)"]
        assert _headers_seen(b, "User-Agent")[0].startswith("factlinks/")  # type: ignore[union-attr]


# -- robots.txt -------------------------------------------------------------------------------


def _robots_run(
    robots: Reply,
    paths: Sequence[str],
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
    *,
    rule: HostSettings | None = None,
) -> tuple[Report, Host]:
    host = Host("www.r.test")
    host.add("/robots.txt", robots)
    for path in paths:
        host.add(path, PAGE)
    with host:
        options = CheckOptions(
            remap=(Remap.parse(host.remap_rule()),),
            hosts=(rule or HostSettings("www.r.test", robots=True),),
        )
        sources = [make_source(f"https://www.r.test{p}", id=f"s{n}") for n, p in enumerate(paths)]
        report = _check(sources, options, {}, sleeps, clock, executor)
    return report, host


ROBOTS = Reply(
    200,
    body=b"# test\nUser-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n",
    content_type="text/plain",
)


def test_robots_txt_forbids_a_source_which_is_skipped_and_never_requested(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    report, host = _robots_run(
        ROBOTS, ["/public/a", "/private/b", "/public/c"], sleeps, clock, executor
    )
    statuses = [r.status for r in report.results]
    assert statuses == [Status.OK, Status.SKIPPED, Status.OK]
    assert report.results[1].reason == (
        "Skipped: robots.txt forbids it to 'factlinks' (https://www.r.test/robots.txt)."
    )
    paths = [r.path for r in host.requests]
    assert paths.count("/robots.txt") == 1  # fetched once per run, for all three
    assert "/private/b" not in paths
    robots_request = next(r for r in host.requests if r.path == "/robots.txt")
    assert robots_request.headers["user-agent"].startswith("factlinks/")


def test_robots_txt_is_read_with_the_host_user_agent(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    rule = HostSettings("www.r.test", robots=True, user_agent="OtherBot/2.0")
    report, host = _robots_run(ROBOTS, ["/public/a"], sleeps, clock, executor, rule=rule)
    assert report.results[0].status is Status.SKIPPED
    assert "forbids it to 'OtherBot'" in report.results[0].reason
    assert [r.headers["user-agent"] for r in host.requests] == ["OtherBot/2.0"]


@pytest.mark.parametrize(
    "robots",
    [
        pytest.param(Reply.not_found(), id="404"),
        pytest.param(Reply(403, body=b"no"), id="403-is-no-robots-txt-too"),
        pytest.param(Reply(503, body=b"down"), id="5xx-checks-anyway"),
    ],
)
def test_without_a_readable_robots_txt_every_source_is_checked(
    robots: Reply,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    report, host = _robots_run(robots, ["/private/a", "/b"], sleeps, clock, executor)
    assert [r.status for r in report.results] == [Status.OK, Status.OK]
    assert sorted(r.path for r in host.requests) == ["/b", "/private/a", "/robots.txt"]


def test_an_oversized_robots_txt_is_read_up_to_the_cap(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    padding = b"# padding padding padding padding padding padding padding padding\n" * 12_000
    body = b"User-agent: *\nDisallow: /early/\n" + padding + b"Disallow: /late/\n"
    assert len(body) > 700 * 1024
    robots = Reply(200, body=body, content_type="text/plain")
    report, host = _robots_run(robots, ["/early/a", "/late/b"], sleeps, clock, executor)
    assert [r.status for r in report.results] == [Status.SKIPPED, Status.OK]
    assert "/late/b" in [r.path for r in host.requests]


def test_robots_is_off_by_default(
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    executor: concurrent.futures.Executor,
) -> None:
    rule = HostSettings("www.r.test")
    report, host = _robots_run(ROBOTS, ["/private/b"], sleeps, clock, executor, rule=rule)
    assert report.results[0].status is Status.OK
    assert [r.path for r in host.requests] == ["/private/b"]
