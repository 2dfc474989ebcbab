"""Plain text documents: the URLs in the text, by the rules of :mod:`.urls`."""

from __future__ import annotations

from .interface import CitedUrl
from .urls import urls_in_text

__all__ = ["decode", "read_text"]


def read_text(data: bytes, document: str) -> list[CitedUrl]:
    """The URLs in the text, by line (``line 12``); UTF-8, or else Windows-1252."""
    return urls_in_text(decode(data), document)


def decode(data: bytes) -> str:
    """``data`` as text: UTF-8 (a byte order mark dropped), or else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
