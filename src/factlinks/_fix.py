"""Repair the registry from the last run: ``factlinks fix``.

Three steps, each callable on its own:

1. :func:`plan_fixes` decides what to change from the results of a run (read back from a saved
   ``report.json`` with :func:`results_from_report`): the ``url`` of a ``moved`` source becomes
   its ``new_url``; with ``archive=True`` a ``dead`` or ``drifted`` source gains the
   ``archive_url`` of its archive copy (its ``url`` stays: it is what was cited).
2. :func:`apply_fixes` edits the registry text with tomlkit, so comments, blank lines, key order,
   string quoting and line endings stay as they were; :func:`unified_diff` shows the change.
3. :func:`write_fixed` validates the new text and replaces the file atomically.

Example::

    registry = factlinks.load_sources("sources.toml")
    plan = plan_fixes(registry, results_from_report("factlinks-report/report.json"))
    old = Path("sources.toml").read_text(encoding="utf-8-sig")
    new = apply_fixes("sources.toml", plan)
    print(unified_diff("sources.toml", old, new), end="")
    write_fixed("sources.toml", new)
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, overload

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, InlineTable, SingleKey, Table

from ._errors import RegistryError, ReportError
from ._models import Source, Status
from ._registry import _check_url, parse_sources
from ._report.json import SCHEMA_TAG

__all__ = [
    "ARCHIVE_STATUSES",
    "Fix",
    "FixPlan",
    "ReportedResult",
    "SkippedFix",
    "apply_fixes",
    "plan_fixes",
    "results_from_data",
    "results_from_report",
    "unified_diff",
    "write_fixed",
]

ARCHIVE_STATUSES: frozenset[str] = frozenset({Status.DEAD.value, Status.DRIFTED.value})
"""The statuses whose sources gain an ``archive_url`` with ``archive=True``.

``drifted`` is included: its URL answers but no longer shows the cited document, and the
design's advice for it, as for ``dead``, is to cite an archived copy.
"""

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class ReportedResult:
    """What a finished run said about one source: the part of a result that fixes need."""

    id: str
    """The source's id."""
    status: str
    """The status, as its string (``"moved"``, ``"dead"``, ...)."""
    new_url: str | None = None
    """For ``moved``: the URL to cite instead."""
    archive_url: str | None = None
    """The archive copy found for the source, if one was looked up and found."""
    archive_verified: bool | None = None
    """Whether the archive copy was fetched and shows the cited document; ``None``: not known."""
    url: str | None = None
    """The URL that was checked; a fix is only planned while the registry still cites it."""
    archive_timestamp: str | None = None
    """When the archive copy was captured (Wayback ``YYYYMMDDhhmmss``), if known."""


@dataclass(frozen=True, slots=True)
class Fix:
    """One change to one key of one ``[[source]]`` table."""

    source_id: str
    """The ``id`` of the source to change."""
    key: str
    """``"url"`` or ``"archive_url"``."""
    old: str | None
    """The value the registry has now (``None``: the key is absent)."""
    new: str
    """The value to write."""
    reason: str
    """One sentence for people: why."""


@dataclass(frozen=True, slots=True)
class SkippedFix:
    """A change the results suggest but that is not made, and why."""

    source_id: str
    """The ``id`` of the source."""
    key: str
    """``"url"`` or ``"archive_url"``."""
    value: str | None
    """The value that was not written, if there was one."""
    reason: str
    """One sentence for people: why not."""


@dataclass(frozen=True, slots=True)
class FixPlan(Sequence[Fix]):
    """The fixes to make, in the order of the results, and the ones left out.

    A plan is a sequence of :class:`Fix`, so it can be passed to :func:`apply_fixes` as is; it is
    empty (false) when there is nothing to change.
    """

    fixes: tuple[Fix, ...] = ()
    """The changes to make."""
    skipped: tuple[SkippedFix, ...] = ()
    """Changes that the results suggest but that are not made (e.g. an unverified archive copy)."""

    @overload
    def __getitem__(self, index: int) -> Fix: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Fix, ...]: ...
    def __getitem__(self, index: int | slice) -> Fix | tuple[Fix, ...]:
        return self.fixes[index]

    def __len__(self) -> int:
        return len(self.fixes)

    def __iter__(self) -> Iterator[Fix]:
        return iter(self.fixes)
