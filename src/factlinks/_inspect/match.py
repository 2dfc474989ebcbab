"""Normalise text and look for an expected title in it. Pure functions, no I/O.

The comparison works on a *compact* form of both texts: Unicode NFKC (ligatures such as "ﬁ"
become "fi", combining accents are composed), soft hyphens dropped, case folded, German
umlauts and ß transliterated (ä = ae, ß = ss), and everything that is not a letter or digit
removed. Missing or extra spaces, hyphenation at line ends ("Wachstums-\\nchancen") and kept
hyphens ("KI-\\nMonitor"), dashes and quotes therefore all compare equal. Digits must match
exactly: a number in the title may not run on into another digit in the document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from .._models import TitleCandidate, TitleEvidence

__all__ = ["FUZZY_THRESHOLD", "clean", "compact", "match_title"]

FUZZY_THRESHOLD = 92.0
"""The lowest fuzzy score (0-100) that counts as a match."""

_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
_QUOTES = {
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02"), '"'),
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2039\u203a\u2032\u00b4`"), "'"),
}
_TRANSLIT = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
_SPACE_RE = re.compile(r"\s+")
_HYPHEN_BREAK_RE = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=(\w))")
_SNIPPET_CONTEXT = 60


def clean(text: str) -> str:
    """Readable normal form: NFKC, no soft hyphens, unified dashes and quotes, one space.

    Line-end hyphenation is joined before a lower-case letter ("Wachstums-\\nchancen" ->
    "Wachstumschancen") and kept before a capital ("KI-\\nMonitor" -> "KI-Monitor"); the compact
    form used for matching ignores hyphens anyway, so both variants match.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u00ad", "").translate(_DASHES).translate(_QUOTES)
    text = _HYPHEN_BREAK_RE.sub(lambda m: "" if m.group(1).islower() else "-", text)
    return _SPACE_RE.sub(" ", text).strip()


def _fold(char: str) -> str:
    folded = char.casefold()
    return "".join(_TRANSLIT.get(c, c) for c in folded)


@dataclass(frozen=True, slots=True)
class _Compact:
    """A compact string and, for each of its characters, the index in the cleaned text."""

    text: str
    index: tuple[int, ...]


def _compact(cleaned: str) -> _Compact:
    chars: list[str] = []
    index: list[int] = []
    for position, char in enumerate(cleaned):
        for folded in _fold(char):
            if folded.isalnum():
                chars.append(folded)
                index.append(position)
    return _Compact("".join(chars), tuple(index))


def compact(text: str) -> str:
    """The compact matching form of ``text`` (see the module docstring)."""
    return _compact(clean(text)).text


def _digits_bounded(cleaned: str, start: int, end: int) -> bool:
    """False when the match starts or ends inside a longer number."""
    if start > 0 and cleaned[start].isdigit() and cleaned[start - 1].isdigit():
        return False
    return not (end < len(cleaned) and cleaned[end - 1].isdigit() and cleaned[end].isdigit())


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _snippet(cleaned: str, start: int, end: int) -> str:
    lo = max(0, start - _SNIPPET_CONTEXT)
    hi = min(len(cleaned), end + _SNIPPET_CONTEXT)
    return ("…" if lo else "") + cleaned[lo:hi] + ("…" if hi < len(cleaned) else "")


@dataclass(frozen=True, slots=True)
class _Hit:
    score: float
    where: str
    start: int
    end: int
    cleaned: str


def _search(expected: _Compact, expected_numbers: list[str], where: str, text: str) -> _Hit | None:
    cleaned = clean(text)
    doc = _compact(cleaned)
    if not doc.text or not expected.text:
        return None
    position = doc.text.find(expected.text)
    while position >= 0:
        start = doc.index[position]
        end = doc.index[position + len(expected.text) - 1] + 1
        if _digits_bounded(cleaned, start, end):
            return _Hit(100.0, where, start, end, cleaned)
        position = doc.text.find(expected.text, position + 1)
    if len(doc.text) < len(expected.text):
        # A candidate shorter than the title can only be judged whole: partial matching would
        # find "Mittelstand" inside "KI im Mittelstand" and call it perfect.
        score = float(fuzz.ratio(expected.text, doc.text))
        start, end = doc.index[0], doc.index[-1] + 1
    else:
        alignment = fuzz.partial_ratio_alignment(expected.text, doc.text)
        if alignment is None or alignment.dest_end <= alignment.dest_start:
            return None
        start = doc.index[alignment.dest_start]
        end = doc.index[alignment.dest_end - 1] + 1
        score = float(alignment.score)
        while start > 0 and cleaned[start - 1].isalnum():
            start -= 1
        while end < len(cleaned) and cleaned[end].isalnum():
            end += 1
    if _numbers(cleaned[start:end]) != expected_numbers or not _digits_bounded(cleaned, start, end):
        score = min(score, FUZZY_THRESHOLD - 1)
    return _Hit(score, where, start, end, cleaned)


def match_title(
    expected: str,
    candidates: Iterable[TitleCandidate],
    *,
    display: str | None = None,
) -> TitleEvidence:
    """Look for ``expected`` in ``candidates`` (in order) and return the evidence.

    The first exact match wins; otherwise the best fuzzy match at or above
    :data:`FUZZY_THRESHOLD` whose numbers agree with the title's. ``display`` is what the
    document is called now (its best title field), reported when nothing matched.

    Example::

        >>> ev = match_title("KI-Monitor 2021", [TitleCandidate("page 1", "KI-\\nMonitor 2021")])
        >>> ev.matched, ev.where
        (True, 'page 1')
    """
    target = _compact(clean(expected))
    numbers = _numbers(clean(expected))
    best: _Hit | None = None
    for candidate in candidates:
        hit = _search(target, numbers, candidate.where, candidate.text)
        if hit is None:
            continue
        if hit.score >= 100.0:
            best = hit
            break
        if best is None or hit.score > best.score:
            best = hit
    if best is None:
        return TitleEvidence(expected=expected, matched=False, score=0.0, found=display)
    matched = best.score >= FUZZY_THRESHOLD
    return TitleEvidence(
        expected=expected,
        matched=matched,
        score=round(best.score, 1),
        where=best.where,
        snippet=_snippet(best.cleaned, best.start, best.end),
        found=best.cleaned[best.start : best.end] if matched else display,
    )
