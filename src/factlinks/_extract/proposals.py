"""What the text a URL is cited with says: a ``citation``, and a ``title`` when it looks like one.

:func:`propose` turns :attr:`CitedUrl.text <factlinks.CitedUrl.text>` (a link's text, or the
reference entry a bare URL stands in) into a :class:`Proposal`; ``extract --write`` writes the
citation as ``citation`` and the title as ``proposed_title``, which the first ``check``
confirms or demotes. The rules are language-neutral where they can be, with the German and
English words documents use:

**Citation** (:func:`citation_of`): the text with white space collapsed, without the URLs in
it, without a bullet or a reference number in front (``•``, ``-``, ``1.``, ``[1]``, ``(1)``,
``↑``, ``^``), without a lead-in (``see``, ``cf.``, ``vgl.``, ``siehe``, ``Quelle:``,
``Source:``, ``Link:``, ``Online:``, …) and without the access note of a reference entry
(``Retrieved …``, ``[Online]. Available:``, ``(accessed …)``, ``abgerufen am …``, ``online
verfügbar unter``, …), cut to :data:`MAX_CITATION` characters at a word.

**Title** (:func:`title_of`), from the citation:

1. a quoted part of at least two words (``"Title," in Proc. …``, ``„Titel“``, ``«Titre»``):
   how IEEE, MLA, Chicago and Wikipedia references set a title;
2. else, in a reference entry that starts with its authors and year (``Müller, A. (2021):
   Titel. Reihe.``, ``Smith, J. (2021). Title. Publisher.``, ``Smith, John. 2021. Title.``,
   ``KfW Research Nr. 318 (2021): Titel``), the sentence after the year (up to its first
   ``,`` when a comma follows the year: ``OECD (2019), Title, OECD Publishing``);
3. else, in an entry of several sentences, the first, or the second when the first is a
   name (``European Commission. Title. Publisher, 2021.``, ``Müller, Anna. Title.``);
4. else the text itself; in each case without a ``[PDF]`` in front, a ``(PDF, 1,2 MB)``-style
   note or an organisation in brackets (``(BMWK)``) behind, or a final ``:``.

What comes out is a title only if it looks like one: at least :data:`MIN_WORDS` words with
letters and :data:`MIN_LETTERS` letters, at most :data:`MAX_WORDS` words and
:data:`MAX_TITLE` characters; not a generic link text (``here``, ``click here``, ``hier``,
``mehr``, ``link``, ``PDF``, ``this page``, ``Download``, …) or a call to click (``… finden
Sie hier``), not a URL, domain or file name,
not a date, not a lone author and year (``Müller 2021``, ``(Müller & Schmidt, 2021)``,
``Smith et al. 2019``), not a sentence of prose (a number with ``%``, or a text that ends in a
full stop after more than :data:`MAX_WORDS` words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_CITATION",
    "MAX_TITLE",
    "MAX_WORDS",
    "MIN_LETTERS",
    "MIN_WORDS",
    "Proposal",
    "citation_of",
    "looks_like_url",
    "propose",
    "title_of",
]

MAX_CITATION = 300
"""A citation longer than this (characters) is cut at a word and ends in ``…``."""
MAX_TITLE = 200
"""A title longer than this (characters) is not proposed."""
MAX_WORDS = 30
"""A title of more words than this is not proposed (it is a paragraph)."""
MIN_WORDS = 2
"""A title needs this many words with letters: one word is found on almost any page."""
MIN_LETTERS = 8
"""... and this many letters."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a cited URL's text proposes for its source."""

    citation: str | None
    """How the document cites it (``citation``), or ``None`` when the text says nothing."""
    title: str | None
    """The title it seems to give (``proposed_title``), or ``None``."""


def propose(text: str) -> Proposal:
    """The citation and, when there is one, the title in the text a URL is cited with.

    Example::

        >>> propose("• Müller, A. (2021): Künstliche Intelligenz im Mittelstand. KfW Nr. 318.")
        Proposal(citation='Müller, A. (2021): Künstliche Intelligenz im Mittelstand. KfW Nr. 318.',
                 title='Künstliche Intelligenz im Mittelstand')
        >>> propose("hier")
        Proposal(citation='hier', title=None)
    """
    citation = citation_of(text)
    return Proposal(citation, title_of(citation) if citation else None)


# -- the citation -----------------------------------------------------------------------------

_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_BULLET_RE = re.compile(
    r"^(?:[•·▪◦‣∙*●○■□►▸➢✓\u2013\u2014-]+|\^|↑|\[\d{1,4}[a-z]?\]|\(\d{1,4}\)|\d{1,4}[.)](?=\s)|[a-z]\))\s*"
)
_LEAD_IN_RE = re.compile(
    r"^(?:(?:(?:see(?: also)?|cf|compare|vgl|siehe(?: auch)?|mehr (?:dazu|unter)|more at|"
    r"read more at)\b\.?|s\.)\s*:?|"
    r"(?:quellen?|sources?|via|links?|online|url|download|mehr|more|read more|"
    r"weitere informationen|further reading|weiterf(?:ü|ue)hrende literatur|literatur|"
    r"references?|nachweis|fundstelle)\s*:)(?:\s+|$)",
    re.IGNORECASE,
)
"""A word that points (``see``, ``vgl.``), or a label with its colon (``Quelle:``,
``Download:``): a label without one is a word of the text (``Download statistics``)."""
_ACCESS_RE = re.compile(
    r"(?<!\w)(?:"
    r"\[online\]\.?|online verf(?:ü|ue)gbar(?: unter)?|verf(?:ü|ue)gbar unter|abrufbar unter|"
    r"available(?: online)?(?: at| from)?:?|retrieved(?: on)? [^,]*?(?:, from|from)|"
    r"\(?(?:retrieved|(?:last )?accessed|(?:zuletzt )?(?:abgerufen|aufgerufen|zugegriffen)|"
    r"(?:letzter )?zugriff|stand)(?: am| on)?:? [^)]*\)?|"
    r"url:|online:|doi:?\s*$"
    r")[\s.,;:)]*",
    re.IGNORECASE,
)
_PUNCTUATION_RUN_RE = re.compile(r"\s*([.,;:])(?:\s*[.,;:])+|\s+([.,;:])(?=\s|$)")
"""What removing a URL or an access note leaves: ``2021. .`` is ``2021.``."""
_TAIL_RE = re.compile(r"[\s,;:(\[<\u2013\u2014-]+$")
_BINARY_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")
"""Control characters and U+FFFD: the bytes of a binary file read as text, no citation."""


def looks_like_url(text: str) -> bool:
    """True when ``text`` is a URL, a host name or a path, not words (``https://…``,
    ``www.kfw.de``, ``kfw.de/research``): a link text that says nothing but where it goes."""
    return " " not in text.strip() and bool(
        _URL_RE.match(text.strip()) or _LOCATOR_RE.match(text.strip())
    )


def citation_of(text: str) -> str | None:
    """The citation in ``text``: white space collapsed, without URLs, bullet, number, lead-in
    and access note; cut to :data:`MAX_CITATION` characters. ``None`` when nothing is left.

    Example::

        >>> citation_of("[3] Quelle: KfW (2021): KI. Online verfügbar unter https://kfw.de/x")
        'KfW (2021): KI.'
    """
    citation = " ".join(_URL_RE.sub(" ", text).split())
    citation = _unhyphenated(_without_lead(citation))
    citation = _ACCESS_RE.sub(" ", citation)
    citation = _PUNCTUATION_RUN_RE.sub(_first_mark, " ".join(citation.split()))
    citation = _TAIL_RE.sub("", citation).strip()
    citation = citation.replace("()", "").replace("<>", "").strip()
    if not any(c.isalnum() for c in citation) or _BINARY_RE.search(citation):
        return None
    if len(citation) > MAX_CITATION:
        cut = citation[: MAX_CITATION - 1].rsplit(" ", 1)[0]
        citation = _TAIL_RE.sub("", cut) + "…"
    return citation


def _first_mark(match: re.Match[str]) -> str:
    """The first mark of a run of punctuation (``. ,`` is ``.``), without the space before."""
    return match.group(1) or match.group(2)


def _without_lead(text: str) -> str:
    """``text`` without the bullets, numbers and lead-ins in front of it (several, in any
    order: ``• [2] Siehe: …``)."""
    while True:
        shorter = _LEAD_IN_RE.sub("", _BULLET_RE.sub("", text, count=1), count=1)
        if shorter == text:
            return text
        text = shorter


_SPLIT_WORD_RE = re.compile(
    r"(\w{2,})- (?!(?:und|oder|bzw|sowie|bis|als|and|or|to)\b)([a-zäöüß]\w*)"
)


def _unhyphenated(text: str) -> str:
    """A word hyphenated across a line (``Intel- ligenz``) joined; ``Sprach- und Text…``
    (a German suspended hyphen) kept."""
    return _SPLIT_WORD_RE.sub(r"\1\2", text)


# -- the title --------------------------------------------------------------------------------

_QUOTED_RE = re.compile(r"[\"“„«\u2039»](?P<title>[^\"“”„«»\u2039\u203a]{4,}?)[\"”“»\u203a«]")
_YEAR = r"(?:1[5-9]|20)\d\d[a-z]?|o\.\s?J\.|n\.\s?d\.|o\.\s?D\."
_AUTHOR_YEAR_RE = re.compile(
    rf"^(?P<authors>[^()\[\]]{{1,200}}?)\s*"
    rf"(?:[(\[](?:[^()\[\]]*?,\s*)?(?P<year>{_YEAR})(?:,[^()\[\]]*)?[)\]]|(?<=[.,]\s)(?P<bare>{_YEAR}))"
    r"\s*(?P<mark>[.:,])\s+(?P<rest>\S.*)$"
)
_ABBREVIATION_RE = re.compile(
    r"(?:\b(?:nr|no|vol|bd|hrsg|hg|ed|eds|vgl|bzw|ca|inkl|ggf|usw|etc|st|dr|prof|"
    r"jg|aufl|s|pp|p|z|b|e|v|u|a|d|i|dt|engl|et al|ebd|ibid|jan|feb|febr|mar|apr|"
    r"jun|jul|aug|sep|sept|oct|okt|nov|dec|dez|fig|abb|tab|kap|chap|sec)|\b[A-ZÄÖÜ])$",
    re.IGNORECASE,
)
_NOTE_RE = re.compile(
    r"\s*(?:[(\[][^()\[\]]*\b(?:pdf|docx?|xlsx?|pptx?|html?|kb|mb|gb|seiten|pages|"
    r"englisch|english|deutsch|german|extern|external|neues fenster|new window|video|"
    r"download)\b[^()\[\]]*[)\]]|[(\[][A-ZÄÖÜ][A-ZÄÖÜ0-9&/. -]{1,15}[)\]])\s*$",
    re.IGNORECASE,
)
_GENERIC_TEXTS = frozenset(
    (
        "here",
        "click here",
        "hier",
        "hier klicken",
        "klicken sie hier",
        "link",
        "this link",
        "dieser link",
        "this page",
        "diese seite",
        "website",
        "webseite",
        "homepage",
        "startseite",
        "more",
        "mehr",
        "read more",
        "weiterlesen",
        "mehr lesen",
        "mehr erfahren",
        "learn more",
        "more info",
        "mehr infos",
        "details",
        "info",
        "further information",
        "weitere informationen",
        "download",
        "herunterladen",
        "pdf",
        "full text",
        "volltext",
        "source",
        "quelle",
        "online version",
        "official website",
        "offizielle website",
        "archived copy",
        "archive copy",
        "archived",
        "web archive",
        "original",
        "original source",
        "next",
        "back",
        "weiter",
        "zurück",
        "view online",
    )
)
"""Link texts that name no document (compared case-folded, end punctuation stripped)."""
_GENERIC_WORDS = frozenset(
    " ".join(
        (
            "here hier click klicken sie this these that diese dieser dieses link links page",
            "pages seite seiten more mehr read lesen weiter weiterlesen learn erfahren info",
            "infos details download herunterladen pdf zum zur zu the to go visit website",
            "webseite homepage see siehe online version full text volltext source quelle view",
            "ansehen open öffnen a an der die das den dem und and or oder studie study bericht",
            "report artikel article dokument document paper official offizielle archived",
            "archive copy kopie original new neu neue fenster window html file datei",
            "repository repo github gitlab documentation docs doku wiki wikipedia",
        )
    ).split(" ")
)
"""Words of link texts that name no document: a text of only these is no title
(``Zur Studie``, ``Download the PDF``, ``Open in a new window``)."""
_MONTHS = (
    r"jan(?:uary|uar)?|feb(?:ruary|ruar)?|mar(?:ch)?|märz|apr(?:il)?|ma[iy]|june?|juni|"
    r"july?|juli|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|"
    r"dec(?:ember)?|dez(?:ember)?"
)
_DATE_RE = re.compile(
    rf"^(?:\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}}|(?:\d{{1,2}}\.?\s+)?(?:{_MONTHS})\.?"
    rf"(?:\s+\d{{1,2}},?)?\s+\d{{4}}|\d{{4}}(?:[./-]\d{{1,2}})?|\d{{4}}\s*[-\u2013]\s*\d{{2,4}})$",
    re.IGNORECASE,
)
_AUTHORS_YEAR_RE = re.compile(rf"^\(?(?P<names>[^()]*?)[,:\s]*\(?(?:{_YEAR})\)?\)?$")
_CONNECTOR_RE = re.compile(r",|&|\b(?:and|und|et al|u\. ?a)\b")
_LOCATOR_RE = re.compile(
    r"^(?:[\w.-]+\.(?:de|com|org|net|eu|gov|edu|io|info|uk|at|ch|fr)(?:/\S*)?|"
    r"[\w.~%-]+\.(?:pdf|html?|docx?|xlsx?|pptx?|zip|csv)|[\w.+-]+@[\w.-]+|"
    r"doi:\s*\S+|10\.\d{4,}/\S+|isbn[\s:]*[\d-]+x?)$",
    re.IGNORECASE,
)
_PROSE_RE = re.compile(r"\d\s?%|%\s?\d")


def title_of(citation: str) -> str | None:
    """The title in a citation (the result of :func:`citation_of`), or ``None``.

    Example::

        >>> title_of('[4] J. Smith, "Deep learning for small firms," in Proc. X, 2021.')
        'Deep learning for small firms'
        >>> title_of("Müller 2021") is None
        True
    """
    quoted = _quoted(citation)
    if quoted is not None:
        return quoted if _looks_like_title(quoted) else None
    candidate = _trimmed(_entry_title(citation))
    return candidate if _looks_like_title(candidate) else None


def _entry_title(citation: str) -> str:
    """The part of a citation that would be its title (rules 2 and 3 of the module).

    After an author and year: the sentence that follows (up to the first ``,`` when a comma
    follows the year, as in ``OECD (2019), Title, Publisher``). Without one, a citation of
    several sentences is a reference entry: its first sentence, or the second when the first
    is a name (``European Commission. Title. Publisher, 2021.``, ``Müller, Anna. Title.``).
    """
    entry = _AUTHOR_YEAR_RE.match(citation)
    if entry is not None:
        rest = entry.group("rest")
        return rest.split(", ", 1)[0] if entry.group("mark") == "," else _first_sentence(rest)
    first = _first_sentence(citation)
    if first == citation:
        return citation
    rest = citation[len(first) :].lstrip(". ")
    return _first_sentence(rest) if _is_name(first) and rest else first


def _is_name(text: str) -> bool:
    """True for what reads as the name of an author or organisation: at most four words, each
    capitalised (``European Commission``, ``Müller, Anna``, ``J. R. Smith``)."""
    words = text.replace(",", " ").split()
    return 0 < len(words) <= 4 and all(w[0].isupper() for w in words)


def _quoted(text: str) -> str | None:
    """The first quoted part of at least two words, without its final comma or stop."""
    for match in _QUOTED_RE.finditer(text):
        part = match.group("title").strip().rstrip(",.;:").strip()
        if len(part.split()) >= MIN_WORDS:
            return part
    return None


def _first_sentence(text: str) -> str:
    """``text`` up to its first full stop that ends a sentence (not ``Nr.``, ``A.``, ``4.0``)."""
    for match in re.finditer(r"[.?!](?=\s|$)", text):
        before = text[: match.start()]
        if match.group() == "." and _ABBREVIATION_RE.search(before):
            continue
        return text[: match.end()] if match.group() in "?!" else before
    return text


_LEADING_NOTE_RE = re.compile(r"^[(\[](?:pdf|html?|docx?|video|extern|external)[)\]]\s*", re.I)


def _trimmed(text: str) -> str:
    """``text`` without a file note (``[PDF]`` in front, ``(PDF, 1 MB)`` behind), an
    organisation in brackets behind, or end punctuation."""
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_NOTE_RE.sub("", text)
        text = _NOTE_RE.sub("", text).strip()
        text = text.rstrip(" ,;:\u2013\u2014-").strip()
        if text.endswith(".") and not _ABBREVIATION_RE.search(text[:-1]):
            text = text[:-1].rstrip()
        if text.endswith(")") and text.count(")") > text.count("("):
            text = text[:-1].rstrip()  # a stray bracket (``…im Mittelstand)``)
    return text


def _looks_like_title(text: str) -> bool:
    """True when ``text`` could be a document's title; see the module's rules."""
    words = [w for w in text.split() if any(c.isalnum() for c in w)]
    letters = sum(c.isalpha() for c in text)
    if len(words) < MIN_WORDS or letters < MIN_LETTERS:
        return False
    if len(words) > MAX_WORDS or len(text) > MAX_TITLE:
        return False
    folded = " ".join(text.casefold().strip(" .:!?()[]").split())
    if folded.rsplit(" ", 1)[-1] in ("hier", "here"):
        return False  # "… finden Sie hier", "read the report here": a call to click
    meaningful = [w for w in (w.strip(".,:;!?()[]»«\u203a\u2039") for w in folded.split()) if w]
    if folded in _GENERIC_TEXTS or all(w in _GENERIC_WORDS for w in meaningful):
        return False
    if _DATE_RE.match(folded) or _LOCATOR_RE.match(text) or _author_and_year(text):
        return False
    return not _PROSE_RE.search(text)


def _author_and_year(text: str) -> bool:
    """True for a lone author (or list of authors) and year: ``Müller 2021``, ``(Müller &
    Schmidt, 2021)``, ``Smith et al. 2019``; not ``Annual Report 2020`` (several words with
    no ``,``, ``&``, ``and``, ``et al.`` between them are a title)."""
    match = _AUTHORS_YEAR_RE.match(text)
    if match is None:
        return False
    names = match.group("names")
    words = [w for w in _CONNECTOR_RE.sub(" ", names).split() if w.strip(".")]
    if not words or not all(w[0].isupper() for w in words):
        return False
    return len(words) == 1 or bool(_CONNECTOR_RE.search(names))
