"""Normalise text and look for an expected title in it. Pure functions, no I/O.

Both texts are compared in a *compact* form: Unicode NFKC (ligatures such as "ﬁ" become
"fi", combining accents are composed), soft hyphens dropped, case folded, German umlauts and
ß transliterated (ä = ae, ß = ss), and everything that is not a letter or digit removed.
Missing or extra spaces, spaced letters ("T I T E L"), hyphenation at line ends
("Wachstums-\\nchancen") and kept hyphens ("KI-\\nMonitor"), dashes and quotes all compare
equal. Four strategies find a title, tried in this order:

1. the compact title occurs in the compact text (score 100);
2. the title's words occur in order, each word the same or (long words) within extraction
   noise of it (rapidfuzz), with up to two short whole lines, a parenthesis or a page number
   such as "- 2 -" allowed in between, as when a version line, a date, a running head or a
   page number interrupts a title broken over lines (score 94-99);
3. all of the title is there but one word, which kept some of its letters and shows a glyph
   that extraction could not map (a private-use, control or replacement character, or a
   letter of a script the title does not use) where a ligature was: LuaTeX's "Th" read as
   U+5400 gives "吀e Art of Foo" (score 95); the other words must be at least three and
   carry eight letters, so the rest of the title vouches for it;
4. the same as 1 to 3 in lines drawn twice over (fake bold: "MMaannuuaall", "NRPE DNRPE
   DOCUMENTATIONOCUMENTATION"), read once (score 98); a word repeated after a space
   ("Bora Bora") is real text and stays as it is.

Fuzzy similarity serves the tolerance for extraction noise inside words, never for different
words: a character-level near miss is reported as evidence but never counts as found.
A word that differs by real letters is another word, never damage: "Introduction to Rust
Programming" is not "Introduction to Python Programming". Text set in TeX fonts without a
Unicode map is read back where the codes are unambiguous: the OT1 ligature codes (U+000B ff,
U+000C fi, U+000E ffi, U+000F ffl before a lower-case letter) and the diaeresis (U+007F, or
pypdf's glyph name "/#7F", before a letter).

Numbers must match exactly in every strategy: "KI-Monitor 2021" is not "KI-Monitor 2022",
"Nr. 318" is not "Nr. 3180". In a title field (metadata, ``<title>``, ``<h1>``, ...) the
title must fill a whole segment of the field, up to separators such as ":", " - " or "|": a
title that is only a fragment of a longer, different title does not match. In running text
it must start and end at word boundaries.
"""

from __future__ import annotations

import dataclasses
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
        "doi metadata",
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
_ALNUM_RE = re.compile(r"[^\W_]+")
_LETTERS_RE = re.compile(r"\w*[^\W\d_]\w*")
_PARENTHESIS_RE = re.compile(r"[^\w(\[]*[(\[][^()\[\]\n]*[)\]][^\w]*")
_LOOSE_MARK_RE = re.compile(r"(\S?)(\s*)([\u0300-\u036f])(\S?)")
_PAGE_MARK_RE = re.compile(r"\s*-\s*\d{1,4}\s*-\s*")
_SNIPPET_CONTEXT = 60
_MAX_GAP_LINES = 2
"""Whole lines allowed between two consecutive title words (strategy 2) ..."""
_MAX_GAP_LINE_WORDS = 8
"""... each of at most this many words with letters (numbers such as a date are free)."""
_MIN_INTACT_WORDS = 3
"""Title words that must be intact around a damaged one (strategy 3) ..."""
_MIN_INTACT_CHARS = 8
"""... with at least this many letters and digits between them."""
_MAX_LIGATURE = 3
"""Letters of a word one broken glyph may stand for ("ffi")."""
_MAX_GARBAGE = 2
"""Unmappable characters one broken glyph may leave in a word."""
_MAX_DOUBLED = 240
"""Longest line (compact characters) checked for fake-bold doubling ..."""
_MIN_DOUBLED_LETTERS = 4
"""... and the fewest letters it must hold, read once."""
_DOUBLED_CONTEXT = 2
"""Lines around doubled ones searched with them."""
_DAMAGE_CATEGORIES = frozenset({"Co", "Cn", "Cs", "Cc"})
_OT1_LIGATURES = {"\x0b": "ff", "\x0c": "fi", "\x0e": "ffi", "\x0f": "ffl"}
_OT1_LIGATURE_RE = re.compile(r"[\x0b\x0c\x0e\x0f](?=[^\W\d_])")
_OT1_DIAERESIS_RE = re.compile(r"\x7f([^\W\d_])|(?<!\S)\x7f(\s+)([^\W\d_])")
_GLYPH_ESCAPE_RE = re.compile(r"/#(0[BCEF]|7F)", re.IGNORECASE)
_OT1_CODES_RE = re.compile(r"[\x0b\x0c\x0e\x0f\x7f]|/#")


def clean(text: str) -> str:
    """Readable normal form: NFKC, no soft hyphens, unified dashes and quotes, tidy spaces.

    Line-end hyphenation is joined before a lower-case letter ("Wachstums-\\nchancen" ->
    "Wachstumschancen") and kept before a capital ("KI-\\nMonitor" -> "KI-Monitor"); the
    compact form ignores hyphens anyway, so both variants match. Runs of spaces become one
    space; line breaks are kept (one per break), as they delimit titles in running text.
    """
    text = unicodedata.normalize("NFKC", _tex_codes(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _LOOSE_MARK_RE.search(text):
        text = unicodedata.normalize("NFC", _LOOSE_MARK_RE.sub(_attach_mark, text))
    text = text.replace("\u00ad", "").translate(_DASHES).translate(_QUOTES)
    text = _HYPHEN_BREAK_RE.sub(lambda m: "" if m.group(1).islower() else "-", text)
    text = _SPACE_RE.sub(" ", text)
    return _LINES_RE.sub("\n", text).strip()


def _tex_codes(text: str) -> str:
    """Read back TeX's OT1 codes that extraction without a Unicode map leaves in the text.

    OT1 fonts put the ligatures ff, fi, ffi, ffl at codes 11, 12, 14, 15 and the diaeresis at
    127; a font without a ToUnicode map yields those codes ("di\\x0berent \\x0cles",
    "L\\x7fosung"), pypdf sometimes their glyph names ("/#7F"). Only a code before a
    lower-case letter (a ligature) or before a letter (the accent, see :func:`_ot1_diaeresis`)
    is read; fi's code 12 is also the form feed, which never comes before a lower-case letter
    inside a word. Code 13 (fl) is the carriage return and is left alone.
    """
    if not _OT1_CODES_RE.search(text):
        return text
    text = _GLYPH_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = _OT1_LIGATURE_RE.sub(_ot1_ligature, text)
    return _OT1_DIAERESIS_RE.sub(_ot1_diaeresis, text)


def _ot1_diaeresis(match: re.Match[str]) -> str:
    """The diaeresis on the letter after it: "L\\x7fosung", or "L\\n\\x7f\\nosung" (pypdf).

    The spaces around an accent on its own are kept. An accent glued to the end of a word
    ("Universitat\\x7f Braunschweig") is left alone: which of its letters it sits on is lost.
    """
    if match.group(1):
        return match.group(1) + "\u0308"
    return match.group(2) + match.group(3) + "\u0308"


def _ot1_ligature(match: re.Match[str]) -> str:
    code = match.group()
    return _OT1_LIGATURES[code] if match.string[match.end()].islower() else code


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
        if char.isascii():  # the common case, without the cost of folding
            if char.isalnum():
                chars.append(char.lower())
                index.append(position)
            continue
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
    pieces: tuple[str, ...]
    """The compact form of each word (they join to ``compact.text``)."""
    scripts: frozenset[str]
    """The scripts of the title's letters ("LATIN", "CJK", ...)."""


def _target(expected: str) -> _Target:
    cleaned = clean(expected)
    words = tuple(w.folded for w in _words(cleaned))
    return _Target(
        _compact(cleaned),
        words,
        tuple(_numbers(cleaned)),
        tuple("".join(c for c in word if c.isalnum()) for word in words),
        frozenset(_script(c) for c in cleaned if c.isalpha()),
    )


def _script(char: str) -> str:
    """The script of a letter, as the first word of its Unicode name ("LATIN", "CJK")."""
    return unicodedata.name(char, "?").split(" ", 1)[0]


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
    noise. Foreign words are allowed between two title words only as whole short lines (at
    most :data:`_MAX_GAP_LINES` of at most :data:`_MAX_GAP_LINE_WORDS` words with letters), a
    parenthesis or a page number ("- 2 -"), as when a version line, a date, a running head or
    a page number interrupts a title broken over lines; in a title field not at all.
    "Autoconf Macro Archive" is not "Autoconf Archive".
    """
    if not target.words:
        return None
    max_gap = 0 if title_field else 2 * _MAX_GAP_LINES * _MAX_GAP_LINE_WORDS
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
        if gaps and "\n" in cleaned[start:end] and not _ends_line(cleaned, end):
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


def _ends_line(cleaned: str, end: int) -> bool:
    """True when no letter or digit follows ``end`` on its line.

    A title that lines interrupt is made of whole lines: its last part ends a line, unlike a
    table of contents entry ("Telemetry ........ 5") or a sentence that goes on.
    """
    stop = cleaned.find("\n", end)
    rest = cleaned[end : stop if stop >= 0 else len(cleaned)]
    return not any(c.isalnum() for c in rest)


def _whole_lines(words: list[_Word], cleaned: str, last: int, position: int) -> bool:
    """The foreign words between ``last`` and ``position``: short whole lines, or one mark.

    A mark is a parenthesis such as "(Version 5.1)" after a title's name, or a page number
    "- 2 -" in a running head that repeats the title. Lines are at most
    :data:`_MAX_GAP_LINES`, each of at most :data:`_MAX_GAP_LINE_WORDS` words.
    """
    between = cleaned[words[last].end : words[position].start]
    if _PARENTHESIS_RE.fullmatch(between) or _PAGE_MARK_RE.fullmatch(between):
        return True
    if not (
        "\n" in cleaned[words[last].end : words[last + 1].start]
        and "\n" in cleaned[words[position - 1].end : words[position].start]
    ):
        return False
    lines = between.strip().split("\n")
    return len(lines) <= _MAX_GAP_LINES and all(
        len(_LETTERS_RE.findall(line)) <= _MAX_GAP_LINE_WORDS for line in lines
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


def _damaged(
    target: _Target, doc: _Compact, cleaned: str, title_field: bool
) -> tuple[int, int] | None:
    """Strategy 3: the whole title but one word, damaged by a glyph extraction could not map.

    The other words must be intact, contiguous, at least :data:`_MIN_INTACT_WORDS` and carry
    :data:`_MIN_INTACT_CHARS` letters and digits; the damaged word has no digits and is judged
    by :func:`_damage_point`.
    """
    if len(target.pieces) <= _MIN_INTACT_WORDS or "".join(target.pieces) != target.compact.text:
        return None
    for number, piece in enumerate(target.pieces):
        intact = len(target.compact.text) - len(piece)
        if _numbers(piece) or not piece or intact < _MIN_INTACT_CHARS:
            continue
        span = _damaged_word(target, number, doc, cleaned, title_field)
        if span is not None:
            return span
    return None


def _damaged_word(
    target: _Target, number: int, doc: _Compact, cleaned: str, title_field: bool
) -> tuple[int, int] | None:
    """Where the title stands in ``cleaned`` with its word ``number`` damaged, if anywhere."""
    piece = target.pieces[number]
    before = "".join(target.pieces[:number])
    after = "".join(target.pieces[number + 1 :])
    for start, low, high, end in _placements(before, piece, after, doc.text):
        point = _damage_point(piece, doc.text[low:high], target.scripts)
        if point is None or not (point < 0 or _marked(cleaned, doc, low, low + point, high)):
            continue
        first = doc.index[start]
        while first > 0 and _unmappable(cleaned[first - 1]):
            first -= 1  # the broken glyph belongs to the word it broke
        span = first, doc.index[end - 1] + 1
        if _bounded(title_field, cleaned, *span):
            return span
    return None


def _placements(
    before: str, piece: str, after: str, text: str
) -> Iterable[tuple[int, int, int, int]]:
    """Where ``before`` + a stand-in for ``piece`` + ``after`` may lie in ``text``.

    Yields (start, stand-in start, stand-in end, end); the stand-in is one to
    ``len(piece) - 1 + _MAX_GARBAGE`` characters long. The longer known side is searched.
    """
    sizes = range(max(1, len(piece) - _MAX_LIGATURE), len(piece) + _MAX_GARBAGE)
    leading = len(before) >= len(after)
    anchor = before if leading else after
    position = text.find(anchor)
    while position >= 0:
        for size in sizes:
            low = position + len(before) if leading else position - size
            high = low + size
            start, end = low - len(before), high + len(after)
            if start >= 0 and text.startswith(before, start) and text.startswith(after, high):
                yield start, low, high, end
        position = text.find(anchor, position + 1)


def _damage_point(piece: str, found: str, scripts: frozenset[str]) -> int | None:
    """Where ``found`` is ``piece`` with one glyph (1-3 letters) that extraction broke.

    What stands in for the lost letters is at most :data:`_MAX_GARBAGE` letters of a script
    the title does not use ("吀" for "Th"): the result is -1. Or nothing: the result is the
    position in ``found`` where the letters went missing, and the document must show an
    unmappable character right there (:func:`_marked`). At least one letter of the word
    survives. Real letters of the title's script are another word, never damage; ``None``.
    """
    if found == piece:
        return None
    prefix = _common_prefix(piece, found)
    suffix = _common_prefix(piece[prefix:][::-1], found[prefix:][::-1])
    lost = len(piece) - prefix - suffix
    garbage = found[prefix : len(found) - suffix]
    if not 1 <= lost <= _MAX_LIGATURE or len(garbage) > _MAX_GARBAGE or prefix + suffix < 1:
        return None
    if not garbage:
        return prefix
    return -1 if all(c.isalpha() and _script(c) not in scripts for c in garbage) else None


def _marked(cleaned: str, doc: _Compact, low: int, point: int, high: int) -> bool:
    """True when the cleaned text shows an unmappable character where letters went missing.

    ``low``/``high`` delimit the damaged word in ``doc``; ``point`` is the first compact
    character after the lost letters. Searched: the characters between the letters around
    ``point``, or up to two characters before (after) the word if it lost its first (last)
    letters.
    """
    start = doc.index[point - 1] + 1 if point > low else max(0, doc.index[point] - 2)
    end = doc.index[point] if point < high else doc.index[point - 1] + 3
    return any(_unmappable(c) for c in cleaned[start:end])


def _common_prefix(left: str, right: str) -> int:
    size = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        size += 1
    return size


def _unmappable(char: str) -> bool:
    """Private-use, control (not a line break), unassigned or replacement character."""
    if char.isspace():
        return False
    return char == "\ufffd" or unicodedata.category(char) in _DAMAGE_CATEGORIES


def _squares(text: str) -> list[int] | None:
    """The sizes of the squares ("xx") that ``text`` is made of, left to right, or ``None``.

    "mmaannuuaall" -> [1, 1, 1, 1, 1, 1]; "nrpednrpedocumentationocumentation" -> [5, 12].
    """
    size = len(text)
    if size < 2 or size % 2 or size > _MAX_DOUBLED or not _square_ends(text):
        return None
    choice: dict[int, int] = {size: 0}
    for start in range(size - 2, -1, -1):
        for half in range(1, (size - start) // 2 + 1):
            end = start + 2 * half
            if end in choice and text[start : start + half] == text[start + half : end]:
                choice[start] = half
                break
    if 0 not in choice:
        return None
    sizes, start = [], 0
    while start < size:
        sizes.append(choice[start])
        start += 2 * choice[start]
    return sizes


def _square_ends(text: str) -> bool:
    """Cheap test before :func:`_squares`: ``text`` starts and ends with a square."""
    halves = range(1, len(text) // 2 + 1)
    starts = any(text[:half] == text[half : 2 * half] for half in halves)
    return starts and any(text[-2 * half : -half] == text[-half:] for half in halves)


def _undouble_line(line: str) -> str:
    """``line`` read once if all of it was drawn twice (fake bold), else ``line``.

    Every square's second copy must follow the first without a space ("MMaannuuaall",
    "NRPE DNRPE D..."): a word repeated after a space is also real text ("Bora Bora").
    """
    if len(line) > 2 * _MAX_DOUBLED:
        return line
    if not _square_ends("".join(_ALNUM_RE.findall(line)).casefold()):
        return line  # a quick look first: most lines are not doubled
    doc = _compact(line)
    sizes = _squares(doc.text)
    if sizes is None or sum(c.isalpha() for c in doc.text) < 2 * _MIN_DOUBLED_LETTERS:
        return line
    pieces, start = [], 0
    for half in sizes:
        end = start + 2 * half
        first = line[doc.index[start] : doc.index[start + half]]
        if first != first.rstrip():
            return line
        pieces.append(first)
        if end < len(doc.text):
            pieces.append(line[doc.index[end - 1] + 1 : doc.index[end]])
        start = end
    return "".join(pieces)


def _undoubled(cleaned: str) -> list[str]:
    """The passages of ``cleaned`` with lines drawn twice, read once, with their context.

    Each passage is the doubled lines and up to :data:`_DOUBLED_CONTEXT` lines around them.
    """
    lines = cleaned.split("\n")
    once = [_undouble_line(line) for line in lines]
    changed = [number for number, line in enumerate(once) if line is not lines[number]]
    windows: list[list[int]] = []
    for number in changed:
        start = max(0, number - _DOUBLED_CONTEXT)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = number + _DOUBLED_CONTEXT + 1
        else:
            windows.append([start, number + _DOUBLED_CONTEXT + 1])
    return ["\n".join(once[start:end]) for start, end in windows]


def _found(target: _Target, cleaned: str, doc: _Compact, where: str) -> _Hit | None:
    """Strategies 1 to 3 on one cleaned text and its compact form."""
    title_field = where in TITLE_FIELDS
    exact = _exact(target, doc, cleaned, title_field)
    if exact is not None:
        return _Hit(100.0, where, exact[0], exact[1], cleaned)
    ordered = _in_order(target, _words(cleaned), cleaned, title_field)
    if ordered is not None:
        return _Hit(ordered[0], where, ordered[1], ordered[2], cleaned)
    damaged = _damaged(target, doc, cleaned, title_field)
    if damaged is not None:
        return _Hit(FUZZY_THRESHOLD + 3, where, damaged[0], damaged[1], cleaned)
    return None


def _search(target: _Target, candidate: TitleCandidate) -> _Hit | None:
    cleaned = clean(candidate.text)
    doc = _compact(cleaned)
    if not doc.text or not target.compact.text:
        return None
    hit = _found(target, cleaned, doc, candidate.where)
    if hit is not None:
        return hit
    for passage in _undoubled(cleaned):
        hit = _found(target, passage, _compact(passage), candidate.where)
        if hit is not None:
            return dataclasses.replace(hit, score=min(hit.score, 98.0))
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
