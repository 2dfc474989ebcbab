"""A run's results on disk: what lets a check of 100,000 sources run in the memory of a few.

A :class:`ResultSpool` takes each result as it is ready (in the order the checks finish) and
appends it, pickled, to an anonymous temporary file; in memory it keeps only where each
result is (two numbers) and its :class:`~factlinks._models.Brief` (status, previous status,
documents), which is all a :class:`~factlinks._models.Report` needs to count and select.
Results are read back, in registry order, when they are accessed: by the report writers,
one at a time. Each result's history row (:func:`~factlinks._history.codec.encode_result`)
is spooled beside it, so that recording the run streams too.

The file is private to the process (created unlinked, so nothing is left behind however the
process ends) and closed when the spool is garbage-collected or :meth:`ResultSpool.close`\\ d.
A pickled spool becomes a plain tuple of its results: a report sent to another process
carries them.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import weakref
from array import array
from collections.abc import Iterator, Sequence
from typing import IO, Any, overload

from ._history import ResultRow
from ._models import Brief, ResultStore, SourceResult

__all__ = ["ResultSpool"]

_FLUSH_BYTES = 1 << 20
"""Appended records are written to the file in pieces of about this size."""


class _Records:
    """Pickled values appended to an unlinked temporary file and read back by number."""

    def __init__(self, directory: str | None = None) -> None:
        # Open for the spool's life, closed by close() or when the spool is collected.
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="factlinks-spool-", dir=directory
        )
        self._closer = weakref.finalize(self, self._file.close)
        self._offsets = array("q")
        self._lengths = array("l")
        self._pending = bytearray()
        self._written = 0

    def __len__(self) -> int:
        return len(self._offsets)

    def append(self, value: object) -> int:
        """Store ``value``; return its number."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._offsets.append(self._written + len(self._pending))
        self._lengths.append(len(data))
        self._pending += data
        if len(self._pending) >= _FLUSH_BYTES:
            self._flush()
        return len(self._offsets) - 1

    def get(self, number: int) -> Any:
        """The value stored as ``number``."""
        offset, length = self._offsets[number], self._lengths[number]
        if offset + length > self._written:
            self._flush()
        data = os.pread(self._file.fileno(), length, offset)
        if len(data) != length:
            raise OSError(f"the result spool {self._file.name} was cut short")
        return pickle.loads(data)  # our own file, written by this process

    def _flush(self) -> None:
        self._file.write(self._pending)
        self._file.flush()
        self._written += len(self._pending)
        self._pending.clear()

    def close(self) -> None:
        self._pending.clear()
        self._closer()


class _ReadBack(Sequence[SourceResult]):
    """What the spool and its subsets share: equal to any sequence of the same results (a
    tuple of them included), unhashable like a list, pickled as a tuple of the results."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # a spool fills up as a list does

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))


class ResultSpool(ResultStore, _ReadBack):
    """The results of ``size`` sources, put by registry index in any order, read in order.

    Example::

        spool = ResultSpool(len(sources))
        spool.put(3, result, row)        # as each check finishes
        ...
        report = Report(results=spool, ...)
        for result in report.results:    # read back one at a time, in registry order
            ...
    """

    def __init__(self, size: int, directory: str | None = None) -> None:
        self._records = _Records(directory)
        self._slots = array("q", [-1]) * size
        """Registry index -> record number of its result (-1: not put yet)."""
        self._rows: array[int] = array("q")
        """Record numbers of the history rows, in the order they were put."""
        self._briefs: list[Brief | None] = [None] * size

    def put(self, index: int, result: SourceResult, row: ResultRow | None = None) -> None:
        """Store the result of the source at registry ``index`` (and its history row)."""
        if self._slots[index] != -1:
            raise ValueError(f"the result of source {index} is in the spool already")
        self._slots[index] = self._records.append(result)
        self._briefs[index] = Brief.of(result)
        if row is not None:
            self._rows.append(self._records.append(row))

    @property
    def complete(self) -> bool:
        """Every source's result is in."""
        return all(brief is not None for brief in self._briefs)

    def rows(self) -> Iterator[ResultRow]:
        """The history rows put, read back one at a time."""
        for number in self._rows:
            row: ResultRow = self._records.get(number)
            yield row

    def briefs(self) -> Sequence[Brief]:
        if not self.complete:
            raise ValueError("the spool is not complete: a source's result is missing")
        return self._briefs  # type: ignore[return-value]  # complete: no None left

    def subset(self, indices: Sequence[int]) -> Sequence[SourceResult]:
        return _Subset(self, array("q", indices))

    def __len__(self) -> int:
        return len(self._slots)

    @overload
    def __getitem__(self, index: int) -> SourceResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SourceResult]: ...
    def __getitem__(self, index: int | slice) -> SourceResult | Sequence[SourceResult]:
        if isinstance(index, slice):
            return self.subset(range(len(self))[index])
        number = self._slots[index]
        if number == -1:
            raise LookupError(f"the result of source {index} is not in the spool")
        result: SourceResult = self._records.get(number)
        return result

    def __iter__(self) -> Iterator[SourceResult]:
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"<ResultSpool of {len(self)} results>"

    def close(self) -> None:
        """Delete the spooled results (the spool cannot be read after)."""
        self._records.close()


class _Subset(_ReadBack):
    """Some of a spool's results, read back when accessed."""

    def __init__(self, spool: ResultSpool, indices: array[int]) -> None:
        self._spool = spool
        self._indices = indices

    def __len__(self) -> int:
        return len(self._indices)

    @overload
    def __getitem__(self, index: int) -> SourceResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SourceResult]: ...
    def __getitem__(self, index: int | slice) -> SourceResult | Sequence[SourceResult]:
        if isinstance(index, slice):
            return _Subset(self._spool, self._indices[index])
        return self._spool[self._indices[index]]

    def __iter__(self) -> Iterator[SourceResult]:
        for index in self._indices:
            yield self._spool[index]

    def __repr__(self) -> str:
        return f"<{len(self)} spooled results>"
