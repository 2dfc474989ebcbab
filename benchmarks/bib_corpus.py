#!/usr/bin/env python3
"""Load every file of the real-``.bib`` corpus with ``factlinks.load_sources`` (issue 12).

Build the corpus first (``benchmarks/bib_corpus/build.py --corpus DIR``). Per file this prints
the entries (``@type{`` blocks other than ``@string``/``@preamble``/``@comment``, counted by a
crude regex), the sources factlinks made, the crude count of entries with a ``url``/``doi``
field (or ``\\url{``), the not-checkable count from the registry's notes, the error if any and
the time; then a totals line. A file whose ``expect`` is ``"ok"`` and that fails, or whose
sources are fewer than its crude url/doi count, is marked ``!``. Exit 1 when a file marked
``"ok"`` fails.

Usage::

    python benchmarks/bib_corpus.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

import factlinks

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE / "bib_corpus" / "build"
ENV_VAR = "FACTLINKS_BIB_CORPUS"
ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*(?!string|preamble|comment)\w+[ \t]*[{(]", re.I | re.M)
NOT_CHECKABLE_RE = re.compile(r": (\d+) entr(?:y|ies) not checkable")


def crude_linked(text: str) -> int:
    """Entries with a url or doi field or a \\url{: split at entry starts, look in each."""
    starts = [m.start() for m in ENTRY_RE.finditer(text)] + [len(text)]
    blocks = (text[a:b] for a, b in itertools.pairwise(starts))
    field = re.compile(r"(?:^|[,{\s])(?:url|doi)\s*=|\\url\{", re.I)
    return sum(1 for block in blocks if field.search(block))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", metavar="DIR")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus or os.environ.get(ENV_VAR) or DEFAULT_CORPUS).resolve()
    rows = json.loads((corpus / "manifest.json").read_text("utf-8"))
    logging.disable(logging.WARNING)  # the notes are counted; warnings would flood
    totals = {"files": 0, "entries": 0, "sources": 0, "crude": 0, "unchecked": 0, "errors": 0}
    unexpected = 0
    print(f"{'file':42} {'entries':>7} {'sources':>7} {'url/doi':>7} {'not-chk':>7} {'s':>6}")
    for row in rows:
        path = corpus / "files" / row["name"]
        text = path.read_bytes().decode("latin-1")  # only ASCII is counted
        entries, crude = len(ENTRY_RE.findall(text)), crude_linked(text)
        started = time.monotonic()
        error, sources, unchecked = "", 0, 0
        try:
            registry = factlinks.load_sources(path)
            sources = len(registry)
            unchecked = sum(
                int(m.group(1)) for n in registry.notes for m in NOT_CHECKABLE_RE.finditer(n)
            )
        except factlinks.FactlinksError as exc:
            error = str(exc).replace(str(corpus / "files") + "/", "")[:110]
        took = time.monotonic() - started
        flag = "!" if (error and row["expect"] == "ok") or (not error and sources < crude) else " "
        unexpected += bool(error and row["expect"] == "ok")
        print(
            f"{flag}{row['name'][:41]:41} {entries:7} {sources:7} {crude:7} {unchecked:7}"
            f" {took:6.2f}"
        )
        if error:
            print(f"   error ({row['expect']} expected): {error}")
        for key, value in (
            ("files", 1),
            ("entries", entries),
            ("sources", sources),
            ("crude", crude),
            ("unchecked", unchecked),
            ("errors", bool(error)),
        ):
            totals[key] += value
    print(
        "totals: "
        + ", ".join(f"{k} {v}" for k, v in totals.items())
        + f"; unexpected errors {unexpected}"
    )
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
