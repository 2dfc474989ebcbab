"""Report writers: one module per format, each only renders what the report holds."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from .._errors import ReportError
from .._files import PartlyReplacedError, default_mode, replace_atomically, replace_set_streamed
from .._models import Report
from .findings import source_root
from .guard import RenderFailure, collect
from .json import SCHEMA_TAG, render_json, report_to_dict, write_json
from .junit import render_junit
from .load import load_report
from .markdown import render_markdown, write_markdown
from .sarif import render_sarif, write_sarif

__all__ = [
    "FORMATS",
    "SCHEMA_TAG",
    "WRITERS",
    "RenderFailure",
    "load_report",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "report_to_dict",
    "write_report",
    "write_text",
]


def _render_html(report: Report) -> str:
    from .html import render_html

    return render_html(report)


def _render_sarif(report: Report) -> str:
    # Paths relative to the checkout on a GitHub runner, else to the working directory.
    return render_sarif(report, root=source_root(os.environ))


FORMATS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "json": ("report.json", render_json),
    "md": ("report.md", render_markdown),
    "html": ("report.html", _render_html),
    "junit": ("report.junit.xml", render_junit),
    "sarif": ("report.sarif", _render_sarif),
}
"""Format name -> (file name, renderer)."""

_BUILT_IN = {name: FORMATS[name][1] for name in ("json", "md", "html", "sarif")}
"""The renderers the streamed writers stand for: a format whose renderer was replaced in
:data:`FORMATS` is rendered by the replacement."""

Writer = Callable[[Report, IO[bytes]], None]


def _write_html(report: Report, out: IO[bytes]) -> None:
    from .html import write_html

    write_html(report, out)


def _write_sarif(report: Report, out: IO[bytes]) -> None:
    write_sarif(report, out, root=source_root(os.environ))


WRITERS: dict[str, Writer] = {
    "json": write_json,
    "md": write_markdown,
    "html": _write_html,
    "sarif": _write_sarif,
}
"""Format name -> a writer that streams the file (a source at a time) instead of rendering
it whole. A format without one here is rendered by its :data:`FORMATS` renderer."""


def _writer(name: str, names: list[str]) -> Writer:
    """How ``write_report`` writes format ``name``: streamed when it can be."""
    if name == "md" and FORMATS[name][1] is _BUILT_IN["md"]:
        # the sources that do not fit report.md are in the full reports written with it
        full = tuple(FORMATS[n][0] for n in ("html", "json") if n in names)
        return functools.partial(write_markdown, full_report=full)
    streamed = WRITERS.get(name)
    if streamed is not None and FORMATS[name][1] is _BUILT_IN.get(name):
        return streamed
    render = FORMATS[name][1]

    def write(report: Report, out: IO[bytes]) -> None:
        # "replace": a code point UTF-8 cannot hold (a lone surrogate the text gate missed)
        # costs one character, never the report.
        out.write(render(report).encode("utf-8", "replace"))

    return write


def write_report(
    report: Report,
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = ("json", "md"),
    *,
    on_render_error: Callable[[RenderFailure], None] | None = None,
) -> list[Path]:
    """Write ``report`` into ``out_dir`` in ``formats``; return the paths written.

    The files are written as a set: every format is written to a temporary file in
    ``out_dir`` (``json``, ``md``, ``html`` and ``sarif`` a source at a time, never the whole
    file in memory) and flushed to disk, and only when all are written are they renamed into place,
    ``report.json`` last. ``report.md`` stays within a job summary's limit
    (:data:`~factlinks._report.markdown.MAX_MARKDOWN_BYTES`) and names the full reports
    written with it for the sources it leaves out. A failure (a renderer's bug, a full
    disk) leaves the earlier reports as they were; a reader never sees half a file, and a
    ``report.json`` of this run means that the other files are of this run too (see
    :mod:`factlinks._files` for the one window left, between the renames).

    A source whose details a format cannot render (a bug) does not cost the others: it is
    listed with its id, URL, status and a note, and ``on_render_error`` is called with a
    :class:`RenderFailure` for it (the command line then exits 3).

    Example::

        factlinks.write_report(report, "factlinks-report", formats=["json", "md"])

    Raises:
        ReportError: an unknown format, or the folder or a file cannot be written.
    """
    names = list(dict.fromkeys(formats))
    unknown = [name for name in names if name not in FORMATS]
    if unknown:
        raise ReportError(f"unknown report format {unknown[0]!r} (valid: {', '.join(FORMATS)})")
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    files = [
        (folder / FORMATS[name][0], functools.partial(_writer(name, names), report))
        for name in names
    ]
    written = [path for path, _ in files]
    files.sort(key=lambda item: item[0].name == "report.json")  # the commit of the set
    try:
        with collect(on_render_error):
            replace_set_streamed(files, default_mode())
    except PartlyReplacedError as exc:
        done = ", ".join(path.name for path in exc.replaced)
        raise ReportError(
            f"cannot write {exc.filename}: {_cause(exc)}; only {done} in {folder} were replaced"
        ) from exc
    except OSError as exc:
        raise ReportError(
            f"cannot write {exc.filename or folder}: {_cause(exc)}; "
            f"the reports in {folder} were left as they were"
        ) from exc
    return written


def _cause(exc: OSError) -> str:
    """``No space left on device``, in the words of the operating system, lower-cased."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def write_text(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` atomically, with the usual file permissions.

    Raises:
        ReportError: the file cannot be written.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # "replace": a lone surrogate that got past the web-text gate costs one character,
        # never the file.
        replace_atomically(target, text.encode("utf-8", "replace"), default_mode())
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
