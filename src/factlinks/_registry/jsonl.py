"""The JSON Lines registry format (``.jsonl``, ``.ndjson``): one source per line, as a JSON
object with the keys of a ``[[source]]`` table of ``sources.toml``.

::

    {"id": "kfw-318", "url": "https://www.kfw.de/…/318.pdf", "title": "Künstliche Intelligenz"}
    {"id": "ikt", "url": "https://www.destatis.de/…", "cited_in": ["a"], "accessed": "2021-02-15"}

Keys and rules are those of ``sources.toml`` (:mod:`.validate`): ``accessed`` is a
``"YYYY-MM-DD"`` string, ``cited_in`` and ``authors`` a list of strings (or one string),
``skip`` ``true`` or a reason, ``year`` a number or a string; a ``null`` value is the key left
out. Lines that are blank (or white space) are skipped; there are no comments (JSON has none).
A line that is not a JSON object, a key given twice, invalid JSON (with the column) and every
rule of the registry are errors that name the file, the line, the source and the key.

The file holds no settings: they, and a ``cited_in`` for every source, come from a
``factlinks.toml`` beside it (:mod:`.sidecar`), as for a ``.bib``. Loading streams
(:mod:`.lines`): a million lines are not a million objects.

``fix`` re-serialises only the lines of the sources it edits (the JSON separators and the
escaping of non-ASCII text as the line had them; a new key goes right after ``url``); every
other line stays byte for byte. ``extract --write`` appends a line per new source.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .._errors import RegistryError
from .._models import Source
from .interface import Edit
from .lines import (
    Decoder,
    LineFormat,
    Record,
    Store,
    bom_length,
    changed_value_error,
    iso_date,
    loaded_value,
    missing_id_error,
    source_table,
    store_lines,
)
from .validate import SOURCE_KEYS, source_from_table

__all__ = ["JsonLinesFormat"]


class _Twice(Exception):
    """A JSON object gives one key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    table = dict(pairs)
    if len(table) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:  # pragma: no branch - one of them is repeated
            if key in seen:
                raise _Twice(key)
            seen.add(key)
    return table


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs)


class JsonLinesFormat(LineFormat):
    """``sources.jsonl``: one JSON object per line, the keys of ``sources.toml``'s
    ``[[source]]``.

    Example::

        registry = factlinks.load_sources("sources.jsonl")   # streams; settings: factlinks.toml
        registry.get("kfw-fokus-318").url
    """

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def sniff(self, text: str) -> bool:
        """True when the first line that is not blank is a JSON object with a registry key."""
        for line in text.removeprefix("\ufeff").split("\n"):
            if line.strip():
                if not line.lstrip().startswith("{"):
                    return False
                try:
                    item = _DECODER.decode(line)
                except (ValueError, _Twice, RecursionError):
                    return False
                return isinstance(item, dict) and any(key in item for key in SOURCE_KEYS)
        return False

    def records(self, store: Store, path: str) -> tuple[Iterator[Record], Decoder]:
        def records() -> Iterator[Record]:
            for line in store_lines(store, path):
                if line.data.strip():
                    start = line.offset + bom_length(line)
                    yield Record(start, line.offset + len(line.data), line.number)

        def decode(data: bytes, number: int, line: int, checked: bool) -> Source:
            table = _table(data, number, line, path)
            return source_from_table(table, number, path, line, 1, check_urls=not checked)

        return records(), decode

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """Each edited source's line is found by its ``id`` and written again as JSON (its
        keys in their order, a new one after ``url``, a removed one gone); every other line
        stays byte for byte."""
        name = os.fspath(path)
        if not edits:
            return text
        lines = text.split("\n")
        wanted = {edit.source_id for edit in edits}
        found: dict[str, tuple[int, dict[str, Any]]] = {}
        for number, line in enumerate(lines):
            if line.strip() and wanted - found.keys():
                table = _object(line.encode("utf-8"), number, number + 1, name)
                source_id = table.get("id")
                if isinstance(source_id, str) and source_id in wanted:
                    found.setdefault(source_id, (number, table))
        changed: dict[int, dict[str, Any]] = {}
        for edit in edits:
            if edit.source_id not in found:
                raise missing_id_error(name, edit.source_id, edit.key)
            number, table = found[edit.source_id]
            _edit(table, edit, name, number + 1)
            changed[number] = table
        for number, table in changed.items():
            lines[number] = _written(lines[number], table)
        return "\n".join(lines)

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """A line per source at the end; ``notes`` are left out (JSON has no comments)."""
        if not sources:
            return text
        ending = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
        lead = "" if not text or text.endswith("\n") else ending
        added = ending.join(json.dumps(source_table(s), ensure_ascii=False) for s in sources)
        return text + lead + added + ending


def _table(data: bytes, number: int, line: int, path: str) -> dict[str, Any]:
    """The JSON object on one line, as a source table for :func:`source_from_table`."""
    item = _object(data, number, line, path)
    table = {key: value for key, value in item.items() if value is not None or key == "id"}
    if "accessed" in table:
        table["accessed"] = iso_date(table["accessed"])
    return table


def _object(data: bytes, number: int, line: int, path: str) -> dict[str, Any]:
    """The JSON object on one line (of ``data``: the line and what follows it), as written."""
    try:
        text = data.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(
            f"{path}:{line}: not UTF-8 text ({exc.reason} at column {exc.start + 1})", path=path
        ) from None
    try:
        item = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path}:{line}:{exc.colno}: invalid JSON: {exc.msg}", path=path
        ) from None
    except _Twice as twice:
        raise RegistryError(
            f"{path}:{line}: source #{number + 1}: key {twice.key!r} given twice",
            path=path,
            key=twice.key,
        ) from None
    except RecursionError:
        raise RegistryError(f"{path}:{line}: invalid JSON: nested too deeply", path=path) from None
    if not isinstance(item, dict):
        raise RegistryError(
            f'{path}:{line}: source #{number + 1} must be a JSON object ({{"id": …}}), not '
            f"{_type(item)}",
            path=path,
        )
    return item


def _type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", int: "a number"}
    return names.get(type(value), "a number" if isinstance(value, float) else "null")


def _edit(table: dict[str, Any], edit: Edit, path: str, line: int) -> None:
    current = table.get(edit.key)
    if loaded_value(current) != loaded_value(edit.old):
        raise changed_value_error(path, line, edit.source_id, edit.key, current, edit.old)
    if edit.value is None:
        table.pop(edit.key, None)
    elif edit.key in table or "url" not in table:
        table[edit.key] = edit.value
    else:
        items = list(table.items())
        at = next(i for i, (key, _) in enumerate(items) if key == "url") + 1
        items.insert(at, (edit.key, edit.value))
        table.clear()
        table.update(items)


def _written(line: str, table: Mapping[str, Any]) -> str:
    """``table`` as the JSON of ``line``, in its style: its separators, its ``\\uXXXX``
    escaping (or not) of non-ASCII text, its line ending and indentation."""
    content = line.rstrip("\r")
    ending = line[len(content) :]
    indent = content[: len(content) - len(content.lstrip())]
    compact = '": ' not in content and '", "' not in content
    escaped = content.isascii() and "\\u" in content
    written = json.dumps(
        table,
        ensure_ascii=escaped,
        separators=(",", ":") if compact else (", ", ": "),
    )
    return indent + written + ending
