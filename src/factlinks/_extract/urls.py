"""URLs in plain text, the part every reader shares.

Text pulled out of a PDF wraps long URLs across lines. A URL that ends a line is joined with
the next line's first token when that token can be the rest of a URL: it is made of URL
characters and has a URL sign in it (``.../KI-Trainer/`` + ``ki-trainer.html``;
``.../Austausch-`` + ``mit-der-betrieblichen-Praxis/...``), or it is a lower-case word after a
dot (``lgpl.`` + ``html``), a word after ``_``/``-``, a ``name=`` after ``?``; never a token
with a scheme (``7http://...``, a footnote number glued to its URL), a ``www.`` host, a line
that starts a list item, or after a closing bracket the URL does not own. Where the page
geometry is known (:class:`Layout`, a PDF), it decides whether the line break was forced;
in plain text a token followed by more text on its line is joined only after a character no
URL ends with in prose (``.``, ``-``, ``_``, ``=``, ...). A scheme alone at a line end
(``https://``, ``https:`` + ``//...``) and PDFium's mark of a hyphen set at a line end always
go on.

Each URL carries the reference entry it stands in (:attr:`CitedUrl.text`): the lines of its
list item or paragraph, see :class:`_Entries`.

The rules, checked against the public suites in ``tests/fixtures/url_suites`` (linkify-it,
cmark-gfm, twitter-text, Django, urlextract, the CommonMark spec, lychee, pypi-simple):

- a URL starts at ``http://`` or ``https://`` (not after ``_``, nor after a ``#``, ``@`` or
  ``$`` that begins a word: a hashtag, mention or cashtag) and ends at white space, a control
  character (NUL included), ``<>`` `````` ``\\`` ``^``, punctuation of other scripts
  (full-width bar, comma and full stop, CJK brackets, typographic quotes), or a CJK character
  glued to ASCII letters or digits (``/abcde한국``);
- a URL right after an opening bracket ends at the bracket that closes it
  (``[a](http://x/210)trololo``, ``[http://x/a]``);
- trailing punctuation goes (``.,;:!?*~|``), so do unbalanced closing brackets, a trailing
  quote that closes nothing and a possessive ``'s``: ``wiki/Foo_(bar)``, ``blah_[other]``,
  ``P1|0||P2|0`` and ``'singlequoted'`` stay whole, an apostrophe between letters (``I'm``)
  is not a quote;
- a second ``http(s)://`` inside a URL starts a new one (two URLs glued without a space),
  unless it follows ``=``, ``?``, ``&`` or ``#`` (a query value) or an archive's time stamp
  (``/web/20240101000000/https://...``, ``/newest/https://...``);
- the authority ends at a bracket, quote or sentence mark (``https://www.ibm.com)[x]``);
- the host must be a host name: labels of letters, digits and inner ``-``/``_``, no empty label
  (``http://.example.com``), none starting or ending with ``-`` or ``_``
  (``http://-example.com``, ``http://example.com_``), and not a bare ``www``; a dotted name
  ends in a top-level label of two letters or more (or ``xn--``: not ``http://a.x``,
  ``http://192.1.1/``) after a label without ``_`` (``http://twitter_underscore.com``: a
  registrable name has none); a top-level label that runs on into ``-…`` at the end is cut
  there (``http://domain.com-that-…``); no empty user name (``http://@foo.com``); IPv4 and
  IPv6 addresses (``http://[::1]/``) are kept, and so are hosts of one name
  (``http://localhost:8000``, ``http://host-name``);
- a ``t.co`` link (Twitter's shortener) ends where its path of letters and digits ends
  (``http://t.co/8MkmHU0k+c``);
- a line that starts like a link without a scheme (``example.com/path``) does not continue the
  URL of the line before unless that URL ends in a separator (``/``, ``-``, ``.``, …).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urlsplit

from .._registry.validate import url_problem
from .interface import CitedUrl
from .proposals import propose

__all__ = [
    "SOFT_HYPHEN",
    "Layout",
    "entry_text",
    "link_target",
    "strip_url",
    "unique",
    "urls_in_lines",
    "urls_in_text",
    "valid_url",
]

_STOPS = (
    "\uff5c\uff0c\u3002\u3001\uff1b\uff1a\uff01\uff1f"
    "\uff08\uff09\u3010\u3011\u300c\u300d\u300e\u300f"
    "\u300a\u300b\u3008\u3009\u201c\u201d\u201e\u201f"
    "\u00ab\u00bb\u2039\u203a\u2018\u2019"
    "\u200b\ufeff"
)
"""Punctuation of other scripts and invisible breaks: each ends a URL wherever it stands."""
_URL_RE = re.compile(r"""(?<!_)https?://[^\s\x00-\x1f\x7f<>`\\^""" + _STOPS + "]+", re.IGNORECASE)
_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)
_ARCHIVE_STAMP_RE = re.compile(r"\d{4,14}[a-z_*]*|web|newest|oldest", re.IGNORECASE)
"""The path segment before an archived URL: a time stamp (``20240101000000id_``) or a name."""
_AUTHORITY_RE = re.compile(r"""https?://(?:\[[0-9a-f:.]*\])?[^/?#()\[\]{}'"*,;!]*""", re.IGNORECASE)
"""Scheme and authority: brackets, quotes and sentence punctuation end a host, not a path."""
_LABEL_RE = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_SCHEME_END_RE = re.compile(r"(?<![\w/])(https?:(?://)?)\s*$", re.IGNORECASE)
"""A line that ends with a URL's scheme and colon, its ``//`` wrapped to the next line."""
_QUERY_RE = re.compile(r"[\w.~-]+=")
_FRAGMENT_RE = re.compile(r"""[A-Za-z0-9._~%/?#=&+:;@!$*,()-]+""")
_FRAGMENT_SIGNS = frozenset("/._-=%?&")
_TRAILING = ".,;:!?*~|"
_SENTENCE_END = _TRAILING + "'\""
_QUOTES = "'\""
_BREAKS = frozenset("/?&=#")
"""Characters after which every typesetter may break a URL at a line end (LaTeX's url
package also breaks after ``.``, ``_`` and ``@``; word processors, breaking as Unicode's line
breaking rules say, not there)."""
_NEVER_LAST = ("_", "-", "#", "=", "&", "%", "~")
"""What a URL cut at a line end may end with that no sentence ends with."""
_CUT_ENDS = tuple("/.?&=#_@-")
"""How a URL that goes on with digits only may end its line (``/archiv/`` + ``2019/10/``)."""
_OPEN_ENDS = (".", "-", "_", "?", "=", "&", "#", "%", "~", "+", ":")
"""How a URL cut at a line end inside running text ends (a plain text cannot show more)."""
_JOINED = "\uffff"
"""Where a wrapped URL was joined, until the joins are read (a ``/-`` there is dblatex's)."""
SOFT_HYPHEN = "\ufffe"
"""PDFium's mark for a hyphen at a line end (the hyphen and the break in one character)."""
_ITEM_RE = re.compile(
    r"^\s*(?:[\u2022\u2023\u25aa\u25cf\u25e6\u2043\u2219*\u2013\u2014-]|\[\d{1,4}\]|\(?\d{1,4}[.)])\s+"
)
"""A line that starts a list item: a bullet, a dash, ``[3]``, ``1.``, ``(2)``."""
_SOFT_INSIDE_RE = re.compile("(?<=[^\\W\\d_])\ufffe(?=[a-z\u00df-\u00f6\u00f8-\u00ff])")
"""PDFium's hyphenation mark between two letters of one word: the word joined."""
_MAX_ENTRY_LINES = 12
_MAX_ENTRY_CHARS = 600
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}
_OPENING = frozenset(_PAIRS.values())
_CLOSING = {opening: closing for closing, opening in _PAIRS.items()}
_SIGILS = "#@$"
"""A hashtag, mention or cashtag sign: ``#http://...`` at the start of a word is no link."""
_CJK_GLUE_RE = re.compile(
    r"(?<=[A-Za-z0-9])[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
)
"""A CJK character glued to ASCII letters or digits: the text after a URL, not its path."""
_TLD_CUT_RE = re.compile(r"(https?://[^/?#]*\.[^\W\d_]{2,})-[^/?#.]*$", re.IGNORECASE)
"""A host whose top-level label runs on into ``-…`` (``domain.com-that-you-…``)."""
_TCO_RE = re.compile(r"https?://t\.co/[A-Za-z0-9]+", re.IGNORECASE)
"""A link of Twitter's shortener: its path is letters and digits, nothing else."""
_SCHEMELESS_RE = re.compile(r"[^\W_][\w-]*(?:\.[\w-]+)*\.[^\W\d_]{2,}/")
"""The start of a link without a scheme (``example.com/path``)."""


def strip_url(url: str) -> str:
    """``url`` without trailing punctuation, unbalanced brackets and quotes that close nothing.

    Linear in the length of ``url``: brackets and quotes are counted once, then kept up to date.
    """
    counts = {c: url.count(c) for c in "()[]{}<>"}
    counts.update({q: _quote_marks(url, q) for q in _QUOTES})
    end = len(url)
    while end and _strippable(url[end - 1], counts):
        counts[url[end - 1]] = counts.get(url[end - 1], 0) - 1
        end -= 1
    return url[:end]


def _strippable(last: str, counts: dict[str, int]) -> bool:
    if last in _TRAILING or last in _OPENING:
        return True
    if last in _PAIRS:
        return counts[_PAIRS[last]] < counts[last]
    return last in _QUOTES and counts[last] % 2 == 1


def _quote_marks(url: str, quote: str) -> int:
    """How many ``quote`` characters in ``url`` are quote marks, not apostrophes (``I'm``)."""
    marks = 0
    for at, char in enumerate(url):
        if char == quote:
            inner = 0 < at < len(url) - 1 and url[at - 1].isalnum() and url[at + 1].isalnum()
            marks += not inner
    return marks


def valid_url(url: str) -> bool:
    """True for a URL a registry may cite: http(s), a host name, a valid port, no white space.

    The same rule as the registry's (:func:`factlinks._registry.validate.url_problem`), so
    ``extract --write`` never appends a URL the registry then refuses.
    """
    return url_problem(url) is None


_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_SCHEME_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?")


def link_target(href: str) -> str:
    """An explicit link target (an HTML ``href``, a Markdown destination) as a URL parser
    reads it (the WHATWG URL standard): the white space around it and any tab or newline in it
    removed, a space in its path, query or fragment percent-encoded (``page 4.html`` gives
    ``page%204.html``, the URL a browser fetches). A space in the host stays, so the target
    stays no valid URL. Nothing else is changed: the target is otherwise kept as written.
    """
    target = href.strip().translate(_TAB_NEWLINE)
    prefix = _SCHEME_AUTHORITY.match(target)
    end = prefix.end() if prefix else 0
    return target[:end] + target[end:].replace(" ", "%20")


class Layout(Protocol):
    """What the page geometry says about the lines of a text (a PDF page's; see :mod:`.pdf`)."""

    def wrapped(self, line: int, following: int, start: int, length: int) -> bool | None:
        """Whether ``line`` ends at the right edge of its text block, so that the first
        ``length`` characters from ``start`` of line ``following`` did not fit on it (a URL
        wrapped); ``None`` when the geometry cannot tell."""
        ...

    def new_entry(self, line: int) -> bool:
        """Whether ``line`` starts a new paragraph (a gap above it, another column)."""
        ...


def _first_token(line: str, start: int) -> tuple[int, int]:
    """The start and end of the first white-space separated token of ``line`` from ``start``."""
    begin = start
    while begin < len(line) and line[begin].isspace():
        begin += 1
    end = begin
    while end < len(line) and not line[end].isspace():
        end += 1
    return begin, end


def _fragment(url: str, token: str) -> bool:
    """Whether ``token`` can be the rest of ``url``, cut off at a line end."""
    if not token or "://" in token:
        return False
    if _certain(url):
        return _URL_RE.match("http://" + token) is not None
    if not _FRAGMENT_RE.fullmatch(token) or _URL_RE.match(token):
        return False
    if token.lower().startswith(("www.", "http")) or _closed(url):
        return False
    if _SCHEMELESS_RE.match(token) and not url.endswith(tuple(_FRAGMENT_SIGNS)):
        return False  # a link of its own on the next line (example.com/path), not the rest
    core = token.rstrip(_TRAILING + ")]}>'\"")
    if url.endswith(".") and core.isalnum():
        # cut after a dot: a host ("https://tex.stackexchange." + "com") or a file name
        # ("licenses/lgpl." + "html."); a capital starts the next sentence instead
        return token[0].islower()
    if url.endswith(_NEVER_LAST) and core.isalnum():
        return True  # no sentence ends so: "Studie_" + "2021", "ArabTeX.pm#" + "DESCRIPTION"
    if url.endswith("?"):
        return _QUERY_RE.match(token) is not None  # "forumdisplay.php?" + "f=38"
    return _shaped(url, token)


def _shaped(url: str, token: str) -> bool:
    """Whether ``token`` looks like the rest of a URL that ended its line with ``url``."""
    if not _FRAGMENT_SIGNS & set(token.rstrip(_TRAILING)):
        return False  # a plain word ("and", "Mittelstand") is text, not the rest of a URL
    if not any(char.isalpha() for char in token) and not url.endswith(_CUT_ENDS):
        return False  # a date or page range after a whole URL ("bericht.pdf" + "2019-10.")
    if url.endswith(".") and token[0].isupper():
        return False  # a sentence ended with the URL; the next one starts
    return not (url.endswith(tuple(_SENTENCE_END)) and not url.endswith("."))


def _closed(url: str) -> bool:
    """Whether ``url`` ends with a closing bracket that is not its own (``…/Usenet.)``)."""
    return url[-1] in _PAIRS and strip_url(url) != url


def _certain(url: str) -> bool:
    """Whether ``url`` surely goes on after its line end: the typesetter hyphenated it (PDFium
    marks that), or it is nothing but its scheme yet."""
    return url.endswith((SOFT_HYPHEN, "://")) or url.lower() in ("http:", "https:")


def _chunk(token: str) -> int:
    """The length of ``token``'s first piece up to a break a typesetter allows in a URL."""
    for at, char in enumerate(token):
        if char in _BREAKS:
            return at + 1
    return len(token)


@dataclass(slots=True)
class _Found:
    """A URL candidate: its text and where it stands (line, start, end) on each line."""

    url: str
    spans: list[tuple[int, int, int]]


class _Scanner:
    """The URL candidates of a text, line by line, wrapped ones joined (see the module)."""

    def __init__(self, lines: Sequence[str], layout: Layout | None) -> None:
        self.lines = lines
        self.layout = layout
        self.starts = [0] * len(lines)

    def scan(self) -> list[_Found]:
        found: list[_Found] = []
        for index, line in enumerate(self.lines):
            matches = list(_URL_RE.finditer(line, self.starts[index]))
            for number, match in enumerate(matches):
                if _after_sigil(line, match.start()):
                    continue
                candidate = _Found(match.group(), [(index, match.start(), match.end())])
                if number == len(matches) - 1 and not line[match.end() :].strip():
                    self._join(candidate)
                found.append(candidate)
            split = self._split_scheme(index, matches[-1].end() if matches else 0)
            if split is not None:
                found.append(split)
        return found

    def _split_scheme(self, index: int, start: int) -> _Found | None:
        """A URL of which only the scheme ends line ``index`` (``https:``, ``https://``), and
        the rest starts the next line."""
        scheme = _SCHEME_END_RE.search(self.lines[index], max(start, self.starts[index]))
        if scheme is None or index + 1 >= len(self.lines):
            return None
        following = self.lines[index + 1]
        begin, end = _first_token(following, self.starts[index + 1])
        slashes = scheme.group(1).endswith("//")
        token = following[begin:end]
        if token.startswith("/") == slashes or not _fragment(scheme.group(1), token.lstrip("/")):
            return None
        candidate = _Found(scheme.group(1), [(index, scheme.start(1), scheme.end(1))])
        candidate.url += token
        candidate.spans.append((index + 1, begin, end))
        self.starts[index + 1] = end
        if not following[end:].strip():
            self._join(candidate)
        return candidate

    def _join(self, candidate: _Found) -> None:
        """Add to ``candidate`` the pieces of the following lines it wrapped onto."""
        following = candidate.spans[-1][0] + 1
        while following < len(self.lines):
            piece = self._continuation(candidate.url, candidate.spans[-1][0], following)
            if piece is None:
                return
            begin, end = piece
            candidate.url += _JOINED + self.lines[following][begin:end]
            candidate.spans.append((following, begin, end))
            self.starts[following] = end
            if self.lines[following][end:].strip():
                return  # the URL ended inside this line
            following += 1

    def _continuation(self, url: str, line: int, following: int) -> tuple[int, int] | None:
        """Where the rest of ``url`` (ending ``line``) stands on line ``following``, if there."""
        text = self.lines[following]
        if _ITEM_RE.match(text):
            return None  # the next line starts a list item: "3. RFC 5280 ..."
        begin, end = _first_token(text, self.starts[following])
        token = text[begin:end]
        if not _fragment(url, token):
            return None
        whole = not text[end:].strip()
        verdict = True if _certain(url) else None
        if verdict is None and self.layout is not None:
            if self.layout.new_entry(following):
                return None
            verdict = self.layout.wrapped(line, following, begin, _chunk(token))
        if verdict is None:
            verdict = whole or url.endswith(_OPEN_ENDS)
        return (begin, end) if verdict else None


def urls_in_text(text: str, document: str, *, where: str = "line") -> list[CitedUrl]:
    """The URLs in plain ``text``, wrapped ones joined, in order of appearance, each with the
    reference entry it stands in as its :attr:`CitedUrl.text`.

    ``where`` names the location: ``"line"`` gives ``line N``; anything else is used as is.
    """
    return urls_in_lines(text.splitlines(), document, where=where)


def urls_in_lines(
    lines: Sequence[str],
    document: str,
    *,
    where: str = "line",
    layout: Layout | None = None,
    hyphenates_urls: bool = False,
) -> list[CitedUrl]:
    """The URLs in ``lines`` (see :func:`urls_in_text`), with the page geometry of ``layout``
    deciding where a URL wrapped and where a paragraph ends, when there is one.

    A hyphen marked as set at a line end (:data:`SOFT_HYPHEN`) inside a URL is the URL's own
    (LaTeX's url package, word processors break a URL after its hyphens) unless it follows a
    ``/`` (dblatex's mark of a break) or ``hyphenates_urls`` says the producer hyphenates
    URLs like words (Apache FOP).
    """
    found = _Scanner(lines, layout).scan()
    entries = _Entries(lines, found, layout)
    cited: list[CitedUrl] = []
    for candidate in found:
        first = candidate.spans[0][0]
        place = f"line {first + 1}" if where == "line" else where
        line, start, _ = candidate.spans[0]
        before = lines[line][start - 1] if start else ""
        pieces = _text_urls(_dehyphenated(candidate.url, hyphenates_urls), before)
        entry = entries.text(first) if pieces else ""
        cited.extend(CitedUrl(piece, document, place, entry) for piece in pieces)
    return cited


class _Entries:
    """The reference entries of a text: list items and paragraphs, URLs left out.

    A blank line ends an entry, a bullet or a number (``•``, ``-``, ``[3]``, ``1.``) starts
    one, and so does a gap in the page geometry. A line of nothing but URLs that opens an
    entry is a list of bare links, not a reference entry: its URLs get no text.
    """

    def __init__(self, lines: Sequence[str], found: Sequence[_Found], layout: Layout | None):
        self.lines = lines
        self.layout = layout
        self.cut: dict[int, list[tuple[int, int]]] = {}
        for candidate in found:
            for line, begin, end in candidate.spans:
                self.cut.setdefault(line, []).append((begin, end))
        self.lists: set[int] = set()
        for line in sorted(self.cut):
            if not self._rest(line).strip() and (self._opens(line) or line - 1 in self.lists):
                self.lists.add(line)
        self._cache: dict[int, str] = {}

    def _rest(self, line: int) -> str:
        """Line ``line`` without its URLs."""
        text = self.lines[line]
        for begin, end in sorted(self.cut.get(line, []), reverse=True):
            text = text[:begin] + " " + text[end:]
        return text

    def _opens(self, line: int) -> bool:
        """Whether ``line`` opens an entry: after a blank line, with a marker, after a gap."""
        if line == 0 or not self.lines[line - 1].strip() or _ITEM_RE.match(self.lines[line]):
            return True
        return self.layout is not None and self.layout.new_entry(line)

    def _starts(self, line: int) -> bool:
        return self._opens(line) or line - 1 in self.lists

    def text(self, line: int) -> str:
        """The text of the entry ``line`` stands in, without its URLs."""
        if line in self.lists:
            return ""
        first = line
        while first > 0 and line - first < _MAX_ENTRY_LINES and not self._starts(first):
            first -= 1
        if first not in self._cache:
            last = line
            while (
                last + 1 < len(self.lines)
                and last + 1 - first < _MAX_ENTRY_LINES
                and self.lines[last + 1].strip()
                and not self._starts(last + 1)
            ):
                last += 1
            self._cache[first] = entry_text([self._rest(n) for n in range(first, last + 1)])
        return self._cache[first]


def entry_text(lines: Sequence[str]) -> str:
    """``lines`` as one line of text: white space collapsed, a word hyphenated at a line end
    joined ("Transfor-" + "mation"; "KI-" + "Anwendung" keeps its hyphen), a leading list
    marker and a heading before a bullet dropped, at most 600 characters."""
    text = ""
    for raw in lines:
        line = " ".join(_SOFT_INSIDE_RE.sub("", raw).replace(SOFT_HYPHEN, "-").split())
        if not line:
            continue
        if text.endswith("-") and len(text) > 1 and text[-2].islower() and line[0].islower():
            text = text[:-1] + line
        elif text.endswith("-") and len(text) > 1 and text[-2].isalpha():
            text += line
        else:
            text = f"{text} {line}" if text else line
    text = text.rpartition("\u2022")[2]  # a bullet inside the line: a heading before it
    text = _ITEM_RE.sub("", text, count=1)
    return " ".join(text.split())[:_MAX_ENTRY_CHARS].strip()


def _dehyphenated(url: str, hyphenates_urls: bool) -> str:
    """``url`` with its line-end hyphens (:data:`SOFT_HYPHEN`) read (see :func:`urls_in_lines`)."""
    url = url.replace("/" + SOFT_HYPHEN, "/").replace("/-" + _JOINED, "/")
    return url.replace(SOFT_HYPHEN, "" if hyphenates_urls else "-").replace(_JOINED, "")


def _text_urls(candidate: str, before: str = "") -> list[str]:
    """The URLs in one run of URL characters: glued ones split, each stripped and checked.

    ``before`` is the character before the run: a bracket there may close inside it.
    """
    urls = []
    for piece in _unglued(candidate):
        url = _bracket_cut(before, _glue_cut(piece))
        before = piece[-1]
        url = _short_cut(_possessive_cut(strip_url(_tld_cut(_authority_cut(url)))))
        if valid_url(url) and _plausible_host(url):
            urls.append(url)
    return urls


def _after_sigil(line: str, start: int) -> bool:
    """Whether the URL at ``start`` follows a ``#``, ``@`` or ``$`` that begins a word."""
    if start == 0 or line[start - 1] not in _SIGILS:
        return False
    return start == 1 or line[start - 2].isspace()


def _bracket_cut(before: str, url: str) -> str:
    """``url`` up to the bracket that closes ``before`` (``(http://x/a)text``, ``[http://x]``).

    A bracket opened inside the URL and closed again stays (``wiki/Foo_(bar)``).
    """
    closing = _CLOSING.get(before)
    if closing is None or closing == ">":
        return url
    depth = 0
    for at, char in enumerate(url):
        if char == _PAIRS[closing]:
            depth += 1
        elif char == closing:
            if not depth:
                return url[:at]
            depth -= 1
    return url


def _glue_cut(piece: str) -> str:
    """``piece`` cut where a CJK character is glued to its ASCII letters (``/abcde한국``)."""
    match = _CJK_GLUE_RE.search(piece)
    return piece[: match.start()] if match else piece


def _tld_cut(piece: str) -> str:
    """``piece`` cut after its top-level domain when ``-`` runs on from it, nothing after."""
    match = _TLD_CUT_RE.match(piece)
    return match.group(1) if match else piece


def _short_cut(url: str) -> str:
    """``url`` cut after its path when it is a ``t.co`` link: Twitter's shortener makes paths
    of letters and digits only, so what follows is the text's (``http://t.co/FNkPfmii-``)."""
    match = _TCO_RE.match(url)
    return match.group() if match else url


def _possessive_cut(url: str) -> str:
    """``url`` without a possessive ``'s`` (``http://t.co/x's website``)."""
    return strip_url(url[:-2]) if url.endswith("'s") else url


def _unglued(candidate: str) -> list[str]:
    """``candidate`` cut before each ``http(s)://`` that starts a second URL glued to it."""
    pieces = []
    start = 0
    for match in _SCHEME_RE.finditer(candidate, 1):
        if _glued(candidate[start : match.start()]):
            pieces.append(candidate[start : match.start()])
            start = match.start()
    pieces.append(candidate[start:])
    return pieces


def _glued(before: str) -> bool:
    """Whether a URL that follows ``before`` is glued to it rather than a part of it."""
    if before.endswith(("=", "?", "&", "#")):
        return False  # a query value (?url=https://...)
    segment = before.removesuffix("/").rpartition("/")[2]
    return not (before.endswith("/") and _ARCHIVE_STAMP_RE.fullmatch(segment))


def _authority_cut(piece: str) -> str:
    """``piece`` cut where its authority meets a character no host name has (``.com)[x]``)."""
    match = _AUTHORITY_RE.match(piece)
    end = match.end() if match else len(piece)
    if end < len(piece) and piece[end] not in "/?#":
        return piece[:end]
    return piece


def _plausible_host(url: str) -> bool:
    """Whether ``url``'s host is a host name (or an IPv6 address), not junk from the text."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.netloc.startswith("@"):
        return False  # an empty user name (http://@foo.com)
    if ":" in host:
        return True  # an IPv6 address, which urlsplit and httpx have checked
    host = host.removesuffix(".")
    if host == "www":
        return False  # a URL cut off after "www" or "www."
    if _is_ipv4(host):
        return True
    labels = host.split(".")
    if len(labels) == 1:
        return bool(_LABEL_RE.fullmatch(host))  # a host of one name (http://host-name)
    if not _top_level(labels[-1]):
        return False  # no top-level domain (http://192.1.1/, http://a.x)
    if "_" in labels[-2]:
        return False  # a registrable name has no "_" (http://twitter_underscore.com)
    return all(_LABEL_RE.fullmatch(label) for label in labels)


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _top_level(label: str) -> bool:
    """Whether ``label`` can be a top-level domain: two letters or more, or IDNA (``xn--``)."""
    return (label.isalpha() and len(label) >= 2) or label.lower().startswith("xn--")


def unique(found: Iterable[CitedUrl]) -> list[CitedUrl]:
    """``found`` with each URL once, where it first appears, with the best text it is cited
    with: the first that gives a title (a URL first cited as "KfW 2021" in the text and then
    by its title in the reading list takes the reading list's), else the first there is.

    Only a URL cited more than once has its texts weighed (:func:`.proposals.propose`).
    """
    first: dict[str, CitedUrl] = {}
    settled: set[str] = set()  # URLs whose kept text gives a title
    for cited in found:
        known = first.get(cited.url)
        if known is None:
            first[cited.url] = cited
        elif cited.url in settled or not cited.text:
            continue
        elif known.text and _gives_title(known.text):
            settled.add(cited.url)
        elif _gives_title(cited.text):
            first[cited.url] = replace(known, text=cited.text)
            settled.add(cited.url)
        elif not known.text:
            first[cited.url] = replace(known, text=cited.text)
    return list(first.values())


def _gives_title(text: str) -> bool:
    return propose(text).title is not None
