"""Recognise metadata titles that say nothing about the document."""

from __future__ import annotations

import re

__all__ = ["is_garbage_title"]

_GARBAGE_RE = re.compile(
    r"""^(
        untitled|unbenannt|sans\ titre|title|titel|document|dokument|no\ title|
        microsoft\ (word|powerpoint|excel)\b.*|
        .*\.(docx?|pptx?|xlsx?|pdf|odt|rtf|indd|qxd|tex|dvi|ps|eps|html?)|
        [a-z]:\\.*|/.*|
        \W*|\d+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_garbage_title(title: str, *, producer: str = "") -> bool:
    """True for titles such as "Microsoft Word - x.docx", file names, "untitled"."""
    text = title.strip()
    if len(text) < 3 or _GARBAGE_RE.match(text):
        return True
    return bool(producer) and text.casefold() == producer.strip().casefold()
