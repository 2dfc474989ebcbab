"""The retry policy, through :class:`factlinks._fetch.Fetcher` with respx and a recording sleep.

Transient answers (408, 429, 5xx) and transport hiccups (refused connections, timeouts, broken
connections) are retried up to ``RetryPolicy.attempts``; DNS and TLS failures and every other
status are final at once. ``Retry-After`` (seconds or an HTTP date, relative to the fixed
clock) lengthens the wait; above ``retry_after_cap`` it ends the retries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Callable, Mapping

import httpx
import pytest
import respx

from conftest import FIXED_NOW, SleepRecorder
from factlinks import CheckOptions, Failure, FailureKind, FetchResult, RetryPolicy
from factlinks._fetch import Fetcher, make_client
from factlinks._retry import is_transient, retry_after_seconds

URL = "https://example.org/docs/report.pdf"
NO_JITTER = RetryPolicy(attempts=3, initial_wait=0.25, jitter=0.0)

Reply = httpx.Response | BaseException | type[BaseException] | list[httpx.Response]


def fetch(
    reply: Reply | Callable[[httpx.Request], httpx.Response],
    *,
    sleeps: SleepRecorder,
    clock: Callable[[], dt.datetime],
    policy: RetryPolicy | None = None,
    retries: bool = True,
) -> tuple[FetchResult, int]:
    """Fetch :data:`URL` answered by ``reply``; return the result and how many calls it made."""
    options = CheckOptions(timeout=5, retry=policy or RetryPolicy(attempts=3))

    async def go() -> FetchResult:
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, sleep=sleeps, clock=clock)
            result = await fetcher.fetch(URL, retries=retries)
            assert fetcher.requests == route.call_count
            return result

    with respx.mock(assert_all_called=False) as router:
        route = router.get(URL)
        if isinstance(reply, httpx.Response):
            route.mock(return_value=reply)
        else:
            route.mock(side_effect=reply)
        result = asyncio.run(go())
        return result, route.call_count


# -- what is retried -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_transient_status_is_retried_up_to_attempts(
    code: int, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch(httpx.Response(code), sleeps=sleeps, clock=clock)
    assert calls == 3
    assert result.attempts == 3
    assert result.status_code == code
    assert result.failure is None
    assert len(sleeps.calls) == 2  # no wait after the last attempt


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_transient_status_then_success(
    code: int, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    answers = [httpx.Response(code), httpx.Response(200, text="fine")]
    result, calls = fetch(answers, sleeps=sleeps, clock=clock)
    assert (calls, result.attempts, result.status_code) == (2, 2, 200)
    assert result.body == b"fine"
    assert len(sleeps.calls) == 1


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_attempts_is_the_total_number_of_tries(
    attempts: int, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=attempts, jitter=0.0)
    result, calls = fetch(httpx.Response(503), sleeps=sleeps, clock=clock, policy=policy)
    assert calls == attempts
    assert result.attempts == attempts
    assert len(sleeps.calls) == attempts - 1


@pytest.mark.parametrize("code", [200, 204, 400, 401, 403, 404, 410, 451, 501, 999])
def test_other_statuses_are_not_retried(
    code: int, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch(httpx.Response(code), sleeps=sleeps, clock=clock)
    assert calls == 1
    assert result.attempts == 1
    assert result.status_code == code
    assert sleeps.calls == []


def test_retries_false_makes_one_attempt(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch(httpx.Response(503), sleeps=sleeps, clock=clock, retries=False)
    assert (calls, result.attempts, result.status_code) == (1, 1, 503)
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        pytest.param(
            httpx.ConnectError("[Errno 111] Connection refused"),
            FailureKind.CONNECT,
            id="refused",
        ),
        pytest.param(
            httpx.ConnectError("Network is unreachable"), FailureKind.CONNECT, id="connect"
        ),
        pytest.param(httpx.ConnectTimeout("timed out"), FailureKind.TIMEOUT, id="connect-timeout"),
        pytest.param(httpx.ReadTimeout("timed out"), FailureKind.TIMEOUT, id="read-timeout"),
        pytest.param(httpx.PoolTimeout("timed out"), FailureKind.TIMEOUT, id="pool-timeout"),
        pytest.param(
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            FailureKind.NETWORK,
            id="disconnected",
        ),
        pytest.param(httpx.ReadError("Connection reset by peer"), FailureKind.NETWORK, id="reset"),
    ],
)
def test_connect_errors_and_timeouts_are_retried(
    error: Exception, kind: FailureKind, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch(error, sleeps=sleeps, clock=clock)
    assert calls == 3
    assert result.attempts == 3
    assert result.status_code is None
    assert result.failure is not None
    assert result.failure.kind is kind
    assert len(sleeps.calls) == 2


def test_connect_error_then_success(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.Response(200),
    ]
    result, calls = fetch(answers, sleeps=sleeps, clock=clock)  # type: ignore[arg-type]
    assert (calls, result.attempts, result.status_code, result.failure) == (2, 2, 200, None)


def fetch_raising(
    error: Exception, *, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> tuple[FetchResult, int]:
    """Fetch :data:`URL` through an ``httpx.MockTransport`` whose every request raises ``error``.

    Not respx here: respx re-raises a side effect's exception ``from`` its own wrapper, which
    replaces the ``__cause__`` chain (``ssl.SSLError``, ``socket.gaierror``) that the fetcher
    reads, the way httpx chains them in real use.
    """
    options = CheckOptions(timeout=5, retry=RetryPolicy(attempts=3))
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        assert str(request.url) == URL
        raise error

    async def go() -> FetchResult:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
            fetcher = Fetcher(client, options, sleep=sleeps, clock=clock)
            return await fetcher.fetch(URL)

    return asyncio.run(go()), calls


def _caused_by(cause: BaseException, message: str = "") -> httpx.ConnectError:
    """An httpx ``ConnectError`` chained to ``cause`` as httpx chains it (``raise ... from``)."""
    try:
        raise httpx.ConnectError(message or str(cause)) from cause
    except httpx.ConnectError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(httpx.ConnectError("[Errno -2] Name or service not known"), id="linux"),
        pytest.param(
            httpx.ConnectError("[Errno 8] nodename nor servname provided, or not known"),
            id="macos",
        ),
    ],
)
def test_names_that_do_not_exist_are_not_retried(
    error: object, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch(error, sleeps=sleeps, clock=clock)  # type: ignore[arg-type]
    assert calls == 1
    assert result.attempts == 1
    assert result.failure is not None
    assert result.failure.kind is FailureKind.NO_SUCH_HOST
    assert "does not exist" in result.failure.detail
    assert sleeps.calls == []


def test_name_that_does_not_exist_by_gaierror_errno_is_not_retried(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    cause = socket.gaierror(socket.EAI_NONAME, "boom")
    result, calls = fetch_raising(_caused_by(cause, "boom"), sleeps=sleeps, clock=clock)
    assert calls == 1
    assert result.failure is not None
    assert result.failure.kind is FailureKind.NO_SUCH_HOST


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(httpx.ConnectError("getaddrinfo failed"), id="windows"),
        pytest.param(
            httpx.ConnectError("[Errno -3] Temporary failure in name resolution"), id="eai-again"
        ),
    ],
)
def test_dns_lookups_without_an_answer_are_retried(
    error: object, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch(error, sleeps=sleeps, clock=clock)  # type: ignore[arg-type]
    assert calls == 3
    assert result.attempts == 3
    assert result.failure is not None
    assert result.failure.kind is FailureKind.DNS
    assert "could not be resolved" in result.failure.detail


def test_dns_error_caused_by_gaierror_eai_again_is_retried(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    cause = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    result, calls = fetch_raising(_caused_by(cause, "boom"), sleeps=sleeps, clock=clock)
    assert calls == 3
    assert result.failure is not None
    assert result.failure.kind is FailureKind.DNS
    assert "Temporary failure in name resolution" in result.failure.detail


@pytest.mark.parametrize(
    "cause",
    [
        pytest.param(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), id="ssl"),
        pytest.param(
            ssl.SSLCertVerificationError(1, "certificate verify failed: certificate has expired"),
            id="certificate",
        ),
    ],
)
def test_tls_errors_are_not_retried(
    cause: ssl.SSLError, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    result, calls = fetch_raising(_caused_by(cause), sleeps=sleeps, clock=clock)
    assert calls == 1
    assert result.attempts == 1
    assert result.failure is not None
    assert result.failure.kind is FailureKind.TLS
    assert result.failure.detail.startswith("TLS failed")
    assert sleeps.calls == []


def test_plain_connect_error_through_the_same_transport_is_retried(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    # The control for the two tests above: the transport itself does not stop retries.
    error = _caused_by(ConnectionRefusedError(111, "Connection refused"))
    result, calls = fetch_raising(error, sleeps=sleeps, clock=clock)
    assert calls == 3
    assert result.failure is not None
    assert result.failure.kind is FailureKind.CONNECT
    assert result.failure.detail == "connection refused"


# -- how long to wait ------------------------------------------------------------------------


def test_exponential_backoff_without_jitter(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=5, initial_wait=0.5, max_wait=8.0, jitter=0.0)
    fetch(httpx.Response(503), sleeps=sleeps, clock=clock, policy=policy)
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped_at_max_wait(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=6, initial_wait=1.0, max_wait=3.0, jitter=0.0)
    fetch(httpx.ReadTimeout("slow"), sleeps=sleeps, clock=clock, policy=policy)
    assert sleeps.calls == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_backoff_with_jitter_stays_within_bounds(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=4, initial_wait=0.5, max_wait=100.0, jitter=0.25)
    fetch(httpx.Response(502), sleeps=sleeps, clock=clock, policy=policy)
    assert len(sleeps.calls) == 3
    for index, wait in enumerate(sleeps.calls):
        low = 0.5 * 2**index
        assert low <= wait <= low + 0.25


def test_no_wait_when_initial_wait_and_jitter_are_zero(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=3, initial_wait=0.0, jitter=0.0)
    fetch(httpx.Response(503), sleeps=sleeps, clock=clock, policy=policy)
    assert sleeps.calls == [0.0, 0.0]


def test_retry_after_seconds_lengthens_the_wait(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200)]
    result, calls = fetch(answers, sleeps=sleeps, clock=clock)  # default policy, with jitter
    assert (calls, result.status_code) == (2, 200)
    assert len(sleeps.calls) == 1
    assert sleeps.calls[0] >= 2


def test_retry_after_replaces_a_shorter_backoff_exactly(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    answer = httpx.Response(503, headers={"Retry-After": "3"})
    fetch(answer, sleeps=sleeps, clock=clock, policy=NO_JITTER)
    assert sleeps.calls == [3.0, 3.0]


def test_backoff_longer_than_retry_after_wins(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=3, initial_wait=4.0, jitter=0.0)
    fetch(
        httpx.Response(503, headers={"Retry-After": "1"}), sleeps=sleeps, clock=clock, policy=policy
    )
    assert sleeps.calls == [4.0, 8.0]


def test_retry_after_http_date_relative_to_the_clock(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    assert clock() == dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    answers = [
        httpx.Response(503, headers={"Retry-After": "Thu, 26 Nov 2026 03:00:07 GMT"}),
        httpx.Response(200),
    ]
    result, calls = fetch(answers, sleeps=sleeps, clock=clock, policy=NO_JITTER)
    assert (calls, result.attempts, result.status_code) == (2, 2, 200)
    assert sleeps.calls == [7.0]


def test_retry_after_date_in_the_past_falls_back_to_backoff(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    answer = httpx.Response(503, headers={"Retry-After": "Wed, 25 Nov 2026 03:00:00 GMT"})
    _, calls = fetch(answer, sleeps=sleeps, clock=clock, policy=NO_JITTER)
    assert calls == 3
    assert sleeps.calls == [0.25, 0.5]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("31", id="seconds"),
        pytest.param("3600", id="an-hour"),
        pytest.param("Thu, 26 Nov 2026 03:01:00 GMT", id="http-date"),
    ],
)
def test_retry_after_above_the_cap_stops_at_once(
    value: str, sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=5, retry_after_cap=30.0)
    answer = httpx.Response(429, headers={"Retry-After": value})
    result, calls = fetch(answer, sleeps=sleeps, clock=clock, policy=policy)
    assert calls == 1
    assert result.attempts == 1
    assert result.status_code == 429
    assert result.headers["retry-after"] == value
    assert sleeps.calls == []


def test_retry_after_at_the_cap_is_honoured(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    policy = RetryPolicy(attempts=2, retry_after_cap=30.0, jitter=0.0)
    answer = httpx.Response(503, headers={"Retry-After": "30"})
    _, calls = fetch(answer, sleeps=sleeps, clock=clock, policy=policy)
    assert calls == 2
    assert sleeps.calls == [30.0]


def test_retry_after_on_a_final_status_is_ignored(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    answer = httpx.Response(404, headers={"Retry-After": "3600"})
    result, calls = fetch(answer, sleeps=sleeps, clock=clock)
    assert (calls, result.status_code, sleeps.calls) == (1, 404, [])


def test_retry_after_non_ascii_digit_header_does_not_crash(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime]
) -> None:
    # httpx decodes the header byte 0xB2 as latin-1: "\u00b2", which isdigit() but is no number.
    answer = httpx.Response(503, headers=[(b"Retry-After", b"\xb2")])
    result, calls = fetch(answer, sleeps=sleeps, clock=clock, policy=NO_JITTER)
    assert calls == 3
    assert result.status_code == 503


# -- retry_after_seconds and is_transient ----------------------------------------------------


def _result(
    headers: Mapping[str, str] | None = None,
    *,
    status_code: int | None = 503,
    failure: Failure | None = None,
) -> FetchResult:
    return FetchResult(
        url=URL,
        final_url=URL,
        status_code=status_code,
        headers=dict(headers or {}),
        failure=failure,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("2", 2.0, id="seconds"),
        pytest.param(" 5 ", 5.0, id="spaces"),
        pytest.param("120", 120.0, id="minutes"),
        pytest.param("Thu, 26 Nov 2026 03:00:10 GMT", 10.0, id="imf-fixdate"),
        pytest.param("Thursday, 26-Nov-26 03:00:10 GMT", 10.0, id="rfc850-date"),
        pytest.param("Thu Nov 26 03:00:10 2026", 10.0, id="asctime-naive-is-utc"),
        pytest.param("Thu, 26 Nov 2026 03:00:10 -0000", 10.0, id="minus-zero-offset"),
        pytest.param("Thu, 26 Nov 2026 04:00:10 +0100", 10.0, id="other-offset"),
        pytest.param("Thu, 26 Nov 2026 03:00:00 GMT", 0.0, id="now"),
        pytest.param("Wed, 25 Nov 2026 03:00:00 GMT", 0.0, id="past-date-clamped"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("1.5", None, id="fraction"),
        pytest.param("-1", None, id="negative"),
        pytest.param("", None, id="empty"),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    headers = {} if value is None else {"retry-after": value}
    assert retry_after_seconds(_result(headers), FIXED_NOW) == expected


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(_result(status_code=503), True, id="503"),
        pytest.param(_result(status_code=429), True, id="429"),
        pytest.param(_result(status_code=404), False, id="404"),
        pytest.param(_result(status_code=200), False, id="200"),
        *(
            pytest.param(
                _result(status_code=None, failure=Failure(kind, "x")),
                kind
                in (FailureKind.TIMEOUT, FailureKind.DNS, FailureKind.CONNECT, FailureKind.NETWORK),
                id=f"failure-{kind.value}",
            )
            for kind in FailureKind
        ),
    ],
)
def test_is_transient(result: FetchResult, expected: bool) -> None:
    assert is_transient(result, RetryPolicy()) is expected


def test_is_transient_follows_the_policy_statuses() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({404}))
    assert is_transient(_result(status_code=404), policy)
    assert not is_transient(_result(status_code=503), policy)
