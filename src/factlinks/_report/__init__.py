"""Report writers: one module per format, each only renders what the report holds."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .._errors import ReportError
from .._files import default_mode, replace_atomically
from .._models import Report
from .guard import RenderFailure, collect
from .json import SCHEMA_TAG, render_json, report_to_dict
from .junit import render_junit
from .load import load_report
from .markdown import render_markdown

__all__ = [
    "FORMATS",
    "SCHEMA_TAG",
    "RenderFailure",
    "load_report",
    "render_json",
    "render_junit",
    "render_markdown",
    "report_to_dict",
    "write_report",
    "write_text",
]


def _render_html(report: Report) -> str:
    from .html import render_html

    return render_html(report)


FORMATS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "json": ("report.json", render_json),
    "md": ("report.md", render_markdown),
    "html": ("report.html", _render_html),
    "junit": ("report.junit.xml", render_junit),
}
"""Format name -> (file name, renderer)."""


def write_report(
    report: Report,
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = ("json", "md"),
    *,
    on_render_error: Callable[[RenderFailure], None] | None = None,
) -> list[Path]:
    """Write ``report`` into ``out_dir`` in ``formats``; return the paths written.

    Every file is rendered first and then written atomically (a temporary file in the same
    folder, then a rename), so a reader never sees half a report.

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
    with collect(on_render_error):
        rendered = [(FORMATS[name][0], FORMATS[name][1](report)) for name in names]
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    return [write_text(folder / file_name, text) for file_name, text in rendered]


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
