"""Load and validate the registry of cited sources (``sources.toml``)."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

from ._errors import OptionsError, RegistryError
from ._models import Kind, Source
from ._options import CheckOptions, parse_statuses

__all__ = ["Registry", "load_sources", "parse_sources"]

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
)
SETTINGS_KEYS = (
    "user_agent",
    "concurrency",
    "per_host",
    "timeout",
    "max_bytes",
    "max_redirects",
    "max_pages",
    "fail_on",
)
TOP_KEYS = ("settings", "source")
_ID_RE = re.compile(r"^[a-z0-9._-]+$")
_TOML_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True, slots=True)
class Registry(Sequence[Source]):
    """The sources of one registry file, in file order, with its ``[settings]``.

    A registry is a sequence of :class:`Source`, so it can be passed wherever sources are.

    Example::

        registry = load_sources("sources.toml")
        report = check(registry)            # uses registry.options()
    """

    sources: tuple[Source, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The validated ``[settings]`` table."""
    path: str | None = None
    """The file the registry came from."""

    @overload
    def __getitem__(self, index: int) -> Source: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Source]: ...
    def __getitem__(self, index: int | slice) -> Source | Sequence[Source]:
        return self.sources[index]

    def __len__(self) -> int:
        return len(self.sources)

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources)

    def get(self, source_id: str) -> Source | None:
        """The source with id ``source_id``, or ``None``."""
        return next((s for s in self.sources if s.id == source_id), None)

    def options(self, base: CheckOptions | None = None) -> CheckOptions:
        """``base`` (default: the defaults) with this registry's ``[settings]`` applied."""
        base = base or CheckOptions()
        changes: dict[str, Any] = dict(self.settings)
        if "fail_on" in changes:
            changes["fail_on"] = parse_statuses(changes["fail_on"])
        try:
            return base.replace(**changes)
        except OptionsError as exc:
            raise RegistryError(f"{self.path}: [settings]: {exc}", path=self.path) from exc


def load_sources(path: str | os.PathLike[str]) -> Registry:
    """Read and validate a registry file.

    Example::

        registry = factlinks.load_sources("sources.toml")
        print(len(registry), registry[0].url)

    Parameters:
        path: the ``sources.toml`` file.

    Raises:
        RegistryError: the file is missing, unreadable, not TOML, or breaks a rule; the message
            names the file, the source id, the key and, where known, the line.
    """
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RegistryError(f"{name}: no such file", path=name) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{name}: not UTF-8 text ({exc.reason})", path=name) from None
    except OSError as exc:
        raise RegistryError(f"{name}: cannot read: {exc.strerror or exc}", path=name) from None
    return parse_sources(text, path=name)


def parse_sources(text: str, *, path: str = "<string>") -> Registry:
    """Validate registry ``text`` as :func:`load_sources` does a file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS_RE.search(message)
        where = f":{pos.group(1)}:{pos.group(2)}" if pos else ""
        message = _TOML_POS_RE.sub("", message).strip()
        raise RegistryError(f"{path}{where}: invalid TOML: {message}", path=path) from None
    lines = _source_lines(text)
    for key in data:
        if key not in TOP_KEYS:
            _unknown(path, None, key, TOP_KEYS, None, "top-level key")
    settings = _settings(data.get("settings", {}), path)
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise RegistryError(
            f"{path}: 'source' must be an array of tables ([[source]])", path=path, key="source"
        )
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_sources):
        line = lines[index] if index < len(lines) else None
        source = _source(raw, index, path, line)
        if source.id in seen:
            raise RegistryError(
                f"{_where(path, line)}: source {source.id!r}: duplicate id "
                f"(also source #{seen[source.id] + 1})",
                path=path,
                source_id=source.id,
                key="id",
            )
        seen[source.id] = index
        sources.append(source)
    return Registry(tuple(sources), settings, path)


def _source_lines(text: str) -> list[int]:
    """Line numbers of the ``[[source]]`` headers, in order."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*source\s*\]\]", line)
    ]


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
    owner = f"source {source_id!r}: " if source_id else (f"{label}: " if label else "")
    if what == "top-level key":
        message = f"{_where(path, line)}: unknown top-level key {key!r}{hint}"
    else:
        message = f"{_where(path, line)}: {owner}unknown key {key!r}{hint}"
    raise RegistryError(message, path=path, source_id=source_id, key=key)


def _settings(raw: object, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RegistryError(f"{path}: 'settings' must be a table", path=path, key="settings")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in SETTINGS_KEYS:
            close = difflib.get_close_matches(key, SETTINGS_KEYS, n=1, cutoff=0.6)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(SETTINGS_KEYS)}"
            )
            raise RegistryError(
                f"{path}: [settings]: unknown key {key!r}{hint}", path=path, key=key
            )
        if key == "user_agent":
            _expect(value, str, "a string", path, None, key, None, "[settings]")
        elif key == "fail_on":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RegistryError(
                    f"{path}: [settings]: 'fail_on' must be a list of status names",
                    path=path,
                    key=key,
                )
            try:
                parse_statuses(value)
            except OptionsError as exc:
                raise RegistryError(f"{path}: [settings]: {exc}", path=path, key=key) from None
        elif key == "timeout":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise RegistryError(
                    f"{path}: [settings]: 'timeout' must be a positive number of seconds, "
                    f"not {value!r}",
                    path=path,
                    key=key,
                )
            value = float(value)
        else:
            least = 0 if key == "max_redirects" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                what = "a whole number >= 0" if least == 0 else "a positive integer"
                raise RegistryError(
                    f"{path}: [settings]: {key!r} must be {what}, not {value!r}",
                    path=path,
                    key=key,
                )
        try:
            CheckOptions().replace(**{key: parse_statuses(value) if key == "fail_on" else value})
        except OptionsError as exc:
            raise RegistryError(f"{path}: [settings]: {exc}", path=path, key=key) from None
        out[key] = value
    return out


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
        who = owner or (f"source {source_id!r}" if source_id else "source")
        raise RegistryError(
            f"{_where(path, line)}: {who}: {key!r} must be {described}, "
            f"not {type(value).__name__} {value!r}",
            path=path,
            source_id=source_id,
            key=key,
        )


def _source(raw: object, index: int, path: str, line: int | None) -> Source:
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
    if not _ID_RE.match(raw_id):
        raise RegistryError(
            f"{_where(path, line)}: source {raw_id!r}: 'id' may only hold lower-case letters, "
            "digits, '.', '_' and '-'",
            path=path,
            source_id=raw_id,
            key="id",
        )
    if "url" not in raw:
        raise RegistryError(
            f"{_where(path, line)}: source {raw_id!r}: missing required key 'url'",
            path=path,
            source_id=raw_id,
            key="url",
        )
    url = raw["url"]
    _expect(url, str, "a string", path, raw_id, "url", line)
    _check_url(url, path, raw_id, line)
    title = raw.get("title")
    if title is not None:
        _expect(title, str, "a string", path, raw_id, "title", line)
        if not title.strip():
            raise RegistryError(
                f"{_where(path, line)}: source {raw_id!r}: 'title' is empty; "
                "leave it out to check reachability only",
                path=path,
                source_id=raw_id,
                key="title",
            )
    kind = raw.get("kind", "any")
    _expect(kind, str, "a string", path, raw_id, "kind", line)
    try:
        kind_value = Kind(kind)
    except ValueError:
        valid = ", ".join(repr(k.value) for k in Kind)
        close = difflib.get_close_matches(kind.lower(), [k.value for k in Kind], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise RegistryError(
            f"{_where(path, line)}: source {raw_id!r}: 'kind' must be one of {valid}, "
            f"not {kind!r}{hint}",
            path=path,
            source_id=raw_id,
            key="kind",
        ) from None
    citation = raw.get("citation")
    if citation is not None:
        _expect(citation, str, "a string", path, raw_id, "citation", line)
    cited_in = raw.get("cited_in", [])
    if isinstance(cited_in, str):
        cited_in = [cited_in]
    if not isinstance(cited_in, list) or not all(isinstance(c, str) for c in cited_in):
        raise RegistryError(
            f"{_where(path, line)}: source {raw_id!r}: 'cited_in' must be a list of strings",
            path=path,
            source_id=raw_id,
            key="cited_in",
        )
    accessed = raw.get("accessed")
    if accessed is not None:
        if isinstance(accessed, dt.datetime):
            accessed = accessed.date()
        _expect(accessed, dt.date, "a date (e.g. 2021-02-15)", path, raw_id, "accessed", line)
    archive_url = raw.get("archive_url")
    if archive_url is not None:
        _expect(archive_url, str, "a string", path, raw_id, "archive_url", line)
        _check_url(archive_url, path, raw_id, line, key="archive_url")
    skip = raw.get("skip")
    if skip is not None:
        _expect(skip, (bool, str), "true or a reason string", path, raw_id, "skip", line)
        skip = (skip if isinstance(skip, str) else "skipped in the registry") if skip else None
    return Source(
        id=raw_id,
        url=url,
        title=title.strip() if isinstance(title, str) else None,
        kind=kind_value,
        citation=citation,
        cited_in=tuple(cited_in),
        accessed=accessed,
        skip=skip,
        archive_url=archive_url,
    )


def _check_url(url: str, path: str, source_id: str, line: int | None, *, key: str = "url") -> None:
    def fail(why: str) -> None:
        raise RegistryError(
            f"{_where(path, line)}: source {source_id!r}: {key!r} {why}: {url!r}",
            path=path,
            source_id=source_id,
            key=key,
        )

    if url != url.strip() or any(c.isspace() for c in url):
        fail("contains white space (a URL wrapped across lines?)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme or "no scheme"
        fail(f"must be http or https, not {scheme}")
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        fail("has an invalid port")
    if not hostname:
        fail("has no host name")
