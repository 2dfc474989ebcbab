"""DOI names: recognising, normalising and writing them; pure functions, no I/O.

A DOI is ``10.`` + a registrant code (digits, dot-separated) + ``/`` + a suffix of any
printable characters (the DOI Handbook, 2.2). It is case-insensitive for ASCII letters, so
two DOIs are the same when their :func:`doi_key` is. Citations write it bare (``10.1000/182``),
with a ``doi:`` prefix, or as a URL on ``doi.org`` or ``dx.doi.org``, the suffix then
percent-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "DOI_HOSTS",
    "doi_from_url",
    "doi_key",
    "doi_path",
    "doi_url",
    "on_resolver",
    "parse_doi",
]

DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
"""The hosts of the DOI proxy: a URL on one of them names a DOI."""

_DOI_RE = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*/\S+")
_PREFIX_RE = re.compile(r"^(?:doi:\s*|info:doi/|urn:doi:)", re.IGNORECASE)
_SAFE = "/:;()[]._-~!$&'*+,=@"
"""Characters of a DOI written as they are in its URL; the rest (``#``, ``?``, ``%``,
space, quotes, angle brackets, non-ASCII) are percent-encoded, as the DOI Handbook asks."""


def parse_doi(text: str) -> str | None:
    """The DOI that ``text`` writes (bare, ``doi:…`` or a ``doi.org`` URL), or ``None``.

    Example::

        parse_doi("https://doi.org/10.1000/182")   # '10.1000/182'
        parse_doi("doi:10.1002/(SICI)1097-4571")   # '10.1002/(SICI)1097-4571'
        parse_doi("not a doi")                     # None
    """
    value = text.strip()
    if value.lower().startswith(("http://", "https://")):
        return doi_from_url(value)
    value = _PREFIX_RE.sub("", value)
    return value if _DOI_RE.fullmatch(value) else None


def doi_from_url(url: str) -> str | None:
    """The DOI a URL on the DOI proxy (``https://doi.org/10.…``) resolves, else ``None``."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host not in DOI_HOSTS:
        return None
    # A '?' or '#' in a DOI is written %3F, %23; a query or fragment is not part of it.
    name = unquote(parts.path.lstrip("/"))
    return name if _DOI_RE.fullmatch(name) else None


def doi_key(doi: str) -> str:
    """``doi`` in the form two DOIs are compared in: ASCII letters lower-cased."""
    return doi.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def doi_url(doi: str, resolver: str = "https://doi.org") -> str:
    """The URL of ``doi`` on ``resolver``, the suffix percent-encoded where a URL needs it.

    Example::

        doi_url("10.1000/a#b")                      # 'https://doi.org/10.1000/a%23b'
        doi_url("10.1000/182", "http://127.0.0.1:8080")
    """
    return f"{resolver.rstrip('/')}/{doi_path(doi)}"


def doi_path(doi: str) -> str:
    """``doi`` as a URL path, percent-encoded only where a URL needs it (``#``, ``?``, ``%``)."""
    return quote(doi, safe=_SAFE)


def on_resolver(url: str, resolver: str) -> str | None:
    """``url`` on the DOI proxy sent to ``resolver`` instead (path and query kept), else ``None``.

    Example::

        on_resolver("https://dx.doi.org/10.1000/182", "http://127.0.0.1:8080")
        # 'http://127.0.0.1:8080/10.1000/182'
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host not in DOI_HOSTS:
        return None
    query = f"?{parts.query}" if parts.query else ""
    return f"{resolver.rstrip('/')}{parts.path or '/'}{query}"
