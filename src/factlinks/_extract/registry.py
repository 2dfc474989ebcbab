"""A document's citations against the registry: what is missing, what is no longer cited."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from .._fix import write_fixed
from .._models import Kind, Source
from .._registry import Registry, format_for, load_sources
from .._registry.interface import read_text
from .interface import CitedUrl
from .proposals import propose
from .urls import unique

__all__ = ["RegistryDiff", "add_to_registry", "compare_with_registry", "new_sources"]


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
    registered = {url for source in registry for url in _urls(source)}
    found = {c.url for c in cited}
    unregistered = tuple(c for c in unique(cited) if c.url not in registered)
    uncited = tuple(
        s for s in registry if names & set(s.cited_in) and not found.intersection(_urls(s))
    )
    return RegistryDiff(unregistered, uncited)


def _urls(source: Source) -> tuple[str, ...]:
    """The URLs a document may cite ``source`` by: its ``url``, and the ``cited_url`` that a
    move left behind."""
    return (source.url,) if source.cited_url is None else (source.url, source.cited_url)


def _split(url: str) -> SplitResult:
    """``url`` in parts; a URL that is none (a caller's own :class:`CitedUrl`) has none."""
    try:
        return urlsplit(url)
    except ValueError:
        return SplitResult("", "", "", "", "")


def _slug(url: str) -> str:
    parts = _split(url)
    host = (parts.hostname or "source").removeprefix("www.").split(".")[0]
    segments = [s for s in parts.path.split("/") if s]
    last = segments[-1].rsplit(".", 1)[0] if segments else ""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{host}-{last}".lower()).strip("-")
    return slug[:60].rstrip("-") or "source"


_PROPOSED = (
    "\nproposed_title is the link's text: the first factlinks check makes it the title if the"
    "\ndocument contains it, else keeps it as the citation only."
)


def new_sources(
    new: Sequence[CitedUrl], taken: Iterable[str], *, today: dt.date
) -> tuple[list[Source], dict[str, str]]:
    """A source per cited URL, with an id none of ``taken`` has, and the note on each.

    The text the URL is cited with (:attr:`CitedUrl.text`) gives the source its ``citation``
    and, when it looks like a title, a ``proposed_title`` that the first check confirms or
    demotes (:func:`~factlinks._extract.proposals.propose`). The note (``Added by factlinks
    extract from DOC (page 3 link) on DATE.``) says where the URL was found;
    :func:`add_to_registry` writes it as a comment above the source.
    """
    used = set(taken)
    sources: list[Source] = []
    notes: dict[str, str] = {}
    for cited in new:
        base = _slug(cited.url)
        source_id, counter = base, 2
        while source_id in used:
            source_id, counter = f"{base}-{counter}", counter + 1
        used.add(source_id)
        pdf = _split(cited.url).path.lower().endswith(".pdf")
        proposal = propose(cited.text)
        sources.append(
            Source(
                source_id,
                cited.url,
                kind=Kind.PDF if pdf else Kind.ANY,
                citation=proposal.citation,
                cited_in=(cited.document,),
                proposed_title=proposal.title,
            )
        )
        notes[source_id] = (
            f"Added by factlinks extract from {cited.document} ({cited.where}) on {today}."
            + (_PROPOSED if proposal.title else "")
        )
    return sources, notes


def add_to_registry(
    registry_path: str | os.PathLike[str],
    new: Sequence[CitedUrl],
    *,
    today: dt.date | None = None,
) -> list[str]:
    """Append a source per new URL to the registry file; return the ids given.

    The registry's format only appends, so the file's comments and formatting stay as they
    are; the result is validated before it replaces the file (atomically).
    """
    path = Path(registry_path)
    taken = {source.id for source in load_sources(path)}
    sources, notes = new_sources(new, taken, today=today or dt.date.today())
    if not sources:
        return []
    text = read_text(path)
    new_text = format_for(path, text).append(text, sources, path=path, notes=notes)
    write_fixed(path, new_text)  # validated, atomic, mode and BOM kept
    return [source.id for source in sources]
