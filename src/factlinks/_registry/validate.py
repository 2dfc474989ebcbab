"""The rules of a registry, whatever its format: parsed tables in, :class:`Source` objects out.

A format parses its file into plain values (dicts, lists, strings, dates) and hands them to
:func:`registry_from_data`, or one source at a time to :func:`source_from_table`; the error
messages name the file, the line where known, the source and the key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

from .._doi.names import doi_url, parse_doi
from .._errors import OptionsError, RegistryError
from .._models import Kind, Source
from .._options import CheckOptions, parse_statuses
from .hosts import hosts_from_data
from .interface import Registry

__all__ = [
    "SETTINGS_KEYS",
    "SOURCE_KEYS",
    "TOP_KEYS",
    "check_url",
    "registry_from_data",
    "settings_from_table",
    "source_from_table",
    "url_problem",
]

SOURCE_KEYS = (
    "id",
    "url",
    "title",
    "kind",
    "citation",
    "cited_in",
    "accessed",
    "skip",
    "archive_url",
    "cited_url",
    "proposed_title",
    "doi",
    "authors",
    "year",
)
TOP_KEYS = ("settings", "source", "host")
_ID_RE = re.compile(r"[a-z0-9._-]+")
_SHOWN = 80
"""Characters of a bad value quoted in an error message at most."""

Position = tuple[int, int]
"""A 1-based (line, column) in a registry file."""


def registry_from_data(
    data: Mapping[str, Any],
    path: str,
    positions: Sequence[Position] = (),
    host_lines: Sequence[int | None] = (),
) -> Registry:
    """Validate a parsed registry: a ``settings`` table, a ``source`` list of tables and a
    ``host`` list of tables (``[[host]]``, kept as the setting ``hosts``).

    ``positions`` holds where each source starts in the file, in order, where known;
    ``host_lines`` the line of each ``[[host]]`` header.
    """
    for key in data:
        if key not in TOP_KEYS:
            _unknown(path, None, key, TOP_KEYS, None, "top-level key")
    settings = settings_from_table(data.get("settings", {}), path)
    if "host" in data:
        settings["hosts"] = hosts_from_data(data["host"], path, host_lines)
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise RegistryError(
            f"{path}: 'source' must be an array of tables ([[source]])", path=path, key="source"
        )
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_sources):
        line, column = positions[index] if index < len(positions) else (None, None)
        source = source_from_table(raw, index, path, line, column)
        if source.id in seen:
            first = seen[source.id]
            also = positions[first][0] if first < len(positions) else None
            raise RegistryError(
                f"{_where(path, line)}: source {_shown(source.id)}: duplicate id "
                f"(also {f'line {also}' if also is not None else f'source #{first + 1}'})",
                path=path,
                source_id=source.id,
                key="id",
            )
        seen[source.id] = index
        sources.append(source)
    return Registry(tuple(sources), settings, path)


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _unknown(
    path: str,
    source_id: str | None,
    key: str,
    valid: Sequence[str],
    line: int | None,
    what: str = "unknown key",
    *,
    label: str | None = None,
) -> None:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(valid)}"
    owner = f"source {_shown(source_id)}: " if source_id else (f"{label}: " if label else "")
    if what == "top-level key":
        message = f"{_where(path, line)}: unknown top-level key {_shown(key)}{hint}"
    else:
        message = f"{_where(path, line)}: {owner}unknown key {_shown(key)}{hint}"
    raise RegistryError(message, path=path, source_id=source_id, key=key)


# -- [settings] -------------------------------------------------------------------------------


def settings_from_table(raw: object, path: str) -> dict[str, Any]:
    """Validate the ``[settings]`` table: known keys, each of the right type and range."""
    if not isinstance(raw, dict):
        raise RegistryError(f"{path}: 'settings' must be a table", path=path, key="settings")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        check = _SETTINGS.get(key)
        if check is None:
            close = difflib.get_close_matches(key, SETTINGS_KEYS, n=1, cutoff=0.6)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(SETTINGS_KEYS)}"
            )
            raise RegistryError(
                f"{path}: [settings]: unknown key {_shown(key)}{hint}", path=path, key=key
            )
        value = check(key, value, path)
        try:
            CheckOptions().replace(**{key: parse_statuses(value) if key == "fail_on" else value})
        except OptionsError as exc:
            raise RegistryError(f"{path}: [settings]: {exc}", path=path, key=key) from None
        out[key] = value
    return out


def _string(key: str, value: object, path: str) -> Any:
    """A string setting (``user_agent``, ``canary_url``); its content is checked by the options."""
    _expect(value, str, "a string", path, None, key, None, "[settings]")
    return value


def _fail_on(key: str, value: object, path: str) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(
            f"{path}: [settings]: 'fail_on' must be a list of status names", path=path, key=key
        )
    try:
        parse_statuses(value)
    except OptionsError as exc:
        raise RegistryError(f"{path}: [settings]: {exc}", path=path, key=key) from None
    return value


def _timeout(key: str, value: object, path: str) -> Any:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise RegistryError(
            f"{path}: [settings]: 'timeout' must be a positive number of seconds, "
            f"not {_shown(value)}",
            path=path,
            key=key,
        )
    return float(value)


def _count(least: int) -> Callable[[str, object, str], Any]:
    what = "a whole number >= 0" if least == 0 else "a positive integer"

    def check(key: str, value: object, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise RegistryError(
                f"{path}: [settings]: {key!r} must be {what}, not {_shown(value)}",
                path=path,
                key=key,
            )
        return value

    return check


def _patterns(key: str, value: object, path: str) -> Any:
    """``exclude``: a list of regular expressions (checked by the options)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(
            f"{path}: [settings]: {key!r} must be a list of regular expressions (strings)",
            path=path,
            key=key,
        )
    return tuple(value)


def _flag(key: str, value: object, path: str) -> Any:
    if not isinstance(value, bool):
        raise RegistryError(
            f"{path}: [settings]: {key!r} must be true or false, not {value!r}", path=path, key=key
        )
    return value


_SETTINGS: dict[str, Callable[[str, object, str], Any]] = {
    "user_agent": _string,
    "concurrency": _count(1),
    "per_host": _count(1),
    "timeout": _timeout,
    "max_bytes": _count(1),
    "max_redirects": _count(0),
    "max_pages": _count(1),
    "fail_on": _fail_on,
    "canary_url": _string,
    "allow_private": _flag,
    "contact": _string,
    "doi_resolver": _string,
    "recheck_after_days": _count(0),
    "exclude": _patterns,
}
"""A validator per ``[settings]`` key: ``(key, value, path) -> value to keep``."""
SETTINGS_KEYS = tuple(_SETTINGS)
"""The keys ``[settings]`` may hold."""


# -- [[source]] -------------------------------------------------------------------------------


def _expect(
    value: object,
    types: type | tuple[type, ...],
    described: str,
    path: str,
    source_id: str | None,
    key: str,
    line: int | None,
    owner: str | None = None,
) -> None:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        who = owner or (f"source {_shown(source_id)}" if source_id else "source")
        raise RegistryError(
            f"{_where(path, line)}: {who}: {key!r} must be {described}, "
            f"not {type(value).__name__} {_shown(value)}",
            path=path,
            source_id=source_id,
            key=key,
        )


@dataclass(frozen=True, slots=True)
class _At:
    """The source being validated: where its errors point."""

    path: str
    line: int | None
    source_id: str
    check_urls: bool = True

    def fail(self, key: str, message: str) -> NoReturn:
        raise RegistryError(
            f"{_where(self.path, self.line)}: source {_shown(self.source_id)}: {message}",
            path=self.path,
            source_id=self.source_id,
            key=key,
        )

    def expect(
        self, value: object, types: type | tuple[type, ...], described: str, key: str
    ) -> None:
        _expect(value, types, described, self.path, self.source_id, key, self.line)


def source_from_table(
    raw: object,
    index: int,
    path: str,
    line: int | None = None,
    column: int | None = None,
    *,
    check_urls: bool = True,
) -> Source:
    """Validate the ``index``-th (0-based) source table, found at ``line`` and ``column``.

    ``check_urls=False`` leaves out :func:`url_problem` (most of the time a source takes), for
    a table validated once already: a line-oriented registry decodes a source again each
    time it is asked for (:mod:`.lines`).
    """
    label = f"source #{index + 1}"
    if not isinstance(raw, dict):
        raise RegistryError(f"{_where(path, line)}: {label} must be a table", path=path)
    raw_id = raw.get("id")
    source_id = raw_id if isinstance(raw_id, str) else None
    for key in raw:
        if key not in SOURCE_KEYS:
            _unknown(path, source_id, key, SOURCE_KEYS, line, label=label)
    if "id" not in raw:
        raise RegistryError(
            f"{_where(path, line)}: {label}: missing required key 'id'", path=path, key="id"
        )
    _expect(raw_id, str, "a string", path, None, "id", line, label)
    assert isinstance(raw_id, str)
    at = _At(path, line, raw_id, check_urls)
    if not _ID_RE.fullmatch(raw_id):
        at.fail("id", "'id' may only hold lower-case letters, digits, '.', '_' and '-'")
    values = {key: check(raw.get(key), at) for key, check in _SOURCE_FIELDS.items()}
    if "url" not in raw and values["doi"] is None:
        at.fail("url", "missing required key 'url' (or 'doi', for a work cited by its DOI)")
    url = raw["url"] if "url" in raw else doi_url(values["doi"])
    at.expect(url, str, "a string", "url")
    if check_urls:
        check_url(url, path, raw_id, line)
    if values["title"] is not None and values["proposed_title"] is not None:
        at.fail(
            "proposed_title",
            "has both 'title' and 'proposed_title'; keep 'title' and remove 'proposed_title' "
            "(a proposal is only for a source without a title)",
        )
    return Source(id=raw_id, url=url, **values, line=line, column=column)


def _title_key(key: str) -> Callable[[object, _At], str | None]:
    """The validator of a title key (``title``, ``proposed_title``): a string, not blank."""

    def validate(value: object, at: _At) -> str | None:
        if value is None:
            return None
        at.expect(value, str, "a string", key)
        assert isinstance(value, str)
        if not value.strip():
            at.fail(key, f"{key!r} is empty; leave it out to check reachability only")
        return value.strip()

    return validate


def _doi(value: object, at: _At) -> str | None:
    if value is None:
        return None
    at.expect(value, str, "a string", "doi")
    assert isinstance(value, str)
    doi = parse_doi(value)
    if doi is None:
        at.fail(
            "doi",
            f"'doi' is not a DOI: {_shown(value)} (a DOI is 10.NNNN/suffix, as in 10.1000/182)",
        )
    return doi


def _authors(value: object, at: _At) -> tuple[str, ...]:
    authors = [value] if isinstance(value, str) else ([] if value is None else value)
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        at.fail("authors", "'authors' must be a list of strings (\"Family, Given\")")
    return tuple(a.strip() for a in authors if a.strip())


def _year(value: object, at: _At) -> str | None:
    if value is None:
        return None
    at.expect(value, (int, str), "a year (e.g. 2021) or a string", "year")
    text = str(value).strip()
    return text or None


def _kind(value: object, at: _At) -> Kind:
    kind = "any" if value is None else value
    at.expect(kind, str, "a string", "kind")
    assert isinstance(kind, str)
    try:
        return Kind(kind)
    except ValueError:
        valid = ", ".join(repr(k.value) for k in Kind)
        close = difflib.get_close_matches(kind.lower(), [k.value for k in Kind], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        at.fail("kind", f"'kind' must be one of {valid}, not {_shown(kind)}{hint}")


def _citation(value: object, at: _At) -> str | None:
    if value is None:
        return None
    at.expect(value, str, "a string", "citation")
    assert isinstance(value, str)
    return value


def _cited_in(value: object, at: _At) -> tuple[str, ...]:
    cited_in = [value] if isinstance(value, str) else ([] if value is None else value)
    if not isinstance(cited_in, list) or not all(isinstance(c, str) for c in cited_in):
        at.fail("cited_in", "'cited_in' must be a list of strings")
    return tuple(cited_in)


def _accessed(value: object, at: _At) -> dt.date | None:
    if value is None:
        return None
    accessed = value.date() if isinstance(value, dt.datetime) else value
    at.expect(accessed, dt.date, "a date (e.g. 2021-02-15)", "accessed")
    assert isinstance(accessed, dt.date)
    return accessed


def _url_key(key: str) -> Callable[[object, _At], str | None]:
    """The validator of an optional URL key (``archive_url``, ``cited_url``)."""

    def validate(value: object, at: _At) -> str | None:
        if value is None:
            return None
        at.expect(value, str, "a string", key)
        assert isinstance(value, str)
        if at.check_urls:
            check_url(value, at.path, at.source_id, at.line, key=key)
        return value

    return validate


def _skip(value: object, at: _At) -> str | None:
    if value is None:
        return None
    at.expect(value, (bool, str), "true or a reason string", "skip")
    if not value:
        return None
    return value if isinstance(value, str) else "skipped in the registry"


_SOURCE_FIELDS: dict[str, Callable[[object, _At], Any]] = {
    "title": _title_key("title"),
    "kind": _kind,
    "citation": _citation,
    "cited_in": _cited_in,
    "accessed": _accessed,
    "archive_url": _url_key("archive_url"),
    "cited_url": _url_key("cited_url"),
    "skip": _skip,
    "proposed_title": _title_key("proposed_title"),
    "doi": _doi,
    "authors": _authors,
    "year": _year,
}
"""A validator per optional source key, in the order errors are looked for: ``(value, at)``
gives the value of the :class:`Source` field of the same name."""


def _shown(value: object) -> str:
    """``repr(value)``, cut to a length an error message can quote."""
    try:
        text = repr(value)
    except RecursionError:  # a value nested deeper than repr goes
        text = f"<{type(value).__name__} nested too deeply to show>"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "\u2026"


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a cited URL, or ``None`` when it is a fetchable http(s) URL.

    The URL must be http or https, have a host name and a valid port, hold no white space,
    and be a URL the HTTP client accepts (brackets, IDNA host names, control characters).

    Example::

        url_problem("http://[::1/x")  # 'is not a valid URL (Invalid IPv6 URL)'
    """
    if url != url.strip() or any(c.isspace() for c in url):
        return "contains white space (a URL wrapped across lines?)"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"must be http or https, not {parts.scheme or 'no scheme'}"
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return "has an invalid port"
    if not hostname:
        return "has no host name"
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:  # UnicodeError is a ValueError
        return f"is not a valid URL ({_reason(exc)})"
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeError):
        return "it holds characters that cannot be encoded"
    return str(exc)[:_SHOWN]


def check_url(url: str, path: str, source_id: str, line: int | None, *, key: str = "url") -> None:
    """Raise :class:`RegistryError` unless ``url`` is a fetchable URL (:func:`url_problem`)."""
    why = url_problem(url)
    if why is not None:
        raise RegistryError(
            f"{_where(path, line)}: source {source_id!r}: {key!r} {why}: {_shown(url)}",
            path=path,
            source_id=source_id,
            key=key,
        )
