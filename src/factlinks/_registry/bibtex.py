"""The BibTeX registry format: a ``.bib`` file read with bibtexparser 2 into sources.

Each entry with a URL becomes a :class:`~factlinks.Source`: ``url`` (or a ``\\url{…}`` in
``howpublished`` or ``note``), ``title`` with its LaTeX turned into text (pylatexenc, which
bibtexparser's own ``LatexDecodingMiddleware`` uses; math is kept as written), ``urldate`` as
``accessed``, the entry key as ``id`` (lower-cased, other characters made ``-``, made unique)
and, as written, as ``citation``: it is how the LaTeX document cites the entry. ``@string``
macros are resolved by bibtexparser; ``crossref`` is followed here (bibtexparser 2 does not):
an entry takes the fields it lacks, except ``title``, from the entry it names.

An ``eprint`` whose ``eprinttype`` (BibTeX: ``archiveprefix``) is arXiv, JSTOR, PubMed, a
Handle or Google Books gives the URL biblatex links it to, when there is no URL field.
``doi`` (bare, ``doi:…`` or a ``doi.org`` URL) is checked through the DOI system; ``author``
(else ``editor``) and ``year`` (else the year of ``date``) name the reference in reports.

An entry with neither a usable URL nor a DOI cannot be checked: it is left out, a warning
names it and the registry's :attr:`~Registry.notes` (the report's notes) list it.

``factlinks fix`` rewrites a moved URL in place (:meth:`BibtexFormat.apply_edits`): only the
characters of the URL change. A ``.bib`` holds no settings: a ``factlinks.toml`` beside it
does (:mod:`.sidecar`), so :attr:`BibtexFormat.holds_settings` is false.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

from .._doi.names import doi_url, parse_doi
from .._errors import RegistryError
from .._models import Source
from .entries import Unchecked, unchecked_notes, unique_ids, where
from .interface import Edit, Registry, RegistryFormat, decode_utf8
from .validate import source_from_table, url_problem

if TYPE_CHECKING:  # imported by the first .bib read: a run on a sources.toml needs neither
    from bibtexparser.library import Library
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry
    from pylatexenc.latex2text import LatexNodes2Text

__all__ = ["BibtexFormat"]

log = logging.getLogger("factlinks")

_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)
_URL_MACRO_RE = re.compile(r"\\(?:url|href)\s*\{\s*([^{}\s]+)\s*\}")
_BARE_URL_RE = re.compile(r"(?<![\w/\\{])https?://[^\s{}\\<>\"]+")
"""A URL written as text (``note = {http://www.xbow.com}``), not in a ``\\url{…}``."""
_URL_END = ".,;:!?)]'"
"""Punctuation after a URL written as text that ends the sentence, not the URL."""
_SPACE_RE = re.compile(r"\s+")
_MASK = "\ue000"
"""Stands for a ``"`` inside braces inside a ``"…"`` value while bibtexparser reads the text."""
_STRUCTURE_RE = re.compile(r'[{}"()]')
_SKIPPED_RE = re.compile(r"[ \t]*@[ \t]*(?:comment|preamble)\b", re.IGNORECASE)
_TEXT_MACROS = {
    "hyphen": "-",
    "nbhyphen": "-",
    "slash": "/",
    "hyphenate": "-",
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2e",
    "BibTeX": "BibTeX",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "eTeX": "e-TeX",
    "ConTeXt": "ConTeXt",
    "METAFONT": "METAFONT",
    "MF": "METAFONT",
    "METAPOST": "METAPOST",
    "MP": "METAPOST",
    "AmS": "AMS",
    "AmSTeX": "AMS-TeX",
    "AMSTeX": "AMS-TeX",
    "SliTeX": "SliTeX",
}
"""Commands pylatexenc does not know and would drop: biblatex's punctuation (``\\hyphen``,
``\\slash``) and the TeX logos (``{\\TeX} Users Group``), as the text they print."""
_TEXT_MACRO_RE = re.compile(
    r"\\(" + "|".join(sorted(_TEXT_MACROS, key=len, reverse=True)) + r")(?![A-Za-z])[ \t\n]*"
)
_YEAR_RE = re.compile(r"[0-9]{4}")
_BRACE_RE = re.compile(r"(?<!\\)[{}]")
_QUOTE_RE = re.compile(r'(?<!\\)"')
_OPENER_RE = re.compile(r"@\w*[ \t]*([{(])")
_MARKS_RE = re.compile(r'(?<!\\)[{}",=]')
_PAREN_MARKS_RE = re.compile(r'(?<!\\)[{}",=)]')
_VALUE_MARKS_RE = re.compile(r'(?<!\\)[{}",)]')
_LISTED = 20
"""Entries named in the note on those that cannot be checked; the rest are counted."""
_URL_FIELDS = ("howpublished", "note")
"""Fields that may hold a ``\\url{…}`` when ``url`` is missing, in the order looked at."""
_EPRINT_URLS = {
    "arxiv": "https://arxiv.org/abs/{}",
    "googlebooks": "https://books.google.com/books?id={}",
    "hdl": "https://hdl.handle.net/{}",
    "jstor": "https://www.jstor.org/stable/{}",
    "pubmed": "https://pubmed.ncbi.nlm.nih.gov/{}/",
}
"""Where an ``eprint`` of a biblatex ``eprinttype`` (BibTeX: ``archiveprefix``) is read, as
biblatex's standard styles link it."""
_EPRINT_SAFE = "/:;.,-_~()"
_NOT_INHERITED = frozenset({"title", "subtitle", "crossref"})
"""Fields a ``crossref`` parent does not pass on: its title is the child's ``booktitle``
(and its subtitle the child's ``booksubtitle``)."""


@functools.cache
def _decoder() -> LatexNodes2Text:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False)


_COMMENT_RE = re.compile(r'^[ \t]*%[^\n]*|(?<=[}"],)[ \t]*%[^\n]*', re.MULTILINE)
"""A ``%`` comment: a whole line, or the rest of a line after a field's ``},``."""
_DECLARED_RE = re.compile(
    rb"^%+[ \t]*Encoding:[ \t]*([A-Za-z0-9._-]+)|-\*-.*?coding[:=][ \t]*([A-Za-z0-9._-]+)",
    re.MULTILINE | re.IGNORECASE,
)
_DECLARED_BYTES = 4096
"""Where JabRef's ``% Encoding: …`` line or an Emacs ``-*- coding: … -*-`` is looked for."""


class BibtexFormat(RegistryFormat):
    """``refs.bib``: BibTeX or biblatex entries; ``fix`` rewrites their URLs in place.

    Example::

        registry = BibtexFormat().parse(Path("refs.bib").read_text("utf-8"), path="refs.bib")
        registry.get("ctan").citation  # 'CTAN' -- the entry key as written
    """

    name = "bibtex"
    suffixes = (".bib", ".bibtex")
    holds_settings = False

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
        library, duplicates = _library(_prepared(text.removeprefix("\ufeff")), name)
        entries = library.entries
        macros = _macros(library)
        cited_in = [] if name == "<string>" else [PurePath(name).name]
        ids = unique_ids([entry.key for entry in entries])
        by_key = {entry.key.lower(): entry for entry in entries}
        sources: list[Source] = []
        unchecked: list[str] = []
        several: list[str] = []
        for index, entry in enumerate(entries):
            fields = _with_crossref(entry, by_key, macros)
            table = _table(entry, fields, ids[index], cited_in, name)
            if isinstance(table, Unchecked):
                line = table.line or _line(entry)
                at = f" (line {line})" if line else ""
                unchecked.append(f"{entry.key}{at}: {table.why}")
                continue
            sources.append(source_from_table(table, index, name, _line(entry), 1))
            several += _several(entry, fields, name)
        notes = unchecked_notes(name, unchecked) + _several_note(name, several) + duplicates
        for note in duplicates:
            log.warning("factlinks: %s", note)
        return Registry(tuple(sources), {}, name, notes)

    def holds(self, key: str) -> bool:
        """Only ``url`` has a place in a BibTeX entry."""
        return key == "url"

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """Each entry is found by its id (as :meth:`parse` makes it from the key); only the
        characters of the URL change, every other byte stays as it was.

        - ``url = {…}`` or ``url = "…"``: the value between the delimiters, which stay.
        - a ``\\url{…}`` (or ``\\href{…}``) in ``howpublished`` or ``note``: the URL inside it.
        - no URL (an entry checked by its DOI): a ``url`` field after the last field, laid out
          like it (indentation, ``=`` column, delimiters, trailing comma).

        Refused with what to change by hand: a ``url`` given by an ``@string`` macro, a ``#``
        concatenation or a ``crossref`` parent; a key other than ``url`` (a BibTeX entry has no
        place for it); a URL with unbalanced braces (or a ``"`` in a ``"…"`` value); a URL
        that would not read back as written. ``%``, ``#``, ``_``, ``&`` and ``~`` are written
        as they are: biblatex's ``url`` field is verbatim.

        Raises:
            RegistryError: the text cannot be parsed, an id is not an entry with a URL or DOI,
                the entry's URL is not :attr:`Edit.old` (the file changed since the plan), or
                one of the refusals above.
        """
        name = os.fspath(path)
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        body = text.removeprefix("\ufeff")
        if not edits:
            return text
        book = _Book(body, name)
        changes = [book.change(edit) for edit in _one_per_entry(edits, name)]
        new = body
        for start, end, replacement in sorted(changes, reverse=True):
            new = new[:start] + replacement + new[end:]
        try:
            edited = _Book(new, name)
        except RegistryError as exc:
            raise RegistryError(
                f"{name}: the new URLs would make the file unreadable ({exc}); make these "
                f"edits by hand: {_todo(edits)}",
                path=name,
            ) from exc
        edited.confirm(edits)
        return bom + new

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
    """A field's value with its ``@string`` macros and ``#`` concatenations resolved, its line,
    the value as written and the key of the entry that has the field (another, by crossref)."""

    text: str
    line: int | None
    raw: str = ""
    owner: str = ""


def _library(prepared: str, path: str) -> tuple[Library, tuple[str, ...]]:
    """The blocks of a text made ready by :func:`_prepared`, with their values as written (no
    middleware: :func:`_macros` and :func:`_evaluate` resolve them) and a note on repeated
    keys, or an error naming the first block bibtexparser could not read.

    What BibTeX and biber read, this reads too: a line whose first character (after blanks) is
    ``%`` is a comment, inside an entry as well, and so is a ``%`` after a field's closing
    ``},`` (example files of biblatex styles, which biber reads, use both). Of a field given
    twice in an entry the first counts, and of two entries (or ``@string`` macros) with one
    key the first counts, as in BibTeX (``Repeated entry``) and biber: a warning names each,
    and the note lists the entries left out.
    """
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    bib_log = logging.getLogger("bibtexparser")
    level = bib_log.level
    bib_log.setLevel(logging.CRITICAL)  # its failures are ours to report, once and located
    try:
        library = parse_string(prepared, parse_stack=[])
        _keep_first_fields(library, path)
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
    return library, _repeated_note(path, [r for r in repeated if r])


def _macros(library: Library) -> dict[str, str]:
    """The ``@string`` macros by lower-case name, their values resolved.

    Each is resolved against the macros defined before it (BibTeX's rule, and no cycle can
    form); a later definition of a name replaces an earlier one.
    """
    macros: dict[str, str] = {}
    for string in library.strings:
        macros[string.key.lower()] = _evaluate(str(string.value), macros)
    return macros


def _evaluate(raw: str, macros: Mapping[str, str]) -> str:
    """A value as written (``{…}``, ``"…"``, a number, a macro, or ``#`` joining them) as text.

    A macro that is not defined (``jan``) stands for its name; a value that is none of these
    stays as written, as bibtexparser's own middleware leaves it.
    """
    pieces = _pieces(raw)
    if pieces is None:
        return raw
    return "".join(p[1:-1] if p[0] in '{"' else macros.get(p.lower(), p) for p in pieces)


def _pieces(raw: str) -> list[str] | None:
    """The parts of a value joined by ``#``, each as written; ``None`` when it is not that."""
    pieces: list[str] = []
    at = _skip_space(raw, 0)
    while at < len(raw):
        end = _piece_end(raw, at)
        if end is None:
            return None
        pieces.append(raw[at:end])
        at = _skip_space(raw, end)
        if at == len(raw):
            return pieces
        if raw[at] != "#":
            return None
        at = _skip_space(raw, at + 1)
    return None  # empty, or ending in '#'


def _skip_space(raw: str, at: int) -> int:
    while at < len(raw) and raw[at].isspace():
        at += 1
    return at


def _piece_end(raw: str, at: int) -> int | None:
    """Where the ``{…}``, ``"…"`` or bare name that starts at ``at`` ends (just after it)."""
    if raw[at] == "{":
        depth = 0
        for mark in _BRACE_RE.finditer(raw, at):
            depth += 1 if mark.group() == "{" else -1
            if depth == 0:
                return mark.end()
        return None
    if raw[at] == '"':
        for mark in _QUOTE_RE.finditer(raw, at + 1):
            if not _braced_quote(raw, mark.start()):
                return mark.end()
        return None
    end = at
    while end < len(raw) and not raw[end].isspace() and raw[end] not in '#{}"':
        end += 1
    return end if end > at else None


def _braced_quote(raw: str, at: int) -> bool:
    """True when the ``"`` at ``at`` is written ``{"}``: a quote inside a quoted value."""
    return at > 0 and at + 2 < len(raw) and raw[at - 1] == "{" and raw[at + 1] == "}"


def _prepared(text: str) -> str:
    """``text`` as bibtexparser is given it, each offset where it was: ``%`` comments blanked
    (:func:`_blank`), and each ``"`` inside braces inside a ``"…"`` value masked (:data:`_MASK`,
    put back in :func:`_fields`).

    BibTeX reads ``note = "{a "b, c" d}"`` (braces protect the quotes: beebe's texbook2.bib has
    one); bibtexparser 2 ends the value at the inner ``"`` and fails on what follows.
    """
    text = _COMMENT_RE.sub(_blank, text)
    if '"' not in text:
        return text
    masked: list[int] = []
    for opener in _ENTRY_RE.finditer(text):
        if not _SKIPPED_RE.match(text, opener.start()):
            masked += _braced_quotes(
                text, opener.end(), "}" if text[opener.end() - 1] == "{" else ")"
            )
    if not masked:
        return text
    chars = list(text)
    for at in masked:
        chars[at] = _MASK
    return "".join(chars)


def _braced_quotes(text: str, at: int, close: str) -> list[int]:
    """Where the ``"`` inside braces of the ``"…"`` values of the entry whose body starts at
    ``at`` are."""
    found: list[int] = []
    depth = 0
    marks = _STRUCTURE_RE.finditer(text, at)
    for mark in marks:
        char = mark.group()
        if char == close and depth == 0:
            break
        if char == '"' and depth == 0:
            found += _quoted(marks)
        elif char == "{":
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
    return found


def _quoted(marks: Iterator[re.Match[str]]) -> list[int]:
    """The ``"`` inside braces of a ``"…"`` value, reading ``marks`` up to its closing ``"``."""
    found: list[int] = []
    depth = 0
    for mark in marks:
        char = mark.group()
        if char == '"' and depth == 0:
            break
        if char == '"':
            found.append(mark.start())
        elif char == "{":
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
    return found


def _blank(comment: re.Match[str]) -> str:
    """A comment line as blanks: lines, columns and offsets stay where they were."""
    return " " * len(comment.group(0))


def _keep_first_fields(library: Library, path: str) -> None:
    """Each entry with a field given twice back in ``library``, as it was (the first counts)."""
    from bibtexparser.model import DuplicateFieldKeyBlock, Entry

    for block in library.failed_blocks:
        if isinstance(block, DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            entry = block.ignore_error_block
            log.warning(
                "factlinks: %s: entry %r: field %s given more than once; the first counts",
                where(path, _line(entry)),
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


def _several(entry: Entry, fields: Mapping[str, _Value], path: str) -> list[str]:
    """``[entry key (line)]`` when the entry's ``url`` holds several URLs (warned), else ``[]``."""
    url = fields.get("url")
    urls = split_urls(url.text) if url is not None else []
    if len(urls) < 2:
        return []
    assert url is not None
    log.warning(
        "factlinks: %s: entry %r: field 'url' holds %d URLs; the first is checked, not %s",
        where(path, url.line),
        entry.key,
        len(urls),
        ", ".join(urls[1:]),
    )
    return [f"{entry.key} (line {url.line})"]


def _several_note(path: str, several: Sequence[str]) -> tuple[str, ...]:
    """The note on entries whose ``url`` holds several URLs, naming the first of them."""
    if not several:
        return ()
    named = "; ".join(several[:_LISTED])
    more = f"; and {len(several) - _LISTED} more" if len(several) > _LISTED else ""
    return (
        f"{path}: {len(several)} entries give several URLs in their url field; the first "
        f"of each is checked: {named}{more}.",
    )


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


def _fields(entry: Entry, macros: Mapping[str, str]) -> dict[str, _Value]:
    """The entry's fields by lower-case name (the first of a repeated name)."""
    fields: dict[str, _Value] = {}
    for field in entry.fields:
        line = None if field.start_line is None else field.start_line + 1
        raw = str(field.value)
        value = _Value(_evaluate(raw, macros).replace(_MASK, '"'), line, raw, entry.key)
        fields.setdefault(field.key.lower(), value)
    return fields


def _with_crossref(
    entry: Entry, by_key: Mapping[str, Entry], macros: Mapping[str, str]
) -> dict[str, _Value]:
    """The entry's fields and those it lacks from its ``crossref`` chain (cycles end)."""
    fields = _fields(entry, macros)
    seen = {entry.key.lower()}
    parent_key = fields.get("crossref")
    while parent_key is not None and parent_key.text.strip().lower() not in seen:
        parent = by_key.get(parent_key.text.strip().lower())
        if parent is None:
            break
        seen.add(parent.key.lower())
        inherited = _fields(parent, macros)
        for key, value in inherited.items():
            if key not in _NOT_INHERITED:
                fields.setdefault(key, value)
        parent_key = inherited.get("crossref")
    return fields


def _url(fields: Mapping[str, _Value]) -> tuple[str, _Value] | None:
    """The entry's URL field and value: ``url``, else a ``\\url{…}`` in howpublished or note,
    else the URL of its ``eprint`` (``"eprint"``)."""
    url = fields.get("url")
    if url is not None and url.text.strip():
        return "url", _Value(split_urls(url.text)[0], url.line)
    for key in _URL_FIELDS:
        value = fields.get(key)
        found = _in_text(value.text) if value is not None else None
        if found and value is not None:
            return key, _Value(found, value.line)
    return _eprint(fields)


def _in_text(text: str) -> str | None:
    """The first URL of a ``howpublished`` or ``note``: in a ``\\url{…}`` (or ``\\href``),
    else written as text (sentence punctuation after it dropped)."""
    macro = _URL_MACRO_RE.search(text)
    if macro is not None:
        return macro.group(1)
    bare = _BARE_URL_RE.search(text)
    return bare.group().rstrip(_URL_END) if bare is not None else None


def split_urls(text: str) -> list[str]:
    """The URLs of a field that holds several, as Nelson Beebe's bibliographies write them
    (``"https://a;\\n    https://b"``: white space between, a ``;`` or ``,`` after each),
    when every piece is an http(s) URL; else ``[text]`` (white space around it dropped).

    Example::

        split_urls("https://a.example/;\\n  https://b.example/x.pdf")
        # ['https://a.example/', 'https://b.example/x.pdf']
    """
    pieces = [piece.rstrip(";,") for piece in text.split()]
    urls = [piece for piece in pieces if piece]
    if len(urls) > 1 and all(url_problem(url) is None for url in urls):
        return urls
    return [text.strip()]


def _eprint(fields: Mapping[str, _Value]) -> tuple[str, _Value] | None:
    """The URL of an ``eprint`` whose ``eprinttype`` (or ``archiveprefix``) is one biblatex
    links (arXiv, JSTOR, PubMed, Handle, Google Books), as ``("eprint", value)``."""
    eprint = fields.get("eprint")
    kind = fields.get("eprinttype") or fields.get("archiveprefix")
    if eprint is None or kind is None:
        return None
    pattern = _EPRINT_URLS.get(latex_to_text(kind.text).strip().lower())
    identifier = latex_to_text(eprint.text).strip()
    if pattern is None or not identifier or any(c.isspace() for c in identifier):
        return None
    return "eprint", _Value(pattern.format(quote(identifier, safe=_EPRINT_SAFE)), eprint.line)


def _table(
    entry: Entry, fields: Mapping[str, _Value], source_id: str, cited_in: list[str], path: str
) -> dict[str, object] | Unchecked:
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
            return Unchecked(url.line, f"field {key!r}: the URL {why}: {url.text!r}")
        else:
            log.warning(
                "factlinks: %s: entry %r: field %r: the URL %s: %r; checked by its DOI only",
                where(path, url.line),
                entry.key,
                key,
                why,
                url.text,
            )
    if doi is not None:
        table["doi"] = doi
    if "url" not in table and doi is None:
        return Unchecked(None, "no URL and no DOI")
    return table | _described(entry, fields, cited_in, path)


def _described(
    entry: Entry, fields: Mapping[str, _Value], cited_in: list[str], path: str
) -> dict[str, object]:
    """What an entry says of its work besides where it is: title, authors, year, access date."""
    table: dict[str, object] = {}
    title = _title(fields)
    if title:
        table["title"] = title
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


def _title(fields: Mapping[str, _Value]) -> str:
    """``title`` as text, and biblatex's ``subtitle`` after it as reference managers and
    CSL-JSON join them (``Title: Subtitle``; no colon after a title that ends in ``?!.:``)."""
    title = latex_to_text(fields["title"].text) if "title" in fields else ""
    subtitle = latex_to_text(fields["subtitle"].text) if "subtitle" in fields else ""
    if not title or not subtitle:
        return title
    return f"{title} {subtitle}" if title[-1] in "?!.:" else f"{title}: {subtitle}"


def _doi(entry: Entry, value: _Value | None, path: str) -> str | None:
    """The entry's ``doi`` field as a DOI; one that is not a DOI is left out, with a warning."""
    if value is None or not value.text.strip():
        return None
    doi = _doi_of(value.text)
    if doi is None:
        log.warning(
            "factlinks: %s: entry %r: field 'doi' is not a DOI (10.NNNN/…): %r; left out",
            where(path, value.line),
            entry.key,
            value.text,
        )
    return doi


def _doi_of(text: str) -> str | None:
    """A ``doi`` field's text as a bare DOI (``\\_`` and braces dropped), or ``None``."""
    if not text.strip():
        return None
    return parse_doi(text.replace("\\_", "_").replace("{", "").replace("}", ""))


def _names(value: _Value | None) -> list[str]:
    """BibTeX names (``A and B and others``) as ``Family, Given``, LaTeX turned into text."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

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
            where(path, urldate.line),
            entry.key,
            urldate.text,
        )
        return None


def latex_to_text(value: str) -> str:
    """BibTeX ``value`` as plain text: accents and escapes decoded, braces gone, math kept.

    Example::

        latex_to_text(r"Stra{\\ss}e -- {\\\"U}ber \\& $x^2$")  # 'Straße \u2013 Über & $x^2$'
    """
    value = _TEXT_MACRO_RE.sub(lambda found: _TEXT_MACROS[found.group(1)], value)
    try:
        text = _decoder().latex_to_text(value)
    except Exception:  # pylatexenc is tolerant already; a title is never worth a crash
        text = value.replace("{", "").replace("}", "")
    return _SPACE_RE.sub(" ", text).strip()


# -- editing ----------------------------------------------------------------------------------


class _Span(NamedTuple):
    """Where one field of an entry is, as offsets into the entry's text."""

    key: str
    key_start: int
    equals: int
    start: int
    """Where the value starts (white space around it excluded)."""
    end: int
    """Where the value ends."""
    after: int
    """The ``,`` or closing delimiter after the value."""


def _todo(edits: Sequence[Edit]) -> str:
    return "; ".join(f"{e.source_id}: {e.key} = {e.value!r}" for e in edits)


def _one_per_entry(edits: Sequence[Edit], path: str) -> Sequence[Edit]:
    """``edits``, once each is known to be a ``url`` edit and the only one of its entry."""
    seen: set[str] = set()
    for edit in edits:
        if edit.key != "url":
            raise RegistryError(
                f"{path}: entry {edit.source_id!r}: a BibTeX entry has no place for "
                f"{edit.key!r}; add it by hand where you keep such notes ({edit.key} = "
                f"{edit.value!r})",
                path=path,
                source_id=edit.source_id,
                key=edit.key,
            )
        if edit.value is None:
            raise RegistryError(
                f"{path}: entry {edit.source_id!r}: factlinks does not remove a URL from a "
                "BibTeX entry; remove it by hand",
                path=path,
                source_id=edit.source_id,
                key="url",
            )
        if edit.source_id in seen:
            raise RegistryError(
                f"{path}: entry {edit.source_id!r}: two edits of its url in one go",
                path=path,
                source_id=edit.source_id,
                key="url",
            )
        seen.add(edit.source_id)
    return edits


class _Book:
    """A ``.bib`` text parsed for editing: its entries by id, and where each starts."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.blanked = _prepared(text)
        """The text as parsed (:func:`_prepared`), every offset the same."""
        self.path = path
        library, _ = _library(self.blanked, path)
        entries = library.entries
        self.macros = _macros(library)
        self.by_id = dict(zip(unique_ids([e.key for e in entries]), entries, strict=True))
        self.by_key = {entry.key.lower(): entry for entry in entries}
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def fail(self, entry: Entry, line: int | None, message: str) -> RegistryError:
        at = where(self.path, line or _line(entry))
        return RegistryError(
            f"{at}: entry {entry.key!r}: {message}",
            path=self.path,
            source_id=entry.key,
            key="url",
        )

    def entry(self, source_id: str) -> tuple[Entry, dict[str, _Value]]:
        entry = self.by_id.get(source_id)
        if entry is None:
            raise RegistryError(
                f"{self.path}: no entry with id {source_id!r}", path=self.path, source_id=source_id
            )
        return entry, _with_crossref(entry, self.by_key, self.macros)

    def change(self, edit: Edit) -> tuple[int, int, str]:
        """The span of the text to replace, and its replacement, that makes ``edit``."""
        entry, fields = self.entry(edit.source_id)
        found = _url(fields)
        self._check_old(entry, fields, found, edit)
        assert edit.value is not None  # _one_per_entry
        new = edit.value
        if not _balanced(new):
            raise self.fail(entry, None, f"the new URL has unbalanced braces: {new!r}")
        base, raw, spans = self._spans(entry)
        own: dict[str, _Span] = {}
        for span in spans:
            own.setdefault(span.key.lower(), span)
        kind = found[0] if found is not None else None
        if kind == "url" or (kind in (None, "eprint") and "url" in own):
            return self._replace_url(entry, fields.get("url"), own.get("url"), base, new)
        if found is not None and kind in _URL_FIELDS:
            return self._replace_in_text(
                entry, found[0], fields[found[0]], found[1].text, own, base, new
            )
        return _added_url(raw, spans, base, new)  # checked by its DOI or its eprint

    def _check_old(
        self,
        entry: Entry,
        fields: Mapping[str, _Value],
        found: tuple[str, _Value] | None,
        edit: Edit,
    ) -> None:
        """Refuse ``edit`` unless the entry's URL (what :meth:`parse` gives) is its ``old``."""
        doi_field = fields.get("doi")
        doi = _doi_of(doi_field.text) if doi_field is not None else None
        current: str | None = None
        if found is not None and url_problem(found[1].text) is None:
            current = found[1].text
        elif doi is not None:
            current = doi_url(doi)
        if current is None:
            raise RegistryError(
                f"{self.path}: entry {entry.key!r} (id {edit.source_id!r}) has no URL and no "
                "DOI: it is not a source",
                path=self.path,
                source_id=edit.source_id,
                key="url",
            )
        if edit.old == current or (edit.old is None and found is None):
            return
        line = found[1].line if found is not None else None
        raise self.fail(
            entry,
            line,
            f"'url' is {current!r}, not {edit.old!r} as planned; the file changed since the "
            "plan was made",
        )

    def _spans(self, entry: Entry) -> tuple[int, str, list[_Span]]:
        """Where the entry starts in the text, its text, and where its fields are in that.

        The fields found must be bibtexparser's, key for key and value for value.
        """
        raw = entry.raw or ""
        start = self.line_starts[entry.start_line] if entry.start_line is not None else 0
        base = self.blanked.find(raw, start) if raw else -1
        spans = _field_spans(raw)
        written = [(field.key, str(field.value)) for field in entry.fields]
        found = [(s.key, raw[s.start : s.end]) for s in spans or ()]
        if base < 0 or spans is None or found != written:
            raise self.fail(entry, None, "cannot find its fields in the text; edit it by hand")
        return base, raw, spans

    def _replace_url(
        self, entry: Entry, value: _Value | None, span: _Span | None, base: int, new: str
    ) -> tuple[int, int, str]:
        """The ``url`` field's value replaced: it must be the entry's own and written as one
        ``{…}`` or ``"…"``."""
        if value is not None and value.owner != entry.key:
            raise self.fail(
                entry,
                None,
                f"its url is inherited by crossref from entry {value.owner!r} (line "
                f"{value.line}); change that "
                f"entry's url (the url of every entry that crossrefs it) or give this entry "
                f"its own: url = {{{new}}}",
            )
        assert span is not None
        assert value is not None
        raw = value.raw
        pieces = _pieces(raw)
        if pieces is None or len(pieces) != 1 or pieces[0][0] not in '{"':
            how = (
                f"the @string macro {raw.strip()!r}"
                if pieces is not None and len(pieces) == 1
                else f"a # concatenation ({raw.strip()})"
            )
            raise self.fail(
                entry,
                value.line,
                f"its url is given by {how}; change it by hand to give url = {{{new}}}",
            )
        self._check_quote(entry, value, new)
        inner = raw[1:-1]
        urls = split_urls(inner)
        if len(urls) > 1:  # only the first of several, which is the one checked
            start = base + span.start + 1 + len(inner) - len(inner.lstrip())
            return start, start + len(urls[0]), new
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        return base + span.start, base + span.end, f"{raw[0]}{lead}{new}{trail}{raw[-1]}"

    def _replace_in_text(
        self,
        entry: Entry,
        key: str,
        value: _Value,
        url: str,
        own: Mapping[str, _Span],
        base: int,
        new: str,
    ) -> tuple[int, int, str]:
        """The URL in the ``\\url{…}`` (or the text) of ``howpublished`` or ``note`` replaced."""
        span = own.get(key)
        if value.owner != entry.key or span is None:
            raise self.fail(
                entry,
                None,
                f"its URL is in the {key!r} of entry {value.owner!r} (line {value.line}), "
                "inherited by crossref; "
                f"change it there, or give this entry its own: url = {{{new}}}",
            )
        self._check_quote(entry, value, new)
        at = value.raw.find(url) if _in_text(value.raw) == url else -1
        if at < 0:
            raise self.fail(
                entry,
                value.line,
                f"the URL in its {key!r} comes from a @string macro; change it by hand to {new}",
            )
        start = base + span.start + at
        return start, start + len(url), new

    def _check_quote(self, entry: Entry, value: _Value, new: str) -> None:
        """Refuse a URL with a ``"`` for a value written ``"…"``: it would end the value."""
        if value.raw.startswith('"') and '"' in new:
            raise self.fail(
                entry, value.line, f'the new URL has a \'"\', which ends a "…" value: {new!r}'
            )

    def confirm(self, edits: Sequence[Edit]) -> None:
        """Refuse the edited text unless each edited entry's URL reads back as written."""
        for edit in edits:
            entry, fields = self.entry(edit.source_id)
            found = _url(fields)
            if found is None or found[1].text != edit.value:
                read = found[1].text if found is not None else None
                raise self.fail(
                    entry,
                    None,
                    f"the new URL {edit.value!r} would read back as {read!r}; change it by hand",
                )


def _field_spans(raw: str) -> list[_Span] | None:
    """The fields of an entry's text, found as bibtexparser's splitter finds them; ``None``
    when the text is not one entry."""
    opener = _OPENER_RE.match(raw)
    if opener is None:
        return None
    close = "}" if opener.group(1) == "{" else ")"
    marks = _MARKS_RE if close == "}" else _PAREN_MARKS_RE
    key_end = marks.search(raw, opener.end())
    if key_end is None or key_end.group() not in (",", close):
        return None
    spans: list[_Span] = []
    at = key_end.end()
    while key_end.group() == ",":
        equals = marks.search(raw, at)
        if equals is None or equals.group() == close:
            return spans
        if equals.group() != "=":
            return None
        after = _value_end(raw, equals.end(), close)
        if after is None:
            return None
        segment = raw[equals.end() : after]
        start = equals.end() + len(segment) - len(segment.lstrip())
        key_start = at + len(raw[at : equals.start()]) - len(raw[at : equals.start()].lstrip())
        key = raw[key_start : equals.start()].strip()
        spans.append(
            _Span(key, key_start, equals.start(), start, start + len(segment.strip()), after)
        )
        at = after + 1
        if raw[after] != ",":
            return spans
    return spans


def _value_end(raw: str, at: int, close: str) -> int | None:
    """The ``,`` or closing delimiter that ends the value starting at ``at``."""
    depth = 0
    quoted = False
    for mark in _VALUE_MARKS_RE.finditer(raw, at):
        char, where = mark.group(), mark.start()
        if char == '"' and depth == 0:
            if not (quoted and _braced_quote(raw, where)):
                quoted = not quoted
        elif char == "{" and not quoted:
            depth += 1
        elif char == "}" and not quoted and depth > 0:
            depth -= 1
        elif char in (",", close) and not quoted and depth == 0:
            return where
    return None


def _added_url(raw: str, spans: Sequence[_Span], base: int, new: str) -> tuple[int, int, str]:
    """A ``url`` field after the entry's last field, laid out like that one."""
    last = spans[-1]
    written = raw[last.start : last.end]
    value = f'"{new}"' if written.startswith('"') and '"' not in new else f"{{{new}}}"
    head = raw[last.key_start : last.equals]
    key = "url".ljust(len(head)) if len(head) > len("url") else "url"
    field = f"{key}={raw[last.equals + 1 : last.start]}{value}"
    line_start = raw.rfind("\n", 0, last.key_start) + 1
    if line_start == 0:  # the entry is on one line: the field goes on it
        return base + last.end, base + last.end, f", {field}"
    line = raw[line_start : last.key_start]
    indent = line[: len(line) - len(line.lstrip())]
    newline = "\r\n" if raw[line_start - 2 : line_start] == "\r\n" else "\n"
    if raw[last.after] == ",":
        return base + last.after + 1, base + last.after + 1, f"{newline}{indent}{field},"
    return base + last.end, base + last.end, f",{newline}{indent}{field}"


def _balanced(url: str) -> bool:
    """True when the braces of ``url`` pair up, as a ``{…}`` value needs."""
    depth = 0
    for mark in _BRACE_RE.finditer(url):
        depth += 1 if mark.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0
