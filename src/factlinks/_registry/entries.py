"""What the reference-manager formats (CSL-JSON, RIS) share: an entry's fields, as written and
where, turned into the table :func:`~.validate.source_from_table` validates.

A format reads each entry into :class:`Field` values (the text, the line, and the field's name
as the file writes it, for messages), then :func:`entry_table` decides where the entry is
(its URL, else its DOI) or why it cannot be checked (:class:`Unchecked`), and
:func:`unchecked_notes` lists those for :attr:`~.interface.Registry.notes`. The rules are the
BibTeX format's (:mod:`.bibtex`), so every format says the same things the same way.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import NamedTuple, NoReturn

from .._doi.names import parse_doi
from .._errors import RegistryError
from .validate import url_problem

__all__ = [
    "Field",
    "Unchecked",
    "entry_error",
    "entry_table",
    "generated_key",
    "unchecked_notes",
    "unique_ids",
    "where",
    "year_of",
]

log = logging.getLogger("factlinks")

_NOT_ID_RE = re.compile(r"[^a-z0-9._-]+")
_YEAR_RE = re.compile(r"[0-9]{4}")
_LISTED = 20
"""Entries named in the note on those that cannot be checked; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an entry: its name as the file writes it, its text and its line."""

    name: str
    """The field's name in the file, e.g. ``"URL"`` (CSL-JSON) or ``"UR"`` (RIS)."""
    text: str
    """The value, as a string."""
    line: int | None
    """The 1-based line the value is on."""


class Unchecked(NamedTuple):
    """Why an entry cannot be checked, and the line that shows it (``None``: the entry's)."""

    line: int | None
    why: str


def where(path: str, line: int | None) -> str:
    """``path:line``, or ``path`` when the line is not known."""
    return f"{path}:{line}" if line else path


def entry_table(
    entry: str, source_id: str, url: Field | None, doi: Field | None, path: str
) -> dict[str, object] | Unchecked:
    """The ``id``, ``url`` and ``doi`` of an entry's source table, or why it has none.

    ``entry`` names the entry in messages (its key as written). A URL that is not a fetchable
    http(s) URL makes the entry uncheckable, unless it has a DOI: then it is checked by the
    DOI alone, with a warning. A ``doi`` that is not a DOI is left out, with a warning.

    Example::

        entry_table("kfw", "kfw", Field("URL", "https://a.example/", 3), None, "refs.json")
        # {'id': 'kfw', 'url': 'https://a.example/'}
    """
    found = _doi(entry, doi, path)
    table: dict[str, object] = {"id": source_id}
    if url is not None:
        why = url_problem(url.text)
        if why is None:
            table["url"] = url.text
        elif found is None:
            return Unchecked(url.line, f"field {url.name!r}: the URL {why}: {url.text!r}")
        else:
            log.warning(
                "factlinks: %s: entry %r: field %r: the URL %s: %r; checked by its DOI only",
                where(path, url.line),
                entry,
                url.name,
                why,
                url.text,
            )
    if found is not None:
        table["doi"] = found
    if "url" not in table and found is None:
        return Unchecked(None, "no URL and no DOI")
    return table


def _doi(entry: str, value: Field | None, path: str) -> str | None:
    if value is None or not value.text.strip():
        return None
    doi = parse_doi(value.text)
    if doi is None:
        log.warning(
            "factlinks: %s: entry %r: field %r is not a DOI (10.NNNN/…): %r; left out",
            where(path, value.line),
            entry,
            value.name,
            value.text,
        )
    return doi


def unchecked_notes(path: str, unchecked: Sequence[str]) -> tuple[str, ...]:
    """One note listing the entries that cannot be checked (the first few, then a count),
    logged as a warning too."""
    if not unchecked:
        return ()
    shown = "; ".join(unchecked[:_LISTED])
    more = f"; and {len(unchecked) - _LISTED} more" if len(unchecked) > _LISTED else ""
    count = f"{len(unchecked)} {'entry' if len(unchecked) == 1 else 'entries'}"
    note = f"{PurePath(path).name}: {count} not checkable: {shown}{more}."
    log.warning("factlinks: %s", note)
    return (note,)


def unique_ids(keys: Sequence[str]) -> list[str]:
    """A registry id per entry key: accents dropped, lower case, each run of other characters
    than ``[a-z0-9._-]`` one ``-``, unique by a ``-2``, ``-3``; ``entry`` when nothing is left.

    Example::

        unique_ids(["Knuth:1984", "knuth 1984", "Über"])  # ['knuth-1984', 'knuth-1984-2', 'uber']
    """
    ids: list[str] = []
    taken: set[str] = set()
    for key in keys:
        ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
        base = _NOT_ID_RE.sub("-", ascii_key.lower()).strip("-") or "entry"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        ids.append(candidate)
    return ids


def entry_error(
    path: str, line: int | None, entry: str, field: str | None, message: str
) -> NoReturn:
    """Raise the :class:`RegistryError` of an entry: ``refs.ris:12: entry 'kfw': field 'UR': …``."""
    named = f"field {field!r}: " if field else ""
    raise RegistryError(
        f"{where(path, line)}: entry {entry!r}: {named}{message}",
        path=path,
        source_id=entry,
        key=field,
    )


def year_of(text: str) -> str | None:
    """The first four-digit year in ``text`` (``2021/02/15/`` gives ``2021``), or ``None``."""
    found = _YEAR_RE.search(text)
    return found.group(0) if found else None


def generated_key(authors: Sequence[str], year: str | None, title: str | None) -> str:
    """A key for an entry that has none: the first author's family name (else the title's
    first word) and the year, as in ``Shannon-1948``; :func:`unique_ids` makes it an id."""
    first = authors[0].split(",")[0] if authors else (title or "").split(" ")[0]
    return "-".join(part for part in (first.strip(), year) if part) or "entry"
