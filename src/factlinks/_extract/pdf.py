"""PDF documents: the targets of link annotations, and URLs in the text layer of each page."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .._errors import DocumentError
from .interface import CitedUrl, parser_failure
from .urls import urls_in_text, valid_url

if TYPE_CHECKING:
    from pypdf import PageObject

__all__ = ["MAX_PAGES", "read_pdf"]

MAX_PAGES = 2000
"""Pages after this many are not read."""


def read_pdf(data: bytes, document: str) -> list[CitedUrl]:
    """The URLs a PDF links to and shows, page by page (``page 3 link``, ``page 3``).

    Prints and logs nothing: pypdf's warnings and log records about sloppy files are held back.

    Raises:
        DocumentError: the PDF is encrypted or cannot be parsed (whatever pypdf raised on it).
    """
    from pypdf import PdfReader

    from .._inspect.pdf import quiet_pypdf

    found: list[CitedUrl] = []
    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentError("the PDF is encrypted")
            for number, page in enumerate(reader.pages[:MAX_PAGES], start=1):
                found.extend(_links(page, document, number))
                text = page.extract_text() or ""
                found.extend(urls_in_text(text, document, where=f"page {number}"))
    except DocumentError:
        raise
    except Exception as exc:  # a hostile file makes pypdf raise anything (assert, NotImplemented)
        raise parser_failure("the PDF cannot be read", exc) from exc
    return found


def _links(page: PageObject, document: str, number: int) -> list[CitedUrl]:
    """The URI targets of the link annotations on one page."""
    found = []
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else []
    for annotation in annotations if isinstance(annotations, list) else []:
        annotation = annotation.get_object()
        action = annotation.get("/A") if isinstance(annotation, dict) else None
        action = action.get_object() if action is not None else None
        uri = action.get("/URI") if isinstance(action, dict) else None
        if isinstance(uri, bytes):
            uri = uri.decode("latin-1")
        # The annotation's URI is the target as set: never trimmed like prose.
        target = str(uri).strip() if uri is not None else ""
        if valid_url(target):
            found.append(CitedUrl(target, document, f"page {number} link"))
    return found
