"""Find the URLs a document cites: PDF (link annotations and text), HTML, Markdown, text.

Text pulled out of a PDF wraps long URLs across lines; :func:`urls_in_text` joins a URL with
the next line when that line is nothing but a URL fragment (``.../KI-Trainer/`` +
``ki-trainer.html``; ``.../Austausch-`` + ``mit-der-betrieblichen-Praxis/...``). Trailing
punctuation and unbalanced closing brackets are stripped, and every URL is reported once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ._errors import DocumentError
from ._fix import write_fixed
from ._models import Source
from ._registry import Registry, load_sources

__all__ = [
    "CitedUrl",
    "RegistryDiff",
    "add_to_registry",
    "compare_with_registry",
    "extract_urls",
    "urls_in_text",
]

_URL_RE = re.compile(r"""https?://[^\s<>"'`{}|\\^\[\]]+""", re.IGNORECASE)
_FRAGMENT_RE = re.compile(r"""[A-Za-z0-9._~%/?#=&+:;@!$*,()-]+""")
_FRAGMENT_SIGNS = frozenset("/._-=%?&")
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}
_MAX_PDF_PAGES = 2000


@dataclass(frozen=True, slots=True)
class CitedUrl:
    """A URL found in a document."""

    url: str
    document: str
    """The document's name: its file name without extension (what ``cited_in`` holds)."""
    where: str
    """``line 12``, ``page 3``, ``page 3 link``, ``<a href>``."""


def _strip(url: str) -> str:
    while url:
        last = url[-1]
        unbalanced = last in _PAIRS and url.count(_PAIRS[last]) < url.count(last)
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _valid(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _continues(url: str, next_line: str) -> str | None:
    """The next line's text when it is the rest of a URL that wrapped, else ``None``."""
    fragment = next_line.strip()
    if not fragment or not _FRAGMENT_RE.fullmatch(fragment):
        return None
    if _URL_RE.match(fragment) or fragment.lower().startswith(("www.", "http")):
        return None
    if not _FRAGMENT_SIGNS & set(fragment):
        return None  # a plain word ("and", "Mittelstand") is text, not the rest of a URL
    if url.endswith(tuple(_TRAILING)) and not url.endswith("."):
        return None
    return fragment


def urls_in_text(text: str, document: str, *, where: str = "line") -> list[CitedUrl]:
    """The URLs in plain ``text``, wrapped ones joined, in order of appearance.

    ``where`` names the location: ``"line"`` gives ``line N``; anything else is used as is.
    """
    lines = text.splitlines()
    found: list[CitedUrl] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        matches = list(_URL_RE.finditer(line))
        consumed = 0
        for number, match in enumerate(matches):
            url = match.group()
            at_line_end = number == len(matches) - 1 and not line[match.end() :].strip()
            if at_line_end:
                while index + consumed + 1 < len(lines):
                    rest = _continues(url, lines[index + consumed + 1])
                    if rest is None:
                        break
                    url += rest
                    consumed += 1
            url = _strip(url)
            if _valid(url):
                place = f"line {index + 1}" if where == "line" else where
                found.append(CitedUrl(url, document, place))
        index += 1 + consumed
    return found


def _pdf_urls(data: bytes, document: str) -> list[CitedUrl]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    found: list[CitedUrl] = []
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentError(f"{document}: the PDF is encrypted")
            for number, page in enumerate(reader.pages[:_MAX_PDF_PAGES], start=1):
                annotations = page.get("/Annots")
                annotations = annotations.get_object() if annotations is not None else []
                for annotation in annotations if isinstance(annotations, list) else []:
                    annotation = annotation.get_object()
                    action = annotation.get("/A") if isinstance(annotation, dict) else None
                    action = action.get_object() if action is not None else None
                    uri = action.get("/URI") if isinstance(action, dict) else None
                    if isinstance(uri, bytes):
                        uri = uri.decode("latin-1")
                    if uri is not None and _valid(_strip(str(uri).strip())):
                        found.append(
                            CitedUrl(_strip(str(uri).strip()), document, f"page {number} link")
                        )
                text = page.extract_text() or ""
                found.extend(urls_in_text(text, document, where=f"page {number}"))
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DocumentError(f"{document}: the PDF cannot be read ({exc})") from exc
    finally:
        logger.setLevel(level)
    return found


def _html_urls(data: bytes, document: str) -> list[CitedUrl]:
    from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(data, "lxml")
    base_tag = soup.find("base", href=True)
    base = str(base_tag["href"]) if isinstance(base_tag, Tag) else ""
    found = []
    for tag in soup.find_all(["a", "area"], href=True):
        if not isinstance(tag, Tag):
            continue
        href = str(tag["href"]).strip()
        if href.startswith("#"):
            continue  # a place on the same page, not a citation
        url = _strip(urljoin(base, href))
        if _valid(url):
            found.append(CitedUrl(url, document, f"<{tag.name} href>"))
    return found


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def extract_urls(path: str | os.PathLike[str]) -> list[CitedUrl]:
    """The URLs cited in one document, in order, each once.

    The type comes from the bytes (``%PDF``) and then the extension: ``.html``/``.htm``
    (links), anything else as text (Markdown included: its links are URLs in text).

    Example::

        for cited in factlinks.extract_urls("factsheet-ki.txt"):
            print(cited.url)

    Raises:
        DocumentError: the file cannot be read or parsed.
    """
    file = Path(path)
    document = file.stem
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    if data[:1024].lstrip().startswith(b"%PDF-") or file.suffix.lower() == ".pdf":
        found = _pdf_urls(data, document)
    elif file.suffix.lower() in (".html", ".htm", ".xhtml"):
        found = _html_urls(data, document)
    else:
        found = urls_in_text(_decode(data), document)
    return _unique(found)


def _unique(found: Iterable[CitedUrl]) -> list[CitedUrl]:
    seen: set[str] = set()
    unique = []
    for cited in found:
        if cited.url not in seen:
            seen.add(cited.url)
            unique.append(cited)
    return unique


@dataclass(frozen=True, slots=True)
class RegistryDiff:
    """How a document's citations and a registry differ."""

    unregistered: tuple[CitedUrl, ...]
    """Cited in the document, not in the registry."""
    uncited: tuple[Source, ...]
    """In the registry as cited by the document (``cited_in``), but no longer in it."""


def compare_with_registry(
    cited: Sequence[CitedUrl], registry: Registry, documents: Iterable[str]
) -> RegistryDiff:
    """Compare the URLs of ``documents`` with the registry."""
    names = set(documents)
    registered = {source.url for source in registry}
    found = {c.url for c in cited}
    unregistered = tuple(c for c in _unique(cited) if c.url not in registered)
    uncited = tuple(s for s in registry if names & set(s.cited_in) and s.url not in found)
    return RegistryDiff(unregistered, uncited)


def _slug(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.").split(".")[0]
    segments = [s for s in parts.path.split("/") if s]
    last = segments[-1].rsplit(".", 1)[0] if segments else ""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{host}-{last}".lower()).strip("-")
    return slug[:60].rstrip("-") or "source"


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, but for DEL)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def add_to_registry(
    registry_path: str | os.PathLike[str],
    new: Sequence[CitedUrl],
    *,
    today: dt.date | None = None,
) -> list[str]:
    """Append a ``[[source]]`` per new URL to the registry file; return the ids given.

    The file is only appended to, so its comments and formatting stay as they are; the
    result is validated before it replaces the file (atomically).
    """
    path = Path(registry_path)
    registry = load_sources(path)
    taken = {source.id for source in registry}
    today = today or dt.date.today()
    blocks = []
    ids = []
    for cited in new:
        base = _slug(cited.url)
        source_id, counter = base, 2
        while source_id in taken:
            source_id, counter = f"{base}-{counter}", counter + 1
        taken.add(source_id)
        ids.append(source_id)
        lines = [
            f"# Added by factlinks extract from {cited.document} ({cited.where}) on {today}.",
            "[[source]]",
            f"id = {_toml_string(source_id)}",
            f"url = {_toml_string(cited.url)}",
        ]
        if urlsplit(cited.url).path.lower().endswith(".pdf"):
            lines.append('kind = "pdf"')
        lines.append(f"cited_in = [{_toml_string(cited.document)}]")
        blocks.append("\n".join(lines))
    if not blocks:
        return []
    text = path.read_text(encoding="utf-8-sig")
    addition = ("\n" if text.endswith("\n") else "\n\n") + "\n\n".join(blocks) + "\n"
    if text.strip():
        addition = "\n" + addition.lstrip("\n") if not text.endswith("\n\n") else addition
    write_fixed(path, text + addition)  # validated, atomic, mode and BOM kept
    return ids
