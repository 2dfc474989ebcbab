"""``factlinks.toml``: what a registry file in a format without settings cannot hold.

A ``.bib`` file has no place for factlinks' ``[settings]``, nor for the names of the documents
that cite its entries. A ``factlinks.toml`` in the same folder holds both::

    [settings]            # the keys, types and ranges of sources.toml's [settings]
    timeout = 20
    fail_on = ["dead"]

    [registry]
    cited_in = ["thesis"]  # or "thesis"; default: the registry file's name

    [[host]]              # per-host settings, as in sources.toml (factlinks._registry.hosts)
    match = "*.example.org"

:func:`~factlinks.load_sources` reads it for every format whose
:attr:`~factlinks.RegistryFormat.holds_settings` is false (BibTeX; CSL-JSON and RIS the same
way): ``[settings]`` (and the ``[[host]]`` tables, as the setting ``hosts``) becomes the registry's
:attr:`~factlinks.Registry.settings` (so the
command line's flags still override it) and ``cited_in`` replaces that of every source.

Beside a ``sources.toml`` it is ignored: that file holds its own ``[settings]`` and
``cited_in``, and a folder may keep a ``sources.toml`` and a ``.bib`` with its
``factlinks.toml`` side by side. Errors name ``factlinks.toml``, the line and the key, and an
unknown key suggests the closest valid one.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .._errors import RegistryError
from .hosts import hosts_from_data
from .interface import Registry, read_text
from .lines import LineSources
from .toml import host_lines, loads_toml
from .validate import settings_from_table

__all__ = [
    "REGISTRY_KEYS",
    "SIDECAR_KEYS",
    "SIDECAR_NAME",
    "Sidecar",
    "apply_sidecar",
    "load_sidecar",
    "parse_sidecar",
    "sidecar_path",
    "with_sidecar",
]

SIDECAR_NAME = "factlinks.toml"
"""The file name of a registry's sidecar, in the registry file's folder."""
SIDECAR_KEYS = ("settings", "registry", "host")
"""The tables a ``factlinks.toml`` may hold."""
REGISTRY_KEYS = ("cited_in",)
"""The keys its ``[registry]`` table may hold."""

_HEADER_RE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(r"""^\s*(?:([A-Za-z0-9_-]+)\s*\.\s*)?["']?([A-Za-z0-9_-]+)["']?\s*=""")


@dataclass(frozen=True, slots=True)
class Sidecar:
    """What a ``factlinks.toml`` says of the registry beside it.

    Example::

        sidecar = parse_sidecar('[registry]\\ncited_in = "thesis"\\n', path="factlinks.toml")
        sidecar.cited_in  # ('thesis',)
    """

    path: str
    """The ``factlinks.toml`` it was read from."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The validated ``[settings]`` table."""
    cited_in: tuple[str, ...] | None = None
    """``[registry] cited_in``: the documents citing every source; ``None`` when not given."""


def sidecar_path(registry_path: str | os.PathLike[str]) -> str:
    """The ``factlinks.toml`` beside the registry file ``registry_path``."""
    return os.path.join(os.path.dirname(os.fspath(registry_path)), SIDECAR_NAME)


def load_sidecar(registry_path: str | os.PathLike[str]) -> Sidecar | None:
    """The ``factlinks.toml`` beside ``registry_path``, or ``None`` when there is none.

    Raises:
        RegistryError: the file exists but cannot be read, is not TOML, or breaks a rule; the
            message names it, the line and the key.
    """
    path = sidecar_path(registry_path)
    if not os.path.lexists(path):
        return None
    return parse_sidecar(read_text(path), path=path)


def parse_sidecar(text: str, *, path: str = SIDECAR_NAME) -> Sidecar:
    """Validate the text of a ``factlinks.toml``; ``path`` names it in error messages.

    Raises:
        RegistryError: not TOML, an unknown table or key, or a value of the wrong type or
            range (the rules of ``sources.toml``'s ``[settings]``).
    """
    data = loads_toml(text, path)
    for key in data:
        if key not in SIDECAR_KEYS:
            _unknown(text, path, None, key, SIDECAR_KEYS)
    try:
        settings = settings_from_table(data.get("settings", {}), path)
    except RegistryError as exc:
        raise _located(exc, text, path, "settings") from None
    if "host" in data:
        settings["hosts"] = hosts_from_data(data["host"], path, host_lines(text))
    table = data.get("registry", {})
    if not isinstance(table, dict):
        line = _line(text, None, "registry")
        raise RegistryError(
            f"{_where(path, line)}: 'registry' must be a table ([registry])",
            path=path,
            key="registry",
        )
    for key in table:
        if key not in REGISTRY_KEYS:
            _unknown(text, path, "registry", key, REGISTRY_KEYS)
    cited_in = _cited_in(table["cited_in"], text, path) if "cited_in" in table else None
    return Sidecar(path, settings, cited_in)


def apply_sidecar(registry: Registry, sidecar: Sidecar | None) -> Registry:
    """``registry`` with the settings of ``sidecar`` and its ``cited_in`` on every source."""
    if sidecar is None:
        return registry
    sources = registry.sources
    if sidecar.cited_in is not None and isinstance(sources, LineSources):
        sources = sources.with_cited_in(sidecar.cited_in)  # still decoded when asked for
    elif sidecar.cited_in is not None:
        sources = tuple(replace(source, cited_in=sidecar.cited_in) for source in sources)
    return replace(registry, sources=sources, settings={**registry.settings, **sidecar.settings})


def with_sidecar(registry: Registry, path: str | os.PathLike[str]) -> Registry:
    """``registry``, read from ``path``, with the ``factlinks.toml`` beside it applied."""
    return apply_sidecar(registry, load_sidecar(path))


def _cited_in(value: object, text: str, path: str) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        line = _line(text, "registry", "cited_in")
        raise RegistryError(
            f"{_where(path, line)}: [registry]: 'cited_in' must be a document name or a list "
            f'of them (cited_in = ["thesis"]), not {value!r}',
            path=path,
            key="cited_in",
        )
    return tuple(name.strip() for name in names)


def _unknown(text: str, path: str, table: str | None, key: str, valid: tuple[str, ...]) -> None:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(valid)}"
    where = _where(path, _line(text, table, key))
    what = f"[{table}]: unknown key" if table else "unknown table"
    raise RegistryError(f"{where}: {what} {key!r}{hint}", path=path, key=key)


def _located(exc: RegistryError, text: str, path: str, table: str) -> RegistryError:
    """``exc`` (whose message starts with ``path:``) with the line of its key added."""
    line = _line(text, table, exc.key) if exc.key else None
    message = str(exc)
    if line is not None and message.startswith(f"{path}: "):
        message = f"{path}:{line}: " + message.removeprefix(f"{path}: ")
    return RegistryError(message, path=path, source_id=exc.source_id, key=exc.key)


def _line(text: str, table: str | None, key: str | None) -> int | None:
    """The line (1-based) that sets ``key`` of ``table`` (``None``: a table at the top, its
    header or a dotted key), found by a plain look at the lines; ``None`` if not found."""
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER_RE.match(line)
        if header:
            current = header.group(1)
            if table is None and current == key:
                return number
            continue
        found = _KEY_RE.match(line)
        if found is None:
            continue
        dotted, name = found.group(1), found.group(2)
        owner = dotted if dotted is not None else current
        if table is None and current is None and key in (dotted, name):
            return number
        if table is not None and owner == table and name == key:
            return number
    return None


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path
