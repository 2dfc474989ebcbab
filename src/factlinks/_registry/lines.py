"""What the line-oriented registry formats (JSON Lines, CSV) share: one source per record,
read in one streaming pass, kept as byte offsets and decoded again on demand.

A registry of a million sources must not become a million :class:`Source` objects held at once.
:meth:`LineFormat.load` reads the file once, in chunks: it validates every record with the
rules of :mod:`.validate` (the same messages as ``sources.toml``) and keeps, per source, where
its record starts (8 bytes), its line (4 bytes) and a 64-bit BLAKE2b digest of its id (8 bytes)
in a hash table of record numbers (4 bytes a slot, at most half full): some 28 bytes a source,
not a ``Source``. The file stays open; the registry's :class:`LineSources` reads a record
again (``os.pread``) and decodes it whenever a source is asked for, and iterating reads the file
in chunks from start to end.

Ids are unique without keeping the id strings: a new id whose digest is already in the table is
compared with the id of each record that has that digest, read back from the file, so two ids
with one digest (one chance in 2**64 per pair) are told apart, and a real duplicate is named
with the line of the first.

A file replaced after loading (``fix`` and ``extract --write`` write a new file and rename it)
does not disturb the registry, which reads the file it opened. One rewritten in place is
noticed when a record read back no longer has the id it had, and raises
:class:`~factlinks.RegistryError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
import weakref
from abc import abstractmethod
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import NamedTuple, overload

from .._errors import RegistryError
from .._models import Kind, Source
from .interface import IndexedSources, Registry, RegistryFormat

__all__ = [
    "CHUNK_BYTES",
    "MAX_LINE_BYTES",
    "MAX_LINE_SOURCES",
    "Decoder",
    "IdIndex",
    "Line",
    "LineFormat",
    "LineSources",
    "Record",
    "Store",
    "bom_length",
    "changed_value_error",
    "id_digest",
    "iso_date",
    "loaded_value",
    "missing_id_error",
    "open_store",
    "source_table",
    "store_lines",
]

MAX_LINE_BYTES = 1024**2
"""A line longer than this (1 MiB) is an error, so no read of one takes more memory."""
MAX_LINE_SOURCES = 10_000_000
"""A line-oriented registry of more sources than this is refused (some 280 MB of offsets,
lines and digests)."""
CHUNK_BYTES = 1024**2
"""How much of the file one read takes while scanning or iterating."""

_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOM = b"\xef\xbb\xbf"


def id_digest(source_id: str) -> int:
    """The 64-bit BLAKE2b digest of a source id, as :class:`IdIndex` keeps it."""
    digest = hashlib.blake2b(source_id.encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "little")


def iso_date(value: object) -> object:
    """A ``YYYY-MM-DD`` string as a :class:`datetime.date`; anything else as it is (the
    validator then says what is wrong with it, naming the key)."""
    if isinstance(value, str) and _ISO_DATE_RE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


# -- where the bytes are ----------------------------------------------------------------------


class Store:
    """The bytes of a registry: an open file (read with ``os.pread``) or a buffer in memory."""

    def __init__(self, size: int, reader: Callable[[int, int], bytes], close: Callable[[], None]):
        self.size = size
        """The number of bytes."""
        self._reader = reader
        self._finalizer = weakref.finalize(self, close)

    @classmethod
    def of_bytes(cls, data: bytes) -> Store:
        """A store holding ``data``."""
        view = memoryview(data)
        return cls(len(data), lambda at, n: bytes(view[at : at + n]), view.release)

    def read(self, at: int, count: int) -> bytes:
        """Up to ``count`` bytes from offset ``at`` (fewer at the end)."""
        return self._reader(at, count)

    def close(self) -> None:
        """Close the file now (it is closed when the store is collected anyway)."""
        self._finalizer()


def open_store(path: str) -> Store:
    """The file at ``path``, opened for reading.

    Raises:
        RegistryError: the file is missing or cannot be read; the message names it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file", path=path) from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}", path=path) from None
    except ValueError as exc:  # a NUL in the name
        raise RegistryError(f"{path!r}: cannot read: {exc}", path=path) from None
    try:
        size = os.fstat(fd).st_size
    except OSError as exc:  # pragma: no cover - fstat of an open file does not fail
        os.close(fd)
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}", path=path) from None
    pread = getattr(os, "pread", None)
    if pread is not None:
        return Store(size, lambda at, n: pread(fd, n, at), lambda: os.close(fd))
    lock = threading.Lock()  # pragma: no cover - Windows: no pread

    def read(at: int, n: int) -> bytes:  # pragma: no cover
        with lock:
            os.lseek(fd, at, os.SEEK_SET)
            return os.read(fd, n)

    return Store(size, read, lambda: os.close(fd))  # pragma: no cover


class Line(NamedTuple):
    """One physical line of a store: where it starts, its 1-based number, its bytes (with the
    line ending)."""

    offset: int
    number: int
    data: bytes


def store_lines(store: Store, path: str, start: int = 0) -> Iterator[Line]:
    """The lines of ``store`` from offset ``start``, read a chunk at a time.

    Raises:
        RegistryError: a line is longer than :data:`MAX_LINE_BYTES`.
    """
    buffer, buffer_at, pos, number = b"", start, start, 0
    while True:
        newline = buffer.find(b"\n", pos - buffer_at)
        if newline >= 0:
            number += 1
            end = buffer_at + newline + 1
            yield Line(pos, number, buffer[pos - buffer_at : newline + 1])
            pos = end
            continue
        if len(buffer) - (pos - buffer_at) > MAX_LINE_BYTES:
            raise RegistryError(
                f"{path}:{number + 1}: line longer than {MAX_LINE_BYTES // 1024**2} MiB",
                path=path,
            )
        chunk = store.read(buffer_at + len(buffer), CHUNK_BYTES)
        if not chunk:
            rest = buffer[pos - buffer_at :]
            if rest:
                yield Line(pos, number + 1, rest)
            return
        buffer, buffer_at = buffer[pos - buffer_at :] + chunk, pos


# -- unique ids in bounded memory -------------------------------------------------------------


class IdIndex:
    """The ids of a registry as 64-bit digests (8 bytes each) in source order, and a hash
    table of source numbers by digest (4 bytes a slot, at most half full, linear probing).

    It answers "which sources may have this id" (:meth:`candidates`); the caller confirms by
    reading those sources' ids, so a digest shared by two ids is no false duplicate.
    """

    def __init__(self) -> None:
        self.digest = id_digest
        """The digest function; fixed when the index is made (a test may replace
        :func:`id_digest` first, to make every id collide)."""
        self.digests = array("Q")
        self._table = array("I", bytes(4 * 1024))
        self._mask = 1023

    def __len__(self) -> int:
        return len(self.digests)

    def candidates(self, digest: int) -> Iterator[int]:
        """The numbers (0-based) of the sources whose id has ``digest``, in no set order."""
        table, digests, mask = self._table, self.digests, self._mask
        slot = digest & mask
        while entry := table[slot]:
            if digests[entry - 1] == digest:
                yield entry - 1
            slot = (slot + 1) & mask

    def add(self, digest: int) -> None:
        """Record the next source's id digest."""
        self.digests.append(digest)
        if 2 * len(self.digests) > len(self._table):
            self._grow()
        else:
            self._insert(digest, len(self.digests))

    def _insert(self, digest: int, entry: int) -> None:
        table, mask = self._table, self._mask
        slot = digest & mask
        while table[slot]:
            slot = (slot + 1) & mask
        table[slot] = entry

    def _grow(self) -> None:
        size = 2 * len(self._table)
        self._table = array("I", bytes(4 * size))
        self._mask = size - 1
        for entry, digest in enumerate(self.digests, start=1):
            self._insert(digest, entry)

    def nbytes(self) -> int:
        """The bytes its two arrays take."""
        return len(self.digests) * 8 + len(self._table) * self._table.itemsize


# -- the lazy sequence ------------------------------------------------------------------------


class Record(NamedTuple):
    """One record of a line-oriented registry: where its bytes start and end, its line."""

    start: int
    end: int
    line: int


Decoder = Callable[[bytes, int, int, bool], Source]
"""``(record bytes, 0-based source number, line, checked) -> Source``: a format's decoding and
validation of one record (raising :class:`~factlinks.RegistryError`); ``checked`` says the
record was validated before, so its URLs need not be checked again
(``source_from_table(check_urls=False)``)."""


class LineSources(IndexedSources):
    """The sources of a line-oriented registry, decoded from the file when asked for.

    It holds an ``array('Q')`` of record offsets, an ``array('I')`` of lines and an
    :class:`IdIndex`; no :class:`Source` is kept. Indexing reads one record; iterating reads
    the file in chunks, once; :meth:`get` finds a source by id through the digests.
    """

    __slots__ = ("_cited_in", "_decode", "_index", "_lines", "_offsets", "_path", "_store")

    def __init__(
        self,
        store: Store,
        path: str,
        decode: Decoder,
        offsets: array[int],
        lines: array[int],
        index: IdIndex,
        cited_in: tuple[str, ...] | None = None,
    ) -> None:
        self._store = store
        self._path = path
        self._decode = decode
        self._offsets = offsets  # one more than there are sources: where the last one ends
        self._lines = lines
        self._index = index
        self._cited_in = cited_in

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> Source: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Source]: ...
    def __getitem__(self, index: int | slice) -> Source | Sequence[Source]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        number = range(len(self))[index]  # IndexError, and negative indices
        start, end = self._offsets[number], self._offsets[number + 1]
        return self._source(self._store.read(start, end - start), number)

    def __iter__(self) -> Iterator[Source]:
        window, at = b"", 0
        offsets = self._offsets
        for number in range(len(self)):
            start, end = offsets[number], offsets[number + 1]
            if start < at or end > at + len(window):
                at = start
                window = self._store.read(start, max(end - start, CHUNK_BYTES))
            yield self._source(window[start - at : end - at], number)

    def __repr__(self) -> str:
        return f"<LineSources: {len(self)} sources of {self._path}>"

    def get(self, source_id: str) -> Source | None:
        """The source with id ``source_id``, or ``None``: reads only the records whose id
        has the same digest."""
        for number in self._index.candidates(self._index.digest(source_id)):
            source = self[number]
            if source.id == source_id:
                return source
        return None

    def with_cited_in(self, cited_in: tuple[str, ...]) -> LineSources:
        """These sources, each with ``cited_in`` (a sidecar's); the arrays are shared."""
        return LineSources(
            self._store,
            self._path,
            self._decode,
            self._offsets,
            self._lines,
            self._index,
            cited_in,
        )

    def nbytes(self) -> int:
        """The bytes of the arrays it holds: what a source costs while it is not asked for."""
        return (
            len(self._offsets) * self._offsets.itemsize
            + len(self._lines) * self._lines.itemsize
            + self._index.nbytes()
        )

    def _source(self, data: bytes, number: int) -> Source:
        source = self._decode(data, number, self._lines[number], True)
        if self._index.digest(source.id) != self._index.digests[number]:
            raise RegistryError(
                f"{self._path}:{self._lines[number]}: the file changed since it was loaded "
                "(a source there has another id now); load it again",
                path=self._path,
                source_id=source.id,
            )
        if self._cited_in is not None:
            return replace(source, cited_in=self._cited_in)
        return source


# -- the formats' common part -----------------------------------------------------------------


class LineFormat(RegistryFormat):
    """A registry format of one source per record, loaded in bounded memory.

    A subclass says where the records are (:meth:`records`) and how one becomes a source
    (:meth:`decoder`); this class does the streaming pass, the unique ids and the lazy
    :class:`LineSources`. Its files hold no settings: they come from a ``factlinks.toml``
    beside the file, as for a ``.bib``.
    """

    holds_settings = False
    streams = True

    @abstractmethod
    def records(self, store: Store, path: str) -> tuple[Iterator[Record], Decoder]:
        """The records of ``store`` in file order, and the decoder of one record.

        The decoder may depend on what the iterator has read (a CSV header): it is called
        only after the iterator has yielded a record.
        """

    def load(self, path: str | os.PathLike[str]) -> Registry:
        """Read and validate the file at ``path`` in one pass, in bounded memory; its settings
        (and a ``cited_in`` for every source) come from the ``factlinks.toml`` beside it."""
        name = os.fspath(path)
        registry = self._scan(open_store(name), name)
        from .sidecar import with_sidecar  # here: the sidecar module reads through this one

        return with_sidecar(registry, name)

    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        name = os.fspath(path)
        try:
            data = text.removeprefix("\ufeff").encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RegistryError(f"{name}: not UTF-8 text ({exc.reason})", path=name) from None
        return self._scan(Store.of_bytes(data), name)

    def _scan(self, store: Store, path: str) -> Registry:
        try:
            return Registry(self._validate(store, path), {}, path)
        except BaseException:
            store.close()
            raise

    def _validate(self, store: Store, path: str) -> LineSources:
        offsets, lines, index = array("Q"), array("I"), IdIndex()
        records, decode = self.records(store, path)
        for number, record in enumerate(records):
            if number >= MAX_LINE_SOURCES:
                raise RegistryError(
                    f"{path}:{record.line}: too many sources for one registry (over "
                    f"{MAX_LINE_SOURCES:,}); shard it into several files",
                    path=path,
                )
            data = store.read(record.start, record.end - record.start)
            source = decode(data, number, record.line, False)
            digest = index.digest(source.id)
            for other in index.candidates(digest):
                start, end = offsets[other], offsets[other + 1]
                first = decode(store.read(start, end - start), other, lines[other], True)
                if first.id == source.id:
                    raise RegistryError(
                        f"{path}:{record.line}: source {source.id!r}: duplicate id (also line "
                        f"{lines[other]})",
                        path=path,
                        source_id=source.id,
                        key="id",
                    )
            if offsets:  # the previous record runs up to this one (blank lines and all)
                offsets[-1] = record.start
            else:
                offsets.append(record.start)
            offsets.append(record.end)
            lines.append(record.line)
            index.add(digest)
        return LineSources(store, path, decode, offsets, lines, index)


def bom_length(line: Line) -> int:
    """The length of the UTF-8 byte order mark ``line`` starts with (at the file's start)."""
    return len(_BOM) if line.offset == 0 and line.data.startswith(_BOM) else 0


def source_table(source: Source) -> dict[str, object]:
    """The keys of ``source`` as a registry entry writes them, in the registry's order
    (``sources.toml``'s ``[[source]]``): the default values left out, a date as
    ``YYYY-MM-DD``, lists as lists."""
    table: dict[str, object] = {"id": source.id, "url": source.url}
    optional: dict[str, object] = {
        "title": source.title,
        "proposed_title": source.proposed_title,
        "kind": source.kind.value if source.kind is not Kind.ANY else None,
        "citation": source.citation,
        "cited_in": list(source.cited_in) or None,
        "accessed": source.accessed.isoformat() if source.accessed else None,
        "skip": source.skip,
        "archive_url": source.archive_url,
        "cited_url": source.cited_url,
    }
    return table | {key: value for key, value in optional.items() if value is not None}


def loaded_value(value: object) -> object:
    """``value`` as the loader compares it with an :class:`~.interface.Edit`'s ``old``:
    a string stripped (the loader strips titles)."""
    return value.strip() if isinstance(value, str) else value


def changed_value_error(
    path: str, line: int, edit_id: str, key: str, current: object, old: object
) -> RegistryError:
    """The error of an edit whose key no longer holds the value it was planned from."""
    return RegistryError(
        f"{path}:{line}: source {edit_id!r}: {key!r} is {current!r}, not {old!r} as planned; "
        "the file changed since the plan was made",
        path=path,
        source_id=edit_id,
        key=key,
    )


def missing_id_error(path: str, source_id: str, key: str) -> RegistryError:
    """The error of an edit naming an id the file does not have."""
    return RegistryError(
        f"{path}: no source with id {source_id!r}", path=path, source_id=source_id, key=key
    )
