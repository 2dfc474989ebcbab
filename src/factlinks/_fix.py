"""Repair the registry from the last run: ``factlinks fix``.

Three steps, each callable on its own:

1. :func:`plan_fixes` decides what to change from the results of a run (read back from a saved
   ``report.json`` with :func:`results_from_report`): the ``url`` of a ``moved`` source becomes
   its ``new_url``; with ``archive=True`` a ``dead`` or ``drifted`` source gains the
   ``archive_url`` of its archive copy (its ``url`` stays: it is what was cited).
2. :func:`fit_plan` leaves out what the registry's format has no place for (a ``.bib`` holds
   ``url`` only), and :func:`apply_fixes` has the format apply the rest to its text (tomlkit
   for ``sources.toml``; only the URL's characters for a ``.bib``), so comments, layout,
   quoting and line endings stay as they were; :func:`unified_diff` shows the change.
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
import os
import stat
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, overload

from ._errors import RegistryError
from ._files import default_mode, replace_atomically
from ._history import ResultRow
from ._models import Source, SourceResult, Status
from ._registry import Edit, format_for, parse_sources
from ._registry.validate import check_url
from ._report import load_report

__all__ = [
    "ARCHIVE_STATUSES",
    "Fix",
    "FixPlan",
    "ReportedResult",
    "SkippedFix",
    "apply_fixes",
    "fit_plan",
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

    @classmethod
    def of_result(cls, result: SourceResult) -> ReportedResult:
        """What ``result`` (of a run, or of a loaded report) says that fixes need."""
        archive = result.archive
        return cls(
            id=result.id,
            status=result.status.value,
            new_url=result.new_url,
            archive_url=archive.url if archive is not None else None,
            archive_verified=archive.verified if archive is not None else None,
            url=result.url,
            archive_timestamp=archive.timestamp if archive is not None else None,
        )

    @classmethod
    def of_row(cls, row: ResultRow) -> ReportedResult:
        """What a history row says that fixes need."""
        archive = row.archive
        return cls(
            id=row.source_id,
            status=row.status.value,
            new_url=row.verification.new_url if row.verification is not None else None,
            archive_url=archive.url if archive is not None else None,
            archive_verified=archive.verified if archive is not None else None,
            url=row.url,
            archive_timestamp=archive.timestamp if archive is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Fix:
    """One change to one key of one ``[[source]]`` table."""

    source_id: str
    """The ``id`` of the source to change."""
    key: str
    """``"url"``, ``"cited_url"`` (with a move, the URL the documents print) or
    ``"archive_url"``."""
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


# -- reading what a run said -----------------------------------------------------------------


def results_from_report(path: str | os.PathLike[str]) -> list[ReportedResult]:
    """Read the per-source results of a saved ``report.json`` (through :func:`load_report`).

    Example::

        results = results_from_report("factlinks-report/report.json")

    Parameters:
        path: a report written by ``factlinks check --format json``.

    Raises:
        ReportError: the file is missing, is not JSON, is not a ``factlinks.report/1`` report,
            or a source in it has a field of the wrong type.
    """
    return [ReportedResult.of_result(result) for result in load_report(path).results]


def results_from_data(data: Mapping[str, Any]) -> list[ReportedResult]:
    """:func:`results_from_report` for a report already parsed from JSON.

    Raises:
        ReportError: ``data`` is not a ``factlinks.report/1`` report.
    """
    return [ReportedResult.of_result(result) for result in load_report(data).results]


def results_from_history(rows: Iterable[ResultRow]) -> list[ReportedResult]:
    """The latest result of each source as the history recorded it."""
    return [ReportedResult.of_row(row) for row in rows]


# -- planning ---------------------------------------------------------------------------------


def plan_fixes(
    registry: Iterable[Source],
    results: Iterable[ReportedResult],
    *,
    archive: bool = False,
    archive_statuses: Collection[str] = ARCHIVE_STATUSES,
) -> FixPlan:
    """Decide which registry keys to change, from the results of a run.

    Rules, per result whose id is in ``registry`` (others are ignored; the first result of an
    id counts):

    - ``moved`` with a ``new_url``: ``url`` becomes ``new_url``.
    - with ``archive=True``, a status in ``archive_statuses`` (``dead``, ``drifted``) with an
      archive copy: ``archive_url`` is set to it; ``url`` stays, since it is what was cited.
      A copy whose verification failed (``verified`` false) is not used; one that was not
      verified (``None``) is, and its reason says so. An ``archive_url`` the registry already
      has is never replaced by a different one.
    - nothing is planned when the registry already has the value (so planning again after the
      fixes were applied gives an empty plan), nor when its ``url`` is no longer the one the
      report checked; a new value that is not a valid http(s) URL is skipped.

    Example::

        plan = plan_fixes(load_sources("sources.toml"), results_from_report("report.json"))
        for skipped in plan.skipped:
            print(skipped.source_id, skipped.reason)

    Parameters:
        registry: the sources as the registry file has them now.
        results: the results of the run, e.g. from :func:`results_from_report`.
        archive: also plan ``archive_url`` fixes.
        archive_statuses: the statuses that get them.

    Returns:
        the plan: a sequence of :class:`Fix`, with the suggestions left out in ``skipped``.
    """
    sources = {source.id: source for source in registry}
    fixes: list[Fix] = []
    skipped: list[SkippedFix] = []
    seen: set[str] = set()
    for result in results:
        source = sources.get(result.id)
        if source is None or result.id in seen:
            continue
        seen.add(result.id)
        if result.status == Status.MOVED:
            _plan_move(source, result, fixes, skipped)
        elif archive and result.status in archive_statuses:
            _plan_archive(source, result, fixes, skipped)
    return FixPlan(tuple(fixes), tuple(skipped))


def _plan_move(
    source: Source, result: ReportedResult, fixes: list[Fix], skipped: list[SkippedFix]
) -> None:
    new = result.new_url
    if new is None:
        skipped.append(SkippedFix(source.id, "url", None, "moved, but the report has no new URL"))
        return
    if new == source.url:
        return
    if result.url is not None and result.url != source.url:
        skipped.append(SkippedFix(source.id, "url", new, _stale(result.url)))
        return
    invalid = _invalid_url(new, source.id, "url")
    if invalid:
        skipped.append(SkippedFix(source.id, "url", new, invalid))
        return
    fixes.append(
        Fix(source.id, "url", source.url, new, "moved: the old URL redirects here permanently")
    )
    if source.cited_url is None:
        # The documents still print the old URL: remember it, so `extract` knows the source.
        fixes.append(Fix(source.id, "cited_url", None, source.url, "the URL the documents cite"))


def _plan_archive(
    source: Source, result: ReportedResult, fixes: list[Fix], skipped: list[SkippedFix]
) -> None:
    new = result.archive_url
    if new is None:
        reason = f"{result.status}, but no archive copy found"
        skipped.append(SkippedFix(source.id, "archive_url", None, reason))
        return
    if new == source.archive_url:
        return
    snapshot = "archive copy" + (
        f" of {_timestamp(result.archive_timestamp)}" if result.archive_timestamp else ""
    )
    if result.archive_verified is False:
        skipped.append(
            SkippedFix(
                source.id,
                "archive_url",
                new,
                f"the {snapshot} failed verification (it does not show the cited document)",
            )
        )
        return
    if source.archive_url is not None:
        skipped.append(
            SkippedFix(
                source.id,
                "archive_url",
                new,
                f"the registry already has another archive_url ({source.archive_url}); "
                "left as it is",
            )
        )
        return
    if result.url is not None and result.url != source.url:
        skipped.append(SkippedFix(source.id, "archive_url", new, _stale(result.url)))
        return
    invalid = _invalid_url(new, source.id, "archive_url")
    if invalid:
        skipped.append(SkippedFix(source.id, "archive_url", new, invalid))
        return
    verified = "verified" if result.archive_verified else "not verified"
    fixes.append(
        Fix(
            source.id,
            "archive_url",
            None,
            new,
            f"{result.status}: {snapshot} ({verified}); url stays as cited",
        )
    )


def _stale(checked: str) -> str:
    return f"the registry's url is no longer the one the report checked ({checked})"


def _timestamp(value: str) -> str:
    """A Wayback ``YYYYMMDDhhmmss`` timestamp as ``YYYY-MM-DD``; other text as it is."""
    if len(value) >= 8 and value[:8].isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    return value


def _invalid_url(url: str, source_id: str, key: str) -> str | None:
    try:
        check_url(url, "<report>", source_id, None, key=key)
    except RegistryError as exc:
        return f"not a valid http(s) URL: {str(exc).removeprefix('<report>: ')}"
    return None


# -- editing the file -------------------------------------------------------------------------


def _read(path: Path) -> str:
    """The registry's text, line endings as they are, without a byte order mark."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file", path=str(path)) from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}", path=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 text ({exc.reason})", path=str(path)) from None


RECORD_ONLY = frozenset({"cited_url"})
"""Keys a fix only records (they fix nothing): left out for a format that cannot hold them."""


def fit_plan(path: str | os.PathLike[str], plan: FixPlan) -> FixPlan:
    """``plan`` without the fixes the format of the registry at ``path`` has no place for.

    A key the fix only records (``cited_url``) is dropped; any other (``archive_url`` for a
    ``.bib``) becomes a :class:`SkippedFix` that says to add it by hand. For ``sources.toml``,
    which holds every key, the plan is returned as it is.

    Example::

        plan = fit_plan("refs.bib", plan_fixes(registry, results, archive=True))

    Raises:
        RegistryError: the file cannot be read.
    """
    file = Path(path)
    form = format_for(file, _read(file))
    fixes = tuple(fix for fix in plan if form.holds(fix.key))
    unheld = [fix for fix in plan if not form.holds(fix.key) and fix.key not in RECORD_ONLY]
    skipped = tuple(
        SkippedFix(
            fix.source_id,
            fix.key,
            fix.new,
            f"a {form.name} registry has no place for {fix.key!r}; add it by hand ({fix.reason})",
        )
        for fix in unheld
    )
    return FixPlan(fixes, plan.skipped + skipped)


def apply_fixes(path: str | os.PathLike[str], fixes: Iterable[Fix]) -> str:
    """The text of the registry file at ``path`` with ``fixes`` made; the file is not touched.

    The fixes become :class:`~factlinks._registry.Edit` values that the file's format applies
    (:meth:`~factlinks._registry.RegistryFormat.apply_edits`). For ``sources.toml``: each
    ``[[source]]`` table is found by its ``id``; a changed value keeps its key, its spacing,
    its quoting style and its comment; a new ``archive_url`` goes right after ``url``, aligned
    like it. Everything else (comments, blank lines, order, line endings) stays byte for byte.

    Example::

        new = apply_fixes("sources.toml", plan)

    Raises:
        RegistryError: the file cannot be read or parsed, a fix names an id the file does not
            have, or the file no longer has the value a fix expects (``Fix.old``): plan again.
    """
    file = Path(path)
    text = _read(file)
    form = format_for(file, text)
    edits = [
        Edit(fix.source_id, fix.key, fix.new, old=fix.old)
        for fix in fixes
        if fix.key not in RECORD_ONLY or form.holds(fix.key)
    ]
    return form.apply_edits(text, edits, path=str(file))


def write_fixed(path: str | os.PathLike[str], text: str) -> None:
    """Replace the registry file at ``path`` with ``text``, atomically.

    ``text`` is validated as a registry first; it is written to a temporary file in the same
    folder, flushed to disk and renamed over the file, which keeps its permissions (and its
    byte order mark, if it had one). A symbolic link is followed: its target is replaced.

    Raises:
        RegistryError: ``text`` is not a valid registry (the file is left as it was), or the
            file cannot be written.
    """
    file = Path(os.path.realpath(path))
    try:
        parse_sources(text, path=os.fspath(path))
    except RegistryError as exc:
        raise RegistryError(
            f"refusing to write an invalid registry: {exc}",
            path=exc.path,
            source_id=exc.source_id,
            key=exc.key,
        ) from exc
    data = text.encode("utf-8")
    try:
        with file.open("rb") as handle:
            if handle.read(len(_BOM)) == _BOM:
                data = _BOM + data
        mode: int | None = stat.S_IMODE(file.stat().st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}", path=str(path)) from exc
    try:
        replace_atomically(file, data, default_mode() if mode is None else mode)
    except OSError as exc:
        raise RegistryError(f"{path}: cannot write: {exc.strerror or exc}", path=str(path)) from exc


def unified_diff(path: str | os.PathLike[str], old_text: str, new_text: str) -> str:
    """A unified diff (``a/``, ``b/`` labels, 3 lines of context) from ``old_text`` to ``new_text``.

    Line endings do not count as changes, so ``old_text`` may come from ``read_text()``.
    Empty when nothing changed.

    Example::

        print(unified_diff("sources.toml", old, new), end="")
    """
    name = PurePath(os.fspath(path)).as_posix().lstrip("/")
    old_lines, old_end = _lines(old_text)
    new_lines, new_end = _lines(new_text)
    if old_lines == new_lines and old_end == new_end:
        return ""
    # Mark a missing final newline as git does, on the line that lacks it.
    if old_lines and not old_end:
        old_lines[-1] += "\n\\ No newline at end of file"
    if new_lines and not new_end:
        new_lines[-1] += "\n\\ No newline at end of file"
    diff = difflib.unified_diff(
        old_lines, new_lines, fromfile=f"a/{name}", tofile=f"b/{name}", lineterm=""
    )
    return "".join(line + "\n" for line in diff)


def _lines(text: str) -> tuple[list[str], bool]:
    """The lines of ``text`` without their endings, and whether it ends with a newline."""
    ends = text.endswith("\n")
    body = text[:-1] if ends else text
    if not body and ends:
        return [""], True
    if not body:
        return [], True
    return [line.removesuffix("\r") for line in body.split("\n")], ends
