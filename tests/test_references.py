"""The same 20 real references as BibTeX, CSL-JSON and RIS, checked on a local web and DOI system.

The three files in ``fixtures/references`` hold one set of references: entries copied from
``.bib`` files that TeX Live ships (biblatex's example database among them), the CSL-JSON
pandoc makes of them and the RIS written from that (``fixtures/references/make.py``; its
README names the sources). Each reference meets one case of the web and of the DOI system
here: a page that is there, moved for good, gone, behind a bot wall, with another title or on
a host that refuses connections; a DOI that is registered (with its landing page there,
behind a bot wall or gone), not registered, or whose metadata names another title. Whatever
file holds them, the verdicts must be the same, and ``fix --apply`` on the ``.bib`` may change
only the ``url`` of the moved entries.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from doi_resolver import DoiResolver, Registered
from factlinks._cli import main
from factlinks._registry import load_sources
from farm import Farm, Reply
from pdfgen import make_pdf

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "references"
FORMATS = ("bib", "json", "ris")
BIB_CHECK = Path(__file__).resolve().parents[1] / "benchmarks" / "bib_check.py"

_WALL = Reply.html("<title>Just a moment...</title><p>Checking your browser</p>", status=403)
_SIGFRIDSSON = "10.1002/(SICI)1096-987X(199803)19:4<377::AID-JCC1>3.0.CO;2-P"

EXPECTED = {
    "ctan": "ok",
    "markey": "ok",  # the PDF on the mirror
    "kastenholz": "ok",  # a DOI only: registered, its metadata and landing page name it
    "sigfridsson": "ok",  # a DOI only, its landing page behind a bot wall
    "baez-online": "moved",  # an arXiv eprint, moved for good
    "itzhaki": "ok",
    "wassenberg": "dead",  # 404
    "liu2015": "dead",  # a DOI that is not registered
    "bonds2014": "drifted",  # the DOI's metadata names another title
    "james2008": "moved",
    "beattie1974": "blocked",  # a bot wall, and no DOI to ask instead
    "vedrashko2006": "ok",  # hdl.handle.net sends readers on (302)
    "wikipedia2016": "drifted",  # the page is about something else now
    "bowman-reasoning": "ok",
    "thornburg01": "ok",
    "tuginstmem": "unreachable",  # the host refuses connections (once; dead after 3 runs)
    "holevo2012quantum": "ok",  # the publisher's bot wall, but the DOI says it is there
    "katariya2021geometric": "dead",  # registered, but the DOI's landing page is gone
    "10.1-17": "ok",
    "10.2-33a": "moved",
}

MOVED_TO = {
    "baez-online": "https://arxiv.org/abs/math/0307200v4",
    "james2008": "http://www.gutenberg.org/ebooks/432/",
    "10.2-33a": "https://dictionary.apa.org/home",
}


def _dois() -> dict[str, Registered]:
    """The DOI system: what each DOI of the references resolves to, and its metadata."""
    return {
        "10.1063/1.2172593": Registered(
            "https://pubs.aip.org/jcp/article/124/12/124106",
            "Computation of methodology-independent ionic solvation free energies from "
            "molecular simulations",
            metadata={"subtitle": ["I. The electrostatic potential in molecular liquids"]},
        ),
        _SIGFRIDSSON: Registered(
            "https://onlinelibrary.wiley.com/doi/10.1002/sici-377",
            "Comparison of methods for deriving atomic charges from the electrostatic "
            "potential and moments",
        ),
        # 10.1086/678242 (liu2015) is not registered
        "10.1093/acprof:oso/9780199343638.001.0001": Registered(
            "https://academic.oup.com/book/8271", "Musical Autonomy Revisited"
        ),
        "10.1145/161468.161471": Registered(
            "https://dl.acm.org/doi/10.1145/161468.161471", "Reasoning about naming systems"
        ),
        "10.1088/0034-4885/75/4/046001": Registered(
            "https://iopscience.iop.org/article/046001",
            "Quantum channels and their entropic characteristics",
        ),
        "10.1007/s11128-021-02992-7": Registered(
            "https://link.springer.com/article/10.1007/s11128-021-02992-7",
            "Geometric distinguishability measures limit quantum channel estimation and "
            "discrimination",
        ),
    }


def _web(farm: Farm) -> None:
    """The pages the references and their DOIs point at."""
    farm.add_host(
        "www.ctan.org",
        {"/": Reply.html("<h1>CTAN</h1>", title="CTAN: The Comprehensive TeX Archive Network")},
    )
    pdf = make_pdf(["Tame the BeaST\nThe B to X of BibTeX\nVersion 1.3"])
    farm.add_host("mirror.ctan.org", {"/info/bibtex/tamethebeast/ttb_en.pdf": Reply.pdf(pdf)})
    farm.add_host(
        "arxiv.org",
        {
            "/abs/math/0307200v3": Reply.redirect("/abs/math/0307200v4", status=301),
            "/abs/math/0307200v4": Reply.html(
                "<h1>Higher-Dimensional Algebra V: 2-Groups</h1>", title="[math/0307200] 2-Groups"
            ),
            "/abs/hep-th/9603067": Reply.html(
                "<h1>Some remarks on 't Hooft's S-matrix for black holes</h1>"
            ),
        },
    )
    farm.add_host(
        "www.gutenberg.org",
        {
            "/ebooks/432": Reply.redirect("/ebooks/432/", status=301),
            "/ebooks/432/": Reply.html("<h1>The Ambassadors by Henry James</h1>"),
        },
    )
    farm.add_host("www.jstor.org", {"/stable/650463": _WALL})
    farm.add_host("hdl.handle.net", {"/1721.1/39144": Reply.redirect("/dspace/39144", status=302)})
    farm["hdl.handle.net"].add(
        "/dspace/39144", Reply.html("<h1>Advertising in computer games</h1>", title="DSpace@MIT")
    )
    farm.add_host(
        "en.wikipedia.org",
        {"/wiki/Stevie_Nicks": Reply.html("<h1>Fleetwood Mac</h1>", title="Fleetwood Mac")},
    )
    farm.add_host(
        "ccrma.stanford.edu",
        {"/~jos/bayes/bayes.html": Reply.html("<h1>Introduction to Bayesian Statistics</h1>")},
    )
    farm.add_host(
        "blogs.plos.org",
        {
            "/scied/2018/09/15/can-we-talk-scientifically-about-free-will/": Reply.html(
                "<h1>Can We Talk Scientifically About Free Will?</h1>"
            )
        },
    )
    farm.add_host(
        "dictionary.apa.org",
        {
            "/": Reply.redirect("/home", status=308),
            "/home": Reply.html("<h1>APA Dictionary of Psychology</h1>"),
        },
    )
    # the DOIs' landing pages
    farm.add_host(
        "pubs.aip.org",
        {
            "/jcp/article/124/12/124106": Reply.html(
                "<h1>Computation of methodology-independent ionic solvation free energies from "
                "molecular simulations: I. The electrostatic potential in molecular liquids</h1>"
            )
        },
    )
    farm.add_host("onlinelibrary.wiley.com", {"/doi/10.1002/sici-377": _WALL})
    farm.add_host(
        "academic.oup.com", {"/book/8271": Reply.html("<h1>Musical Autonomy Revisited</h1>")}
    )
    farm.add_host(
        "dl.acm.org",
        {"/doi/10.1145/161468.161471": Reply.html("<h1>Reasoning About Naming Systems</h1>")},
    )
    farm.add_host("stacks.iop.org", fallback=_WALL)
    farm.add_host("iopscience.iop.org", fallback=_WALL)
    farm.add_host("link.springer.com")  # 404 for every path


def _blog_url() -> str:
    return "https://blogs.plos.org/scied/2018/09/15/can-we-talk-scientifically-about-free-will/"


@pytest.fixture(scope="module")
def world() -> Iterator[list[str]]:
    """The local web and DOI system, as the command-line arguments that point factlinks there."""
    with Farm() as farm, DoiResolver(_dois()) as resolver:
        _web(farm)
        args = [*farm.remap_args(), "--remap", farm.closed_port_rule("wwtug.org")]
        args += ["--doi-resolver", resolver.url, "--contact", "editor@example.org"]
        yield [*args, "--timeout", "3", "--no-archive"]


def _check(world: list[str], folder: Path, suffix: str) -> dict[str, dict[str, object]]:
    folder.mkdir()
    path = folder / f"refs20.{suffix}"
    shutil.copyfile(FIXTURES / path.name, path)
    argv = ["check", str(path), "--out", str(folder / "out"), "--format", "json"]
    argv += ["--state", str(folder / "state.db"), "-q", *world]
    assert main(argv) == 1
    report = json.loads((folder / "out" / "report.json").read_text("utf-8"))
    return {str(source["id"]): source for source in report["sources"]}


def test_the_three_files_hold_the_same_twenty_references() -> None:
    registries = [load_sources(FIXTURES / f"refs20.{suffix}") for suffix in FORMATS]
    described = [
        [(s.id, s.url, s.doi, s.accessed, s.year, len(s.authors)) for s in registry]
        for registry in registries
    ]
    assert described[0] == described[1] == described[2]
    assert [s.id for s in registries[0]] == list(EXPECTED)
    assert all(not registry.notes for registry in registries)  # every entry checkable
    assert registries[0].get("10.1-17").url == _blog_url()  # type: ignore[union-attr]


def test_the_same_statuses_whatever_file_holds_the_references(
    world: list[str], tmp_path: Path
) -> None:
    results = {suffix: _check(world, tmp_path / suffix, suffix) for suffix in FORMATS}
    for suffix, found in results.items():
        assert {key: item["status"] for key, item in found.items()} == EXPECTED, suffix
    bib, csl, ris = (results[suffix] for suffix in FORMATS)
    for key in EXPECTED:
        assert bib[key]["new_url"] == csl[key]["new_url"] == ris[key]["new_url"]
        assert bib[key]["year"] == csl[key]["year"] == ris[key]["year"]
    assert {key: bib[key]["new_url"] for key in MOVED_TO} == MOVED_TO
    sigfridsson = bib["sigfridsson"]["doi_check"]
    assert isinstance(sigfridsson, dict)
    assert (sigfridsson["registered"], sigfridsson["verified"]) == (True, True)
    assert str(bib["sigfridsson"]["reason"]).startswith("Verified through the DOI system")
    assert "is not registered" in str(bib["liu2015"]["reason"])
    assert "'Musical Autonomy Revisited'" in str(bib["bonds2014"]["reason"])


def test_fix_apply_on_the_bib_changes_only_the_urls_of_the_moved_entries(
    world: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _check(world, tmp_path / "bib", "bib")
    path = tmp_path / "bib" / "refs20.bib"
    before = path.read_text("utf-8")
    fix = ["fix", str(path), "--state", str(tmp_path / "bib" / "state.db"), "--apply"]
    assert main(fix) == 0
    assert "3 change(s) written" in capsys.readouterr().err
    after = path.read_text("utf-8")
    removed, added = _changed_lines(before, after)
    assert removed == [
        "  url = {http://www.gutenberg.org/ebooks/432}",
        "  URL            = {https://dictionary.apa.org/},",
    ]
    assert added == [
        "  url          = {https://arxiv.org/abs/math/0307200v4},",  # beside its eprint
        "  url = {http://www.gutenberg.org/ebooks/432/}",
        "  URL            = {https://dictionary.apa.org/home},",
    ]
    moved = {key for key, item in found.items() if item["status"] == "moved"}
    assert moved == set(MOVED_TO)
    rechecked = {s.id: s.url for s in load_sources(path)}
    assert {key: rechecked[key] for key in MOVED_TO} == MOVED_TO
    unmoved = {s.id: s.url for s in load_sources(FIXTURES / "refs20.bib") if s.id not in moved}
    assert unmoved == {key: url for key, url in rechecked.items() if key not in moved}


def _changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))
    body = [line for line in lines[2:] if not line.startswith("@@")]
    removed = [line[1:] for line in body if line.startswith("-")]
    added = [line[1:] for line in body if line.startswith("+")]
    return removed, added


def test_the_bib_check_benchmark_scores_every_verdict_of_the_fixtures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/bib_check.py (the corpus run, outside the suite) works, on files here."""
    spec = importlib.util.spec_from_file_location("bib_check", BIB_CHECK)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bib_check", bench)  # its dataclasses look it up
    spec.loader.exec_module(bench)
    fixtures = [FIXTURES / "refs20.bib", FIXTURES.parent / "bibtex" / "refs.bib"]
    with bench.CatchAll() as web:
        rows = [bench.check_file(path, web, tmp_path) for path in fixtures]
    for row in rows:
        assert (row.error, row.wrong) == ("", [])
        assert row.reported == row.loaded > 0
        assert row.scored >= row.loaded - 2  # a shared page is not scored
