#!/usr/bin/env python3
"""Ground-truth candidates for ``pdf_urls.toml``, derived without factlinks' code.

For each document of the built corpus (``build.py``) this prints, page by page over the pages
read (``pages`` in the manifest; with ``--scan``, over the whole PDF, to choose them):

* every URI link annotation, with the text poppler shows inside its rectangle
  (``pdftotext -bbox``: the words whose centre lies in the rectangle), and whether that text
  *is* the URI (white space removed, a trailing ``/`` ignored): an annotation whose rectangle
  shows its own URL is a printed URL;
* every ``http(s)://`` run in poppler's plain text (``pdftotext -raw``: lines as printed, no
  dehyphenation), line by line, marked ``LINE-END`` when it ends its line (it may wrap).

``--propose`` applies the manifest header's rules 1-3 and prints ``printed = [...]`` with a note
per line-end URL (joined, and how; or kept); ``--check`` compares each document's ``printed``
with its proposal less ``excluded`` plus ``added`` (exit status 1 on a difference); ``--scan``
counts URL items on every page of the whole PDF, to choose ``pages``; ``--manifest`` reads another
manifest (documents built into the same corpus directory), to try new documents.

Link annotations are read with pypdf as objects only (their ``/Rect`` and ``/URI``); no page text
comes from pypdf, PDFium or factlinks. The output is what a person adjudicates with
``pdftoppm -r 80 -f N -l N -png``; see the manifest's header for the rules.

Usage::

    python benchmarks/url_corpus/candidates.py [--corpus DIR] [--scan | --propose | --check]
        [--manifest TOML] [NAME-SUBSTRING ...]
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build import corpus_dir, load_manifest

URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
WORD_RE = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)
PAGE_RE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
WINDOW = 10


@dataclass(frozen=True)
class Word:
    """A word of poppler's text with its box (points, origin top left)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def poppler_text(pdf: Path, first: int, last: int) -> list[str]:
    """Poppler's plain text of pages first..last, one string per page."""
    out = subprocess.run(
        [
            "pdftotext",
            "-q",
            "-raw",
            "-enc",
            "UTF-8",
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf),
            "-",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return out.split("\f")[: last - first + 1]


def poppler_words(pdf: Path, number: int) -> list[Word]:
    """Poppler's words of one page with their boxes."""
    out = subprocess.run(
        ["pdftotext", "-q", "-bbox", "-f", str(number), "-l", str(number), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [
        Word(float(a), float(b), float(c), float(d), html.unescape(t))
        for a, b, c, d, t in WORD_RE.findall(out)
    ]


def text_urls(page_text: str) -> list[tuple[str, bool]]:
    """The ``http(s)://`` runs of a page's text and whether each ends its line."""
    found = []
    for line in page_text.splitlines():
        for match in URL_RE.finditer(line):
            found.append((match.group(), not line[match.end() :].strip()))
    return found


def link_annotations(page: Any) -> list[tuple[str, list[float]]]:
    """The URI link annotations of a pypdf page: (URI, rectangle in poppler's coordinates)."""
    box = page.cropbox
    left, top = float(box.left), float(box.top)
    found = []
    for ref in page.get("/Annots") or []:
        annot = ref.get_object()
        action = annot.get("/A")
        action = action.get_object() if action is not None else None
        uri = action.get("/URI") if isinstance(action, dict) else None
        if uri is None or "/Rect" not in annot:
            continue
        uri = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
        x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
        rect = [min(x0, x1) - left, top - max(y0, y1), max(x0, x1) - left, top - min(y0, y1)]
        found.append((uri.strip(), rect))
    return found


def inside(word: Word, rect: list[float]) -> bool:
    cx, cy = (word.x0 + word.x1) / 2, (word.y0 + word.y1) / 2
    return rect[0] - 1 <= cx <= rect[2] + 1 and rect[1] - 1 <= cy <= rect[3] + 1


def shows(under: str, uri: str) -> bool:
    """Whether the rectangle's text (white space removed) contains the URI (a final ``/`` aside)."""
    squeezed = under.replace(" ", "").lower()
    wanted = uri.rstrip("/").lower()
    start = squeezed.find(wanted)
    while start >= 0:
        after = squeezed[start + len(wanted) : start + len(wanted) + 2].lstrip("/")
        if not after or not (after[0].isalnum() or after[0] in "-_~%?#=&+"):
            return True  # the URI, not the start of a longer URL
        start = squeezed.find(wanted, start + 1)
    return False


def rect_text(words: list[Word], rects: list[list[float]]) -> str:
    """The words inside the rectangles, top to bottom, left to right."""
    chosen = {id(w): w for rect in rects for w in words if inside(w, rect)}.values()
    return " ".join(w.text for w in sorted(chosen, key=lambda w: (round(w.y0), w.x0)))


def report_page(pdf: Path, page: Any, number: int, text: str) -> None:
    """Print the candidates of one page."""
    words = poppler_words(pdf, number)
    by_uri: dict[str, list[list[float]]] = {}
    for uri, rect in link_annotations(page):
        by_uri.setdefault(uri, []).append(rect)
    shown = text_urls(text)
    if not by_uri and not shown:
        return
    print(f"  page {number}")
    for uri, rects in by_uri.items():
        under = rect_text(words, rects)
        verdict = "SHOWS-URI" if shows(under, uri) else "other-text"
        print(f"    annot {verdict:10} {uri}  <- {under[:120]!r}")
    for url, line_end in shown:
        print(f"    text  {'LINE-END' if line_end else '':10} {url}")


TRAILING = ".,;:!?'\"’”»"  # noqa: RUF001 (closing quotes are punctuation)
CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}


def trim(url: str) -> str:
    """A text URL without the sentence punctuation and unbalanced closing brackets after it."""
    while url and (url[-1] in TRAILING or url[-1] in CLOSERS):
        last = url[-1]
        if last in CLOSERS and url.count(CLOSERS[last]) >= url.count(last):
            break
        url = url[:-1]
    return url


def same(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


STUB_RE = re.compile(r"https?:/{0,2}$", re.IGNORECASE)
INSIDE_SIGN_RE = re.compile(r"\w[./=%&?#:]\w")
FOOTNOTE_START_RE = re.compile(r"\d*(https?://|mailto:)|\d+[^\W\d_]", re.IGNORECASE)


def continuation(url: str, next_line: str) -> str | None:
    """The next line's first token when it reads as the rest of ``url`` (wrapped), else None.

    The rest of a URL has a letter and one of ``. / = % & ? # :`` between word characters
    ("debian.org/", "Bugs/Reporting.", "t=Publican%20..."), ends with ``/`` ("addons/") or starts
    with one of ``% / . ? # = & _ ~`` ("%29_Test_Script_Recorder"); a
    plain word ("Hilfe", "verfügbar."), a list number ("2."), a URL and a footnote number glued
    to a word ("2http://...", "5legal.shtml") do not.
    """
    token = next_line.strip().split(" ", 1)[0] if next_line.strip() else ""
    if not token or not any(c.isalpha() for c in token):
        return None
    if not (INSIDE_SIGN_RE.search(token) or trim(token).endswith("/") or token[0] in "%/.?#=&_~"):
        return None
    if FOOTNOTE_START_RE.match(token):
        return None  # a new URL, or a footnote's number and text ("2http://", "5legal.shtml")
    return token


def joined(raw: str, token: str, uris: list[str]) -> tuple[str, str]:
    """``raw`` joined with the next line's ``token``, and how it was decided.

    An annotation URI equal to the join (with or without a final hyphen of ``raw``, which FOP
    inserts to hyphenate) decides; otherwise the join keeps the hyphen, as LaTeX and office
    suites break URLs after hyphens that belong to them.
    """
    tries = [raw + token] + ([raw[:-1] + token] if raw.endswith("-") else [])
    for attempt in tries:
        for uri in uris:
            if same(trim(attempt), uri):
                return uri, "joined, annotation agrees"
    return trim(raw + token), "joined"


def line_end_url(raw: str, next_line: str, uris: list[str], number: int) -> tuple[str, str]:
    """The printed URL for a URL that ends its line, and a note for the adjudicator."""
    first = next_line.strip().split(" ", 1)[0] if next_line.strip() else ""
    if first:
        url, how = joined(raw, first, uris)
        if how.endswith("agrees"):
            return url, f"p{number}: {how}: {raw!r} + {first!r}"
    token = continuation(raw, next_line)
    if token is None:
        return trim(raw), f"p{number}: kept at line end, next line {next_line.strip()[:40]!r}"
    url, how = joined(raw, token, uris)
    return url, f"p{number}: {how}: {raw!r} + {token!r}"


def page_uris(pdf: Path, page: Any, number: int) -> tuple[list[str], list[str]]:
    """The http(s) annotation URIs of a page, and those whose rectangles show them."""
    words = poppler_words(pdf, number)
    by_uri: dict[str, list[list[float]]] = {}
    for uri, rect in link_annotations(page):
        if uri.lower().startswith(("http://", "https://")):
            by_uri.setdefault(uri, []).append(rect)
    shown = [uri for uri, rects in by_uri.items() if shows(rect_text(words, rects), uri)]
    return list(by_uri), shown


def line_urls(line: str) -> list[tuple[str, bool]]:
    """The raw URL runs of a line, a scheme stub at its end ("https:") included, and whether
    each ends the line."""
    found = [(m.group(), not line[m.end() :].strip()) for m in URL_RE.finditer(line)]
    stub = STUB_RE.search(line.rstrip())
    if stub and not URL_RE.search(stub.group()):
        found.append((stub.group(), True))
    return found


def propose_page(pdf: Path, page: Any, number: int, text: str) -> tuple[list[str], list[str]]:
    """The printed URLs of one page by the mechanical rules, and notes on line-end URLs."""
    uris, shown = page_uris(pdf, page, number)
    printed = list(shown)
    notes: list[str] = []
    # U+00AD in a text layer is a hyphen glyph that is drawn (Scribus maps "-" to it; TeX's
    # hyphenation at a line end): read as "-", then rule 3 or an annotation decides at line ends.
    lines = text.replace("\xad", "-").splitlines()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        for raw, at_end in line_urls(line):
            url = trim(raw)
            if at_end and not any(same(url, uri) for uri in uris):
                url, note = line_end_url(raw, following, uris, number)
                notes.append(f"{note} -> {url}")
            piece = at_end and any(u.lower().startswith(url.lower()) for u in shown)
            if not piece and not any(same(url, p) for p in printed):
                printed.append(url)
    return [u for u in printed if URL_RE.fullmatch(u)], notes


def proposal(pdf: Path, reader: Any, first: int, last: int) -> tuple[list[str], list[str]]:
    """The printed URLs of pages first..last by the mechanical rules, and notes on line ends."""
    printed: list[str] = []
    notes: list[str] = []
    for number, text in zip(range(first, last + 1), poppler_text(pdf, first, last), strict=False):
        more, unsure = propose_page(pdf, reader.pages[number - 1], number, text)
        printed.extend(more)
        notes.extend(unsure)
    return printed, notes


def key(url: str) -> str:
    """The comparison key of the manifest: a trailing ``/`` and case aside."""
    return url.rstrip("/").lower()


def check(table: dict[str, Any], printed: list[str]) -> bool:
    """Whether the manifest's truth is the proposal less ``excluded`` plus ``added``; print
    the differences."""
    want = {key(u) for u in printed} - {key(u) for u in table.get("excluded", [])}
    want |= {key(u) for u in table.get("added", [])}
    have = {key(u) for u in table["printed"]}
    for url in sorted(have - want):
        print(f"  in the manifest, not proposed: {url}")
    for url in sorted(want - have):
        print(f"  proposed, not in the manifest: {url}")
    return have == want


def propose(pdf: Path, reader: Any, first: int, last: int) -> None:
    """Print ``printed = [...]`` by the mechanical rules, notes on line-end URLs as comments."""
    printed, notes = proposal(pdf, reader, first, last)
    for line in notes:
        print(f"# {line}")
    print("printed = [")
    for url in printed:
        print(f'    "{url}",')
    print("]")


def scan(pdf: Path, reader: Any) -> None:
    """Per page, how many URI annotations and text URLs: for choosing the pages read."""
    texts = poppler_text(pdf, 1, len(reader.pages))
    counts = [
        len(link_annotations(page)) + len(text_urls(text))
        for page, text in zip(reader.pages, texts, strict=False)
    ]
    best = max(range(max(1, len(counts) - WINDOW + 1)), key=lambda i: sum(counts[i : i + WINDOW]))
    print(
        f"  {len(counts)} pages; URL items per page: {counts[:60]}; best {WINDOW}-page window"
        f" starts at page {best + 1} ({sum(counts[best : best + WINDOW])} items)"
    )


def main(argv: list[str] | None = None) -> int:
    from pypdf import PdfReader

    parser = argparse.ArgumentParser(description="Ground-truth candidates (poppler).")
    parser.add_argument("--corpus", metavar="DIR")
    parser.add_argument(
        "--manifest", metavar="TOML", help="another manifest (documents built into the corpus)"
    )
    parser.add_argument("--scan", action="store_true", help="count URL items on every page")
    parser.add_argument("--propose", action="store_true", help="print printed = [...] proposals")
    parser.add_argument(
        "--check", action="store_true", help="compare the manifest's truth with the proposals"
    )
    parser.add_argument("names", nargs="*", help="only documents whose name contains one")
    args = parser.parse_args(argv)
    corpus = corpus_dir(args.corpus)
    failures = 0
    for table in load_manifest(Path(args.manifest)) if args.manifest else load_manifest():
        if args.names and not any(n in table["name"] for n in args.names):
            continue
        pdf = corpus / "docs" / table["name"]
        if not pdf.is_file():
            print(f"{table['name']}: not built")
            continue
        reader = PdfReader(pdf, strict=False)
        print(f"{table['name']}")
        if args.scan:
            scan(pdf, reader)
            continue
        first, last = table.get("pages", [1, len(reader.pages)])
        last = min(last, len(reader.pages))
        if args.propose:
            propose(pdf, reader, first, last)
            continue
        if args.check:
            failures += not check(table, proposal(pdf, reader, first, last)[0])
            continue
        for number, text in zip(
            range(first, last + 1), poppler_text(pdf, first, last), strict=False
        ):
            report_page(pdf, reader.pages[number - 1], number, text)
    if args.check:
        print(f"{failures} document(s) whose truth differs from the proposal")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
