"""The registry seam: what a registry *format* implements, and what it produces.

A format reads a file of cited sources into a :class:`Registry`, applies a list of
:class:`Edit` to its text (``factlinks fix``) and appends new sources to it (``factlinks
extract --write``), both keeping the file's comments and layout. ``sources.toml`` is the first
format (:class:`~factlinks._registry.toml.TomlFormat`); a new one subclasses
:class:`RegistryFormat` and is registered with one line in ``factlinks._registry.FORMATS``.

Every problem with a registry raises :class:`~factlinks.RegistryError`, whose message names the
file and, where there is one, the source id, the key and the line.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from .._errors import OptionsError, RegistryError
from .._models import Source
from .._options import CheckOptions, parse_statuses

__all__ = [
    "MAX_REGISTRY_BYTES",
    "Edit",
    "IndexedSources",
    "Registry",
    "RegistryError",
    "RegistryFormat",
    "decode_utf8",
    "read_bytes",
    "read_head",
    "read_text",
]


class IndexedSources(Sequence[Source]):
    """Sources that are not all held in memory and find one by its id themselves.

    A line-oriented registry (:mod:`.lines`) decodes its sources from the file when asked
    for; :meth:`Registry.get` asks it rather than looking at every source.
    """

    __slots__ = ()

    @abstractmethod
    def get(self, source_id: str) -> Source | None:
        """The source with id ``source_id``, or ``None``."""


@dataclass(frozen=True, slots=True)
class Registry(Sequence[Source]):
    """The sources of one registry file, in file order, with its ``[settings]``.

    A registry is a sequence of :class:`Source`, so it can be passed wherever sources are.
    Its :attr:`sources` are a tuple for most formats; a line-oriented registry (JSON Lines,
    CSV) holds an :class:`IndexedSources` instead that decodes each source from the file when
    it is asked for, so a million sources are never all in memory: iterate it, or index it,
    rather than keeping ``list(registry)``.

    Example::

        registry = load_sources("sources.toml")
        report = check(registry)            # uses registry.options()
    """

    sources: Sequence[Source]
    """The sources, in file order."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The validated ``[settings]`` table."""
    path: str | None = None
    """The file the registry came from."""
    notes: tuple[str, ...] = ()
    """What the format could not turn into sources, one line each (an entry of a ``.bib``
    with no URL and no DOI); a check puts them into the report's notes."""

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
        if isinstance(self.sources, IndexedSources):
            return self.sources.get(source_id)
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


@dataclass(frozen=True, slots=True)
class Edit:
    """One change to one key of one source in a registry file.

    Example::

        Edit("kfw-318", "url", "https://new.example/318.pdf", old="https://old.example/318.pdf")
    """

    source_id: str
    """The ``id`` of the source to change."""
    key: str
    """The registry key to change, e.g. ``"url"`` or ``"archive_url"``."""
    value: str | None
    """The value to write; ``None`` removes the key."""
    old: str | None = None
    """The value the file must have now for the edit to apply (``None``: the key is absent).

    A file that changed since the edit was planned is refused rather than overwritten.
    """


class RegistryFormat(ABC):
    """A registry file format: read it, edit it in place, append to it.

    Subclasses set :attr:`name` and :attr:`suffixes` and implement the abstract methods. Edits
    and appends work on the file's text and return the new text; nothing here writes files
    (``factlinks._fix.write_fixed`` validates and replaces a file atomically).
    """

    name: str
    """A short name for the format, e.g. ``"toml"``: its key in ``FORMATS``."""
    suffixes: tuple[str, ...]
    """The file name endings that suggest the format, lower case with the dot: ``(".toml",)``."""
    shared_suffixes: tuple[str, ...] = ()
    """Those of :attr:`suffixes` that many other files have too (``.json``): a file whose name
    ends so is taken for this format only when :meth:`sniff` confirms its content."""
    streams: bool = False
    """True for a format that reads its file in pieces (JSON Lines, CSV): :meth:`load` then
    takes the file's path and keeps no more than a few bytes per source in memory, and
    :func:`~factlinks.load_sources` hands it the path after a look at the file's start,
    without :data:`MAX_REGISTRY_BYTES`."""
    holds_settings: bool = True
    """False for a format whose file has no place for ``[settings]`` (BibTeX, CSL-JSON, RIS):
    :func:`~factlinks.load_sources` then reads them, and the ``cited_in`` of every source, from
    a ``factlinks.toml`` beside the file (:mod:`factlinks._registry.sidecar`)."""

    @abstractmethod
    def sniff(self, text: str) -> bool:
        """True when ``text`` could be a registry in this format (a cheap look, not a parse)."""

    def load(self, path: str | os.PathLike[str]) -> Registry:
        """Read and validate the registry file at ``path`` (and, for a format that does not
        :attr:`hold settings <holds_settings>`, the ``factlinks.toml`` beside it).

        Raises:
            RegistryError: the file is missing, unreadable or not UTF-8, or breaks a rule.
        """
        name = os.fspath(path)
        registry = self.parse(self.decode(read_bytes(name), path=name), path=name)
        if self.holds_settings:
            return registry
        from .sidecar import with_sidecar  # here: the sidecar module reads through this one

        return with_sidecar(registry, name)

    def decode(self, data: bytes, *, path: str | os.PathLike[str] = "<string>") -> str:
        """The text of a registry file's bytes ``data``, without a byte order mark.

        The default is UTF-8 and nothing else (:func:`decode_utf8`); a format whose files come
        in other encodings too (BibTeX) overrides it.

        Raises:
            RegistryError: ``data`` is not text this format can read; the message names
                ``path``.
        """
        return decode_utf8(data, os.fspath(path))

    @abstractmethod
    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        """Validate registry ``text``; ``path`` names it in error messages and on the result.

        Raises:
            RegistryError: the text is not in this format or breaks a rule of the registry.
        """

    def holds(self, key: str) -> bool:
        """True when an entry of this format can hold the source key ``key``.

        ``factlinks fix`` asks before it records ``cited_url`` with a move: a format without a
        place for it gets the move alone. The default says every key (as ``sources.toml``).
        """
        return True

    @abstractmethod
    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """``text`` with ``edits`` made, keeping comments and layout outside the edited values.

        Raises:
            RegistryError: the text cannot be parsed, an edit names an id the text does not
                have, or a key does not hold the value the edit expects (:attr:`Edit.old`).
        """

    @abstractmethod
    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """``text`` with an entry per source added at the end; what was there stays as it is.

        Parameters:
            text: the registry's current text.
            sources: the sources to add (their ids must be new; the result is not validated).
            path: names the file in error messages.
            notes: a comment per source id, written above its entry where the format has
                comments.
        """


MAX_REGISTRY_BYTES = 64 * 1024**2
"""A registry file larger than this (64 MiB, some 200,000 sources) is refused unread."""


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a registry file, without a byte order mark, for :meth:`RegistryFormat.parse`.

    Raises:
        RegistryError: the file is missing, unreadable, larger than :data:`MAX_REGISTRY_BYTES`
            or not UTF-8; the message names it.
    """
    name = os.fspath(path)
    return decode_utf8(read_bytes(name), name)


def read_head(path: str | os.PathLike[str], size: int = 64 * 1024) -> str:
    """The first ``size`` bytes of a registry file as text, for :meth:`RegistryFormat.sniff`:
    cut after the last whole line (or character), without a byte order mark; bytes that are
    not UTF-8 are replaced.

    Raises:
        RegistryError: the file is missing or unreadable; the message names it.
    """
    name = os.fspath(path)
    data = _read_start(name, size + 1)
    if len(data) > size:
        data = data[:size]
        newline = data.rfind(b"\n")
        data = data[: newline + 1] if newline >= 0 else data
    return data.decode("utf-8-sig", errors="replace")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a registry file, for :meth:`RegistryFormat.decode`.

    Raises:
        RegistryError: the file is missing, unreadable or larger than
            :data:`MAX_REGISTRY_BYTES`; the message names it.
    """
    name = os.fspath(path)
    data = _read_start(name, MAX_REGISTRY_BYTES + 1)
    if len(data) > MAX_REGISTRY_BYTES:
        raise RegistryError(
            f"{name}: too large for a registry (over {MAX_REGISTRY_BYTES // 1024**2} MiB)",
            path=name,
        )
    return data


def decode_utf8(data: bytes, path: str) -> str:
    """``data`` as UTF-8 text without a byte order mark; not UTF-8 is an error naming ``path``.

    Raises:
        RegistryError: ``data`` is not UTF-8; the message gives the line and the byte.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegistryError(
            f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})", path=path
        ) from None


def _read_start(name: str, size: int) -> bytes:
    """Up to ``size`` bytes from the start of the registry file ``name``.

    Raises:
        RegistryError: the file is missing or unreadable; the message names it.
    """
    try:
        with Path(name).open("rb") as file:
            return file.read(size)
    except FileNotFoundError:
        raise RegistryError(f"{name}: no such file", path=name) from None
    except OSError as exc:
        raise RegistryError(f"{name}: cannot read: {exc.strerror or exc}", path=name) from None
    except ValueError as exc:  # a NUL in the name
        raise RegistryError(f"{name!r}: cannot read: {exc}", path=name) from None
