"""What ``report.sarif`` and the GitHub annotations share: the findings, their order and level,
and where each one is in the repository.

A *finding* is a source whose status asks the editor to look (:attr:`Status.is_problem`) or
fails the run (``fail_on``): every status but ``ok`` and ``skipped``, unless ``fail_on`` names
one of those too. Its level is ``error`` when its status fails the run (``dead`` and
``drifted`` by default) and ``warning`` otherwise (``moved``, ``blocked``, ``unreachable``,
``unverifiable`` by default); factlinks uses no ``note``. Findings come the failing statuses
first, each status the worst first (:attr:`Status.order`), and in registry order within a
status, so that any cut keeps the most severe ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path

from .._models import Report, SourceResult, Status
from .._text import MAX_REASON_CHARS, clean_text

__all__ = [
    "Level",
    "finding_count",
    "finding_statuses",
    "findings",
    "level_of",
    "message_parts",
    "repository_path",
    "source_root",
]


class Level(StrEnum):
    """How severe a finding is: SARIF's ``level``, and the GitHub workflow command."""

    ERROR = "error"
    """The status fails the run (``fail_on``)."""
    WARNING = "warning"
    """The status asks for a look but does not fail the run."""


def level_of(status: Status, fail_on: frozenset[Status]) -> Level:
    """``error`` for a status in ``fail_on``, else ``warning``."""
    return Level.ERROR if status in fail_on else Level.WARNING


def finding_statuses(report: Report) -> list[Status]:
    """The statuses whose sources are findings, in the order they are listed."""
    statuses = [s for s in Status if s.is_problem or s in report.fail_on]
    return sorted(statuses, key=lambda s: (s not in report.fail_on, s.order))


def findings(report: Report) -> Iterator[SourceResult]:
    """The findings of ``report`` in their order, read one at a time (from a spool, too)."""
    for status in finding_statuses(report):
        yield from report.with_status(status)


def message_parts(result: SourceResult) -> list[str]:
    """What a finding's message says, part by part: the reason, the URL, and the new URL
    and the archive copy where there are."""
    parts = [clean_text(result.reason, MAX_REASON_CHARS), f"URL: {result.url}"]
    if result.new_url:
        parts.append(f"New URL: {result.new_url}")
    if result.archive is not None:
        parts.append(f"Archive copy: {result.archive.url}")
    return parts


def finding_count(report: Report) -> dict[Level, int]:
    """How many findings ``report`` has at each level (counted, never read back)."""
    counts = report.counts
    total = dict.fromkeys(Level, 0)
    for status in finding_statuses(report):
        total[level_of(status, report.fail_on)] += counts[status]
    return total


def source_root(environ: Mapping[str, str]) -> Path:
    """The folder that repository paths are relative to: ``GITHUB_WORKSPACE`` (the checkout
    on a GitHub runner) when it is set, else the current working directory."""
    workspace = environ.get("GITHUB_WORKSPACE")
    return Path(workspace) if workspace else Path.cwd()


def repository_path(path: str, root: str | os.PathLike[str]) -> str | None:
    """``path`` relative to ``root``, with ``/`` between its parts; ``None`` outside ``root``.

    A relative ``path`` is relative to the current working directory (where the check ran);
    symbolic links are resolved in both, as GitHub matches the resolved file.

    Example::

        repository_path("docs/sources.toml", "/home/runner/work/site")  # in the checkout
        # 'docs/sources.toml'
    """
    real = Path(os.path.realpath(path))
    try:
        return real.relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return None
