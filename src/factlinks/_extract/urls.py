"""URLs in plain text, the part every reader shares.

Text pulled out of a PDF wraps long URLs across lines; :func:`urls_in_text` joins a URL with
the next line when that line is nothing but a URL fragment (``.../KI-Trainer/`` +
``ki-trainer.html``; ``.../Austausch-`` + ``mit-der-betrieblichen-Praxis/...``). Trailing
punctuation and unbalanced closing brackets are stripped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .._registry.validate import url_problem
from .interface import CitedUrl

__all__ = ["strip_url", "unique", "urls_in_text", "valid_url"]

_URL_RE = re.compile(r"""https?://[^\s<>"'`{}|\\^\[\]]+""", re.IGNORECASE)
_FRAGMENT_RE = re.compile(r"""[A-Za-z0-9._~%/?#=&+:;@!$*,()-]+""")
_FRAGMENT_SIGNS = frozenset("/._-=%?&")
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}


def strip_url(url: str) -> str:
    """``url`` without trailing punctuation and unbalanced closing brackets.

    Linear in the length of ``url``: the brackets are counted once, then kept up to date.
    """
    counts = {c: url.count(c) for c in "()[]{}<>"}
    end = len(url)
    while end:
        last = url[end - 1]
        unbalanced = last in _PAIRS and counts[_PAIRS[last]] < counts[last]
        if last not in _TRAILING and not unbalanced:
            break
        if last in counts:
            counts[last] -= 1
        end -= 1
    return url[:end]


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
    if url.endswith(tuple(_TRAILING)) and not url.endswith("."):
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
            url = strip_url(url)
            if valid_url(url):
                place = f"line {index + 1}" if where == "line" else where
                found.append(CitedUrl(url, document, place))
        index += 1 + consumed
    return found


def unique(found: Iterable[CitedUrl]) -> list[CitedUrl]:
    """``found`` with each URL once, where it first appears."""
    seen: set[str] = set()
    result = []
    for cited in found:
        if cited.url not in seen:
            seen.add(cited.url)
            result.append(cited)
    return result
