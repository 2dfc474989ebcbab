"""pypdf against PDFium (pypdfium2), job by job, on the real PDFs of the title corpus.

The jobs factlinks has for a PDF engine, each measured on both where both can do it:

- **page text**: the text of the first 5 pages of every corpus PDF, one core; documents per
  second and p50/p95 per document, median over ``--rounds`` (engines alternate);
- **Info title**: read from every PDF; how often the two agree;
- **XMP dc:title**: pypdf only (PDFium has no access to the XMP packet);
- **link annotations**: URI links of the first 5 pages; how many each finds;
- **encrypted**: a corpus PDF encrypted with an empty user password (must open) and with a
  real one (must be refused as encrypted);
- **damaged**: corpus PDFs cut to 50 % and 90 % of their bytes, and with ``xref`` and
  ``startxref`` overwritten: how many still give page 1's text.

    python benchmarks/title_corpus/build.py      # once
    python benchmarks/pdf_engines.py --rounds 3
"""

from __future__ import annotations

import argparse
import ctypes
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader, PdfWriter

from factlinks._inspect.pdf import info_value, page_text, quiet_pypdf

HERE = Path(__file__).resolve().parent
DOCS = HERE / "title_corpus" / "build" / "docs" / "pdf"
PAGES = 5


def pypdf_text(data: bytes) -> str:
    with quiet_pypdf():
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted")
        return "\n".join(p.extract_text() or "" for p in reader.pages[:PAGES])


def pdfium_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(page_text(pdf, n) for n in range(min(PAGES, len(pdf))))
    finally:
        pdf.close()


def pypdf_title(data: bytes) -> str:
    with quiet_pypdf():
        info = PdfReader(io.BytesIO(data), strict=False).metadata
        return str(info.title or "").strip() if info is not None else ""


def pdfium_title(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return info_value(pdf, "Title").strip()
    finally:
        pdf.close()


def pypdf_xmp(data: bytes) -> bool:
    with quiet_pypdf():
        xmp = PdfReader(io.BytesIO(data), strict=False).xmp_metadata
        return bool(xmp is not None and xmp.dc_title)


def pypdf_links(data: bytes) -> int:
    found = 0
    with quiet_pypdf():
        for page in PdfReader(io.BytesIO(data), strict=False).pages[:PAGES]:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                if action is not None and action.get_object().get("/URI"):
                    found += 1
    return found


def pdfium_links(data: bytes) -> int:
    pdf = pdfium.PdfDocument(data)
    found = 0
    try:
        for number in range(min(PAGES, len(pdf))):
            page = pdf[number]
            position = ctypes.c_int(0)
            link = pdfium_c.FPDF_LINK()
            while pdfium_c.FPDFLink_Enumerate(page, ctypes.byref(position), ctypes.byref(link)):
                action = pdfium_c.FPDFLink_GetAction(link)
                if action and pdfium_c.FPDFAction_GetURIPath(pdf, action, None, 0) > 1:
                    found += 1
            page.close()
    finally:
        pdf.close()
    return found


def timed(job: Callable[[bytes], object], data: bytes) -> tuple[float, object]:
    started = time.perf_counter()
    try:
        result: object = job(data)
    except Exception as exc:  # a failure is a result here
        result = exc
    return time.perf_counter() - started, result


def text_speed(documents: list[bytes], rounds: int) -> None:
    engines = {"pypdf": pypdf_text, "pdfium": pdfium_text}
    rates: dict[str, list[float]] = {name: [] for name in engines}
    times: dict[str, list[float]] = {name: [] for name in engines}
    failures: dict[str, int] = {}
    for number in range(rounds):
        order = list(engines) if number % 2 == 0 else list(engines)[::-1]
        for name in order:
            seconds = [timed(engines[name], data) for data in documents]
            rates[name].append(len(documents) / sum(s for s, _ in seconds))
            times[name] = sorted(s for s, _ in seconds)
            failures[name] = sum(isinstance(r, Exception) for _, r in seconds)
    print(f"page text, first {PAGES} pages of {len(documents)} PDFs, median of {rounds} round(s):")
    for name in engines:
        ordered = times[name]
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"  {name:<7} {statistics.median(rates[name]):6.1f} documents/s  "
            f"p50 {1000 * statistics.median(ordered):5.0f} ms  p95 {1000 * p95:5.0f} ms  "
            f"failures {failures[name]}"
        )
    ratio = statistics.median(rates["pdfium"]) / statistics.median(rates["pypdf"])
    print(f"  pdfium / pypdf: {ratio:.1f}x")


def fields(documents: list[bytes]) -> None:
    titles = [(timed(pypdf_title, d)[1], timed(pdfium_title, d)[1]) for d in documents]
    same = sum(a == b for a, b in titles)
    have = [sum(isinstance(t, str) and bool(t) for t in side) for side in zip(*titles, strict=True)]
    print(f"Info title: pypdf {have[0]}, pdfium {have[1]} non-empty; equal in {same}/{len(titles)}")
    xmp = sum(timed(pypdf_xmp, d)[1] is True for d in documents)
    print(f"XMP dc:title: pypdf reads it in {xmp}/{len(documents)} (PDFium cannot read XMP)")
    links = [(timed(pypdf_links, d)[1], timed(pdfium_links, d)[1]) for d in documents]
    counts = [sum(n for n in side if isinstance(n, int)) for side in zip(*links, strict=True)]
    print(f"URI link annotations, first {PAGES} pages: pypdf {counts[0]}, pdfium {counts[1]}")


def encrypted(sample: bytes) -> None:
    for password, should_open in (("", True), ("secret", False)):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(sample)))
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        data = buffer.getvalue()
        for name, job in (("pypdf", pypdf_text), ("pdfium", pdfium_text)):
            _, result = timed(job, data)
            opened = isinstance(result, str) and bool(result.strip())
            verdict = "right" if opened == should_open else "WRONG"
            what = "opens" if opened else f"refused ({type(result).__name__})"
            print(f"encrypted, user password {password!r}: {name:<7} {what} - {verdict}")


def damaged(documents: list[bytes]) -> None:
    variants: dict[str, list[bytes]] = {
        "cut to 50 %": [d[: len(d) // 2] for d in documents],
        "cut to 90 %": [d[: len(d) * 9 // 10] for d in documents],
        "xref overwritten": [
            d.replace(b"startxref", b"startxreX").replace(b"xref", b"xreX") for d in documents
        ],
    }
    for label, datas in variants.items():
        read = {
            name: sum(
                isinstance(r, str) and bool(r.strip()) for r in (timed(job, d)[1] for d in datas)
            )
            for name, job in (("pypdf", _first_page_pypdf), ("pdfium", _first_page_pdfium))
        }
        print(f"damaged, {label}: page 1 text from pypdf {read['pypdf']}, pdfium {read['pdfium']}"
              f" of {len(datas)}")  # fmt: skip


def _first_page_pypdf(data: bytes) -> str:
    with quiet_pypdf():
        return PdfReader(io.BytesIO(data), strict=False).pages[0].extract_text() or ""


def _first_page_pdfium(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return page_text(pdf, 0)
    finally:
        pdf.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    paths = sorted(args.docs.glob("*.pdf"))
    if not paths:
        sys.exit(f"no PDFs in {args.docs}; run: python {HERE / 'title_corpus' / 'build.py'}")
    documents = [p.read_bytes() for p in paths]
    text_speed(documents, args.rounds)
    fields(documents)
    encrypted(documents[0])
    damaged(documents)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
