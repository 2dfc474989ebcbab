#!/usr/bin/env python3
"""Build the real-document title corpus from pinned Debian packages.

Every ``*.toml`` manifest beside this script may hold ``[[document]]`` tables::

    [[document]]
    name = "pdf/python3.11-doc--howto-logging.pdf"  # becomes build/docs/<name>
    package = "python3.11-doc"                      # Debian binary package
    version = "3.11.2-1"                            # exact Debian version
    path = "usr/share/doc/..."                      # path inside the .deb
    sha256 = "..."                                  # of the file as written to build/docs

The script downloads each needed package at its pinned version with
``apt-get download PKG=VERSION`` into ``build/debs/`` (kept as a cache), extracts
it with ``dpkg-deb -x`` into a temporary directory, copies every document to
``build/docs/<name>`` (a ``.gz`` path is decompressed when ``name`` does not end in
``.gz``), and verifies the sha256 of every document. Other keys of a document
(``format``, ``title``, ``notes`` ...) and other tables (``[[wrong]]``) are ignored.

It is idempotent: a document already present with the right hash is left alone,
and a package is only downloaded and extracted when one of its documents is
missing or wrong. Exit status is 0 when every document is present and verified,
1 otherwise (each problem is listed).

Usage::

    python benchmarks/title_corpus/build.py            # all manifests
    python benchmarks/title_corpus/build.py --only pdf # pdf.toml, pdf_*.toml
    python benchmarks/title_corpus/build.py --clean    # rebuild build/docs from scratch
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
DEBS = BUILD / "debs"
DOCS = BUILD / "docs"
REQUIRED_KEYS = ("name", "package", "version", "path", "sha256")
MAX_SYMLINK_HOPS = 16


@dataclass(frozen=True)
class Document:
    """One document of a manifest."""

    manifest: str
    name: str
    package: str
    version: str
    path: str
    sha256: str

    @property
    def target(self) -> Path:
        return DOCS / self.name

    @property
    def gunzip(self) -> bool:
        return self.path.endswith(".gz") and not self.name.endswith(".gz")


class ManifestError(Exception):
    """A manifest is malformed."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_selected(stem: str, only: str | None) -> bool:
    return only is None or stem == only or stem.startswith(only + "_")


def check_name(name: str, where: str) -> None:
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise ManifestError(f"{where}: unsafe document name {name!r}")


def load_documents(manifests: Iterable[Path]) -> list[Document]:
    documents: list[Document] = []
    seen: dict[str, str] = {}
    for manifest in manifests:
        with manifest.open("rb") as fh:
            data = tomllib.load(fh)
        tables = data.get("document", [])
        if not isinstance(tables, list):
            raise ManifestError(f"{manifest.name}: 'document' must be an array of tables")
        for number, table in enumerate(tables, 1):
            where = f"{manifest.name} document #{number}"
            if not isinstance(table, dict):
                raise ManifestError(f"{where}: not a table")
            missing = [key for key in REQUIRED_KEYS if not isinstance(table.get(key), str)]
            if missing:
                raise ManifestError(f"{where}: missing or non-string {', '.join(missing)}")
            name = table["name"]
            check_name(name, where)
            if name in seen:
                raise ManifestError(f"{where}: name {name!r} also used in {seen[name]}")
            seen[name] = manifest.name
            documents.append(
                Document(
                    manifest=manifest.name,
                    name=name,
                    package=table["package"],
                    version=table["version"],
                    path=table["path"].lstrip("/"),
                    sha256=table["sha256"].lower(),
                )
            )
    return documents


def is_current(doc: Document) -> bool:
    return doc.target.is_file() and bool(doc.sha256) and sha256_of(doc.target) == doc.sha256


def deb_field(deb: Path, field: str) -> str | None:
    result = subprocess.run(
        ["dpkg-deb", "--field", str(deb), field], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def cached_deb(package: str, version: str) -> Path | None:
    """The cached .deb of package at version, if one is present and sound."""
    file_version = version.replace(":", "%3a")
    for deb in sorted(DEBS.glob(f"{package}_{file_version}_*.deb")):
        if deb_field(deb, "Package") == package and deb_field(deb, "Version") == version:
            return deb
        print(f"  removing unusable cached file {deb.name}")
        deb.unlink()
    return None


def apt_download(specs: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "download", "-q", *specs],
        cwd=DEBS,
        capture_output=True,
        text=True,
        check=False,
    )


class Fetcher:
    """Downloads pinned packages into the cache, running apt-get update at most once."""

    def __init__(self) -> None:
        self.updated = False
        self.downloaded = 0

    def update(self) -> None:
        if self.updated:
            return
        self.updated = True
        print("  apt-get update (a download failed; retrying after it)")
        result = subprocess.run(
            ["apt-get", "update", "-q"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            print(f"  apt-get update failed: {result.stderr.strip()[-500:]}")

    def fetch(self, wanted: list[tuple[str, str]], errors: list[str]) -> dict[str, Path]:
        """Map 'pkg=version' to a cached .deb for every wanted package that can be had."""
        DEBS.mkdir(parents=True, exist_ok=True)
        found: dict[str, Path] = {}
        todo: list[tuple[str, str]] = []
        for package, version in wanted:
            deb = cached_deb(package, version)
            if deb is None:
                todo.append((package, version))
            else:
                found[f"{package}={version}"] = deb
        if todo:
            print(f"downloading {len(todo)} package(s) into {DEBS.relative_to(HERE.parent)}/")
            self.download(todo, errors)
            for package, version in todo:
                deb = cached_deb(package, version)
                if deb is not None:
                    found[f"{package}={version}"] = deb
                    self.downloaded += 1
                elif not any(e.startswith(f"download {package}={version} ") for e in errors):
                    errors.append(f"download {package}={version}: no .deb after apt-get download")
        return found

    def download(self, todo: list[tuple[str, str]], errors: list[str]) -> None:
        """Download the packages of ``todo`` into the cache; list each one that fails."""
        # One call for all is fast; when it fails, go one by one to find the culprit.
        if apt_download([f"{p}={v}" for p, v in todo]).returncode == 0:
            return
        for package, version in todo:
            result = apt_download([f"{package}={version}"])
            if result.returncode != 0:
                self.update()
                result = apt_download([f"{package}={version}"])
            if result.returncode != 0:
                message = (result.stderr.strip() or result.stdout.strip())[-300:]
                errors.append(f"download {package}={version} failed: {message}")


def resolve_in_tree(root: Path, member: str) -> Path | None:
    """Follow symlinks inside an extracted package tree; None when the file is not there."""
    current = PurePosixPath(member)
    for _ in range(MAX_SYMLINK_HOPS):
        candidate = root / current
        if candidate.is_symlink():
            link = PurePosixPath(str(candidate.readlink()))
            if link.is_absolute():
                current = PurePosixPath(*link.parts[1:])
            else:
                parts: list[str] = []
                for part in (*current.parent.parts, *link.parts):
                    if part == "..":
                        if parts:
                            parts.pop()
                    elif part != ".":
                        parts.append(part)
                current = PurePosixPath(*parts)
            continue
        return candidate if candidate.is_file() else None
    return None


def install(doc: Document, source: Path) -> None:
    doc.target.parent.mkdir(parents=True, exist_ok=True)
    partial = doc.target.with_name(doc.target.name + ".part")
    if doc.gunzip:
        with gzip.open(source, "rb") as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        shutil.copyfile(source, partial)
    partial.replace(doc.target)


def extract_and_install(deb: Path, docs: list[Document], errors: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="extract-", dir=BUILD) as tmp:
        root = Path(tmp)
        result = subprocess.run(
            ["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            errors.append(f"dpkg-deb -x {deb.name} failed: {result.stderr.strip()[-300:]}")
            return
        for doc in docs:
            source = resolve_in_tree(root, doc.path)
            if source is None:
                errors.append(f"{doc.name}: {doc.path} not found in {deb.name}")
                continue
            try:
                install(doc, source)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                errors.append(f"{doc.name}: cannot copy {doc.path}: {exc}")


def clean(documents: list[Document], everything: bool) -> None:
    """Delete built documents: all of build/docs, or only the selected documents."""
    if everything:
        if DOCS.exists():
            shutil.rmtree(DOCS)
        print(f"removed {DOCS.relative_to(HERE.parent)}/ (the .deb cache is kept)")
    else:
        for doc in documents:
            doc.target.unlink(missing_ok=True)
        print(f"removed the {len(documents)} selected documents (the .deb cache is kept)")
    for leftover in BUILD.glob("extract-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Build the real-document title corpus from pinned Debian packages."
    )
    parser.add_argument(
        "--only",
        metavar="KIND",
        help="only manifests named KIND.toml or KIND_*.toml (e.g. pdf, html)",
    )
    parser.add_argument(
        "--clean",
        action="store_true",
        help="delete the built documents first (all of build/docs, or with --only just the"
        " selected ones); the .deb cache is kept",
    )
    return parser.parse_args(argv)


@dataclass
class Outcome:
    """What the documents on disk are after a build."""

    per_manifest: dict[str, int]
    """Verified documents per manifest file name."""
    total_bytes: int
    mismatches: list[str]


def build(documents: list[Document], fetcher: Fetcher, errors: list[str]) -> int:
    """Download, extract and install every document that is not current; return how many were."""
    pending: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for doc in documents:
        if not is_current(doc):
            pending[(doc.package, doc.version)].append(doc)
    reused = len(documents) - sum(len(docs) for docs in pending.values())

    debs = fetcher.fetch(sorted(pending), errors)
    for (package, version), docs in sorted(pending.items()):
        deb = debs.get(f"{package}={version}")
        if deb is not None:
            extract_and_install(deb, docs, errors)
    return reused


def verify(documents: list[Document], errors: list[str]) -> Outcome:
    """Check the sha256 of every built document; add the documents not built to ``errors``."""
    outcome = Outcome(defaultdict(int), 0, [])
    for doc in documents:
        if not doc.target.is_file():
            continue
        actual = sha256_of(doc.target)
        if actual != doc.sha256:
            outcome.mismatches.append(
                f"{doc.name}: sha256 {actual} (manifest: {doc.sha256 or 'empty'})"
            )
            continue
        outcome.per_manifest[doc.manifest] += 1
        outcome.total_bytes += doc.target.stat().st_size
    missing = [
        doc.name
        for doc in documents
        if not doc.target.is_file() and not any(e.startswith(doc.name + ":") for e in errors)
    ]
    errors.extend(f"{name}: not built" for name in missing)
    return outcome


def print_summary(
    manifests: list[Path],
    documents: list[Document],
    outcome: Outcome,
    errors: list[str],
    line: str,
) -> None:
    """The summary line, the count per manifest, then every error and every mismatch."""
    print(line)
    for manifest in manifests:
        listed = sum(1 for doc in documents if doc.manifest == manifest.name)
        if listed:
            verified = outcome.per_manifest.get(manifest.name, 0)
            print(f"  {manifest.name}: {verified}/{listed} verified")
    for title, problems in (("error(s)", errors), ("sha256 mismatch(es)", outcome.mismatches)):
        if problems:
            print(f"{len(problems)} {title}:")
            for problem in problems:
                print(f"  {problem}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    manifests = sorted(p for p in HERE.glob("*.toml") if manifest_selected(p.stem, args.only))
    if not manifests:
        print(f"no manifests selected in {HERE}", file=sys.stderr)
        return 1
    try:
        documents = load_documents(manifests)
    except (ManifestError, tomllib.TOMLDecodeError) as exc:
        print(f"manifest error: {exc}", file=sys.stderr)
        return 1
    if args.clean:
        clean(documents, everything=args.only is None)
    BUILD.mkdir(parents=True, exist_ok=True)

    errors: list[str] = []
    fetcher = Fetcher()
    reused = build(documents, fetcher, errors)
    outcome = verify(documents, errors)

    packages = {(doc.package, doc.version) for doc in documents}
    verified = sum(outcome.per_manifest.values())
    line = (
        f"{verified}/{len(documents)} documents verified in {DOCS.relative_to(HERE.parent)}/"
        f" ({human(outcome.total_bytes)}) from {len(packages)} packages;"
        f" {reused} already current, {fetcher.downloaded} package(s) downloaded,"
        f" {time.monotonic() - started:.1f} s"
    )
    print_summary(manifests, documents, outcome, errors, line)
    return 1 if errors or outcome.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
