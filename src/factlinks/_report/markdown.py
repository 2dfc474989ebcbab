"""``report.md``: short enough for a CI job summary or an issue body; problems first."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import IO
from urllib.parse import quote

from .._models import Report, SourceResult, Status
from .._text import clean_text
from .guard import NOT_RENDERED, per_source

__all__ = ["MAX_MARKDOWN_BYTES", "iter_markdown", "render_markdown", "write_markdown"]

MAX_MARKDOWN_BYTES = 1_000_000
"""``report.md`` stays within this many bytes (UTF-8): a GitHub job summary takes 1 MiB
(1,048,576 bytes) per step, and the command line appends one newline to it."""
MAX_LISTED_IDS = 50
"""The lists of new and recovered sources name this many ids, then say how many more."""
MAX_DOCUMENT_ROWS = 100
"""The table of citing documents has this many rows, then says how many more."""
FULL_REPORT = ("report.html", "report.json")
"""Where the sources that did not fit are, by default: the files written next to it."""
_RESERVED = 2_000
"""Bytes kept for what follows the sources: the closing tags, the left-out line (a count and
the file names), the footer."""

_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")
MAX_REFERENCE_CHARS = 120
"""A source's reference (authors, year, title) is cut to this many characters, so that a
line per source stays one line and the report stays within a job summary's budget."""


def _cell(text: str) -> str:
    """Text from the registry or the web, made inert: no links, images, HTML or @mentions.

    The report is meant to be pasted into issues and job summaries, where a page title such
    as ``![x](https://tracker/p.png) @someone`` must show as text.
    """
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "&#64;")


def _ids(results: Sequence[SourceResult]) -> str:
    return ", ".join(f"`{r.id}` ({r.status.value})" for r in results)


def _named(result: SourceResult) -> str:
    """`` · Knuth (1986): The TeXbook``: the reference next to the id, or nothing."""
    reference = result.source.reference
    if reference is None:
        return ""
    return " · " + _cell(clean_text(reference, MAX_REFERENCE_CHARS))


def _link(url: str) -> str:
    """An autolink whose URL cannot break out of its angle brackets."""
    return "<" + quote(url, safe=_URL_SAFE) + ">"


def _line(result: SourceResult) -> str:
    parts = [f"- **`{result.id}`**{_named(result)} — {_link(result.url)}"]
    if result.source.citation:
        parts.append(f"  \n  Cited as: {_cell(result.source.citation)}")
    if result.source.cited_in:
        parts.append(f"  \n  In: {_cell(', '.join(result.source.cited_in))}")
    parts.append(f"  \n  {_cell(result.reason)}")
    if result.reused is not None:
        parts.append(f"  \n  {_last_checked(result).capitalize()} (not due in this run)")
    if result.new_url:
        parts.append(f"  \n  New URL: {_link(result.new_url)}")
    if result.archive is not None:
        verified = {True: "verified", False: "does not show the title", None: "not verified"}
        when = result.archive.captured_at
        parts.append(
            f"  \n  Archive copy ({when:%Y-%m-%d}, {verified[result.archive.verified]}): "
            f"{_link(result.archive.url)}"
        )
    evidence = result.title
    if evidence is not None and evidence.matched and evidence.snippet:
        parts.append(
            f"  \n  Title found in {_cell(evidence.where or '?')}: “{_cell(evidence.snippet)}”"
        )
    elif evidence is not None and result.status is Status.DRIFTED and evidence.found:
        parts.append(f"  \n  Now: “{_cell(evidence.found)}”")
    return "".join(parts)


def _healthy_line(result: SourceResult) -> str:
    line = f"- `{result.id}` ({result.status.value}){_named(result)} — {_link(result.url)}"
    return line if result.reused is None else f"{line} ({_last_checked(result)})"


def _last_checked(result: SourceResult) -> str:
    """``last checked 2026-12-01``: when a reused verdict was made."""
    return f"last checked {result.checked_at:%Y-%m-%d}"


def _bare_line(result: SourceResult) -> str:
    """A source whose details could not be rendered: its id, URL, status and a note."""
    return f"- **`{result.id}`** ({result.status.value}) — {_link(result.url)}  \n  {NOT_RENDERED}"


class _Budget:
    """Lines written so far, in UTF-8 bytes, against the limit minus what the end needs."""

    def __init__(self, limit: int) -> None:
        self.left = limit - _RESERVED

    def take(self, lines: list[str]) -> bool:
        """Whether ``lines`` (each ending in a newline) still fit; if so, count them."""
        size = sum(len(line.encode("utf-8", "replace")) + 1 for line in lines)
        if size > self.left:
            self.left = -1  # once something did not fit, nothing after it is listed
            return False
        self.left -= size
        return True


def _verdict(report: Report) -> str:
    failing = len(report.failures)
    verdict = (
        "✅ All citations are healthy."
        if not report.problems
        else (
            f"❌ {failing} citation{'s' if failing != 1 else ''} in a failing status "
            f"({', '.join(sorted(s.value for s in report.fail_on))})."
            if failing
            else "⚠️ No failing citations, but some need a look."
        )
    )
    bugs = report.internal_errors
    if bugs:
        verdict = (
            f"🐞 {len(bugs)} source{'s' if len(bugs) != 1 else ''} could not be checked because "
            f"of a bug in factlinks (internal error: {_ids(bugs)}); the run fails until it is "
            f"fixed. {verdict}"
        )
    return verdict


def _ids_line(heading: str, results: Sequence[SourceResult]) -> list[str]:
    if not results:
        return []
    shown, more = results[:MAX_LISTED_IDS], len(results) - MAX_LISTED_IDS
    tail = f" and {more} more" if more > 0 else ""
    return [f"**{heading} ({len(results)}):** " + _ids(shown) + tail, ""]


def _documents(report: Report) -> list[str]:
    documents = report.by_document()
    if len(documents) <= 1 and all(name == "(no document)" for name in documents):
        return []
    out = ["| document | problems | failing | total |", "|---|---:|---:|---:|"]
    for name, counts in list(documents.items())[:MAX_DOCUMENT_ROWS]:
        problems = sum(n for s, n in counts.items() if s.is_problem)
        failing = sum(n for s, n in counts.items() if s in report.fail_on)
        named = _cell(clean_text(name, MAX_REFERENCE_CHARS))
        out.append(f"| {named} | {problems} | {failing} | {sum(counts.values())} |")
    out.append("")
    if len(documents) > MAX_DOCUMENT_ROWS:
        out += [f"_… and {len(documents) - MAX_DOCUMENT_ROWS} more documents._", ""]
    return out


def _head(report: Report) -> list[str]:
    """Everything before the sources: bounded, whatever the number of sources."""
    counts = report.counts
    out = ["# Citation health report", "", _verdict(report), ""]
    out += [line for note in report.notes for line in (f"> ⚠️ {_cell(note)}", "")]
    out += ["| status | count |", "|---|---:|"]
    out += [f"| {status.value} | {counts[status]} |" for status in Status if counts[status]]
    out += [f"| **total** | **{len(report.results)}** |", ""]
    out += _ids_line("New since the last run", report.new_problems)
    out += _ids_line("Recovered since the last run", report.recovered)
    return out + _documents(report)


def _left_out(problems: int, healthy: int, full_report: Sequence[str], max_bytes: int) -> list[str]:
    """The line that says how many sources the limit left out and where they are."""
    count = problems + healthy
    sources = f"{count} more source{'s' if count != 1 else ''}"
    if problems and healthy:
        sources += f" ({problems} of them problems)"
    elif problems:
        sources += f" ({'all of them problems' if problems > 1 else 'a problem'})"
    where = (
        "the full report is in "
        + " and ".join(f"`{name}`" for name in full_report)
        + ", written with this one"
        if full_report
        else "write the full report with `--format html,json`"
    )
    return [
        f"**… and {sources} not listed here**, to keep this report within a job "
        f"summary's limit ({max_bytes:,} bytes); {where}.",
        "",
    ]


def _problem_sections(report: Report, budget: _Budget) -> Iterator[str | int]:
    """The problems, failing statuses first; a whole line per source, or an int: left out."""
    looked_at = (s for s in Status if s.is_problem)
    for status in sorted(looked_at, key=lambda s: (s not in report.fail_on, s.order)):
        results = report.with_status(status)
        if not results:
            continue
        marker = "fails the run" if status in report.fail_on else "warning"
        heading = [f"## {status.label} ({len(results)}, {marker})", "", f"_{status.action}_", ""]
        for index, result in enumerate(results):
            line = per_source("md", result, _line, _bare_line)
            if not budget.take([*heading, line] if index == 0 else [line]):
                if index:
                    yield ""
                yield len(results) - index
                break
            if index == 0:
                yield from heading
            yield line
        else:
            budget.take([""])
            yield ""


def _lines(report: Report, max_bytes: int, full_report: Sequence[str]) -> Iterator[str]:
    budget = _Budget(max_bytes)
    head = _head(report)
    budget.take(head)
    yield from head
    problems_left = 0
    for line in _problem_sections(report, budget):
        if isinstance(line, int):
            problems_left += line
        else:
            yield line
    healthy = report.with_status(Status.OK, Status.SKIPPED)
    healthy_left = len(healthy)
    opening = ["<details>", f"<summary>Healthy and skipped ({len(healthy)})</summary>", ""]
    for index, result in enumerate(healthy):
        line = per_source("md", result, _healthy_line, _bare_line)
        if not budget.take([*opening, line] if index == 0 else [line]):
            break
        if index == 0:
            yield from opening
        yield line
        healthy_left -= 1
    if healthy_left < len(healthy):  # the block was opened
        yield from ["", "</details>", ""]
    if problems_left or healthy_left:
        yield from _left_out(problems_left, healthy_left, full_report, max_bytes)
    yield (
        f"_factlinks {report.tool_version}, {report.finished_at:%Y-%m-%d %H:%M} UTC, "
        f"{report.elapsed_s:.1f} s._"
    )


def iter_markdown(
    report: Report,
    *,
    max_bytes: int = MAX_MARKDOWN_BYTES,
    full_report: Sequence[str] = FULL_REPORT,
) -> Iterator[str]:
    """``report.md`` line by line (each line ends in a newline), within ``max_bytes``.

    Problems come first, grouped by status, then the healthy sources. When the next source
    would take the report past ``max_bytes`` (UTF-8), it and every source after it are left
    out, and a line says how many and where the full report is (``full_report``: the files
    written next to it). The cut falls between whole lines, so no table row, list entry or
    character is ever split.
    """
    for line in _lines(report, max_bytes, full_report):
        yield line + "\n"


def write_markdown(
    report: Report,
    out: IO[bytes],
    *,
    max_bytes: int = MAX_MARKDOWN_BYTES,
    full_report: Sequence[str] = FULL_REPORT,
) -> None:
    """Write ``report.md`` to the binary stream ``out``, line by line (:func:`iter_markdown`)."""
    for line in iter_markdown(report, max_bytes=max_bytes, full_report=full_report):
        out.write(line.encode("utf-8", "replace"))


def render_markdown(
    report: Report,
    *,
    max_bytes: int = MAX_MARKDOWN_BYTES,
    full_report: Sequence[str] = FULL_REPORT,
) -> str:
    """``report.md`` as text, at most ``max_bytes`` in UTF-8 (see :func:`iter_markdown`).

    Example::

        summary = factlinks.render_markdown(report)  # fits a GitHub job summary
    """
    return "".join(iter_markdown(report, max_bytes=max_bytes, full_report=full_report))
