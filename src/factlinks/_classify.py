"""The status decision: pure functions from what was fetched and found to a status and reason.

Soft 404s are detected as Bar-Yossef et al. do it ("Sic transit gloria telae", WWW 2004):
a deep link that answers 2xx is compared with a request for a random sibling in the same
directory. If the sibling gets 404/410 the host tells pages apart and the cited page lives;
if the sibling ends on the same final URL after redirects, or gets a near-identical body, the
cited page is one more "not found" page. A deep link redirected to the site's home page, or to
a URL that says 404 / not found, is dead too. A site root is never called a soft 404.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from rapidfuzz import fuzz

from ._models import (
    DocFormat,
    FetchResult,
    Inspection,
    Kind,
    Probe,
    ProbeVerdict,
    Problem,
    ProblemKind,
    Source,
    Status,
    TitleEvidence,
)

__all__ = [
    "SOFT_404_SIMILARITY",
    "Verdict",
    "body_similarity",
    "classify",
    "find_challenge",
    "is_site_root",
    "judge_probe",
    "new_url_of",
    "serves_other_kind",
    "sibling_url",
]

SOFT_404_SIMILARITY = 95.0
"""Bodies at least this alike (0-100) count as the same page."""

_LANG_RE = re.compile(r"^/([a-z]{2})(?:[-_][a-z]{2})?/?$", re.IGNORECASE)
_LANGUAGES = frozenset(
    [
        "ar",
        "bg",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fr",
        "ga",
        "gl",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "ka",
        "kk",
        "ko",
        "lb",
        "lt",
        "lv",
        "mk",
        "mt",
        "nb",
        "nl",
        "nn",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sq",
        "sr",
        "sv",
        "th",
        "tr",
        "uk",
        "ur",
        "vi",
        "zh",
    ]
)
"""ISO 639-1 codes that sites use as language roots (``/de/``, ``/en-us/``)."""
_INDEX_RE = re.compile(r"/(?:index|default|home|start)\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)
_LOGIN_URL_RE = re.compile(
    r"/(?:log-?in|sign-?in|sign_in|anmelden|anmeldung|wp-login\.php|sso|saml2?|oauth2?|cas)"
    r"(?:[/.?#]|$)",
    re.IGNORECASE,
)
_ERROR_URL_RE = re.compile(
    r"(?:^|[^a-z0-9])(?:404|not[-_ ]?found|page[-_]?not[-_]?found|seite[-_]?nicht[-_]?gefunden)"
    r"(?:[^a-z0-9]|$)",
    re.IGNORECASE,
)
_CHALLENGE_MARKERS = (
    "cf-browser-verification",
    "challenge-platform",
    "cf_chl_opt",
    "<title>just a moment...</title>",
    "attention required! | cloudflare",
    "checking your browser before accessing",
    "_incapsula_resource",
    "ddos protection by",
    "px-captcha",
    "captcha-delivery.com",
    "please enable js and disable any ad blocker",
)
_CAPTCHA_MARKERS = ("g-recaptcha", "h-captcha", "captcha")
_BLOCKED_STATUSES = {401: "401 Unauthorized", 403: "403 Forbidden", 451: "451", 999: "999"}
_REASONS = {
    404: "404 Not Found",
    410: "410 Gone",
    429: "429 Too Many Requests",
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
    504: "504 Gateway Timeout",
    408: "408 Request Timeout",
}
_TAG_RE = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SIMILARITY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Verdict:
    """A status with its one-sentence reason, and the new URL of a moved source."""

    status: Status
    reason: str
    new_url: str | None = None


def is_site_root(url: str) -> bool:
    """True for a site's home page: ``/``, ``/index.html``, a language root such as ``/de/``."""
    parts = urlsplit(url)
    path = _INDEX_RE.sub("/", parts.path or "/")
    if parts.query:
        return False
    if path in ("", "/"):
        return True
    language = _LANG_RE.match(path)
    return language is not None and language.group(1).lower() in _LANGUAGES


def sibling_url(url: str, token: str | None = None) -> str:
    """A random sibling of ``url`` in the same directory, with the same extension.

    ``/a/b/report.pdf`` -> ``/a/b/<random>.pdf``; ``/a/b/`` -> ``/a/<random>/``.
    """
    token = token or "factlinks-" + secrets.token_hex(8)
    parts = urlsplit(url)
    segments = (parts.path or "/").split("/")
    if segments[-1]:
        last = segments[-1]
        dot = last.rfind(".")
        extension = last[dot:] if dot > 0 and len(last) - dot <= 6 else ""
        segments[-1] = token + extension
    elif len(segments) > 2:
        segments[-2] = token
    else:
        segments[-1] = token
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), "", ""))


def new_url_of(source_url: str, fetch: FetchResult) -> str | None:
    """Where the leading run of permanent redirects (301/308) leads, if anywhere new."""
    target: str | None = None
    for hop in fetch.redirects:
        if not hop.permanent:
            break
        target = hop.location
    return target if target and target != source_url else None


def _echoes(url: str) -> list[str]:
    """How a "not found" page may repeat the requested URL: whole, path, last segment."""
    parts = urlsplit(url)
    path = parts.path or "/"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    forms = [url, path, unquote(path), last, unquote(last)]
    return sorted({f for f in forms if len(f) > 1}, key=len, reverse=True)


def _visible_text(body: bytes, echoes: list[str]) -> str:
    text = _TAG_RE.sub(b" ", body[: _SIMILARITY_CHARS * 4]).decode("utf-8", "replace")
    for echo in echoes:
        text = text.replace(echo, " ")
    return " ".join(text.split())[:_SIMILARITY_CHARS]


def body_similarity(cited: FetchResult, probe: FetchResult) -> float:
    """How alike two bodies are, 0 to 100 (identical bytes: 100).

    Each page's own URL is taken out of its text first, so two "not found" pages that
    repeat the requested path compare as the same page.
    """
    if cited.body == probe.body:
        return 100.0
    if b"%PDF-" in cited.body[:1024] or b"%PDF-" in probe.body[:1024]:
        same = hashlib.sha256(cited.body).digest() == hashlib.sha256(probe.body).digest()
        return 100.0 if same else 0.0
    cited_text = _visible_text(cited.body, _echoes(cited.url) + _echoes(cited.final_url))
    probe_text = _visible_text(probe.body, _echoes(probe.url) + _echoes(probe.final_url))
    return float(fuzz.ratio(cited_text, probe_text))


def judge_probe(cited: FetchResult, probe: FetchResult) -> Probe:
    """Compare a 2xx answer for a deep link with the answer for its random sibling."""
    similarity: float | None = None
    verdict = ProbeVerdict.INCONCLUSIVE
    if probe.failure is None and probe.status_code in (404, 410):
        verdict = ProbeVerdict.ALIVE
    elif probe.ok and cited.undecodable is None and probe.undecodable is None:
        similarity = round(body_similarity(cited, probe), 1)
        same_end = bool(cited.redirects and probe.redirects) and cited.final_url == probe.final_url
        if same_end or similarity >= SOFT_404_SIMILARITY:
            verdict = ProbeVerdict.SOFT_404
    return Probe(
        url=probe.url,
        status_code=probe.status_code,
        final_url=probe.final_url,
        redirects=probe.redirects,
        similarity=similarity,
        verdict=verdict,
    )


def find_challenge(fetch: FetchResult) -> str | None:
    """The marker of a bot-challenge page in the answer, if it is one.

    Bot-protection services mark their pages unmistakably (Cloudflare's ``cf-mitigated``
    header and challenge scripts, Imperva, PerimeterX, DataDome). A captcha widget alone
    counts only on a refusal (403, 429, 503): contact forms on healthy pages carry one too.
    """
    if fetch.headers.get("cf-mitigated", "").lower() == "challenge":
        return "cf-mitigated: challenge"
    content_type = (fetch.content_type or "").lower()
    if "html" not in content_type and not fetch.body[:512].lstrip().startswith(b"<"):
        return None
    if fetch.ok and len(fetch.body) > 200_000:
        return None  # a real page, not an interstitial
    head = fetch.body[:200_000].decode("utf-8", "replace").lower()
    markers: tuple[str, ...] = _CHALLENGE_MARKERS
    if fetch.status_code in (403, 429, 503):
        markers += _CAPTCHA_MARKERS
    return next((marker for marker in markers if marker in head), None)


def _status_text(code: int) -> str:
    return _REASONS.get(code, f"HTTP {code}")


def _tries(fetch: FetchResult) -> str:
    return f"after {fetch.attempts} attempt{'s' if fetch.attempts != 1 else ''}"


def _quoted(text: str | None, limit: int = 100) -> str:
    if not text:
        return "an untitled document"
    text = " ".join(text.split())
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"


def classify(
    source: Source,
    fetch: FetchResult,
    inspection: Inspection | None = None,
    evidence: TitleEvidence | None = None,
    probe: Probe | None = None,
    *,
    accept: frozenset[int] = frozenset(),
) -> Verdict:
    """Decide the status of ``source`` from its fetch, inspection, title evidence and probe.

    ``accept`` holds the status codes that the answering host's ``[[host]]`` table accepts
    as reachable: a non-2xx answer in it is ``ok``, its title unchecked (the body of a 403
    is not the document).

    Example::

        >>> classify(source, FetchResult(url=u, final_url=u, status_code=404)).status
        <Status.DEAD: 'dead'>
    """
    if fetch.failure is not None:
        return Verdict(Status.UNREACHABLE, f"{_sentence(fetch.failure.detail)} {_tries(fetch)}.")
    code = fetch.status_code
    assert code is not None
    via = f" (after redirects, at {fetch.final_url})" if fetch.redirects else ""
    if code in accept and not 200 <= code < 300:
        return Verdict(
            Status.OK,
            f"The server answers HTTP {code}{via}, accepted for this host by its [[host]] "
            "accept; the title was not checked.",
        )
    if code in (404, 410):
        return Verdict(Status.DEAD, f"The server answers {_status_text(code)}{via}.")
    title_seen = evidence is not None and evidence.matched
    challenge = None if title_seen else find_challenge(fetch)
    if challenge is not None:
        return Verdict(
            Status.BLOCKED,
            f"The site shows a bot challenge page (HTTP {code}, {challenge}) instead of the "
            "document; it is probably alive.",
        )
    if code in _BLOCKED_STATUSES:
        return Verdict(
            Status.BLOCKED,
            f"The server refuses the checker with HTTP {code}{via}; the page is probably alive.",
        )
    if code == 429 or code == 408 or 500 <= code < 600:
        return Verdict(
            Status.UNREACHABLE, f"The server kept answering {_status_text(code)} {_tries(fetch)}."
        )
    if 400 <= code < 500:
        return Verdict(
            Status.BLOCKED,
            f"The server rejects the checker's request with HTTP {code}{via}; "
            "check the link in a browser.",
        )
    if not 200 <= code < 300:
        return Verdict(Status.UNREACHABLE, f"Unexpected answer HTTP {code}{via}.")
    return _classify_2xx(source, fetch, inspection, evidence, probe)


def serves_other_kind(source: Source, fmt: DocFormat | None) -> bool:
    """True when the URL serves another kind of document than the one cited.

    A PDF cited but HTML (or anything else) served, or a web page cited but a PDF served.
    """
    if fmt is None:
        return False
    if source.kind is Kind.PDF:
        return fmt is not DocFormat.PDF
    return source.kind is Kind.HTML and fmt is DocFormat.PDF


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:]


def _redirected_away(source: Source, fetch: FetchResult) -> Verdict | None:
    """A deep link redirected to the home page, a login page or an error page, if so."""
    if is_site_root(fetch.final_url):
        return Verdict(
            Status.DEAD,
            f"The link redirects to the site's home page ({fetch.final_url}), "
            "as sites do for removed pages.",
        )
    if _says(_LOGIN_URL_RE, fetch.final_url, source.url):
        return Verdict(
            Status.BLOCKED,
            f"The link redirects to a login page ({fetch.final_url}); check it in a browser.",
        )
    if _says(_ERROR_URL_RE, _tail(fetch.final_url), _tail(source.url)):
        return Verdict(Status.DEAD, f"The link redirects to an error page ({fetch.final_url}).")
    return None


def _classify_2xx(
    source: Source,
    fetch: FetchResult,
    inspection: Inspection | None,
    evidence: TitleEvidence | None,
    probe: Probe | None,
) -> Verdict:
    deep = not is_site_root(source.url)
    away = _redirected_away(source, fetch) if deep and fetch.redirects else None
    if away is not None:
        return away
    if fetch.undecodable is not None:
        # Before the probe and the kind: an empty stand-in body proves nothing either way.
        return Verdict(Status.UNVERIFIABLE, f"The body cannot be read: {fetch.undecodable}.")
    if deep and probe is not None and probe.verdict is ProbeVerdict.SOFT_404:
        how = (
            "ends on the same page"
            if probe.similarity is None or probe.similarity < SOFT_404_SIMILARITY
            else f"gets a {probe.similarity:.0f} % identical page"
        )
        return Verdict(
            Status.DEAD,
            f"Soft 404: a made-up URL in the same directory {how}, so this page is gone.",
        )
    new_url = new_url_of(source.url, fetch)
    fmt = inspection.format if inspection is not None else None
    now = _quoted(inspection.display_title if inspection else None)
    if fmt is not None and serves_other_kind(source, fmt):
        if fmt is DocFormat.PDF:
            return Verdict(
                Status.DRIFTED, f"A web page was cited, but the URL now serves a PDF: {now}."
            )
        shows = "an HTML page" if fmt is DocFormat.HTML else f"{fmt.value} content"
        return Verdict(Status.DRIFTED, f"A PDF was cited, but the URL now serves {shows}: {now}.")
    moved = f"Permanently redirected to {new_url}; " if new_url else ""
    status_if_right = Status.MOVED if new_url else Status.OK
    if source.title is None:
        return Verdict(
            status_if_right,
            _sentence(f"{moved}answers HTTP {fetch.status_code}; no title to check") + ".",
            new_url,
        )
    problem = (
        inspection.problem
        if inspection is not None
        else Problem(ProblemKind.NOT_INSPECTED, "the document was not inspected")
    )
    if problem is not None:
        return Verdict(Status.UNVERIFIABLE, f"The title cannot be checked: {problem}.")
    if evidence is not None and evidence.matched:
        return Verdict(
            status_if_right,
            _sentence(f"{moved}title found in {evidence.where}") + ".",
            new_url,
        )
    near = (
        f" (closest: {evidence.score:.0f} % in {evidence.where})"
        if evidence is not None and evidence.where and evidence.score >= 50
        else ""
    )
    shown = _quoted(evidence.found if evidence is not None else None)
    return Verdict(
        Status.DRIFTED,
        f"The expected title is not in the document{near}; it now shows {shown}.",
    )


def _tail(url: str) -> str:
    """The last path segment and the query: where a URL says what it is."""
    parts = urlsplit(url)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{last}?{parts.query}" if parts.query else last


def _says(pattern: re.Pattern[str], final: str, cited: str) -> bool:
    """True when ``final`` matches ``pattern`` and the cited URL did not already."""
    return bool(pattern.search(final)) and not pattern.search(cited)
