"""From documents to a registry: the one ``check DOC`` builds in memory, and ``init`` writes.

:func:`read_documents` reads what :func:`~.documents.find_documents` finds; :func:`cited_sources`
makes one :class:`Source` per cited URL (through :func:`~.registry.new_sources`, as
``extract --write`` does), with every document that cites it in ``cited_in``;
:func:`sources_from_documents` is both as a :class:`Registry`; :func:`registry_text` is the
commented ``sources.toml`` that ``factlinks init`` writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import tomlkit

from .._errors import DocumentError
from .._models import DEFAULT_FAIL_ON, Source, Status
from .._options import CheckOptions
from .._registry import Registry, TomlFormat
from .._registry.validate import SETTINGS_KEYS
from .._version import __version__
from .documents import STDIN, OnError, find_documents, is_stream, read_stdin, stdin_document
from .interface import CitedUrl
from .registry import new_sources
from .urls import unique

__all__ = [
    "Reading",
    "cited_sources",
    "read_documents",
    "registry_text",
    "sources_from_documents",
]

DEFAULT_STDIN_NAME = "stdin"
"""What ``cited_in`` calls standard input unless it is given a name."""


def _raise(error: DocumentError) -> None:
    raise error


@dataclasses.dataclass(frozen=True, slots=True)
class Reading:
    """What :func:`read_documents` found."""

    cited: tuple[CitedUrl, ...]
    """The URLs, in order of the documents and of their appearance; repeats kept."""
    documents: tuple[str, ...]
    """The names of the documents read (what ``cited_in`` holds), those without URLs too."""


def read_documents(
    paths: Sequence[str | os.PathLike[str]],
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    include_code: bool = False,
    stdin: BinaryIO | None = None,
    stdin_name: str = DEFAULT_STDIN_NAME,
    on_error: OnError | None = None,
    skip_folders: Sequence[str | os.PathLike[str]] = (),
) -> Reading:
    """The URLs cited in the documents ``paths`` name (files, folders, ``-``), in order.

    Each document is read by :func:`factlinks.extract_urls`; ``-`` reads ``stdin`` as the
    document ``stdin_name``. The parameters are those of :func:`sources_from_documents`;
    folders of ``skip_folders`` are not walked into (:func:`~.documents.find_documents`).

    Raises:
        DocumentError: a document cannot be found or read (without ``on_error``).
    """
    from . import extract_urls  # the package imports this module

    report = on_error or _raise
    found = find_documents(
        paths, include=include, exclude=exclude, on_error=report, skip_folders=skip_folders
    )
    cited: list[CitedUrl] = []
    names: list[str] = []

    def extract(file: Path) -> list[CitedUrl]:
        return extract_urls(file, include_code=include_code)

    for file in found.files:
        try:
            if is_stream(file):  # bytes that can be read once: as standard input is read
                with file.open("rb") as stream:
                    urls = read_stdin(stream, file.name, extract, label=str(file))
            else:
                urls = extract(file)
        except DocumentError as exc:
            report(exc)
        else:
            name = _document_name(file)
            cited.extend(dataclasses.replace(url, document=name) for url in urls)
            names.append(name)
    if found.stdin:
        try:
            if stdin is None:
                raise DocumentError(f"{STDIN}: no standard input to read here")
            cited.extend(read_stdin(stdin, stdin_name, extract))
        except DocumentError as exc:
            report(exc)
        else:
            names.append(stdin_document(stdin_name))
    return Reading(tuple(cited), tuple(dict.fromkeys(names)))


def _document_name(file: Path) -> str:
    """The ``cited_in`` name of ``file``: its stem, with the bytes of a name that is not UTF-8
    (surrogates in Python) as U+FFFD, so the registry can be written as UTF-8."""
    return _utf8(file.stem)


def cited_sources(
    cited: Sequence[CitedUrl], *, today: dt.date, by: str = "init"
) -> tuple[list[Source], dict[str, str]]:
    """One source per URL of ``cited``, ``cited_in`` every document that cites it, and the
    note on each (where it was found; ``by`` names the command in it)."""
    by_url: dict[str, list[str]] = {}
    for item in cited:
        documents = by_url.setdefault(item.url, [])
        if item.document not in documents:
            documents.append(item.document)
    sources, notes = new_sources(unique(cited), (), today=today)
    result = []
    for source in sources:
        documents = by_url.get(source.url, list(source.cited_in))
        note = notes.get(source.id, "").replace(
            "Added by factlinks extract from", f"Found by factlinks {by} in", 1
        )
        if len(documents) > 1:
            source = dataclasses.replace(source, cited_in=tuple(documents))
            note += f"\nAlso cited in {', '.join(documents[1:])}."
        notes[source.id] = note
        result.append(source)
    return result, notes


def sources_from_documents(
    paths: Sequence[str | os.PathLike[str]],
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    include_code: bool = False,
    stdin: BinaryIO | None = None,
    stdin_name: str = DEFAULT_STDIN_NAME,
    on_error: OnError | None = None,
    today: dt.date | None = None,
) -> Registry:
    """A registry, in memory, of the URLs the documents cite: what ``factlinks check DOC``
    checks, with no ``sources.toml`` written.

    Each cited URL becomes one source, made as ``extract --write`` makes it (generated id,
    ``kind = "pdf"`` for a PDF URL), with every document that cites it in ``cited_in``. The
    registry has no ``[settings]`` and no :attr:`~Registry.path` (there is no file to write
    back to), so a report of it names no registry.

    Example::

        registry = factlinks.sources_from_documents(["report.pdf", "docs/"])
        report = factlinks.check(registry)

    Parameters:
        paths: files (read whatever their name), folders (walked recursively for the files
            that match ``include``), and ``-`` for ``stdin``.
        include: globs a file below a folder must match (default: the suffixes ``extract``
            reads: ``*.pdf``, ``*.html``, ``*.htm``, ``*.xhtml``, ``*.md``, ``*.markdown``,
            ``*.mdown``, ``*.mkd``, ``*.txt``, ``*.text``); case does not matter; a glob with
            ``/`` is matched against the path below the folder (``**`` spans folders).
        exclude: globs for files and folders to leave out.
        include_code: also the URLs in Markdown code spans and blocks.
        stdin: the stream ``-`` reads (e.g. ``sys.stdin.buffer``); its type is told by its
            bytes. Without it, ``-`` is an error.
        stdin_name: the name of the document on ``stdin`` (its ``cited_in``; a suffix such as
            ``.md`` also tells its type).
        on_error: called with each document that cannot be found or read; the others are
            read. Without it the first such error is raised.
        today: the date in the notes (default: today).

    Raises:
        DocumentError: a document cannot be found or read, or a folder holds none (without
            ``on_error``); the message names it.
    """
    reading = read_documents(
        paths,
        include=include,
        exclude=exclude,
        include_code=include_code,
        stdin=stdin,
        stdin_name=stdin_name,
        on_error=on_error,
    )
    sources, _ = cited_sources(reading.cited, today=today or dt.date.today(), by="check")
    return Registry(tuple(sources))


# -- the commented sources.toml of ``factlinks init`` -----------------------------------------

_SETTING_NOTES = {
    "concurrency": "requests in flight overall",
    "per_host": "requests in flight per host",
    "timeout": "seconds for one whole request, body included",
    "max_bytes": "larger bodies are cut off; the source is then 'unverifiable'",
    "max_redirects": "redirects followed at most",
    "max_pages": "PDF pages searched for the title",
    "fail_on": "statuses that fail the run (exit 1)",
    "canary_url": "no default: a page that is always up (README: Offline)",
    "allow_private": "follow redirects from public into private networks",
    "contact": "no default: your e-mail, sent as mailto: (README: DOIs)",
    "doi_resolver": "where DOIs are looked up (README: DOIs)",
    "recheck_after_days": "an ok source is checked again after this many days (0: every run)",
    "exclude": "regular expressions: matching URLs are 'skipped' (docs/hosts.md)",
}
_EXAMPLES = {"canary_url": "https://www.example.org/", "contact": "you@example.org"}
"""What a setting without a default is shown with."""


def _toml_value(value: object, key: str = "canary_url") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return f"{value:_}" if value >= 10_000 else str(value)
    if isinstance(value, tuple):  # exclude: patterns
        return (
            "[" + ", ".join(tomlkit.string(str(v), literal=True).as_string() for v in value) + "]"
        )
    if isinstance(value, frozenset):
        names = sorted(status.value for status in value if isinstance(status, Status))
        return "[" + ", ".join(f'"{name}"' for name in names) + "]"
    text = _EXAMPLES[key] if value is None else str(value)
    return tomlkit.string(text).as_string()


def settings_block() -> str:
    """``[settings]`` with every key at its default, commented out, each with what it does."""
    defaults = CheckOptions()
    width = max(map(len, SETTINGS_KEYS))
    entries = [
        (key, _toml_value(DEFAULT_FAIL_ON if key == "fail_on" else getattr(defaults, key), key))
        for key in SETTINGS_KEYS
    ]
    column = max(len(value) for key, value in entries if key != "user_agent") + width + 5
    lines = ["# [settings]  # all optional, shown at their defaults; command-line flags override"]
    for key, value in entries:
        line = f"# {key.ljust(width)} = {value}"
        note = _SETTING_NOTES.get(key)
        lines.append(f"{line.ljust(column)}  # {note}" if note else line)
    return "\n".join(lines) + "\n"


def _named(documents: Sequence[str]) -> str:
    shown = ", ".join(documents[:4])
    return f"{shown} and {len(documents) - 4} more" if len(documents) > 4 else shown


def _header(documents: Sequence[str], today: dt.date, count: int, unread: int, output: str) -> str:
    output = shlex.quote(output)
    check = "factlinks check" + ("" if output == "sources.toml" else f" {output}")
    reads = "it reads ./sources.toml; " if output == "sources.toml" else ""
    lines = [
        f"The sources cited in {_named(documents) or 'no documents'}:",
        f"{count} URL(s), found by factlinks init {__version__} on {today}.",
    ]
    if unread:
        lines.append(f"{unread} document(s) could not be read (see the messages of init).")
    lines += [
        "",
        "Next:",
        "1. Read each [[source]] below. Delete what is not a citation (navigation, examples).",
        "   `citation` and `proposed_title` come from the text each link is set on; give the",
        "   others a `title` (the title the cited document shows: factlinks then checks that",
        "   it is still there, not only that the URL answers).",
        f"2. Run `{check}` ({reads}-h for its options) and read",
        "   factlinks-report/report.md. It settles each `proposed_title`: one the cited",
        "   document shows becomes its `title`; one it does not show is dropped (the text",
        "   stays as `citation`).",
        f"3. When the documents cite more, `factlinks extract DOC --sources {output}",
        "   --write` adds the new URLs; `factlinks fix` follows moved ones.",
        "Every key is described in the README, section 'The registry: sources.toml'.",
    ]
    return "\n".join(f"# {line}".rstrip() for line in lines) + "\n"


def registry_text(
    sources: Sequence[Source],
    notes: dict[str, str],
    documents: Sequence[str],
    *,
    today: dt.date,
    unread: int = 0,
    output: str = "sources.toml",
) -> str:
    """The ``sources.toml`` that ``factlinks init`` writes: a header saying how it was made
    and what to do next, ``[settings]`` commented out at the defaults, then a ``[[source]]``
    per source under its note; ``output`` is the file's name as the next commands take it.
    File names that are not UTF-8 (surrogates in Python) have
    U+FFFD for their bytes, so the text can be written as UTF-8."""
    head = _utf8(_header(documents, today, len(sources), unread, output)) + "\n" + settings_block()
    if not sources:
        return head + "\n# No URLs were found in these documents.\n"
    return _utf8(TomlFormat().append(head, sources, notes=notes))


def _utf8(text: str) -> str:
    """``text`` with the surrogates of undecodable file-name bytes as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
