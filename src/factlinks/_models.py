"""The data model: sources, statuses, fetch results, evidence, results and the report.

Every type here is a frozen, slotted dataclass or an enum, and nothing here does I/O. The report
derives its counts and its verdict from the results; formatters only render what it holds.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import urlsplit

from ._doi.names import doi_from_url, parse_doi

__all__ = [
    "DEFAULT_FAIL_ON",
    "ArchiveCopy",
    "DocFormat",
    "DoiCheck",
    "Failure",
    "FailureKind",
    "FetchResult",
    "History",
    "Hop",
    "Inspection",
    "Kind",
    "Probe",
    "ProbeVerdict",
    "Problem",
    "ProblemKind",
    "Report",
    "ReusedVerdict",
    "Shard",
    "Source",
    "SourceResult",
    "Status",
    "TitleCandidate",
    "TitleEvidence",
]


class Status(StrEnum):
    """The health of one citation. The string values are what reports and the CLI use."""

    OK = "ok"
    """Answers 2xx and, if a title is given, contains it."""
    MOVED = "moved"
    """Reached only through a permanent redirect to another URL; the content is still right."""
    DRIFTED = "drifted"
    """Answers 2xx but the expected document is not there (other document, landing page)."""
    DEAD = "dead"
    """404, 410, or a soft 404 (redirect to the home page, 'not found' page with status 200)."""
    BLOCKED = "blocked"
    """Refused to the checker but likely alive: 401, 403, 999, bot challenge pages."""
    UNREACHABLE = "unreachable"
    """Failures that outlasted the retries: timeouts, 5xx, 429, refused connections, TLS, DNS."""
    UNVERIFIABLE = "unverifiable"
    """Answers 2xx but the title cannot be checked: no text layer, encrypted, too large, ..."""
    SKIPPED = "skipped"
    """Excluded by configuration (``skip`` in the registry, or not selected by ``--only``)."""

    @property
    def is_problem(self) -> bool:
        """True for every status that asks the editor to look (all but ``ok`` and ``skipped``)."""
        return self not in (Status.OK, Status.SKIPPED)

    @property
    def action(self) -> str:
        """What the editor should do about a citation in this status, in one sentence."""
        return _ACTIONS[self]

    @property
    def label(self) -> str:
        """The status as reports name it for people: ``"Dead"``, ``"OK"``, ..."""
        return _LOOKS[self].label

    @property
    def symbol(self) -> str:
        """A glyph shown beside the label, so colour is never the only signal (``"✕"``, ...)."""
        return _LOOKS[self].symbol

    @property
    def description(self) -> str:
        """What the status means, in one short sentence for people (a tooltip)."""
        return _LOOKS[self].description

    @property
    def order(self) -> int:
        """Rank in reports, the worst first: ``dead`` is 0, ``drifted`` 1, ..., ``skipped`` 7."""
        return _ORDER[self]


_ACTIONS: dict[Status, str] = {
    Status.OK: "Nothing to do.",
    Status.MOVED: "Update the citation to the new URL.",
    Status.DRIFTED: "Find where the cited document lives now, or cite an archived copy.",
    Status.DEAD: "Find the document's new address, or cite an archived copy.",
    Status.BLOCKED: "Check the link in a browser; the site refuses automated checks.",
    Status.UNREACHABLE: "Check again later; the host did not answer.",
    Status.UNVERIFIABLE: "Check by hand that the link still shows the cited document.",
    Status.SKIPPED: "Nothing to do (excluded by configuration).",
}


class _Looks(NamedTuple):
    symbol: str
    label: str
    description: str


_LOOKS: dict[Status, _Looks] = {  # in report order, the worst first
    Status.DEAD: _Looks("\u2715", "Dead", "404, 410 or a soft 404: the document is gone."),
    Status.DRIFTED: _Looks("\u2260", "Drifted", "Answers, but no longer shows the cited title."),
    Status.MOVED: _Looks("\u2192", "Moved", "Permanently redirected; the content is right."),
    Status.UNREACHABLE: _Looks("\u21af", "Unreachable", "No usable answer after the retries."),
    Status.BLOCKED: _Looks("\u2298", "Blocked", "Refused to the checker, probably alive."),
    Status.UNVERIFIABLE: _Looks("?", "Unverifiable", "Answers, but the title cannot be checked."),
    Status.OK: _Looks("\u2713", "OK", "Answers and shows the cited document."),
    Status.SKIPPED: _Looks("\u2013", "Skipped", "Excluded by configuration."),
}
_ORDER: dict[Status, int] = {status: rank for rank, status in enumerate(_LOOKS)}

DEFAULT_FAIL_ON: frozenset[Status] = frozenset({Status.DEAD, Status.DRIFTED})
"""The statuses that fail a run unless ``fail_on`` says otherwise."""


class Kind(StrEnum):
    """What kind of document a source is expected to be."""

    PDF = "pdf"
    HTML = "html"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Source:
    """One cited URL from the registry."""

    id: str
    """Unique, stable identifier, ``[a-z0-9._-]``."""
    url: str
    """The URL as cited."""
    title: str | None = None
    """The expected title; without it only reachability is checked."""
    kind: Kind = Kind.ANY
    """The expected kind of document."""
    citation: str | None = None
    """How the citing document refers to it, e.g. ``"KfW 2021"``."""
    cited_in: tuple[str, ...] = ()
    """The documents that cite it."""
    accessed: dt.date | None = None
    """When it was cited."""
    skip: str | None = None
    """If set, the source is not checked, and this is the reason."""
    archive_url: str | None = None
    """An archived copy to cite when the original is gone (``factlinks fix --archive``)."""
    cited_url: str | None = None
    """The URL the citing documents print, when ``url`` was moved away from it (``factlinks
    fix`` records it); ``extract`` counts a document citing it as citing this source."""
    doi: str | None = None
    """The DOI of the cited work (``10.1000/182``), checked through the DOI system as well as
    at :attr:`url`. Given in any form :func:`parse_doi` reads (``doi:…``, a ``doi.org`` URL) and
    kept bare; a :attr:`url` on ``doi.org`` or ``dx.doi.org`` sets it when it is not given."""
    authors: tuple[str, ...] = ()
    """Who wrote (or edited) the cited work, as the reference manager names them, family name
    first where it is known (``"Knuth, Donald E."``); reports name the reference with them."""
    year: str | None = None
    """When the cited work was published, as the reference names it (``"1986"``, ``"2020a"``)."""
    proposed_title: str | None = None
    """A title ``extract --write`` took from the text the document cites the URL with, not yet
    confirmed: it never makes a source ``drifted``. The first check that reads the document
    confirms it (it becomes :attr:`title`) or, when the document does not contain it, keeps
    it as :attr:`citation` only. A source has a ``title`` or a ``proposed_title``, not both."""
    line: int | None = field(default=None, compare=False)
    """Where the source starts in its registry file (1-based line), if known; not compared."""
    column: int | None = field(default=None, compare=False)
    """The 1-based column of that start, if known; not compared."""

    def __post_init__(self) -> None:
        # Accept the registry's spellings from library callers: kind="pdf", cited_in=[...].
        if not isinstance(self.kind, Kind):
            object.__setattr__(self, "kind", Kind(self.kind))
        if not isinstance(self.cited_in, tuple):
            object.__setattr__(self, "cited_in", tuple(self.cited_in))
        if not isinstance(self.authors, tuple):
            object.__setattr__(self, "authors", tuple(self.authors))
        if self.doi is not None:
            doi = parse_doi(self.doi)
            if doi is None:
                raise ValueError(f"not a DOI: {self.doi!r} (a DOI starts 10.NNNN/)")
            object.__setattr__(self, "doi", doi)
        else:
            object.__setattr__(self, "doi", doi_from_url(self.url))

    @property
    def reference(self) -> str | None:
        """The source named as a reference manager lists it: authors, year, title.

        ``None`` when the registry names no author and no year (the id and title say it all).

        Example::

            Source("knuth", "https://example.org/", title="The TeXbook",
                   authors=("Knuth, Donald E.",), year="1986").reference
            # 'Knuth (1986): The TeXbook'
        """
        if not self.authors and self.year is None:
            return None
        families = [name.split(",", 1)[0].strip() for name in self.authors]
        who = " and ".join(families) if len(families) <= 2 else f"{families[0]} et al."
        when = f"({self.year})" if self.year is not None else ""
        head = " ".join(part for part in (who, when) if part)
        title = self.title or self.proposed_title or self.citation
        return f"{head}: {title}" if title else head

    @property
    def host(self) -> str:
        """The host name of the cited URL, lower case."""
        return (urlsplit(self.url).hostname or "").lower()


class FailureKind(StrEnum):
    """Why a request got no usable HTTP answer."""

    TIMEOUT = "timeout"
    DNS = "dns"
    """Name resolution failed: no DNS server answered, or not in time."""
    NO_SUCH_HOST = "no-such-host"
    """A DNS server answered that the name does not exist: the network works."""
    CONNECT = "connect"
    TLS = "tls"
    NETWORK = "network"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    REDIRECT_LOOP = "redirect-loop"
    INVALID_URL = "invalid-url"
    POLICY = "policy"
    """The network policy refused the address: link-local or cloud metadata, or private
    space after a redirect from a public address (see ``CheckOptions.allow_private``)."""
    INTERNAL = "internal"

    @property
    def is_network(self) -> bool:
        """True when the failure says the host could not be talked to at all."""
        return self in (
            FailureKind.TIMEOUT,
            FailureKind.DNS,
            FailureKind.CONNECT,
            FailureKind.TLS,
            FailureKind.NETWORK,
        )

    @property
    def is_offline_sign(self) -> bool:
        """True when the failure is what every source of an offline machine gets.

        That is every network-level failure, "no such host" included: a resolver that
        filters or has no upstream answers NXDOMAIN for every name.
        """
        return self.is_network or self is FailureKind.NO_SUCH_HOST


@dataclass(frozen=True, slots=True)
class Failure:
    """A request that ended without a usable HTTP answer."""

    kind: FailureKind
    """The category, e.g. ``timeout`` or ``dns``."""
    detail: str
    """A short human-readable description."""
    traceback: str | None = field(default=None, repr=False, compare=False)
    """For ``internal`` failures: the Python traceback (shown by ``factlinks check --debug``)."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One redirect: ``url`` answered ``status_code`` and sent the client to ``location``.

    URLs are named as the web names them: ``location`` is the ``Location`` header resolved
    against ``url``, never a remapped transport address.
    """

    url: str
    status_code: int
    location: str

    @property
    def permanent(self) -> bool:
        """True for 301 and 308."""
        return self.status_code in (301, 308)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What fetching one URL gave, after redirects and retries."""

    url: str
    """The URL requested (as the web names it)."""
    final_url: str
    """The last URL requested, after redirects."""
    status_code: int | None
    """The final HTTP status, or ``None`` when no answer came."""
    redirects: tuple[Hop, ...] = ()
    """Every redirect followed, in order."""
    content_type: str | None = None
    """The ``Content-Type`` header of the final answer."""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The final answer's headers, names in lower case."""
    body: bytes = field(default=b"", repr=False, compare=False)
    """The final answer's body, at most ``max_bytes`` of it."""
    bytes: int = 0
    """How many body bytes were received (up to the cap)."""
    truncated: bool = False
    """True when the body was cut off at ``max_bytes``."""
    elapsed_ms: int = 0
    """Time of the last attempt, first byte sent to last byte read."""
    attempts: int = 1
    """How many attempts were made."""
    failure: Failure | None = None
    """Why no usable answer came, if none did."""
    sha256: str | None = None
    """SHA-256 of the body as received (hex), for change detection."""
    undecodable: str | None = None
    """Why the body could not be decoded (its ``Content-Encoding``), if so; ``body`` is empty."""

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


class DocFormat(StrEnum):
    """The detected type of a body, from its bytes first and its headers second.

    ``MARKDOWN`` is a document's type for ``extract`` (by its name: ``.md``, ``.markdown``,
    ``.mdown``, ``.mkd``); a fetched body is never detected as Markdown, it is ``TEXT``.
    """

    PDF = "pdf"
    HTML = "html"
    TEXT = "text"
    MARKDOWN = "markdown"
    EMPTY = "empty"
    OTHER = "other"


class ProblemKind(StrEnum):
    """Why a document that was served cannot be verified: the kind of an ``unverifiable``."""

    TRUNCATED = "truncated"
    """The body was cut off at ``max_bytes``."""
    EMPTY = "empty"
    """The answer has no body."""
    UNKNOWN_TYPE = "unknown-type"
    """The body is neither PDF nor HTML nor text."""
    ENCRYPTED = "encrypted"
    """The PDF does not open without a password."""
    UNPARSABLE = "unparsable"
    """The document is broken beyond what the parser tolerates."""
    UNSUPPORTED = "unsupported"
    """The document uses a feature the parser does not support."""
    UNREADABLE_PAGE = "unreadable-page"
    """The first page's text cannot be extracted."""
    NO_TEXT_LAYER = "no-text-layer"
    """The pages read have no text (a scan)."""
    UNREADABLE_TEXT = "unreadable-text"
    """The text layer extracts as garbage (glyph names, private-use code points, ...)."""
    PARSE_TIMEOUT = "parse-timeout"
    """Parsing took longer than ``parse_timeout``."""
    PARSER_DIED = "parser-died"
    """The parse worker died (out of memory) or did not start."""
    UNDECODABLE = "undecodable"
    """The body's ``Content-Encoding`` is unknown, unavailable or corrupt."""
    NOT_INSPECTED = "not-inspected"
    """The body was not looked at (the pipeline had no reason to)."""
    OTHER = "other"
    """A reason without a kind: read back from a ``report.json``, which keeps only the detail."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the title of a served document cannot be checked: a kind plus a detail."""

    kind: ProblemKind
    """The category, e.g. ``no-text-layer``."""
    detail: str
    """A short description for people, e.g. "no text layer in the first 3 page(s)"."""

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class TitleCandidate:
    """A piece of a document that may hold its title, and where it was found."""

    where: str
    """``metadata``, ``xmp``, ``page 1``, ``<title>``, ``<h1>``, ``og:title``, ``body``, ..."""
    text: str


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the body of an answer is and what it says about its title."""

    format: DocFormat
    """The detected format."""
    titles: tuple[TitleCandidate, ...] = ()
    """Title fields (metadata, ``<title>``, ...) that are not obviously garbage."""
    pages: int | None = None
    """Number of pages, for PDFs."""
    problem: Problem | None = None
    """Why the title cannot be checked (encrypted, no text layer, cut off, ...), if so."""
    text_sha256: str | None = None
    """SHA-256 of the normalised text that was read: unchanged when only markup changed."""

    @property
    def display_title(self) -> str | None:
        """The best guess at what the document is called now."""
        return self.titles[0].text if self.titles else None


@dataclass(frozen=True, slots=True)
class TitleEvidence:
    """The outcome of looking for the expected title in a document."""

    expected: str
    """The title the registry expects."""
    matched: bool
    """Whether it was found."""
    score: float
    """0 to 100; 100 is an exact match after normalisation."""
    where: str | None = None
    """Where it matched (or where the best near miss was)."""
    snippet: str | None = None
    """A short excerpt around the match."""
    found: str | None = None
    """What the document is called now: the matched text, or its best title candidate."""


class ProbeVerdict(StrEnum):
    """What requesting a random sibling URL says about a 2xx answer."""

    ALIVE = "alive"
    """The sibling got 404/410: the host tells pages apart, so the cited page exists."""
    SOFT_404 = "soft-404"
    """The sibling got the same answer: the cited page is gone."""
    INCONCLUSIVE = "inconclusive"
    """Neither; the title check decides."""


@dataclass(frozen=True, slots=True)
class Probe:
    """A request for a random sibling of a deep link, to detect soft 404s."""

    url: str
    status_code: int | None
    final_url: str
    redirects: tuple[Hop, ...]
    similarity: float | None
    """0 to 100: how alike the two bodies are, when both were 2xx."""
    verdict: ProbeVerdict


@dataclass(frozen=True, slots=True)
class ArchiveCopy:
    """An archived copy of a source, and whether it shows the cited document.

    Example::

        ArchiveCopy(
            url="https://web.archive.org/web/20210215093000/https://www.kfw.de/x.pdf",
            timestamp="20210215093000",
            captured_status="200",
            verified=True,
            detail="the archive copy of 2021-02-15 shows the title (page 1)",
        )
    """

    url: str
    """The snapshot URL, e.g. ``https://web.archive.org/web/<timestamp>/<original>``."""
    timestamp: str
    """When it was captured, ``YYYYMMDDhhmmss`` (UTC)."""
    captured_status: str | None
    """The HTTP status the archive recorded when it captured the page (``"200"``, ...)."""
    verified: bool | None
    """True: the copy shows the expected title. False: it does not, or cannot be fetched.
    None: not checked (no title expected, or the copy's title cannot be read); reachable."""
    detail: str
    """One sentence for people: what was found."""

    @property
    def captured_at(self) -> dt.datetime:
        """The capture time as an aware UTC datetime.

        A Wayback timestamp may be cut short (``"2019"``, ``"201902"``): it then means the
        start of that year or month, as the Wayback Machine reads it.
        """
        digits = self.timestamp[:14]
        full = digits + "00000101000000"[len(digits) :]
        return dt.datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class DoiCheck:
    """What the DOI system said about a source's DOI, and what that verified.

    Registration comes from the handle API (``RESOLVER/api/handles/DOI``), the title from the
    DOI's metadata by content negotiation (CSL-JSON, which Crossref, DataCite and mEDRA give).
    """

    doi: str
    """The DOI asked about."""
    resolver: str
    """The DOI resolver asked (``https://doi.org`` unless ``doi_resolver`` says otherwise)."""
    registered: bool | None
    """``True``: the handle API knows the DOI; ``False``: it answered that the DOI is not
    registered; ``None``: it could not tell (no answer, or not a handle answer)."""
    target: str | None = None
    """The URL the DOI is registered to resolve to, when the handle API named one."""
    expected_title: str | None = None
    """The title looked for in the metadata (``None``: the source has none)."""
    metadata_title: str | None = None
    """The title in the DOI's metadata, when content negotiation gave it."""
    title: TitleEvidence | None = None
    """Where the expected title was found in the metadata (``None``: no title to look for,
    or no metadata to look in)."""
    detail: str = ""
    """What was asked and what it showed, in one sentence for people."""

    @property
    def verified(self) -> bool:
        """True when the DOI is registered and its metadata names the expected title (or
        there is no expected title to name)."""
        if self.registered is not True:
            return False
        return self.expected_title is None or (self.title is not None and self.title.matched)

    @property
    def other_title(self) -> bool:
        """True when the metadata was read and names another title than the expected one."""
        return self.title is not None and not self.title.matched


@dataclass(frozen=True, slots=True)
class History:
    """What earlier runs say about a source, as of this result."""

    previous_status: Status | None = None
    """The status of the last run (``None`` for a source seen for the first time)."""
    first_failure: dt.datetime | None = None
    """When the current run of failures began (this run included), if failing."""
    consecutive_failures: int = 0
    """Failing runs in a row, this one included."""
    last_success: dt.datetime | None = None
    """The last run in which it was ``ok`` or ``moved``."""
    changed: bool = False
    """The document changed since the last good check but still carries its title."""
    not_modified: dt.datetime | None = None
    """Set when the server answered 304: the verification of this earlier check was reused."""
    recent: tuple[Status, ...] = ()
    """The statuses of the last runs before this one, oldest first."""


@dataclass(frozen=True, slots=True)
class ReusedVerdict:
    """Why a result was not checked in this run: its last real check's verdict stands.

    A source verified ``ok`` is checked again only every ``recheck_after_days``, a failing
    one every few days (see :mod:`factlinks._schedule`); in between, the report lists its
    last verdict, and :attr:`SourceResult.checked_at` is when that verdict was made.
    """

    due: dt.datetime
    """When the source is next checked for real (the first run at or after this time)."""
    http_status: int | None = None
    """The HTTP status of the final answer of the check whose verdict is reused."""
    final_url: str | None = None
    """The URL after redirects, as that check found it."""


@dataclass(frozen=True, slots=True)
class SourceResult:
    """The outcome of checking one source."""

    source: Source
    status: Status
    reason: str
    """One sentence for people: why this status."""
    checked_at: dt.datetime
    fetch: FetchResult | None = None
    inspection: Inspection | None = None
    title: TitleEvidence | None = None
    probe: Probe | None = None
    new_url: str | None = None
    """For ``moved``: the URL to cite instead."""
    history: History | None = None
    """What earlier runs say, when a history is kept."""
    archive: ArchiveCopy | None = None
    """An archived copy, for dead and drifted sources, when archive look-ups are on."""
    error: Failure | None = None
    """A failure of the check itself rather than of the server (kind ``internal``: a bug)."""
    proposal: TitleEvidence | None = None
    """What looking for the source's ``proposed_title`` in the document found, when this check
    settled it: ``matched`` (it is the title now: :attr:`source` has it as ``title``) or not
    (kept as ``citation``). ``None`` when the source had no proposal or the check could not
    read the document (the proposal waits for a later check)."""
    doi_check: DoiCheck | None = None
    """What the DOI system said of the source's DOI, when it has one."""
    reused: ReusedVerdict | None = None
    """Set when the source was not due for a check in this run: the verdict, reason, title
    evidence and archive copy are those of the check made at :attr:`checked_at`, and
    nothing was fetched (:attr:`fetch` is ``None``)."""

    @property
    def failure(self) -> Failure | None:
        """Why the check got no usable answer: the check's own error, else the fetch's."""
        if self.error is not None:
            return self.error
        return self.fetch.failure if self.fetch is not None else None

    @property
    def id(self) -> str:
        """The source's id."""
        return self.source.id

    @property
    def url(self) -> str:
        """The cited URL."""
        return self.source.url


@dataclass(frozen=True, slots=True)
class Shard:
    """Which part of a registry a sharded run checked (``factlinks check --shard K/N``).

    Shards are cut by registrable domain (:func:`factlinks.select_shard`); every shard of one
    run sees the whole registry, so :attr:`registry_sources` and :attr:`registry_digest` are
    the same in all of them, and :func:`factlinks.merge_reports` checks that they are.
    """

    index: int
    """This shard's number, ``1`` to :attr:`count`."""
    count: int
    """How many shards the registry was cut into."""
    registry_sources: int
    """How many sources the whole registry has."""
    registry_digest: str
    """``sha256:…`` of the whole registry's ids and URLs in order: shards of one registry."""
    positions: tuple[int, ...] = ()
    """Each result's place in the whole registry (0-based), in the order of the results."""


class Brief(NamedTuple):
    """What a :class:`Report` needs of one result to count and select, without the result."""

    status: Status
    internal: bool
    """The check met a bug in factlinks (an ``error`` of kind ``internal``)."""
    previous: Status | None
    """The status of the last run (``history.previous_status``)."""
    cited_in: tuple[str, ...]

    @classmethod
    def of(cls, result: SourceResult) -> Brief:
        """The brief of ``result``."""
        error = result.error
        history = result.history
        return cls(
            result.status,
            error is not None and error.kind is FailureKind.INTERNAL,
            history.previous_status if history is not None else None,
            result.source.cited_in,
        )


class ResultStore(Sequence[SourceResult]):
    """Results kept outside the Python heap, e.g. the spool of a large run (read back on
    access), with the :class:`Brief` of each held in memory so that a :class:`Report` counts
    and selects without reading every result back."""

    @abstractmethod
    def briefs(self) -> Sequence[Brief]:
        """The brief of each result, in order."""

    @abstractmethod
    def subset(self, indices: Sequence[int]) -> Sequence[SourceResult]:
        """The results at ``indices``, in that order, read back when accessed."""


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of one run: every result, and what follows from them.

    ``results`` is a tuple, or for a large run a :class:`ResultStore` that reads each result
    back from a temporary file when it is accessed (``check_async``'s ``spool_after``);
    either way a sequence in registry order. The selections (``problems``, ``failures``, …)
    are sequences of the same kind.
    """

    results: Sequence[SourceResult]
    started_at: dt.datetime
    finished_at: dt.datetime
    tool_version: str
    fail_on: frozenset[Status] = DEFAULT_FAIL_ON
    """The statuses that fail the run."""
    registry: str | None = None
    """The registry file the sources came from, if any."""
    notes: tuple[str, ...] = ()
    """What the reader must know about the run as a whole, shown before the results: for
    instance that no source answered and factlinks could not tell whether the machine was
    offline or the one host is down."""
    shard: Shard | None = None
    """For a run of one shard (``--shard K/N``): which one; ``None`` for a whole run."""

    def __iter__(self) -> Iterator[SourceResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def briefs(self) -> Sequence[Brief]:
        """What each result is (status, previous status, documents), in registry order,
        without reading a spooled result back."""
        results = self.results
        if isinstance(results, ResultStore):
            return results.briefs()
        return [Brief.of(result) for result in results]

    def _where(self, *keeps: Callable[[Brief], bool]) -> Sequence[SourceResult]:
        """The results whose brief each of ``keeps`` accepts in turn: all that the first
        accepts, then those the second accepts, and so on (a result at most once)."""
        briefs = self.briefs()
        indices: list[int] = []
        taken: set[int] = set()
        for keep in keeps:
            found = [i for i, brief in enumerate(briefs) if i not in taken and keep(brief)]
            indices += found
            taken.update(found)
        results = self.results
        if isinstance(results, ResultStore):
            return results.subset(indices)
        return tuple(results[i] for i in indices)

    @property
    def counts(self) -> dict[Status, int]:
        """How many results have each status (every status present, zero included)."""
        found = Counter(brief.status for brief in self.briefs())
        return {status: found[status] for status in Status}

    def with_status(self, *statuses: Status) -> Sequence[SourceResult]:
        """The results in any of ``statuses``, in registry order."""
        return self._where(lambda brief: brief.status in statuses)

    @property
    def problems(self) -> Sequence[SourceResult]:
        """Results that ask the editor to look, the failing statuses first."""
        return self._where(
            lambda brief: brief.status in self.fail_on, lambda brief: brief.status.is_problem
        )

    @property
    def failures(self) -> Sequence[SourceResult]:
        """Results whose status is in ``fail_on``."""
        return self._where(lambda brief: brief.status in self.fail_on)

    @property
    def internal_errors(self) -> Sequence[SourceResult]:
        """Results whose check met a bug in factlinks (``error`` of kind ``internal``)."""
        return self._where(lambda brief: brief.internal)

    @property
    def passed(self) -> bool:
        """True when no result is in a failing status and no check met a bug.

        An internal error says nothing about the citation, so it never passes as healthy.
        """
        return not any(brief.status in self.fail_on or brief.internal for brief in self.briefs())

    @property
    def new_problems(self) -> Sequence[SourceResult]:
        """Problems that were healthy in the last run (sources checked before only)."""

        def was_healthy(brief: Brief) -> bool:
            return brief.previous is not None and not brief.previous.is_problem

        return self._where(
            lambda brief: brief.status in self.fail_on and was_healthy(brief),
            lambda brief: brief.status.is_problem and was_healthy(brief),
        )

    @property
    def recovered(self) -> Sequence[SourceResult]:
        """Sources that were problems in the last run and are ``ok`` now."""
        return self._where(
            lambda brief: (
                brief.status is Status.OK
                and brief.previous is not None
                and brief.previous.is_problem
            )
        )

    def by_document(self) -> dict[str, dict[Status, int]]:
        """Counts per status for each citing document (``cited_in``), problems first."""
        table: dict[str, dict[Status, int]] = {}
        for brief in self.briefs():
            for document in brief.cited_in or ("(no document)",):
                counts = table.setdefault(document, dict.fromkeys(Status, 0))
                counts[brief.status] += 1
        return dict(
            sorted(
                table.items(),
                key=lambda item: (-sum(n for s, n in item[1].items() if s.is_problem), item[0]),
            )
        )

    @property
    def elapsed_s(self) -> float:
        """Wall-clock duration of the run in seconds."""
        return (self.finished_at - self.started_at).total_seconds()
