"""``report.md``: short enough for a CI job summary or an issue body; problems first."""

from __future__ import annotations

import re
from urllib.parse import quote

from .._models import Report, SourceResult, Status
from .._text import clean_text
from .guard import NOT_RENDERED, per_source

__all__ = ["render_markdown"]

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


def _ids(results: tuple[SourceResult, ...]) -> str:
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
    return f"- `{result.id}` ({result.status.value}){_named(result)} — {_link(result.url)}"


def _bare_line(result: SourceResult) -> str:
    """A source whose details could not be rendered: its id, URL, status and a note."""
    return f"- **`{result.id}`** ({result.status.value}) — {_link(result.url)}  \n  {NOT_RENDERED}"


def render_markdown(report: Report) -> str:
    """``report.md`` as text."""
    counts = report.counts
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
    out = ["# Citation health report", "", verdict, ""]
    out += [line for note in report.notes for line in (f"> ⚠️ {_cell(note)}", "")]
    out += [
        "| status | count |",
        "|---|---:|",
    ]
    out += [f"| {status.value} | {counts[status]} |" for status in Status if counts[status]]
    out += [f"| **total** | **{len(report.results)}** |", ""]
    new, recovered = report.new_problems, report.recovered
    if new:
        out += [f"**New since the last run ({len(new)}):** " + _ids(new), ""]
    if recovered:
        out += [f"**Recovered since the last run ({len(recovered)}):** " + _ids(recovered), ""]
    documents = report.by_document()
    if len(documents) > 1 or any(name != "(no document)" for name in documents):
        out += ["| document | problems | failing | total |", "|---|---:|---:|---:|"]
        for name, counts in documents.items():
            problems = sum(n for s, n in counts.items() if s.is_problem)
            failing = sum(n for s, n in counts.items() if s in report.fail_on)
            out.append(f"| {_cell(name)} | {problems} | {failing} | {sum(counts.values())} |")
        out.append("")
    looked_at = (s for s in Status if s.is_problem)
    for status in sorted(looked_at, key=lambda s: (s not in report.fail_on, s.order)):
        results = report.with_status(status)
        if not results:
            continue
        marker = "fails the run" if status in report.fail_on else "warning"
        out += [f"## {status.label} ({len(results)}, {marker})", "", f"_{status.action}_", ""]
        out += [per_source("md", r, _line, _bare_line) for r in results]
        out.append("")
    healthy = report.with_status(Status.OK, Status.SKIPPED)
    if healthy:
        out += [
            "<details>",
            f"<summary>Healthy and skipped ({len(healthy)})</summary>",
            "",
        ]
        out += [per_source("md", r, _healthy_line, _bare_line) for r in healthy]
        out += ["", "</details>", ""]
    out.append(
        f"_factlinks {report.tool_version}, {report.finished_at:%Y-%m-%d %H:%M} UTC, "
        f"{report.elapsed_s:.1f} s._"
    )
    return "\n".join(out) + "\n"
