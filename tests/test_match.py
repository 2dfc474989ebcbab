"""Tests of title normalisation and matching: ``factlinks._inspect.match``."""

from __future__ import annotations

import pytest

from factlinks import TitleCandidate, TitleEvidence
from factlinks._inspect.match import FUZZY_THRESHOLD, clean, compact, match_title

KFW_TITLE = "Künstliche Intelligenz: hohe Wachstumschancen, aber geringe Verbreitung im Mittelstand"


def one(expected: str, text: str, *, where: str = "page 1", display: str | None = None):
    return match_title(expected, [TitleCandidate(where, text)], display=display)


# -- clean ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("\ufb01nanzierung", "finanzierung", id="ligature-fi"),
        pytest.param("\ufb02exibel", "flexibel", id="ligature-fl"),
        pytest.param("E\ufb00ekte", "Effekte", id="ligature-ff"),
        pytest.param("\ufb03zient", "ffizient", id="ligature-ffi"),
        pytest.param("Wachs\u00adtums\u00adchancen", "Wachstumschancen", id="soft-hyphen"),
        pytest.param("Wachstums-\nchancen", "Wachstumschancen", id="hyphenation-joined"),
        pytest.param("Wachstums- \n  chancen", "Wachstumschancen", id="hyphenation-joined-spaces"),
        pytest.param("KI-\nMonitor", "KI-Monitor", id="hyphenation-kept-before-capital"),
        pytest.param("KI- \n Monitor", "KI-Monitor", id="hyphenation-kept-spaces"),
        pytest.param("Ausgabe 2021-\n2022", "Ausgabe 2021-2022", id="hyphenation-kept-digit"),
        pytest.param("a \u2013 b", "a - b", id="en-dash"),
        pytest.param("a \u2014 b", "a - b", id="em-dash"),
        pytest.param("a \u2212 b", "a - b", id="minus-sign"),
        pytest.param("KI\u2010Monitor", "KI-Monitor", id="unicode-hyphen"),
        pytest.param("KI\u2011Monitor", "KI-Monitor", id="non-breaking-hyphen"),
        pytest.param("\u201eKI\u201c", '"KI"', id="german-double-quotes"),
        pytest.param("\u201cKI\u201d", '"KI"', id="english-double-quotes"),
        pytest.param("\u00abKI\u00bb", '"KI"', id="guillemets"),
        pytest.param("\u201aKI\u2018", "'KI'", id="german-single-quotes"),
        pytest.param("KfW\u2019s", "KfW's", id="apostrophe"),
        pytest.param("Mu\u0308nchen", "M\u00fcnchen", id="combining-diaeresis-composed"),
        pytest.param("Universita\u0308t", "Universit\u00e4t", id="combining-a-diaeresis"),
        pytest.param("  a \t b  ", "a b", id="whitespace-collapsed"),
        pytest.param("  a \n\t b \n\n c ", "a\nb\nc", id="line-breaks-kept-once"),
        pytest.param("a\u00a0b", "a b", id="no-break-space"),
        pytest.param("Nr.\u2009318", "Nr. 318", id="thin-space"),
        pytest.param("Künstliche Intelligenz", "Künstliche Intelligenz", id="umlaut-kept"),
        pytest.param("STRASSE Straße", "STRASSE Straße", id="case-and-sharp-s-kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_clean_is_idempotent() -> None:
    text = "\u201eKI-\nMonitor\u201c \u2013 Wachs\u00adtums-\nchancen \ufb01r Mu\u0308nchen"
    assert clean(clean(text)) == clean(text)


# -- compact -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("KI-Monitor 2021", "kimonitor2021", id="hyphen-space-case"),
        pytest.param("Größe", "groesse", id="umlaut-and-sharp-s"),
        pytest.param("ÄÖÜ äöü", "aeoeueaeoeue", id="umlauts"),
        pytest.param("STRASSE", "strasse", id="upper-case-ss"),
        pytest.param("\u1e9e", "ss", id="capital-sharp-s"),
        pytest.param("Mu\u0308nchen", "muenchen", id="combining-diaeresis"),
        pytest.param("\ufb01nal", "final", id="ligature"),
        pytest.param("Caf\u00e9", "caf\u00e9", id="other-accents-kept"),
        pytest.param("Nr. 318 (2021)", "nr3182021", id="punctuation-dropped"),
        pytest.param("\u201eKI\u201c \u2013 \u00abja\u00bb!", "kija", id="quotes-dashes-dropped"),
        pytest.param("--- ...", "", id="nothing-left"),
    ],
)
def test_compact(text: str, expected: str) -> None:
    assert compact(text) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("Finanzierung", "\ufb01nanzierung", id="ligature-fi"),
        pytest.param("Flexibel", "\ufb02exibel", id="ligature-fl"),
        pytest.param("Effekte", "E\ufb00ekte", id="ligature-ff"),
        pytest.param("Wachstumschancen", "Wachs\u00adtums\u00adchancen", id="soft-hyphen"),
        pytest.param("Wachstumschancen", "Wachstums-\nchancen", id="hyphenation-joined"),
        pytest.param("KI-Monitor", "KI-\nMonitor", id="hyphenation-kept"),
        pytest.param("Wachstumschancen", "Wachstums-\r\nchancen", id="hyphenation-crlf"),
        pytest.param("KI-Monitor", "KI Monitor", id="hyphen-vs-space"),
        pytest.param(
            "KI im Mittelstand - Potenziale", "KI im Mittelstand \u2013 Potenziale", id="en"
        ),
        pytest.param(
            "KI im Mittelstand - Potenziale", "KI im Mittelstand \u2014 Potenziale", id="em"
        ),
        pytest.param('"Zitat"', "\u201eZitat\u201c", id="typographic-quotes"),
        pytest.param("M\u00fcnchen", "Mu\u0308nchen", id="combining-accent"),
        pytest.param("Künstliche Intelligenz", "KÜNSTLICHE INTELLIGENZ", id="case"),
        pytest.param("Künstliche", "Kuenstliche", id="ae-transliteration"),
        pytest.param("Straße", "Strasse", id="sharp-s-transliteration"),
        pytest.param("Künstliche Intelligenz", "KünstlicheIntelligenz", id="missing-space"),
        pytest.param("Künstliche Intelligenz", "  Künstliche \n\n  Intelligenz ", id="extra-space"),
        pytest.param("Industrie 4.0", "Industrie 4 0", id="punctuation"),
    ],
)
def test_compact_forms_compare_equal(left: str, right: str) -> None:
    assert compact(left) == compact(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("KI-Monitor 2021", "KI-Monitor 2022", id="digits"),
        pytest.param("Caf\u00e9", "Cafe", id="accent-not-umlaut"),
        pytest.param("Künstliche", "Kunstliche", id="umlaut-vs-plain-vowel"),
    ],
)
def test_compact_forms_differ(left: str, right: str) -> None:
    assert compact(left) != compact(right)


# -- match_title: what matches -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param("Effiziente Finanzierung", "E\ufb00iziente \ufb01nanzierung", id="ligatures"),
        pytest.param("Flexible Fertigung", "\ufb02exible Fertigung", id="ligature-fl"),
        pytest.param("Wachstumschancen", "hohe Wachs\u00adtums\u00adchancen", id="soft-hyphen"),
        pytest.param(KFW_TITLE, KFW_TITLE.replace("Wachstums", "Wachstums-\n"), id="hyphen-join"),
        pytest.param("KI-Monitor 2021", "Der KI-\nMonitor 2021", id="hyphen-kept"),
        pytest.param("KIMonitor 2021", "KI-\nMonitor 2021", id="hyphen-kept-vs-none"),
        pytest.param(
            "KI im Mittelstand \u2013 Potenziale erkennen",
            "KI im Mittelstand - Potenziale erkennen",
            id="en-dash-vs-hyphen",
        ),
        pytest.param(
            "KI im Mittelstand - Potenziale erkennen",
            "KI im Mittelstand \u2014 Potenziale erkennen",
            id="hyphen-vs-em-dash",
        ),
        pytest.param('Der "KI-Monitor"', "Der \u201eKI-Monitor\u201c", id="typographic-quotes"),
        pytest.param("Universität des Saarlandes", "Universita\u0308t des Saarlandes", id="nfd"),
        pytest.param("Künstliche Intelligenz", "KÜNSTLICHE INTELLIGENZ", id="case"),
        pytest.param("Künstliche Intelligenz", "Kuenstliche Intelligenz", id="ae-in-document"),
        pytest.param("Kuenstliche Intelligenz", "Künstliche Intelligenz", id="ae-in-title"),
        pytest.param("Straßenverkehr", "STRASSENVERKEHR", id="sharp-s"),
        pytest.param("Künstliche Intelligenz", "KünstlicheIntelligenz", id="missing-space"),
        pytest.param("KünstlicheIntelligenz", "Künstliche Intelligenz", id="extra-space"),
        pytest.param("Künstliche Intelligenz", "Künstliche\n\n   Intelligenz", id="line-break"),
        pytest.param("KI-Monitor 2021", "Titel: KI-Monitor 2021.", id="inside-text"),
        pytest.param("KI-Monitor 2021", "KI-Monitor 2021-2022", id="digit-then-hyphen"),
        pytest.param("Nr. 318", "KfW Research Fokus Nr. 318, Februar 2021", id="number"),
        pytest.param("Industrie 4.0", "Umsetzung von Industrie 4.0 im Mittelstand", id="decimal"),
    ],
)
def test_title_matches_exactly(expected: str, text: str) -> None:
    evidence = one(expected, text)
    assert evidence.matched, evidence
    assert evidence.score == 100.0


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param("KI-Monitor 2021", "KI-Monitor 2022", id="other-year"),
        pytest.param("KI-Monitor 2021", "KI-Monitor 20212", id="year-runs-on"),
        pytest.param("KI-Monitor 2021", "KI-Monitor 12021", id="year-runs-in"),
        pytest.param("Nr. 318", "Fokus Nr. 3189", id="number-runs-on"),
        pytest.param("Nr. 318", "Fokus Nr. 1318", id="number-runs-in"),
        pytest.param("Nr. 318", "Fokus Nr. 319", id="other-number"),
        pytest.param("Zukunftszentren KI 8", "Zukunftszentren KI 80", id="single-digit-runs-on"),
        pytest.param(KFW_TITLE, KFW_TITLE.replace("Mittelstand", "Mitte1stand"), id="ocr-l-as-1"),
        pytest.param("Künstliche Intelligenz im Mittelstand", "Startseite", id="unrelated"),
        pytest.param(KFW_TITLE, "Digitalisierung im Mittelstand: Fortschritte", id="other-doc"),
        pytest.param("Künstliche Intelligenz", "", id="empty-text"),
    ],
)
def test_title_does_not_match(expected: str, text: str) -> None:
    evidence = one(expected, text)
    assert not evidence.matched, evidence
    assert evidence.score < FUZZY_THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(KFW_TITLE.replace("Künstliche", "Kunstliche"), id="lost-umlaut"),
        pytest.param(KFW_TITLE.replace("Verbreitung", "Verbreitunq"), id="g-as-q"),
        pytest.param(KFW_TITLE.replace("Intelligenz", "Inteligenz"), id="dropped-letter"),
        pytest.param(KFW_TITLE.replace("geringe", "gerinqe"), id="substituted-letter"),
    ],
)
def test_one_ocr_typo_in_a_long_title_is_tolerated(text: str) -> None:
    evidence = one(KFW_TITLE, text)
    assert evidence.matched, evidence
    assert FUZZY_THRESHOLD <= evidence.score < 100.0
    assert evidence.where == "page 1"
    assert evidence.found is not None
    assert compact(evidence.found)[:10] == compact(text)[:10]


def test_fuzzy_match_with_wrong_number_is_capped_below_threshold() -> None:
    evidence = one("KI-Monitor 2021", "KI-Monitor 2022")
    assert evidence.score == FUZZY_THRESHOLD - 1
    assert evidence.where == "page 1"
    assert evidence.snippet == "KI-Monitor 2022"


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param("KI im Mittelstand", "Mittelstand", id="last-word"),
        pytest.param("Herausforderungen beim Einsatz von KI", "Einsatz", id="middle-word"),
        pytest.param(KFW_TITLE, "Künstliche Intelligenz", id="first-words"),
    ],
)
def test_part_of_the_title_is_not_a_match(expected: str, text: str) -> None:
    evidence = one(expected, text, where="<title>")
    assert not evidence.matched, evidence


def test_fuzzy_found_text_is_not_cut_inside_a_word() -> None:
    noisy = KFW_TITLE.replace("Verbreitung", "Verbreitunq")
    evidence = one(KFW_TITLE, "Fokus: " + noisy + " (Februar)")
    assert evidence.matched
    assert evidence.found == noisy


def test_near_miss_found_text_is_not_cut_inside_a_word() -> None:
    evidence = one(KFW_TITLE, "Fokus: " + KFW_TITLE.replace(" im ", " irn ") + " (Februar)")
    assert not evidence.matched  # a short word differs: that is another word, not noise
    assert evidence.snippet is not None
    assert KFW_TITLE.replace(" im ", " irn ") in evidence.snippet


# -- match_title: evidence -----------------------------------------------------------------------


def test_exact_match_evidence() -> None:
    text = "KfW Research\nFokus Volkswirtschaft\nDer KI-\nMonitor 2021 ist erschienen."
    evidence = one("KI-Monitor 2021", text, where="page 2")
    assert evidence == TitleEvidence(
        expected="KI-Monitor 2021",
        matched=True,
        score=100.0,
        where="page 2",
        snippet="KfW Research Fokus Volkswirtschaft Der KI-Monitor 2021 ist erschienen.",
        found="KI-Monitor 2021",
    )


def test_found_is_the_documents_spelling() -> None:
    evidence = one(
        "Kuenstliche Intelligenz - Chancen", "Über K\u00dcNSTLICHE Intelligenz \u2013 Chancen"
    )
    assert evidence.matched
    assert evidence.found == "KÜNSTLICHE Intelligenz - Chancen"
    assert evidence.snippet is not None
    assert evidence.found in evidence.snippet


def test_snippet_is_cut_around_the_match() -> None:
    before = "Vorwort " * 20
    after = " Einleitung" * 20
    evidence = one("KI-Monitor 2021", before + "KI-Monitor 2021" + after)
    assert evidence.snippet is not None
    assert evidence.snippet.startswith("\u2026")
    assert evidence.snippet.endswith("\u2026")
    assert "KI-Monitor 2021" in evidence.snippet
    assert len(evidence.snippet) <= 60 + len("KI-Monitor 2021") + 60 + 2


def test_short_text_snippet_has_no_ellipsis() -> None:
    evidence = one("KI-Monitor 2021", "KI-Monitor 2021")
    assert evidence.snippet == "KI-Monitor 2021"


def test_unmatched_evidence_reports_display() -> None:
    evidence = one(KFW_TITLE, "Digitalisierung im Mittelstand", display="Startseite - KfW")
    assert not evidence.matched
    assert evidence.expected == KFW_TITLE
    assert evidence.found == "Startseite - KfW"
    assert evidence.where == "page 1"
    assert 0 < evidence.score < FUZZY_THRESHOLD
    assert evidence.snippet == "Digitalisierung im Mittelstand"


def test_unmatched_without_display_has_no_found() -> None:
    evidence = one(KFW_TITLE, "Digitalisierung im Mittelstand")
    assert evidence.found is None


@pytest.mark.parametrize(
    "candidates",
    [
        pytest.param([], id="no-candidates"),
        pytest.param([TitleCandidate("page 1", "")], id="empty-text"),
        pytest.param([TitleCandidate("page 1", " \n\t ")], id="blank-text"),
        pytest.param([TitleCandidate("page 1", "\u2013 \u201e\u201c ...")], id="punctuation"),
    ],
)
def test_nothing_to_compare(candidates: list[TitleCandidate]) -> None:
    evidence = match_title("KI im Mittelstand", candidates, display="Shown")
    assert evidence == TitleEvidence(
        expected="KI im Mittelstand", matched=False, score=0.0, found="Shown"
    )


@pytest.mark.parametrize("expected", ["", "   ", "\u2013 ... \u2013"])
def test_title_without_letters_never_matches(expected: str) -> None:
    evidence = one(expected, "KI im Mittelstand")
    assert not evidence.matched
    assert evidence.score == 0.0


def test_first_exact_match_in_candidate_order_wins() -> None:
    candidates = [
        TitleCandidate("metadata", "Startseite"),
        TitleCandidate("xmp", "KI im Mittelstamd"),
        TitleCandidate("page 1", "Vorwort: KI im Mittelstand"),
        TitleCandidate("page 2", "KI im Mittelstand"),
    ]
    evidence = match_title("KI im Mittelstand", candidates)
    assert evidence.matched
    assert evidence.where == "page 1"
    assert evidence.score == 100.0
    assert evidence.snippet == "Vorwort: KI im Mittelstand"


def test_exact_match_beats_an_earlier_fuzzy_match() -> None:
    near = KFW_TITLE.replace("Verbreitung", "Verbreitunq")
    candidates = [TitleCandidate("metadata", near), TitleCandidate("page 1", KFW_TITLE)]
    first = match_title(KFW_TITLE, candidates[:1])
    assert first.matched
    assert first.score < 100.0
    evidence = match_title(KFW_TITLE, candidates)
    assert evidence.where == "page 1"
    assert evidence.score == 100.0


def test_best_fuzzy_candidate_wins_when_none_is_exact() -> None:
    candidates = [
        TitleCandidate("<title>", "Digitalisierung im Mittelstand"),
        TitleCandidate("<h1>", KFW_TITLE.replace("Verbreitung", "Verbreitunq")),
        TitleCandidate("body", "Impressum Datenschutz Kontakt"),
    ]
    evidence = match_title(KFW_TITLE, candidates)
    assert evidence.matched
    assert evidence.where == "<h1>"


def test_best_near_miss_is_reported_when_nothing_matches() -> None:
    candidates = [
        TitleCandidate("<title>", "Impressum"),
        TitleCandidate("<h1>", "KI-Monitor 2022"),
    ]
    evidence = match_title("KI-Monitor 2021", candidates, display="Impressum")
    assert not evidence.matched
    assert evidence.where == "<h1>"
    assert evidence.found == "Impressum"


def test_candidates_may_be_a_generator() -> None:
    seen: list[str] = []

    def pages():
        for number, text in enumerate(["Vorwort", "KI im Mittelstand", "Anhang"], start=1):
            seen.append(text)
            yield TitleCandidate(f"page {number}", text)

    evidence = match_title("KI im Mittelstand", pages())
    assert evidence.where == "page 2"
    assert seen == ["Vorwort", "KI im Mittelstand"]


def test_the_expected_title_is_kept_as_given() -> None:
    title = "  \u201eKI-Monitor\u201c 2021 "
    evidence = one(title, "KI-Monitor 2021")
    assert evidence.matched
    assert evidence.expected == title


# -- running heads, title segments, word boundaries ---------------------------------------------


@pytest.mark.parametrize(
    ("where", "text"),
    [
        pytest.param(
            "page 1",
            "K\u00fcnstliche Intelligenz:\nKfW Research\nhohe Wachstumschancen, aber\n3\n"
            "geringe Verbreitung im Mittelstand",
            id="running-head-and-page-number-interleaved",
        ),
        pytest.param("<title>", f"{KFW_TITLE} | KfW", id="site-suffix-after-bar"),
        pytest.param("<title>", f"KfW Research: {KFW_TITLE}", id="series-prefix-before-colon"),
        pytest.param("<h1>", f"{KFW_TITLE} \u2013 Fokus Nr. 318", id="subtitle-after-dash"),
        pytest.param("page 1", f"KfW Research\n{KFW_TITLE}\nNr. 318", id="own-line-in-text"),
    ],
)
def test_title_found_around_real_world_noise(where: str, text: str) -> None:
    evidence = match_title(KFW_TITLE, [TitleCandidate(where, text)])
    assert evidence.matched, evidence
    assert evidence.score >= FUZZY_THRESHOLD


@pytest.mark.parametrize(
    ("expected", "where", "text"),
    [
        pytest.param(
            "KI im Mittelstand",
            "<title>",
            "Digitalisierung und KI im Mittelstand",
            id="fragment-of-longer-title-field",
        ),
        pytest.param(
            "KI im Mittelstand",
            "metadata",
            "KI im Mittelstand und in der Industrie",
            id="title-field-continues-with-words",
        ),
        pytest.param(
            "Logging HOWTO",
            "page 1",
            "The Advanced Logging HOWTOcollection",
            id="text-match-inside-a-word",
        ),
    ],
)
def test_fragments_do_not_match(expected: str, where: str, text: str) -> None:
    assert not match_title(expected, [TitleCandidate(where, text)]).matched


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Aufsatz \u00a8uber den Musiksatz",
            "Aufsatz \u00fcber den Musiksatz",
            id="tex-accent-before",
        ),
        pytest.param("Aufsatz u \u00a8ber den", "Aufsatz \u00fcber den", id="tex-accent-after"),
        pytest.param("Aufsatz \u0308uber", "Aufsatz \u00fcber", id="loose-combining-mark"),
    ],
)
def test_accents_set_apart_by_extraction_go_back_on_their_letter(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("expected", "where", "text", "matched"),
    [
        pytest.param(
            "Das csquotes-Paket: Kontextsensitive Zitatanlage",
            "page 1",
            "Das csquotes-Paket (Version 5.1)\nKontextsensitive Zitatanlage",
            True,
            id="parenthesis-between-title-and-subtitle",
        ),
        pytest.param(
            "OpTeX: Format Based on Plain TeX and OPmac",
            "page 1",
            "OpTEX\nFormat Based on Plain TEX and OPmac1\nVersion 1.09",
            True,
            id="footnote-mark-after-the-title",
        ),
        pytest.param(
            "Dvipdfm User's Manual",
            "page 1",
            "The Dvipdfmx User's Manual",
            False,
            id="word-extended",
        ),
        pytest.param(
            "A guide to LuaTeX",
            "page 1",
            "A guide to LuaLATEX\nManuel",
            False,
            id="two-letters-inserted",
        ),
        pytest.param(
            "Autoconf Archive",
            "page 1",
            "see the Autoconf Macro Archive, which",
            False,
            id="foreign-word-inside-a-line",
        ),
    ],
)
def test_word_rules(expected: str, where: str, text: str, matched: bool) -> None:
    assert match_title(expected, [TitleCandidate(where, text)]).matched is matched


# -- what real typesetting does to titles (issue 10) ---------------------------------------------

TAOCP = "The Art of Computer Programming"


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param(
            "DICOMscope 3.6.0 User Manual",
            "DICOMscope 3.6.0 - 2 - User Manual\nContents\nA Introduction ..... 4",
            id="page-number-mark-in-a-running-head",
        ),
        pytest.param(
            "Aprx: An APRS Digipeater and iGate",
            "Aprx\nVersion 2.9.0 released 2014-10-26 by Matti Aarnio\nAn APRS Digipeater and iGate",
            id="version-line-between-name-and-subtitle",
        ),
        pytest.param(
            "NRPE Documentation for Nagios Core",
            "NRPE Documentation\nLast Updated: 17 November 2017\nfor Nagios Core",
            id="date-line",
        ),
        pytest.param(
            "The Linux Kernel Module Programming Guide",
            "The Linux Kernel\nDRAFT - not for distribution\n2021-03-04 12:30 proof 3\n"
            "Module Programming\nGuide",
            id="proof-header-over-three-short-lines",
        ),
    ],
)
def test_title_interrupted_by_short_lines_is_found(expected: str, text: str) -> None:
    evidence = one(expected, text)
    assert evidence.matched, evidence
    assert FUZZY_THRESHOLD <= evidence.score < 100.0
    assert evidence.found is not None
    assert compact(evidence.found).startswith(compact(expected.split()[0]))


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param(
            "Aprx 2.8 Manual", "Aprx 2.9 - 2 - Manual", id="number-differs-around-a-page-mark"
        ),
        pytest.param(
            "Aprx 2.8 Manual", "Aprx 2.9\nVersion line\nManual", id="number-differs-around-a-line"
        ),
        pytest.param(
            "The Linux Kernel Module Programming Guide",
            "The Linux Kernel\nDRAFT\nproof 3\nprinted 2021-03-04\nModule Programming Guide",
            id="three-interrupting-lines",
        ),
        pytest.param(
            "The Linux Kernel Module Programming Guide",
            "The Linux Kernel\nthis line is a whole paragraph of nine words long\n"
            "Module Programming Guide",
            id="interrupting-line-too-long",
        ),
        pytest.param(
            "Star Trek: The Next Generation",
            "Star Trek\nby Chris Gill\nThe Next Voyage",
            id="fragment-of-a-longer-other-title",
        ),
        pytest.param(
            "AltOS Telemetry",
            "Contents\nAltOS\n1 Introduction ........ 3\nTelemetry ........ 5",
            id="table-of-contents-entries",
        ),
        pytest.param(
            "AltOS Telemetry",
            "AltOS\nVersion 1.9\nTelemetry packets are sent every second",
            id="last-part-does-not-end-its-line",
        ),
        pytest.param(
            "Aprx 2.8 Manual", "Aprx 2.8 - Reference - Manual", id="dashes-without-a-number"
        ),
    ],
)
def test_interruptions_do_not_make_wrong_titles_match(expected: str, text: str) -> None:
    assert not one(expected, text).matched


def test_a_page_mark_is_not_allowed_in_a_title_field() -> None:
    evidence = one(
        "DICOMscope 3.6.0 User Manual", "DICOMscope 3.6.0 - 2 - User Manual", where="<h1>"
    )
    assert not evidence.matched


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param(
            TAOCP, "\u5400e Art of Computer Programming\nVolume 1", id="luatex-th-as-u5400"
        ),
        pytest.param(
            "Efficient Finanzierung im Mittelstand",
            "E\ue001cient Finanzierung im Mittelstand",
            id="private-use-ligature-inside-a-word",
        ),
        pytest.param(
            "Finanzierung im deutschen Mittelstand",
            "Titel: \ue001nanzierung im deutschen Mittelstand",
            id="private-use-ligature-at-word-start",
        ),
        pytest.param(
            "Guide to the Official Staff Handbook",
            "Guide to the O\ufffdcial Staff Handbook",
            id="replacement-character",
        ),
        pytest.param(
            "The Art of Computer Programming",
            "The Art of Computer Pro\u0007ramming",
            id="control-character",
        ),
        pytest.param("The Art of Foo", "\u5400e Art of Foo", id="shortest-title-allowed"),
    ],
)
def test_one_word_broken_by_an_unmappable_glyph_is_tolerated(expected: str, text: str) -> None:
    evidence = one(expected, text)
    assert evidence.matched, evidence
    assert FUZZY_THRESHOLD <= evidence.score < 100.0
    assert evidence.found is not None
    assert evidence.found in clean(text).replace("\n", " ")
    assert compact(evidence.found)[-4:] == compact(expected)[-4:]


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param(
            "Introduction to Python Programming",
            "Introduction to Rust Programming",
            id="the-distinctive-word-differs",
        ),
        pytest.param(
            "A Guide to Form Design Patterns",
            "A Guide to Farm Design Patterns",
            id="one-letter-of-the-titles-script-differs",
        ),
        pytest.param(
            "Introduction to Python Programming",
            "Introduction to \ue001on Programming",
            id="more-letters-lost-than-a-ligature-holds",
        ),
        pytest.param(
            "Introduction to Python Programming",
            "Introduction to \u5400\u5401\u5402hon Programming",
            id="more-garbage-than-one-glyph-leaves",
        ),
        pytest.param("The Foo Bar", "\u5400e Foo Bar", id="too-few-intact-words"),
        pytest.param(
            "The KI-Monitor 2021 im Mittelstand",
            "\u5400e KI-Monitor 2022 im Mittelstand",
            id="number-differs-next-to-a-broken-word",
        ),
        pytest.param(
            "KI-Monitor 2021 im deutschen Mittelstand",
            "KI-Monitor 202\ufffd im deutschen Mittelstand",
            id="a-number-is-never-damage",
        ),
        pytest.param(
            "An Introduction to Rcpp",
            "An Introduction to R\nNext: Preface",
            id="a-shorter-word-before-a-line-break-is-a-fragment",
        ),
        pytest.param(
            "An Introduction to Rcpp",
            "An Introduction to R Next: Preface",
            id="a-shorter-word-is-another-title",
        ),
    ],
)
def test_a_broken_glyph_does_not_make_wrong_titles_match(expected: str, text: str) -> None:
    assert not one(expected, text).matched


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "the \x0cles of di\x0berent kinds", "the files of different kinds", id="fi-ff"
        ),
        pytest.param("an e\x0ecient \x0fuence", "an efficient ffluence", id="ffi-ffl"),
        pytest.param("Symbolische L\x7fosung", "Symbolische L\u00f6sung", id="diaeresis"),
        pytest.param("Symbolische L\n/#7F\nosung", "Symbolische L\n\u00f6sung", id="pypdf-name"),
        pytest.param(
            "Universitat\x7f Braunschweig",
            "Universitat\x7f Braunschweig",
            id="diaeresis-after-a-word-left-alone",
        ),
        pytest.param("page one\x0cChapter two", "page one Chapter two", id="form-feed-kept"),
        pytest.param("xij \x14 yi", "xij \x14 yi", id="math-symbol-kept"),
    ],
)
def test_tex_ot1_codes_are_read_back(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_title_in_ot1_text_without_unicode_map_matches() -> None:
    text = "Technische Universit\n/#7F\nat Bra unschweig\nSym b olisc he L\n/#7F\nosung linearer"
    evidence = one("Symbolische Lösung linearer", text)
    assert evidence.matched, evidence


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param(
            "NRPE Documentation",
            "NRPE DNRPE DOCUMENTATIONOCUMENTATION\nNRPE DNRPE DOCUMENTATIONOCUMENTATION\n"
            "Copyright (c) 1999-2017 Ethan Galstad",
            id="runs-drawn-twice-nagios-nrpe",
        ),
        pytest.param(
            "User Manual", "Contents\nUUsseerr  MMaannuuaall\n1 Introduction", id="glyphs"
        ),
        pytest.param(
            "Aprx 2.8 Manual for Users",
            "AAPPRRXX  22..88  MMaannuuaall\nfor Users",
            id="doubled-line-and-plain-line",
        ),
    ],
)
def test_fake_bold_doubled_text_is_read_once(expected: str, text: str) -> None:
    evidence = one(expected, text)
    assert evidence.matched, evidence
    assert evidence.score == 98.0
    assert evidence.found is not None
    assert compact(evidence.found) == compact(expected)


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param("Aprx 2.9 Manual", "AAPPRRXX  22..88  MMaannuuaall", id="number-differs"),
        pytest.param("Release 1 Notes", "Release\n11\nNotes", id="digits-alone-not-doubled"),
        pytest.param(
            "NRPE Documentation Addendum",
            "NRPE DNRPE DOCUMENTATIONOCUMENTATION\nCopyright",
            id="fragment-of-a-longer-other-title",
        ),
    ],
)
def test_fake_bold_does_not_make_wrong_titles_match(expected: str, text: str) -> None:
    assert not one(expected, text).matched
