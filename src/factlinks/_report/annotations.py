"""GitHub Actions annotations: the first findings as ``::error`` and ``::warning`` commands.

A workflow step that prints ``::error file=sources.toml,line=17,title=…::message`` to its
standard output gets an annotation on that line of the file, in the run's summary and in a
pull request's diff. GitHub shows 10 annotations of each type per step, so at most
:data:`MAX_ANNOTATIONS` errors (failing statuses) and as many warnings (the other problems)
are printed, the most severe first (the order and levels of ``report.sarif``: see
:mod:`.findings`), then one ``::notice`` that says how many more there are and where the
full report is.

Values are escaped as the workflow-command rules ask (``%``, carriage return and line feed;
in properties also ``:`` and ``,``), so text from the web cannot end a command early or start
another one; the path is relative to ``GITHUB_WORKSPACE`` when the registry lies inside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from .._models import Report, SourceResult
from .findings import Level, finding_count, findings, level_of, message_parts, repository_path

__all__ = ["MAX_ANNOTATIONS", "escape_data", "escape_property", "github_annotations"]

MAX_ANNOTATIONS = 10
"""Annotations of each type (error, warning) at most: what GitHub shows of one step."""


def escape_data(text: str) -> str:
    """``text`` as the message of a workflow command: ``%``, ``\\r`` and ``\\n`` escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """``text`` as a property value of a workflow command: also ``:`` and ``,`` escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **properties: str | int | None) -> str:
    shown = [
        f"{name}={escape_property(str(value))}"
        for name, value in properties.items()
        if value is not None and value != ""
    ]
    head = f"::{level} {','.join(shown)}" if shown else f"::{level}"
    return f"{head}::{escape_data(message)}"


def _annotation(result: SourceResult, report: Report, path: str | None) -> str:
    level = level_of(result.status, report.fail_on)
    source = result.source
    return _command(
        level.value,
        "\n".join([*message_parts(result), result.status.action]),
        file=path,
        line=source.line if path else None,
        col=source.column if path else None,
        title=f"{result.status.label} citation: {result.id}",
    )


def github_annotations(
    report: Report,
    *,
    workspace: str | os.PathLike[str] | None = None,
    full_report: Sequence[str] = (),
    limit: int = MAX_ANNOTATIONS,
) -> Iterator[str]:
    """The workflow commands for ``report``'s first findings, one line each (no newline).

    Parameters:
        workspace: ``GITHUB_WORKSPACE``; the registry's path is given relative to it (as
            GitHub needs it), or as it is when outside it; default: the working directory.
        full_report: the report files written (named in the closing notice).
        limit: annotations of each level at most.

    Example::

        for line in github_annotations(report, workspace=os.environ.get("GITHUB_WORKSPACE")):
            print(line)
        # ::error file=sources.toml,line=17,col=1,title=Dead citation%3A kfw::The server ...
    """
    path = _path(report.registry, workspace)
    total = finding_count(report)
    shown = dict.fromkeys(Level, 0)
    for result in findings(report):
        level = level_of(result.status, report.fail_on)
        if shown[level] < limit:
            shown[level] += 1
            yield _annotation(result, report, path)
        if all(shown[each] >= min(limit, total[each]) for each in Level):
            break
    left = {level: total[level] - shown[level] for level in Level}
    if any(left.values()):
        yield _command("notice", _more(left, full_report, limit), title="factlinks")


def _path(registry: str | None, workspace: str | os.PathLike[str] | None) -> str | None:
    if registry is None:
        return None
    relative = repository_path(registry, os.getcwd() if workspace is None else workspace)
    return relative if relative is not None else registry


def _more(left: dict[Level, int], full_report: Sequence[str], limit: int) -> str:
    count = sum(left.values())
    parts = [f"{n} {level.value}{'s' if n != 1 else ''}" for level, n in left.items() if n]
    where = (
        f"the full report is in {', '.join(full_report)}"
        if full_report
        else "write the full report with --format json,md,html"
    )
    return (
        f"{count} more finding{'s' if count != 1 else ''} not annotated "
        f"({', '.join(parts)}; {limit} of each type are shown per step): {where}."
    )
