"""URLs in plain text, the part every reader shares.

Text pulled out of a PDF wraps long URLs across lines; :func:`urls_in_text` joins a URL with
the next line when that line is nothing but a URL fragment (``.../KI-Trainer/`` +
``ki-trainer.html``; ``.../Austausch-`` + ``mit-der-betrieblichen-Praxis/...``).

The rules, checked against linkify-it's and cmark-gfm's suites (``tests/fixtures/url_suites``):

- a URL starts at ``http://`` or ``https://`` (not after ``_``) and ends at white space, a
  control character (NUL included), ``<>`` ``|`` `````` ``\\`` ``^``, or punctuation of other
  scripts (full-width bar, comma and full stop, CJK brackets, typographic quotes);
- trailing punctuation goes (``.,;:!?*~``), so do unbalanced closing brackets and a trailing
  quote that closes nothing: ``wiki/Foo_(bar)``, ``blah_[other]`` and ``'singlequoted'`` stay
  whole, an apostrophe between letters (``I'm``) is not a quote;
- a second ``http(s)://`` inside a URL starts a new one (two URLs glued without a space),
  unless it follows ``=``, ``?``, ``&`` or ``#`` (a query value) or an archive's time stamp
  (``/web/20240101000000/https://...``, ``/newest/https://...``);
- the authority ends at a bracket, quote or sentence mark (``https://www.ibm.com)[x]``);
- the host must be a host name: labels of letters, digits and inner ``-``/``_``, no empty label
  (``http://.example.com``), none starting or ending with ``-`` or ``_``
  (``http://-example.com``, ``http://example.com_``), and not a bare ``www``; IPv6 hosts in
  brackets (``http://[::1]/``) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from .._registry.validate import url_problem
from .interface import CitedUrl

__all__ = ["strip_url", "unique", "urls_in_text", "valid_url"]

_STOPS = (
    "\uff5c\uff0c\u3002\u3001\uff1b\uff1a\uff01\uff1f"
    "\uff08\uff09\u3010\u3011\u300c\u300d\u300e\u300f"
    "\u300a\u300b\u3008\u3009\u201c\u201d\u201e\u201f"
    "\u00ab\u00bb\u2039\u203a\u2018\u2019"
    "\u200b\ufeff"
)
"""Punctuation of other scripts and invisible breaks: each ends a URL wherever it stands."""
_URL_RE = re.compile(r"""(?<!_)https?://[^\s\x00-\x1f\x7f<>`|\\^""" + _STOPS + "]+", re.IGNORECASE)
_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)
_ARCHIVE_STAMP_RE = re.compile(r"\d{4,14}[a-z_*]*|web|newest|oldest", re.IGNORECASE)
"""The path segment before an archived URL: a time stamp (``20240101000000id_``) or a name."""
_AUTHORITY_RE = re.compile(r"""https?://(?:\[[0-9a-f:.]*\])?[^/?#()\[\]{}'"*,;!]*""", re.IGNORECASE)
"""Scheme and authority: brackets, quotes and sentence punctuation end a host, not a path."""
_LABEL_RE = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_FRAGMENT_RE = re.compile(r"""[A-Za-z0-9._~%/?#=&+:;@!$*,()-]+""")
_FRAGMENT_SIGNS = frozenset("/._-=%?&")
_TRAILING = ".,;:!?*~"
_SENTENCE_END = _TRAILING + "'\""
_QUOTES = "'\""
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}
_OPENING = frozenset(_PAIRS.values())


def strip_url(url: str) -> str:
    """``url`` without trailing punctuation, unbalanced brackets and quotes that close nothing.

    Linear in the length of ``url``: brackets and quotes are counted once, then kept up to date.
    """
    counts = {c: url.count(c) for c in "()[]{}<>"}
    counts.update({q: _quote_marks(url, q) for q in _QUOTES})
    end = len(url)
    while end and _strippable(url[end - 1], counts):
        counts[url[end - 1]] = counts.get(url[end - 1], 0) - 1
        end -= 1
    return url[:end]


def _strippable(last: str, counts: dict[str, int]) -> bool:
    if last in _TRAILING or last in _OPENING:
        return True
    if last in _PAIRS:
        return counts[_PAIRS[last]] < counts[last]
    return last in _QUOTES and counts[last] % 2 == 1


def _quote_marks(url: str, quote: str) -> int:
    """How many ``quote`` characters in ``url`` are quote marks, not apostrophes (``I'm``)."""
    marks = 0
    for at, char in enumerate(url):
        if char == quote:
            inner = 0 < at < len(url) - 1 and url[at - 1].isalnum() and url[at + 1].isalnum()
            marks += not inner
    return marks


def valid_url(url: str) -> bool:
    """True for a URL a registry may cite: http(s), a host name, a valid port, no white space.

    The same rule as the registry's (:func:`factlinks._registry.validate.url_problem`), so
    ``extract --write`` never appends a URL the registry then refuses.
    """
    return url_problem(url) is None


def _continues(url: str, next_line: str) -> str | None:
    """The next line's text when it is the rest of a URL that wrapped, else ``None``."""
    fragment = next_line.strip()
    if not fragment or not _FRAGMENT_RE.fullmatch(fragment):
        return None
    if _URL_RE.match(fragment) or fragment.lower().startswith(("www.", "http")):
        return None
    if not _FRAGMENT_SIGNS & set(fragment):
        return None  # a plain word ("and", "Mittelstand") is text, not the rest of a URL
    if url.endswith(tuple(_SENTENCE_END)) and not url.endswith("."):
        return None
    return fragment


def urls_in_text(text: str, document: str, *, where: str = "line") -> list[CitedUrl]:
    """The URLs in plain ``text``, wrapped ones joined, in order of appearance.

    ``where`` names the location: ``"line"`` gives ``line N``; anything else is used as is.
    """
    lines = text.splitlines()
    found: list[CitedUrl] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        matches = list(_URL_RE.finditer(line))
        consumed = 0
        for number, match in enumerate(matches):
            url = match.group()
            at_line_end = number == len(matches) - 1 and not line[match.end() :].strip()
            if at_line_end:
                while index + consumed + 1 < len(lines):
                    rest = _continues(url, lines[index + consumed + 1])
                    if rest is None:
                        break
                    url += rest
                    consumed += 1
            place = f"line {index + 1}" if where == "line" else where
            found.extend(CitedUrl(piece, document, place) for piece in _text_urls(url))
        index += 1 + consumed
    return found


def _text_urls(candidate: str) -> list[str]:
    """The URLs in one run of URL characters: glued ones split, each stripped and checked."""
    urls = []
    for piece in _unglued(candidate):
        url = strip_url(_authority_cut(piece))
        if valid_url(url) and _plausible_host(url):
            urls.append(url)
    return urls


def _unglued(candidate: str) -> list[str]:
    """``candidate`` cut before each ``http(s)://`` that starts a second URL glued to it."""
    pieces = []
    start = 0
    for match in _SCHEME_RE.finditer(candidate, 1):
        if _glued(candidate[start : match.start()]):
            pieces.append(candidate[start : match.start()])
            start = match.start()
    pieces.append(candidate[start:])
    return pieces


def _glued(before: str) -> bool:
    """Whether a URL that follows ``before`` is glued to it rather than a part of it."""
    if before.endswith(("=", "?", "&", "#")):
        return False  # a query value (?url=https://...)
    segment = before.removesuffix("/").rpartition("/")[2]
    return not (before.endswith("/") and _ARCHIVE_STAMP_RE.fullmatch(segment))


def _authority_cut(piece: str) -> str:
    """``piece`` cut where its authority meets a character no host name has (``.com)[x]``)."""
    match = _AUTHORITY_RE.match(piece)
    end = match.end() if match else len(piece)
    if end < len(piece) and piece[end] not in "/?#":
        return piece[:end]
    return piece


def _plausible_host(url: str) -> bool:
    """Whether ``url``'s host is a host name (or an IPv6 address), not junk from the text."""
    host = urlsplit(url).hostname or ""
    if ":" in host:
        return True  # an IPv6 address, which urlsplit and httpx have checked
    host = host.removesuffix(".")
    if host == "www":
        return False  # a URL cut off after "www" or "www."
    return all(_LABEL_RE.fullmatch(label) for label in host.split("."))


def unique(found: Iterable[CitedUrl]) -> list[CitedUrl]:
    """``found`` with each URL once, where it first appears."""
    seen: set[str] = set()
    result = []
    for cited in found:
        if cited.url not in seen:
            seen.add(cited.url)
            result.append(cited)
    return result
