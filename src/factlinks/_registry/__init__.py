"""Registries of cited sources: the formats, and loading a file in the one that fits.

Each format implements :class:`RegistryFormat` (see :mod:`.interface`) and is registered with
one line in :data:`FORMATS`; :func:`format_for` picks the format of a file by its name and
confirms it by its content. ``sources.toml`` (:class:`TomlFormat`) is the first format,
``.bib`` (:class:`BibtexFormat`) the second, then the reference managers' CSL-JSON
(:class:`CslJsonFormat`) and RIS (:class:`RisFormat`), and for registries too large to hold
as objects the line-oriented JSON Lines (:class:`JsonLinesFormat`) and CSV
(:class:`CsvFormat`), which :func:`load_sources` reads in bounded memory (:mod:`.lines`).
"""

from __future__ import annotations

import os
from pathlib import PurePath

from .._errors import RegistryError
from .bibtex import BibtexFormat
from .csljson import CslJsonFormat
from .csvfile import CsvFormat
from .interface import Edit, Registry, RegistryFormat, decode_utf8, read_bytes, read_head
from .jsonl import JsonLinesFormat
from .ris import RisFormat
from .sidecar import SIDECAR_NAME, Sidecar, load_sidecar, with_sidecar
from .toml import TomlFormat

__all__ = [
    "FORMATS",
    "SIDECAR_NAME",
    "BibtexFormat",
    "CslJsonFormat",
    "CsvFormat",
    "Edit",
    "JsonLinesFormat",
    "Registry",
    "RegistryError",
    "RegistryFormat",
    "RisFormat",
    "Sidecar",
    "TomlFormat",
    "format_for",
    "load_sidecar",
    "load_sources",
    "parse_sources",
]

FORMATS: dict[str, RegistryFormat] = {
    TomlFormat.name: TomlFormat(),
    BibtexFormat.name: BibtexFormat(),
    CslJsonFormat.name: CslJsonFormat(),
    RisFormat.name: RisFormat(),
    JsonLinesFormat.name: JsonLinesFormat(),
    CsvFormat.name: CsvFormat(),
}
"""The registry formats by name, in the order they are tried. Register one with one line:
``FORMATS["csl-json"] = CslJsonFormat()``."""


def format_for(path: str | os.PathLike[str], text: str | None = None) -> RegistryFormat:
    """The format of the registry file ``path`` whose content is ``text``.

    The file name's ending proposes formats and the content confirms one
    (:meth:`RegistryFormat.sniff`). A name no format claims is recognised by its content alone;
    a content no format recognises goes to the first format the name proposes, whose parser
    then says what is wrong with it. An ending many other files share
    (:attr:`RegistryFormat.shared_suffixes`: ``.json``) proposes nothing: such a file must be
    recognised by its content, so ``report.json`` is "not a registry file".

    Example::

        registry = format_for("sources.toml", text).parse(text, path="sources.toml")

    Raises:
        RegistryError: no format fits the name and (without ``text``: cannot be confirmed by)
            the content; the message names the file.
    """
    name = os.fspath(path)
    named = [(f, _ending(f, name)) for f in FORMATS.values()]
    named = [(f, ending) for f, ending in named if ending]
    proposed = [f for f, ending in named if ending not in f.shared_suffixes]
    if text is None:
        if proposed:
            return proposed[0]
        why = "its name does not tell the format and its content was not given"
    else:
        found = next((f for f, _ in named if f.sniff(text)), None)
        found = found or next((f for f in FORMATS.values() if f.sniff(text)), None)
        if found or proposed:
            return found or proposed[0]
        why = "its content is in none of the known formats"
    known = ", ".join(f"{f.name} ({', '.join(f.suffixes)})" for f in FORMATS.values())
    raise RegistryError(f"{name}: not a registry file: {why} ({known})", path=name)


def _ending(form: RegistryFormat, name: str) -> str:
    """The longest of ``form``'s suffixes that the file ``name`` ends with (``""``: none)."""
    lower = PurePath(name).name.lower()
    return max((s for s in form.suffixes if lower.endswith(s)), key=len, default="")


def load_sources(path: str | os.PathLike[str]) -> Registry:
    """Read and validate a registry file.

    Example::

        registry = factlinks.load_sources("sources.toml")
        print(len(registry), registry[0].url)

    A format that cannot hold settings (:attr:`RegistryFormat.holds_settings` false, e.g. a
    ``.bib``) takes its ``[settings]`` and ``cited_in`` from a ``factlinks.toml`` beside the
    file, if there is one (:mod:`.sidecar`); beside a ``sources.toml`` that file is ignored.
    A line-oriented file (``.jsonl``, ``.csv``) is read in one streaming pass and its sources
    are decoded when asked for (:attr:`RegistryFormat.streams`), so its size is not limited
    by :data:`~.interface.MAX_REGISTRY_BYTES` and a million sources take some 30 MB.

    Parameters:
        path: the registry file, e.g. ``sources.toml``.

    Raises:
        RegistryError: the file (or its ``factlinks.toml``) is missing, unreadable, not in a
            known format, or breaks a rule; the message names the file, the source id, the key
            and, where known, the line.
    """
    name = os.fspath(path)
    streamed = _streamed_format(name)
    if streamed is not None:
        return streamed.load(name)
    data = read_bytes(name)
    try:
        text = decode_utf8(data, name)
    except RegistryError:
        # not UTF-8: the format the name proposes may read other encodings (BibTeX does)
        suffix = PurePath(name).suffix.lower()
        named = next((f for f in FORMATS.values() if suffix and suffix in f.suffixes), None)
        if named is None:
            raise
        text = named.decode(data, path=name)
    form = format_for(name, text)
    registry = form.parse(text, path=name)
    return registry if form.holds_settings else with_sidecar(registry, name)


def _streamed_format(name: str) -> RegistryFormat | None:
    """The streaming format (:attr:`RegistryFormat.streams`) of the file ``name``, when its
    name proposes one and the start of its content does not say it is in another format."""
    if not any(f.streams and _ending(f, name) for f in FORMATS.values()):
        return None
    form = format_for(name, read_head(name))
    return form if form.streams else None


def parse_sources(text: str, *, path: str = "<string>") -> Registry:
    """Validate registry ``text`` as :func:`load_sources` does a file named ``path``."""
    return format_for(path, text).parse(text, path=path)
