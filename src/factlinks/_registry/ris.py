"""The RIS registry format: ``TY  - `` … ``ER  - `` records, as reference managers export them.

Read here rather than with rispy: rispy gives each record's tags as a dict, but not the line a
record or a tag is on (for messages) nor where a value is in the text, which ``fix`` needs to
rewrite one URL and keep every other byte. RIS is a line format, so the reader is small.

A line is ``XY  - value`` (a tag of a capital letter and a letter or digit, one or two spaces,
``-``); a line that is not a tag continues the value before it. A record runs from ``TY`` to
``ER``. Tags, as the RIS specification (RefMan, 2011) and Zotero's RIS translator use them:

- ``UR`` is the URL. A record may repeat ``UR`` or write several URLs in one (separated by
  white space or ``;``): the first ``http(s)`` URL is the source's ``url``;
- ``DO`` is the DOI, so a record with a DOI and no URL is checkable;
- ``TI``, else ``T1``, else ``CT`` is the title; ``BT`` only for a book (``TY  - BOOK``,
  ``EBOOK``, ``EDBOOK``), where it is the book's own title and not that of a chapter's book;
- ``Y2`` is the access date (Zotero writes ``accessDate`` there, the 2011 specification
  names it "Access Date"); ``2021/02/15/``, ``2021/02/15`` and ``2021-02-15`` (a time after
  it too) are read, and a partial date is left out with a warning. ``DA`` is *not* read as
  the access date: Zotero and the specification write the work's date there;
- ``AU`` and ``A1`` (else ``ED`` and ``A2``) are the authors, as written (``Family, Given``);
  the year of ``PY``, else ``Y1``, else ``DA``, is the year;
- ``ID`` is the ``id`` (made valid and unique, kept as written as ``citation``); a record
  without one gets the first author and the year (``shannon-1948``).

A record with neither a usable URL nor a DOI cannot be checked: it is left out, a warning names
it and the registry's :attr:`~.interface.Registry.notes` list it. A tag outside a record, a
record without ``ER`` and a repeated ``ID`` are errors naming the file and the line.

``fix`` rewrites the URL it names and nothing else; a record without one gets a ``UR`` line
right before its ``ER``, written like the record's ``TY`` line.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from .._doi.names import doi_url, parse_doi
from .._errors import RegistryError
from .._models import Source
from .entries import (
    Field,
    Unchecked,
    entry_error,
    entry_table,
    generated_key,
    unchecked_notes,
    unique_ids,
    where,
    year_of,
)
from .interface import Edit, Registry, RegistryFormat
from .validate import source_from_table

__all__ = ["RisFormat"]

log = logging.getLogger("factlinks")

_TAG_RE = re.compile(r"([A-Z][A-Z0-9])( {1,2}-(?: |$))(.*?)[ \t]*$")
_SNIFF_RE = re.compile(r"TY {1,2}- ")
_URL_TOKEN_RE = re.compile(r"[^\s;]+")
_DATE_RE = re.compile(r"\s*([0-9]{4})[/-]([0-9]{1,2})[/-]([0-9]{1,2})(?![0-9])")
_SNIFFED_LINES = 5
"""Non-blank lines :meth:`RisFormat.sniff` looks at for a ``TY`` line."""
_BOOKS = frozenset({"BOOK", "EBOOK", "EDBOOK"})
"""Record types whose ``BT`` is their own title."""


class RisFormat(RegistryFormat):
    """``refs.ris``: RIS records, as Zotero, EndNote or a library catalogue exports them.

    Example::

        registry = RisFormat().parse(Path("refs.ris").read_text("utf-8"), path="refs.ris")
        registry.get("kfw-2021").citation  # 'kfw:2021' -- the record's ID as written
    """

    name = "ris"
    holds_settings = False
    suffixes = (".ris",)

    def sniff(self, text: str) -> bool:
        """True when one of the first few non-blank lines is a ``TY  - `` line (as Zotero's
        RIS import decides)."""
        lines = (line.strip() for line in text.removeprefix("\ufeff").splitlines())
        for count, line in enumerate(line for line in lines if line):
            if _SNIFF_RE.match(line):
                return True
            if count + 1 >= _SNIFFED_LINES:
                break
        return False

    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        name = os.fspath(path)
        records = _records(text, name)
        cited_in = [] if name == "<string>" else [PurePath(name).name]
        sources: list[Source] = []
        unchecked: list[str] = []
        for index, record in enumerate(records):
            table = _table(record, cited_in, name)
            if isinstance(table, Unchecked):
                line = table.line or record.line
                unchecked.append(f"{record.name} (line {line}): {table.why}")
                continue
            sources.append(source_from_table(table, index, name, record.line, 1))
        return Registry(tuple(sources), {}, name, unchecked_notes(name, unchecked))

    def holds(self, key: str) -> bool:
        """Only ``url`` has a place in a RIS record (its ``UR``)."""
        return key == "url"

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """``text`` with the URL of each edited record replaced (or a ``UR`` line added
        before its ``ER``); every other byte stays. Only ``url`` edits can be made."""
        name = os.fspath(path)
        if not edits:
            return text
        by_id = {record.source_id: record for record in _records(text, name)}
        changes: dict[int, tuple[int, int, str]] = {}
        for edit in edits:
            record = by_id.get(edit.source_id)
            if record is None:
                raise RegistryError(
                    f"{name}: no record with id {edit.source_id!r} (the file changed since the "
                    "run? check again)",
                    path=name,
                    source_id=edit.source_id,
                    key=edit.key,
                )
            if record.index in changes:
                entry_error(name, record.line, record.name, "UR", "two edits of its URL")
            changes[record.index] = _change(record, edit, name)
        for start, end, new in sorted(changes.values(), reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """Not supported: new sources go into a ``sources.toml`` (or the reference manager)."""
        name = os.fspath(path)
        raise RegistryError(
            f"{name}: factlinks cannot add records to a RIS file; add them in the reference "
            "manager that exports it, or write them to a sources.toml instead",
            path=name,
        )


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tag:
    """One tag line of a record: its value (with continuation lines), line and place."""

    tag: str
    value: str
    line: int
    value_start: int
    """Where the value's first line starts in the text."""
    first_line: str
    """The value's first line (the URLs of a ``UR`` are looked for there)."""


@dataclass(frozen=True, slots=True)
class _Record:
    """One ``TY`` … ``ER`` record."""

    index: int
    line: int
    tags: list[_Tag]
    end_start: int
    """Where the ``ER`` line starts in the text."""
    newline: str
    """The line ending of the ``TY`` line ("" when it is the last line)."""
    separator: str
    """What the ``TY`` line writes between the tag and the value, e.g. ``"  - "``."""
    key: str | None = None
    source_id: str = ""

    @property
    def name(self) -> str:
        """The record as messages name it: its ``ID``, else its place in the file."""
        return self.key if self.key is not None else f"record #{self.index + 1}"

    def values(self, *tags: str) -> list[_Tag]:
        """The record's lines with one of ``tags``, in file order."""
        return [t for t in self.tags if t.tag in tags and t.value]

    def first(self, *tags: str) -> _Tag | None:
        """The first line with the first of ``tags`` the record has."""
        for tag in tags:
            found = self.values(tag)
            if found:
                return found[0]
        return None


@dataclass
class _Open:
    """The record being read: its ``TY`` line and its tags so far."""

    line: int
    newline: str
    separator: str
    tags: list[_Tag] = field(default_factory=list)


def _records(text: str, path: str) -> list[_Record]:
    """The records of ``text`` with their ids; a stray tag or a missing ``ER`` is an error."""
    records: list[_Record] = []
    current: _Open | None = None
    offset = 1 if text.startswith("\ufeff") else 0
    for number, raw in enumerate(text[offset:].splitlines(keepends=True), start=1):
        start, offset = offset, offset + len(raw)
        line = raw.rstrip("\r\n")
        found = _TAG_RE.match(line)
        tag = found.group(1) if found else None
        if found is None or tag is None:
            if current is not None and current.tags and line.strip():
                last = current.tags[-1]
                current.tags[-1] = replace(last, value=f"{last.value}\n{line.strip()}")
        elif tag == "TY":
            if current is not None:
                raise RegistryError(
                    f"{path}:{number}: a new record (TY) before the ER of the record at line "
                    f"{current.line}",
                    path=path,
                )
            current = _Open(number, raw[len(line) :], found.group(2))
            current.tags.append(_Tag(tag, found.group(3).strip(), number, start, ""))
        elif current is None:
            raise RegistryError(
                f"{path}:{number}: tag {tag!r} outside a record (before its TY or after its ER)",
                path=path,
            )
        elif tag == "ER":
            index = len(records)
            records.append(
                _Record(
                    index, current.line, current.tags, start, current.newline, current.separator
                )
            )
            current = None
        else:
            value = found.group(3)
            current.tags.append(_Tag(tag, value.strip(), number, start + found.start(3), value))
    if current is not None:
        raise RegistryError(
            f"{path}:{current.line}: the record that starts here has no ER line", path=path
        )
    return _with_ids(records, path)


def _with_ids(records: list[_Record], path: str) -> list[_Record]:
    """The records with their keys (``ID``) and registry ids; a repeated ``ID`` is an error."""
    seen: dict[str, _Record] = {}
    keyed: list[_Record] = []
    for record in records:
        tag = record.first("ID")
        if tag is not None:
            first = seen.setdefault(tag.value, record)
            if first is not record:
                entry_error(
                    path, tag.line, tag.value, "ID", f"duplicate ID (also line {first.line})"
                )
        keyed.append(replace(record, key=None if tag is None else tag.value))
    keys = [
        r.key if r.key is not None else generated_key(_authors(r), _year(r), _title(r))
        for r in keyed
    ]
    return [replace(r, source_id=i) for r, i in zip(keyed, unique_ids(keys), strict=True)]


def _url(record: _Record) -> tuple[Field, int, int] | None:
    """The record's URL: the first http(s) one of its ``UR`` lines (else the first URL, for
    the note saying why it cannot be checked), and where it is in the text."""
    first: tuple[Field, int, int] | None = None
    for tag in record.values("UR"):
        for token in _URL_TOKEN_RE.finditer(tag.first_line):
            start, end = tag.value_start + token.start(), tag.value_start + token.end()
            found = (Field("UR", token.group(0), tag.line), start, end)
            if token.group(0).lower().startswith(("http://", "https://")):
                return found
            first = first or found
    return first


def _table(record: _Record, cited_in: list[str], path: str) -> dict[str, object] | Unchecked:
    """The source table of one record, for :func:`source_from_table`, or why it has none."""
    url = _url(record)
    doi = record.first("DO")
    located = entry_table(
        record.name,
        record.source_id,
        None if url is None else url[0],
        None if doi is None else Field("DO", doi.value, doi.line),
        path,
    )
    if isinstance(located, Unchecked):
        return located
    table = dict(located)
    described: dict[str, object] = {
        "citation": record.key,
        "title": _title(record),
        "cited_in": cited_in or None,
        "accessed": _accessed(record, path),
        "authors": _authors(record) or None,
        "year": _year(record),
    }
    return table | {key: value for key, value in described.items() if value is not None}


def _title(record: _Record) -> str | None:
    tag = record.first("TI", "T1", "CT")
    kind = record.tags[0].value if record.tags and record.tags[0].tag == "TY" else ""
    if tag is None and kind.upper() in _BOOKS:
        tag = record.first("BT")
    return None if tag is None else " ".join(tag.value.split())


def _authors(record: _Record) -> list[str]:
    authors = record.values("AU", "A1") or record.values("ED", "A2")
    return [" ".join(tag.value.split()) for tag in authors]


def _year(record: _Record) -> str | None:
    tag = record.first("PY", "Y1", "DA")
    return None if tag is None else year_of(tag.value)


def _accessed(record: _Record, path: str) -> dt.date | None:
    """``Y2`` as a date; a partial or odd one (``2021//``) is left out, with a warning."""
    tag = record.first("Y2")
    if tag is None:
        return None
    found = _DATE_RE.match(tag.value)
    if found:
        try:
            return dt.date(*(int(part) for part in found.groups()))
        except ValueError:
            pass
    log.warning(
        "factlinks: %s: entry %r: 'Y2' (access date) %r is not a full date (YYYY/MM/DD); left out",
        where(path, tag.line),
        record.name,
        tag.value,
    )
    return None


# -- editing ----------------------------------------------------------------------------------


def _change(record: _Record, edit: Edit, path: str) -> tuple[int, int, str]:
    """The span of the text an edit replaces, and what it writes there."""
    if edit.key != "url":
        entry_error(
            path,
            record.line,
            record.name,
            None,
            f"a RIS record has no place for {edit.key!r}; only its URL can be changed",
        )
    if edit.value is None or any(c in edit.value for c in "\r\n"):
        entry_error(path, record.line, record.name, "UR", f"cannot write {edit.value!r}")
    url = _url(record)
    current = None
    if url is not None and url[0].text.lower().startswith(("http://", "https://")):
        current = url[0].text
    doi_tag = record.first("DO")
    doi = parse_doi(doi_tag.value) if doi_tag is not None else None
    read_as = current if current is not None else (doi_url(doi) if doi else None)
    if edit.old is not None and edit.old not in (current, read_as):
        line = url[0].line if url is not None else record.line
        entry_error(
            path,
            line,
            record.name,
            "UR",
            f"is {current!r}, not {edit.old!r} as planned (the file changed since the run? "
            "check again)",
        )
    if url is not None and current is not None:
        return url[1], url[2], edit.value
    newline = record.newline or "\n"
    return record.end_start, record.end_start, f"UR{record.separator}{edit.value}{newline}"
