"""What is retried and how long to wait: a tenacity ``AsyncRetrying`` built from a policy.

Retried: connect errors, timeouts, broken connections, DNS lookups that got no answer, and
the statuses of ``RetryPolicy.retry_statuses`` (408, 429, 500, 502, 503, 504). Not retried:
names that do not exist, TLS failures, redirect problems, and every other status (a 404 is an
answer, not a hiccup).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt
from tenacity.stop import stop_any, stop_base

from ._models import FailureKind, FetchResult
from ._options import RetryPolicy

__all__ = ["Sleep", "build_retrying", "is_transient", "retry_after_seconds"]

Sleep = Callable[[float], Awaitable[None]]
"""An async sleep; tests pass one that returns at once."""
Clock = Callable[[], dt.datetime]
"""Wall-clock time (aware, UTC), for ``Retry-After`` dates."""

_TRANSIENT_FAILURES = frozenset(
    {FailureKind.TIMEOUT, FailureKind.DNS, FailureKind.CONNECT, FailureKind.NETWORK}
)


def is_transient(result: FetchResult, policy: RetryPolicy) -> bool:
    """True when ``result`` is worth another attempt under ``policy``."""
    if result.failure is not None:
        return result.failure.kind in _TRANSIENT_FAILURES
    return result.status_code in policy.retry_statuses


def retry_after_seconds(result: FetchResult, now: dt.datetime) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), if any."""
    value = result.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class _Stop(stop_base):
    """A tenacity stop condition from a function (one class, not one per URL)."""

    def __init__(self, condition: Callable[[RetryCallState], bool]) -> None:
        self._condition = condition

    def __call__(self, state: RetryCallState) -> bool:
        return self._condition(state)


def build_retrying(policy: RetryPolicy, *, sleep: Sleep, clock: Clock) -> AsyncRetrying:
    """A tenacity retrier for one URL: retry transient results, honour ``Retry-After``.

    The caller runs attempts under it; when the attempts run out, the last result stands.
    """

    def backoff(state: RetryCallState) -> float:
        exponential: float = policy.initial_wait * 2.0 ** max(0, state.attempt_number - 1)
        return min(policy.max_wait, exponential) + random.uniform(0, policy.jitter)

    def last(state: RetryCallState) -> FetchResult | None:
        outcome = state.outcome
        if outcome is None or outcome.failed:
            return None
        result = outcome.result()
        return result if isinstance(result, FetchResult) else None

    def wait(state: RetryCallState) -> float:
        base = backoff(state)
        result = last(state)
        asked = retry_after_seconds(result, clock()) if result is not None else None
        return max(base, asked) if asked is not None else base

    def asked_too_long(state: RetryCallState) -> bool:
        """Stop when the server asks to come back later than the cap allows."""
        result = last(state)
        asked = retry_after_seconds(result, clock()) if result is not None else None
        return asked is not None and asked > policy.retry_after_cap

    return AsyncRetrying(
        sleep=sleep,
        stop=stop_any(stop_after_attempt(policy.attempts), _Stop(asked_too_long)),
        wait=wait,
        retry=retry_if_result(lambda r: isinstance(r, FetchResult) and is_transient(r, policy)),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        reraise=True,
    )
