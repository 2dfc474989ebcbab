"""Plain text documents, Markdown included (its links are URLs in text)."""

from __future__ import annotations

from .interface import CitedUrl
from .urls import urls_in_text

__all__ = ["read_text"]


def read_text(data: bytes, document: str) -> list[CitedUrl]:
    """The URLs in the text, by line (``line 12``); UTF-8, or else Windows-1252."""
    return urls_in_text(_decode(data), document)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
