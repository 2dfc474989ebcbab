"""Titles and citations from the text a document cites a URL with (factlinks._extract.proposals).

The table holds link texts and reference entries as real documents set them: Markdown READMEs,
Wikipedia references and external links, the seed fact sheet's German reading list and link
list, and references in APA, Chicago, MLA and IEEE style; each row says the title expected,
or ``None`` where the text is no title.
"""

# ruff: noqa: RUF001  (real reference entries: their dashes are the point)

from __future__ import annotations

import pytest

from factlinks._extract.proposals import MAX_CITATION, Proposal, citation_of, propose, title_of

TITLES = [
    # -- link texts that are titles
    ("Künstliche Intelligenz im Mittelstand", "Künstliche Intelligenz im Mittelstand", "link"),
    (
        "Digital Economy and Society Index (DESI) 2021",
        "Digital Economy and Society Index (DESI) 2021",
        "link-with-acronym",
    ),
    (
        "KI-Monitor 2021: Status quo der KI-Nutzung (PDF, 2,4 MB)",
        "KI-Monitor 2021: Status quo der KI-Nutzung",
        "link-file-note-de",
    ),
    # A name and a year: an author and year as likely as a title; not proposed.
    ("KI-Monitor 2021", None, "name-year-is-ambiguous"),
    ("Annual Report 2020 [PDF, 1.2 MB]", "Annual Report 2020", "link-file-note-en"),
    ("The Rust Programming Language", "The Rust Programming Language", "markdown-readme-book"),
    ("Keep a Changelog", "Keep a Changelog", "markdown-readme-short"),
    ("Plattform Lernende Systeme", "Plattform Lernende Systeme", "programme-name"),
    # -- link texts that are not
    ("here", None, "here"),
    ("click here", None, "click-here"),
    ("Click here!", None, "click-here-bang"),
    ("hier", None, "hier"),
    ("Hier klicken", None, "hier-klicken"),
    ("mehr erfahren", None, "mehr-erfahren"),
    ("Read more »", None, "read-more"),
    ("link", None, "link"),
    ("PDF", None, "pdf"),
    ("Download PDF", None, "download-pdf"),
    ("this page", None, "this-page"),
    ("Zur Studie", None, "zur-studie"),
    ("Official website", None, "wikipedia-official-website"),
    ("Archived copy", None, "wikipedia-archived-copy"),
    ("https://www.kfw.de/research", None, "bare-url"),
    ("www.kfw.de", None, "bare-host"),
    ("kfw.de/research", None, "domain-path"),
    ("Fokus-Nr.-318-Februar-2021-KI.pdf", None, "file-name"),
    ("15.02.2021", None, "date-de"),
    ("February 2021", None, "date-en"),
    ("15 March 2021", None, "date-en-day"),
    ("2021-02-15", None, "date-iso"),
    ("Müller 2021", None, "author-year"),
    ("(Müller & Schmidt, 2021)", None, "author-year-parenthetical"),
    ("Smith et al. 2019", None, "author-et-al-year"),
    ("KfW 2021", None, "org-year"),
    ("[1]", None, "reference-number"),
    ("Eurostat", None, "one-word"),
    ("doi:10.1000/182", None, "doi"),
    # -- reference entries: German fact sheet style (author (year): title. series.)
    (
        "Müller, A. (2021): Künstliche Intelligenz im Mittelstand. KfW Research Nr. 318.",
        "Künstliche Intelligenz im Mittelstand",
        "de-author-year-colon",
    ),
    (
        "• acatech (2021): KI im Mittelstand – Potenziale erkennen, Voraussetzungen schaffen, "
        "Transformation meistern",
        "KI im Mittelstand – Potenziale erkennen, Voraussetzungen schaffen, Transformation "
        "meistern",
        "factsheet-acatech",
    ),
    (
        "• KfW Research Nr. 318 (2021): Künstliche Intelligenz: hohe Wachstumschancen, aber "
        "geringe Verbreitung im Mittelstand)",
        "Künstliche Intelligenz: hohe Wachstumschancen, aber geringe Verbreitung im Mittelstand",
        "factsheet-kfw-stray-bracket",
    ),
    (
        "• Forschungsbeirat der Plattform Industrie 4.0/acatech (2021): Künstliche Intel- "
        "ligenz zur Umsetzung von Industrie 4.0 im Mittelstand",
        "Künstliche Intelligenz zur Umsetzung von Industrie 4.0 im Mittelstand",
        "factsheet-hyphenated-line",
    ),
    (
        "• Universität des Saarlands (2019): Künstliche Intelligenz im europäischen Mittel- "
        "stand: Status quo, Perspektiven und was jetzt zu tun ist.",
        "Künstliche Intelligenz im europäischen Mittelstand: Status quo, Perspektiven und was "
        "jetzt zu tun ist",
        "factsheet-final-stop",
    ),
    (
        "• KI-Trainer Netzwerk der Mittelstand-Digital Zentren (BMWK): "
        "https://www.mittelstand-digital.de/MD/Navigation/DE/Praxis/KI-Trainer/ki-trainer.html",
        "KI-Trainer Netzwerk der Mittelstand-Digital Zentren",
        "factsheet-link-list-org",
    ),
    (
        "• Forschungskooperationen für rasche KI-Innovationen in der Praxis: "
        "https://www.sdil.de/de/sdi-c",
        "Forschungskooperationen für rasche KI-Innovationen in der Praxis",
        "factsheet-link-list",
    ),
    (
        "Sprach- und Textverarbeitung im Mittelstand",
        "Sprach- und Textverarbeitung im Mittelstand",
        "suspended-hyphen-kept",
    ),
    # -- APA
    (
        "Brynjolfsson, E., & McAfee, A. (2017). The business of artificial intelligence. "
        "Harvard Business Review. https://hbr.org/2017/07/the-business-of-ai",
        "The business of artificial intelligence",
        "apa",
    ),
    (
        "World Health Organization. (2020, March 11). WHO Director-General's opening remarks "
        "at the media briefing on COVID-19. Retrieved March 20, 2020, from https://www.who.int/x",
        "WHO Director-General's opening remarks at the media briefing on COVID-19",
        "apa-date-retrieved",
    ),
    # -- Chicago
    (
        'Smith, John. 2021. "Digital Tools in Small Firms." Journal of Small Business 12 (3): '
        "45–67. https://doi.org/10.1000/xyz.",
        "Digital Tools in Small Firms",
        "chicago-article-quoted",
    ),
    (
        "Smith, John. 2019. Artificial Intelligence for Everyone. Chicago: University Press.",
        "Artificial Intelligence for Everyone",
        "chicago-book-author-date",
    ),
    # -- MLA
    (
        'Müller, Anna. "Künstliche Intelligenz im Handwerk." Wirtschaftsdienst, vol. 101, '
        "2021, pp. 12-18.",
        "Künstliche Intelligenz im Handwerk",
        "mla",
    ),
    # -- IEEE
    (
        '[4] J. Smith and A. Jones, "Deep learning for small and medium enterprises," in Proc. '
        "IEEE Conf., 2021, pp. 1–5. [Online]. Available: https://ieeexplore.ieee.org/x",
        "Deep learning for small and medium enterprises",
        "ieee",
    ),
    # -- Wikipedia references (cite web, as rendered)
    (
        '↑ "Artificial intelligence in SMEs". European Commission. 15 March 2021. Retrieved '
        "2 April 2021.",
        "Artificial intelligence in SMEs",
        "wikipedia-cite-web",
    ),
    (
        "^ Smith, John (2019). Artificial Intelligence for Everyone. Chicago: University Press. "
        "ISBN 978-0-00-000000-0.",
        "Artificial Intelligence for Everyone",
        "wikipedia-cite-book",
    ),
    (
        "„Digitalisierung der Wirtschaft in Deutschland“, BMWK, 2021.",
        "Digitalisierung der Wirtschaft in Deutschland",
        "de-quotes",
    ),
    # -- prose, not a title
    (
        "Laut KfW setzen nur 4 % bis 6 % der Mittelständler KI ein (KfW 2021).",
        None,
        "prose-with-percent",
    ),
    (
        "Die Entwicklung von KI-Anwendungen setzt die digitale Erfassung von Daten voraus, und "
        "weil das so ist, brauchen kleine und mittlere Unternehmen vor allem eine technische "
        "Infrastruktur, die sie heute oft noch nicht haben, wie die Studien zeigen.",
        None,
        "prose-long",
    ),
]


@pytest.mark.parametrize(
    ("text", "title"), [row[:2] for row in TITLES], ids=[row[2] for row in TITLES]
)
def test_title_of_a_link_text_or_reference_entry(text: str, title: str | None) -> None:
    assert propose(text).title == title


CITATIONS = [
    ("  KfW   Research\nNr. 318  ", "KfW Research Nr. 318", "white-space"),
    ("see https://example.org/a", None, "only-a-url"),
    ("Quelle: KfW Research (2021)", "KfW Research (2021)", "quelle"),
    ("Source: Eurostat, 2021", "Eurostat, 2021", "source"),
    ("vgl. BMWK (2021)", "BMWK (2021)", "vgl"),
    ("See also: the DESI report", "the DESI report", "see-also"),
    ("• [2] Siehe: KfW (2021)", "KfW (2021)", "bullet-number-lead-in"),
    ("12. Müller (2021): Titel.", "Müller (2021): Titel.", "numbered"),
    (
        "KfW (2021): KI. Online verfügbar unter https://kfw.de/x, zuletzt abgerufen am 15.02.2021.",
        "KfW (2021): KI.",
        "de-access-note",
    ),
    (
        'J. Smith, "AI," 2021. [Online]. Available: https://x.example/ (accessed Feb. 2, 2021).',
        'J. Smith, "AI," 2021.',
        "ieee-access-note",
    ),
    (
        "Smith (2021). Title. Retrieved from https://x.example/",
        "Smith (2021). Title.",
        "apa-retrieved",
    ),
    ("<https://example.org/>", None, "angle-url"),
]


@pytest.mark.parametrize(
    ("text", "citation"), [row[:2] for row in CITATIONS], ids=[row[2] for row in CITATIONS]
)
def test_citation_of_a_text(text: str, citation: str | None) -> None:
    assert citation_of(text) == citation


def test_a_long_citation_is_cut_at_a_word() -> None:
    text = "Bericht " + "über die Digitalisierung " * 40
    citation = citation_of(text)
    assert citation is not None
    assert len(citation) <= MAX_CITATION
    assert citation.endswith("…")
    kept = citation.removesuffix("…")
    whole = " ".join(text.split())
    assert whole.startswith(kept)
    assert whole[len(kept)] == " "  # cut between words


def test_no_text_proposes_nothing() -> None:
    assert propose("") == Proposal(None, None)
    assert propose("  •  ") == Proposal(None, None)


def test_title_of_reads_a_citation_not_raw_text() -> None:
    # title_of is the second step: the lead-in is citation_of's to remove.
    assert title_of("KfW (2021): Künstliche Intelligenz im Mittelstand.") == (
        "Künstliche Intelligenz im Mittelstand"
    )
