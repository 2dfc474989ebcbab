"""The ``sources.toml`` registry format: read with tomllib, edit with tomlkit, append as text.

Reading validates with the format-neutral rules of :mod:`.validate` and keeps where each
``[[source]]`` table starts on its :class:`Source` (``line``, ``column``). Editing goes through
tomlkit, so comments, blank lines, key order, string quoting and line endings stay as they were;
appending only adds text at the end, each string written by tomlkit's encoder.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, InlineTable, Item, Key, SingleKey, Table

from .._errors import RegistryError
from .._models import Kind, Source
from .interface import Edit, Registry, RegistryFormat
from .validate import Position, registry_from_data

__all__ = ["TomlFormat", "host_lines", "loads_toml"]

_TOML_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_SOURCE_HEADER_RE = re.compile(r"^\s*(\[\[\s*source\s*\]\])")
_HOST_HEADER_RE = re.compile(r"^\s*\[\[\s*host\s*\]\]")
_FOREIGN_RE = re.compile(r"^(?:[{@<%]|\[\s*(?:[{\]]|$)|TY {1,2}-(?: |$))")
"""The first line of a file that is not TOML: JSON, BibTeX (also a ``%`` comment), XML, RIS."""


class TomlFormat(RegistryFormat):
    """``sources.toml``: a ``[settings]`` table and one ``[[source]]`` table per source.

    Example::

        registry = TomlFormat().parse(Path("sources.toml").read_text("utf-8"), path="sources.toml")
    """

    name = "toml"
    suffixes = (".toml",)

    def sniff(self, text: str) -> bool:
        """True unless the first line that is not blank or a comment is clearly another format.

        TOML has no signature to look for; an empty file is a valid (empty) registry.
        """
        for line in text.lstrip("\ufeff").splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return not _FOREIGN_RE.match(stripped)
        return True

    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        name = os.fspath(path)
        text = text.removeprefix("\ufeff")
        return registry_from_data(
            loads_toml(text, name), name, _source_positions(text), host_lines(text)
        )

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        """Each ``[[source]]`` table is found by its ``id``.

        A changed value keeps its key, its spacing, its quoting style and its comment; a new key
        goes right after ``url``, aligned like it; a removed key takes its line with it.
        Everything else (comments, blank lines, order, line endings) stays byte for byte.
        """
        name = os.fspath(path)
        try:
            document = tomlkit.parse(text)
        except (tomlkit.exceptions.TOMLKitError, ValueError) as exc:
            raise RegistryError(f"{name}: invalid TOML: {exc}", path=name) from None
        except RecursionError:
            raise RegistryError(f"{name}: invalid TOML: nested too deeply", path=name) from None
        tables = _source_tables(document.get("source"))
        for edit in edits:
            table = _table_for(tables, edit, name)
            if edit.value is None:
                table.remove(edit.key)
            else:
                _set(table, edit.key, edit.value)
        return document.as_string()

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """A ``[[source]]`` table per source, a blank line apart, each under its note."""
        notes = notes or {}
        blocks = [_block(source, notes.get(source.id)) for source in sources]
        if not blocks:
            return text
        addition = ("\n" if text.endswith("\n") else "\n\n") + "\n\n".join(blocks) + "\n"
        if text.strip() and not text.endswith("\n\n"):
            addition = "\n" + addition.lstrip("\n")
        return text + addition


# -- reading ----------------------------------------------------------------------------------


def loads_toml(text: str, path: str) -> dict[str, Any]:
    """``text`` read by tomllib; an error names ``path`` and the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS_RE.search(message)
        where = f":{pos.group(1)}:{pos.group(2)}" if pos else ""
        message = _TOML_POS_RE.sub("", message).strip()
        raise RegistryError(f"{path}{where}: invalid TOML: {message}", path=path) from None
    except RecursionError:
        raise RegistryError(f"{path}: invalid TOML: nested too deeply", path=path) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise RegistryError(f"{path}: invalid TOML: {exc}", path=path) from None


def host_lines(text: str) -> list[int | None]:
    """The lines (1-based) of the ``[[host]]`` headers, in order."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if _HOST_HEADER_RE.match(line)]


def _source_positions(text: str) -> list[Position]:
    """Line and column (1-based) of the ``[[source]]`` headers, in order."""
    positions = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _SOURCE_HEADER_RE.match(line)
        if header:
            positions.append((number, header.start(1) + 1))
    return positions


# -- editing ----------------------------------------------------------------------------------


def _table_for(
    tables: Mapping[str, Table | InlineTable], edit: Edit, path: str
) -> Table | InlineTable:
    """The table of ``edit``'s source, once it is known to hold the value the edit expects."""
    table = tables.get(edit.source_id)
    if table is None:
        raise RegistryError(
            f"{path}: no source with id {edit.source_id!r}", path=path, source_id=edit.source_id
        )
    current = table.get(edit.key)
    current_value = current.unwrap() if current is not None else None
    if _as_loaded(current_value) != _as_loaded(edit.old):
        raise RegistryError(
            f"{path}: source {edit.source_id!r}: {edit.key!r} is {current_value!r}, not "
            f"{edit.old!r} as planned; the file changed since the plan was made",
            path=path,
            source_id=edit.source_id,
            key=edit.key,
        )
    return table


def _as_loaded(value: object) -> object:
    """``value`` as the loader gives it: a string stripped, a CRLF in it read as LF (tomllib;
    tomlkit keeps both), so an edit planned from the loaded source finds its value."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _source_tables(value: object) -> dict[str, Table | InlineTable]:
    """The ``[[source]]`` tables (or inline tables of a ``source = [...]`` array) by id."""
    tables: dict[str, Table | InlineTable] = {}
    items: Iterable[object] = value.body if isinstance(value, AoT) else ()
    if isinstance(value, Array):
        items = value
    for table in items:
        if isinstance(table, Table | InlineTable):
            source_id = table.get("id")
            if isinstance(source_id, str):
                tables.setdefault(str(source_id), table)
    return tables


def _set(table: Table | InlineTable, key: str, value: str) -> None:
    existing = table.get(key)
    if existing is not None:
        literal = existing.as_string().startswith("'") and _fits_literal(value)
        table[key] = tomlkit.string(value, literal=literal)
        return
    anchor = table.get("url")
    if isinstance(table, InlineTable) or anchor is None or key == "url":
        table[key] = value
        return
    item = tomlkit.string(value)
    item.trivia.indent = anchor.trivia.indent
    item.trivia.trail = "\r\n" if anchor.trivia.trail.endswith("\r\n") else "\n"
    _insert_after_url(table, _aligned_key(key, _key_of(table, "url")), item)


def _insert_after_url(table: Table, key: Key | str, item: Item) -> None:
    """``key = item`` right after the table's ``url``.

    tomlkit has no public insert; ``Container._insert_at`` is in every version since 0.7
    (``_insert_after``, used before, is gone from 0.15.3). At the end of the table, append.
    """
    body = table.value.body
    url = next(i for i, (name, _) in enumerate(body) if name is not None and name.key == "url")
    if url + 1 < len(body):
        table.value._insert_at(url + 1, key, item)
    else:
        table.value.append(key, item)


def _fits_literal(value: str) -> bool:
    """True when ``value`` can be written as a TOML literal string ('...')."""
    return "'" not in value and all(c == "\t" or (c >= " " and c != "\x7f") for c in value)


def _key_of(table: Table, name: str) -> SingleKey | None:
    for key, _ in table.value.body:
        if isinstance(key, SingleKey) and key.key == name:
            return key
    return None


def _aligned_key(name: str, like: SingleKey | None) -> SingleKey:
    """A key ``name`` whose ``=`` lines up with ``like``'s, where it can."""
    if like is None:
        return SingleKey(name)
    original = like.as_string()
    sep = like.sep
    equals = sep.find("=")
    if equals < 0:  # pragma: no cover - a parsed key always has its '='
        return SingleKey(name)
    column = len(original) + equals
    gap = len(original) - len(original.rstrip()) + equals
    padding = max(column - len(name), 1 if gap else 0)
    return SingleKey(name, sep=" " * padding + sep[equals:])


# -- appending --------------------------------------------------------------------------------


def _string(value: str) -> str:
    """``value`` as a TOML basic string, escaped as tomlkit escapes it."""
    return tomlkit.string(value).as_string()


def _block(source: Source, note: str | None) -> str:
    """The text of one ``[[source]]`` table, keys in the registry's order, under ``note``."""
    lines = [f"# {line}" for line in note.split("\n")] if note else []
    lines += ["[[source]]", f"id = {_string(source.id)}", f"url = {_string(source.url)}"]
    if source.title is not None:
        lines.append(f"title = {_string(source.title)}")
    if source.proposed_title is not None:  # where the title goes once a check confirms it
        lines.append(f"proposed_title = {_string(source.proposed_title)}")
    if source.kind is not Kind.ANY:
        lines.append(f"kind = {_string(source.kind.value)}")
    if source.citation is not None:
        lines.append(f"citation = {_string(source.citation)}")
    if source.cited_in:
        lines.append(f"cited_in = [{', '.join(_string(name) for name in source.cited_in)}]")
    if source.accessed is not None:
        lines.append(f"accessed = {source.accessed.isoformat()}")
    if source.skip is not None:
        lines.append(f"skip = {_string(source.skip)}")
    if source.archive_url is not None:
        lines.append(f"archive_url = {_string(source.archive_url)}")
    if source.cited_url is not None:
        lines.append(f"cited_url = {_string(source.cited_url)}")
    return "\n".join(lines)
