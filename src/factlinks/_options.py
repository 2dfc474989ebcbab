"""Options of a check run, with the defaults the CLI and the registry reuse."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from ._doi.names import on_resolver
from ._errors import OptionsError
from ._hosts import HostSettings
from ._models import DEFAULT_FAIL_ON, Status
from ._version import __version__

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_DOI_RESOLVER",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_PER_HOST",
    "DEFAULT_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "CheckOptions",
    "Remap",
    "RetryPolicy",
]

DEFAULT_USER_AGENT = (
    f"factlinks/{__version__} (citation checker; +https://pypi.org/project/factlinks/)"
)
DEFAULT_DOI_RESOLVER = "https://doi.org"
DEFAULT_CONCURRENCY = 32
DEFAULT_PER_HOST = 2
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 50_000_000
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_MAX_PAGES = 5
DEFAULT_PARSE_TIMEOUT = 30.0
DEFAULT_PARSE_MEMORY = 384 * 1024**2


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Which failures are retried, how often and how long to wait in between.

    Connect errors, timeouts and broken connections are retried, and so are the answers in
    ``retry_statuses``. The wait grows exponentially with jitter; a ``Retry-After`` header
    replaces it when it asks for longer. A ``Retry-After`` above ``retry_after_cap`` ends the
    retries at once: waiting that long is not what a nightly check is for.

    Example::

        RetryPolicy(attempts=5, initial_wait=1.0)
    """

    attempts: int = 3
    """Attempts in all, the first included."""
    initial_wait: float = 0.5
    """Seconds before the first retry (before jitter)."""
    max_wait: float = 8.0
    """Upper bound of one exponential wait."""
    jitter: float = 0.5
    """Up to this many random seconds are added to each exponential wait."""
    retry_after_cap: float = 30.0
    """The longest ``Retry-After`` that is honoured."""
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    """HTTP statuses that count as transient."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise OptionsError(f"retry attempts must be at least 1, not {self.attempts}")
        for name in ("initial_wait", "max_wait", "jitter", "retry_after_cap"):
            if getattr(self, name) < 0:
                raise OptionsError(f"retry {name} must not be negative")


@dataclass(frozen=True, slots=True)
class Remap:
    """A rule that rewrites where a request is sent (not how the report names the URL).

    Example::

        Remap.parse(r"^https://www\\.kfw\\.de http://127.0.0.1:8001")
    """

    pattern: re.Pattern[str]
    replacement: str

    @classmethod
    def parse(cls, rule: str) -> Remap:
        """Parse ``'REGEX REPLACEMENT'`` (Python ``re.sub`` syntax, split at the last space)."""
        parts = rule.strip().rsplit(None, 1)
        if len(parts) != 2:
            raise OptionsError(f"remap rule {rule!r} must be 'REGEX REPLACEMENT'")
        try:
            pattern = re.compile(parts[0])
        except re.error as exc:
            raise OptionsError(f"remap rule {rule!r}: invalid regular expression: {exc}") from exc
        try:
            pattern.sub(parts[1], "")
        except (re.error, IndexError) as exc:
            raise OptionsError(f"remap rule {rule!r}: invalid replacement: {exc}") from exc
        return cls(pattern, parts[1])

    def apply(self, url: str) -> str | None:
        """The rewritten URL, or ``None`` when the rule does not match."""
        new, count = self.pattern.subn(self.replacement, url, count=1)
        return new if count else None


def remap_url(rules: tuple[Remap, ...], url: str) -> str:
    """Apply the first matching rule of ``rules`` to ``url``."""
    for rule in rules:
        new = rule.apply(url)
        if new is not None:
            return new
    return url


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """Everything that shapes a check run. Registry ``[settings]`` and CLI flags end up here.

    Example::

        options = CheckOptions(timeout=10, fail_on=frozenset({Status.DEAD}))
    """

    user_agent: str = DEFAULT_USER_AGENT
    """The ``User-Agent`` sent with every request (with :attr:`contact` added, if set)."""
    contact: str | None = None
    """An e-mail address for the servers asked, sent in the ``User-Agent`` as ``mailto:``
    (Crossref's "polite pool" serves such requests first; see :attr:`request_user_agent`)."""
    doi_resolver: str = DEFAULT_DOI_RESOLVER
    """The DOI resolver asked about DOIs (handle API, content negotiation) and sent every
    request for a URL on ``doi.org``/``dx.doi.org``; a mirror or a local test server."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Requests in flight overall."""
    per_host: int = DEFAULT_PER_HOST
    """Requests in flight per host."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for one whole request, redirects and body included."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """Larger bodies are cut off; a cut-off document cannot be verified."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    """Redirects followed at most."""
    max_pages: int = DEFAULT_MAX_PAGES
    """PDF pages searched for the title at most."""
    parse_timeout: float = DEFAULT_PARSE_TIMEOUT
    """Seconds one document may take to parse; a slower one is ``unverifiable``."""
    parse_memory: int = DEFAULT_PARSE_MEMORY
    """Bytes of resident memory a parse worker may use while it parses (checked every 10 ms
    on Linux; the address space is capped this plus 1 GiB); 0 for no limit."""
    parse_workers: int | None = None
    """Parse worker processes; by default one per core."""
    fail_on: frozenset[Status] = DEFAULT_FAIL_ON
    """Statuses that fail the run."""
    remap: tuple[Remap, ...] = ()
    """Transport rewrites; the first matching rule wins."""
    only: frozenset[str] | None = None
    """If set, only these source ids are checked; the others are ``skipped``."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """The retry policy."""
    probe_soft_404: bool = True
    """Request a random sibling of deep links to detect soft 404s."""
    offline_min_hosts: int = 2
    """A run is declared offline only when sources on at least this many registrable
    domains were tried (``www.kfw.de`` and ``kfw.de`` are one)."""
    canary_url: str | None = None
    """A page that is always up, asked when every source failed at the network level but
    on fewer than ``offline_min_hosts`` domains: if it fails too, the machine is offline."""
    archive_api: str | None = None
    """Wayback availability API to look up archive copies of dead and drifted sources
    (the CLI's default is the public one); ``None`` for no look-ups."""
    archive_moved: bool = False
    """Look up archive copies of moved sources too."""
    archive_service: str = "wayback"
    """Which registered archive service (``factlinks._archive.SERVICES``) ``archive_api`` is."""
    dead_after_runs: int = 3
    """With a history: ``unreachable`` becomes ``dead`` after this many failing runs ..."""
    dead_after_days: float = 3.0
    """... that span at least this many days."""
    recheck_after_days: int = 7
    """With a history: a source verified ``ok`` is checked again only once this many days
    have passed since its last check (a failing one every 3 days, and whenever a check could
    make it ``dead``); in between its last verdict is reported. ``0``: every source, every run
    (see :mod:`factlinks._schedule`)."""
    allow_private: bool = False
    """Follow redirects from public addresses into private and loopback space (intranet
    registries). Link-local and cloud-metadata addresses are refused even so."""
    hosts: tuple[HostSettings, ...] = ()
    """Per-host settings (the registry's ``[[host]]`` tables): headers from the environment,
    accepted status codes, request rate, ``User-Agent``, ``skip``, ``robots``; the most
    specific match applies (see :mod:`factlinks._hosts`)."""
    exclude: tuple[str, ...] = ()
    """Regular expressions (Python ``re.search``) over the cited URL: a source whose URL one
    matches is ``skipped`` and never requested."""

    def __post_init__(self) -> None:
        for name in ("concurrency", "per_host", "max_bytes", "max_pages"):
            if getattr(self, name) < 1:
                raise OptionsError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.parse_memory < 0:
            raise OptionsError("parse_memory must not be negative")
        if self.parse_workers is not None and self.parse_workers < 1:
            raise OptionsError(f"parse_workers must be at least 1, not {self.parse_workers}")
        if self.max_redirects < 0:
            raise OptionsError("max_redirects must not be negative")
        if self.recheck_after_days < 0:
            raise OptionsError("recheck_after_days must not be negative")
        for name in ("timeout", "parse_timeout"):
            if not getattr(self, name) > 0:
                raise OptionsError(f"{name} must be a positive number of seconds")
        _check_user_agent(self.user_agent)
        _check_canary(self.canary_url)
        _check_contact(self.contact)
        _check_resolver(self.doi_resolver)
        if Status.OK in self.fail_on:
            raise OptionsError("'ok' cannot be a failing status")
        _check_exclude(self.exclude, self.hosts)

    def excluded_by(self, url: str) -> str | None:
        """The first :attr:`exclude` pattern that matches ``url``, or ``None``."""
        return next((p for p in self.exclude if re.search(p, url)), None)

    def replace(self, **changes: Any) -> CheckOptions:
        """A copy with ``changes`` applied (and validated)."""
        return replace(self, **changes)

    @property
    def request_user_agent(self) -> str:
        """The ``User-Agent`` header: :attr:`user_agent`, and ``(mailto:contact)`` if set."""
        if self.contact is None:
            return self.user_agent
        return f"{self.user_agent} (mailto:{self.contact})"

    def transport_url(self, url: str) -> str:
        """Where a request for ``url`` is actually sent: after ``remap``, else a URL on the
        DOI proxy sent to :attr:`doi_resolver` when that is not the default."""
        sent = remap_url(self.remap, url)
        if sent == url and self.doi_resolver != DEFAULT_DOI_RESOLVER:
            sent = on_resolver(url, self.doi_resolver) or url
        return sent


def _check_exclude(patterns: tuple[str, ...], hosts: tuple[HostSettings, ...]) -> None:
    if not all(isinstance(rule, HostSettings) for rule in hosts):
        raise OptionsError("hosts must be HostSettings (the [[host]] tables)")
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise OptionsError(f"exclude: {pattern!r} is not a regular expression")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise OptionsError(
                f"exclude: {pattern!r} is not a valid regular expression: {exc}"
            ) from None


def _check_user_agent(value: str) -> None:
    if not value.strip():
        raise OptionsError("user_agent must not be empty")
    if not all(" " <= c <= "~" for c in value):
        raise OptionsError("user_agent may only hold printable ASCII characters (an HTTP header)")


def parse_statuses(
    names: list[str] | tuple[str, ...], *, what: str = "fail_on"
) -> frozenset[Status]:
    """Parse status names such as ``["dead", "drifted"]``; raise ``OptionsError`` on a bad name."""
    statuses: set[Status] = set()
    valid = ", ".join(s.value for s in Status)
    for name in names:
        name = name.strip().lower()
        if not name:
            continue
        try:
            statuses.add(Status(name))
        except ValueError:
            raise OptionsError(f"{what}: unknown status {name!r} (valid: {valid})") from None
    return frozenset(statuses)


def _check_contact(value: str | None) -> None:
    if value is None:
        return
    if not _CONTACT_RE.fullmatch(value):
        raise OptionsError(f"contact must be an e-mail address (name@example.org), not {value!r}")


_CONTACT_RE = re.compile(r"[!-~]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
"""An e-mail address as a header can carry it: printable ASCII, a domain with a dot."""


def _check_resolver(url: str) -> None:
    try:
        parts = urlsplit(url)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        usable = usable and not parts.query and not parts.fragment
    except ValueError:
        usable = False
    if not usable or url != url.strip():
        raise OptionsError(
            f"doi_resolver must be an http or https URL with a host (and no query), not {url!r}"
        )


def _check_canary(url: str | None) -> None:
    """Raise :class:`OptionsError` unless ``url`` is unset or an http(s) URL with a host name."""
    if url is None:
        return
    try:
        parts = urlsplit(url)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable or url != url.strip():
        raise OptionsError(f"canary_url must be an http or https URL with a host, not {url!r}")
