"""Per-host settings: the ``[[host]]`` tables of a registry, matched to the host of a URL.

A :class:`HostSettings` says how to treat the URLs of one host, or of a family of hosts:
extra headers whose values come from environment variables, status codes to accept as
reachable, a request rate, a ``User-Agent``, ``skip``, and whether to honour ``robots.txt``.

Matching (:func:`match_host`): ``match = "example.org"`` matches that host name exactly;
``match = "*.example.org"`` matches every subdomain of it (``www.example.org``,
``a.b.example.org``) but not ``example.org`` itself. Host names are compared without case,
without a trailing dot and in their ASCII (IDNA) form; the port is not part of the match.
Exactly one ``[[host]]`` applies to a host, never a merge of several: an exact match wins
over any pattern; among patterns the most specific (the one with the most labels) wins; on
a tie, the first in the file.

Secrets never come from the file: ``headers = { Authorization = "EXAMPLE_TOKEN" }`` names
the environment variable that holds the value. :class:`HostTable` reads them once, at the
start of a run, and refuses to start when one is unset or empty (:class:`OptionsError`).
The fetcher asks the table for every request of a redirect chain, by the host of that hop
(:meth:`HostTable.headers_for`), so a header goes to the hosts its table matches and to no
other, whether the chain started there or was redirected there.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ._errors import OptionsError

__all__ = ["ENV_NAME_RE", "HostSettings", "HostTable", "Pacer", "host_of", "match_host"]

ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
"""What a header's value in ``[[host]]`` must be: the name of an environment variable, upper
case. Anything else is taken for a literal value (a token pasted into the file) and refused."""
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP header field name (RFC 9110 token)."""
_LABEL_RE = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
"""Headers the transport owns; ``User-Agent`` has its own key."""


def _normal_host(name: str) -> str:
    """``name`` lower case, without a trailing dot, in its ASCII (IDNA) form."""
    name = name.strip().rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def host_of(url: str) -> str | None:
    """The normalised host name of ``url`` (``None`` when it has none)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return _normal_host(host) if host else None


@dataclass(frozen=True, slots=True)
class HostSettings:
    """How to treat the URLs of one host (or of its subdomains): one ``[[host]]`` table.

    Example::

        HostSettings("*.example.org", headers={"Authorization": "EXAMPLE_TOKEN"}, rps=2)

    Raises:
        OptionsError: a value is out of range or of the wrong form; the message names the key.
    """

    match: str
    """``"example.org"`` (that host) or ``"*.example.org"`` (its subdomains)."""
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Header name to the *name of the environment variable* holding its value."""
    accept: frozenset[int] = frozenset()
    """Status codes that count as reachable (``ok``) on this host, e.g. ``{403, 999}``."""
    rps: float | None = None
    """Requests per second to each matching host at most (spaced ``1/rps`` apart)."""
    user_agent: str | None = None
    """The ``User-Agent`` sent to this host instead of the run's."""
    skip: str | None = None
    """When set, the sources on this host are ``skipped`` with this reason."""
    robots: bool = False
    """Honour the host's ``robots.txt``: a source it forbids is ``skipped``."""
    path: str | None = field(default=None, compare=False)
    """The registry file the table came from, for messages."""
    line: int | None = field(default=None, compare=False)
    """The line of its ``[[host]]`` header, for messages."""

    def __post_init__(self) -> None:
        _check_pattern(self.match)
        object.__setattr__(self, "match", _normal_pattern(self.match))
        for name, variable in self.headers.items():
            _check_header(name, variable)
        object.__setattr__(self, "headers", dict(self.headers))  # a copy: picklable
        for code in self.accept:
            if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 999:
                raise OptionsError(f"accept: {code!r} is not an HTTP status code (100-999)")
        object.__setattr__(self, "accept", frozenset(self.accept))
        if self.rps is not None and (not math.isfinite(self.rps) or self.rps <= 0):
            raise OptionsError(
                f"rps must be a positive number of requests per second, not {self.rps!r}"
            )
        if self.user_agent is not None and (
            not self.user_agent.strip() or not all(" " <= c <= "~" for c in self.user_agent)
        ):
            raise OptionsError("user_agent must be printable ASCII and not empty (an HTTP header)")

    @property
    def label(self) -> str:
        """``[[host]] 'match'``, with the file and line where known, for messages."""
        where = f"{self.path}:{self.line}: " if self.path and self.line else ""
        return f"{where}[[host]] {self.match!r}"

    @property
    def specificity(self) -> tuple[int, int]:
        """What ranks matching tables: exact before patterns, then more labels first."""
        exact = not self.match.startswith("*.")
        return (1 if exact else 0, self.match.count(".") + 1)


def _normal_pattern(pattern: str) -> str:
    if pattern.startswith("*."):
        return "*." + _normal_host(pattern[2:])
    return _normal_host(pattern)


def _check_pattern(pattern: str) -> None:
    if not isinstance(pattern, str):
        raise OptionsError(f"match must be a string, not {type(pattern).__name__}")
    rest = pattern.strip()
    rest = rest[2:] if rest.startswith("*.") else rest
    labels = _normal_host(rest).split(".")
    if not rest or "*" in rest or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise OptionsError(
            f"match must be a host name (example.org) or '*.' and a domain (*.example.org), "
            f"not {pattern!r}"
        )


def _check_header(name: str, variable: object) -> None:
    if not isinstance(name, str) or not _HEADER_NAME_RE.fullmatch(name):
        raise OptionsError(f"headers: {name!r} is not an HTTP header name")
    if name.lower() in _RESERVED_HEADERS or name.lower() == "user-agent":
        hint = "; use user_agent" if name.lower() == "user-agent" else ""
        raise OptionsError(f"headers: {name!r} cannot be set per host{hint}")
    if not isinstance(variable, str) or not ENV_NAME_RE.fullmatch(variable):
        # Never quote the value: it may be the secret itself.
        raise OptionsError(
            f"headers: the value of {name!r} must be the name of an environment variable "
            f'(upper case, e.g. {name} = "EXAMPLE_TOKEN"), not a literal value: secrets are '
            "read from the environment, never from the registry"
        )


def match_host(rules: Sequence[HostSettings], host: str | None) -> HostSettings | None:
    """The table that applies to ``host``: exact first, then the most specific pattern, then
    the first in file order; ``None`` when none matches.

    Example::

        match_host([HostSettings("*.example.org")], "www.example.org").match  # '*.example.org'
    """
    if host is None:
        return None
    host = _normal_host(host)
    best: HostSettings | None = None
    for rule in rules:
        if _matches(rule.match, host) and (best is None or rule.specificity > best.specificity):
            best = rule
    return best


def _matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


class HostTable:
    """The ``[[host]]`` tables of a run, with their header values read from ``environ``.

    Example::

        table = HostTable(options.hosts, os.environ)
        table.headers_for("https://api.example.org/x")  # {'Authorization': '…'}

    Raises:
        OptionsError: a header names an environment variable that is unset or empty; the
            message names the file, the line, the host and the variable (not its value).
    """

    def __init__(self, rules: Sequence[HostSettings], environ: Mapping[str, str]) -> None:
        self._rules = tuple(rules)
        self._headers: dict[HostSettings, Mapping[str, str]] = {}
        for rule in self._rules:
            headers: dict[str, str] = {}
            for name, variable in rule.headers.items():
                value = environ.get(variable)
                if not value:
                    state = "is not set" if value is None else "is empty"
                    raise OptionsError(
                        f"{rule.label}: header {name!r} takes its value from the environment "
                        f"variable {variable}, which {state}"
                    )
                if any(c in value for c in "\r\n\0"):
                    raise OptionsError(
                        f"{rule.label}: the environment variable {variable} (header {name!r}) "
                        "holds a line break or NUL, which a header cannot carry"
                    )
                headers[name] = value
            self._headers[rule] = headers
        self._match = functools.lru_cache(maxsize=4096)(functools.partial(match_host, self._rules))

    def __bool__(self) -> bool:
        return bool(self._rules)

    def rule_for(self, url: str) -> HostSettings | None:
        """The table that applies to the host of ``url``, if any."""
        host = host_of(url)
        return None if host is None else self._match(host)

    def headers_for(self, url: str) -> Mapping[str, str]:
        """The extra headers for a request to ``url``: those of its host's table only."""
        return self.headers_of(self.rule_for(url))

    def headers_of(self, rule: HostSettings | None) -> Mapping[str, str]:
        """The extra headers of ``rule`` (one of this table's), with their values."""
        return {} if rule is None else self._headers[rule]

    def accept_for(self, url: str) -> frozenset[int]:
        """The status codes accepted as reachable from the host of ``url``."""
        rule = self.rule_for(url)
        return frozenset() if rule is None else rule.accept


class Pacer:
    """Spaces the requests to each host at least ``1/rps`` seconds apart.

    Each host has the time its next request may go out; a request takes that time (or now,
    when that has passed) and moves it on by the interval. Requests wait in the order they
    asked, so a burst goes out evenly spaced and no request is starved.

    Example::

        pacer = Pacer(time.monotonic, asyncio.sleep)
        await pacer.wait("api.example.org", 0.5)   # at most 2 requests per second

    Parameters:
        monotonic: a monotonic clock in seconds.
        sleep: the async sleep to wait with.
    """

    def __init__(
        self, monotonic: Callable[[], float], sleep: Callable[[float], Awaitable[object]]
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, host: str, interval: float) -> None:
        """Return once a request to ``host`` may go out, ``interval`` seconds after the last."""
        now = self._monotonic()
        at = max(now, self._next.get(host, now))
        self._next[host] = at + interval
        if at > now:
            await self._sleep(at - now)
