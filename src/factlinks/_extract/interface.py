"""The extract seam: a *reader* finds the URLs one type of document cites.

A reader is a function ``(data, document) -> list[CitedUrl]``: the document's bytes and its name
(what ``cited_in`` holds) in, the URLs in order of appearance out, duplicates allowed. It raises
:class:`~factlinks.DocumentError` when the document cannot be read. A new document type is one
module with a reader, registered with one line in ``factlinks._extract.READERS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .._errors import DocumentError

__all__ = ["CitedUrl", "DocumentError", "Reader"]


@dataclass(frozen=True, slots=True)
class CitedUrl:
    """A URL found in a document."""

    url: str
    """The URL, trailing punctuation and unbalanced closing brackets stripped."""
    document: str
    """The document's name: its file name without extension (what ``cited_in`` holds)."""
    where: str
    """``line 12``, ``page 3``, ``page 3 link``, ``<a href>``."""


class Reader(Protocol):
    """Finds the URLs cited in one type of document."""

    def __call__(self, data: bytes, document: str, /) -> list[CitedUrl]:
        """The URLs in ``data``, in order; ``document`` names them (:attr:`CitedUrl.document`).

        Raises:
            DocumentError: the document cannot be read or parsed.
        """
        ...
