"""Inspect a fetched body: detect its real type, find its title, match the expected one.

:func:`analyse` is a pure function of bytes, so the pipeline runs it in worker processes. It
lives in :mod:`.analysis` with the parsers it needs, and is imported when first used: the
main process only sniffs (:func:`sniff_format`) and sends :class:`ParseRequest` objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._models import DocFormat, Inspection, TitleEvidence

if TYPE_CHECKING:
    from .analysis import analyse

__all__ = ["ParseRequest", "analyse", "sniff_format"]

_HTML_SNIFF_RE = re.compile(rb"<(!doctype\s+html|html|head|body|title|meta|h1|div|p)[\s>]", re.I)


def sniff_format(body: bytes, content_type: str | None) -> DocFormat:
    """The real type of ``body``: PDF by its magic bytes, HTML by header or markup."""
    if not body.strip():
        return DocFormat.EMPTY
    if b"%PDF-" in body[:1024]:
        return DocFormat.PDF
    mime = (content_type or "").split(";")[0].strip().lower()
    head = body[:2048].lstrip()
    if mime in ("text/html", "application/xhtml+xml") or _HTML_SNIFF_RE.search(head):
        return DocFormat.HTML
    if mime.startswith("text/"):
        return DocFormat.TEXT
    return DocFormat.OTHER


@dataclass(frozen=True, slots=True)
class ParseRequest:
    """The arguments of :func:`analyse`, as sent to a parse worker."""

    body: bytes
    content_type: str | None
    truncated: bool
    expected_title: str | None
    max_pages: int

    def run(self) -> tuple[Inspection, TitleEvidence | None]:
        """Call :func:`analyse` with these arguments."""
        from .analysis import analyse

        return analyse(
            self.body,
            self.content_type,
            truncated=self.truncated,
            expected_title=self.expected_title,
            max_pages=self.max_pages,
        )


def __getattr__(name: str) -> Any:
    """``analyse``, imported when first asked for (PEP 562)."""
    if name == "analyse":
        from .analysis import analyse

        return analyse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
