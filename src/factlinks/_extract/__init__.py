"""Find the URLs a document cites: PDF (link annotations and text), HTML, Markdown, text.

One reader per document type (:mod:`.pdf`, :mod:`.html`, :mod:`.text`), chosen from
:data:`READERS` by :func:`document_type`; the URL-in-text logic they share is in :mod:`.urls`.
Every URL is reported once.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._errors import DocumentError
from .._models import DocFormat
from .html import read_html
from .interface import CitedUrl, Reader
from .pdf import read_pdf
from .registry import RegistryDiff, add_to_registry, compare_with_registry
from .text import read_text
from .urls import unique, urls_in_text

__all__ = [
    "READERS",
    "CitedUrl",
    "Reader",
    "RegistryDiff",
    "add_to_registry",
    "compare_with_registry",
    "document_type",
    "extract_urls",
    "urls_in_text",
]

READERS: dict[DocFormat, Reader] = {
    DocFormat.PDF: read_pdf,
    DocFormat.HTML: read_html,
    DocFormat.TEXT: read_text,
}
"""The reader of each document type; :func:`document_type` says which one a file is."""

_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def document_type(data: bytes, name: str) -> DocFormat:
    """The type of a document: PDF from its bytes (``%PDF-``) or name, HTML by name, else text.

    Markdown is text: its links are URLs in text.
    """
    suffix = Path(name).suffix.lower()
    if data[:1024].lstrip().startswith(b"%PDF-") or suffix == ".pdf":
        return DocFormat.PDF
    if suffix in _HTML_SUFFIXES:
        return DocFormat.HTML
    return DocFormat.TEXT


def extract_urls(path: str | os.PathLike[str]) -> list[CitedUrl]:
    """The URLs cited in one document, in order, each once.

    The type comes from the bytes (``%PDF``) and then the extension: ``.html``/``.htm``
    (links), anything else as text (Markdown included: its links are URLs in text).

    Example::

        for cited in factlinks.extract_urls("factsheet-ki.txt"):
            print(cited.url)

    Raises:
        DocumentError: the file cannot be read or parsed.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    read = READERS[document_type(data, file.name)]
    return unique(read(data, file.stem))
