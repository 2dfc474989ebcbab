"""Normalise text and look for an expected title in it. Pure functions, no I/O.

Both texts are compared in a *compact* form: Unicode NFKC (ligatures such as "ﬁ" become
"fi", combining accents are composed), soft hyphens dropped, case folded, German umlauts and
ß transliterated (ä = ae, ß = ss), and everything that is not a letter or digit removed.
Missing or extra spaces, spaced letters ("T I T E L"), hyphenation at line ends
("Wachstums-\\nchancen") and kept hyphens ("KI-\\nMonitor"), dashes and quotes all compare
equal. Two strategies find a title:

1. the compact title occurs in the compact text (score 100);
2. the title's words occur in order, each word the same or (long words) within extraction
   noise of it (rapidfuzz), with whole lines allowed in between, as when a running head or a
   page number is interleaved with a title broken over lines (score 94-99).

Fuzzy similarity serves the tolerance for extraction noise inside words, never for different
words: a character-level near miss is reported as evidence but never counts as found.
Numbers must match exactly in every strategy: "KI-Monitor 2021" is not "KI-Monitor 2022",
"Nr. 318" is not "Nr. 3180". In a title field (metadata, ``<title>``, ``<h1>``, ...) the
title must fill a whole segment of the field, up to separators such as ":", " - " or "|": a
title that is only a fragment of a longer, different title does not match. In running text
it must start and end at word boundaries.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .._models import TitleCandidate, TitleEvidence

__all__ = [
    "FUZZY_THRESHOLD",
    "TITLE_FIELDS",
    "clean",
    "compact",
    "match_title",
    "text_fingerprint",
]

FUZZY_THRESHOLD = 92.0
"""The lowest score (0-100) that counts as a match."""

TITLE_FIELDS = frozenset(
    {
        "metadata",
        "xmp",
        "<title>",
        "<h1>",
        "og:title",
        "citation_title",
        "dc.title",
        "twitter:title",
    }
)
"""Candidates that hold a title (and only a title), as opposed to running text."""

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\uff0d"), "-")
_QUOTES = {
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02"), '"'),
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2039\u203a\u2032\u00b4`"), "'"),
}
_TRANSLIT = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
_SPACE_RE = re.compile(r"[^\S\n]+")
_LINES_RE = re.compile(r" ?\n[\s]*")
_HYPHEN_BREAK_RE = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=(\w))")
_WORD_RE = re.compile(r"\w+")
_PARENTHESIS_RE = re.compile(r"[^\w(\[]*[(\[][^()\[\]\n]*[)\]][^\w]*")
_LOOSE_MARK_RE = re.compile(r"(\S?)(\s*)([\u0300-\u036f])(\S?)")
_SNIPPET_CONTEXT = 60
_MAX_GAP = 4
"""Foreign words allowed between two consecutive title words (strategy 2)."""


def clean(text: str) -> str:
    """Readable normal form: NFKC, no soft hyphens, unified dashes and quotes, tidy spaces.

    Line-end hyphenation is joined before a lower-case letter ("Wachstums-\\nchancen" ->
    "Wachstumschancen") and kept before a capital ("KI-\\nMonitor" -> "KI-Monitor"); the
    compact form ignores hyphens anyway, so both variants match. Runs of spaces become one
    space; line breaks are kept (one per break), as they delimit titles in running text.
    """
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    if _LOOSE_MARK_RE.search(text):
        text = unicodedata.normalize("NFC", _LOOSE_MARK_RE.sub(_attach_mark, text))
    text = text.replace("\u00ad", "").translate(_DASHES).translate(_QUOTES)
    text = _HYPHEN_BREAK_RE.sub(lambda m: "" if m.group(1).islower() else "-", text)
    text = _SPACE_RE.sub(" ", text)
    return _LINES_RE.sub("\n", text).strip()


def _composes(letter: str, mark: str) -> bool:
    return len(unicodedata.normalize("NFC", letter + mark)) == 1


def _attach_mark(match: re.Match[str]) -> str:
    """Put an accent that text extraction set apart back on its letter.

    TeX draws an accent as its own glyph, so extraction yields "Aufsatz ¨uber" (NFKC: a
    space and a combining diaeresis before the "u") or "u ¨ber". The mark goes to the letter
    it composes with: the next one if it can, else the previous one.
    """
    before, space, mark, after = match.groups()
    if after and _composes(after, mark):
        return f"{before}{space if before and not before.isspace() else ''}{after}{mark}"
    if before and _composes(before, mark):
        return f"{before}{mark}{after}"
    return match.group(0)


def _fold(text: str) -> str:
    folded = text.casefold()
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


def text_fingerprint(text: str) -> str:
    """SHA-256 of the compact form: the same for the same words, whatever the markup."""
    return hashlib.sha256(compact(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Word:
    folded: str
    start: int
    end: int


def _words(cleaned: str) -> list[_Word]:
    return [_Word(_fold(m.group()), m.start(), m.end()) for m in _WORD_RE.finditer(cleaned)]


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _digits_bounded(cleaned: str, start: int, end: int) -> bool:
    """False when the match starts or ends inside a longer number."""
    if start > 0 and cleaned[start].isdigit() and cleaned[start - 1].isdigit():
        return False
    return not (end < len(cleaned) and cleaned[end - 1].isdigit() and cleaned[end].isdigit())


def _segment_bounded(cleaned: str, start: int, end: int) -> bool:
    """True when [start, end) fills a whole segment of a title field.

    Segments are delimited by anything but letters, digits and spaces: "Title: Subtitle",
    "Title - Site", "Title | Site", a line break. "KI im Mittelstand" fills a segment of
    "KI im Mittelstand - Potenziale erkennen" but not of "Digitalisierung und KI im Mittelstand".
    """
    before = cleaned[:start].rstrip(" ")
    after = cleaned[end:].lstrip(" ")
    return (not before or not before[-1].isalnum()) and (not after or not after[0].isalnum())


def _word_bounded(cleaned: str, start: int, end: int) -> bool:
    """True when [start, end) neither starts nor ends inside a word.

    Words glued by text extraction ("MittelstandPotenziale") still count as bounded: a
    lower-case letter followed by a capital is a seam, and so is a letter followed by a
    footnote mark ("OPmac1").
    """
    if start > 0 and cleaned[start - 1].isalnum():
        glued = cleaned[start - 1].islower() and cleaned[start].isupper()
        if not glued:
            return False
    if end < len(cleaned) and cleaned[end].isalnum():
        glued = cleaned[end - 1].islower() and cleaned[end].isupper()
        footnote = cleaned[end - 1].isalpha() and cleaned[end].isdigit()
        if not (glued or footnote):
            return False
    return True


def _snippet(cleaned: str, start: int, end: int) -> str:
    lo = max(0, start - _SNIPPET_CONTEXT)
    hi = min(len(cleaned), end + _SNIPPET_CONTEXT)
    text = cleaned[lo:hi].replace("\n", " ")
    return ("…" if lo else "") + text + ("…" if hi < len(cleaned) else "")


@dataclass(frozen=True, slots=True)
class _Target:
    """The expected title, prepared once."""

    compact: _Compact
    words: tuple[str, ...]
    numbers: tuple[str, ...]


def _target(expected: str) -> _Target:
    cleaned = clean(expected)
    return _Target(
        _compact(cleaned),
        tuple(w.folded for w in _words(cleaned)),
        tuple(_numbers(cleaned)),
    )


@dataclass(frozen=True, slots=True)
class _Hit:
    score: float
    where: str
    start: int
    end: int
    cleaned: str


def _bounded(title_field: bool, cleaned: str, start: int, end: int) -> bool:
    if not _digits_bounded(cleaned, start, end):
        return False
    if title_field:
        return _segment_bounded(cleaned, start, end)
    return _word_bounded(cleaned, start, end)


def _exact(
    target: _Target, doc: _Compact, cleaned: str, title_field: bool
) -> tuple[int, int] | None:
    size = len(target.compact.text)
    position = doc.text.find(target.compact.text)
    while position >= 0:
        start = doc.index[position]
        end = doc.index[position + size - 1] + 1
        if _bounded(title_field, cleaned, start, end):
            return start, end
        position = doc.text.find(target.compact.text, position + 1)
    return None


def _same_word(expected: str, found: str) -> int:
    """0 for different words, 1 for extraction noise, 2 for equal words.

    Noise is one edit in a word of six letters or more, two from twelve letters on, with the
    same numbers; a word that only extends the other ("Dvipdfm"/"Dvipdfmx") is another word.
    """
    if expected == found:
        return 2
    shorter = min(len(expected), len(found))
    if _numbers(expected) != _numbers(found) or shorter < 6:
        return 0
    if expected.startswith(found) or found.startswith(expected):
        return 0
    allowed = 2 if shorter >= 12 else 1
    return 1 if Levenshtein.distance(expected, found, score_cutoff=allowed) <= allowed else 0


def _in_order(
    target: _Target, words: list[_Word], cleaned: str, title_field: bool
) -> tuple[float, int, int] | None:
    """Strategy 2: the title's words in order; other lines may come in between.

    Each word must be the same, or (six letters or more, same numbers) differ by extraction
    noise. Foreign words are allowed between two title words only as whole lines, as when a
    running head or a page number is interleaved with a title broken over lines; in a title
    field not at all. "Autoconf Macro Archive" is not "Autoconf Archive".
    """
    if not target.words:
        return None
    max_gap = 0 if title_field else _MAX_GAP
    best: tuple[float, int, int] | None = None
    for first, word in enumerate(words):
        run = _run_from(target.words, words, first, cleaned, max_gap)
        if run is None:
            continue
        last, fuzzy, gaps = run
        if gaps == 0 and fuzzy == 0:
            continue  # exact runs without gaps are strategy 1's; it judged them already
        start, end = word.start, words[last].end
        if not _bounded(title_field, cleaned, start, end):
            continue
        score = max(FUZZY_THRESHOLD + 2, 99.0 - gaps - 2 * fuzzy)
        if best is None or score > best[0]:
            best = (score, start, end)
    return best


def _run_from(
    wanted: tuple[str, ...], words: list[_Word], first: int, cleaned: str, max_gap: int
) -> tuple[int, int, int] | None:
    """All of ``wanted`` in order from ``words[first]``, at most ``max_gap`` words apart.

    Returns the position of the last title word, how many words matched only fuzzily and
    how many foreign words came in between; ``None`` when the title is not all there.
    """
    first_kind = _same_word(wanted[0], words[first].folded)
    if not first_kind:
        return None
    last, fuzzy, gaps, position = first, int(first_kind == 1), 0, first + 1
    matched = 1
    while matched < len(wanted) and position < len(words) and position - last <= max_gap + 1:
        kind = _same_word(wanted[matched], words[position].folded)
        if kind and (position == last + 1 or _whole_lines(words, cleaned, last, position)):
            fuzzy += kind == 1
            gaps += position - last - 1
            last = position
            matched += 1
        elif kind:
            break
        position += 1
    return (last, fuzzy, gaps) if matched == len(wanted) else None


def _whole_lines(words: list[_Word], cleaned: str, last: int, position: int) -> bool:
    """The foreign words between ``last`` and ``position``: whole lines, or one parenthesis.

    A parenthesis is e.g. "(Version 5.1)" after a title's name.
    """
    if _PARENTHESIS_RE.fullmatch(cleaned[words[last].end : words[position].start]):
        return True
    return (
        "\n" in cleaned[words[last].end : words[last + 1].start]
        and "\n" in cleaned[words[position - 1].end : words[position].start]
    )


def _near_miss(target: _Target, doc: _Compact, cleaned: str) -> tuple[float, int, int] | None:
    """The closest passage by character similarity: evidence for a miss, never a match.

    Character similarity cannot tell extraction noise from a different word ("Love" and
    "Hate", "G-code" and "M-code" are one or two letters apart), so it only names the best
    near miss in the report; the score is kept below :data:`FUZZY_THRESHOLD`.
    """
    if len(doc.text) < len(target.compact.text):
        score = float(fuzz.ratio(target.compact.text, doc.text))
        start, end = doc.index[0], doc.index[-1] + 1
    else:
        alignment = fuzz.partial_ratio_alignment(target.compact.text, doc.text)
        if alignment is None or alignment.dest_end <= alignment.dest_start:
            return None
        start = doc.index[alignment.dest_start]
        end = doc.index[alignment.dest_end - 1] + 1
        score = float(alignment.score)
    while start > 0 and cleaned[start - 1].isalnum():
        start -= 1
    while end < len(cleaned) and cleaned[end].isalnum():
        end += 1
    return min(score, FUZZY_THRESHOLD - 1), start, end


def _search(target: _Target, candidate: TitleCandidate) -> _Hit | None:
    cleaned = clean(candidate.text)
    doc = _compact(cleaned)
    if not doc.text or not target.compact.text:
        return None
    title_field = candidate.where in TITLE_FIELDS
    exact = _exact(target, doc, cleaned, title_field)
    if exact is not None:
        return _Hit(100.0, candidate.where, exact[0], exact[1], cleaned)
    ordered = _in_order(target, _words(cleaned), cleaned, title_field)
    if ordered is not None:
        return _Hit(ordered[0], candidate.where, ordered[1], ordered[2], cleaned)
    near = _near_miss(target, doc, cleaned)
    if near is None:
        return None
    return _Hit(near[0], candidate.where, near[1], near[2], cleaned)


def match_title(
    expected: str,
    candidates: Iterable[TitleCandidate],
    *,
    display: str | None = None,
) -> TitleEvidence:
    """Look for ``expected`` in ``candidates`` (in order) and return the evidence.

    The first exact match wins; otherwise the best match at or above
    :data:`FUZZY_THRESHOLD`. ``display`` is what the document is called now (its best title
    field), reported when nothing matched.

    Example::

        >>> ev = match_title("KI-Monitor 2021", [TitleCandidate("page 1", "KI-\\nMonitor 2021")])
        >>> ev.matched, ev.where
        (True, 'page 1')
    """
    target = _target(expected)
    best: _Hit | None = None
    for candidate in candidates:
        hit = _search(target, candidate)
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
    found = best.cleaned[best.start : best.end].replace("\n", " ")
    return TitleEvidence(
        expected=expected,
        matched=matched,
        score=round(best.score, 1),
        where=best.where,
        snippet=_snippet(best.cleaned, best.start, best.end),
        found=found if matched else display,
    )
