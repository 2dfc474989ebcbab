"""Find the URLs a document cites: PDF (link annotations and text), HTML, Markdown, text.

One reader per document type (:mod:`.pdf`, :mod:`.html`, :mod:`.markdown`, :mod:`.text`),
chosen from :data:`READERS` by :func:`document_type`; the URL-in-text logic they share is in
:mod:`.urls`. Every URL is reported once. PDF, HTML and Markdown, read by third-party parsers,
are read in a parse worker under the time and memory limits ``check`` parses with
(:mod:`.isolate`); text is read here, up to :data:`MAX_TEXT_BYTES`.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from .._errors import DocumentError
from .._models import DocFormat
from .._options import DEFAULT_PARSE_MEMORY, DEFAULT_PARSE_TIMEOUT
from .interface import CitedUrl, LazyReader, Reader
from .isolate import ReadRequest, read_isolated
from .registry import RegistryDiff, add_to_registry, compare_with_registry
from .scaffold import Reading, cited_sources, read_documents, registry_text, sources_from_documents
from .text import read_text
from .urls import unique, urls_in_text

__all__ = [
    "CODE_READERS",
    "ISOLATED",
    "MAX_TEXT_BYTES",
    "READERS",
    "CitedUrl",
    "Reader",
    "Reading",
    "RegistryDiff",
    "add_to_registry",
    "cited_sources",
    "compare_with_registry",
    "document_type",
    "extract_urls",
    "read_documents",
    "registry_text",
    "sources_from_documents",
    "urls_in_text",
]

READERS: dict[DocFormat, Reader] = {
    DocFormat.PDF: LazyReader(".pdf", "read_pdf"),
    DocFormat.HTML: LazyReader(".html", "read_html"),
    DocFormat.MARKDOWN: LazyReader(".markdown", "read_markdown"),
    DocFormat.TEXT: read_text,
}
"""The reader of each document type; :func:`document_type` says which one a file is. The
parsers' modules are imported by the first document of their type (:class:`LazyReader`)."""
CODE_READERS: dict[DocFormat, Reader] = {
    DocFormat.MARKDOWN: LazyReader(".markdown", "read_markdown_with_code")
}
"""For the types that mark code as code: the reader that reads it too (``include_code``)."""

ISOLATED = frozenset({DocFormat.PDF, DocFormat.HTML, DocFormat.MARKDOWN})
"""The document types read in a parse worker, with time and memory limits."""
MAX_TEXT_BYTES = 64 * 1024**2
"""A document read in this process (text) larger than this (64 MiB) is refused."""

_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
_HEAD_BYTES = 1024


def document_type(data: bytes, name: str) -> DocFormat:
    """The type of a document: PDF from its bytes (``%PDF-``) or name, HTML and Markdown by
    name, else text."""
    suffix = Path(name).suffix.lower()
    if data[:1024].lstrip().startswith(b"%PDF-") or suffix == ".pdf":
        return DocFormat.PDF
    if suffix in _HTML_SUFFIXES:
        return DocFormat.HTML
    if suffix in _MARKDOWN_SUFFIXES:
        return DocFormat.MARKDOWN
    return DocFormat.TEXT


def extract_urls(
    path: str | os.PathLike[str],
    *,
    parse_timeout: float = DEFAULT_PARSE_TIMEOUT,
    parse_memory: int = DEFAULT_PARSE_MEMORY,
    include_code: bool = False,
) -> list[CitedUrl]:
    """The URLs cited in one document, in order, each once.

    The type comes from the bytes (``%PDF``) and then the extension: ``.html``/``.htm``
    (links), ``.md``/``.markdown``/``.mdown``/``.mkd`` (Markdown: links, autolinks, reference
    definitions and bare URLs; see :mod:`.markdown`), anything else as text. PDF, HTML and
    Markdown are parsed in a worker process, as ``check`` parses, with at most
    ``parse_timeout`` seconds and ``parse_memory`` bytes of resident memory (0: no memory
    limit). URLs in Markdown code spans and code blocks are left out unless ``include_code``.

    Example::

        for cited in factlinks.extract_urls("factsheet-ki.txt"):
            print(cited.url)

    Raises:
        DocumentError: the file cannot be read or parsed, or parsing it went over a limit;
            the message names the file.
    """
    file = Path(path)
    head = _read(file, _HEAD_BYTES)
    fmt = document_type(head, file.name)
    read = CODE_READERS.get(fmt, READERS[fmt]) if include_code else READERS[fmt]
    if fmt in ISOLATED and _sendable(read):
        request = ReadRequest(str(file), read, file.stem)
        return unique(read_isolated(request, timeout=parse_timeout, memory=parse_memory))
    data = _read(file, MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise DocumentError(f"{file}: too large (over {MAX_TEXT_BYTES // 1024**2} MiB of text)")
    try:
        return unique(read(data, file.stem))
    except DocumentError as exc:
        raise DocumentError(f"{file}: {exc}") from exc


def _read(file: Path, limit: int) -> bytes:
    """At most ``limit`` bytes from the start of ``file``."""
    try:
        with file.open("rb") as stream:
            return stream.read(limit)
    except OSError as exc:
        raise DocumentError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # a NUL in the name
        raise DocumentError(f"{str(file)!r}: cannot read: {exc}") from exc


def _sendable(reader: Reader) -> bool:
    """True when ``reader`` can go to a worker process (a module-level function)."""
    try:
        pickle.dumps(reader)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True
