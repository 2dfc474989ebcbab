"""The ``[[host]]`` tables of a registry (``sources.toml``, or a ``factlinks.toml`` sidecar).

::

    [[host]]
    match      = "*.example.org"             # a host, or '*.' and a domain for its subdomains
    headers    = { Authorization = "EXAMPLE_TOKEN" }   # header -> environment variable
    accept     = [403, 999]                  # answers that count as reachable
    rps        = 2                           # requests per second, at most
    user_agent = "Mozilla/5.0 (compatible; factlinks)"
    skip       = "behind a login"            # or true
    robots     = true                        # honour robots.txt (off by default)

Errors name the file, the line of the table's ``[[host]]`` header, the key and, for an
unknown key, the closest valid one. A header value that is not the name of an environment
variable is refused without being quoted: it is likely a secret pasted into the file.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .._errors import OptionsError, RegistryError
from .._hosts import HostSettings

__all__ = ["HOST_KEYS", "hosts_from_data"]

HOST_KEYS = ("match", "headers", "accept", "rps", "user_agent", "skip", "robots")
"""The keys a ``[[host]]`` table may hold."""


class _At:
    """The ``[[host]]`` table being validated: where its errors point."""

    def __init__(self, path: str, line: int | None, index: int, match: object) -> None:
        self.path = path
        self.line = line
        self.name = f"[[host]] {match!r}" if isinstance(match, str) else f"[[host]] #{index + 1}"

    def fail(self, key: str, message: str) -> NoReturn:
        where = f"{self.path}:{self.line}" if self.line else self.path
        raise RegistryError(f"{where}: {self.name}: {message}", path=self.path, key=key)


def hosts_from_data(
    raw: object, path: str, positions: Sequence[int | None] = ()
) -> tuple[HostSettings, ...]:
    """Validate the ``host`` array of tables; ``positions`` holds the line of each header."""
    if not isinstance(raw, list):
        raise RegistryError(
            f"{path}: 'host' must be an array of tables ([[host]])", path=path, key="host"
        )
    rules: list[HostSettings] = []
    seen: dict[str, int | None] = {}
    for index, table in enumerate(raw):
        line = positions[index] if index < len(positions) else None
        rule = _host(table, index, path, line)
        if rule.match in seen:
            other = seen[rule.match]
            also = f"line {other}" if other else "another [[host]]"
            _At(path, line, index, rule.match).fail("match", f"duplicate match (also {also})")
        seen[rule.match] = line
        rules.append(rule)
    return tuple(rules)


def _host(table: object, index: int, path: str, line: int | None) -> HostSettings:
    at = _At(path, line, index, table.get("match") if isinstance(table, dict) else None)
    if not isinstance(table, dict):
        at.fail("host", "must be a table")
    for key in table:
        if key not in HOST_KEYS:
            close = difflib.get_close_matches(key, HOST_KEYS, n=1, cutoff=0.6)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; valid keys: {', '.join(HOST_KEYS)}"
            )
            at.fail(key, f"unknown key {key!r}{hint}")
    if "match" not in table:
        at.fail("match", "missing required key 'match' (a host name or '*.example.org')")
    values = {key: check(table[key], at) for key, check in _CHECKS.items() if key in table}
    try:
        return HostSettings(**values, path=path, line=line)
    except OptionsError as exc:
        at.fail(_key_of(str(exc)), str(exc))


def _key_of(message: str) -> str:
    """The key an :class:`OptionsError` of :class:`HostSettings` is about (its first word)."""
    return message.split(":", 1)[0].split()[0] if message else "host"


def _match(value: object, at: _At) -> Any:
    if not isinstance(value, str):
        at.fail("match", f"'match' must be a string, not {type(value).__name__}")
    return value


def _headers(value: object, at: _At) -> Any:
    if not isinstance(value, dict):
        at.fail("headers", "'headers' must be a table of header name = \"ENV_VARIABLE\"")
    for name, variable in value.items():
        if not isinstance(variable, str):
            at.fail(
                "headers",
                f"headers: the value of {name!r} must be the name of an environment variable "
                f"(a string), not {type(variable).__name__}",
            )
    return dict(value)


def _accept(value: object, at: _At) -> Any:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        at.fail("accept", "'accept' must be a list of HTTP status codes, e.g. [403, 999]")
    return frozenset(value)


def _rps(value: object, at: _At) -> Any:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        at.fail("rps", f"'rps' must be a positive number of requests per second, not {value!r}")
    return float(value)


def _user_agent(value: object, at: _At) -> Any:
    if not isinstance(value, str):
        at.fail("user_agent", f"'user_agent' must be a string, not {type(value).__name__}")
    return value


def _skip(value: object, at: _At) -> Any:
    if not isinstance(value, bool | str):
        at.fail("skip", f"'skip' must be true or a reason string, not {type(value).__name__}")
    if value is False or value == "":
        return None
    return value if isinstance(value, str) else "skipped for this host in the registry"


def _robots(value: object, at: _At) -> Any:
    if not isinstance(value, bool):
        at.fail("robots", f"'robots' must be true or false, not {value!r}")
    return value


_CHECKS: dict[str, Callable[[object, _At], Any]] = {
    "match": _match,
    "headers": _headers,
    "accept": _accept,
    "rps": _rps,
    "user_agent": _user_agent,
    "skip": _skip,
    "robots": _robots,
}
"""A validator per ``[[host]]`` key: ``(value, at)`` gives the :class:`HostSettings` field."""
