"""The extract seam: a *reader* finds the URLs one type of document cites.

A reader is a function ``(data, document) -> list[CitedUrl]``: the document's bytes and its name
(what ``cited_in`` holds) in, the URLs in order of appearance out, duplicates allowed. It raises
:class:`~factlinks.DocumentError` when the document cannot be read. A new document type is one
module with a reader, registered with one line in ``factlinks._extract.READERS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from .._errors import DocumentError

__all__ = ["CitedUrl", "DocumentError", "LazyReader", "Reader", "parser_failure"]


@dataclass(frozen=True, slots=True)
class CitedUrl:
    """A URL found in a document."""

    url: str
    """The URL, trailing punctuation and unbalanced closing brackets stripped."""
    document: str
    """The document's name: its file name without extension (what ``cited_in`` holds)."""
    where: str
    """``line 12``, ``page 3``, ``page 3 link``, ``<a href>``."""
    text: str = ""
    """The text the URL is cited with, as the document shows it: a link's text (an HTML
    ``<a>``'s, a Markdown link's, the text under a PDF link annotation), or for a bare URL the
    reference entry it stands in (the lines of its list item or paragraph); white space
    collapsed. Empty when the document gives none."""


class Reader(Protocol):
    """Finds the URLs cited in one type of document."""

    def __call__(self, data: bytes, document: str, /) -> list[CitedUrl]:
        """The URLs in ``data``, in order; ``document`` names them (:attr:`CitedUrl.document`).

        Raises:
            DocumentError: the document cannot be read or parsed.
        """
        ...


@dataclass(frozen=True, slots=True)
class LazyReader:
    """The reader ``function`` of the module ``module`` (of this package), imported when first
    called: ``check`` on a registry reads no document, so it does not import the parsers.
    Pickled by its names, it goes to a parse worker like a module-level function does.

    Example::

        READERS[DocFormat.HTML] = LazyReader(".html", "read_html")
    """

    module: str
    function: str

    def __call__(self, data: bytes, document: str, /) -> list[CitedUrl]:
        reader: Reader = getattr(importlib.import_module(self.module, __package__), self.function)
        return reader(data, document)


def parser_failure(what: str, exc: Exception) -> DocumentError:
    """The error for a parser that gave up: ``the PDF cannot be read (Type: message)``.

    Raise it ``from exc``. A :class:`RecursionError` reads "nested too deeply".
    """
    if isinstance(exc, RecursionError):
        return DocumentError(f"{what} (nested too deeply)")
    text = str(exc).strip()
    why = f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
    return DocumentError(f"{what} ({why})")
