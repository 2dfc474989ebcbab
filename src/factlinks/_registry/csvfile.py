"""The CSV registry format (``.csv``): a header row naming the columns, then a row per source.

::

    id,url,title,cited_in,accessed
    kfw-318,https://www.kfw.de/…/318.pdf,"Künstliche Intelligenz, hohe …",factsheet-ki,2021-02-15
    destatis-ikt,https://www.destatis.de/…,,factsheet-ki; annex,

The columns are keys of a ``[[source]]`` table of ``sources.toml`` (:mod:`.validate`), in any
order; ``id`` is required, and ``url`` or ``doi``. An unknown or repeated column is an error
that suggests the closest key. Cells follow RFC 4180 as Python's :mod:`csv` reads it (commas,
``"…"`` quoting with ``""`` for a quote, line breaks inside quotes); the file is UTF-8, with or
without a byte order mark (as Excel writes it). An empty cell is the key left out.
``cited_in`` and ``authors`` hold several values separated by ``;`` (``thesis; annex``);
``accessed`` is ``YYYY-MM-DD``; ``skip`` is ``true`` (or ``yes``), ``false`` (or ``no``) or a
reason. A row may have fewer cells than the header has columns (the rest are empty), not more;
rows with only empty cells are skipped. Errors name the file, the line the row starts on, the
source and the key.

The file holds no settings: they, and a ``cited_in`` for every source, come from a
``factlinks.toml`` beside it (:mod:`.sidecar`). Loading streams (:mod:`.lines`).

``fix`` writes again only the row of each source it edits (quoted as the row was: every cell,
or only those that need it); a key without a column gets one at the end of the header, so the
header line changes too. ``extract --write`` appends a row per new source.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
from collections.abc import Iterator, Mapping, Sequence

from .._errors import RegistryError
from .._models import Source
from .interface import Edit
from .lines import (
    Decoder,
    LineFormat,
    Record,
    Store,
    bom_length,
    changed_value_error,
    iso_date,
    loaded_value,
    missing_id_error,
    source_table,
    store_lines,
)
from .validate import SOURCE_KEYS, source_from_table

__all__ = ["LIST_SEPARATOR", "CsvFormat"]

LIST_SEPARATOR = ";"
"""What separates the values of a list key (``cited_in``, ``authors``) in one cell."""
_LIST_KEYS = frozenset({"cited_in", "authors"})
_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})


class CsvFormat(LineFormat):
    """``sources.csv``: a header of ``sources.toml`` keys, a row per source.

    Example::

        registry = factlinks.load_sources("sources.csv")   # streams; settings: factlinks.toml
    """

    name = "csv"
    suffixes = (".csv",)

    def sniff(self, text: str) -> bool:
        """True when the first line is a CSV header with an ``id`` and a ``url`` or ``doi``
        column."""
        first = text.removeprefix("\ufeff").split("\n", 1)[0]
        try:
            header = next(csv.reader([first]), [])
        except csv.Error:
            return False
        names = {cell.strip() for cell in header}
        return "id" in names and bool(names & {"url", "doi"})

    def records(self, store: Store, path: str) -> tuple[Iterator[Record], Decoder]:
        rows = _Rows(store, path)
        return (record for record, _ in rows), _decoder(rows.columns, path)

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """Each edited source's row is found by its ``id`` and written again; every other row
        stays byte for byte (the header too, unless a key needs a new column)."""
        name = os.fspath(path)
        if not edits:
            return text
        data = text.encode("utf-8")
        rows = _Rows(Store.of_bytes(data), name)
        columns = list(rows.columns)
        wanted = {edit.source_id for edit in edits}
        found: dict[str, tuple[Record, list[str]]] = {}
        if "id" not in columns:  # an empty file
            raise missing_id_error(name, edits[0].source_id, edits[0].key)
        where = columns.index("id")
        for record, row in rows:
            if len(row) > where and row[where] in wanted:
                found.setdefault(row[where], (record, row))
        changed: dict[Record, list[str]] = {}
        for edit in edits:
            if edit.source_id not in found:
                raise missing_id_error(name, edit.source_id, edit.key)
            record, row = found[edit.source_id]
            _edit(columns, row, edit, name, record.line)
            changed[record] = row
        pieces, at = [], 0
        if columns != list(rows.columns):
            header = rows.header
            pieces.append(_row(columns, data[header.start : header.end].decode("utf-8")))
            at = header.end
            if header.start:  # a byte order mark before it
                pieces.insert(0, data[: header.start].decode("utf-8"))
        for record in sorted(changed, key=lambda r: r.start):
            pieces.append(data[at : record.start].decode("utf-8"))
            pieces.append(_row(changed[record], data[record.start : record.end].decode("utf-8")))
            at = record.end
        pieces.append(data[at:].decode("utf-8"))
        return "".join(pieces)

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """A row per source at the end (a column added to the header for a key it lacks);
        ``notes`` are left out (CSV has no comments)."""
        if not sources:
            return text
        name = os.fspath(path)
        tables = [_cells(source_table(source)) for source in sources]
        ending = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
        if text.strip():
            rows = _Rows(Store.of_bytes(text.encode("utf-8")), name)
            columns = list(rows.columns)
            header_end = len(text.encode("utf-8")[: rows.header.end].decode("utf-8"))
        else:
            columns, header_end, text = [], 0, ""
        more = [key for table in tables for key in table if key not in columns]
        new_columns = columns + list(dict.fromkeys(more))
        if new_columns != columns or not text:
            text = _row(new_columns, text[:header_end] or ending) + text[header_end:]
        lead = "" if text.endswith("\n") else ending
        added = "".join(
            _row([table.get(key, "") for key in new_columns], ending) for table in tables
        )
        return text + lead + added


class _Rows:
    """The rows of a CSV registry, read from a :class:`Store`: its header (read at once) and,
    iterated, each source's :class:`Record` and cells."""

    def __init__(self, store: Store, path: str) -> None:
        self.path = path
        self._lines = store_lines(store, path)
        self._end, self._line = 0, 0
        self._reader = csv.reader(self._feed(), strict=True)
        self._bom = 0
        row = self._next()
        self.header = Record(self._bom, self._end, 1)
        """Where the header row is (after a byte order mark)."""
        self.columns: tuple[str, ...] = _columns(row or [], path) if row is not None else ()

    def __iter__(self) -> Iterator[tuple[Record, list[str]]]:
        while True:
            start, line = self._end, self._line + 1
            row = self._next()
            if row is None:
                return
            if any(cell.strip() for cell in row):
                yield Record(start, self._end, line), row

    def _feed(self) -> Iterator[str]:
        for line in self._lines:
            self._end, self._line = line.offset + len(line.data), line.number
            self._bom = self._bom or bom_length(line)
            try:
                yield line.data[bom_length(line) :].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RegistryError(
                    f"{self.path}:{line.number}: not UTF-8 text ({exc.reason} at column "
                    f"{exc.start + 1})",
                    path=self.path,
                ) from None

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise RegistryError(
                f"{self.path}:{self._line}: invalid CSV: {exc}", path=self.path
            ) from None


def _columns(header: list[str], path: str) -> tuple[str, ...]:
    """The header's column names, once they are known keys, each once, with ``id`` and
    ``url`` or ``doi``."""
    columns = tuple(cell.strip() for cell in header)
    seen: set[str] = set()
    for number, column in enumerate(columns, start=1):
        if column not in SOURCE_KEYS:
            close = difflib.get_close_matches(column, SOURCE_KEYS, n=1, cutoff=0.6)
            valid = ", ".join(SOURCE_KEYS)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {valid}"
            raise RegistryError(
                f"{path}:1: column {number}: unknown column {column!r}{hint}", path=path, key=column
            )
        if column in seen:
            raise RegistryError(
                f"{path}:1: column {number}: column {column!r} given twice", path=path, key=column
            )
        seen.add(column)
    if "id" not in seen:
        raise RegistryError(f"{path}:1: the header has no 'id' column", path=path, key="id")
    if not seen & {"url", "doi"}:
        raise RegistryError(
            f"{path}:1: the header has no 'url' column (nor 'doi', for works cited by DOI)",
            path=path,
            key="url",
        )
    return columns


def _decoder(columns: tuple[str, ...], path: str) -> Decoder:
    def decode(data: bytes, number: int, line: int, checked: bool) -> Source:
        try:
            text = data.decode("utf-8")
            row = next(csv.reader(io.StringIO(text), strict=True))
        except (UnicodeDecodeError, csv.Error, StopIteration) as exc:  # read once already
            raise RegistryError(f"{path}:{line}: invalid CSV: {exc}", path=path) from None
        if len(row) > len(columns):
            raise RegistryError(
                f"{path}:{line}: source #{number + 1}: the row has {len(row)} cells, the header "
                f"{len(columns)} columns",
                path=path,
            )
        cells = zip(columns, row, strict=False)  # a short row: the rest are empty
        table = {key: _value(key, cell) for key, cell in cells if cell.strip()}
        return source_from_table(table, number, path, line, 1, check_urls=not checked)

    return decode


def _value(key: str, cell: str) -> object:
    """A cell as the value of ``key`` in a source table."""
    if key in _LIST_KEYS:
        return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]
    if key == "accessed":
        return iso_date(cell)
    if key == "skip":
        word = cell.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else cell
    return cell


def _cells(table: Mapping[str, object]) -> dict[str, str]:
    """A source table's values as cells."""
    return {
        key: f"{LIST_SEPARATOR} ".join(value) if isinstance(value, list) else str(value)
        for key, value in table.items()
    }


def _edit(columns: list[str], row: list[str], edit: Edit, path: str, line: int) -> None:
    if edit.key not in columns:
        columns.append(edit.key)
    at = columns.index(edit.key)
    current = row[at] if at < len(row) and row[at].strip() else None
    if loaded_value(current) != loaded_value(edit.old):
        raise changed_value_error(path, line, edit.source_id, edit.key, current, edit.old)
    row.extend([""] * (at + 1 - len(row)))
    row[at] = "" if edit.value is None else edit.value


def _row(cells: Sequence[str], like: str) -> str:
    """``cells`` as one CSV row, ended and quoted as the row ``like`` (every cell quoted, or
    only those that need it)."""
    content = like.rstrip("\r\n")
    ending = like[len(content) :]
    quote_all = len(content) > 1 and content.startswith('"') and content.endswith('"')
    out = io.StringIO()
    # the line terminator's characters are what QUOTE_MINIMAL quotes besides , and "
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    if quote_all:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(cells)
    return out.getvalue().removesuffix("\r\n") + ending
