"""Is an extracted text layer readable? A pure gate over a page's text, before matching.

A PDF whose fonts carry no Unicode map still has a text layer, but what comes out of it is not
the text on the page: glyph names (``/g0003/g0004``, ``/uni0041``), ``(cid:12)`` tokens,
private-use or replacement characters, or font-internal codes read as Unicode, which look like
words whose letters hop between unrelated scripts ("ΑβγẮặỗ ΞψỪ"). Matching a title against such
a layer can only fail, and a failed match would call the source ``drifted``; the caller makes it
``unverifiable`` instead. :func:`assess_text` measures, per page:

- **junk**: the share of the non-space characters that are glyph-name or cid tokens, private-use
  code points (U+E000-U+F8FF, planes 15 and 16), U+FFFD, control or unassigned code points;
- **symbols**: the share of letters, digits and marks, after runs of one repeated symbol (dot
  leaders, rules) count once;
- **script mix**: the share of words (runs of letters and marks) whose letters belong to unrelated
  scripts, or that carry combining marks no real orthography produces.

Real text passes: any single script, Japanese (kanji, kana and Latin within one word), Korean and
Chinese mixed with Latin, one Greek or Cyrillic letter inside a Latin word ("μm", "Δx"), NFD text,
formulas, code and tables of numbers. The thresholds are shares, so a few bullets from a symbol
font, a URL or a unit do not make a page unreadable; a short page is judged by the same shares
(five glyph names are as unreadable as five hundred).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

__all__ = ["Readability", "assess_text", "unreadable_head"]

JUNK_SHARE = 0.5
"""A page is unreadable when at least this share of its characters is junk."""
MIN_WORDLIKE_SHARE = 0.35
"""... or when letters, digits and marks are less than this share of its characters ..."""
MIN_SYMBOL_CHARS = 20
"""... (judged only on pages with at least this many characters) ..."""
MIXED_WORD_SHARE = 0.4
"""... or when at least this share of its words mixes unrelated scripts."""
HEAD_LINES = 5
""":func:`unreadable_head` judges the first this many lines of a page (where a title stands)."""
MIN_HEAD_LINE_CHARS = 4
"""... each on its own, if it has at least this many non-space characters."""

_TOKEN_RE = re.compile(
    r"/(?:glyph|index|afii|uni|gid|cid|g|u|c|a)[0-9a-f]*[0-9][0-9a-f]*(?![0-9a-z])"
    r"|\(cid:\d+\)",
    re.IGNORECASE,
)
_ASCII_WORD_RE = re.compile(r"[A-Za-z]+")
_REPEATS_RE = re.compile(r"([^\w\s]|_)(?:\s*\1)+")

# Unicode blocks and the script their letters belong to ("" = common, "*" = inherited marks).
# Letters outside the table get the first word of their Unicode name ("OGHAM", "RUNIC", ...).
_BLOCKS: tuple[tuple[int, str], ...] = (
    (0x0000, "Latin"),
    (0x02B0, ""),  # spacing modifier letters
    (0x0300, "*"),  # combining diacritical marks
    (0x0370, "Greek"),
    (0x0400, "Cyrillic"),
    (0x0530, "Armenian"),
    (0x0590, "Hebrew"),
    (0x0600, "Arabic"),
    (0x0700, "Syriac"),
    (0x0750, "Arabic"),
    (0x0780, "Thaana"),
    (0x07C0, "NKo"),
    (0x0800, "Samaritan"),
    (0x0840, "Mandaic"),
    (0x0870, "Arabic"),
    (0x0900, "Devanagari"),
    (0x0980, "Bengali"),
    (0x0A00, "Gurmukhi"),
    (0x0A80, "Gujarati"),
    (0x0B00, "Oriya"),
    (0x0B80, "Tamil"),
    (0x0C00, "Telugu"),
    (0x0C80, "Kannada"),
    (0x0D00, "Malayalam"),
    (0x0D80, "Sinhala"),
    (0x0E00, "Thai"),
    (0x0E80, "Lao"),
    (0x0F00, "Tibetan"),
    (0x1000, "Myanmar"),
    (0x10A0, "Georgian"),
    (0x1100, "Hangul"),
    (0x1200, "Ethiopic"),
    (0x13A0, "Cherokee"),
    (0x1400, "Canadian"),
    (0x1680, "Ogham"),
    (0x16A0, "Runic"),
    (0x1700, "Philippine"),
    (0x1780, "Khmer"),
    (0x1800, "Mongolian"),
    (0x18B0, "Canadian"),
    (0x1900, "Limbu"),
    (0x1950, "Tai"),
    (0x19E0, "Khmer"),
    (0x1A00, "Buginese"),
    (0x1A20, "Tai"),
    (0x1AB0, "*"),
    (0x1B00, "Balinese"),
    (0x1B80, "Sundanese"),
    (0x1BC0, "Batak"),
    (0x1C00, "Lepcha"),
    (0x1C50, "Ol Chiki"),
    (0x1C80, "Cyrillic"),
    (0x1C90, "Georgian"),
    (0x1CC0, "Sundanese"),
    (0x1CD0, "*"),
    (0x1D00, "Latin"),  # phonetic extensions
    (0x1DC0, "*"),
    (0x1E00, "Latin"),  # Latin extended additional (Vietnamese)
    (0x1F00, "Greek"),
    (0x2000, ""),  # punctuation, letterlike symbols, arrows, maths, ...
    (0x20D0, "*"),  # combining marks for symbols
    (0x2100, ""),
    (0x2C00, "Glagolitic"),
    (0x2C60, "Latin"),
    (0x2C80, "Coptic"),
    (0x2D00, "Georgian"),
    (0x2D30, "Tifinagh"),
    (0x2D80, "Ethiopic"),
    (0x2DE0, "Cyrillic"),
    (0x2E00, ""),
    (0x2E80, "Han"),  # radicals
    (0x2FF0, ""),  # ideographic description, CJK punctuation (incl. 々 〆)
    (0x3040, "Hiragana"),
    (0x30A0, "Katakana"),
    (0x3100, "Bopomofo"),
    (0x3130, "Hangul"),
    (0x3190, ""),
    (0x31A0, "Bopomofo"),
    (0x31C0, ""),
    (0x31F0, "Katakana"),
    (0x3200, ""),  # enclosed CJK, compatibility
    (0x3400, "Han"),
    (0x4DC0, ""),
    (0x4E00, "Han"),
    (0xA000, "Yi"),
    (0xA4D0, "Lisu"),
    (0xA500, "Vai"),
    (0xA640, "Cyrillic"),
    (0xA6A0, "Bamum"),
    (0xA700, ""),
    (0xA720, "Latin"),
    (0xA800, "Syloti"),
    (0xA830, ""),
    (0xA840, "Phags-pa"),
    (0xA880, "Saurashtra"),
    (0xA8E0, "Devanagari"),
    (0xA900, "Kayah"),
    (0xA930, "Rejang"),
    (0xA960, "Hangul"),
    (0xA980, "Javanese"),
    (0xA9E0, "Myanmar"),
    (0xAA00, "Cham"),
    (0xAA60, "Myanmar"),
    (0xAA80, "Tai"),
    (0xAAE0, "Meetei"),
    (0xAB00, "Ethiopic"),
    (0xAB30, "Latin"),
    (0xAB70, "Cherokee"),
    (0xABC0, "Meetei"),
    (0xAC00, "Hangul"),
    (0xD800, ""),
    (0xF900, "Han"),
    (0xFB00, "Latin"),  # ligatures ﬁ ﬂ
    (0xFB13, "Armenian"),
    (0xFB1D, "Hebrew"),
    (0xFB50, "Arabic"),
    (0xFE00, ""),
    (0xFE20, "*"),
    (0xFE30, ""),
    (0xFE70, "Arabic"),
    (0xFF00, ""),
    (0xFF21, "Latin"),  # fullwidth A-Z
    (0xFF3B, ""),
    (0xFF41, "Latin"),  # fullwidth a-z
    (0xFF5B, ""),
    (0xFF66, "Katakana"),  # halfwidth
    (0xFFA0, "Hangul"),
    (0xFFE0, ""),
    (0x10000, "?"),  # historic scripts: named by their letters
    (0x1D400, ""),  # mathematical alphanumerics
    (0x1D800, "?"),
    (0x20000, "Han"),
    (0x40000, "?"),
)
_STARTS = [start for start, _ in _BLOCKS]
_CJK = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo", "Latin"})

_REASONS = {
    "token": "its fonts have no Unicode map (it reads as glyph names such as {example})",
    "private": "its fonts have no Unicode map (it reads as private-use code points)",
    "raw": "its fonts have no Unicode map (it reads as raw character codes)",
    "replacement": "its characters do not decode (it reads as replacement characters)",
    "symbols": "it is mostly symbols, not words",
    "mixed": "its letters hop between unrelated scripts, as when fonts have no Unicode map",
}


@dataclass(frozen=True, slots=True)
class Readability:
    """How readable one page's extracted text is, with the measures behind the verdict."""

    chars: int
    """Non-space characters measured."""
    junk_share: float
    """Share of ``chars`` that are glyph-name/cid tokens, private-use, U+FFFD, controls."""
    wordlike_share: float
    """Share of ``chars`` (repeated symbols counted once) that are letters, digits or marks."""
    words: int
    """Words (runs of letters and marks)."""
    mixed_share: float
    """Share of ``words`` whose letters mix unrelated scripts or carry stray marks."""
    reason: str | None
    """Why the page cannot be read, for people; ``None`` when it can."""

    @property
    def readable(self) -> bool:
        """True when the text can be matched against a title."""
        return self.reason is None


def assess_text(text: str) -> Readability:
    """Measure whether ``text`` (one page's extracted text) reads as text.

    Example: ``assess_text("/g0003/g0004/g0005").reason`` is "its fonts have no Unicode map
    (it reads as glyph names such as /g0003)"; ``assess_text("Künstliche Intelligenz").readable``
    is true. Text without any non-space character is readable (it is empty, not garbage).
    """
    tokens = _TOKEN_RE.findall(text)
    rest = _TOKEN_RE.sub(" ", text) if tokens else text
    junk: Counter[str] = Counter({"token": sum(map(len, tokens))})
    chars = junk["token"]
    # Each distinct character and whitespace-separated token is judged once per page.
    for char, count in Counter(rest).items():
        if not char.isspace():
            chars += count
            junk[_junk_kind(char)] += count
    del junk[""]
    junk_share = junk.total() / chars if chars else 0.0
    wordlike_share = _wordlike_share(rest)
    words = mixed = 0
    for token, count in Counter(rest.split()).items():
        token_words, token_mixed = _judge_token(token)
        words += token_words * count
        mixed += token_mixed * count
    mixed_share = mixed / words if words else 0.0
    reason = None
    if junk_share >= JUNK_SHARE:
        kind = junk.most_common(1)[0][0]
        reason = _REASONS[kind].format(example=tokens[0] if tokens else "")
    elif chars >= MIN_SYMBOL_CHARS and wordlike_share < MIN_WORDLIKE_SHARE:
        reason = _REASONS["symbols"]
    elif mixed_share >= MIXED_WORD_SHARE:
        reason = _REASONS["mixed"]
    return Readability(chars, junk_share, wordlike_share, words, mixed_share, reason)


def _junk_kind(char: str) -> str:
    """The kind of junk one non-space character is: "private", "replacement", "raw" or "".

    Control and unassigned code points ("raw") are font-internal codes passed through unmapped.
    """
    code = ord(char)
    if 0xE000 <= code <= 0xF8FF or code >= 0xF0000:
        return "private"
    if char == "\ufffd":
        return "replacement"
    return "raw" if unicodedata.category(char) in ("Cc", "Cn", "Cs") else ""


def _wordlike_share(text: str) -> float:
    """Share of letters, digits and marks among the non-space characters of ``text``."""
    total = wordlike = 0
    for char, count in Counter(_REPEATS_RE.sub(r"\1", text)).items():
        if not char.isspace():
            total += count
            wordlike += count if unicodedata.category(char)[0] in "LNM" else 0
    return wordlike / total if total else 1.0


def _judge_token(token: str) -> tuple[int, int]:
    """The words in ``token`` (runs of letters and marks) and how many are implausible."""
    if token.isascii():
        return len(_ASCII_WORD_RE.findall(token)), 0
    words: list[str] = []
    current: list[str] = []
    for char in token:
        if unicodedata.category(char)[0] in "LM":
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return len(words), sum(not _plausible(word) for word in words)


def _script(char: str) -> str:
    """The script of a letter or mark: a name, "" (common) or "*" (an inherited mark)."""
    script = _BLOCKS[bisect.bisect_right(_STARTS, ord(char)) - 1][1]
    if script == "?":
        script = unicodedata.name(char, "?").split(" ", 1)[0]
    return script


def _plausible(word: str) -> bool:
    """True unless ``word`` mixes unrelated scripts or carries marks no orthography makes.

    Allowed: one script; Han, kana, Hangul and Bopomofo with each other and with Latin; a
    single letter of a second script in a word of basic Latin, Greek and Cyrillic letters
    ("μm", "Δx", a homoglyph; not "ΞψỪ"). Inherited combining marks
    must sit on a letter and compose with it (NFC), so NFD text passes; one that does not
    compose is allowed once per word ("x̄"), random marks on several letters are not.
    """
    word = unicodedata.normalize("NFC", word)
    scripts: Counter[str] = Counter()
    stray = 0
    for char in word:
        script = _script(char)
        if script == "*":
            stray += 1  # a mark that NFC could not compose with its letter
        elif script:
            scripts[script] += 1
    if stray > 1 or _script(word[0]) == "*":
        return False
    if len(scripts) <= 1 or set(scripts) <= _CJK:
        return True
    return len(scripts) == 2 and min(scripts.values()) == 1 and all(map(_basic, word))


def _basic(char: str) -> bool:
    """A letter of basic Latin (to Latin Extended-B), basic Greek or Cyrillic, or a mark."""
    return ord(char) < 0x0250 or 0x0300 <= ord(char) < 0x0500


def unreadable_head(text: str) -> tuple[int, str] | None:
    """The first unreadable line among the first :data:`HEAD_LINES` lines of ``text``, as
    (line number, reason), or ``None``.

    A page can read as text on the whole while the line that carries its title is set in a
    font without a Unicode map (a display font, a logo): the title cannot be found, and its
    absence proves nothing. Each line is judged by :func:`assess_text`'s own shares.
    """
    lines = [line for line in text.splitlines() if line.strip()][:HEAD_LINES]
    for number, line in enumerate(lines, 1):
        if sum(not char.isspace() for char in line) < MIN_HEAD_LINE_CHARS:
            continue
        reason = assess_text(line).reason
        if reason is not None:
            return number, reason
    return None
