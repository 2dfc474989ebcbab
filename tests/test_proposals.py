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
    (
        "[PDF] Künstliche Intelligenz im Mittelstand",
        "Künstliche Intelligenz im Mittelstand",
        "search-result-file-note-in-front",
    ),
    (
        "Eurostat (2021): Digital economy and society statistics - enterprises",
        "Digital economy and society statistics - enterprises",
        "org-year-colon-en",
    ),
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
    ("GitHub repository", None, "markdown-readme-repository"),
    ("Documentation", None, "markdown-readme-docs"),
    ("Link zum Bericht", None, "link-zum-bericht"),
    ("PDF (2 MB)", None, "file-note-only"),
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
    (
        "OECD (2019), Artificial Intelligence in Society, OECD Publishing, Paris.",
        "Artificial Intelligence in Society",
        "oecd-comma-style",
    ),
    (
        "European Commission. Digital Economy and Society Index (DESI) 2021. Luxembourg: "
        "Publications Office, 2021.",
        "Digital Economy and Society Index (DESI) 2021",
        "organisation-then-title",
    ),
    (
        "Bitkom: KI-Studie für den Mittelstand. Mehr unter bitkom.org.",
        "Bitkom: KI-Studie für den Mittelstand",
        "first-sentence-of-an-entry",
    ),
    (
        "Download statistics of the DESI 2021",
        "Download statistics of the DESI 2021",
        "download-word",
    ),
    ("Weitere Informationen zum Programm finden Sie hier", None, "call-to-click-de"),
    ("Read the full report here", None, "call-to-click-en"),
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
    ("Download: KfW Research (2021)", "KfW Research (2021)", "label-with-colon"),
    ("Download statistics 2021", "Download statistics 2021", "label-without-colon-is-text"),
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


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("\x05MHi\x00 Energy Report Annual \x18\x1b", id="control-characters"),
        pytest.param("Annual Energy \ufffd\ufffd Report of 2024", id="replacement-characters"),
    ],
)
def test_bytes_of_a_binary_file_are_no_citation(text: str) -> None:
    # A binary file named .md is read as text: its bytes around a URL are no citation.
    assert propose(text) == Proposal(None, None)


def test_title_of_reads_a_citation_not_raw_text() -> None:
    # title_of is the second step: the lead-in is citation_of's to remove.
    assert title_of("KfW (2021): Künstliche Intelligenz im Mittelstand.") == (
        "Künstliche Intelligenz im Mittelstand"
    )


# -- the first check settles a proposed title (factlinks._confirm) -----------------------------

import datetime as dt  # noqa: E402
import errno  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
import respx  # noqa: E402

import factlinks  # noqa: E402
import pdfgen  # noqa: E402
from conftest import CheckRunner, make_source  # noqa: E402
from factlinks import CheckOptions, RetryPolicy, Source, Status  # noqa: E402
from factlinks._cli import main  # noqa: E402
from factlinks._confirm import settled_sources, title_edits, write_settled_titles  # noqa: E402

ONCE = CheckOptions(retry=RetryPolicy(attempts=1), probe_soft_404=False)
TITLE = "Künstliche Intelligenz im Mittelstand"
PAGE = f"<html><head><title>{TITLE} | KfW</title></head><body><p>Text.</p></body></html>"
OTHER = "<html><head><title>Startseite</title></head><body><p>Willkommen.</p></body></html>"


def _pdf(text: str) -> httpx.Response:
    content = pdfgen.make_pdf([text])
    return httpx.Response(200, content=content, headers={"Content-Type": "application/pdf"})


WEB = {
    "https://a.test/right": httpx.Response(200, html=PAGE),
    "https://a.test/wrong": httpx.Response(200, html=OTHER),
    "https://a.test/gone": httpx.Response(404, html=OTHER),
    "https://a.test/down": httpx.Response(503),
    "https://a.test/refused": httpx.Response(403),
    "https://a.test/html-for-pdf": httpx.Response(200, html=PAGE),
    "https://a.test/right.pdf": _pdf(f"KfW Research\n{TITLE}\nFebruar 2021"),
    "https://a.test/meta.pdf": httpx.Response(
        200,
        content=pdfgen.make_pdf(["KfW Research\nFebruar 2021"], title=TITLE),
        headers={"Content-Type": "application/pdf"},
    ),
    "https://a.test/scan.pdf": httpx.Response(
        200, content=pdfgen.make_pdf_without_text(), headers={"Content-Type": "application/pdf"}
    ),
}


def _proposed(name: str, **extra: object) -> Source:
    kind = "pdf" if name.endswith("pdf") or name == "html-for-pdf" else "any"
    return make_source(
        f"https://a.test/{name}",
        id=name.replace(".", "-"),
        kind=kind,
        proposed_title=TITLE,
        **extra,
    )


def _mock(router: respx.MockRouter) -> None:
    router.get(url__regex="factlinks-probe-").mock(return_value=httpx.Response(404))
    for url, response in WEB.items():
        router.get(url).mock(return_value=response)


def _check(run_check: CheckRunner, sources: list[Source]) -> factlinks.Report:
    with respx.mock(assert_all_called=False) as router:
        _mock(router)
        return run_check(sources, ONCE)


@pytest.mark.parametrize(
    ("name", "status", "outcome"),
    [
        pytest.param("right", Status.OK, "confirmed", id="html-title-confirmed"),
        pytest.param("right.pdf", Status.OK, "confirmed", id="pdf-text-confirmed"),
        pytest.param("meta.pdf", Status.OK, "confirmed", id="pdf-metadata-only-confirmed"),
        pytest.param("wrong", Status.OK, "citation", id="not-in-the-page-kept-as-citation"),
        pytest.param("scan.pdf", Status.OK, "citation", id="no-text-layer-kept-as-citation"),
        pytest.param("gone", Status.DEAD, "pending", id="dead-waits"),
        pytest.param("down", Status.UNREACHABLE, "pending", id="unreachable-waits"),
        pytest.param("refused", Status.BLOCKED, "pending", id="blocked-waits"),
        pytest.param("html-for-pdf", Status.DRIFTED, "pending", id="other-kind-waits"),
    ],
)
def test_the_first_check_settles_a_proposed_title(
    run_check: CheckRunner, name: str, status: Status, outcome: str
) -> None:
    source = _proposed(name)
    (result,) = _check(run_check, [source]).results
    assert result.status is status
    if outcome == "confirmed":
        assert result.proposal is not None
        assert result.proposal.matched
        assert result.source.title == TITLE
        assert result.source.proposed_title is None
        assert result.title is not None
        assert result.title.matched  # reported as the title it now is
    elif outcome == "citation":
        assert result.proposal is not None
        assert not result.proposal.matched
        assert result.source.title is None
        assert result.source.proposed_title is None
        assert result.source.citation == TITLE
        assert result.title is None  # no title evidence: it was never the title
    else:
        assert result.proposal is None
        assert result.source == source  # left for a later check


def test_a_settled_proposal_gives_the_status_the_registry_will_give(
    run_check: CheckRunner,
) -> None:
    # Confirmed: as if the title had been in the registry; dropped: as if there had been none.
    names = ["right", "right.pdf", "wrong", "scan.pdf", "gone", "html-for-pdf"]
    proposed = [_proposed(n) for n in names]
    first = _check(run_check, proposed)
    after = settled_sources(proposed, first.results)
    second = _check(run_check, after)
    assert [r.status for r in second.results] == [r.status for r in first.results]
    assert [r.reason for r in second.results] == [r.reason for r in first.results]
    without = _check(run_check, [make_source(s.url, id=s.id, kind=s.kind) for s in proposed])
    untitled = {r.id: r.status for r in without.results}
    for result in first.results:
        if result.proposal is None or not result.proposal.matched:
            assert result.status is untitled[result.id], result.id  # no drift from a guess


def test_the_report_notes_what_was_settled(run_check: CheckRunner) -> None:
    report = _check(run_check, [_proposed("right"), _proposed("wrong"), _proposed("gone")])
    assert report.notes == (
        "1 proposed title confirmed (found in the document) and now checked as the title: right.",
        f"wrong: the proposed title “{TITLE}” was not confirmed: it is not in the document; "
        "it is kept as the citation, and the source is checked without a title.",
    )
    from factlinks._report import FORMATS

    for name in ("json", "md", "html"):
        rendered = FORMATS[name][1](report)
        assert "wrong: the proposed title" in rendered, name
        assert "right." in rendered, name


def test_an_existing_citation_is_kept_when_a_proposal_is_dropped(run_check: CheckRunner) -> None:
    source = _proposed("wrong", citation="KfW (2021): KI im Mittelstand.")
    (result,) = _check(run_check, [source]).results
    assert result.source.citation == "KfW (2021): KI im Mittelstand."
    assert title_edits([source], [result]) == [
        factlinks._registry.Edit("wrong", "proposed_title", None, old=TITLE)
    ]


REGISTRY = f"""# Our citations; keep this comment.
[settings]
timeout = 5

# Added by factlinks extract from brief (line 3 link) on 2026-12-02.
[[source]]
id             = "right"
url            = "https://a.test/right"
proposed_title = "{TITLE}"   # from the link
citation       = "{TITLE}"
cited_in       = ["brief"]

[[source]]
id = "wrong"
url = "https://a.test/wrong"
proposed_title = '{TITLE}'
cited_in = ["brief"]

[[source]]
id = "gone"
url = "https://a.test/gone"
proposed_title = "{TITLE}"
"""


def test_write_settled_titles_edits_only_the_settled_keys(
    run_check: CheckRunner, tmp_path: Path
) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(REGISTRY.replace("\n", "\r\n").encode())
    registry = factlinks.load_sources(path)
    report = _check(run_check, list(registry))
    settled = write_settled_titles(path, report.results)
    assert settled.confirmed == ("right",)
    assert settled.kept_as_citation == ("wrong",)
    expected = (
        REGISTRY.replace(
            f'proposed_title = "{TITLE}"   # from the link', f'title          = "{TITLE}"'
        )
        .replace(f"proposed_title = '{TITLE}'\n", f'citation = "{TITLE}"\n')
        .replace("\n", "\r\n")
    )
    assert path.read_bytes().decode() == expected
    again = factlinks.load_sources(path)
    assert again.get("right") == Source(
        "right", "https://a.test/right", title=TITLE, citation=TITLE, cited_in=("brief",)
    )
    assert again.get("gone") == registry.get("gone")  # dead: the proposal waits
    assert write_settled_titles(path, report.results) == settled.__class__()  # nothing twice


def test_a_proposal_changed_since_the_run_is_left_alone(
    run_check: CheckRunner, tmp_path: Path
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(REGISTRY, "utf-8")
    report = _check(run_check, list(factlinks.load_sources(path)))
    edited = REGISTRY.replace(f"proposed_title = '{TITLE}'", "proposed_title = 'Mein Titel'")
    path.write_text(edited, "utf-8")
    settled = write_settled_titles(path, report.results)
    assert settled.kept_as_citation == ()
    assert "proposed_title = 'Mein Titel'" in path.read_text("utf-8")


def _registry_and_web(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(REGISTRY, "utf-8")
    return path


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_registry_keeps_its_proposals(run_check: CheckRunner, tmp_path: Path) -> None:
    path = _registry_and_web(tmp_path)
    report = _check(run_check, list(factlinks.load_sources(path)))
    path.chmod(0o444)
    with pytest.raises(factlinks.RegistryError, match="read-only"):
        write_settled_titles(path, report.results)
    assert path.read_text("utf-8") == REGISTRY


def test_check_on_a_read_only_checkout_warns_and_keeps_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _registry_and_web(tmp_path)
    real_replace = os.replace

    def read_only(src: str, dst: str) -> None:
        if str(dst).endswith("sources.toml"):
            raise OSError(errno.EROFS, "Read-only file system", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", read_only)
    with respx.mock(assert_all_called=False) as router:
        _mock(router)
        code = main(["check", str(path), "--no-state", "--no-archive", "--out", "out"])
    err = capsys.readouterr().err
    assert code == 1, err  # "gone" is dead: the exit code of the statuses, not the registry
    assert "proposed titles left as they are" in err
    assert "Read-only file system" in err
    assert path.read_text("utf-8") == REGISTRY
    assert "wrong: the proposed title" in (tmp_path / "out" / "report.md").read_text("utf-8")


# -- end to end: extract --write proposes, check confirms and demotes (a loopback web) ----------

import difflib  # noqa: E402
import json  # noqa: E402

from farm import Farm, Reply  # noqa: E402

BRIEF_MD = """# KI im Mittelstand

- [Künstliche Intelligenz im Mittelstand](https://studien.example/ki-mittelstand.pdf)
- [Leitfaden zur Datenstrategie für KMU](https://studien.example/leitfaden.pdf)
- Mehr dazu [hier](https://studien.example/mehr.html).
- [Förderprogramme für digitale Innovationen](https://studien.example/foerderung.html)
"""
PAGE_HTML = """<html><body><ul>
<li><a href="https://studien.example/monitor.html">KI-Monitor 2021:
  Status quo der KI-Nutzung</a></li>
<li><a href="https://studien.example/index.html">Digitalisierungsindex
  für kleine Unternehmen</a></li>
<li><a href="https://studien.example/mehr.html">Weitere Informationen</a></li>
</ul></body></html>
"""
BEFORE = """# Our citations; keep this comment.

[[source]]
id    = "kept"                 # written by hand
url   = "https://studien.example/ki-mittelstand.pdf#page=2"
title = "Künstliche Intelligenz im Mittelstand"
"""


def _studien() -> dict[str, Reply]:
    return {
        "/ki-mittelstand.pdf": Reply.pdf(
            pdfgen.make_pdf(["KfW Research\nKünstliche Intelligenz im Mittelstand\n2021"])
        ),
        "/leitfaden.pdf": Reply.pdf(pdfgen.make_pdf(["Jahresbericht 2020\nInhalt"])),
        "/mehr.html": Reply.html("<p>Mehr.</p>", title="Mehr zum Thema"),
        "/foerderung.html": Reply.not_found(),
        "/monitor.html": Reply.html(
            "<h1>Der Monitor</h1>", title="KI-Monitor 2021: Status quo der KI-Nutzung"
        ),
        "/index.html": Reply.html("<h1>Jahresbericht</h1>", title="Jahresbericht 2020"),
    }


def _changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.integration
def test_extract_proposes_and_the_first_check_confirms_or_demotes(tmp_path: Path) -> None:
    (tmp_path / "brief.md").write_text(BRIEF_MD, "utf-8")
    (tmp_path / "page.html").write_text(PAGE_HTML, "utf-8")
    registry = tmp_path / "sources.toml"
    registry.write_text(BEFORE, "utf-8")
    docs = [str(tmp_path / "brief.md"), str(tmp_path / "page.html")]
    assert main(["extract", *docs, "--sources", str(registry), "--write"]) == 0
    extracted = registry.read_text("utf-8")
    assert extracted.startswith(BEFORE)
    proposed = {s.id: s.proposed_title for s in factlinks.load_sources(registry)}
    assert proposed == {
        "kept": None,
        "studien-ki-mittelstand": "Künstliche Intelligenz im Mittelstand",  # right
        "studien-leitfaden": "Leitfaden zur Datenstrategie für KMU",  # wrong
        "studien-mehr": None,  # "hier": no title
        "studien-foerderung": "Förderprogramme für digitale Innovationen",  # dead
        "studien-monitor": "KI-Monitor 2021: Status quo der KI-Nutzung",  # right
        "studien-index": "Digitalisierungsindex für kleine Unternehmen",  # wrong
    }

    with Farm() as farm:
        farm.add_host("studien.example", _studien())
        argv = ["check", str(registry), "--format", "json,md,html", "--no-state", "--no-archive"]
        argv += ["--timeout", "5", *farm.remap_args()]
        assert main([*argv, "--out", str(tmp_path / "first")]) == 1  # only the dead page fails
        first = json.loads((tmp_path / "first" / "report.json").read_text("utf-8"))
        checked = registry.read_text("utf-8")
        assert main([*argv, "--out", str(tmp_path / "second")]) == 1
        second = json.loads((tmp_path / "second" / "report.json").read_text("utf-8"))
        assert registry.read_text("utf-8") == checked  # the second check changes nothing

    statuses = {s["id"]: s["status"] for s in first["sources"]}
    assert statuses == {
        "kept": "ok",
        "studien-ki-mittelstand": "ok",
        "studien-leitfaden": "ok",  # not drifted: a wrong guess is no broken citation
        "studien-mehr": "ok",
        "studien-foerderung": "dead",
        "studien-monitor": "ok",
        "studien-index": "ok",
    }
    assert {s["id"]: s["status"] for s in second["sources"]} == statuses
    titles = {s["id"]: (s["title"] or {}).get("matched") for s in second["sources"]}
    assert titles["studien-ki-mittelstand"] is True  # checked as a title from now on
    assert titles["studien-monitor"] is True

    # The registry: only the settled keys changed, every other byte as extract wrote it.
    assert _changed_lines(extracted, checked) == [
        '-proposed_title = "Künstliche Intelligenz im Mittelstand"',
        '+title = "Künstliche Intelligenz im Mittelstand"',
        '-proposed_title = "Leitfaden zur Datenstrategie für KMU"',
        '-proposed_title = "KI-Monitor 2021: Status quo der KI-Nutzung"',
        '+title = "KI-Monitor 2021: Status quo der KI-Nutzung"',
        '-proposed_title = "Digitalisierungsindex für kleine Unternehmen"',
    ]
    settled = {s.id: s for s in factlinks.load_sources(registry)}
    assert settled["studien-leitfaden"].citation == "Leitfaden zur Datenstrategie für KMU"
    assert settled["studien-leitfaden"].title is None
    assert settled["studien-foerderung"].proposed_title == (
        "Förderprogramme für digitale Innovationen"  # dead: waits for a later check
    )

    # The report: a note per demotion and one for the confirmations, in every format.
    assert first["notes"] == [
        "2 proposed titles confirmed (found in the document) and now checked as the title: "
        "studien-ki-mittelstand, studien-monitor.",
        "studien-leitfaden: the proposed title “Leitfaden zur Datenstrategie für KMU” was not "
        "confirmed: it is not in the document; it is kept as the citation, and the source is "
        "checked without a title.",
        "studien-index: the proposed title “Digitalisierungsindex für kleine Unternehmen” was "
        "not confirmed: it is not in the document; it is kept as the citation, and the source "
        "is checked without a title.",
    ]
    assert second["notes"] == []
    for name in ("report.md", "report.html"):
        shown = (tmp_path / "first" / name).read_text("utf-8")
        assert "studien-leitfaden: the proposed title" in shown, name
        assert "studien-index: the proposed title" in shown, name
        assert "proposed title" not in (tmp_path / "second" / name).read_text("utf-8"), name


@pytest.mark.integration
def test_a_read_only_registry_settles_again_on_the_next_run_without_a_304(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sources.toml"
    text = (
        '[[source]]\nid = "monitor"\nurl = "https://studien.example/monitor.html"\n'
        'proposed_title = "KI-Monitor 2021: Status quo der KI-Nutzung"\n'
    )
    registry.write_text(text, "utf-8")
    real_replace = os.replace

    def read_only(src: str, dst: str) -> None:
        if str(dst).endswith("sources.toml"):
            raise OSError(errno.EROFS, "Read-only file system", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", read_only)
    page = Reply.html("<h1>Monitor</h1>", title="KI-Monitor 2021: Status quo der KI-Nutzung")
    tagged = Reply(page.status, {"ETag": '"v1"'}, page.body, content_type=page.content_type)
    with Farm() as farm:
        host = farm.add_host("studien.example", {"/monitor.html": tagged})
        argv = ["check", str(registry), "--state", str(tmp_path / "state.db"), "--no-archive"]
        argv += ["--timeout", "5", *farm.remap_args()]
        for run in ("first", "second"):
            assert main([*argv, "--out", str(tmp_path / run)]) == 0
        asked = [r for r in host.requests if r.path == "/monitor.html"]
    assert len(asked) == 2
    assert all("if-none-match" not in r.headers for r in asked)  # the page itself, twice
    assert registry.read_text("utf-8") == text
    assert capsys.readouterr().err.count("proposed titles left as they are") == 2
    for run in ("first", "second"):
        notes = json.loads((tmp_path / run / "report.json").read_text("utf-8"))["notes"]
        assert notes == [
            "1 proposed title confirmed (found in the document) and now checked as the title: "
            "monitor."
        ]


# -- the seed fact sheet's reading list, as a Markdown document would set it -------------------

READING_LIST = [
    (
        "acatech (2021): KI im Mittelstand – Potenziale erkennen, Voraussetzungen schaffen, "
        "Transfor- mation meistern",
        "https://www.acatech.de/publikation/ki-im-mittelstand-potenziale-erkennen-"
        "voraussetzungen-schaffen-transformation-meistern/",
        "KI im Mittelstand – Potenziale erkennen, Voraussetzungen schaffen, Transformation "
        "meistern",
    ),
    (
        "BMWK (2021): Herausforderungen beim Einsatz von Künstlicher Intelligenz - Ergebnisse "
        "einer Befragung von jungen und mittelständischen Unternehmen in Deutschland",
        "https://www.de.digital/DIGITAL/Redaktion/DE/Digitalisierungsindex/Publikationen/"
        "publikation-download-ki-herausforderungen.pdf?__blob=publicationFile&v=3",
        "Herausforderungen beim Einsatz von Künstlicher Intelligenz - Ergebnisse einer "
        "Befragung von jungen und mittelständischen Unternehmen in Deutschland",
    ),
    (
        "KfW Research Nr. 318 (2021): Künstliche Intelligenz: hohe Wachstumschancen, aber "
        "geringe Verbreitung im Mittelstand)",
        "https://www.kfw.de/PDF/Download-Center/Konzernthemen/Research/PDF-Dokumente-Fokus-"
        "Volkswirtschaft/Fokus-2021/Fokus-Nr.-318-Februar-2021-KI.pdf",
        "Künstliche Intelligenz: hohe Wachstumschancen, aber geringe Verbreitung im Mittelstand",
    ),
    (
        "WIK Consult (2021): Implementierung von KI im Mittelstand – Die Verfügbar- keit von "
        "Trainingsdaten und Förderung offener Datenstrukturen",
        "https://www.wik.org/uploads/media/WIK_Kurzstudie-KI-im-Mittelstand.pdf",
        "Implementierung von KI im Mittelstand – Die Verfügbarkeit von Trainingsdaten und "
        "Förderung offener Datenstrukturen",
    ),
    (
        "Universität des Saarlands (2019): Künstliche Intelligenz im europäischen Mittel- "
        "stand: Status quo, Perspektiven und was jetzt zu tun ist.",
        "https://www.uni-saarland.de/fileadmin/upload/lehrstuhl/kaul/Universita%CC%88t_des_"
        "Saarlandes_Ku%CC%88nstliche_Intelligenz_im_europa%CC%88ischen_Mittelstand_2019-10_"
        "digital.pdf",
        "Künstliche Intelligenz im europäischen Mittelstand: Status quo, Perspektiven und was "
        "jetzt zu tun ist",
    ),
]


@pytest.mark.parametrize("style", ["bare", "autolink", "link-on-the-url"])
def test_the_fact_sheet_reading_list_in_markdown_gives_titles(style: str) -> None:
    from factlinks._extract.markdown import read_markdown
    from factlinks._extract.registry import new_sources

    def item(entry: str, url: str) -> str:
        target = {"bare": url, "autolink": f"<{url}>", "link-on-the-url": f"[{url}]({url})"}
        return f"- {entry}\n  {target[style]}\n"

    text = "## Weiterführende Literatur\n\n" + "".join(item(e, u) for e, u, _ in READING_LIST)
    cited = read_markdown(text.encode(), "factsheet-ki")
    assert [c.url for c in cited] == [u for _, u, _ in READING_LIST]
    sources, _ = new_sources(cited, (), today=dt.date(2026, 12, 2))
    assert [s.proposed_title for s in sources] == [t for _, _, t in READING_LIST]
    assert all(s.citation and s.citation.endswith(s.proposed_title or "") for s in sources[:2])


@pytest.mark.parametrize(
    ("written", "newline"),
    [
        pytest.param(f'" {TITLE} "', "\n", id="spaces-the-loader-strips"),
        pytest.param('"""' + TITLE.replace(" im ", " im\n") + '"""', "\r\n", id="crlf-multi-line"),
    ],
)
def test_a_proposal_written_as_the_loader_reads_it_is_settled(
    run_check: CheckRunner, tmp_path: Path, written: str, newline: str
) -> None:
    # The loader strips a title and reads a CRLF in a multi-line string as LF; the edit must
    # see the same value, or no proposal of the file is settled (the run only warns).
    text = (
        '[[source]]\nid = "right"\nurl = "https://a.test/right"\n'
        f"proposed_title = {written}\n\n"
        '[[source]]\nid = "wrong"\nurl = "https://a.test/wrong"\n'
        f'proposed_title = "{TITLE}"\n'
    )
    path = tmp_path / "sources.toml"
    path.write_bytes(text.replace("\n", newline).encode())
    report = _check(run_check, list(factlinks.load_sources(path)))
    settled = write_settled_titles(path, report.results)
    assert (settled.confirmed, settled.kept_as_citation) == (("right",), ("wrong",))
    assert "proposed_title" not in path.read_text("utf-8")
