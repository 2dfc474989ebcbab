"""The BibTeX registry format: a ``.bib`` file read with bibtexparser 2 into sources.

Each entry with a URL becomes a :class:`~factlinks.Source`: ``url`` (or a ``\\url{…}`` in
``howpublished`` or ``note``), ``title`` with its LaTeX turned into text (pylatexenc, which
bibtexparser's own ``LatexDecodingMiddleware`` uses; math is kept as written), ``urldate`` as
``accessed``, the entry key as ``id`` (lower-cased, other characters made ``-``, made unique)
and, as written, as ``citation``: it is how the LaTeX document cites the entry. ``@string``
macros are resolved by bibtexparser; ``crossref`` is followed here (bibtexparser 2 does not):
an entry takes the fields it lacks, except ``title``, from the entry it names.

``doi`` (bare, ``doi:…`` or a ``doi.org`` URL) is checked through the DOI system; ``author``
(else ``editor``) and ``year`` (else the year of ``date``) name the reference in reports.

An entry with neither a usable URL nor a DOI cannot be checked: it is left out, a warning
names it and the registry's :attr:`~Registry.notes` (the report's notes) list it. Editing a
``.bib`` file is not supported yet; :meth:`BibtexFormat.apply_edits` says so with the edits.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import NamedTuple

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.middlewares.parsestack import default_parse_stack
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)
from pylatexenc.latex2text import LatexNodes2Text

from .._doi.names import parse_doi
from .._errors import RegistryError
from .._models import Source
from .interface import Edit, Registry, RegistryFormat, decode_utf8
from .validate import source_from_table, url_problem

__all__ = ["BibtexFormat"]

log = logging.getLogger("factlinks")

_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)
_URL_MACRO_RE = re.compile(r"\\(?:url|href)\s*\{\s*([^{}\s]+)\s*\}")
_NOT_ID_RE = re.compile(r"[^a-z0-9._-]+")
_SPACE_RE = re.compile(r"\s+")
_YEAR_RE = re.compile(r"[0-9]{4}")
_LISTED = 20
"""Entries named in the note on those that cannot be checked; the rest are counted."""
_URL_FIELDS = ("howpublished", "note")
"""Fields that may hold a ``\\url{…}`` when ``url`` is missing, in the order looked at."""
_NOT_INHERITED = frozenset({"title", "crossref"})
"""Fields a ``crossref`` parent does not pass on: its title is the child's ``booktitle``."""
_DECODER = LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False)
_COMMENT_RE = re.compile(r'^[ \t]*%[^\n]*|(?<=[}"],)[ \t]*%[^\n]*', re.MULTILINE)
"""A ``%`` comment: a whole line, or the rest of a line after a field's ``},``."""
_DECLARED_RE = re.compile(
    rb"^%+[ \t]*Encoding:[ \t]*([A-Za-z0-9._-]+)|-\*-.*?coding[:=][ \t]*([A-Za-z0-9._-]+)",
    re.MULTILINE | re.IGNORECASE,
)
_DECLARED_BYTES = 4096
"""Where JabRef's ``% Encoding: …`` line or an Emacs ``-*- coding: … -*-`` is looked for."""


class BibtexFormat(RegistryFormat):
    """``refs.bib``: BibTeX or biblatex entries, read only.

    Example::

        registry = BibtexFormat().parse(Path("refs.bib").read_text("utf-8"), path="refs.bib")
        registry.get("ctan").citation  # 'CTAN' -- the entry key as written
    """

    name = "bibtex"
    suffixes = (".bib", ".bibtex")

    def sniff(self, text: str) -> bool:
        """True when a line starts with an ``@type{`` or ``@type(`` entry."""
        return _ENTRY_RE.search(text) is not None

    def decode(self, data: bytes, *, path: str | os.PathLike[str] = "<string>") -> str:
        """UTF-8, else the encoding the file declares, else Windows-1252, else Latin-1.

        A ``.bib`` file says nothing of its encoding, and files from older tools are often
        Latin-1 or Windows-1252; JabRef writes a ``% Encoding: ISO8859_1`` line at the top (an
        Emacs ``-*- coding: latin-1 -*-`` is read too). What is not UTF-8 is read in the
        declared encoding, else as Windows-1252, else (a byte that has no character there) as
        Latin-1, which reads any bytes; a warning names the file and the encoding used. Only
        ASCII is certain then (URLs, DOIs and keys usually are); accents may be wrong.
        """
        name = os.fspath(path)
        try:
            return decode_utf8(data, name)
        except RegistryError as exc:
            not_utf8 = str(exc)
        declared = _declared_encoding(data)
        for encoding in (*([declared] if declared else []), "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            said = "as it declares" if encoding == declared else "as no encoding is declared"
            log.warning("factlinks: %s; read as %s %s", not_utf8, encoding, said)
            return text
        raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover

    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        name = os.fspath(path)
        entries, duplicates = _entries(text.removeprefix("\ufeff"), name)
        cited_in = [] if name == "<string>" else [PurePath(name).name]
        ids = _unique_ids([entry.key for entry in entries])
        by_key = {entry.key.lower(): entry for entry in entries}
        sources: list[Source] = []
        unchecked: list[str] = []
        for index, entry in enumerate(entries):
            fields = _with_crossref(entry, by_key)
            table = _table(entry, fields, ids[index], cited_in, name)
            if isinstance(table, _Unchecked):
                line = table.line or _line(entry)
                at = f" (line {line})" if line else ""
                unchecked.append(f"{entry.key}{at}: {table.why}")
                continue
            sources.append(source_from_table(table, index, name, _line(entry), 1))
        notes = _unchecked_notes(name, unchecked) + duplicates
        for note in notes:
            log.warning("factlinks: %s", note)
        return Registry(tuple(sources), {}, name, notes)

    def holds(self, key: str) -> bool:
        """Only ``url`` has a place in a BibTeX entry."""
        return key == "url"

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """Not supported yet: the error lists the edits to make by hand."""
        name = os.fspath(path)
        todo = "; ".join(f"{e.source_id}: {e.key} = {e.value!r}" for e in edits)
        raise RegistryError(
            f"{name}: factlinks cannot edit BibTeX files yet; make these edits by hand: {todo}",
            path=name,
        )

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """Not supported: new sources go into a ``sources.toml``."""
        name = os.fspath(path)
        raise RegistryError(
            f"{name}: factlinks cannot add entries to a BibTeX file; write them to a "
            "sources.toml instead",
            path=name,
        )


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Value:
    """A field's value, as bibtexparser gives it once macros are resolved, and its line."""

    text: str
    line: int | None


class _Unchecked(NamedTuple):
    """Why an entry cannot be checked, and the line that shows it (``None``: the entry's)."""

    line: int | None
    why: str


def _entries(text: str, path: str) -> tuple[list[Entry], tuple[str, ...]]:
    """The entries of ``text`` and a note on repeated keys, or an error naming the first block
    bibtexparser could not read.

    What BibTeX and biber read, this reads too: a line whose first character (after blanks) is
    ``%`` is a comment, inside an entry as well, and so is a ``%`` after a field's closing
    ``},`` (example files of biblatex styles, which biber reads, use both). Of a field given
    twice in an entry the first counts, and of two entries (or ``@string`` macros) with one
    key the first counts, as in BibTeX (``Repeated entry``) and biber: a warning names each,
    and the note lists the entries left out.
    """
    bib_log = logging.getLogger("bibtexparser")
    level = bib_log.level
    bib_log.setLevel(logging.CRITICAL)  # its failures are ours to report, once and located
    try:
        library = parse_string(_COMMENT_RE.sub(_blank, text), parse_stack=[])
        _keep_first_fields(library, path)
        for middleware in default_parse_stack():
            library = middleware.transform(library)
    finally:
        bib_log.setLevel(level)
    repeated: list[str] = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            repeated.append(_repeated(library, block, path))
        elif isinstance(block, ParsingFailedBlock):
            reason = _reason(block.error)
            raise RegistryError(f"{path}:{line}: invalid BibTeX: {reason}", path=path)
    return list(library.entries), _repeated_note(path, [r for r in repeated if r])


def _blank(comment: re.Match[str]) -> str:
    """A comment line as blanks: lines, columns and offsets stay where they were."""
    return " " * len(comment.group(0))


def _keep_first_fields(library: Library, path: str) -> None:
    """Each entry with a field given twice back in ``library``, as it was (the first counts)."""
    for block in library.failed_blocks:
        if isinstance(block, DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            entry = block.ignore_error_block
            log.warning(
                "factlinks: %s: entry %r: field %s given more than once; the first counts",
                _where(path, _line(entry)),
                entry.key,
                ", ".join(repr(key) for key in sorted(block.duplicate_keys)),
            )
            library.replace(block, entry, fail_on_duplicate_key=False)


def _repeated(library: Library, block: DuplicateBlockKeyBlock, path: str) -> str:
    """Warn of a repeated key; an entry's is returned for the note (an ``@string``'s is not)."""
    line = (block.start_line or 0) + 1
    first = library.entries_dict.get(block.key)
    if first is None:  # an @string macro defined again
        log.warning(
            "factlinks: %s:%d: @string %r defined again; the first definition counts",
            path,
            line,
            block.key,
        )
        return ""
    log.warning(
        "factlinks: %s:%d: entry %r: the key of the entry at line %s again; left out "
        "(BibTeX and biber use the first)",
        path,
        line,
        block.key,
        _line(first),
    )
    return f"{block.key} (line {line}, first at line {_line(first)})"


def _repeated_note(path: str, repeated: Sequence[str]) -> tuple[str, ...]:
    if not repeated:
        return ()
    shown = "; ".join(repeated[:_LISTED])
    more = f"; and {len(repeated) - _LISTED} more" if len(repeated) > _LISTED else ""
    count = f"{len(repeated)} {'entry' if len(repeated) == 1 else 'entries'}"
    return (f"{PurePath(path).name}: {count} left out, their key repeated: {shown}{more}.",)


def _declared_encoding(data: bytes) -> str | None:
    """The encoding a JabRef ``% Encoding:`` line or an Emacs ``coding:`` names, if Python
    knows it (Java's names too: ``ISO8859_1``, ``Cp1252``)."""
    found = _DECLARED_RE.search(data[:_DECLARED_BYTES])
    if found is None:
        return None
    written = (found.group(1) or found.group(2)).decode("ascii")
    try:
        return codecs.lookup(written).name
    except LookupError:
        return None


def _reason(error: Exception) -> str:
    """What bibtexparser says is wrong, on one line (its exceptions keep it in attributes)."""
    said = getattr(error, "abort_reason", None) or getattr(error, "message", None) or str(error)
    return _SPACE_RE.sub(" ", str(said)).strip() or type(error).__name__


def _line(entry: Entry) -> int | None:
    return None if entry.start_line is None else entry.start_line + 1


def _fields(entry: Entry) -> dict[str, _Value]:
    """The entry's fields by lower-case name (the first of a repeated name)."""
    fields: dict[str, _Value] = {}
    for field in entry.fields:
        line = None if field.start_line is None else field.start_line + 1
        fields.setdefault(field.key.lower(), _Value(str(field.value), line))
    return fields


def _with_crossref(entry: Entry, by_key: Mapping[str, Entry]) -> dict[str, _Value]:
    """The entry's fields and those it lacks from its ``crossref`` chain (cycles end)."""
    fields = _fields(entry)
    seen = {entry.key.lower()}
    parent_key = fields.get("crossref")
    while parent_key is not None and parent_key.text.strip().lower() not in seen:
        parent = by_key.get(parent_key.text.strip().lower())
        if parent is None:
            break
        seen.add(parent.key.lower())
        inherited = _fields(parent)
        for key, value in inherited.items():
            if key not in _NOT_INHERITED:
                fields.setdefault(key, value)
        parent_key = inherited.get("crossref")
    return fields


def _url(fields: Mapping[str, _Value]) -> tuple[str, _Value] | None:
    """The entry's URL field and value: ``url``, else a ``\\url{…}`` in howpublished or note."""
    url = fields.get("url")
    if url is not None and url.text.strip():
        return "url", _Value(url.text.strip(), url.line)
    for key in _URL_FIELDS:
        value = fields.get(key)
        found = _URL_MACRO_RE.search(value.text) if value is not None else None
        if found and value is not None:
            return key, _Value(found.group(1), value.line)
    return None


def _table(
    entry: Entry, fields: Mapping[str, _Value], source_id: str, cited_in: list[str], path: str
) -> dict[str, object] | _Unchecked:
    """The source table of one entry, for :func:`source_from_table`, or why it has none."""
    doi = _doi(entry, fields.get("doi"), path)
    found = _url(fields)
    table: dict[str, object] = {"id": source_id, "citation": entry.key}
    if found is not None:
        key, url = found
        why = url_problem(url.text)
        if why is None:
            table["url"] = url.text
        elif doi is None:
            return _Unchecked(url.line, f"field {key!r}: the URL {why}: {url.text!r}")
        else:
            log.warning(
                "factlinks: %s: entry %r: field %r: the URL %s: %r; checked by its DOI only",
                _where(path, url.line),
                entry.key,
                key,
                why,
                url.text,
            )
    if doi is not None:
        table["doi"] = doi
    if "url" not in table and doi is None:
        return _Unchecked(None, "no URL and no DOI")
    return table | _described(entry, fields, cited_in, path)


def _described(
    entry: Entry, fields: Mapping[str, _Value], cited_in: list[str], path: str
) -> dict[str, object]:
    """What an entry says of its work besides where it is: title, authors, year, access date."""
    table: dict[str, object] = {}
    title = fields.get("title")
    if title is not None and latex_to_text(title.text):
        table["title"] = latex_to_text(title.text)
    if cited_in:
        table["cited_in"] = cited_in
    accessed = _accessed(entry, fields.get("urldate"), path)
    if accessed is not None:
        table["accessed"] = accessed
    authors = _names(fields.get("author") or fields.get("editor"))
    if authors:
        table["authors"] = authors
    year = _year(fields)
    if year is not None:
        table["year"] = year
    return table


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _doi(entry: Entry, value: _Value | None, path: str) -> str | None:
    """The entry's ``doi`` field as a DOI; one that is not a DOI is left out, with a warning."""
    if value is None or not value.text.strip():
        return None
    written = value.text.replace("\\_", "_").replace("{", "").replace("}", "")
    doi = parse_doi(written)
    if doi is None:
        log.warning(
            "factlinks: %s: entry %r: field 'doi' is not a DOI (10.NNNN/…): %r; left out",
            _where(path, value.line),
            entry.key,
            value.text,
        )
    return doi


def _names(value: _Value | None) -> list[str]:
    """BibTeX names (``A and B and others``) as ``Family, Given``, LaTeX turned into text."""
    if value is None:
        return []
    names: list[str] = []
    for written in split_multiple_persons_names(value.text):
        parts = parse_single_name_into_parts(written, strict=False)
        family = latex_to_text(" ".join([*parts.von, *parts.last]))
        given = latex_to_text(" ".join(parts.first))
        if family.lower() == "others" and not given:
            continue
        if family or given:
            names.append(f"{family}, {given}" if family and given else family or given)
    return names


def _year(fields: Mapping[str, _Value]) -> str | None:
    """``year``, else the year of biblatex's ``date`` (``2006-10-01``, ``1998/2000``)."""
    year = fields.get("year")
    if year is not None and latex_to_text(year.text):
        return latex_to_text(year.text)
    date = fields.get("date")
    found = _YEAR_RE.match(date.text.strip()) if date is not None else None
    return found.group(0) if found else None


def _accessed(entry: Entry, urldate: _Value | None, path: str) -> dt.date | None:
    """``urldate`` as a date; a partial or odd date (``2006-10``) is left out, with a warning."""
    if urldate is None:
        return None
    try:
        return dt.date.fromisoformat(urldate.text.strip())
    except ValueError:
        log.warning(
            "factlinks: %s: entry %r: 'urldate' %r is not a date YYYY-MM-DD; left out",
            _where(path, urldate.line),
            entry.key,
            urldate.text,
        )
        return None


def _unchecked_notes(path: str, unchecked: Sequence[str]) -> tuple[str, ...]:
    """One note listing the entries that cannot be checked (the first few, then a count)."""
    if not unchecked:
        return ()
    shown = "; ".join(unchecked[:_LISTED])
    more = f"; and {len(unchecked) - _LISTED} more" if len(unchecked) > _LISTED else ""
    count = f"{len(unchecked)} {'entry' if len(unchecked) == 1 else 'entries'}"
    return (f"{PurePath(path).name}: {count} not checkable: {shown}{more}.",)


def latex_to_text(value: str) -> str:
    """BibTeX ``value`` as plain text: accents and escapes decoded, braces gone, math kept.

    Example::

        latex_to_text(r"Stra{\\ss}e -- {\\\"U}ber \\& $x^2$")  # 'Straße \u2013 Über & $x^2$'
    """
    try:
        text = _DECODER.latex_to_text(value)
    except Exception:  # pylatexenc is tolerant already; a title is never worth a crash
        text = value.replace("{", "").replace("}", "")
    return _SPACE_RE.sub(" ", text).strip()


def _unique_ids(keys: Sequence[str]) -> list[str]:
    """A registry id per entry key: accents dropped, lower case, each run of other characters
    than ``[a-z0-9._-]`` one ``-``, unique by a ``-2``, ``-3``; ``entry`` when nothing is left."""
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
