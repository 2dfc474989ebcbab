"""The CSL-JSON registry format: what Zotero and Better BibTeX export, read into sources.

A CSL-JSON file is a JSON array of items (Zotero's "CSL JSON" export, Better BibTeX's
"Better CSL JSON"), or one item object (what ``doi.org`` content negotiation returns for
``Accept: application/vnd.citationstyles.csl+json``). Fields, as the CSL data schema
(``csl-data.json`` of citation-style-language/schema) names them:

- ``URL`` is the source's ``url``; ``DOI`` (bare, ``doi:…`` or a ``doi.org`` URL) its DOI, so
  an item with a DOI and no URL is checkable;
- ``title`` is the expected title, CSL's rich-text markup (``<i>``, ``<b>``, ``<sup>``,
  ``<sub>``, ``<span class="nocase">``, small caps; ``&amp;``) turned into text;
- ``accessed`` (a CSL date: ``{"date-parts": [[2021, 2, 15]]}``, or ``"raw"``/``"literal"``
  text, or an EDTF string) is ``accessed`` when it is a full date; a partial one is left
  out with a warning that names the file and line;
- ``id`` (a string or a number) is the ``id``, made valid (lower case, other characters
  ``-``, unique by a ``-2``) and kept as written as ``citation``; an item without one gets
  the first author and the year (``shannon-1948``);
- ``author`` (else ``editor``), a list of ``{"family", "given"}`` or ``{"literal"}`` names,
  gives ``authors`` as ``Family, Given``; the year of ``issued`` gives ``year``.

An item with neither a usable URL nor a DOI cannot be checked: it is left out, a warning names
it and the registry's :attr:`~.interface.Registry.notes` list it. Invalid JSON is an error
with the line and column; a field of the wrong type is an error naming the file, the line,
the item and the field.

``fix`` rewrites the ``URL`` string of the items it names and nothing else, byte for byte; an
item without ``URL`` gets one as its last field, laid out like the field before it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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

__all__ = ["CslJsonFormat"]

log = logging.getLogger("factlinks")

_WHITE_RE = re.compile(r"[ \t\n\r]*")
_ISO_DATE_RE = re.compile(r"\s*([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?![0-9])")
_TYPE_RE = re.compile(r"[a-z][a-z_-]*")
_RICH_TAG_RE = re.compile(r"</?(?:i|b|sup|sub|span)(?:\s[^<>]*)?>", re.IGNORECASE)
"""The tags of CSL rich text (citeproc-js: ``<i>``, ``<b>``, ``<sup>``, ``<sub>``, the
``<span>`` of small caps and ``nocase``)."""
_DECODER = json.JSONDecoder()
_CSL_TYPES = frozenset(
    {
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "classic",
        "collection",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "event",
        "figure",
        "graphic",
        "hearing",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "performance",
        "periodical",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    }
)
"""The item types of CSL 1.0.2 (``csl-data.json``)."""
_ITEM_KEYS = ("id", "title", "URL", "DOI")
"""Keys of which an item has one at least, besides ``type``: what :meth:`sniff` looks for."""


class CslJsonFormat(RegistryFormat):
    """``refs.json``: a CSL-JSON array of items (or one item), as Zotero exports it.

    Example::

        registry = CslJsonFormat().parse(Path("refs.json").read_text("utf-8"), path="refs.json")
        registry.get("kfw-2021").citation  # 'kfw:2021' -- the item id as written
    """

    name = "csl-json"
    suffixes = (".json", ".csljson", ".csl.json")
    shared_suffixes = (".json",)
    holds_settings = False

    def sniff(self, text: str) -> bool:
        """True when ``text`` is a JSON array whose first element, or a JSON object that, is
        a CSL item: a ``type`` of CSL (or a lower-case ``type`` with a ``title`` and a ``URL``
        or ``DOI``) and an ``id``, ``title``, ``URL`` or ``DOI``. Only that element is decoded.
        """
        start = _WHITE_RE.match(text, 1 if text.startswith("\ufeff") else 0)
        at = start.end() if start else 0
        if text.startswith("[", at):
            at = _skip(text, at + 1)
        if not text.startswith("{", at):
            return False
        try:
            item, _ = _DECODER.raw_decode(text, at)
        except (json.JSONDecodeError, RecursionError):
            return False
        return isinstance(item, dict) and _looks_like_item(item)

    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        name = os.fspath(path)
        entries = _entries(text, name)
        cited_in = [] if name == "<string>" else [PurePath(name).name]
        sources: list[Source] = []
        unchecked: list[str] = []
        for index, entry in enumerate(entries):
            table = _table(entry, cited_in, name)
            if isinstance(table, Unchecked):
                line = table.line or entry.line
                unchecked.append(f"{entry.name} (line {line}): {table.why}")
                continue
            sources.append(source_from_table(table, index, name, entry.line, entry.column))
        return Registry(tuple(sources), {}, name, unchecked_notes(name, unchecked))

    def holds(self, key: str) -> bool:
        """Only ``url`` has a place in a CSL item (its ``URL``)."""
        return key == "url"

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """``text`` with the ``URL`` of each edited item replaced (or added as its last
        field); every other byte stays. Only ``url`` edits can be made."""
        name = os.fspath(path)
        if not edits:
            return text
        by_id = {entry.source_id: entry for entry in _entries(text, name)}
        changes: dict[int, tuple[int, int, str]] = {}
        for edit in edits:
            entry = by_id.get(edit.source_id)
            if entry is None:
                raise RegistryError(
                    f"{name}: no item with id {edit.source_id!r} (the file changed since the "
                    "run? check again)",
                    path=name,
                    source_id=edit.source_id,
                    key=edit.key,
                )
            if entry.index in changes:
                entry_error(name, entry.line, entry.name, "URL", "two edits of its URL")
            changes[entry.index] = _change(text, entry, edit, name)
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
            f"{name}: factlinks cannot add items to a CSL-JSON file; add them in the reference "
            "manager that exports it, or write them to a sources.toml instead",
            path=name,
        )


# -- the file's structure ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    """One ``"key": value`` of an item, and where its parts are in the text."""

    value: object
    lead: str
    """The white space before the key (how the item lays out its fields)."""
    key_end: int
    value_start: int
    value_end: int


@dataclass(frozen=True, slots=True)
class _Entry:
    """One item of the file: its value, its members by key, its names and its place."""

    index: int
    item: dict[str, object]
    members: dict[str, _Member]
    last: _Member | None
    """The item's last member in file order (``None``: an empty object)."""
    start: int
    """Where the item's ``{`` is in the text."""
    line: int
    column: int
    lines: dict[str, int]
    """The line of each member's value, by key."""
    key: str | None
    """The item's ``id`` as written, as a string (``None``: it has none)."""
    source_id: str = ""

    @property
    def name(self) -> str:
        """The item as messages name it: its ``id``, else its place in the file."""
        return self.key if self.key is not None else f"item #{self.index + 1}"

    def field(self, key: str, path: str) -> Field | None:
        """The string field ``key`` (``None``: absent or blank); another type is an error."""
        value = self.item.get(key)
        if value is None:
            return None
        line = self.lines.get(key, self.line)
        if not isinstance(value, str):
            entry_error(path, line, self.name, key, f"must be a string, not {_type(value)}")
        return Field(key, value.strip(), line) if value.strip() else None


def _type(value: object) -> str:
    return {dict: "an object", list: "an array", bool: "true or false"}.get(
        type(value), f"{type(value).__name__} {value!r}"[:60]
    )


def _skip(text: str, at: int) -> int:
    found = _WHITE_RE.match(text, at)
    return found.end() if found else at


def _looks_like_item(item: Mapping[str, object]) -> bool:
    kind = item.get("type")
    if not isinstance(kind, str) or not any(key in item for key in _ITEM_KEYS):
        return False
    if kind in _CSL_TYPES:
        return True
    return bool(_TYPE_RE.fullmatch(kind)) and "title" in item and ("URL" in item or "DOI" in item)


def _entries(text: str, path: str) -> list[_Entry]:
    """The items of ``text`` with their places, keys and ids; invalid JSON is an error."""
    offset = 1 if text.startswith("\ufeff") else 0
    try:
        document = json.loads(text[offset:])
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}", path=path
        ) from None
    except RecursionError:
        raise RegistryError(f"{path}: invalid CSL-JSON: nested too deeply", path=path) from None
    at = _skip(text, offset)
    if isinstance(document, dict):
        items, starts = [document], [at]
    elif isinstance(document, list):
        items, starts = document, _element_starts(text, at)
    else:
        raise RegistryError(
            f"{path}: not CSL-JSON: the file must hold an array of items or one item object, "
            f"not {_type(document)}",
            path=path,
        )
    entries = [
        _entry(text, index, item, start, path)
        for index, (item, start) in enumerate(zip(items, starts, strict=True))
    ]
    return _with_ids(entries, path)


def _element_starts(text: str, at: int) -> list[int]:
    """Where each element of the (valid) JSON array that starts at ``at`` starts."""
    starts: list[int] = []
    at = _skip(text, at + 1)
    while text[at] != "]":
        starts.append(at)
        _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return starts


def _members(text: str, at: int) -> tuple[dict[str, _Member], _Member | None]:
    """The members of the (valid) JSON object that starts at ``at``; a repeated key keeps the
    last, as :func:`json.loads` does."""
    members: dict[str, _Member] = {}
    last: _Member | None = None
    after = at + 1
    at = _skip(text, after)
    while text[at] != "}":
        key, key_end = _DECODER.raw_decode(text, at)
        value_start = _skip(text, _skip(text, key_end) + 1)  # past the ':'
        value, value_end = _DECODER.raw_decode(text, value_start)
        last = _Member(value, text[after:at], key_end, value_start, value_end)
        members[str(key)] = last
        at = _skip(text, value_end)
        if text[at] == ",":
            after = at + 1
            at = _skip(text, after)
    return members, last


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _entry(text: str, index: int, item: object, start: int, path: str) -> _Entry:
    line = _line(text, start)
    column = start - text.rfind("\n", 0, start)
    if not isinstance(item, dict):
        raise RegistryError(
            f"{path}:{line}: item #{index + 1} must be an object, not {_type(item)}",
            path=path,
        )
    members, last = _members(text, start)
    lines: dict[str, int] = {}
    at, counted = start, line
    for member_key, member in sorted(members.items(), key=lambda pair: pair[1].value_start):
        counted += text.count("\n", at, member.value_start)
        at = member.value_start
        lines[member_key] = counted
    raw_id = item.get("id")
    if raw_id is not None and (
        isinstance(raw_id, bool) or not isinstance(raw_id, str | int | float)
    ):
        entry_error(
            path,
            lines["id"],
            f"item #{index + 1}",
            "id",
            f"must be a string or a number, not {_type(raw_id)}",
        )
    key = None if raw_id is None else str(raw_id)
    return _Entry(index, item, members, last, start, line, column, lines, key)


def _with_ids(entries: list[_Entry], path: str) -> list[_Entry]:
    """The entries with their registry ids; a repeated ``id`` is an error."""
    seen: dict[str, _Entry] = {}
    for entry in entries:
        if entry.key is None:
            continue
        first = seen.setdefault(entry.key, entry)
        if first is not entry:
            entry_error(path, entry.line, entry.key, "id", f"duplicate id (also line {first.line})")
    keys = [
        entry.key
        if entry.key is not None
        else generated_key(_authors(entry, path), _year(entry), _title(entry, path))
        for entry in entries
    ]
    ids = unique_ids(keys)
    return [replace(entry, source_id=i) for entry, i in zip(entries, ids, strict=True)]


# -- reading an item --------------------------------------------------------------------------


def _table(entry: _Entry, cited_in: list[str], path: str) -> dict[str, object] | Unchecked:
    """The source table of one item, for :func:`source_from_table`, or why it has none."""
    described: dict[str, object] = {  # first: a field of the wrong type is an error anyway
        "citation": entry.key,
        "title": _title(entry, path),
        "cited_in": cited_in or None,
        "authors": _authors(entry, path) or None,
        "year": _year(entry),
    }
    located = entry_table(
        entry.name, entry.source_id, entry.field("URL", path), entry.field("DOI", path), path
    )
    if isinstance(located, Unchecked):
        return located
    described["accessed"] = _accessed(entry, path)
    return located | {key: value for key, value in described.items() if value is not None}


def _title(entry: _Entry, path: str) -> str | None:
    title = entry.field("title", path)
    return None if title is None else rich_text(title.text)


def rich_text(value: str) -> str:
    """A CSL rich-text string as plain text: its tags dropped, its entities decoded.

    Example::

        rich_text("<i>Homo sapiens</i> &amp; H<sub>2</sub>O")  # 'Homo sapiens & H2O'
    """
    if "<" not in value and "&" not in value:
        return value
    return html.unescape(_RICH_TAG_RE.sub("", value))


def _authors(entry: _Entry, path: str) -> list[str]:
    """``author`` (else ``editor``) as ``Family, Given``; a name of another shape is skipped."""
    for key in ("author", "editor"):
        value = entry.item.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            entry_error(
                path,
                entry.lines.get(key),
                entry.name,
                key,
                f"must be an array of names, not {_type(value)}",
            )
        names = [_name(name) for name in value if isinstance(name, dict)]
        if any(names):
            return [name for name in names if name]
    return []


def _name(name: Mapping[str, object]) -> str:
    """A CSL name as ``Family, Given`` (a particle such as ``van`` before the family name)."""

    def part(*keys: str) -> str:
        return " ".join(str(name[k]).strip() for k in keys if isinstance(name.get(k), str | int))

    literal = part("literal")
    family = part("non-dropping-particle", "family")
    given = part("given", "dropping-particle")
    if family and given:
        return f"{family}, {given}"
    return family or given or literal


def _date(value: object) -> tuple[list[int], str] | None:
    """A CSL date variable as its first date's parts and its text, or ``None`` (absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _text_date(value), value
    if not isinstance(value, dict):
        return [], repr(value)
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        numbers: list[int] = []
        for part in parts[0][:3]:
            try:
                numbers.append(int(part))
            except (TypeError, ValueError):
                break
        return numbers, json.dumps(parts[0])
    for key in ("raw", "literal"):
        text = value.get(key)
        if isinstance(text, str):
            return _text_date(text), text
    return [], json.dumps(value)


def _text_date(text: str) -> list[int]:
    """The parts of a written date: ``2021-02-15`` (or ``2021/02/15``) in full, else the year."""
    found = _ISO_DATE_RE.match(text)
    if found:
        return [int(part) for part in found.groups()]
    year = year_of(text)
    return [int(year)] if year else []


def _year(entry: _Entry) -> str | None:
    """The year of ``issued``, as a string."""
    date = _date(entry.item.get("issued"))
    return str(date[0][0]) if date and date[0] else None


def _accessed(entry: _Entry, path: str) -> dt.date | None:
    """``accessed`` as a date; a partial or odd one is left out, with a warning."""
    date = _date(entry.item.get("accessed"))
    if date is None:
        return None
    parts, written = date
    if len(parts) == 3:
        try:
            return dt.date(*parts)
        except ValueError:
            pass
    log.warning(
        "factlinks: %s: entry %r: 'accessed' %s is not a full date (year, month, day); left out",
        where(path, entry.lines.get("accessed", entry.line)),
        entry.name,
        written,
    )
    return None


# -- editing ----------------------------------------------------------------------------------


def _change(text: str, entry: _Entry, edit: Edit, path: str) -> tuple[int, int, str]:
    """The span of ``text`` an edit replaces, and what it writes there."""
    if edit.key != "url":
        entry_error(
            path,
            entry.line,
            entry.name,
            None,
            f"a CSL item has no place for {edit.key!r}; only its URL can be changed",
        )
    if edit.value is None:
        entry_error(path, entry.line, entry.name, "URL", "factlinks does not remove a URL")
    member = entry.members.get("URL")
    current = member.value if member is not None else None
    written = entry.item.get("DOI")
    doi = parse_doi(written) if isinstance(written, str) else None
    read_as = current if current is not None else (doi_url(doi) if doi else None)
    if edit.old is not None and edit.old not in (current, read_as):
        entry_error(
            path,
            entry.lines.get("URL", entry.line),
            entry.name,
            "URL",
            f"is {current!r}, not {edit.old!r} as planned (the file changed since the run? "
            "check again)",
        )
    new = json.dumps(edit.value, ensure_ascii=False)
    if member is not None:
        return member.value_start, member.value_end, new
    last = entry.last
    if last is None:  # {}: the URL is its only member
        return entry.start + 1, entry.start + 1, f'"URL": {new}'
    colon = text[last.key_end : last.value_start]
    lead = last.lead or (" " if " " in colon else "")  # {"id": "a"} has no lead to copy
    return last.value_end, last.value_end, f',{lead}"URL"{colon}{new}'
