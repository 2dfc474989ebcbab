#!/usr/bin/env python3
"""Issue 11's PDF acceptance points, measured on real PDFs (``benchmarks/url_corpus``).

For each document of ``url_corpus/pdf_urls.toml`` (built by ``url_corpus/build.py``) the ground
truth is ``printed``: the http(s) URLs visibly printed on the pages read. Two figures:

* **text-only recall**: factlinks' PDF reader on the pages with every link annotation removed
  (``noannots/``); recall = printed URLs found / printed URLs. Target: >= 0.90.
* **broken share with annotations**: the reader on the pages as published (``pages/``); a
  reported URL that is neither printed nor an annotation URI of the document and that is a
  truncation, extension or glue of one (one inside the other, hyphens aside: FOP and dblatex
  glue wrapped pieces back with a hyphen) is *broken*; broken share = broken / printed URLs.
  Target: <= 0.005. Other extra URLs (related to nothing) are counted apart. URLs the manifest
  lists as ``offpage`` (in the text layer but off the page, so not printed) count neither way.

URLs are compared with scheme and host lower-cased and one trailing ``/`` ignored, each distinct
URL once per document. The same two figures are printed for a reference: poppler's ``pdftotext``
text fed to factlinks' text rules (``urls_in_text``), or a plain regex when those are not
importable, with annotation URIs added for the second figure: what the text layer alone gives.

Usage::

    python benchmarks/url_corpus/build.py --corpus DIR   # once
    python benchmarks/pdf_urls.py --corpus DIR [--rounds N] [--only SUBSTRING]
        [--reader read_pdf|extract_urls] [--no-reference] [--details]

``--corpus`` defaults to ``$FACTLINKS_URL_CORPUS``, else ``benchmarks/url_corpus/build``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "url_corpus" / "pdf_urls.toml"
DEFAULT_CORPUS = HERE / "url_corpus" / "build"
ENV_VAR = "FACTLINKS_URL_CORPUS"
TARGET_RECALL = 0.90
TARGET_BROKEN = 0.005
PLAIN_URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
TRAILING = ".,;:!?'\"’”)]}>"  # noqa: RUF001 (closing quotes are punctuation)

Extractor = Callable[[bytes, str, Path], set[str]]


def key(url: str) -> str:
    """The comparison key: scheme and host lower-cased, one trailing ``/`` dropped."""
    try:
        parts = urlsplit(url)
        url = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()
    except ValueError:
        pass
    return url[:-1] if url.endswith("/") else url


def factlinks_reader(data: bytes, name: str, path: Path) -> set[str]:
    """The URLs factlinks' PDF reader reports."""
    from factlinks._extract.pdf import read_pdf

    return {cited.url for cited in read_pdf(data, name)}


def factlinks_extract(data: bytes, name: str, path: Path) -> set[str]:
    """The URLs ``factlinks.extract_urls`` reports (the public API: a parse worker per call)."""
    import factlinks

    return {cited.url for cited in factlinks.extract_urls(path)}


READERS: dict[str, Extractor] = {"read_pdf": factlinks_reader, "extract_urls": factlinks_extract}


def text_rules() -> tuple[str, Callable[[str], list[str]]]:
    """factlinks' text rules when importable, else a plain regex; with the name printed."""
    try:
        from factlinks._extract.urls import urls_in_text
    except ImportError:
        return "plain regex", lambda text: [
            m.group().rstrip(TRAILING) for m in PLAIN_URL_RE.finditer(text)
        ]
    return "factlinks urls_in_text", lambda text: [c.url for c in urls_in_text(text, "ref")]


def poppler_reader(rules: Callable[[str], list[str]]) -> Extractor:
    """The reference: ``pdftotext`` text through the text rules (annotations not read)."""

    def read(data: bytes, name: str, path: Path) -> set[str]:
        text = subprocess.run(
            ["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return set(rules(text))

    return read


def annotation_uris(data: bytes) -> set[str]:
    """The http(s) URIs of the link annotations (pypdf objects only)."""
    from pypdf import PdfReader

    found = set()
    for page in PdfReader(io.BytesIO(data), strict=False).pages:
        for ref in page.get("/Annots") or []:
            action = ref.get_object().get("/A")
            action = action.get_object() if action is not None else None
            uri = action.get("/URI") if isinstance(action, dict) else None
            if isinstance(uri, bytes):
                uri = uri.decode("latin-1")
            if uri is not None and str(uri).strip().lower().startswith(("http://", "https://")):
                found.add(str(uri).strip())
    return found


def related(url: str, known: Iterable[str]) -> bool:
    """Whether ``url`` is a truncation, extension or glue of one of ``known``.

    Hyphens are left out of the comparison, so a wrapped URL glued back with the typesetter's
    hyphen (``http://svn.fedorahost-ed.org/svn/publican``) counts too.
    """
    low = url.lower().replace("-", "")
    return any(
        k in low or low in k for k in (u.lower().rstrip("/").replace("-", "") for u in known)
    )


@dataclass
class Row:
    """The figures of one document for one extractor."""

    printed: int = 0
    found: int = 0
    broken: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    seconds: float = 0.0
    """Time spent in the extractor (both runs), scoring left out."""


def score(
    truth: list[str],
    annots: set[str],
    text_only: set[str],
    full: set[str],
    offpage: Iterable[str] = (),
) -> Row:
    """Recall on the text-only run; broken and other extras on the run with annotations.

    ``offpage``: URLs of the text layer that run off the page: neither required nor counted.
    """
    truth_keys = {key(u): u for u in truth}
    found_keys = {key(u) for u in text_only}
    row = Row(printed=len(truth_keys))
    row.found = sum(1 for k in truth_keys if k in found_keys)
    row.misses = [u for k, u in truth_keys.items() if k not in found_keys]
    known = {key(u) for u in annots} | set(truth_keys)
    ignored = known | {key(u) for u in offpage}
    for url in sorted(full):
        if key(url) in ignored:
            continue
        (row.broken if related(key(url), known) else row.other).append(url)
    return row


def run_document(
    table: dict[str, Any], corpus: Path, extractor: Extractor, *, add_annots: bool = False
) -> Row:
    """Score one extractor on one document; ``add_annots``: it does not read annotations, so
    their URIs are added to what it reports on the pages as published."""
    name = table["name"]
    full_path = corpus / "pages" / name
    bare_path = corpus / "noannots" / name
    full_data, bare_data = full_path.read_bytes(), bare_path.read_bytes()
    stem = Path(name).stem
    started = time.perf_counter()
    text_only = extractor(bare_data, stem, bare_path)
    full = extractor(full_data, stem, full_path)
    seconds = time.perf_counter() - started
    annots = annotation_uris(full_data)
    reported = full | annots if add_annots else full
    row = score(table["printed"], annots, text_only, reported, table.get("offpage", []))
    row.seconds = seconds
    return row


def corpus_dir(option: str | None) -> Path:
    chosen = option or os.environ.get(ENV_VAR)
    return Path(chosen).resolve() if chosen else DEFAULT_CORPUS


def load_tables(only: str | None) -> list[dict[str, Any]]:
    with MANIFEST.open("rb") as fh:
        tables = tomllib.load(fh)["document"]
    return [t for t in tables if only is None or only in t["name"]]


def short(urls: list[str], count: int = 2, width: int = 70) -> str:
    return " ".join(u if len(u) <= width else u[: width - 1] + "…" for u in urls[:count])


def totals(rows: Iterable[Row]) -> Row:
    total = Row()
    for row in rows:
        total.printed += row.printed
        total.found += row.found
        total.broken += row.broken
        total.other += row.other
        total.misses += row.misses
    return total


def figures(row: Row) -> str:
    recall = row.found / row.printed if row.printed else 0.0
    broken = len(row.broken) / row.printed if row.printed else 0.0
    return (
        f"text-only recall {recall:.3f} ({row.found}/{row.printed}, target >= {TARGET_RECALL:.2f});"
        f" broken with annotations {broken:.2%} ({len(row.broken)}/{row.printed},"
        f" target <= {TARGET_BROKEN:.1%}); other extras {len(row.other)}"
    )


def print_details(tables: list[dict[str, Any]], rows: list[Row]) -> None:
    """Every miss, broken and other extra URL, document by document."""
    for table, row in zip(tables, rows, strict=True):
        lists = (("missed", row.misses), ("broken", row.broken), ("other", row.other))
        if any(urls for _, urls in lists):
            print(f"{table['name']} ({table.get('kind', '?')})")
        for label, urls in lists:
            for url in urls:
                print(f"  {label:7} {url}")


def print_rows(tables: list[dict[str, Any]], rows: list[Row]) -> None:
    print(
        f"{'document':58} {'printed':>7} {'found':>5} {'broken':>6} {'other':>5}  misses | broken"
    )
    for table, row in zip(tables, rows, strict=True):
        name = table["name"].removeprefix("pdf/")[:58]
        print(
            f"{name:58} {row.printed:7} {row.found:5} {len(row.broken):6} {len(row.other):5}"
            f"  {short(row.misses)} | {short(row.broken)}"
        )


def print_kinds(tables: list[dict[str, Any]], rows: list[Row]) -> None:
    by_kind: dict[str, list[Row]] = defaultdict(list)
    for table, row in zip(tables, rows, strict=True):
        by_kind[table.get("kind", "?")].append(row)
    print("per kind:")
    for kind, kind_rows in sorted(by_kind.items()):
        total = totals(kind_rows)
        recall = total.found / total.printed if total.printed else 0.0
        broken = len(total.broken) / total.printed if total.printed else 0.0
        print(
            f"  {kind:58} docs {len(kind_rows):2}  printed {total.printed:4}"
            f"  recall {recall:.3f}  broken {broken:6.2%}  other {len(total.other)}"
        )


def timed_rows(
    tables: list[dict[str, Any]], corpus: Path, extractor: Extractor, rounds: int, add: bool
) -> tuple[list[Row], float]:
    times = []
    rows: list[Row] = []
    for _ in range(rounds):
        rows = [run_document(t, corpus, extractor, add_annots=add) for t in tables]
        times.append(sum(row.seconds for row in rows))
    return rows, statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Issue 11's PDF URL acceptance points.")
    parser.add_argument("--corpus", metavar="DIR", help=f"built corpus (default ${ENV_VAR})")
    parser.add_argument("--rounds", type=int, default=1, help="median time over N rounds")
    parser.add_argument("--only", metavar="SUBSTRING", help="only documents whose name has it")
    parser.add_argument("--no-reference", action="store_true", help="skip the poppler reference")
    parser.add_argument(
        "--details", action="store_true", help="list every miss, broken and other URL"
    )
    parser.add_argument(
        "--reader",
        choices=sorted(READERS),
        default="read_pdf",
        help="factlinks._extract.pdf.read_pdf (default) or the public factlinks.extract_urls",
    )
    args = parser.parse_args(argv)
    corpus = corpus_dir(args.corpus)
    tables = load_tables(args.only)
    missing = [t["name"] for t in tables if not (corpus / "noannots" / t["name"]).is_file()]
    if missing:
        print(f"{len(missing)} documents not built in {corpus}; run url_corpus/build.py first")
        return 1
    pages = sum(t["pages"][1] - t["pages"][0] + 1 for t in tables)
    print(f"{len(tables)} PDFs, up to {pages} pages read, corpus {corpus}")
    rows, seconds = timed_rows(tables, corpus, READERS[args.reader], args.rounds, False)
    print_rows(tables, rows)
    if args.details:
        print_details(tables, rows)
    print_kinds(tables, rows)
    print(
        f"factlinks {args.reader}: {figures(totals(rows))};"
        f" {seconds:.1f} s in the reader (both runs, median of {args.rounds})"
    )
    if not args.no_reference and shutil.which("pdftotext"):
        label, rules = text_rules()
        ref_rows, ref_seconds = timed_rows(tables, corpus, poppler_reader(rules), 1, True)
        print_kinds(tables, ref_rows)
        print(f"reference pdftotext + {label}: {figures(totals(ref_rows))}; {ref_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
